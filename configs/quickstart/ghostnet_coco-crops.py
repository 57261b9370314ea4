# GhostNet classifier trained from scratch on samples/coco_crops: objects of
# the shipped-sample source (160 real COCO images) in four coarse classes,
# mmpretrain's folder layout. Minutes on a CPU; proves the ImageNet recipe's
# machinery (mmpretrain ImageClassifier, Accuracy), not ImageNet accuracy.
_base_ = '../imagenet/ghostnet-1.0x_8xb128_in1k.py'

from ghost_mm.models.ghostnet import level_channels

widen_factor = 0.5
classes = ('animal', 'food', 'person', 'vehicle')  # the folder names, sorted
model = dict(
    backbone=dict(widen_factor=widen_factor),
    head=dict(num_classes=len(classes),
              in_channels=level_channels(widen_factor, (5,))[0],
              mid_channels=[256], topk=(1,)))
data_preprocessor = dict(num_classes=len(classes))

size = 96
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=size, crop_ratio_range=(0.5, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=size, edge='short'),
    dict(type='CenterCrop', crop_size=size),
    dict(type='PackInputs'),
]
data = dict(type='CustomDataset', data_root='samples/coco_crops', classes=classes)
train_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, **data, data_prefix='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(_delete_=True, **data, data_prefix='val', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1,))
test_evaluator = val_evaluator

optim_wrapper = dict(_delete_=True, optimizer=dict(type='AdamW', lr=4e-3, weight_decay=0.05))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, T_max=60, eta_min=1e-5)]
train_cfg = dict(by_epoch=True, max_epochs=60, val_interval=20)
default_hooks = dict(logger=dict(interval=5),
                     checkpoint=dict(interval=60, max_keep_ckpts=1))
custom_hooks = []
auto_scale_lr = dict(enable=False)

randomness = dict(seed=0)
