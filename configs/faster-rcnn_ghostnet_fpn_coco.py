# Faster R-CNN + FPN with a GhostNet 1.1x backbone on COCO 2017, 1x schedule
# (the paper reports 26.9 bbox mAP in this setting).
# + the test-time augmentation mmdet ships with its RetinaNet configs (tools/test.py
# --tta): DetTTAModel merging Resize (1333, 800), (666, 400), (2000, 1200), flip and not
_base_ = ['mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
          'mmdet::retinanet/retinanet_tta.py']

from ghost_mm.models.ghostnet import level_channels

custom_imports = dict(imports=['ghost_mm'], allow_failed_imports=False)

widen_factor = 1.1
# strides 4-32, fed to FPN as ResNet's C2-C5 are (P2-P6)
backbone_levels = (1, 2, 3, 4)
model = dict(
    backbone=dict(
        _delete_=True,
        type='GhostNet',
        widen_factor=widen_factor,
        out_indices=backbone_levels,
        frozen_stages=1,
        norm_eval=True,
        init_cfg=dict(type='Pretrained',
                      checkpoint='checkpoints/ghostnet_1.1x.pth')),
    neck=dict(in_channels=list(level_channels(widen_factor, backbone_levels))))

# 8 GPUs x 2 images, lr 0.02 (mmdet's Faster R-CNN setting)
train_dataloader = dict(batch_size=2)
optim_wrapper = dict(optimizer=dict(lr=0.02))
auto_scale_lr = dict(enable=True, base_batch_size=16)
