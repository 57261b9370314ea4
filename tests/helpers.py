"""Shared by the tests that compare two computations of the same network."""
import torch
from torch.nn.modules.batchnorm import _BatchNorm


def randomise_bn(model, seed=0):
    """BN statistics and affine parameters far from identity, so that a
    wrong BN mapping or fold cannot pass a comparison. Returns ``model``."""
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            n = module.num_features
            module.running_mean.copy_(torch.randn(n, generator=generator) * 0.2)
            module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
            module.weight.data.copy_(torch.rand(n, generator=generator) + 0.5)
            module.bias.data.copy_(torch.randn(n, generator=generator) * 0.1)
    return model
