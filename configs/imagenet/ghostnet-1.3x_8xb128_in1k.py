# GhostNet 1.3x on ImageNet-1k (paper: 75.7% top-1, 7.3M params, 226M FLOPs).
# Same recipe as 1.0x.
_base_ = './ghostnet-1.0x_8xb128_in1k.py'

from ghost_mm.models.ghostnet import level_channels

widen_factor = 1.3
model = dict(backbone=dict(widen_factor=widen_factor),
             head=dict(in_channels=level_channels(widen_factor, (5,))[0]))
