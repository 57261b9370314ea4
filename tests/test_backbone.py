import pytest
import torch
from torch.nn.modules.batchnorm import _BatchNorm

from ghost_mm.models import GhostNet
from ghost_mm.models.ghostnet import VERSIONS, level_channels

ALL_LEVELS = (0, 1, 2, 3, 4, 5)


@pytest.mark.parametrize('width, channels', [
    (1.0, (16, 24, 40, 112, 160, 960)),
    (0.5, (8, 12, 20, 56, 80, 480)),
    (1.1, (16, 28, 44, 124, 176, 1056)),
    (1.3, (20, 32, 52, 144, 208, 1248)),
])
def test_level_shapes_and_channels(width, channels):
    model = GhostNet(width, out_indices=ALL_LEVELS).eval()
    outs = model(torch.randn(2, 3, 96, 128))
    assert model.out_channels == channels == level_channels(width)
    assert model.level_strides == (2, 4, 8, 16, 32, 32)
    for out, c, s in zip(outs, channels, model.level_strides):
        assert out.shape == (2, c, 96 // s, 128 // s)


def test_out_indices_select_levels():
    model = GhostNet(out_indices=(2, 5)).eval()
    full = GhostNet(out_indices=ALL_LEVELS).eval()
    full.load_state_dict(model.state_dict())
    x = torch.randn(1, 3, 64, 64)
    outs, all_outs = model(x), full(x)
    assert len(outs) == 2 and model.out_channels == (40, 960)
    assert torch.equal(outs[0], all_outs[2]) and torch.equal(outs[1], all_outs[5])


@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('mode', ['train', 'eval'])
def test_odd_non_square_input_size(version, mode):
    # V2/V3 pool their attention input by 2 and scale the gate back per axis
    model = GhostNet(out_indices=ALL_LEVELS, version=version).train(mode == 'train')
    outs = model(torch.randn(2, 3, 97, 65))
    assert [o.shape[-2:] for o in outs] == [
        (49, 33), (25, 17), (13, 9), (7, 5), (4, 3), (4, 3)]


@pytest.mark.parametrize('strides, dilations, out_strides', [
    ((2, 2, 2, 1, 1), (1, 1, 1, 2, 4), (2, 4, 8, 8, 8, 8)),
    ((2, 2, 2, 2, 1), (1, 1, 1, 1, 2), (2, 4, 8, 16, 16, 16)),
    ((1, 2, 2, 2, 2), (1, 1, 1, 1, 1), (1, 2, 4, 8, 16, 16)),
])
@pytest.mark.parametrize('version', VERSIONS)
def test_dilation_keeps_parameters(strides, dilations, out_strides, version):
    plain = GhostNet(out_indices=ALL_LEVELS, version=version)
    dilated = GhostNet(out_indices=ALL_LEVELS, strides=strides, dilations=dilations,
                       version=version).eval()
    assert {k: v.shape for k, v in plain.state_dict().items()} == \
        {k: v.shape for k, v in dilated.state_dict().items()}
    dilated.load_state_dict(plain.state_dict())
    outs = dilated(torch.randn(1, 3, 64, 96))
    assert dilated.level_strides == out_strides
    assert [o.shape[-2:] for o in outs] == [(64 // s, 96 // s) for s in out_strides]


def test_dilation_applies_to_convs_after_the_removed_stride():
    model = GhostNet(strides=(2, 2, 2, 1, 1), dilations=(1, 1, 1, 2, 4))
    first_l3 = model.blocks[5][0]   # the block that used to downsample to stride 16
    assert first_l3.conv_dw.stride == (1, 1) and first_l3.conv_dw.dilation == (1, 1)
    assert first_l3.ghost2.cheap_operation[0].dilation == (2, 2)
    assert model.blocks[6][0].ghost1.cheap_operation[0].dilation == (2, 2)
    first_l4 = model.blocks[7][0]
    assert first_l4.conv_dw.dilation == (2, 2) and first_l4.conv_dw.padding == (4, 4)
    assert model.blocks[8][3].ghost2.cheap_operation[0].dilation == (4, 4)


def test_v2_v3_dilate_their_attention_and_branches():
    v2 = GhostNet(strides=(2, 2, 2, 1, 1), dilations=(1, 1, 1, 2, 4), version='v2')
    assert v2.blocks[1][0].ghost1.__class__.__name__ == 'GhostModule'  # blocks 1-2: no DFC
    dfc = v2.blocks[8][0].ghost1.short_conv
    assert dfc[2].dilation == (1, 4) and dfc[4].dilation == (4, 1)
    assert dfc[2].padding == (0, 8) and dfc[4].padding == (8, 0)
    v3 = GhostNet(strides=(2, 2, 2, 1, 1), dilations=(1, 1, 1, 2, 4), version='v3')
    first_l4 = v3.blocks[7][0]
    assert [b.conv.dilation for b in first_l4.dw_rpr_conv] == [(2, 2)] * 3
    assert first_l4.dw_rpr_scale.conv.stride == (1, 1)
    assert v3.blocks[8][0].ghost1.cheap_rpr_conv[0].conv.dilation == (4, 4)
    assert v3.blocks[8][0].ghost1.short_conv[2].dilation == (1, 4)


def _trainable(model):
    return {n for n, p in model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize('frozen_stages, version', [
    (-1, 'v1'), (0, 'v1'), (2, 'v1'), (5, 'v1'), (2, 'v2'), (3, 'v3')])
def test_frozen_stages(frozen_stages, version):
    model = GhostNet(out_indices=ALL_LEVELS, frozen_stages=frozen_stages, version=version)
    model.train()
    for level in range(6):
        frozen = level <= frozen_stages
        for module in model.level_modules(level):
            for param in module.parameters():
                assert param.requires_grad != frozen
            for m in module.modules():
                if isinstance(m, _BatchNorm):
                    assert m.training != frozen
    # a frozen level's BN statistics do not move in a training step
    if frozen_stages >= 0:
        before = model.bn1.running_mean.clone()
        model(torch.randn(2, 3, 64, 64))
        assert torch.equal(before, model.bn1.running_mean)


@pytest.mark.parametrize('version', VERSIONS)
def test_levels_after_last_output_are_not_run_and_get_no_gradient(version):
    model = GhostNet(out_indices=(1, 2, 3), version=version)
    trainable = _trainable(model)
    assert not any(n.startswith(('blocks.7.', 'blocks.8.', 'blocks.9.')) for n in trainable)
    outs = model(torch.randn(2, 3, 64, 64))
    sum(o.sum() for o in outs).backward()
    # every trainable parameter got a gradient: DDP finds no unused parameter
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_norm_eval_and_train_returns_self():
    model = GhostNet(norm_eval=True)
    assert model.train() is model and model.eval() is model
    model.train()
    bns = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    assert bns and all(not m.training for m in bns)
    assert all(p.requires_grad for p in model.blocks[1].parameters())
    assert GhostNet(norm_eval=False).train().bn1.training


@pytest.mark.parametrize('version', ['v1', 'v3'])
def test_with_cp_same_outputs_and_gradients(version):
    torch.manual_seed(1)
    ref = GhostNet(out_indices=ALL_LEVELS, version=version)
    cp = GhostNet(out_indices=ALL_LEVELS, with_cp=True, version=version)
    cp.load_state_dict(ref.state_dict())
    x = torch.randn(2, 3, 64, 64)
    grads = []
    for model in (ref, cp):
        model.train()
        outs = model(x)
        sum((o * torch.linspace(0, 1, o.numel()).view_as(o)).sum() for o in outs).backward()
        grads.append(({n: p.grad.clone() for n, p in model.named_parameters()}, outs))
    (g_ref, o_ref), (g_cp, o_cp) = grads
    for a, b in zip(o_ref, o_cp):
        torch.testing.assert_close(a, b)
    for name in g_ref:
        torch.testing.assert_close(g_ref[name], g_cp[name], msg=name)


def test_syncbn_and_act_cfg():
    model = GhostNet(norm_cfg=dict(type='SyncBN'), act_cfg=dict(type='ReLU6'))
    assert isinstance(model.bn1, torch.nn.SyncBatchNorm)
    assert isinstance(model.act1, torch.nn.ReLU6)
    assert isinstance(model.blocks[1][0].ghost1.primary_conv[2], torch.nn.ReLU6)


@pytest.mark.parametrize('kwargs, error, words', [
    (dict(widen_factor=0), ValueError, 'widen_factor'),
    (dict(widen_factor=-1.0), ValueError, '-1.0'),
    (dict(widen_factor='1.0'), TypeError, 'widen_factor'),
    (dict(out_indices=(1, 6)), ValueError, '0..5'),
    (dict(out_indices=()), ValueError, 'out_indices'),
    (dict(out_indices=3), TypeError, 'out_indices'),
    (dict(frozen_stages=6), ValueError, '-1..5'),
    (dict(frozen_stages=-2), ValueError, 'frozen_stages'),
    (dict(strides=(2, 2, 2, 1)), ValueError, '5 entries'),
    (dict(strides=(2, 2, 2, 3, 1)), ValueError, '1 or 2'),
    (dict(dilations=(1, 1, 1, 0, 1)), ValueError, '>= 1'),
    (dict(dilations=(1, 1, 1, 1.5, 1)), TypeError, 'dilations'),
    (dict(version='v4'), ValueError, "'v1', 'v2', 'v3'"),
    (dict(version=2), ValueError, 'version'),
])
def test_bad_arguments(kwargs, error, words):
    with pytest.raises(error, match=words.replace('.', r'\.')) as info:
        GhostNet(**kwargs)
    assert list(kwargs)[0] in str(info.value)


def test_registered_in_mmdet_and_mmseg():
    from mmdet.registry import MODELS as DET
    from mmseg.registry import MODELS as SEG
    for registry in (DET, SEG):
        model = registry.build(dict(type='GhostNet', widen_factor=0.5, out_indices=(4,)))
        assert isinstance(model, GhostNet) and model.out_channels == (80,)


@pytest.mark.parametrize('size', [(8, 12), (7, 12), (8, 9), (1, 1)])
def test_dfc_gate_is_nearest_upsampling_at_any_size(size):
    import torch.nn.functional as F
    from ghost_mm.models.layers import apply_dfc_gate, dfc_attention
    attention = dfc_attention(6, 6).eval()
    x, out = torch.randn(2, 6, *size), torch.randn(2, 6, *size)
    with torch.no_grad():
        gate = torch.sigmoid(attention(F.avg_pool2d(x, 2, 2))) if min(size) > 1 else None
        got = apply_dfc_gate(out, attention, x) if gate is not None else None
    if gate is None:  # a 1-pixel map cannot be pooled (timm fails with a pooling error)
        with pytest.raises(ValueError, match=r'at least 64x64.*\(1, 1\)|\(1, 1\).*64x64'):
            apply_dfc_gate(out, attention, x)
        return
    expected = out * F.interpolate(gate, size=size, mode='nearest')
    assert torch.equal(got, expected)


@pytest.mark.parametrize('frozen_stages, norm_eval, warned', [
    (1, True, True), (-1, True, True), (1, False, True), (-1, False, False)])
def test_random_init_with_imagenet_settings_warns_in_the_log(tmp_path, frozen_stages,
                                                              norm_eval, warned):
    """The from-scratch trap: frozen levels or BN in eval without ImageNet
    weights cripple training (held-out: bbox mAP 0.05 instead of 0.72)."""
    import uuid
    from mmengine.logging import MMLogger
    log_file = tmp_path / 'run.log'
    MMLogger.get_instance(f'test-{uuid.uuid4().hex}', log_file=str(log_file))
    GhostNet(frozen_stages=frozen_stages, norm_eval=norm_eval).init_weights()
    log = log_file.read_text()
    assert ('GhostNet starts from random weights' in log) == warned
    if warned:
        assert f'frozen_stages={frozen_stages}' in log and f'norm_eval={norm_eval}' in log
        assert 'frozen_stages=-1' in log and 'norm_eval=False' in log


def test_missing_weights_hint_gives_the_whole_from_scratch_override(repo_root):
    from ghost_mm.runner import load_config, missing_inputs
    cfg = load_config('configs/retinanet_ghostnet-1.0x_coco.py')
    message = '\n'.join(missing_inputs(cfg, loaders=()))
    assert 'checkpoints/ghostnet_1.0x.pth' in message
    assert ('model.backbone.init_cfg=None model.backbone.frozen_stages=-1 '
            'model.backbone.norm_eval=False') in message


def test_config_variables_say_the_width_the_model_has(repo_root):
    from mmengine.config import Config
    cfg = Config.fromfile('configs/retinanet_ghostnet-1.0x_coco.py')
    assert cfg.widen_factor == cfg.model.backbone.widen_factor == 1.0
