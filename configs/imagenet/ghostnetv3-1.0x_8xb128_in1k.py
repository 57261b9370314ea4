# GhostNetV3 1.0x on ImageNet-1k (paper: 77.1% top-1 with its full strategy,
# 6.1M params / 167M FLOPs once re-parameterised).
#
# V3 is V2 trained with re-parameterisable branches (GhostNet(version='v3'):
# 3 primary + 3 cheap conv branches, 1x1 and BN-identity branches, merged by
# ghost_mm.deploy for inference) and knowledge distillation from a large
# teacher. Source: the official training script,
# huawei-noah/Efficient-AI-Backbones ghostnetv3_pytorch/train.py ([v3], its
# argument defaults; the README gives no command): SGD momentum 0.9, lr
# 0.05, weight decay 2e-5, cosine to 1e-5 after 3 warm-up epochs from 1e-4,
# 300 epochs, label smoothing 0.1, colour jitter 0.4, no dropout, no
# mixup/cutmix, no random erasing; teacher beitv2_large_patch16_224,
# --ori-loss-weight 1, --kd-loss-weight 1, --temperature 1.
#
# Not here: the distillation. mmpretrain 1.2's ImageClassifier has no
# teacher (OpenMMLab's distillers live in mmrazor), so this config trains
# the branches with the plain loss; expect less than the paper's 77.1%
# (docs/classification.md says what the teacher adds and how to wire it).
_base_ = './ghostnet-1.0x_8xb128_in1k.py'

model = dict(backbone=dict(version='v3'),
             head=dict(dropout_rate=0.0))  # [v3] --drop 0.0

# [v3] --opt sgd: timm's "sgd" is SGD with Nesterov momentum, as 1.0x
optim_wrapper = dict(optimizer=dict(lr=0.05, weight_decay=2e-5))
max_epochs = 300
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4 / 0.05, by_epoch=True, begin=0, end=3,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 3, eta_min=1e-5, by_epoch=True,
         begin=3, end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs)
