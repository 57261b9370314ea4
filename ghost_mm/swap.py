"""Put GhostNet into an existing mmdet or mmseg config.

The old backbone is built once and run on one image to learn, for each of
its outputs, the channels and the stride. Each output is matched to the
GhostNet level of the same (undilated) stride, dilation is carried over as
GhostNet ``strides``/``dilations``, and every ``in_channels`` that read the
old backbone (the neck, or the heads when there is no neck) is rewritten
from the old channels to GhostNet's. What cannot be mapped is refused with a
:class:`SwapError` instead of written.

The result is a short config: ``_base_`` = the source, plus the diff.
"""
import copy
import inspect
import math
import os
import os.path as osp
import re
import textwrap
import uuid
import warnings
from typing import NamedTuple

import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.model import revert_sync_batchnorm

from .models.ghostnet import GhostNet, level_channels
from .registry import scope_models

# ResNet-style backbones: ``out_indices``/``dilations``/``frozen_stages``
# count stages, and stage k has the nominal stride of GhostNet level k + 1.
RESNET_FAMILY = ('ResNet', 'ResNetV1c', 'ResNetV1d', 'ResNeXt', 'Res2Net',
                 'ResNeSt', 'RegNet')
# Settings whose meaning GhostNet shares, carried over as they are.
SHARED_SETTINGS = ('norm_cfg', 'norm_eval', 'with_cp')
BATCH_NORMS = ('BN', 'BN2d', 'SyncBN', 'MMSyncBN', 'NaiveSyncBN')
# What GhostNet's ImageNet weights were trained on (RGB, ImageNet mean/std).
IMAGENET_PREPROCESSING = dict(mean=[123.675, 116.28, 103.53],
                              std=[58.395, 57.12, 57.375], bgr_to_rgb=True)
INPUT_CHANNEL_KEYS = ('in_channels', 'c1_in_channels')
PROBE_SIZE = 256
CHECK_SIZE = dict(mmdet=320, mmseg=512)  # SSD needs ~300 px, LR-ASPP pools 49x49 at stride 8
AUTO = 'auto'


class SwapError(ValueError):
    """The config cannot be given a GhostNet backbone without breaking it."""


class SwapResult(NamedTuple):
    cfg: Config  # the swapped config, loaded
    diff: dict  # what the written file sets on top of the source
    notes: list  # what was changed or dropped, in words
    text: str  # the config file's text


def default_pretrained(widen_factor, version='v1'):
    """``checkpoints/ghostnet{v}_{w}x.pth`` (``ghostnet_1.0x.pth``,
    ``ghostnetv2_1.0x.pth``...), the names the shipped configs use."""
    width = f'{widen_factor:.1f}' if round(widen_factor, 1) == widen_factor else f'{widen_factor:g}'
    name = 'ghostnet' if version == 'v1' else f'ghostnet{version}'
    return f'checkpoints/{name}_{width}x.pth'


def _scope_registry(cfg, src):
    try:
        return scope_models(cfg.get('default_scope'))
    except ValueError as e:
        raise SwapError(f'{src}: {e}') from e


