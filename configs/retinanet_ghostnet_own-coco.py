# RetinaNet-GhostNet 1.0x on your own COCO-format dataset: copy this file in configs/,
# change the marked lines (README: "Train on your own COCO-format data").
_base_ = './retinanet_ghostnet-1.0x_coco.py'

data_root = 'data/my_dataset/'                 # <- your folder
train_ann = 'annotations/train.json'           # <- paths inside it
val_ann = 'annotations/val.json'
image_folder = 'images/'
# <- the "name" of each category in your json, in the json's order. mmdet
# matches them by name and numbers them in the file's order: a name the file
# lacks shifts the others' labels, another order swaps the names
# (tools/train.py warns of both before it starts).
classes = ('human', 'car')

metainfo = dict(classes=classes)
model = dict(bbox_head=dict(num_classes=len(classes)))
train_dataloader = dict(dataset=dict(
    data_root=data_root, metainfo=metainfo, ann_file=train_ann,
    data_prefix=dict(img=image_folder)))
val_dataloader = dict(dataset=dict(
    data_root=data_root, metainfo=metainfo, ann_file=val_ann,
    data_prefix=dict(img=image_folder)))
test_dataloader = val_dataloader
# the evaluator reads the ground truth itself: the same val file
val_evaluator = dict(ann_file=data_root + val_ann)
test_evaluator = val_evaluator
