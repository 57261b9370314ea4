"""GhostConv: the Ghost module wherever OpenMMLab builds a conv (conv_cfg),
Ghost-ResNet-50, and tools/ghostify.py."""
import math
import os

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_conv_layer
from mmengine.config import Config

from conftest import REPO
from ghost_mm.deploy import fuse_conv_bn
from ghost_mm.models import GhostConv, GhostModule
from ghost_mm.registry import scope_models

GHOST = dict(type='GhostConv', ratio=2, dw_size=3)
GN4 = dict(type='GN', num_groups=4, requires_grad=True)  # the heads' GN, for 8 channels


def ghost_convs(module):
    return [m for m in module.modules() if isinstance(m, GhostConv)]


def test_ghost_conv_is_primary_conv_then_cheap_depthwise():
    conv = build_conv_layer(dict(type='GhostConv', ratio=3, dw_size=5), 8, 13, 3,
                            stride=2, padding=2, dilation=2, bias=True)
    assert isinstance(conv, GhostConv)
    primary, cheap = conv.primary_conv[0], conv.cheap_operation[0]
    intrinsic = math.ceil(13 / 3)
    assert (primary.in_channels, primary.out_channels, primary.kernel_size, primary.stride,
            primary.padding, primary.dilation) == (8, intrinsic, (3, 3), (2, 2), (2, 2), (2, 2))
    assert (cheap.out_channels, cheap.groups, cheap.kernel_size, cheap.stride, cheap.padding) \
        == (2 * intrinsic, intrinsic, (5, 5), (1, 1), (2, 2))
    # every attribute ConvModule reads of its conv
    assert (conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
            conv.dilation, conv.groups, conv.transposed, conv.output_padding) == \
        (8, 13, (3, 3), (2, 2), (2, 2), (2, 2), 1, False, (0, 0))
    assert conv.bias.shape == (13,)
    with torch.no_grad():
        primary.bias.normal_()
        cheap.bias.normal_()
        x = torch.randn(2, 8, 21, 18)
        intrinsic_maps = F.conv2d(x, primary.weight, primary.bias, 2, 2, 2)
        ghosts = F.conv2d(intrinsic_maps, cheap.weight, cheap.bias, 1, 2, 1, intrinsic)
        expected = torch.cat([intrinsic_maps, ghosts], 1)[:, :13]
        assert torch.equal(conv.bias, torch.cat([primary.bias, cheap.bias])[:13])
        assert torch.allclose(conv(x), expected, atol=1e-5)
        # the replaced conv's output size
        assert conv(x).shape == nn.Conv2d(8, 13, 3, 2, 2, 2)(x).shape


def test_ghost_conv_refuses_what_it_cannot_replace():
    with pytest.raises(ValueError, match='groups=8.*depthwise conv is already cheap'):
        build_conv_layer(GHOST, 8, 8, 3, padding=1, groups=8)
    with pytest.raises(ValueError, match='6 intrinsic maps .* not a multiple of 4'):
        build_conv_layer(GHOST, 8, 12, 3, padding=1, groups=4)
    with pytest.raises(ValueError, match='groups=3 does not divide in_channels=8'):
        build_conv_layer(GHOST, 8, 12, 3, padding=1, groups=3)
    with pytest.raises(ValueError, match='ratio .* got 1'):
        build_conv_layer(dict(type='GhostConv', ratio=1), 8, 8, 3)
    with pytest.raises(ValueError, match='dw_size .* got 4'):
        build_conv_layer(dict(type='GhostConv', dw_size=4), 8, 8, 3)


def test_grouped_conv_keeps_its_groups_in_the_primary_conv():
    conv = build_conv_layer(GHOST, 16, 16, 3, padding=1, groups=4)
    assert conv.groups == conv.primary_conv[0].groups == 4
    x = torch.randn(1, 16, 8, 8)
    with torch.no_grad():
        # the first group's intrinsic maps read the first group's inputs only
        y = conv.primary_conv(x)
        x2 = x.clone()
        x2[:, 4:] = 0
        assert torch.allclose(conv.primary_conv(x2)[:, :2], y[:, :2], atol=1e-6)


