# The quick start with Ghost modules in the FPN and the head as well
# (configs/retinanet_ghostnet_ghost-fpn-head_coco.py on the shipped sample):
# the same data and seed as retinanet_ghostnet_coco-sample.py and as many
# images seen (200 steps of 2 against its 100 of 4), so the two learning
# curves compare the ghosted network with today's (docs/ghost_everywhere.md).
# 2 images per step (0.7 s) instead of 4 (1.4 s): only the tests train it.
# At 150 steps of 2 it gave 0.266 bbox mAP (test: >= 0.30).
_base_ = './retinanet_ghostnet_coco-sample.py'

ghost_conv = dict(type='GhostConv', ratio=2, dw_size=3)
model = dict(neck=dict(conv_cfg=ghost_conv), bbox_head=dict(conv_cfg=ghost_conv))
max_iters = 200
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=False, milestones=[160], gamma=0.1),
]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=max_iters))
train_dataloader = dict(batch_size=2)
