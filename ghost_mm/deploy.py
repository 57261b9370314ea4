"""Deploy form of GhostNet: GhostNetV3's parallel branches merged into single
convs, then every BatchNorm folded into the conv before it.

The folded model computes what the training-form model computes in eval mode
(BN running statistics), with one op fewer per conv and no BN buffers; it is
for inference and export only (``train()`` on it would not bring BN back).
"""
import copy

import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.utils.fusion import fuse_conv_bn_eval

from .models.ghostnet import GhostBottleneck, GhostNet
from .models.layers import ConvBnAct, GhostModuleV3, check_batch_norm

# (conv, norm) attribute pairs of the modules that do not keep them in a Sequential
_NAMED_PAIRS = {GhostNet: [('conv_stem', 'bn1')],
                GhostBottleneck: [('conv_dw', 'bn_dw')],
                ConvBnAct: [('conv', 'bn1')]}


def _fold(conv, norm):
    check_batch_norm(norm)
    return fuse_conv_bn_eval(conv.eval(), norm.eval())


def fuse_conv_bn(model, inplace=False):
    """GhostNet (or any module holding GhostNets) with V3's branches merged
    (re-parameterised), each BN folded into its conv, the BN replaced by
    ``nn.Identity`` and ReLUs made in-place. Returns the fused copy (or
    ``model`` itself with ``inplace=True``), in eval mode."""
    model = model if inplace else copy.deepcopy(model)
    model.eval()
    for module in list(model.modules()):
        if isinstance(module, (GhostModuleV3, GhostBottleneck)):
            module.reparameterize()
    for module in list(model.modules()):
        for kind, pairs in _NAMED_PAIRS.items():
            if isinstance(module, kind):
                for conv_name, norm_name in pairs:
                    conv = getattr(module, conv_name)
                    norm = getattr(module, norm_name)
                    if isinstance(conv, nn.Conv2d) and not isinstance(norm, nn.Identity):
                        setattr(module, conv_name, _fold(conv, norm))
                        setattr(module, norm_name, nn.Identity())
        if isinstance(module, nn.Sequential):
            layers = list(module)
            for i in range(len(layers) - 1):
                if isinstance(layers[i], nn.Conv2d) and isinstance(layers[i + 1], _BatchNorm):
                    module[i] = _fold(layers[i], layers[i + 1])
                    module[i + 1] = nn.Identity()
        if isinstance(module, nn.ReLU):
            module.inplace = True  # its input is a fresh conv output in GhostNet
    return model


def to_deploy(model, inplace=False):
    """The fastest eager form for CPU inference: BN folded
    (:func:`fuse_conv_bn`) and weights in channels-last layout, which oneDNN's
    depthwise convs run ~2x faster at detection sizes (tools/benchmark.py).
    Inputs may stay in the default layout; outputs come out channels-last."""
    return fuse_conv_bn(model, inplace).to(memory_format=torch.channels_last)


def keep_freed_memory(threshold_bytes=1 << 30):
    """Let glibc's malloc keep freed blocks up to ``threshold_bytes`` for reuse.

    By default glibc serves every block over ~32 MB with a fresh ``mmap`` and
    hands it back to the OS when freed, so each forward at detection sizes
    page-faults all its large activations in again: ~25% of GhostNet's CPU
    time at 800x1344 here (tools/benchmark.py ``--keep-freed-memory``). This
    raises glibc's mmap and trim thresholds (the same as setting
    ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_``). It affects the
    whole process, every model in it, and keeps the resident memory at its
    high-water mark. Returns False (and changes nothing) without glibc.
    """
    import ctypes
    libc = ctypes.CDLL(None)
    if not hasattr(libc, 'gnu_get_libc_version') or not hasattr(libc, 'mallopt'):
        return False  # not glibc (musl, macOS): nothing to set
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(libc.mallopt(m_trim_threshold, threshold_bytes)) and \
        bool(libc.mallopt(m_mmap_threshold, threshold_bytes))
