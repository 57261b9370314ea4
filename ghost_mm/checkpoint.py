"""Checkpoints: the ImageNet weights users own, and the ones the runner writes.

* Official (huawei-noah) and timm GhostNet V1/V2/V3 checkpoints share their
  key names with :class:`~ghost_mm.models.GhostNet` (official V3 files name
  their branch norms ``bn`` where timm says ``bn1``: renamed as timm does);
  converting one only unwraps it, drops the classifier and the
  ``total_ops``/``total_params`` counters some official files carry, detects
  the version from the keys and the width from the tensor shapes, and checks
  every shape against the backbone built at that version and width.
* Foreign files are always read with ``torch.load(weights_only=True)``.
* Checkpoints written by mmengine's runner hold ``HistoryBuffer`` objects and
  numpy arrays, which ``weights_only=True`` (torch >= 2.6 default) refuses.
  :func:`runner_checkpoint_globals` allow-lists exactly those types for the
  duration of a ``with`` block, so ``--resume``/``load_from``/``test`` work
  while ``weights_only`` stays on.
"""
import contextlib
import os
import pickle

import numpy as np
import torch

from .models.ghostnet import FINAL_CHANNELS, STEM_CHANNELS, VERSIONS, GhostNet
from .models.layers import SqueezeExcite, make_divisible

# ImageNet classifier of the official/timm models; not part of the backbone.
CLASSIFIER_PREFIXES = ('conv_head.', 'classifier.')
# Counters left on every module by the `thop` profiler in some official files.
PROFILER_SUFFIXES = ('total_ops', 'total_params')
WRAPPER_KEYS = ('state_dict', 'model', 'state_dict_ema', 'model_ema')
PREFERRED_WIDTHS = (1.0, 1.3, 1.1, 0.5, 1.5, 0.75, 2.0)
WIDTH_GRID = tuple(round(0.05 * i, 2) for i in range(2, 61))


class CheckpointError(ValueError):
    """A checkpoint that cannot be used as asked; the message says why."""


def _numpy_safe_globals():
    core = getattr(np, '_core', None) or np.core
    dtype_classes = {type(np.dtype(t)) for t in (
        np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
        np.uint32, np.uint64, np.float16, np.float32, np.float64)}
    return [core.multiarray._reconstruct, core.multiarray.scalar, np.ndarray,
            np.dtype, *sorted(dtype_classes, key=lambda c: c.__name__)]


def _history_buffer_getattr(obj, name):
    """Stands in for ``builtins.getattr`` while loading runner checkpoints.

    A pickled ``HistoryBuffer`` refers to its statistic methods as
    ``getattr(HistoryBuffer, 'min')``; allow exactly that, not getattr in general.
    """
    from mmengine.logging import HistoryBuffer

    # the built-in four are registered only when a first buffer is made
    allowed = {'min', 'max', 'mean', 'current', *HistoryBuffer._statistics_methods}
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'refused getattr({type(obj).__name__}, {name!r}) in a checkpoint: only '
        'HistoryBuffer statistic methods are allowed')


def runner_checkpoint_safe_types():
    """The non-tensor types mmengine's runner puts in its checkpoints."""
    from mmengine.logging import HistoryBuffer
    return [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr'),
            *_numpy_safe_globals()]


@contextlib.contextmanager
def runner_checkpoint_globals():
    """Let ``torch.load(weights_only=True)`` read runner checkpoints.

    Only the data types the runner writes are allowed (``HistoryBuffer`` and
    its statistic methods, numpy arrays, scalars and dtypes); ``weights_only``
    itself stays on, so a file that pickles anything else is still refused.
    """
    safe_globals = getattr(torch.serialization, 'safe_globals', None)
    if safe_globals is None:  # torch < 2.5 does not restrict torch.load
        yield
        return
    with safe_globals(runner_checkpoint_safe_types()):
        yield


