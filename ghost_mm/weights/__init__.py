"""Weights in: every public GhostNet file format to the backbone's state dict.

* :mod:`.safe_load` — ``torch.load(weights_only=True)`` always; the runner's
  own checkpoint types allow-listed (``runner_checkpoint_globals``).
* :mod:`.ghostnet_files` — official/timm layout: read (PyTorch, or a foreign
  format through :mod:`.foreign`), detect version and width, check, load.
* :mod:`.foreign` — PaddleClas ``.pdparams`` and MindCV ``.ckpt`` readers and
  their key mappings (no paddle / mindspore needed).
* :mod:`.mmpretrain` — the ImageNet head under mmpretrain's keys.
* :mod:`.convert` — ``tools/convert_checkpoint.py``'s function.

Depends on the architecture table (``ghost_mm.models.arch``); the backbone
reaches the loader, not the reverse (only :mod:`.convert` builds a backbone).
"""
from .ghostnet_files import (check_backbone_state_dict, detect_version, detect_widen_factor,
                             load_pretrained_backbone, read_state_dict)
from .safe_load import (CheckpointError, load_weights_file, runner_checkpoint_globals,
                        runner_checkpoint_safe_types, unwrap_state_dict)

__all__ = ['CheckpointError', 'convert_ghostnet_checkpoint', 'load_pretrained_backbone',
           'read_state_dict', 'detect_version', 'detect_widen_factor',
           'check_backbone_state_dict', 'load_weights_file', 'runner_checkpoint_globals',
           'runner_checkpoint_safe_types', 'unwrap_state_dict']


def __getattr__(name):  # the converter builds a backbone: torch-heavy, loaded on first use
    if name == 'convert_ghostnet_checkpoint':
        from .convert import convert_ghostnet_checkpoint
        return convert_ghostnet_checkpoint
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
