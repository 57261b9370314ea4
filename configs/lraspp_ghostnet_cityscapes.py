# LR-ASPP on GhostNet 1.0x, Cityscapes 512x1024 crops: mmseg's MobileNetV3-large
# LR-ASPP recipe (mmseg::mobilenet_v3/mobilenet-v3-d8_lraspp_4xb4-320k_cityscapes-512x1024.py:
# 69.54 mIoU) with GhostNet in place of MobileNetV3: output stride 8 (the last two
# downsamplings traded for dilation, as mmseg's MobileNetV3 does), the head's
# skip inputs at strides 2 and 4 and its main input the final 1x1 conv (960
# channels at 1.0x, as MobileNetV3-large's), SyncBN eps 1e-3, SGD lr 0.01 poly,
# 4 GPUs x 4 crops, ImageNet-initialised backbone.
# The recipe is named 320k and mmseg's published 69.54 was trained for 320k
# iterations (mmseg 0.x); in mmseg 1.x its `runner = dict(max_iters=320000)` line
# is no longer read and the 160k schedule of its base applies. 320k is set here.
_base_ = 'mmseg::mobilenet_v3/mobilenet-v3-d8_lraspp_4xb4-320k_cityscapes-512x1024.py'

from ghost_mm.models.ghostnet import level_channels

custom_imports = dict(imports=['ghost_mm'], allow_failed_imports=False)

widen_factor = 1.0
# MobileNetV3's out_indices=(1, 3, 16): strides 2 and 4, and the final conv
backbone_levels = (0, 1, 5)
model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='GhostNet',
        widen_factor=widen_factor,
        out_indices=backbone_levels,
        strides=(2, 2, 2, 1, 1),
        dilations=(1, 1, 1, 2, 4),
        norm_cfg=dict(type='SyncBN', eps=0.001, requires_grad=True),
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/ghostnet_1.0x.pth')),
    decode_head=dict(in_channels=level_channels(widen_factor, backbone_levels)))

max_iters = 320000
train_cfg = dict(max_iters=max_iters)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
                        by_epoch=False)]
