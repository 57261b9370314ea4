"""GhostNet weight files in the official/timm layout: read any public format,
detect the version (keys) and width (shapes), check against a backbone, load.

Official (huawei-noah) and timm GhostNet V1/V2/V3 checkpoints share their key
names with :class:`~ghost_mm.models.GhostNet` (official V3 files name their
branch norms ``bn`` where timm says ``bn1``: renamed as timm does); a file
only needs unwrapping, dropping the classifier and the
``total_ops``/``total_params`` counters some official files carry, and a
shape check. Depends on the architecture table, never on the backbone class.
"""
import os

import numpy as np
import torch

from ..models.arch import (FINAL_CHANNELS, GHOSTNET_V1_GROUPS, STEM_CHANNELS, make_divisible,
                           se_channels)
from .safe_load import (CheckpointError, load_weights_file, runner_checkpoint_globals,
                        unwrap_state_dict)

# ImageNet classifier of the official/timm models; not part of the backbone.
CLASSIFIER_PREFIXES = ('conv_head.', 'classifier.')
# Counters left on every module by the `thop` profiler in some official files.
PROFILER_SUFFIXES = ('total_ops', 'total_params')
PREFERRED_WIDTHS = (1.0, 1.3, 1.1, 0.5, 1.5, 0.75, 2.0)
WIDTH_GRID = tuple(round(0.05 * i, 2) for i in range(2, 61))


def read_state_dict(path):
    """(format, tensors) of a GhostNet weights file in the official/timm
    layout: PyTorch files (official, timm, ghost_mm, runner checkpoints) under
    ``weights_only`` and the runner allow-list; PaddleClas ``.pdparams`` and
    MindCV ``.ckpt`` files read and mapped by :mod:`ghost_mm.weights.foreign` (the
    format is found from the file's first bytes)."""
    from .foreign import PYTORCH, ForeignWeightsError, read_foreign, sniff_format
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    try:
        kind = sniff_format(path)
        if kind == PYTORCH:
            with runner_checkpoint_globals():  # runner files: only the runner's own types
                return kind, unwrap_state_dict(load_weights_file(path), path)
        kind, arrays = read_foreign(path, GHOSTNET_V1_GROUPS, se_channels)
    except ForeignWeightsError as err:
        raise CheckpointError(str(err)) from None
    return kind, {key: torch.from_numpy(np.ascontiguousarray(value))
                  for key, value in arrays.items()}


def under_prefix(state_dict, prefix):
    """The tensors whose keys start with ``prefix`` (e.g. ``'backbone.'`` of a
    whole mm model), keys without it; empty when no key has it."""
    return {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}


def strip_to_backbone(state_dict):
    """Drop the ImageNet classifier and profiler counters."""
    return {k: v for k, v in state_dict.items()
            if not k.startswith(CLASSIFIER_PREFIXES) and not k.endswith(PROFILER_SUFFIXES)}


def detect_version(state_dict):
    """``'v3'`` (re-param branches), ``'v2'`` (DFC attention) or ``'v1'``, from the keys."""
    if any(k.endswith(('conv_dw.bias', 'primary_conv.0.bias')) for k in state_dict):
        raise CheckpointError(
            'this is an inference-form checkpoint (re-parameterised GhostNetV3 or '
            'BN folded into the convs: its convs have biases). Use the training-form '
            'file (BN layers kept; for V3 keys like ...primary_rpr_conv.0.conv.weight); '
            'ghost_mm merges and folds for deployment itself (ghost_mm.deploy).')
    if any('_rpr_' in k for k in state_dict):
        return 'v3'
    if any('.short_conv.' in k for k in state_dict):
        return 'v2'
    return 'v1'


def _channel_signature(widen_factor):
    """(stem, (in, mid) per block, final) channels of GhostNet at this width."""
    stem = make_divisible(STEM_CHANNELS * widen_factor, 4)
    blocks, in_channels = [], stem
    for group in GHOSTNET_V1_GROUPS:
        for _, expand, out, _, _ in group:
            blocks.append((in_channels, make_divisible(expand * widen_factor, 4)))
            in_channels = make_divisible(out * widen_factor, 4)
    return stem, tuple(blocks), make_divisible(FINAL_CHANNELS * widen_factor, 4)


