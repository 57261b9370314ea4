"""Deploy form: BN folded into the convs, channels-last; same outputs as the
training-form model in eval mode."""
import pytest
import torch
import torch.nn.functional as F
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

from ghost_mm.deploy import fuse_conv_bn, to_deploy
from ghost_mm.models.ghostnet import GhostNet, GhostNetClassifier
from helpers import randomise_bn


@pytest.mark.parametrize('kwargs,shape', [
    (dict(widen_factor=1.0, out_indices=(0, 1, 2, 3, 4, 5)), (2, 3, 224, 160)),
    (dict(widen_factor=1.1, out_indices=(1, 2, 3, 4)), (1, 3, 250, 333)),
    (dict(widen_factor=1.0, out_indices=(1, 2, 3, 4), strides=(2, 2, 2, 1, 1),
          dilations=(1, 1, 1, 2, 4)), (1, 3, 129, 97)),
    (dict(version='v2', out_indices=(0, 1, 2, 3, 4, 5)), (2, 3, 160, 224)),
    (dict(version='v3', out_indices=(0, 1, 2, 3, 4, 5)), (2, 3, 224, 160)),
    (dict(version='v3', widen_factor=1.3, strides=(2, 2, 2, 1, 1),
          dilations=(1, 1, 1, 2, 4)), (1, 3, 129, 97)),
])
def test_deployed_backbone_matches_eval_mode(kwargs, shape):
    model = randomise_bn(GhostNet(**kwargs)).eval()
    x = torch.randn(shape)
    with torch.no_grad():
        expected = model(x)
        for deployed in (fuse_conv_bn(model), to_deploy(model)):
            got = deployed(x)
            assert len(got) == len(expected)
            for e, g in zip(expected, got):
                assert g.shape == e.shape
                assert (g - e).abs().max().item() < 1e-4
    deployed = fuse_conv_bn(model)
    assert not any(isinstance(m, _BatchNorm) for m in deployed.modules())
    assert any(isinstance(m, _BatchNorm) for m in model.modules())  # a copy by default
    convs = [m for m in deployed.modules() if isinstance(m, nn.Conv2d)]
    assert all(c.bias is not None for c in convs)
    # V3's parallel branches are merged: one conv where training had five
    assert not any('_rpr_' in name for name in deployed.state_dict())
    if kwargs.get('version') == 'v3':
        assert any('_rpr_' in name for name in model.state_dict())
        assert sum(p.numel() for p in deployed.parameters()) < \
            0.7 * sum(p.numel() for p in model.parameters())


def test_deployed_classifier_matches_also_in_place():
    model = randomise_bn(GhostNetClassifier()).eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        expected = model(x)
        fused = fuse_conv_bn(model, inplace=True)
        assert fused is model
        assert (fused(x) - expected).abs().max().item() < 1e-4


@pytest.mark.parametrize('version', ['v1', 'v3'])
def test_group_norm_is_refused_by_name(version):
    model = GhostNet(norm_cfg=dict(type='GN', num_groups=4), version=version)
    with pytest.raises(TypeError, match='GroupNorm'):
        fuse_conv_bn(model)


def test_v3_trained_then_deployed_matches():
    """Branches that learned different things still merge exactly. (A bounded
    loss: the squared outputs this used to minimise diverged to ~1e10, where
    fp32 rounding alone came to 1e-4 of the output on some CPUs.)"""
    torch.manual_seed(0)
    model = GhostNet(version='v3', out_indices=(2, 4))
    before = {k: v.clone() for k, v in model.state_dict().items() if v.dtype.is_floating_point}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(2):
        loss = sum(F.smooth_l1_loss(o, torch.ones_like(o))
                   for o in model(torch.randn(2, 3, 96, 64)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    moved = [k for k, v in before.items() if not torch.allclose(model.state_dict()[k], v)]
    assert len(moved) > 0.9 * len(before)  # every branch's convs and BNs learned
    model.eval()
    x = torch.randn(1, 3, 80, 112)
    with torch.no_grad():
        for e, g in zip(model(x), to_deploy(model)(x)):
            assert e.abs().max() > 0.5
            assert (g - e).abs().max().item() < 1e-5 * e.abs().max().item()


@pytest.mark.slow
def test_keep_freed_memory_keeps_a_freed_large_block():
    """After keep_freed_memory() a freed 256 MB tensor stays in the process for
    reuse; by default glibc unmaps it at once (run in fresh processes: the
    setting is process-wide)."""
    import subprocess
    import sys
    code = '''if True:
        import os, sys, torch
        from ghost_mm.deploy import keep_freed_memory
        if sys.argv[1] == 'keep':
            assert keep_freed_memory()
        def rss():
            with open('/proc/self/statm') as f:
                return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') >> 20
        before = rss()
        x = torch.ones(64, 1024, 1024)
        del x
        print(rss() - before)'''
    kept = {}
    for mode in ('default', 'keep'):
        out = subprocess.run([sys.executable, '-c', code, mode], capture_output=True,
                             text=True, check=True).stdout
        kept[mode] = int(out.split()[-1])
    assert kept['default'] < 32 and kept['keep'] > 200, kept
