"""Remapping what reads the backbone: every ``in_channels`` of the neck (or
of the heads when there is no neck) from the old backbone's channels to
GhostNet's, and the rest of the ``model`` diff (the ImageNet pre-processing,
the heads GhostNet needs in place of mmdet's)."""
import copy

from .errors import SwapError

# What GhostNet's ImageNet weights were trained on (RGB, ImageNet mean/std).
IMAGENET_PREPROCESSING = dict(mean=[123.675, 116.28, 103.53],
                              std=[58.395, 57.12, 57.375], bgr_to_rgb=True)
INPUT_CHANNEL_KEYS = ('in_channels', 'c1_in_channels')


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


def _model_diff(model, backbone, old_channels, new_channels, src, notes):
    """What the written config sets in ``model``: GhostNet's ``backbone``
    entry, the remapped consumers of its outputs, and the rest; what was
    changed is appended to ``notes``."""
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
    return model_diff
