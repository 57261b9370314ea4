# RetinaNet with a GhostNet 1.1x backbone on COCO 2017, 1x schedule: the
# paper's detection setting (26.6 bbox mAP reported, 164M backbone FLOPs).
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'

from ghost_mm.models.ghostnet import level_channels

custom_imports = dict(imports=['ghost_mm'], allow_failed_imports=False)

widen_factor = 1.1
# Levels 1-4 have strides 4-32 like ResNet's C2-C5, so FPN's start_level=1
# gives RetinaNet its P3-P7 exactly as in the ResNet configs.
backbone_levels = (1, 2, 3, 4)
model = dict(
    backbone=dict(
        _delete_=True,
        type='GhostNet',
        widen_factor=widen_factor,
        out_indices=backbone_levels,
        # as mmdet's ResNet configs: stem and stride-4 level frozen, BN
        # statistics kept from ImageNet (2 images per GPU are too few for BN)
        frozen_stages=1,
        norm_eval=True,
        init_cfg=dict(type='Pretrained',
                      checkpoint='checkpoints/ghostnet_1.1x.pth')),
    neck=dict(in_channels=list(level_channels(widen_factor, backbone_levels))))

# 8 GPUs x 2 images, lr 0.01 (mmdet's RetinaNet setting); rescaled to the
# real batch size by auto_scale_lr.
train_dataloader = dict(batch_size=2)
optim_wrapper = dict(optimizer=dict(lr=0.01))
auto_scale_lr = dict(enable=True, base_batch_size=16)
