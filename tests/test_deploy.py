"""Deploy form: BN folded into the convs, channels-last; same outputs as the
training-form model in eval mode."""
import pytest
import torch
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


def test_deployed_classifier_matches_also_in_place():
    model = randomise_bn(GhostNetClassifier()).eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        expected = model(x)
        fused = fuse_conv_bn(model, inplace=True)
        assert fused is model
        assert (fused(x) - expected).abs().max().item() < 1e-4


def test_group_norm_is_refused_by_name():
    model = GhostNet(norm_cfg=dict(type='GN', num_groups=4))
    with pytest.raises(TypeError, match='GroupNorm'):
        fuse_conv_bn(model)