def test_ghostnet_module_and_ghost_conv_share_one_implementation(monkeypatch):
    # one function joins the two branches for GhostNet's module and GhostConv:
    # a change there reaches both
    from ghost_mm.models import layers
    module, conv = GhostModule(8, 12).eval(), build_conv_layer(GHOST, 8, 12, 3, padding=1)
    x = torch.randn(1, 8, 6, 6)
    with torch.no_grad():
        before = module(x), conv(x)
        monkeypatch.setattr(layers, 'concat_ghosts', lambda i, g, n: torch.zeros(1))
        assert torch.equal(module(x), torch.zeros(1)) and torch.equal(conv(x), torch.zeros(1))
    assert before[0].shape == before[1].shape == (1, 12, 6, 6)
    assert [k for k in module.state_dict() if 'weight' in k] == \
        ['primary_conv.0.weight', 'primary_conv.1.weight', 'cheap_operation.0.weight',
         'cheap_operation.1.weight']


def test_the_surrounding_init_cfg_reaches_both_convs():
    MODELS = scope_models('mmdet')  # default scope too: tests run in any order
    head = MODELS.build(dict(_mmdet_modules()[4][1], conv_cfg=GHOST))  # RetinaHead
    head.init_weights()  # its init_cfg: Normal(std=0.01) on every Conv2d
    conv = head.cls_convs[0].conv
    for inner in (conv.primary_conv[0], conv.cheap_operation[0]):
        assert inner.weight.std() < 0.02, inner  # Kaiming (fan-out) would give ~0.2 here


