# The RetinaNet quick start on PASCAL VOC: the VOC-format sample that
# tools/make_voc_sample.py writes from the shipped COCO images (9 images with
# 13 objects of VOC classes, one image set, trainval), the network of
# configs/retinanet_ghostnet_voc0712.py trained from scratch with the COCO
# quick start's size, schedule and optimizer, scored with mmdet's VOCMetric
# (VOC2007's 11-point mAP) on the images it trained on: it shows learning,
# not generalisation.
#   python tools/make_voc_sample.py data/voc_sample
#   python tools/train.py configs/quickstart/retinanet_ghostnet_voc-sample.py
_base_ = './retinanet_ghostnet_coco-sample.py'

from ghost_mm.runner import model_of

model = dict(_delete_=True, **model_of('{{ fileDirname }}/../retinanet_ghostnet_voc0712.py'))
# no ImageNet weights: BN and all levels must learn
model['backbone'].update(init_cfg=None, frozen_stages=-1, norm_eval=False)

data_root = 'data/voc_sample/'
voc_trainval = dict(type='VOCDataset', data_root=data_root,
                    ann_file='VOC2007/ImageSets/Main/trainval.txt',
                    data_prefix=dict(_delete_=True, sub_data_root='VOC2007/'))
train_dataloader = dict(dataset=voc_trainval)
val_dataloader = dict(dataset=voc_trainval)
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VOCMetric', metric='mAP', eval_mode='11points')
test_evaluator = val_evaluator
