# Faster R-CNN + FPN with a GhostNet 1.1x backbone on PASCAL VOC 07+12:
# mmdet's own recipe (configs/pascal_voc/faster-rcnn_r50_fpn_1x_voc0712.py:
# VOC2007+2012 trainval repeated 3 times, 4 epochs, SGD lr 0.01 for 8 GPUs x 2
# images, tested on VOC2007 test with VOCMetric's 11-point mAP) with the
# network of faster-rcnn_ghostnet_fpn_coco.py (taken whole) and VOC's 20
# classes. mmdet's Faster R-CNN-R50 reaches 79.5 VOC07 mAP with this recipe
# (its configs/pascal_voc/README.md); ours: not trained here.
# Data: data/VOCdevkit/VOC2007 and VOC2012 (mmdet's layout).
_base_ = 'mmdet::pascal_voc/faster-rcnn_r50_fpn_1x_voc0712.py'

from ghost_mm.runner import model_of

custom_imports = dict(imports=['ghost_mm'], allow_failed_imports=False)

model = dict(_delete_=True, **model_of('{{ fileDirname }}/faster-rcnn_ghostnet_fpn_coco.py'))
model['roi_head']['bbox_head']['num_classes'] = 20
