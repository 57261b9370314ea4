# GhostNet 1.1x on ImageNet-1k: the width of the paper's COCO detectors
# (RetinaNet 26.6 / Faster R-CNN 26.9 mAP), whose ImageNet weights were never
# published. Same recipe as 1.0x (the paper trains every width alike). Train
# it, then hand it to configs/retinanet_ghostnet_coco.py (README: "Pretrain
# on ImageNet").
_base_ = './ghostnet-1.0x_8xb128_in1k.py'

from ghost_mm.models.ghostnet import level_channels

widen_factor = 1.1
model = dict(backbone=dict(widen_factor=widen_factor),
             head=dict(in_channels=level_channels(widen_factor, (5,))[0]))
