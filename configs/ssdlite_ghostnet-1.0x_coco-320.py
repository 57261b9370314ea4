# SSDLite-GhostNet at 1.0x, 320x320: the 1.3x recipe at the width of the
# paper's ImageNet model (5.2M params, 141M FLOPs as a classifier).
_base_ = './ssdlite_ghostnet-1.3x_coco-320.py'

from ghost_mm.models.ghostnet import level_channels

widen_factor = 1.0
backbone_channels = list(level_channels(widen_factor, (3, 5)))
model = dict(
    backbone=dict(widen_factor=widen_factor),
    neck=dict(in_channels=backbone_channels,
              out_channels=backbone_channels + [512, 256, 256, 128]),
    bbox_head=dict(in_channels=backbone_channels + [512, 256, 256, 128]))
