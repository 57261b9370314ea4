from .ghost_conv import GhostConv
from .ghostnet import GhostBottleneck, GhostNet, GhostNetClassifier
from .layers import GhostBranches, GhostModule, SqueezeExcite, make_divisible

__all__ = ['GhostNet', 'GhostNetClassifier', 'GhostBottleneck', 'GhostModule',
           'GhostBranches', 'GhostConv', 'SqueezeExcite', 'make_divisible']
