"""Reading weight files safely: ``torch.load(weights_only=True)`` always.

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

WRAPPER_KEYS = ('state_dict', 'model', 'state_dict_ema', 'model_ema')


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
