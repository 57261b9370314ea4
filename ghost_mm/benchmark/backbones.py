"""The backbones timed side by side (ours eager, deployed and on the deploy
runtimes; timm's GhostNet; mmdet's MobileNetV2), their builders, the
OpenVINO / onnxruntime wrappers with int8 calibration, and one size's rows."""
import os
import statistics

import torch
import torch.nn as nn

from .paths import CALIBRATION
from .timing import latencies, peak_memory_mb

SIZES = {'224x224': (224, 224), '800x1344': (800, 1344)}


class _Features(nn.Module):
    """A timm model's ``forward_features`` (all blocks) as a module."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.forward_features(x)


def _ghostnet(width, form, version='v1'):
    from ghost_mm.deploy import to_deploy
    from ghost_mm.models.ghostnet import GhostNet
    model = GhostNet(widen_factor=width, out_indices=(1, 2, 3, 4, 5),  # all blocks
                     version=version).eval()
    if form == 'onnxruntime':
        return _runtime(model, 'onnxruntime')
    return to_deploy(model) if form == 'deployed' else model


def _timm(channels_last, name='ghostnet_100'):
    import timm
    model = timm.create_model(name).eval()
    if hasattr(model, 'convert_to_deploy'):
        model.convert_to_deploy()  # V3: branches merged (a no-op for V1/V2)
    model = _Features(model)
    return model.to(memory_format=torch.channels_last) if channels_last else model


def _mobilenet_v2():
    from mmdet.models.backbones import MobileNetV2
    model = MobileNetV2(out_indices=(7,))  # runs every layer
    model.eval()  # not chained: mmdet's MobileNetV2.train() returns None
    return model


def _calibration_batches(size):
    """The sample's val images resized to ``size`` and ImageNet-normalised, as
    the backbone (which has no normalisation of its own) sees them."""
    import cv2
    import numpy as np
    from ghost_mm.runtime.infer import collect_images
    mean, std = np.float32([123.675, 116.28, 103.53]), np.float32([58.395, 57.12, 57.375])
    batches = []
    for path in collect_images([CALIBRATION]):
        image = cv2.resize(cv2.imread(path)[:, :, ::-1], size[::-1]).astype(np.float32)
        batches.append(((image - mean) / std).transpose(2, 0, 1)[None].copy())
    return batches


_SIZE = {}  # set by size_rows(): the input size being timed (int8 calibration, OpenVINO shape)


def _runtime(model, runtime, precision='fp32', float_depthwise=False, openvino_precision=None):
    """``model``'s deploy form exported to ONNX (dynamic H x W) and run by ``runtime``
    ('onnxruntime' or 'openvino') in ``precision`` ('fp32', 'bf16': OpenVINO's
    inference precision; 'int8': post-training quantised, calibrated on the
    sample's images; ``openvino_precision`` for what int8 leaves in floating
    point), on as many threads as torch uses. OpenVINO compiles for
    the timed size, as ghost_mm.runtime does (static shapes: ~1.6x faster)."""
    import tempfile

    from ghost_mm.deploy import fuse_conv_bn
    from ghost_mm.export import export_onnx
    from ghost_mm.export.quantize import quantize_onnxruntime, quantize_openvino
    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'model.onnx')
        export_onnx(fuse_conv_bn(model), path, (1, 3, 224, 224))
        batches = _calibration_batches(_SIZE.get('size', (224, 224))) \
            if precision == 'int8' else None
        if runtime == 'onnxruntime':
            import onnxruntime as ort
            if batches:
                quantize_onnxruntime(path, path + '.int8', batches, float_depthwise)
                path += '.int8'
            options = ort.SessionOptions()
            options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
            session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
            return lambda x: session.run(None, {'input': x.numpy()})  # numpy arrays out
        import openvino as ov
        network = ov.convert_model(path)
        network.reshape({0: [1, 3, *_SIZE.get('size', (224, 224))]})
        if batches:
            network = quantize_openvino(network, batches, float_depthwise)
        compiled = ov.Core().compile_model(network, 'CPU', {
            'INFERENCE_NUM_THREADS': threads, 'PERFORMANCE_HINT': 'LATENCY',
            'INFERENCE_PRECISION_HINT': openvino_precision or
            ('bf16' if precision == 'bf16' else 'f32')})
        request = compiled.create_infer_request()
        return lambda x: request.infer({0: x.numpy()})


# name -> (builder, is the input channels-last)
MODELS = {
    'ghost_mm GhostNet 1.0x eager': (lambda: _ghostnet(1.0, 'eager'), False),
    'ghost_mm GhostNet 1.0x deployed': (lambda: _ghostnet(1.0, 'deployed'), False),
    'ghost_mm GhostNet 1.0x onnxruntime': (lambda: _ghostnet(1.0, 'onnxruntime'), False),
    'ghost_mm GhostNet 1.1x eager': (lambda: _ghostnet(1.1, 'eager'), False),
    'ghost_mm GhostNet 1.1x deployed': (lambda: _ghostnet(1.1, 'deployed'), False),
    'ghost_mm GhostNet 1.1x onnxruntime': (lambda: _ghostnet(1.1, 'onnxruntime'), False),
    'ghost_mm GhostNetV3 1.0x deployed': (lambda: _ghostnet(1.0, 'deployed', 'v3'), False),
    'ghost_mm GhostNetV3 1.0x onnxruntime': (
        lambda: _ghostnet(1.0, 'onnxruntime', 'v3'), False),
    'timm ghostnet_100 forward_features': (lambda: _timm(False), False),
    'timm ghostnet_100 channels-last (reference)': (lambda: _timm(True), True),
    'timm ghostnetv3_100 re-parameterised': (lambda: _timm(False, 'ghostnetv3_100'), False),
    'mmdet MobileNetV2': (_mobilenet_v2, False),
}
# --runtimes: the deployed 1.0x backbone on the deploy runtimes
def _ghostnet_on(runtime, *args, **kwargs):
    return lambda: _runtime(_ghostnet(1.0, 'eager'), runtime, *args, **kwargs)


RUNTIME_MODELS = {
    'ghost_mm GhostNet 1.0x OpenVINO fp32': (_ghostnet_on('openvino'), False),
    'ghost_mm GhostNet 1.0x OpenVINO bf16': (_ghostnet_on('openvino', 'bf16'), False),
    'ghost_mm GhostNet 1.0x OpenVINO int8': (_ghostnet_on('openvino', 'int8'), False),
    'ghost_mm GhostNet 1.0x OpenVINO int8 + bf16': (
        _ghostnet_on('openvino', 'int8', openvino_precision='bf16'), False),
    'ghost_mm GhostNet 1.0x OpenVINO int8, float depthwise': (
        _ghostnet_on('openvino', 'int8', True), False),
    'ghost_mm GhostNet 1.0x onnxruntime int8': (_ghostnet_on('onnxruntime', 'int8'), False),
}
MODELS.update(RUNTIME_MODELS)
OURS = 'ghost_mm GhostNet 1.0x deployed'
OURS_ORT = 'ghost_mm GhostNet 1.0x onnxruntime'
TIMM = 'timm ghostnet_100 forward_features'
MNV2 = 'mmdet MobileNetV2'
OURS_V3 = 'ghost_mm GhostNetV3 1.0x deployed'
TIMM_V3 = 'timm ghostnetv3_100 re-parameterised'


def complexity(name, size):
    from ghost_mm.complexity import measure
    # the runtimes run the deployed network: count that one
    if name in RUNTIME_MODELS:
        name = OURS
    build, _ = MODELS[name.replace(' onnxruntime', ' deployed')]
    numbers = measure(build(), size)
    return numbers['params'], numbers['flops']


def size_rows(size, rounds, repeats, runtimes, no_memory, threads, keep_freed_memory):
    """{model: its numbers} at ``size``: latencies over ``rounds`` interleaved
    rounds, params and FLOPs, and (unless ``no_memory``) peak memory; the
    runtime models too with ``runtimes``."""
    _SIZE['size'] = size
    models = {n: m for n, m in MODELS.items() if runtimes or n not in RUNTIME_MODELS}
    times = latencies(models, size, rounds, repeats=repeats)
    rows = {}
    for name, ts in times.items():
        params, flops = complexity(name, size)
        rows[name] = dict(min_ms=min(ts) * 1e3, median_ms=statistics.median(ts) * 1e3,
                          params_m=params / 1e6, gflops=flops / 1e9,
                          gmac_per_s=flops / 1e9 / min(ts))
        if not no_memory:
            rows[name]['peak_mb'] = peak_memory_mb(name, size, threads, keep_freed_memory)
    return rows
