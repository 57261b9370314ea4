# RetinaNet + FPN on Ghost-ResNet-50 (s=2, d=3): mmdet's R-50 RetinaNet config
# (retinanet/retinanet_r50_fpn_1x_coco.py) with the backbone swapped, nothing
# else changed (frozen stem and stage 1, BN in eval mode, as for ResNet-50's
# ImageNet weights). GhostResNet is mmdet's ResNet with GhostConv for every
# conv but the stem, so every ResNet argument means the same.
# ImageNet weights: none are public; train them with
# configs/imagenet/ghost-resnet50-s2_8xb32_in1k.py, whose last checkpoint
# this points at (its keys start with 'backbone.').
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['ghost_mm'], allow_failed_imports=False)

model = dict(backbone=dict(
    type='GhostResNet', ratio=2, dw_size=3,
    init_cfg=dict(type='Pretrained', prefix='backbone.',
                  checkpoint='work_dirs/ghost-resnet50-s2_8xb32_in1k/epoch_100.pth')))
