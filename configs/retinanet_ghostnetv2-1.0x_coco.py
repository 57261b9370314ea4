# RetinaNet on GhostNetV2 1.0x: DFC attention gates the expanding Ghost module of
# blocks 3-16. Same levels and channels as V1; weights from the official
# ck_ghostnetv2_10.pth.tar or timm ghostnetv2_100 (tools/convert_checkpoint.py).
_base_ = './retinanet_ghostnet-1.0x_coco.py'

model = dict(backbone=dict(
    version='v2', init_cfg=dict(checkpoint='checkpoints/ghostnetv2_1.0x.pth')))
