# GhostNetV2 1.0x on ImageNet-1k (paper: 75.3% top-1, 6.1M params, 167M FLOPs).
#
# Source: the training command of the official README,
# huawei-noah/Efficient-AI-Backbones ghostnetv2_pytorch/README.md ([v2]),
# run by its train.py on timm 0.3.2 (defaults of that script: [timm]):
#   8 GPUs x -b 128, --epochs 450, --opt rmsproptf --opt-eps .001, --lr .064,
#   --sched step --decay-epochs 2.4 --decay-rate .973, --warmup-lr 1e-6,
#   --weight-decay 1e-5, --drop 0.2, --model-ema --model-ema-decay 0.9999,
#   --aa rand-m9-mstd0.5, --reprob 0.2 --remode pixel, --lr-noise 0.42 0.9, --amp
_base_ = './ghostnet-1.0x_8xb128_in1k.py'

model = dict(
    backbone=dict(version='v2'),
    # [timm] --smoothing 0.1 default (cross-entropy with smoothed targets)
    head=dict(loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')))

bgr_mean = [103.53, 116.28, 123.675]
bgr_std = [57.375, 57.12, 58.395]
# [v2] RandAugment m9 mstd0.5 (no colour jitter: [timm] drops it when --aa is
# given), random erasing p=0.2 with per-pixel noise; crops as 1.0x
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.08, 1.0),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandAugment', policies='timm_increasing', num_policies=2,
         total_level=10, magnitude_level=9, magnitude_std=0.5,
         hparams=dict(pad_val=[round(x) for x in bgr_mean], interpolation='bicubic')),
    dict(type='RandomErasing', erase_prob=0.2, mode='rand', min_area_ratio=0.02,
         max_area_ratio=1 / 3, fill_color=bgr_mean, fill_std=bgr_std),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# [v2] RMSprop as TensorFlow has it: eps 1e-3 inside the square root is
# eps ~ sqrt(1e-3) = 0.0316 in torch's RMSprop (as torchvision's and
# mmpretrain's MobileNetV3 recipes write it); alpha 0.9, momentum 0.9 [timm];
# weight decay 1e-5, not on BN or biases ([timm] create_optimizer's filter)
optim_wrapper = dict(
    _delete_=True,
    optimizer=dict(type='RMSprop', lr=0.064, alpha=0.9, momentum=0.9, eps=0.0316,
                   weight_decay=1e-5),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
# [v2] x0.973 every 2.4 epochs from epoch 0; warm-up from 1e-6 over [timm]'s
# default 3 epochs. --lr-noise (random lr perturbation in epochs 189-405) has
# no mmengine scheduler and is left out.
max_epochs = 450
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / 0.064, by_epoch=True, begin=0, end=3,
         convert_to_iter_based=True),
    dict(type='StepLR', step_size=2.4, gamma=0.973, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
# [v2] EMA of the weights, decay 0.9999 a step (mmengine: momentum = 1 - decay)
custom_hooks = [dict(type='EMAHook', momentum=1e-4, priority='ABOVE_NORMAL')]
