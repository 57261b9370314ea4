"""INT8 quantisation glue (ghost_mm/export/quantize.py) on small networks."""
import numpy as np
import pytest
import torch
import torch.nn as nn

ov = pytest.importorskip('openvino')
nncf = pytest.importorskip('nncf')


class SqueezeExciteHSigmoid(nn.Module):
    """MobileNetV3's squeeze-excite as mmcv builds it: the gate's conv is
    followed by ``HSigmoid`` ((x + 3) / 6, clamped), which OpenVINO folds
    into a ``[1, 1, 1, 1]`` constant added to the conv's output."""

    def __init__(self):
        super().__init__()
        from mmseg.models.utils import SELayer
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.se = SELayer(8, ratio=4, act_cfg=(dict(type='ReLU'),
                                               dict(type='HSigmoid', bias=3.0, divisor=6.0)))

    def forward(self, x):
        return self.se(torch.relu(self.conv(x)))


@pytest.fixture
def se_network(tmp_path):
    torch.manual_seed(0)
    path = str(tmp_path / 'se.onnx')
    torch.onnx.export(SqueezeExciteHSigmoid().eval(), torch.rand(1, 3, 32, 32), path,
                      dynamo=False, opset_version=17, input_names=['image'],
                      dynamic_axes={'image': {2: 'height', 3: 'width'}})
    batches = [np.random.default_rng(i).random((1, 3, 32, 32), dtype=np.float32)
               for i in range(4)]
    return path, batches


def test_a_hard_sigmoid_gate_quantises_on_openvino(se_network):
    """mmseg's own LR-ASPP-MobileNetV3 failed in NNCF's bias correction; the
    scalar after the gate conv is widened to one value per channel first
    (the same sums) and NNCF quantises the network."""
    from ghost_mm.export.quantize import per_channel_conv_biases, quantize_openvino
    path, batches = se_network
    with pytest.raises(ValueError, match='cannot reshape'):  # NNCF as it is
        nncf.quantize(ov.convert_model(path), nncf.Dataset(batches), subset_size=4)

    fp32 = ov.compile_model(ov.convert_model(path), 'CPU', {'INFERENCE_PRECISION_HINT': 'f32'})
    widened = ov.convert_model(path)
    assert per_channel_conv_biases(widened) == 1
    same = ov.compile_model(widened, 'CPU', {'INFERENCE_PRECISION_HINT': 'f32'})
    np.testing.assert_array_equal(same(batches[0])[0], fp32(batches[0])[0])

    int8 = quantize_openvino(ov.convert_model(path), batches, float_depthwise=False)
    assert any(op.get_type_name() == 'FakeQuantize' for op in int8.get_ops())
    got = ov.compile_model(int8, 'CPU', {'INFERENCE_PRECISION_HINT': 'f32'})(batches[1])[0]
    want = fp32(batches[1])[0]
    assert np.abs(got - want).max() < 0.05 * np.abs(want).max()


class GhostStackWithDecoding(nn.Module):
    """A stem, two Ghost modules (a concatenation each), a residual add and
    a prediction conv, then a decoding step after the last conv."""

    def __init__(self):
        super().__init__()
        from ghost_mm.models.layers import GhostModule, conv_norm_act
        self.stem = conv_norm_act(3, 16, 3, 2, norm_cfg=dict(type='BN'),
                                  act_cfg=dict(type='ReLU'))
        self.ghost1 = GhostModule(16, 32)
        self.ghost2 = GhostModule(32, 16, use_act=False)
        self.predict = nn.Conv2d(16, 4, 1)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.ghost2(self.ghost1(x))
        return torch.sigmoid(self.predict(x)) * 32.0


def _exported(tmp_path, trained_like):
    from ghost_mm.benchmark.realtime import trained_like_norms
    from ghost_mm.deploy import fuse_conv_bn
    torch.manual_seed(0)
    model = GhostStackWithDecoding().eval()
    if trained_like:
        trained_like_norms(model)
    path = str(tmp_path / f'ghost{int(trained_like)}.onnx')
    torch.onnx.export(fuse_conv_bn(model), torch.rand(1, 3, 64, 64), path, dynamo=False,
                      opset_version=17, input_names=['image'])
    return path


def _optimised_ops(path, tmp_path):
    """Op types of the graph onnxruntime runs (after its QDQ fusions)."""
    import onnx
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / 'optimised.onnx')
    ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
    return [n.op_type for n in onnx.load(options.optimized_model_filepath).graph.node]


@pytest.mark.parametrize('trained_like', [True, False])
def test_onnxruntime_int8_keeps_the_network_int8_from_conv_to_conv(tmp_path, trained_like):
    """Every conv and every concatenation and add between them runs as an
    int8 kernel; the decoding after the last conv stays float. With identity
    BNs (an untrained model) the folded convs share one zero-bias
    dequantisation and onnxruntime cannot fuse them: why the benchmark gives
    its untrained models trained-like BNs."""
    import onnx
    import onnxruntime as ort
    from ghost_mm.export.quantize import network_body, quantize_onnxruntime
    src = _exported(tmp_path, trained_like)
    body = set(network_body(onnx.load(src)))
    decoding = [n for n in onnx.load(src).graph.node if n.op_type in ('Sigmoid', 'Mul')]
    assert decoding and not body & {n.name for n in decoding}
    batches = [np.random.default_rng(i).random((1, 3, 64, 64), dtype=np.float32)
               for i in range(4)]
    dst = str(tmp_path / 'int8.onnx')
    quantize_onnxruntime(src, dst, batches, float_depthwise=False)
    ops = _optimised_ops(dst, tmp_path)
    if not trained_like:
        assert 'Conv' in ops  # left in float
        return
    assert 'Conv' not in ops and ops.count('QLinearConv') == 6
    assert 'QLinearConcat' in ops and 'QLinearAdd' in ops
    assert 'Sigmoid' in ops  # the decoding, in float
    want = ort.InferenceSession(src, providers=['CPUExecutionProvider']).run(
        None, {'image': batches[0]})[0]
    got = ort.InferenceSession(dst, providers=['CPUExecutionProvider']).run(
        None, {'image': batches[0]})[0]
    assert np.abs(got - want).max() < 0.05 * 32
