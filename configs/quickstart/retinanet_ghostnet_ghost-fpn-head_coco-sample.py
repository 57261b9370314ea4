# The quick start with Ghost modules in the FPN and the head as well
# (configs/retinanet_ghostnet_ghost-fpn-head_coco.py on the shipped sample):
# the same data and seed as retinanet_ghostnet_coco-sample.py, so
# the two learning curves compare the ghosted network with today's at 150
# iterations (0.412 here, 0.506 for today's). Kept at 150 while today's went
# to 100: at 100 this one gave 0.335 and its INT8 artifact fell below 0.8x
# of fp32 (the INT8 test).
_base_ = './retinanet_ghostnet_coco-sample.py'

ghost_conv = dict(type='GhostConv', ratio=2, dw_size=3)
model = dict(neck=dict(conv_cfg=ghost_conv), bbox_head=dict(conv_cfg=ghost_conv))
max_iters = 150
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=False, milestones=[120], gamma=0.1),
]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=max_iters))
