# ByteTrack with a YOLOX-tiny-GhostNet detector on MOT17: mmdet's recipe
# (mmdet::bytetrack/bytetrack_yolox_x_8xb4-80e_crowdhuman-mot17halftrain_test-mot17halfval.py:
# the detector trained on MOT17 half-train + CrowdHuman train/val, Mosaic,
# random affine and MixUp at 1440x800, 80 epochs, EMA; ByteTracker with its
# score and IoU thresholds and Kalman motion; tested on MOT17 half-val with
# MOTChallengeMetric: HOTA, CLEAR (MOTA), Identity (IDF1)) with the network of
# yolox-tiny_ghostnet_coco.py taken whole as the detector, given the recipe's
# one class and NMS IoU 0.7. mmdet's ByteTrack with YOLOX-X reaches HOTA 67.5 /
# MOTA 78.6 / IDF1 78.5 on MOT17 half-val (its configs/bytetrack/metafile.yml);
# ours: not trained here. The recipe starts its detector from COCO-trained
# YOLOX-X weights: start this one from a COCO-trained YOLOX-tiny-GhostNet
# (tools/train.py configs/yolox-tiny_ghostnet_coco.py) with
#   --cfg-options model.detector.init_cfg.type=Pretrained model.detector.init_cfg.checkpoint=CKPT
# Data: data/MOT17 and data/crowdhuman as mmdet's docs prepare them
# (tools/dataset_converters/mot2coco.py, crowdhuman2coco.py).
_base_ = 'mmdet::bytetrack/bytetrack_yolox_x_8xb4-80e_crowdhuman-mot17halftrain_test-mot17halfval.py'

from ghost_mm.runner import model_of

custom_imports = dict(imports=['ghost_mm'], allow_failed_imports=False)

detector = model_of('{{ fileDirname }}/yolox-tiny_ghostnet_coco.py')
# the tracker's TrackDataPreprocessor prepares the images (as in the recipe)
detector.pop('data_preprocessor')
detector['bbox_head']['num_classes'] = 1
detector['test_cfg']['nms']['iou_threshold'] = 0.7
model = dict(detector=dict(_delete_=True, **detector))
del detector
