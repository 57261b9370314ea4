# What the real-time detectors' quick starts share: the RetinaNet quick start's
# 8 COCO sample images and AdamW, on a 100-iteration schedule (these detectors
# cost about as much per step as RetinaNet at 320 px), at a square 320x320
# input as the real-time recipes test (SSDLite's anchors are laid out for it;
# RTMDet's data pre-processor pads nothing, its pipeline pads to a square).
# Each quick start replaces the model with its full config's, whole.
_base_ = '../retinanet_ghostnet_coco-sample.py'

max_iters = 100
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20)]
optim_wrapper = dict(optimizer=dict(lr=1e-3))
default_hooks = dict(checkpoint=dict(interval=max_iters))

image_size = (320, 320)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=image_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_size, keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape',
                                          'img_shape', 'scale_factor')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
