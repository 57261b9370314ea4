# DeepLabV3+ on GhostNet 1.0x, output stride 8: the DeepLabV3 config plus the
# decoder, whose skip input is the stride-4 level (index 0 of the outputs).
_base_ = './deeplabv3_ghostnet_cityscapes.py'

# mmseg's DeepLabV3+ head is its ASPP head with these fields added
model = dict(decode_head=dict(
    type='DepthwiseSeparableASPPHead',
    c1_in_channels={{_base_.stride4_channels}},
    c1_channels=48))
