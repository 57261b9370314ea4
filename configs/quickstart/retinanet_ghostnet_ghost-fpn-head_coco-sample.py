# The quick start with Ghost modules in the FPN and the head as well
# (configs/retinanet_ghostnet_ghost-fpn-head_coco.py on the shipped sample):
# the same data, schedule and seed as retinanet_ghostnet_coco-sample.py, so
# the two learning curves compare the ghosted network with today's (100
# iterations, 2 cores: bbox mAP 0.335 here, 0.432 for today's).
_base_ = './retinanet_ghostnet_coco-sample.py'

ghost_conv = dict(type='GhostConv', ratio=2, dw_size=3)
model = dict(neck=dict(conv_cfg=ghost_conv), bbox_head=dict(conv_cfg=ghost_conv))
