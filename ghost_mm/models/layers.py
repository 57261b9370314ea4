"""The building blocks GhostNet is made of: width rounding, the squeeze-excite gate,
the Ghost module (Han et al., CVPR 2020), its V2 form with DFC attention (Tang et
al., NeurIPS 2022) and its V3 form with re-parameterisable branches (Liu et al.,
2024).

Parameter names follow the official code and timm (``primary_conv.0``,
``cheap_operation.1``, ``short_conv.2``, ``primary_rpr_conv.0.bn1`` ...) so their
checkpoints load as they are.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.utils.fusion import fuse_conv_bn_weights

from .arch import make_divisible, se_channels  # noqa: F401  (make_divisible: public here too)


def hard_sigmoid(x):
    return F.relu6(x + 3.) / 6.


def conv_norm_act(in_channels, out_channels, kernel_size, stride=1, dilation=1,
                  groups=1, norm_cfg=None, act_cfg=None, padding=None, bias=False):
    """``Sequential(conv[, norm][, act])``: indices 0/1/2 are the official key
    names. ``padding`` defaults to "same" for odd kernels at stride 1."""
    if padding is None:
        padding = (kernel_size - 1) // 2 * dilation
    layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                        dilation=dilation, groups=groups, bias=bias)]
    if norm_cfg is not None:
        layers.append(build_norm_layer(norm_cfg, out_channels)[1])
    if act_cfg is not None:
        layers.append(build_activation_layer(act_cfg))
    return nn.Sequential(*layers)


class ConvBnAct(nn.Module):
    """conv -> norm [-> act], named ``conv``/``bn1``/``act1`` like timm's
    ``ConvBnAct`` (GhostNet's final 1x1 conv and V3's re-param branches)."""

    def __init__(self, in_channels, out_channels, kernel_size=1, stride=1, dilation=1,
                 groups=1, norm_cfg=dict(type='BN'), act_cfg=None):
        super().__init__()
        padding = (kernel_size - 1) // 2 * dilation
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                              dilation=dilation, groups=groups, bias=False)
        self.bn1 = build_norm_layer(norm_cfg, out_channels)[1]
        self.act1 = build_activation_layer(act_cfg) if act_cfg else nn.Identity()

    def forward(self, x):
        return self.act1(self.bn1(self.conv(x)))


def dfc_attention(in_channels, out_channels, dilation=1, norm_cfg=dict(type='BN')):
    """GhostNetV2's decoupled fully-connected attention, as ``short_conv``:
    1x1 conv, then depthwise 1x5 and 5x1 convs (each + BN). It runs on the
    input average-pooled by 2; dilated levels dilate the long convs."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, bias=False),
        build_norm_layer(norm_cfg, out_channels)[1],
        nn.Conv2d(out_channels, out_channels, (1, 5), padding=(0, 2 * dilation),
                  dilation=(1, dilation), groups=out_channels, bias=False),
        build_norm_layer(norm_cfg, out_channels)[1],
        nn.Conv2d(out_channels, out_channels, (5, 1), padding=(2 * dilation, 0),
                  dilation=(dilation, 1), groups=out_channels, bias=False),
        build_norm_layer(norm_cfg, out_channels)[1])


