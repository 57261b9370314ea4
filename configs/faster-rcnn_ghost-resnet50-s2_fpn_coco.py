# Faster R-CNN + FPN on Ghost-ResNet-50 (s=2, d=3): mmdet's R-50 config
# (faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py) with the backbone swapped,
# nothing else changed. ImageNet weights as in
# retinanet_ghost-resnet50-s2_fpn_coco.py (none public; train them with
# configs/imagenet/ghost-resnet50-s2_8xb32_in1k.py).
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['ghost_mm'], allow_failed_imports=False)

model = dict(backbone=dict(
    type='GhostResNet', ratio=2, dw_size=3,
    init_cfg=dict(type='Pretrained', prefix='backbone.',
                  checkpoint='work_dirs/ghost-resnet50-s2_8xb32_in1k/epoch_100.pth')))
