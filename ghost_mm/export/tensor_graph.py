"""ONNX export of GhostNet backbones and whole mmdet/mmseg models (their
tensor graphs: backbone, neck, head outputs; no NMS or resizing to the image),
with dynamic height and width, in the deploy form (BN folded)."""
import copy

import torch
import torch.nn as nn

from ..weights.safe_load import load_weights_file, runner_checkpoint_globals, unwrap_state_dict
from ..deploy import fuse_conv_bn
from ..registry import scope_models


class TensorGraph(nn.Module):
    """``model(x, data_samples, mode='tensor')`` with its nested outputs
    flattened (two-stage detectors need ``data_samples`` with image metas:
    see :func:`tensor_mode_samples`)."""

    def __init__(self, model, data_samples=None):
        super().__init__()
        self.model = model
        self.data_samples = data_samples

    def forward(self, x):
        out = self.model(x, self.data_samples, mode='tensor')
        flat = []

        def walk(o):
            if isinstance(o, torch.Tensor):
                flat.append(o)
            else:
                for item in o:
                    walk(item)
        walk(out)
        return tuple(flat)


def tensor_mode_samples(model, shape):
    """Data samples with the image metas mmdet's two-stage detectors read in
    tensor mode (their RPN predicts proposals), for one ``shape`` image; None
    for models that need none."""
    if not getattr(model, 'with_rpn', False):
        return None
    from mmdet.structures import DetDataSample
    height, width = shape
    return [DetDataSample(metainfo=dict(img_shape=(height, width), ori_shape=(height, width),
                                        pad_shape=(height, width), scale_factor=(1.0, 1.0),
                                        batch_input_shape=(height, width)))]


def load_model(cfg, checkpoint=None):
    """The config's model in eval mode (training form), with ``checkpoint``
    (a runner checkpoint or plain state dict) loaded strictly."""
    from mmengine.model import revert_sync_batchnorm
    MODELS = scope_models(cfg.get('default_scope', 'mmdet'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.pop('init_cfg', None)  # weights come from `checkpoint`
    model = revert_sync_batchnorm(MODELS.build(model_cfg))
    if checkpoint:
        with runner_checkpoint_globals():
            state_dict = unwrap_state_dict(load_weights_file(checkpoint), checkpoint)
        try:
            missing, unexpected = model.load_state_dict(state_dict, strict=False)
        except RuntimeError as err:  # shapes that differ
            raise ValueError(f'{checkpoint} does not fit this config: {err}') from None
        if missing or unexpected:
            raise ValueError(f'{checkpoint} does not fit this config: missing keys '
                             f'{missing[:5]}..., unexpected keys {unexpected[:5]}...')
    return model.eval()


def build_from_config(cfg, checkpoint=None, backbone_only=False):
    """The config's model (or its backbone) in eval mode, deploy form, with
    ``checkpoint`` loaded strictly (:func:`load_model`)."""
    model = load_model(cfg, checkpoint)
    if backbone_only:
        return fuse_conv_bn(model.backbone)
    return TensorGraph(fuse_conv_bn(model))


def export_onnx(model, path, input_shape=(1, 3, 224, 224), opset_version=17):
    """Write ``model`` (taking one image batch) to ONNX with dynamic H and W;
    returns the output names."""
    model.eval()
    x = torch.randn(*input_shape)
    with torch.no_grad():
        outputs = model(x)
    outputs = [outputs] if isinstance(outputs, torch.Tensor) else list(outputs)
    names = [f'output{i}' for i in range(len(outputs))]
    torch.onnx.export(
        model, (x,), path, dynamo=False, opset_version=opset_version,
        input_names=['input'], output_names=names,
        dynamic_axes={'input': {2: 'height', 3: 'width'},
                      **{n: {2: f'{n}_height', 3: f'{n}_width'}
                         for n, out in zip(names, outputs) if out.dim() == 4}})
    return names
