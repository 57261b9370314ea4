"""GhostNet (Han et al., CVPR 2020) as an mmdet/mmseg backbone.

Module and parameter names are those of the official code and timm
(``conv_stem``, ``bn1``, ``blocks.{group}.{block}...``), so their ImageNet
checkpoints load without renaming.
"""
import logging

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

# the table lives in arch.py; its names stay importable from here (configs do
# ``from ghost_mm.models.ghostnet import level_channels``)
from .arch import (DFC_FROM_BLOCK, FINAL_CHANNELS, GHOSTNET_V1_GROUPS,  # noqa: F401
                   NUM_DOWNSAMPLES, NUM_LEVELS, STEM_CHANNELS, VERSIONS, level_channels,
                   level_lr_keys, make_divisible)
from .layers import (ConvBnAct, GhostModule, GhostModuleV2, GhostModuleV3, SqueezeExcite,
                     conv_norm_act, merge_branches)

FROM_SCRATCH_WARNING = (
    'GhostNet starts from random weights (init_cfg is not Pretrained), yet '
    'frozen_stages={} keeps the frozen levels at their random values and '
    'norm_eval={} keeps BN statistics at their initial values: settings for '
    'ImageNet weights, which cripple training from scratch. Unless a checkpoint '
    'is loaded next (load_from, --resume), set model.backbone.frozen_stages=-1 '
    'and model.backbone.norm_eval=False (README: "Train from scratch").')


