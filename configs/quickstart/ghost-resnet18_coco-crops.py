# A small Ghost-ResNet (ResNet-18 layout, every conv but the stem a Ghost
# module, s=2, d=3; widths 16-128 instead of 64-512 so it trains in minutes
# on a CPU) learning the crops sample from scratch: the same data, head,
# optimizer and schedule as the GhostNet crops quick start
# (ghostnet_coco-crops.py), the backbone replaced.
_base_ = './ghostnet_coco-crops.py'

base_channels = 16
model = dict(
    backbone=dict(_delete_=True, type='GhostResNet', depth=18, ratio=2, dw_size=3,
                  stem_channels=base_channels, base_channels=base_channels,
                  out_indices=(3,)),
    head=dict(in_channels=base_channels * 8))
