# RetinaNet-GhostNet at 1.0x: the width whose ImageNet weights are public
# (official state_dict_73.98.pth, timm ghostnet_100); the paper's 1.1x were not released.
_base_ = './retinanet_ghostnet_coco.py'

from ghost_mm.models.ghostnet import level_channels

widen_factor = 1.0  # the variable too, so that a dump of this config says 1.0
model = dict(
    backbone=dict(widen_factor=widen_factor,
                  init_cfg=dict(checkpoint='checkpoints/ghostnet_1.0x.pth')),
    neck=dict(in_channels=list(level_channels(widen_factor, (1, 2, 3, 4)))))
