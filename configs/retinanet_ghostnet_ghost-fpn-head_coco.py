# RetinaNet-GhostNet 1.1x with Ghost modules in the FPN and the head too:
# every conv mmdet builds through conv_cfg becomes a GhostConv (s=2, d=3, the
# paper's), nothing else changed. The backbone is 2% of RetinaNet-GhostNet's
# multiply-adds; the FPN and the 256-channel head are the rest
# (docs/ghost_everywhere.md has the counts and timings).
# The same diff as `tools/ghostify.py configs/retinanet_ghostnet_coco.py DST
# --parts neck head` writes (tests/test_ghost_conv.py checks it); retina_cls
# and retina_reg are nn.Conv2d in mmdet's RetinaHead and stay ordinary.
_base_ = './retinanet_ghostnet_coco.py'

ghost_conv = dict(type='GhostConv', ratio=2, dw_size=3)
model = dict(neck=dict(conv_cfg=ghost_conv), bbox_head=dict(conv_cfg=ghost_conv))
