# Faster R-CNN-GhostNet 1.1x with Ghost modules in the FPN and the heads: the
# FPN's convs and the RPN's shared 3x3 conv become GhostConvs (s=2, d=3).
# mmdet's RPNHead takes no conv_cfg; RPNHeadConvCfg is that head with the
# argument added (ghost_mm/models/rpn_head.py). The RoI box head
# (Shared2FCBBoxHead) has no convs, only FC layers; conv_cfg reaches the convs
# of the heads that have them (Shared4Conv1FC, mask heads).
# The same diff as `tools/ghostify.py configs/faster-rcnn_ghostnet_fpn_coco.py
# DST --parts neck head` writes (tests/test_ghost_conv.py checks it).
_base_ = './faster-rcnn_ghostnet_fpn_coco.py'

ghost_conv = dict(type='GhostConv', ratio=2, dw_size=3)
model = dict(
    neck=dict(conv_cfg=ghost_conv),
    rpn_head=dict(type='RPNHeadConvCfg', conv_cfg=ghost_conv),
    roi_head=dict(bbox_head=dict(conv_cfg=ghost_conv)))
