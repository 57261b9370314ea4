# The ByteTrack quick start: configs/bytetrack_yolox-tiny_ghostnet_mot17.py on
# the synthetic MOT17-layout sample of tools/make_mot_sample.py (one 24-frame
# video, 3 objects gliding over a still background, consistent ids), on a CPU
# in a few minutes. The detector trains from scratch on the video's frames
# (as detection images, the recipe's way) at 320 px with AdamW; then
# ByteTracker follows the objects through the video and mmdet's
# MOTChallengeMetric scores it (HOTA, MOTA, IDF1) on the same video: it shows
# that the pipeline learns and tracks, not how well it generalises.
#   python tools/make_mot_sample.py data/mot_sample
#   python tools/train.py configs/quickstart/bytetrack_ghostnet_mot-sample.py --work-dir work_dirs/mot
#   python tools/test.py configs/quickstart/bytetrack_ghostnet_mot-sample.py $(cat work_dirs/mot/last_checkpoint)
_base_ = '../bytetrack_yolox-tiny_ghostnet_mot17.py'

data_root = 'data/mot_sample/'
ann_file = 'annotations/train_cocoformat.json'
img_scale = (320, 320)
max_iters = 80

# the recipe's 576-1024 px random batch sizes are for 1440x800 frames; BN
# momentum 0.1 as the YOLOX quick start (0.03 suits 80 epochs, not 80 steps)
model = dict(data_preprocessor=dict(batch_augments=None),
             detector=dict(backbone=dict(norm_cfg=dict(momentum=0.1))))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size_divisor=32, pad_val=dict(img=(114.0, 114.0, 114.0))),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=img_scale, keep_ratio=True),
        dict(type='Pad', size_divisor=32, pad_val=dict(img=(114.0, 114.0, 114.0))),
        dict(type='LoadTrackAnnotations'),
    ]),
    dict(type='PackTrackInputs'),
]
train_dataloader = dict(
    _delete_=True, batch_size=4, num_workers=0, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='CocoDataset', data_root=data_root, ann_file=ann_file,
                 data_prefix=dict(img='train/'), metainfo=dict(classes=('pedestrian',)),
                 filter_cfg=dict(filter_empty_gt=True), pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0, persistent_workers=False, pin_memory=False,
    dataset=dict(data_root=data_root, ann_file=ann_file, data_prefix=dict(img_path='train'),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=10, norm_type=2))
auto_scale_lr = dict(enable=False)
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20)]
# the recipe's epoch-based YOLOX mode switch, SyncNorm and EMA hooks: not for 80 steps
custom_hooks = []
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(_delete_=True, type='CheckpointHook', by_epoch=False, interval=max_iters))
log_processor = dict(by_epoch=False)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