def test_inner_batch_norm_folds_into_the_deploy_form():
    conv = ConvModule(8, 16, 3, padding=1, conv_cfg=dict(
        GHOST, norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU')))
    for bn in conv.modules():
        if isinstance(bn, nn.BatchNorm2d):
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
            bn.weight.data.uniform_(0.5, 2)
    x = torch.randn(1, 8, 12, 12)
    with torch.no_grad():
        expected = conv.eval()(x)
        fused = fuse_conv_bn(conv)
        assert not [m for m in fused.modules() if isinstance(m, nn.BatchNorm2d)]
        assert torch.allclose(fused(x), expected, atol=1e-5)


def _mmdet_modules():
    return [
        ('ResNet', dict(type='ResNet', depth=18, out_indices=(3,)), [1, 3, 32, 32]),
        ('ResNeXt', dict(type='ResNeXt', depth=50, groups=32, base_width=4,
                         out_indices=(3,)), [1, 3, 32, 32]),
        ('FPN', dict(type='FPN', in_channels=[8, 16], out_channels=8, num_outs=3), 'fpn'),
        ('PAFPN', dict(type='PAFPN', in_channels=[8, 16], out_channels=8, num_outs=2), 'fpn'),
        ('RetinaHead', dict(type='RetinaHead', num_classes=3, in_channels=8, feat_channels=8,
                            stacked_convs=2, anchor_generator=dict(
                                type='AnchorGenerator', octave_base_scale=4,
                                scales_per_octave=3, ratios=[1.0], strides=[8, 16]),
                            bbox_coder=dict(type='DeltaXYWHBBoxCoder')), 'head'),
        ('FCOSHead', dict(type='FCOSHead', num_classes=3, in_channels=8, feat_channels=8,
                          stacked_convs=2, strides=[8, 16], norm_cfg=GN4), 'head'),
        ('ATSSHead', dict(type='ATSSHead', num_classes=3, in_channels=8, feat_channels=8,
                          stacked_convs=2, norm_cfg=GN4, anchor_generator=dict(
                              type='AnchorGenerator', ratios=[1.0], octave_base_scale=8,
                              scales_per_octave=1, strides=[8, 16])), 'head'),
        ('RPNHeadConvCfg', dict(type='RPNHeadConvCfg', in_channels=8, feat_channels=8,
                                anchor_generator=dict(type='AnchorGenerator', scales=[8],
                                                      ratios=[1.0], strides=[8, 16])), 'head'),
        ('Shared4Conv1FCBBoxHead', dict(type='Shared4Conv1FCBBoxHead', in_channels=8,
                                        conv_out_channels=8, fc_out_channels=16,
                                        roi_feat_size=7, num_classes=3), [2, 8, 7, 7]),
        ('FCNMaskHead', dict(type='FCNMaskHead', num_convs=2, in_channels=8,
                             conv_out_channels=8, num_classes=3), [2, 8, 14, 14]),
    ]


def _mmseg_modules():
    common = dict(in_channels=16, channels=8, num_classes=3)
    return [
        ('ASPPHead', dict(type='ASPPHead', dilations=(1, 2, 3), **common)),
        ('FCNHead', dict(type='FCNHead', num_convs=2, **common)),
        ('PSPHead', dict(type='PSPHead', pool_scales=(1, 2), **common)),
        ('DepthwiseSeparableASPPHead', dict(type='DepthwiseSeparableASPPHead',
                                            dilations=(1, 2), c1_in_channels=0,
                                            c1_channels=0, **common)),
    ]


def _run(module, inputs):
    module.eval()
    with torch.no_grad():
        if inputs == 'fpn':
            return module([torch.randn(1, 8, 16, 16), torch.randn(1, 16, 8, 8)])
        if inputs == 'head':
            return module((torch.randn(1, 8, 16, 16), torch.randn(1, 8, 8, 8)))
        if isinstance(inputs, list) and isinstance(inputs[0], torch.Tensor):
            return module(inputs)
        return module(torch.randn(*inputs))


def _shapes(out):
    if isinstance(out, torch.Tensor):
        return [tuple(out.shape)]
    return [s for o in out for s in _shapes(o)]


@pytest.mark.parametrize('name,cfg,inputs', _mmdet_modules(), ids=lambda v: v
                         if isinstance(v, str) else '')
def test_conv_cfg_ghosts_mmdet_modules(name, cfg, inputs):
    MODELS = scope_models('mmdet')  # default scope too: tests run in any order
    plain = MODELS.build(cfg)
    ghosted = MODELS.build(dict(cfg, conv_cfg=GHOST))
    assert ghost_convs(ghosted) and not ghost_convs(plain)
    assert _shapes(_run(ghosted, inputs)) == _shapes(_run(plain, inputs))


@pytest.mark.parametrize('name,cfg', _mmseg_modules(), ids=lambda v: v
                         if isinstance(v, str) else '')
def test_conv_cfg_ghosts_mmseg_heads(name, cfg):
    MODELS = scope_models('mmseg')
    plain, ghosted = MODELS.build(cfg), MODELS.build(dict(cfg, conv_cfg=GHOST))
    assert ghost_convs(ghosted) and not ghost_convs(plain)
    inputs = [torch.randn(1, 16, 16, 16)]
    assert _shapes(_run(ghosted, inputs)) == _shapes(_run(plain, inputs)) == [(1, 3, 16, 16)]


@pytest.mark.parametrize('ratio,paper_flops', [(2, 2.2e9), (4, 1.2e9)])
def test_ghost_resnet50_counts_as_the_paper(repo_root, ratio, paper_flops):
    MODELS = scope_models('mmpretrain')
    from ghost_mm.complexity import measure
    from ghost_mm.swap.ghostify import ordinary_convs
    from ghost_mm.runner import load_config
    cfg = load_config(f'configs/imagenet/ghost-resnet50-s{ratio}_8xb32_in1k.py')
    model = MODELS.build(cfg.model)
    # every conv but the 7x7 stem, downsample convs included
    assert ordinary_convs(model, {'backbone': ['backbone']})['backbone'] == ['backbone.conv1']
    assert model.backbone.layer2[0].downsample[0].__class__ is GhostConv
    numbers = measure(model)
    assert abs(numbers['flops'] / paper_flops - 1) <= 0.03, numbers
    # params fall about as 1/s (the paper: 13.0M and 6.5M of ResNet-50's 25.6M)
    assert numbers['params'] < _resnet50()['params'] * (1 / ratio + 0.1)


def _resnet50():
    MODELS = scope_models('mmpretrain')
    from ghost_mm.complexity import measure
    return measure(MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='ResNet', depth=50),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=1000, in_channels=2048))))