def apply_dfc_gate(out, short_conv, x):
    """``out`` times the sigmoid DFC gate of ``x``, brought back to out's size
    by nearest upsampling (height and width separately: non-square inputs work)."""
    if not torch.jit.is_tracing() and (x.shape[-2] < 2 or x.shape[-1] < 2):
        raise ValueError(
            f'GhostNet v2/v3 DFC attention pools its input by 2 and needs at least '
            f'2x2 pixels, got {tuple(x.shape[-2:])}: feed images of at least 64x64 '
            f'(the last blocks run at stride 32), or use version=\'v1\'')
    gate = torch.sigmoid(short_conv(F.avg_pool2d(x, kernel_size=2, stride=2)))
    height, width = out.shape[-2:]
    if (torch.onnx.is_in_onnx_export()  # an exported graph must take any size
            or gate.shape[-2:] != (height // 2, width // 2) or height % 2 or width % 2):
        return out * F.interpolate(gate, size=(height, width), mode='nearest')
    # even sizes: nearest x2 is a broadcast over 2x2 cells; no upsampled copy
    cells = out.unflatten(3, (width // 2, 2)).unflatten(2, (height // 2, 2))
    gated = cells * gate[:, :, :, None, :, None]
    return gated.flatten(4, 5).flatten(2, 3)


class SqueezeExcite(nn.Module):
    """Channel attention with a hard-sigmoid gate; the reduced width is
    ``make_divisible(channels * se_ratio, 4)``."""

    def __init__(self, channels, se_ratio=0.25, act_cfg=dict(type='ReLU')):
        super().__init__()
        reduced = self.reduced_channels(channels, se_ratio)
        self.conv_reduce = nn.Conv2d(channels, reduced, 1, bias=True)
        self.act1 = build_activation_layer(act_cfg)
        self.conv_expand = nn.Conv2d(reduced, channels, 1, bias=True)

    reduced_channels = staticmethod(se_channels)

    def forward(self, x):
        gate = x.mean((2, 3), keepdim=True)
        gate = self.conv_expand(self.act1(self.conv_reduce(gate)))
        return x * hard_sigmoid(gate)


def check_ghost_args(ratio, dw_size):
    """s (``ratio``) an int >= 2, d (``dw_size``) an odd int >= 1."""
    if isinstance(ratio, bool) or not isinstance(ratio, int) or ratio < 2:
        raise ValueError(f'ratio (s: outputs per intrinsic map) must be an int >= 2, '
                         f'got {ratio!r}')
    if isinstance(dw_size, bool) or not isinstance(dw_size, int) or dw_size < 1 \
            or dw_size % 2 == 0:
        raise ValueError(f'dw_size (d: the cheap depthwise kernel) must be an odd int '
                         f'>= 1 (1, 3, 5, 7), got {dw_size!r}')


def concat_ghosts(intrinsic, ghosts, out_channels):
    """The Ghost module's output: intrinsic maps, then their ghosts, cut to ``n``
    (no cut, and no Slice op in an exported graph, when ``s`` divides ``n``)."""
    out = torch.cat([intrinsic, ghosts], dim=1)
    return out if out.shape[1] == out_channels else out[:, :out_channels]


class GhostBranches(nn.Module):
    """The Ghost module's two branches, shared by GhostNet's :class:`GhostModule`
    and the plug-in :class:`~ghost_mm.models.ghost_conv.GhostConv`:
    ``primary_conv`` makes ``m = ceil(n / ratio)`` intrinsic maps with an
    ordinary ``kernel_size`` conv (stride, padding and dilation as given),
    ``cheap_operation`` makes ``(ratio - 1) * m`` ghosts with a depthwise
    ``dw_size`` x ``dw_size`` conv at stride 1 (``groups`` groups the primary
    conv, as in a grouped conv it replaces); each branch is followed by
    ``norm_cfg``/``act_cfg`` when given. Output: both concatenated, cut to n."""

    def __init__(self, in_channels, out_channels, ratio=2, dw_size=3, kernel_size=1,
                 stride=1, padding=None, dilation=1, cheap_dilation=1, norm_cfg=None,
                 act_cfg=None, groups=1, bias=False):
        super().__init__()
        check_ghost_args(ratio, dw_size)
        self.out_channels = out_channels
        intrinsic = math.ceil(out_channels / ratio)
        self.primary_conv = conv_norm_act(
            in_channels, intrinsic, kernel_size, stride, dilation, groups=groups,
            padding=padding, norm_cfg=norm_cfg, act_cfg=act_cfg, bias=bias)
        self.cheap_operation = conv_norm_act(
            intrinsic, intrinsic * (ratio - 1), dw_size, dilation=cheap_dilation,
            groups=intrinsic, norm_cfg=norm_cfg, act_cfg=act_cfg, bias=bias)

    def forward(self, x):
        intrinsic = self.primary_conv(x)
        return concat_ghosts(intrinsic, self.cheap_operation(intrinsic), self.out_channels)


class GhostModule(GhostBranches):
    """GhostNet's Ghost module: ``ceil(n / ratio)`` intrinsic maps from a 1x1
    conv, ``ratio - 1`` cheap depthwise ``dw_size`` x ``dw_size`` "ghosts" of
    each, concatenated and cut to ``n``; BN (and, with ``use_act``, ReLU) in
    both branches, as the official code. ``dilation`` dilates the cheap conv."""

    def __init__(self, in_channels, out_channels, ratio=2, dw_size=3, dilation=1,
                 use_act=True, norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU')):
        super().__init__(in_channels, out_channels, ratio, dw_size, kernel_size=1,
                         cheap_dilation=dilation, norm_cfg=norm_cfg,
                         act_cfg=act_cfg if use_act else None)


class GhostModuleV2(GhostModule):
    """Ghost module whose output is gated by DFC attention (GhostNetV2)."""

    def __init__(self, in_channels, out_channels, ratio=2, dw_size=3, dilation=1,
                 use_act=True, norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU')):
        super().__init__(in_channels, out_channels, ratio, dw_size, dilation,
                         use_act, norm_cfg, act_cfg)
        self.short_conv = dfc_attention(in_channels, out_channels, dilation, norm_cfg)

    def forward(self, x):
        return apply_dfc_gate(super().forward(x), self.short_conv, x)


def check_batch_norm(norm):
    """Only BatchNorm kinds have the fixed statistics that fold into a conv."""
    if not isinstance(norm, _BatchNorm):
        raise TypeError(f'cannot fold {type(norm).__name__} into a conv (deploy form, '
                        f'V3 branch merging); only BatchNorm kinds (BN, SyncBN) fold')


def _branch_kernel_bias(branch, kernel_size, groups):
    """(kernel, bias) of a conv+BN branch, or of a bare BN (identity) branch,
    as one ``kernel_size`` x ``kernel_size`` conv with bias."""
    if isinstance(branch, ConvBnAct):
        kernel, norm = branch.conv.weight, branch.bn1
        pad = (kernel_size - kernel.shape[-1]) // 2
        kernel = F.pad(kernel, [pad] * 4)
    else:
        norm = branch
        channels = norm.num_features
        kernel = torch.zeros(channels, channels // groups, kernel_size, kernel_size,
                             dtype=norm.weight.dtype, device=norm.weight.device)
        centre = kernel_size // 2
        kernel[torch.arange(channels), torch.arange(channels) % (channels // groups),
               centre, centre] = 1
    check_batch_norm(norm)
    return fuse_conv_bn_weights(kernel, None, norm.running_mean, norm.running_var,
                                norm.eps, norm.weight, norm.bias)


def merge_branches(branches, like):
    """One conv with bias computing the sum of ``branches`` (ConvBnAct with no
    activation, or a bare BN standing for the identity) in eval mode; shaped
    like the conv ``like``. Only BatchNorm kinds can be merged."""
    merged = nn.Conv2d(like.in_channels, like.out_channels, like.kernel_size, like.stride,
                       like.padding, like.dilation, like.groups, bias=True,
                       device=like.weight.device, dtype=like.weight.dtype)
    kernel = torch.zeros_like(merged.weight)
    bias = torch.zeros_like(merged.bias)
    with torch.no_grad():
        for branch in branches:
            k, b = _branch_kernel_bias(branch, like.kernel_size[0], like.groups)
            kernel += k
            bias += b
        merged.weight.copy_(kernel)
        merged.bias.copy_(bias)
    return merged


class GhostModuleV3(nn.Module):
    """GhostNetV3's Ghost module for training: the 1x1 primary conv and the
    depthwise cheap conv each run as ``num_branches`` parallel conv+BN branches,
    the cheap one also with a 1x1 depthwise branch and a BN-only identity
    branch; ``with_dfc`` adds V2's DFC gate. :meth:`reparameterize` merges the
    branches into single convs (``primary_conv``/``cheap_operation``), the form
    for inference; the outputs stay the same in eval mode."""

    num_branches = 3

    def __init__(self, in_channels, out_channels, ratio=2, dw_size=3, dilation=1,
                 use_act=True, with_dfc=False, norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU')):
        super().__init__()
        self.out_channels = out_channels
        intrinsic = math.ceil(out_channels / ratio)
        cheap = intrinsic * (ratio - 1)
        act_cfg = act_cfg if use_act else None
        self.primary_rpr_conv = nn.ModuleList(
            ConvBnAct(in_channels, intrinsic, 1, norm_cfg=norm_cfg)
            for _ in range(self.num_branches))
        self.primary_activation = build_activation_layer(act_cfg) if act_cfg else nn.Identity()
        self.cheap_rpr_conv = nn.ModuleList(
            ConvBnAct(intrinsic, cheap, dw_size, dilation=dilation, groups=intrinsic,
                      norm_cfg=norm_cfg)
            for _ in range(self.num_branches))
        self.cheap_rpr_scale = ConvBnAct(intrinsic, cheap, 1, groups=intrinsic,
                                         norm_cfg=norm_cfg)
        self.cheap_rpr_skip = build_norm_layer(norm_cfg, intrinsic)[1] \
            if cheap == intrinsic else None
        self.cheap_activation = build_activation_layer(act_cfg) if act_cfg else nn.Identity()
        self.short_conv = dfc_attention(in_channels, out_channels, dilation, norm_cfg) \
            if with_dfc else None
        self.primary_conv = None  # set by reparameterize()
        self.cheap_operation = None

    def _cheap_branches(self):
        # summed in the official order, so that outputs match to the last bit
        skip = [] if self.cheap_rpr_skip is None else [self.cheap_rpr_skip]
        return [self.cheap_rpr_scale, *skip, *self.cheap_rpr_conv]

    @property
    def reparameterized(self):
        return self.primary_conv is not None

    def forward(self, x):
        if self.reparameterized:
            intrinsic = self.primary_conv(x)
            ghosts = self.cheap_operation(intrinsic)
        else:
            intrinsic = self.primary_activation(
                sum(branch(x) for branch in self.primary_rpr_conv))
            ghosts = self.cheap_activation(
                sum(branch(intrinsic) for branch in self._cheap_branches()))
        out = concat_ghosts(intrinsic, ghosts, self.out_channels)
        if self.short_conv is not None:
            out = apply_dfc_gate(out, self.short_conv, x)
        return out

    def reparameterize(self):
        """Merge the branches (eval-mode BN statistics) into one conv each."""
        if self.reparameterized:
            return
        like = self.primary_rpr_conv[0].conv
        self.primary_conv = nn.Sequential(
            merge_branches(self.primary_rpr_conv, like), self.primary_activation)
        self.cheap_operation = nn.Sequential(
            merge_branches(self._cheap_branches(), self.cheap_rpr_conv[0].conv),
            self.cheap_activation)
        del self.primary_rpr_conv, self.cheap_rpr_conv, self.cheap_rpr_scale
        del self.cheap_rpr_skip, self.primary_activation, self.cheap_activation
        self.cheap_rpr_skip = None
