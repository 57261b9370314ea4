# SSDLite on GhostNet 1.3x, 320x320 input, COCO 2017: mmdet's SSDLite-MobileNetV2
# recipe (mmdet::ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py: 21.3 bbox mAP)
# with GhostNet in place of MobileNetV2 and nothing else changed: SGD lr 0.015,
# momentum 0.9, weight decay 4e-5, 8 GPUs x 24 images, 120 epochs over the train
# set repeated 5x (600 epochs), 500-iter linear warm-up + cosine, Expand +
# MinIoURandomCrop + photometric distortion, from scratch (TruncNormal init, BN
# eps 1e-3 / momentum 0.03), the depthwise SSD neck and head.
# Why mmdet's recipe and not PaddleDetection's SSDLite-GhostNet 1.3x (23.3 AP,
# configs/ssd/ssdlite_ghostnet_320_coco.yml): that one starts from PaddleClas'
# SSLD-distilled 1.3x ImageNet weights (loadable now: tools/convert_checkpoint.py
# reads .pdparams; README "Other widths") and builds on
# Paddle's own head (prior boxes from min/max ratios 20-95) and regularizer; mmdet's
# runs on mmdet's modules unchanged and trains from scratch, which needs no
# weights at any width. Its per-stage learning-rate multipliers, for when
# ImageNet weights are loaded, are written out in docs/realtime.md.
_base_ = 'mmdet::ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py'

from ghost_mm.models.ghostnet import level_channels

custom_imports = dict(imports=['ghost_mm'], allow_failed_imports=False)

widen_factor = 1.3
# MobileNetV2's out_indices=(4, 7): the last block at stride 16 and the final
# 1x1 conv at stride 32; GhostNet's levels 3 and 5 are exactly those
backbone_levels = (3, 5)
backbone_channels = list(level_channels(widen_factor, backbone_levels))
ssd_norm_cfg = dict(type='BN', eps=0.001, momentum=0.03)
model = dict(
    backbone=dict(
        _delete_=True,
        type='GhostNet',
        widen_factor=widen_factor,
        out_indices=backbone_levels,
        norm_cfg=ssd_norm_cfg,
        init_cfg=dict(type='TruncNormal', layer='Conv2d', std=0.03)),
    neck=dict(in_channels=backbone_channels,
              out_channels=backbone_channels + [512, 256, 256, 128]),
    bbox_head=dict(
        # mmdet 3.3's SSDHead fails at predict (it has no loss_cls); the same
        # head with that fixed, registered by ghost_mm (ghost_mm/models/ssd_head.py)
        type='SSDHeadFixed',
        in_channels=backbone_channels + [512, 256, 256, 128]))
