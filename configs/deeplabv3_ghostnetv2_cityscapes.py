# DeepLabV3 on GhostNetV2 1.0x at output stride 8: the DFC attention's long
# 1x5/5x1 convs are dilated with their level, like every other conv there.
_base_ = './deeplabv3_ghostnet_cityscapes.py'

model = dict(backbone=dict(
    version='v2', init_cfg=dict(checkpoint='checkpoints/ghostnetv2_1.0x.pth')))
