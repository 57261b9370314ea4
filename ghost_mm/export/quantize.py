"""Post-training static INT8 quantisation of an exported network, calibrated
on a folder of the user's images: NNCF for OpenVINO, onnxruntime's own
quantiser for onnxruntime. Depthwise convs (GhostNet's cheap operations) can
be left in floating point."""
from ..runtime.infer import collect_images
from ..runtime.preprocess import prepare, read_image


def calibration_batches(folder, policy, limit=300):
    """The network inputs of up to ``limit`` images of ``folder``, prepared
    exactly as the runtime prepares them."""
    try:
        paths = collect_images([folder])
    except FileNotFoundError as err:
        raise FileNotFoundError(f'calibration images: {err}') from None
    return [prepare(read_image(p), policy)[0] for p in paths[:limit]]


def quantize_openvino(model, batches, float_depthwise):
    """``model`` (an ``ov.Model``) quantised by NNCF on ``batches``."""
    import nncf
    ignored = nncf.IgnoredScope(types=['GroupConvolution']) if float_depthwise else None
    return nncf.quantize(model, nncf.Dataset(batches), subset_size=len(batches),
                         ignored_scope=ignored)


def depthwise_conv_names(onnx_model):
    return [node.name for node in onnx_model.graph.node if node.op_type == 'Conv' and
            any(a.name == 'group' and a.i > 1 for a in node.attribute)]


def quantize_onnxruntime(src, dst, batches, float_depthwise):
    """The ONNX file ``src`` quantised (QDQ, int8 weights per channel, uint8
    activations, convs only) by onnxruntime on ``batches``, written to ``dst``."""
    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)
    model = onnx.load(src)
    input_name = model.graph.input[0].name
    excluded = depthwise_conv_names(model) if float_depthwise else []

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter(batches)

        def get_next(self):
            batch = next(self.items, None)
            return None if batch is None else {input_name: batch}

    quantize_static(src, dst, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    op_types_to_quantize=['Conv'], nodes_to_exclude=excluded)