class GhostBottleneck(nn.Module):
    """ghost(expand) -> [depthwise stride conv] -> [SE] -> ghost(project) + shortcut.

    ``downsample`` says whether the table puts a stride-2 conv here; the
    actual ``stride`` may be 1 when that level is dilated instead, and the
    parameters stay the same. Convs before the stride conv see the input
    resolution (``in_dilation``), those after it the output one (``dilation``).

    ``with_dfc`` gates the expanding Ghost module with DFC attention (V2/V3);
    ``reparam`` builds V3's training form: multi-branch Ghost modules and
    depthwise stride conv, merged by :meth:`reparameterize`.
    """

    def __init__(self, in_channels, mid_channels, out_channels, kernel_size=3,
                 downsample=False, stride=1, in_dilation=1, dilation=1,
                 se_ratio=0., with_dfc=False, reparam=False,
                 norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU'), with_cp=False):
        super().__init__()
        self.with_cp = with_cp
        if reparam:
            self.ghost1 = GhostModuleV3(in_channels, mid_channels, dilation=in_dilation,
                                        with_dfc=with_dfc, norm_cfg=norm_cfg,
                                        act_cfg=act_cfg)
        else:
            expand = GhostModuleV2 if with_dfc else GhostModule
            self.ghost1 = expand(in_channels, mid_channels, dilation=in_dilation,
                                 norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv_dw = self.bn_dw = None
        self.dw_rpr_conv = self.dw_rpr_scale = None
        if downsample and reparam:
            self.dw_rpr_conv = nn.ModuleList(
                ConvBnAct(mid_channels, mid_channels, kernel_size, stride, in_dilation,
                          groups=mid_channels, norm_cfg=norm_cfg)
                for _ in range(GhostModuleV3.num_branches))
            self.dw_rpr_scale = ConvBnAct(mid_channels, mid_channels, 1, stride,
                                          groups=mid_channels, norm_cfg=norm_cfg)
        elif downsample:
            padding = (kernel_size - 1) // 2 * in_dilation
            self.conv_dw = nn.Conv2d(mid_channels, mid_channels, kernel_size, stride,
                                     padding, dilation=in_dilation,
                                     groups=mid_channels, bias=False)
            self.bn_dw = build_norm_layer(norm_cfg, mid_channels)[1]
        self.se = SqueezeExcite(mid_channels, se_ratio, act_cfg) if se_ratio else None
        project = GhostModuleV3 if reparam else GhostModule
        self.ghost2 = project(mid_channels, out_channels, dilation=dilation,
                              use_act=False, norm_cfg=norm_cfg)
        if in_channels == out_channels and not downsample:
            self.shortcut = nn.Sequential()
        else:
            self.shortcut = nn.Sequential(
                *conv_norm_act(in_channels, in_channels, kernel_size, stride,
                               in_dilation, groups=in_channels, norm_cfg=norm_cfg),
                *conv_norm_act(in_channels, out_channels, 1, norm_cfg=norm_cfg))

    def _depthwise(self, x):
        if self.dw_rpr_conv is not None:
            return sum(branch(x) for branch in [self.dw_rpr_scale, *self.dw_rpr_conv])
        if self.conv_dw is not None:
            return self.bn_dw(self.conv_dw(x))
        return x

    def _forward(self, x):
        out = self._depthwise(self.ghost1(x))
        if self.se is not None:
            out = self.se(out)
        out = self.ghost2(out)
        if torch.is_grad_enabled():
            return out + self.shortcut(x)
        return out.add_(self.shortcut(x))  # inference: no new tensor

    def forward(self, x):
        if self.with_cp and self.training and torch.is_grad_enabled():
            return cp.checkpoint(self._forward, x, use_reentrant=False)
        return self._forward(x)

    def reparameterize(self):
        """V3: merge the depthwise stride conv's branches (eval-mode BN) into
        ``conv_dw`` (with bias); the Ghost modules merge their own."""
        if self.dw_rpr_conv is None:
            return
        self.conv_dw = merge_branches([self.dw_rpr_scale, *self.dw_rpr_conv],
                                      self.dw_rpr_conv[0].conv)
        self.bn_dw = nn.Identity()
        self.dw_rpr_conv = self.dw_rpr_scale = None


def _check_int_sequence(name, value, length=None):
    if isinstance(value, (str, bytes)) or not hasattr(value, '__iter__'):
        raise TypeError(f'{name} must be a tuple or list of ints, got {value!r}')
    value = tuple(value)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise TypeError(f'{name} must contain ints only, got {value!r}')
    if length is not None and len(value) != length:
        raise ValueError(f'{name} must have {length} entries (one per downsampling '
                         f'level: stem, levels 1-4), got {len(value)}: {value!r}')
    return value


class GhostNet(BaseModule):
    """GhostNet backbone.

    Six feature levels, each taken at the END of its resolution:

    ===== =========================== ====== ==============
    index what                        stride channels (1.0x)
    ===== =========================== ====== ==============
    0     stem + first bottleneck     2      16
    1     last block at stride 4      4      24
    2     last block at stride 8      8      40
    3     last block at stride 16     16     112
    4     last block at stride 32     32     160
    5     final 1x1 conv              32     960
    ===== =========================== ====== ==============

    Args:
        widen_factor (float): width multiplier; widths are
            ``make_divisible(c * widen_factor, 4)``. Default: 1.0.
        out_indices (Sequence[int]): levels to output (0-5). Default: (1, 2, 3, 4).
        strides (Sequence[int]): stride (1 or 2) of the stem and of the first
            block of levels 1-4. Default: (2, 2, 2, 2, 2).
        dilations (Sequence[int]): dilation of the convs at the output
            resolution of the stem/level 0 and levels 1-4. E.g.
            ``strides=(2, 2, 2, 1, 1), dilations=(1, 1, 1, 2, 4)`` gives an
            output stride of 8. Default: (1, 1, 1, 1, 1).
        frozen_stages (int): levels 0..frozen_stages get no gradient and keep
            their BN in eval mode; -1 freezes nothing. Default: -1.
            Levels after the last one in ``out_indices`` are not run; their
            parameters stay (so ImageNet checkpoints load exactly) but are
            frozen too, so DDP sees no unused parameters.
        norm_cfg (dict): norm layer config. Default: dict(type='BN').
        act_cfg (dict): activation config. Default: dict(type='ReLU').
        norm_eval (bool): keep every BN in eval mode during training. Default: False.
        with_cp (bool): gradient checkpointing per bottleneck. Default: False.
        version (str): ``'v1'`` (CVPR 2020), ``'v2'`` (DFC attention in the
            expanding Ghost module of blocks 3-16) or ``'v3'`` (V2's attention
            plus re-parameterisable multi-branch convs; merge them for
            inference with :func:`ghost_mm.deploy.fuse_conv_bn`). Same levels,
            table and options for all three. Default: ``'v1'``.
        init_cfg (dict | list[dict], optional): initialisation config, e.g.
            ``dict(type='Pretrained', checkpoint='ghostnet_1.0x.pth')``.

    Attributes:
        out_channels (tuple[int]): channels of the levels in ``out_indices``.
        level_channels (tuple[int]): channels of all six levels.
        level_strides (tuple[int]): output stride of all six levels.
    """

    arch_groups = GHOSTNET_V1_GROUPS

    def __init__(self, widen_factor=1.0, out_indices=(1, 2, 3, 4),
                 strides=(2, 2, 2, 2, 2), dilations=(1, 1, 1, 1, 1),
                 frozen_stages=-1, norm_cfg=dict(type='BN', requires_grad=True),
                 act_cfg=dict(type='ReLU'), norm_eval=False, with_cp=False,
                 version='v1', init_cfg=None):
        if init_cfg is None:
            init_cfg = [dict(type='Kaiming', layer='Conv2d'),
                        dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])]
        super().__init__(init_cfg)
        if isinstance(widen_factor, bool) or not isinstance(widen_factor, (int, float)):
            raise TypeError(f'widen_factor must be a number, got {widen_factor!r}')
        if not widen_factor > 0:
            raise ValueError(f'widen_factor must be > 0 (e.g. 0.5, 1.0, 1.1, 1.3), '
                             f'got {widen_factor}')
        if version not in VERSIONS:
            raise ValueError(f'version must be one of {VERSIONS}, got {version!r}')
        out_indices = _check_int_sequence('out_indices', out_indices)
        bad = [i for i in out_indices if not 0 <= i < NUM_LEVELS]
        if bad or not out_indices:
            raise ValueError(f'out_indices entries must be in 0..{NUM_LEVELS - 1} '
                             f'and at least one is needed, got {out_indices!r}')
        strides = _check_int_sequence('strides', strides, NUM_DOWNSAMPLES)
        if any(s not in (1, 2) for s in strides):
            raise ValueError(f'strides entries must be 1 or 2, got {strides!r}')
        dilations = _check_int_sequence('dilations', dilations, NUM_DOWNSAMPLES)
        if any(d < 1 for d in dilations):
            raise ValueError(f'dilations entries must be >= 1, got {dilations!r}')
        if isinstance(frozen_stages, bool) or not isinstance(frozen_stages, int):
            raise TypeError(f'frozen_stages must be an int, got {frozen_stages!r}')
        if not -1 <= frozen_stages < NUM_LEVELS:
            raise ValueError(f'frozen_stages must be in -1..{NUM_LEVELS - 1} '
                             f'(-1 freezes nothing), got {frozen_stages}')

        self.widen_factor = widen_factor
        self.version = version
        self.out_indices = out_indices
        self.strides = strides
        self.dilations = dilations
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_cp = with_cp

        stem_channels = make_divisible(STEM_CHANNELS * widen_factor, 4)
        self.conv_stem = nn.Conv2d(3, stem_channels, 3, strides[0], 1, bias=False)
        self.bn1 = build_norm_layer(norm_cfg, stem_channels)[1]
        self.act1 = build_activation_layer(act_cfg)

        groups, group_levels = [], []
        level, in_channels, in_dilation, stride = 0, stem_channels, dilations[0], strides[0]
        level_strides, block_index = [], 0
        for group_cfg in self.arch_groups:
            group = []
            for kernel, expand, out, se_ratio, table_stride in group_cfg:
                if table_stride > 1:
                    level_strides.append(stride)
                    level += 1
                    stride *= strides[level]
                out_channels = make_divisible(out * widen_factor, 4)
                group.append(GhostBottleneck(
                    in_channels, make_divisible(expand * widen_factor, 4), out_channels,
                    kernel, downsample=table_stride > 1,
                    stride=strides[level] if table_stride > 1 else 1,
                    in_dilation=in_dilation, dilation=dilations[level],
                    se_ratio=se_ratio,
                    with_dfc=version != 'v1' and block_index >= DFC_FROM_BLOCK,
                    reparam=version == 'v3', norm_cfg=norm_cfg, act_cfg=act_cfg,
                    with_cp=with_cp))
                block_index += 1
                in_channels, in_dilation = out_channels, dilations[level]
            groups.append(nn.Sequential(*group))
            group_levels.append(level)
        level_strides.append(stride)
        final_channels = make_divisible(FINAL_CHANNELS * widen_factor, 4)
        groups.append(nn.Sequential(
            ConvBnAct(in_channels, final_channels, norm_cfg=norm_cfg, act_cfg=act_cfg)))
        group_levels.append(level + 1)
        level_strides.append(stride)
        self.blocks = nn.Sequential(*groups)

        # the group that ends each level
        self._level_end = {lvl: i for i, lvl in enumerate(group_levels)}
        self._last_group = self._level_end[max(out_indices)]
        self._group_level = tuple(group_levels)
        self.level_strides = tuple(level_strides)
        self.level_channels = level_channels(widen_factor)
        self.out_channels = tuple(self.level_channels[i] for i in out_indices)
        self._freeze_stages()

    def level_modules(self, level):
        """The modules that make up feature level ``level`` (0-5)."""
        modules = [self.conv_stem, self.bn1] if level == 0 else []
        modules += [g for g, lvl in zip(self.blocks, self._group_level) if lvl == level]
        return modules

    def _frozen_levels(self):
        unused = range(max(self.out_indices) + 1, NUM_LEVELS)
        return [*range(self.frozen_stages + 1), *unused]

    def _freeze_stages(self):
        for level in self._frozen_levels():
            for module in self.level_modules(level):
                module.eval()
                for param in module.parameters():
                    param.requires_grad = False

    def init_weights(self):
        # Pretrained weights are loaded strictly (every key, every shape) with
        # weights_only=True; mmengine's loader would only warn on a mismatch.
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained' and \
                '://' not in str(cfg.get('checkpoint')):
            from ..weights.ghostnet_files import load_pretrained_backbone
            load_pretrained_backbone(self, cfg['checkpoint'], cfg.get('prefix'))
            print_log(f'GhostNet: loaded {cfg["checkpoint"]}', logger='current')
            self._is_init = True
            return
        if self.frozen_stages >= 0 or self.norm_eval:
            print_log(FROM_SCRATCH_WARNING.format(self.frozen_stages, self.norm_eval),
                      logger='current', level=logging.WARNING)
        super().init_weights()

    def train(self, mode=True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    def forward(self, x):
        x = self.act1(self.bn1(self.conv_stem(x)))
        outs = []
        for i, group in enumerate(self.blocks[:self._last_group + 1]):
            x = group(x)
            level = self._group_level[i]
            if self._level_end[level] == i and level in self.out_indices:
                outs.append(x)
        return tuple(outs)


class GhostNetClassifier(nn.Module):
    """The paper's ImageNet model: the backbone's level 5, global pool,
    1x1 conv to 1280 + ReLU, dropout, linear. Used to count the paper's
    params/FLOPs and to check ImageNet checkpoints end to end."""

    def __init__(self, widen_factor=1.0, num_classes=1000, dropout=0.2,
                 head_channels=1280, version='v1'):
        super().__init__()
        self.backbone = GhostNet(widen_factor, out_indices=(5,), version=version)
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.conv_head = nn.Conv2d(self.backbone.out_channels[0], head_channels, 1)
        self.act2 = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(head_channels, num_classes)

    def forward(self, x):
        x = self.global_pool(self.backbone(x)[0])
        x = self.act2(self.conv_head(x)).flatten(1)
        return self.classifier(self.dropout(x))
