from .ghostnet import GhostBottleneck, GhostNet, GhostNetClassifier
from .layers import GhostModule, SqueezeExcite, make_divisible

__all__ = ['GhostNet', 'GhostNetClassifier', 'GhostBottleneck', 'GhostModule',
           'SqueezeExcite', 'make_divisible']