def test_ghost_resnet_keeps_resnet_arguments():
    MODELS = scope_models('mmdet')  # default scope too: tests run in any order
    model = MODELS.build(dict(type='GhostResNet', depth=50, ratio=2, frozen_stages=1,
                              norm_eval=True, out_indices=(1, 3)))
    model.train()
    assert not any(p.requires_grad for p in model.layer1.parameters())
    assert all(not m.training for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    outs = model(torch.randn(1, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(1, 512, 8, 8), (1, 2048, 2, 2)]
    with pytest.raises(ValueError, match='conv_cfg'):
        MODELS.build(dict(type='GhostResNet', depth=50, conv_cfg=dict(type='Conv2d')))


@pytest.mark.slow
@pytest.mark.parametrize('config,source,parts', [
    ('configs/retinanet_ghostnet_ghost-fpn-head_coco.py', 'configs/retinanet_ghostnet_coco.py',
     ('neck', 'head')),
    ('configs/faster-rcnn_ghostnet_ghost-fpn-head_coco.py',
     'configs/faster-rcnn_ghostnet_fpn_coco.py', ('neck', 'head')),
    ('configs/deeplabv3_ghostnet_ghost-aspp_cityscapes.py',
     'configs/deeplabv3_ghostnet_cityscapes.py', ('head',)),
])
def test_shipped_ghosted_configs_are_what_ghostify_writes(repo_root, tmp_path, config,
                                                          source, parts):
    from ghost_mm.swap.ghostify import write_ghostified_config
    written = write_ghostified_config(source, str(tmp_path / 'ghosted.py'), parts,
                                      shape=(256, 256))
    shipped = Config.fromfile(config)
    assert shipped.model.to_dict() == written.cfg.model.to_dict()
    for part, (p0, p1, f0, f1) in written.costs.items():
        assert p1 < p0 and f1 < f0, (part, written.costs[part])


@pytest.mark.slow
def test_ghostify_tool_writes_a_checked_diff_and_refuses_the_rest(repo_root, tmp_path,
                                                                 capsys):
    import ghostify as tool
    dst = tmp_path / 'retinanet_r50_ghost.py'
    tool.main(['mmdet::retinanet/retinanet_r50_fpn_1x_coco.py', str(dst),
               '--parts', 'backbone', 'neck', '--ratio', '4', '--shape', '128', '128'])
    cfg = Config.fromfile(str(dst))
    assert cfg.model.backbone.type == 'GhostResNet' and cfg.model.backbone.ratio == 4
    assert cfg.model.neck.conv_cfg == dict(type='GhostConv', ratio=4, dw_size=3)
    text = dst.read_text()
    assert 'backbone: 23.51M ->' in text and 'left ordinary' in text and 'backbone.conv1' in text
    assert cfg.model.backbone.init_cfg is None  # ResNet's ImageNet weights do not fit
    with pytest.raises(SystemExit, match='ratio .* got 1'):
        tool.main(['mmdet::retinanet/retinanet_r50_fpn_1x_coco.py', str(tmp_path / 'r1.py'),
                   '--parts', 'neck', '--ratio', '1'])
    # GhostNet takes no conv_cfg; nothing is written
    refused = tmp_path / 'refused.py'
    with pytest.raises(SystemExit, match='does not build its convs through conv_cfg'):
        tool.main(['configs/retinanet_ghostnet_coco.py', str(refused), '--parts', 'backbone'])
    # a conv_cfg that is not a plain conv (DCN) is not overwritten
    dcn = tmp_path / 'dcn.py'
    dcn.write_text("_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'\n"
                   "model = dict(bbox_head=dict(conv_cfg=dict(type='DCNv2')))\n")
    with pytest.raises(SystemExit, match='DCNv2'):
        tool.main([str(dcn), str(refused), '--parts', 'head'])
    assert not refused.exists()
    # it composes with the swap tool: GhostNet backbone + ghosted neck and head
    from ghost_mm.swap import write_swapped_config
    swapped = tmp_path / 'swapped.py'
    write_swapped_config('mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py', str(swapped),
                         pretrained=None)
    both = tmp_path / 'both.py'
    tool.main([str(swapped), str(both), '--shape', '128', '128'])
    cfg = Config.fromfile(str(both))
    assert cfg.model.backbone.type == 'GhostNet' and cfg.model.bbox_head.conv_cfg.type == \
        'GhostConv'
    assert os.path.basename(str(swapped)) in both.read_text()
