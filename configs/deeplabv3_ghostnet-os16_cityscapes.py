# DeepLabV3 on GhostNet 1.0x at output stride 16: about a third of the OS8
# head's cost, for cheaper training.
_base_ = './deeplabv3_ghostnet_cityscapes.py'

model = dict(
    backbone=dict(strides=(2, 2, 2, 2, 1), dilations=(1, 1, 1, 1, 2)),
    # DeepLab's ASPP rates for OS16 are half of those for OS8
    decode_head=dict(dilations=(1, 6, 12, 18)))
