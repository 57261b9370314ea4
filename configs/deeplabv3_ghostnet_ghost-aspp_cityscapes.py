# DeepLabV3-GhostNet 1.0x with a ghosted ASPP head and auxiliary FCN head:
# their convs become GhostConvs (s=2, d=3; the dilated ASPP branches keep their
# dilation in the primary conv, the cheap 3x3 depthwise conv is undilated).
# conv_seg (the 1x1 classifier) is nn.Conv2d in mmseg and stays ordinary.
# The same diff as `tools/ghostify.py configs/deeplabv3_ghostnet_cityscapes.py
# DST --parts head` writes (tests/test_ghost_conv.py checks it).
_base_ = './deeplabv3_ghostnet_cityscapes.py'

ghost_conv = dict(type='GhostConv', ratio=2, dw_size=3)
model = dict(decode_head=dict(conv_cfg=ghost_conv),
             auxiliary_head=dict(conv_cfg=ghost_conv))
