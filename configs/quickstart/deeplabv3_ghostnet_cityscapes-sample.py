# Segmentation quick start: DeepLabV3-GhostNet (output stride 8) on the
# generated Cityscapes-format sample (tools/make_cityscapes_sample.py), on a
# CPU in a few minutes, evaluated with mIoU on the sample's val split.
_base_ = '../deeplabv3_ghostnet_cityscapes.py'

data_root = 'data/cityscapes_sample/'
crop_size = (128, 128)  # CPU: OS8 backward costs ~12x more at 256x256
scale = (512, 256)  # the sample's full size (W, H)
max_iters = 500
norm_cfg = dict(type='BN', requires_grad=True)  # one CPU process: no SyncBN

model = dict(
    data_preprocessor=dict(size=crop_size),
    # no ImageNet weights on a CPU quick start
    backbone=dict(init_cfg=None, norm_cfg=norm_cfg),
    # 128 instead of 512 head channels: the OS8 ASPP head would otherwise
    # cost several times the backbone on a CPU
    decode_head=dict(channels=128, norm_cfg=norm_cfg),
    auxiliary_head=dict(channels=64, norm_cfg=norm_cfg))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=scale, ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

# from scratch in a few hundred iterations: AdamW rather than SGD
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4))
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0,
                        end=max_iters, by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_iters))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