def _nested_backbone_keys(node, path):
    """Paths of keys that hold another backbone (composite models)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f'{path}.{key}'
            if 'backbone' in key and isinstance(value, dict):
                found.append(here)
            found += _nested_backbone_keys(value, here)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            found += _nested_backbone_keys(value, f'{path}[{i}]')
    return found


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


def _ghostnet_layout(channels, strides, dilations, src, old_type):
    """GhostNet ``out_indices``, ``strides`` and ``dilations`` giving the old
    backbone's outputs at the same strides."""
    levels, ratio_at = [], {}
    for i, (stride, dilation) in enumerate(zip(strides, dilations)):
        nominal = stride * dilation
        level = round(math.log2(nominal)) - 1
        if not 0 <= level <= 4:
            raise SwapError(
                f'{src}: output {i} of {old_type!r} is at stride {nominal}; '
                f'GhostNet levels have strides 2, 4, 8, 16 and 32')
        if levels and level <= levels[-1]:
            raise SwapError(
                f'{src}: outputs of {old_type!r} have strides {strides} (dilations '
                f'{dilations}); GhostNet gives one output per stride, in increasing '
                f'order, so the heads that read these outputs cannot be served')
        levels.append(level)
        ratio_at[level] = dilation
    # dilation per level 0-4: each level either keeps the previous dilation
    # (stride 2) or doubles it (stride 1); unknown levels dilate as late as possible
    ratios, previous = [], 1
    for level in range(5):
        later = [(lvl, r) for lvl, r in ratio_at.items() if lvl >= level]
        if level in ratio_at:
            ratio = ratio_at[level]
        elif later:
            lvl, r = min(later)
            ratio = max(previous, r // 2 ** (lvl - level))
        else:
            ratio = previous
        if ratio not in (previous, 2 * previous):
            raise SwapError(
                f'{src}: {old_type!r} dilates by {ratio} after {previous} at level '
                f'{level}; GhostNet can only turn one stride-2 step into dilation 2 per level')
        ratios.append(ratio)
        previous = ratio
    strides_out, previous = [], 1
    for ratio in ratios:
        strides_out.append(2 if ratio == previous else 1)
        previous = ratio
    return tuple(levels), tuple(strides_out), tuple(ratios)


def _remap_channels(value, old, new, where):
    """``value`` (an int or list of old output channels) in GhostNet's channels."""
    if isinstance(value, (list, tuple)):  # the same type: mmseg's JPU wants a tuple
        if list(value) == list(old):
            return type(value)(new)
        return type(value)(_remap_channels(v, old, new, where) for v in value)
    matches = [i for i, c in enumerate(old) if c == value]
    if len(matches) != 1:
        raise SwapError(
            f'{where}={value!r} is not the channels of exactly one output of the '
            f'old backbone (its outputs have {list(old)}); cannot tell which '
            f'GhostNet level it should read')
    return new[matches[0]]


def _remap_head(head, old, new, where):
    """The ``in_channels``-like keys of one consumer of the backbone, remapped."""
    diff = {}
    in_index = head.get('in_index')
    for key in INPUT_CHANNEL_KEYS:
        if key not in head:
            continue
        value = head[key]
        if key == 'in_channels' and in_index is not None:
            # mmseg heads say which outputs they read
            indices = [in_index] if isinstance(in_index, int) else list(in_index)
            if max(indices) >= len(old):
                raise SwapError(f'{where}.in_index={in_index!r} but the old backbone '
                                f'has {len(old)} outputs')
            expected = [old[i] for i in indices]
            given = [value] if isinstance(value, int) else list(value)
            if given != expected:
                raise SwapError(f'{where}.in_channels={value!r} does not match the old '
                                f'backbone outputs {in_index!r} ({expected})')
            mapped = [new[i] for i in indices]
            diff[key] = mapped[0] if isinstance(value, int) else type(value)(mapped)
        else:
            diff[key] = _remap_channels(value, old, new, f'{where}.{key}')
    return diff


def _remap_roi_head(roi_head, old, new, where):
    """A two-stage RoI head fed by the backbone directly (no neck): its
    extractors' ``out_channels`` and its heads' ``in_channels``."""
    diff = {}
    for key, part in roi_head.items():
        if not isinstance(part, dict):
            continue
        if key.endswith('roi_extractor') and 'out_channels' in part:
            diff[key] = dict(out_channels=_remap_channels(
                part['out_channels'], old, new, f'{where}.{key}.out_channels'))
        elif key.endswith('head') and 'in_channels' in part:
            diff[key] = dict(in_channels=_remap_channels(
                part['in_channels'], old, new, f'{where}.{key}.in_channels'))
    return diff


def _pass_through_diffs(model, new_in):
    """Necks that hand their inputs on unchanged (SSD's: ``out_channels``
    starts with ``in_channels``) and the heads reading those outputs."""
    neck = model['neck']
    old_in, old_out = neck.get('in_channels'), neck.get('out_channels')
    if not isinstance(old_out, (list, tuple)) or not isinstance(old_in, (list, tuple)) \
            or list(old_out[:len(old_in)]) != list(old_in):
        return {}
    new_out = list(new_in) + list(old_out[len(old_in):])
    diffs = {'neck': dict(in_channels=list(new_in), out_channels=new_out)}
    for key, head in model.items():
        if key.endswith('head') and isinstance(head, dict) \
                and list(head.get('in_channels') or []) == list(old_out):
            diffs[key] = dict(in_channels=new_out)
    return diffs


def _consumer_diffs(model, old, new, src):
    """``model`` diff entries for whatever reads the backbone's outputs."""
    if model.get('neck'):
        neck = model['neck']
        if isinstance(neck, dict):
            diffs = {'neck': _remap_head(neck, old, new, f'{src}: model.neck')}
            diffs.update(_pass_through_diffs(model, diffs['neck'].get('in_channels')))
            return diffs
        first = _remap_head(neck[0], old, new, f'{src}: model.neck[0]')
        necks = [copy.deepcopy(n) for n in neck]
        necks[0].update(first)
        return {'neck': necks}
    diffs = {}
    for key, head in model.items():
        if not key.endswith('head') or not head:
            continue
        if isinstance(head, dict):
            if any(k in head for k in INPUT_CHANNEL_KEYS):
                diffs[key] = _remap_head(head, old, new, f'{src}: model.{key}')
            elif key == 'roi_head':  # e.g. DC5: RoI features cut from the backbone
                diffs[key] = _remap_roi_head(head, old, new, f'{src}: model.{key}')
        else:  # a cascade of heads (mmseg CascadeEncoderDecoder): all read the backbone
            heads = [copy.deepcopy(h) for h in head]
            for i, h in enumerate(heads):
                h.update(_remap_head(h, old, new, f'{src}: model.{key}[{i}]'))
            diffs[key] = heads
    if not diffs:
        raise SwapError(f'{src}: found no neck or head with in_channels reading the backbone')
    return diffs


def _one_line(value):
    if isinstance(value, dict):
        return 'dict(' + ', '.join(f'{k}={_one_line(v)}' for k, v in value.items()) + ')'
    if isinstance(value, list):
        return '[' + ', '.join(_one_line(v) for v in value) + ']'
    if isinstance(value, tuple):
        inner = ', '.join(_one_line(v) for v in value)
        return f'({inner},)' if len(value) == 1 else f'({inner})'
    return repr(value)


def _format(value, indent=0, column=0, width=79):
    """Python source for a config value, mmengine style (``dict(key=...)``):
    on one line when it fits, else one entry per line, indented by 4."""
    flat = _one_line(value)
    if column + len(flat) <= width - 2 or not isinstance(value, (dict, list)):
        return flat
    pad = ' ' * (indent + 4)
    if isinstance(value, dict):
        items = [pad + f'{k}=' + _format(v, indent + 4, indent + 5 + len(k))
                 for k, v in value.items()]
        return 'dict(\n' + ',\n'.join(items) + ')'
    return '[\n' + ',\n'.join(pad + _format(v, indent + 4, indent + 4) for v in value) + ']'


def _render(base, diff, header):
    lines = ['# ' + wrapped for line in header
             for wrapped in textwrap.wrap(line, 77, subsequent_indent='  ')]
    lines += ['', f'_base_ = {base!r}', '']
    for key, value in diff.items():
        lines.append(f'{key} = {_format(value, 0, len(key) + 3)}')
    return '\n'.join(lines) + '\n'


def _is_packaged(src):
    return '::' in src


def swap_backbone(src, widen_factor=1.0, pretrained=AUTO, version='v1'):
    """A GhostNet version of the mmdet/mmseg config ``src``.

    Args:
        src (str): a config file, or a packaged one such as
            ``'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'``.
        widen_factor (float): GhostNet width (1.0 has public ImageNet weights).
        pretrained (str | None): ImageNet GhostNet weights for the backbone;
            ``'auto'`` (default) means ``checkpoints/ghostnet{v}_{w}x.pth``,
            ``None`` trains from scratch.
        version (str): GhostNet ``'v1'``, ``'v2'`` or ``'v3'``.

    Returns:
        SwapResult: the loaded config, the diff, notes and the file text
        (with ``_base_`` as an absolute path; see :func:`write_swapped_config`).

    Raises:
        SwapError: the config cannot be mapped (composite backbones, heads that
            run part of the old backbone, outputs GhostNet does not have).
    """
    return _swap(src, widen_factor, pretrained, version, base=loadable_name(src))


def loadable_name(src):
    """How the written config names ``src``: a file as an absolute path; a
    packaged config by its ``mmdet::``/``mmseg::`` name, unless mmengine
    cannot parse that name (e.g. ``mmdet::gn+ws/...``): then the installed file."""
    if not _is_packaged(src):
        return osp.abspath(src)
    if re.fullmatch(r'\w+::[\w/.-]+', src):
        return src
    import importlib
    scope, path = src.split('::', 1)
    try:
        root = osp.dirname(importlib.import_module(scope).__file__)
    except ImportError as e:
        raise SwapError(f'{src}: package {scope!r} is not installed') from e
    return osp.join(root, '.mim', 'configs', path)


def _swap(src, widen_factor, pretrained, version, base):
    if not _is_packaged(src) and not osp.isfile(src):
        raise SwapError(f'config {src!r} does not exist (give a file, or a packaged '
                        f'config such as mmdet::retinanet/retinanet_r50_fpn_1x_coco.py)')
    # validates the width and version with their own messages
    GhostNet(widen_factor=widen_factor, version=version)
    try:  # one way for files and packaged configs
        source = Config.fromstring(f'_base_ = {loadable_name(src)!r}\n', '.py')
    except Exception as e:
        raise SwapError(f'cannot load config {src!r}: {e}') from e
    model = source.get('model')
    if model and not model.get('backbone') and (model.get('detector') or {}).get('backbone'):
        raise SwapError(f'{src}: a {model.get("type")} model wraps a detector (tracking, video '
                        f'or semi-supervised): its backbone is inside model.detector, which '
                        f'the tool does not rewrite; swap the detector\'s own config and use '
                        f'it there')
    if not model or not model.get('backbone'):
        raise SwapError(f'{src}: has no model.backbone to replace')
    old_backbone = model['backbone'].to_dict() if hasattr(model['backbone'], 'to_dict') \
        else dict(model['backbone'])
    old_type = old_backbone.get('type')
    if old_type in ('GhostNet', 'ghost_mm.GhostNet'):
        raise SwapError(f'{src}: the backbone is already GhostNet')
    composite = _nested_backbone_keys(old_backbone, 'model.backbone') + [
        p for key, value in model.items() if key != 'backbone'
        for p in _nested_backbone_keys(value, f'model.{key}')]
    if composite:
        raise SwapError(
            f'{src}: {", ".join(composite)} holds another backbone inside the model '
            f'(a composite such as ICNet, BiSeNet or DetectoRS); swapping only the '
            f'outer one would leave it broken')

    for key, head in model.items():
        if key.endswith('head') and isinstance(head, dict) and head.get('shared_head'):
            raise SwapError(
                f'{src}: model.{key}.shared_head is {head["shared_head"].get("type")!r} '
                f'(a stage of the old backbone run inside the head); the head '
                f'depends on that backbone')
    registry = _scope_registry(source, src)
    old_channels, strides, dilations = _probe(registry, old_backbone, src)
    # Dilated backbones: how far each output's stride was cut. With
    # ``strides``/``dilations`` settings, their undilated twin says; else the
    # dilation the output was computed with (mmseg's MobileNetV3 dilates inside).
    undilated = _undilated(registry, old_backbone)
    if undilated is not None:
        nominal = _probe(registry, undilated, src)[1]
        dilations = [n // s for n, s in zip(nominal, strides)]
    out_indices, gn_strides, gn_dilations = _ghostnet_layout(
        old_channels, strides, dilations, src, old_type)
    new_channels = list(level_channels(widen_factor, out_indices))

    backbone = dict(_delete_=True, type='GhostNet', widen_factor=widen_factor,
                    out_indices=out_indices)
    if version != 'v1':
        backbone['version'] = version
    title = f'GhostNet{"" if version == "v1" else version.upper()} {widen_factor}x'
    if any(d > 1 for d in gn_dilations):
        backbone.update(strides=gn_strides, dilations=gn_dilations)
    notes = [f'{old_type} outputs (channels {old_channels}, strides {strides}) '
             f'-> {title} levels {list(out_indices)} '
             f'(channels {new_channels})']
    for key in SHARED_SETTINGS:
        if key in old_backbone:
            backbone[key] = old_backbone[key]
    norm_type = (old_backbone.get('norm_cfg') or {}).get('type')
    if norm_type is not None and norm_type not in BATCH_NORMS:
        backbone.pop('norm_cfg')  # e.g. a transformer's LN: GhostNet is built for BN
        notes.append(f'norm_cfg {norm_type} of {old_type} not carried over; GhostNet uses BN')
    frozen = old_backbone.get('frozen_stages', -1)
    if old_type in RESNET_FAMILY:
        # ResNet stage k-1 and GhostNet level k have the same stride
        if frozen >= 0:
            backbone['frozen_stages'] = frozen
    elif frozen not in (-1, None):
        notes.append(f'frozen_stages={frozen} of {old_type} not carried over '
                     f'(its stages are not GhostNet levels); nothing is frozen')
    if pretrained == AUTO:
        pretrained = default_pretrained(widen_factor, version)
    if pretrained:
        backbone['init_cfg'] = dict(type='Pretrained', checkpoint=pretrained)
    else:  # from scratch: every level learns, and BN learns its statistics
        for key, value in (('frozen_stages', -1), ('norm_eval', False)):
            if backbone.get(key, value) != value:
                notes.append(f'{key}={backbone[key]!r} of {old_type} set to {value!r}: '
                             f'no ImageNet weights to keep')
            backbone[key] = value
    old_weights = (old_backbone.get('init_cfg') or {}).get('checkpoint')
    if old_weights:
        notes.append(f'{old_type} weights {old_weights} replaced by '
                     f'{pretrained or "random init"}')
    dropped = sorted(k for k in old_backbone if k not in backbone and k != 'type'
                     and k not in ('out_indices', 'frozen_stages', 'strides', 'dilations',
                                   'init_cfg', 'pretrained'))
    if dropped:
        notes.append(f'dropped {old_type} settings GhostNet has no use for: '
                     + ', '.join(dropped))

    model_diff = dict(backbone=backbone)
    if model.get('pretrained'):
        model_diff['pretrained'] = None  # mmseg hands this to the backbone
        notes.append(f'model.pretrained={model["pretrained"]!r} removed')
    model_diff.update(_consumer_diffs(model, old_channels, new_channels, src))
    if (model.get('bbox_head') or {}).get('type') in ('SSDHead', 'mmdet.SSDHead'):
        model_diff.setdefault('bbox_head', {})['type'] = 'SSDHeadFixed'
        notes.append('bbox_head SSDHead -> SSDHeadFixed: the same head, whose predict '
                     'runs on mmdet 3.3 (ghost_mm/models/ssd_head.py)')
    if model.get('data_preprocessor'):
        model_diff['data_preprocessor'] = dict(IMAGENET_PREPROCESSING)

    diff = {}
    imports = (source.get('custom_imports') or {}).get('imports', [])
    imports = [imports] if isinstance(imports, str) else list(imports)  # a str is one module
    diff['custom_imports'] = dict(imports=imports + ['ghost_mm'] * ('ghost_mm' not in imports),
                                  allow_failed_imports=False)
    diff['model'] = model_diff
    header = [f'{src} with a {title} backbone '
              f'(written by tools/swap_backbone.py).'] + notes
    if pretrained:
        header.append(f'ImageNet weights: {pretrained} (tools/convert_checkpoint.py '
                      f'makes it from an official or timm checkpoint).')
    else:
        header.append('No ImageNet weights: the backbone starts from random init.')
    cfg = Config.fromstring(_render(loadable_name(src), diff, header), '.py')
    unchecked = _check_runs(cfg, registry, src, model)
    if unchecked:
        notes.append(unchecked)
        header.append(unchecked)
    return SwapResult(cfg, diff, notes, _render(base, diff, header))


def _demo_batch(cfg, size):
    """Two blank images with one box (and mask, for models with a mask
    head) or an all-background label map each: enough to run every loss."""
    if cfg.default_scope == 'mmdet':
        from mmdet.testing import demo_mm_inputs
        return demo_mm_inputs(batch_size=2, image_shapes=[(3, size, size)] * 2,
                              num_items=[1, 1], num_classes=2,
                              with_mask='mask' in str(cfg.model).lower())
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    samples = []
    for _ in range(2):
        sample = SegDataSample(metainfo=dict(
            img_shape=(size, size), ori_shape=(size, size), pad_shape=(size, size)))
        sample.gt_sem_seg = PixelData(data=torch.zeros(1, size, size, dtype=torch.long))
        samples.append(sample)
    return dict(inputs=[torch.zeros(3, size, size, dtype=torch.uint8)] * 2,
                data_samples=samples)


def runner_message_hub(cfg):
    """A fresh MessageHub holding what the Runner's loops set before the
    first step (heads such as TOOD's read the epoch, YOLOX's the iteration),
    made the current instance: the check does not depend on, or leak into,
    state left by whatever ran before in the process."""
    hub = MessageHub.get_instance(f'ghost_mm-swap-check-{uuid.uuid4().hex}')
    train_cfg = cfg.get('train_cfg') or {}
    for key, value in (('epoch', 0), ('iter', 0), ('max_epochs', train_cfg.get('max_epochs')),
                       ('max_iters', train_cfg.get('max_iters'))):
        if value is not None:
            hub.update_info(key, value)
    return hub


# import names whose pip package is named otherwise
PIP_NAMES = {'sklearn': 'scikit-learn', 'cv2': 'opencv-python', 'PIL': 'Pillow',
             'skimage': 'scikit-image'}


def _loss_check(model_cfg, registry, cfg):
    """Build ``model_cfg`` (no weights) and compute its training losses on a tiny batch."""
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg['backbone'].pop('init_cfg', None)
    model_cfg.pop('pretrained', None)
    data = _demo_batch(cfg, CHECK_SIZE[cfg.default_scope])
    runner_message_hub(cfg)
    model = revert_sync_batchnorm(registry.build(model_cfg))
    with torch.no_grad():
        data = model.data_preprocessor(data, True)
        model(**data, mode='loss')


def _missing_package(error):
    """The package an error says is not installed (mmdet's PAA raises
    ImportError, BoxInst a RuntimeError saying "pip install ..."), or None."""
    named = re.search(r'pip install ([A-Za-z][\w-]*(?:\.[\w-]+)*)', str(error))
    if isinstance(error, ImportError):
        return (error.name or (named.group(1) if named else str(error))).split('.')[0]
    if named and 'not installed' in str(error):
        return named.group(1)
    return None


def _check_runs(cfg, registry, src, original_model):
    """Build the swapped model and compute its training losses on a tiny
    batch, so that a config with a part that still expects the old backbone
    (e.g. mmseg's JPU hands backbone outputs on to the heads) is refused.
    When the check cannot tell (an optional package is missing, or the
    original config does not run here either, e.g. a CUDA-only op), the swap
    stands and a note says so; returns that note, else None."""
    try:
        _loss_check(cfg.model, registry, cfg)
        return None
    except Exception as e:
        error = e
    package = _missing_package(error)
    if package:
        note = (f'NOT CHECKED: the model needs the package {package!r}, which is not '
                f'installed (pip install {PIP_NAMES.get(package, package)}); the swapped '
                f'config was written without its loss check')
    else:
        try:
            _loss_check(original_model, registry, cfg)
        except Exception as original:  # not the swap's doing
            note = (f'NOT CHECKED: the original config does not run here either '
                    f'({type(original).__name__}: {first_line(original)}); the swapped '
                    f'config was written without its loss check')
        else:
            raise SwapError(f'{src}: with GhostNet in place the model does not run '
                            f'({type(error).__name__}: {first_line(error)}); the original '
                            f'backbone runs, so some part of it still expects the old '
                            f'backbone') from error
    warnings.warn(f'{src}: {note}')
    return note


def first_line(error):
    """An exception's message, its first line (300 characters at most)."""
    text = str(error).strip().splitlines()
    return text[0][:300] if text else '(no message)'


def write_swapped_config(src, dst, widen_factor=1.0, pretrained=AUTO, version='v1'):
    """Write the GhostNet version of ``src`` to ``dst`` (``_base_`` relative to
    ``dst`` for files, so the two can move together) and return its
    :class:`SwapResult`. Nothing is written when the swap fails."""
    if _is_packaged(src):
        base = loadable_name(src)
    else:
        base = osp.relpath(osp.abspath(src), osp.dirname(osp.abspath(dst)))
    result = _swap(src, widen_factor, pretrained, version, base)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    with open(dst, 'w') as f:
        f.write(result.text)
    return result._replace(cfg=Config.fromfile(dst))
