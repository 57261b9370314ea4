# YOLOX-tiny with GhostNet 1.0x in place of its CSPDarknet, COCO 2017, 416x416
# test size: mmdet's recipe (mmdet::yolox/yolox_tiny_8xb8-300e_coco.py: 32.0 bbox
# mAP) unchanged: YOLOX-PAFPN neck and decoupled head at 96 channels, SGD lr 0.01
# Nesterov (8 GPUs x 8 images), 300 epochs, Mosaic + random affine with
# multi-scale 320-640 input, the last 15 epochs without them, EMA. YOLOX trains
# its backbone from scratch, so GhostNet does too (BN as the recipe's:
# eps 1e-3, momentum 0.03).
_base_ = 'mmdet::yolox/yolox_tiny_8xb8-300e_coco.py'

from ghost_mm.models.ghostnet import level_channels

custom_imports = dict(imports=['ghost_mm'], allow_failed_imports=False)

widen_factor = 1.0
# CSPDarknet's out_indices=(2, 3, 4): the last blocks at strides 8, 16, 32
backbone_levels = (2, 3, 4)
model = dict(
    backbone=dict(
        _delete_=True,
        type='GhostNet',
        widen_factor=widen_factor,
        out_indices=backbone_levels,
        norm_cfg=dict(type='BN', momentum=0.03, eps=0.001)),
    neck=dict(in_channels=list(level_channels(widen_factor, backbone_levels))))
