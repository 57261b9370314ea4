# LR-ASPP-GhostNet on the generated Cityscapes-format sample
# (tools/make_cityscapes_sample.py), on a CPU in about two minutes: the network
# of ../lraspp_ghostnet_cityscapes.py whole (from scratch, BN), the segmentation
# quick start's data and AdamW, with the sample's 256x512 (H x W) images
# upsampled 2x to 512x1024, half of Cityscapes' 1024x2048.
# LR-ASPP's image pooling is a fixed 49x49 average pool: inputs below 392 px
# (49 x output stride 8) fail, so the crops are 392x392 rather than the
# DeepLabV3 quick start's 128x128.
_base_ = './deeplabv3_ghostnet_cityscapes-sample.py'

from ghost_mm.runner import model_of

crop_size = (392, 392)
scale = (1024, 512)  # (W, H): the 512x256 sample upsampled 2x (Cityscapes: 2048x1024)
max_iters = 60
norm_cfg = dict(type='BN', requires_grad=True)  # one CPU process: no SyncBN

model = dict(_delete_=True, **model_of('{{ fileDirname }}/../lraspp_ghostnet_cityscapes.py'))
model['data_preprocessor']['size'] = crop_size
model['backbone'].update(init_cfg=None, norm_cfg=norm_cfg)
model['decode_head']['norm_cfg'] = norm_cfg

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=scale, ratio_range=(0.5, 1.0), keep_ratio=True),
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
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0,
                        end=max_iters, by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
