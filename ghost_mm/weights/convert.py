"""``tools/convert_checkpoint.py``: any GhostNet weights file -> a ghost_mm file."""
import os

import torch

from ..models.arch import VERSIONS
from ..models.ghostnet import GhostNet
from .ghostnet_files import (check_backbone_state_dict, detect_version, detect_widen_factor,
                             fill_batch_counters, read_state_dict, strip_to_backbone,
                             under_prefix)
from .mmpretrain import head_to_mmpretrain
from .safe_load import CheckpointError


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
    fill_batch_counters(state_dict, backbone)
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