def load_weights_file(path):
    """``torch.load(path, weights_only=True)`` with a person-readable error."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f'{path} is not a plain weights file: torch.load(weights_only=True) '
            f'refused it ({str(err).splitlines()[0]}). Only checkpoints holding '
            'tensors (official/timm GhostNet .pth/.pth.tar files, a converted '
            'ghost_mm file, or a checkpoint written by the mm runner) are read.'
        ) from err
    except (RuntimeError, EOFError) as err:
        raise CheckpointError(f'{path} could not be read as a PyTorch checkpoint '
                              f'(truncated or corrupt?): {err}') from err


def read_state_dict(path):
    """(format, tensors) of a GhostNet weights file in the official/timm
    layout: PyTorch files (official, timm, ghost_mm, runner checkpoints) under
    ``weights_only`` and the runner allow-list; PaddleClas ``.pdparams`` and
    MindCV ``.ckpt`` files read and mapped by :mod:`ghost_mm.foreign` (the
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
        kind, arrays = read_foreign(path, GhostNet.arch_groups, SqueezeExcite.reduced_channels)
    except ForeignWeightsError as err:
        raise CheckpointError(str(err)) from None
    return kind, {key: torch.from_numpy(np.ascontiguousarray(value))
                  for key, value in arrays.items()}


def _timm_key(key):
    # official V3 files: `...primary_rpr_conv.0.bn.weight` -> timm's `...bn1.weight`
    return key.replace('.bn.', '.bn1.') if '_rpr_' in key else key


def unwrap_state_dict(checkpoint, source='checkpoint'):
    """The tensor dict inside ``checkpoint`` (bare, or under a wrapper key),
    keys without DataParallel's ``module.`` and with timm's names for the
    official V3 files' branch norms."""
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f'{source} holds a {type(checkpoint).__name__}, '
                              'expected a dict of tensors')
    for key in WRAPPER_KEYS:
        if isinstance(checkpoint.get(key), dict):
            checkpoint = checkpoint[key]
            break
    state_dict = {}
    for key, value in checkpoint.items():
        if not torch.is_tensor(value):
            raise CheckpointError(
                f'{source}: entry {key!r} is a {type(value).__name__}, not a '
                f'tensor; expected a state_dict (bare or under one of {WRAPPER_KEYS})')
        key = key[len('module.'):] if key.startswith('module.') else key
        state_dict[_timm_key(key)] = value
    return state_dict


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
    for group in GhostNet.arch_groups:
        for _, expand, out, _, _ in group:
            blocks.append((in_channels, make_divisible(expand * widen_factor, 4)))
            in_channels = make_divisible(out * widen_factor, 4)
    return stem, tuple(blocks), make_divisible(FINAL_CHANNELS * widen_factor, 4)


def _checkpoint_signature(state_dict, version='v1'):
    primary = 'primary_rpr_conv.0.conv.weight' if version == 'v3' else 'primary_conv.0.weight'
    try:
        stem = state_dict['conv_stem.weight'].shape[0]
        blocks = []
        for g, group in enumerate(GhostNet.arch_groups):
            for b in range(len(group)):
                prefix = f'blocks.{g}.{b}.'
                blocks.append((state_dict[f'{prefix}ghost1.{primary}'].shape[1],
                               state_dict[f'{prefix}ghost2.{primary}'].shape[1]))
        final = state_dict[f'blocks.{len(GhostNet.arch_groups)}.0.conv.weight'].shape[0]
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


def convert_ghostnet_checkpoint(src, dst=None, widen_factor=None, version=None,
                                keep_head=False):
    """Convert a GhostNet V1/V2/V3 file into a ghost_mm file.

    ``src`` is an official or timm ImageNet file, or a checkpoint of a whole
    mm model written by the runner (e.g. mmpretrain's ``ImageClassifier``
    trained with ``configs/imagenet/``): its ``backbone.*`` weights are kept.
    The result is a backbone file (for ``init_cfg=dict(type='Pretrained')``);
    with ``keep_head`` an official/timm file becomes mmpretrain
    ``ImageClassifier`` weights instead (``backbone.*`` + the paper's head as
    ``StackedLinearClsHead``), for ``load_from`` / ``tools/test.py`` with the
    ``configs/imagenet`` configs.

    Returns ``(state_dict, widen_factor, version)``; writes ``{'state_dict',
    'meta'}`` to ``dst`` when given. ``widen_factor`` and ``version``
    (optional) are checked against what is found in the file.
    """
    from .classification import head_to_mmpretrain
    source_format, full = read_state_dict(src)
    state_dict = under_prefix(full, 'backbone.')  # a whole mm model, as the runner saves it
    if keep_head and state_dict:
        raise CheckpointError(f'{src} is already a whole mm model checkpoint (backbone.* '
                              'keys): use it as it is (load_from=..., tools/test.py); '
                              '--keep-head converts official/timm ImageNet files')
    state_dict = state_dict or strip_to_backbone(full)
    found_version = detect_version(state_dict)
    if version is not None and version != found_version:
        raise CheckpointError(f'{src} is a GhostNet {found_version} checkpoint, but '
                              f'version={version!r} was asked for (one of {VERSIONS})')
    found = detect_widen_factor(state_dict)
    if widen_factor is not None and abs(widen_factor - found) > 1e-6:
        raise CheckpointError(f'{src} is a {found}x GhostNet, but widen_factor='
                              f'{widen_factor} was asked for')
    backbone = GhostNet(found, version=found_version)
    _fill_batch_counters(state_dict, backbone)
    check_backbone_state_dict(state_dict, backbone, source=str(src))
    meta = {'arch': 'ghostnet', 'version': found_version, 'widen_factor': found,
            'source': os.path.basename(os.fspath(src)), 'source_format': source_format}
    if keep_head:
        head = head_to_mmpretrain(full, str(src))
        state_dict = {**{f'backbone.{k}': v for k, v in state_dict.items()}, **head}
        meta.update(model='mmpretrain ImageClassifier',
                    num_classes=head['head.layers.1.fc.weight'].shape[0])
    if dst is not None:
        dst = os.fspath(dst)
        os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
        tmp = dst + '.tmp'
        torch.save({'state_dict': state_dict, 'meta': meta}, tmp)
        os.replace(tmp, dst)
    return state_dict, found, found_version


def _fill_batch_counters(state_dict, backbone):
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
    _fill_batch_counters(state_dict, backbone)
    check_backbone_state_dict(state_dict, backbone, source=path)
    backbone.load_state_dict(state_dict)
