# RTMDet-tiny with GhostNet 1.0x in place of CSPNeXt-tiny, COCO 2017, 640x640:
# mmdet's recipe (mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py: 40.9 bbox mAP in
# its metafile) unchanged: CSPNeXt-PAFPN neck and shared-conv head at 96 channels, AdamW lr
# 0.004 (8 GPUs x 32 images), 300 epochs, cached Mosaic + MixUp for 280 epochs
# then the plain pipeline, EMA, SyncBN. As CSPNeXt-tiny starts from its ImageNet
# weights, GhostNet starts from the official 1.0x ImageNet weights
# (tools/convert_checkpoint.py; no freezing: 32 images per GPU are enough for BN).
_base_ = 'mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py'

from ghost_mm.models.ghostnet import level_channels

custom_imports = dict(imports=['ghost_mm'], allow_failed_imports=False)

widen_factor = 1.0
# CSPNeXt's out_indices=(2, 3, 4): the last blocks at strides 8, 16, 32
backbone_levels = (2, 3, 4)
model = dict(
    backbone=dict(
        _delete_=True,
        type='GhostNet',
        widen_factor=widen_factor,
        out_indices=backbone_levels,
        norm_cfg=dict(type='SyncBN'),  # as the recipe's backbone, neck and head
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/ghostnet_1.0x.pth')),
    neck=dict(in_channels=list(level_channels(widen_factor, backbone_levels))))
