# GhostNet 1.0x on ImageNet-1k with mmpretrain: the paper's classifier and
# its training recipe. Paper: 73.9% top-1, 5.2M params, 141M FLOPs.
#
# Sources (the paper itself does not list its ImageNet hyper-parameters):
#   [tf]   the official TensorFlow code the paper's models were trained with,
#          huawei-noah/Efficient-AI-Backbones ghostnet_tensorflow/main.py and
#          imagenet_utils.py (argument defaults, augmentors, optimizer)
#   [pt]   the official PyTorch model, ghostnet_pytorch/ghostnet.py
#   [a1]   the first author's answers, github.com/iamhankai/ghostnet.pytorch
#          issues 3 ("lr 0.4", "5 epochs of warm-up and cosine lr", dropout
#          0.2 best of 0.1/0.15/0.2) and 18 ("400 epochs")
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs128_mbv3.py',  # ImageNet at data/imagenet
    'mmpretrain::_base_/schedules/imagenet_bs1024_coslr.py',
    'mmpretrain::_base_/default_runtime.py',
]

from ghost_mm.models.ghostnet import level_channels

custom_imports = dict(imports=['ghost_mm'], allow_failed_imports=False)

widen_factor = 1.0
model = dict(
    type='ImageClassifier',
    backbone=dict(type='GhostNet', widen_factor=widen_factor, out_indices=(5,)),
    neck=dict(type='GlobalAveragePooling'),
    # the 1x1 conv 960w->1280 on the pooled map is a linear layer; ReLU,
    # dropout 0.2 ([tf] dropout_keep_prob=0.8, [pt] dropout=0.2), linear
    head=dict(
        type='StackedLinearClsHead',
        num_classes=1000,
        in_channels=level_channels(widen_factor, (5,))[0],
        mid_channels=[1280],
        dropout_rate=0.2,
        act_cfg=dict(type='ReLU'),
        # [tf] label_smoothing=0.1, added to the one-hot target as TF does
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        topk=(1, 5)))

# [tf] 224 px crops of 8-100% of the image (GoogleNetResize, bicubic;
# 49-100% for widths below 1), brightness and contrast 0.6-1.4 and
# saturation 0.4 in random order, horizontal flip; test: short side 256
# (bicubic), centre crop 224
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.08, 1.0),
         backend='pillow', interpolation='bicubic'),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow',
         interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))  # 8 GPUs x 128 = [tf] batch 1024
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# [tf] momentum 0.9 with Nesterov, weight decay 4e-5 on conv/linear weights
# only (its regularizer pattern skips BN and biases); [a1] lr 0.4 at batch 1024
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.4, momentum=0.9, nesterov=True, weight_decay=4e-5),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
# [a1] 5 epochs of linear warm-up, then cosine; [tf] epochs=400, [a1] 400
max_epochs = 400
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 5, by_epoch=True,
         begin=5, end=max_epochs),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
auto_scale_lr = dict(base_batch_size=1024)
