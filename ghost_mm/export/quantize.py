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


def per_channel_conv_biases(model):
    """``model`` (an ``ov.Model``) with every scalar constant added to a
    convolution's output broadcast to one value per channel (the same sums);
    returns how many were widened.

    Why: NNCF's fast bias correction takes the ``Add`` after a convolution for
    its bias and writes one shift per output channel into that constant;
    when OpenVINO has folded a hard sigmoid's ``+ 3`` (mmcv's ``HSigmoid`` in
    MobileNetV3's squeeze-excite) into a ``[1, 1, 1, 1]`` constant there,
    NNCF (3.4 here) fails (``cannot reshape array of size 72 into shape
    (1,1,1,1)``), so mmseg's own LR-ASPP-MobileNetV3 could not be quantised."""
    import numpy as np
    from openvino import opset13 as ops
    widened = 0
    for conv in model.get_ordered_ops():
        if conv.get_type_name() not in ('Convolution', 'GroupConvolution'):
            continue
        channels = conv.get_output_partial_shape(0)[1]
        if channels.is_dynamic:
            continue
        for target in list(conv.output(0).get_target_inputs()):
            add = target.get_node()
            if add.get_type_name() != 'Add':
                continue
            other = add.input_value(1 - target.get_index())
            const = other.get_node()
            if (const.get_type_name() != 'Constant' or
                    list(const.get_output_shape(0)) != [1] * 4):
                continue
            value = const.get_data()
            wide = ops.constant(np.broadcast_to(value, (1, channels.get_length(), 1, 1))
                                .copy(), value.dtype)
            add.input(1 - target.get_index()).replace_source_output(wide.output(0))
            widened += 1
    return widened


def quantize_openvino(model, batches, float_depthwise):
    """``model`` (an ``ov.Model``) quantised by NNCF on ``batches`` (scalar
    biases after convs widened first: :func:`per_channel_conv_biases`)."""
    import nncf
    per_channel_conv_biases(model)
    ignored = nncf.IgnoredScope(types=['GroupConvolution']) if float_depthwise else None
    return nncf.quantize(model, nncf.Dataset(batches), subset_size=len(batches),
                         ignored_scope=ignored)


def depthwise_conv_names(onnx_model):
    return [node.name for node in onnx_model.graph.node if node.op_type == 'Conv' and
            any(a.name == 'group' and a.i > 1 for a in node.attribute)]


# what onnxruntime quantises in the network: the convs and the ops between
# them (GhostNet's concatenations, activations, residual adds, squeeze-excite
# products, pooling, FPN upsampling), so activations stay int8 from conv to
# conv instead of being dequantised and requantised around every op
BODY_OP_TYPES = ('Conv', 'Concat', 'Relu', 'Clip', 'Add', 'Mul', 'MaxPool', 'AveragePool',
                 'GlobalAveragePool', 'Resize')


def network_body(onnx_model):
    """Names of the nodes that feed a conv, directly or through others, and of
    the convs: the network. What follows the last convs (box decoding,
    score thresholds, NMS, the segmentor's resize) is left out, so it stays in
    float."""
    producer = {out: node for node in onnx_model.graph.node for out in node.output}
    body, todo = set(), [n for n in onnx_model.graph.node if n.op_type == 'Conv']
    while todo:
        node = todo.pop()
        if node.name not in body:
            body.add(node.name)
            todo.extend(producer[i] for i in node.input if i in producer)
    return sorted(body)


def quantize_onnxruntime(src, dst, batches, float_depthwise):
    """The ONNX file ``src`` quantised by onnxruntime on ``batches``, written
    to ``dst``: QDQ, int8 weights per channel, uint8 activations; the convs
    and the ops of the network between them (:data:`BODY_OP_TYPES`, only in
    :func:`network_body`). Measured on SSDLite-GhostNet 1.3x (network only,
    BNs like a trained network's): 12.3 ms against 15.8 with only the convs
    quantised and 14.0 in fp32."""
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
                    op_types_to_quantize=list(BODY_OP_TYPES),
                    nodes_to_quantize=network_body(model), nodes_to_exclude=excluded)
