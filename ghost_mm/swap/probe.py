"""Probing the old backbone: built once and run on one blank image, it says
for each of its outputs the channels, the stride and how far that stride was
cut by dilation."""
import copy
import inspect
import math

import torch
from mmengine.model import revert_sync_batchnorm

from .errors import SwapError

PROBE_SIZE = 256


def _probe(registry, backbone_cfg, src):
    """(channels, strides, dilations) of each output of the old backbone;
    an output's dilation is the largest conv dilation run before it."""
    cfg = copy.deepcopy(backbone_cfg)
    cfg.pop('init_cfg', None)
    cfg.pop('pretrained', None)
    events = []  # conv dilations (ints) and module outputs, in execution order

    def record(module, args, output):
        if isinstance(module, torch.nn.Conv2d):
            events.append(module.dilation[0])
        events.append(output)  # kept alive, so identity checks stay valid

    try:
        backbone = revert_sync_batchnorm(registry.build(cfg))
        backbone.eval()  # not chained: mmdet's ResNet.train() returns None
        hooks = [m.register_forward_hook(record) for m in backbone.modules()]
        with torch.no_grad():
            outputs = backbone(torch.zeros(1, 3, PROBE_SIZE, PROBE_SIZE))
        for hook in hooks:
            hook.remove()
    except Exception as e:  # any failure here means we cannot read the levels
        raise SwapError(f'{src}: could not build and run the old backbone '
                        f'{cfg.get("type")!r} to read its outputs '
                        f'({type(e).__name__}: {e})') from e
    if isinstance(outputs, torch.Tensor):
        outputs = [outputs]
    if not all(isinstance(o, torch.Tensor) and o.dim() == 4 for o in outputs):
        raise SwapError(f'{src}: backbone {cfg.get("type")!r} does not return '
                        f'plain feature maps; its heads rely on its own outputs')
    channels = [o.shape[1] for o in outputs]
    strides = [2 ** round(math.log2(PROBE_SIZE / o.shape[-1])) for o in outputs]
    dilations = []
    for output in outputs:
        made_at = next((i for i, e in enumerate(events) if e is output), len(events))
        # powers of two only: those stand for a removed stride (SSD's VGG has
        # a dilation-6 conv that widens the view at an unchanged stride)
        dilations.append(max([e for e in events[:made_at]
                              if type(e) is int and e & (e - 1) == 0], default=1))
    return channels, strides, dilations


def _undilated(registry, backbone_cfg):
    """The backbone config with ``strides``/``dilations`` at the class
    defaults (its undilated form), or None when it sets neither."""
    if 'strides' not in backbone_cfg and 'dilations' not in backbone_cfg:
        return None
    cls = registry.get(backbone_cfg['type'])
    cfg = dict(backbone_cfg)
    for key in ('strides', 'dilations'):
        if key not in cfg:
            continue
        # the first class up the hierarchy that names the argument (mmseg's
        # ResNetV1c takes **kwargs for ResNet's)
        defaults = [inspect.signature(c.__init__).parameters.get(key)
                    for c in getattr(cls, '__mro__', ())]
        default = next((p.default for p in defaults if p is not None), inspect.Parameter.empty)
        if default is inspect.Parameter.empty or len(default) != len(cfg[key]):
            return None  # e.g. a 3-stage ResNet (C4) against 4 default stages
        cfg[key] = default
    return cfg


def _probe_levels(registry, old_backbone, src):
    """(channels, strides, dilations) of the old backbone's outputs, the
    dilations as the factor each output's stride was cut by."""
    old_channels, strides, dilations = _probe(registry, old_backbone, src)
    # Dilated backbones: how far each output's stride was cut. With
    # ``strides``/``dilations`` settings, their undilated twin says; else the
    # dilation the output was computed with (mmseg's MobileNetV3 dilates inside).
    undilated = _undilated(registry, old_backbone)
    if undilated is not None:
        nominal = _probe(registry, undilated, src)[1]
        dilations = [n // s for n, s in zip(nominal, strides)]
    return old_channels, strides, dilations