def _checkpoint_signature(state_dict, version='v1'):
    primary = 'primary_rpr_conv.0.conv.weight' if version == 'v3' else 'primary_conv.0.weight'
    try:
        stem = state_dict['conv_stem.weight'].shape[0]
        blocks = []
        for g, group in enumerate(GHOSTNET_V1_GROUPS):
            for b in range(len(group)):
                prefix = f'blocks.{g}.{b}.'
                blocks.append((state_dict[f'{prefix}ghost1.{primary}'].shape[1],
                               state_dict[f'{prefix}ghost2.{primary}'].shape[1]))
        final = state_dict[f'blocks.{len(GHOSTNET_V1_GROUPS)}.0.conv.weight'].shape[0]
    except KeyError as err:
        sample = ', '.join(sorted(state_dict)[:5])
        raise CheckpointError(
            f'not a GhostNet ({version}) checkpoint: key {err.args[0]!r} is missing '
            f'(its first keys are: {sample}). Expected the official/timm '
            f'layout: conv_stem.weight, bn1.*, blocks.G.B.ghost1.{primary}, ...'
        ) from None
    return stem, tuple(blocks), final


def detect_widen_factor(state_dict):
    """The ``widen_factor`` whose channel widths match the checkpoint's."""
    found = _checkpoint_signature(state_dict, detect_version(state_dict))
    for width in PREFERRED_WIDTHS + WIDTH_GRID:
        if _channel_signature(width) == found:
            return width
    raise CheckpointError(
        f'the checkpoint\'s widths (stem {found[0]}, final {found[2]} channels) '
        f'match no GhostNet widen_factor in {WIDTH_GRID[0]}..{WIDTH_GRID[-1]}')


def check_backbone_state_dict(state_dict, backbone, source='checkpoint'):
    """Raise :class:`CheckpointError` unless ``state_dict`` fills ``backbone``
    exactly: no missing or unexpected keys, every shape equal."""
    expected = backbone.state_dict()
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    wrong = [f'{k}: checkpoint {tuple(state_dict[k].shape)} vs model '
             f'{tuple(expected[k].shape)}'
             for k in expected if k in state_dict and state_dict[k].shape != expected[k].shape]
    if not (missing or unexpected or wrong):
        return
    version = backbone.version
    lines = [f'{source} does not fit GhostNet(version={version!r}, '
             f'widen_factor={backbone.widen_factor}):']
    try:
        found = detect_version(state_dict)
        if found != version:
            lines.append(f'  it is a GhostNet {found} checkpoint: set version={found!r} '
                         'or use a checkpoint of the configured version')
        width = detect_widen_factor(state_dict)
        if width != backbone.widen_factor:
            lines.append(f'  it is a {width}x GhostNet: set widen_factor={width} '
                         'or use a checkpoint of the configured width')
    except CheckpointError as err:
        lines.append(f'  {err}')
    for title, items in (('missing keys', missing), ('unexpected keys', unexpected),
                         ('shape mismatches', wrong)):
        if items:
            shown = ', '.join(items[:5]) + (f' ... ({len(items)} in all)' if len(items) > 5 else '')
            lines.append(f'  {title}: {shown}')
    raise CheckpointError('\n'.join(lines))


def fill_batch_counters(state_dict, backbone):
    # files saved before PyTorch 0.4.1 have no BN batch counter
    for key, value in backbone.state_dict().items():
        if key.endswith('num_batches_tracked') and key not in state_dict:
            state_dict[key] = torch.zeros_like(value)
    return state_dict


def load_pretrained_backbone(backbone, path, prefix=None):
    """Fill ``backbone`` from ``path`` exactly, or raise a clear error.

    ``path`` may be a converted file, an official/timm ImageNet file, or (with
    ``prefix``, e.g. ``'backbone.'``) a whole detector/segmentor checkpoint
    written by the runner.
    """
    _, state_dict = read_state_dict(path)
    if prefix:
        state_dict = under_prefix(state_dict, prefix)
        if not state_dict:
            raise CheckpointError(f'{path}: no key starts with prefix {prefix!r}')
    else:
        state_dict = strip_to_backbone(state_dict)
    fill_batch_counters(state_dict, backbone)
    check_backbone_state_dict(state_dict, backbone, source=path)
    backbone.load_state_dict(state_dict)
