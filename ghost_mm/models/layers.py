"""The building blocks GhostNet is made of: width rounding, the squeeze-excite gate
and the Ghost module (Han et al., CVPR 2020).

Parameter names follow the official code and timm (``primary_conv.0``,
``cheap_operation.1``, ``conv_reduce`` ...) so their checkpoints load as they are.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer


def make_divisible(value, divisor=4, min_value=None, round_limit=0.9):
    """Round ``value`` to the nearest multiple of ``divisor`` without losing more
    than 10% (the official ``_make_divisible``)."""
    min_value = min_value or divisor
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < round_limit * value:
        rounded += divisor
    return rounded


def hard_sigmoid(x):
    return F.relu6(x + 3.) / 6.


def conv_norm_act(in_channels, out_channels, kernel_size, stride=1, dilation=1,
                  groups=1, norm_cfg=None, act_cfg=None):
    """``Sequential(conv, norm[, act])``: indices 0/1/2 are the official key names."""
    padding = (kernel_size - 1) // 2 * dilation
    layers = [
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                  dilation=dilation, groups=groups, bias=False),
        build_norm_layer(norm_cfg, out_channels)[1],
    ]
    if act_cfg is not None:
        layers.append(build_activation_layer(act_cfg))
    return nn.Sequential(*layers)


class SqueezeExcite(nn.Module):
    """Channel attention with a hard-sigmoid gate; the reduced width is
    ``make_divisible(channels * se_ratio, 4)``."""

    def __init__(self, channels, se_ratio=0.25, act_cfg=dict(type='ReLU')):
        super().__init__()
        reduced = make_divisible(channels * se_ratio, 4)
        self.conv_reduce = nn.Conv2d(channels, reduced, 1, bias=True)
        self.act1 = build_activation_layer(act_cfg)
        self.conv_expand = nn.Conv2d(reduced, channels, 1, bias=True)

    def forward(self, x):
        gate = x.mean((2, 3), keepdim=True)
        gate = self.conv_expand(self.act1(self.conv_reduce(gate)))
        return x * hard_sigmoid(gate)


class GhostModule(nn.Module):
    """``ceil(n / ratio)`` intrinsic maps from a 1x1 conv, ``ratio - 1`` cheap
    depthwise ``dw_size`` x ``dw_size`` "ghosts" of each, concatenated and cut to ``n``."""

    def __init__(self, in_channels, out_channels, ratio=2, dw_size=3, dilation=1,
                 use_act=True, norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU')):
        super().__init__()
        self.out_channels = out_channels
        intrinsic = math.ceil(out_channels / ratio)
        act_cfg = act_cfg if use_act else None
        self.primary_conv = conv_norm_act(
            in_channels, intrinsic, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.cheap_operation = conv_norm_act(
            intrinsic, intrinsic * (ratio - 1), dw_size, dilation=dilation,
            groups=intrinsic, norm_cfg=norm_cfg, act_cfg=act_cfg)

    def forward(self, x):
        intrinsic = self.primary_conv(x)
        ghosts = self.cheap_operation(intrinsic)
        return torch.cat([intrinsic, ghosts], dim=1)[:, :self.out_channels]
