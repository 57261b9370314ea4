"""GhostNet's side of the swap: which GhostNet levels (with which strides and
dilations) give the old backbone's outputs, and the ``model.backbone`` entry
that builds them, carrying over the old backbone's settings GhostNet shares."""
import math

from .errors import SwapError

# ResNet-style backbones: ``out_indices``/``dilations``/``frozen_stages``
# count stages, and stage k has the nominal stride of GhostNet level k + 1.
RESNET_FAMILY = ('ResNet', 'ResNetV1c', 'ResNetV1d', 'ResNeXt', 'Res2Net',
                 'ResNeSt', 'RegNet')
# Settings whose meaning GhostNet shares, carried over as they are.
SHARED_SETTINGS = ('norm_cfg', 'norm_eval', 'with_cp')
BATCH_NORMS = ('BN', 'BN2d', 'SyncBN', 'MMSyncBN', 'NaiveSyncBN')
AUTO = 'auto'


def default_pretrained(widen_factor, version='v1'):
    """``checkpoints/ghostnet{v}_{w}x.pth`` (``ghostnet_1.0x.pth``,
    ``ghostnetv2_1.0x.pth``...), the names the shipped configs use."""
    width = f'{widen_factor:.1f}' if round(widen_factor, 1) == widen_factor else f'{widen_factor:g}'
    name = 'ghostnet' if version == 'v1' else f'ghostnet{version}'
    return f'checkpoints/{name}_{width}x.pth'


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


def _ghostnet_backbone(old_backbone, layout, widen_factor, version, pretrained, notes):
    """GhostNet's ``model.backbone`` entry (``_delete_``: nothing of the old
    one is inherited) for ``layout`` (what :func:`_ghostnet_layout` returns),
    with the old backbone's shared settings carried over; what was changed or
    dropped is appended to ``notes``. Returns the entry and the ImageNet
    weights (``pretrained`` with ``AUTO`` resolved)."""
    out_indices, gn_strides, gn_dilations = layout
    old_type = old_backbone.get('type')
    backbone = dict(_delete_=True, type='GhostNet', widen_factor=widen_factor,
                    out_indices=out_indices)
    if version != 'v1':
        backbone['version'] = version
    if any(d > 1 for d in gn_dilations):
        backbone.update(strides=gn_strides, dilations=gn_dilations)
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
    return backbone, pretrained
