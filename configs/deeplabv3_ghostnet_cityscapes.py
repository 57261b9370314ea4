# DeepLabV3 (ASPP) on GhostNet 1.0x at output stride 8, Cityscapes 512x1024
# crops, 80k iterations, SGD poly, SyncBN: mmseg's MobileNetV2 DeepLabV3 recipe.
_base_ = 'mmseg::deeplabv3/deeplabv3_r50-d8_4xb2-80k_cityscapes-512x1024.py'

from ghost_mm.models.ghostnet import level_channels

custom_imports = dict(imports=['ghost_mm'], allow_failed_imports=False)

widen_factor = 1.0  # the width with public ImageNet weights
backbone_levels = (1, 2, 3, 4)  # strides 4, 8, 8, 8 once dilated
backbone_channels = level_channels(widen_factor, backbone_levels)
stride4_channels = backbone_channels[0]  # the skip input of DeepLabV3+'s decoder
model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='GhostNet',
        widen_factor=widen_factor,
        out_indices=backbone_levels,
        # levels 3-4 trade their stride for dilation: stride-8 features from
        # the same ImageNet weights
        strides=(2, 2, 2, 1, 1),
        dilations=(1, 1, 1, 2, 4),
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/ghostnet_1.0x.pth')),
    # ASPP on the last level (as mmseg's MobileNetV2 takes its 320-channel
    # level, not the final 1x1 conv), the auxiliary FCN on the stride-16 level
    decode_head=dict(in_channels=backbone_channels[3], in_index=3),
    auxiliary_head=dict(in_channels=backbone_channels[2], in_index=2))
