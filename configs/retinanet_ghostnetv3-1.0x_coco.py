# RetinaNet on GhostNetV3 1.0x: V2's attention plus parallel conv branches for
# training; ghost_mm.deploy (tools/export_onnx.py) merges them, so the deployed
# network costs what V2 costs. Weights from the official ghostnetv3-1.0.pth.tar
# or timm ghostnetv3_100 (tools/convert_checkpoint.py).
_base_ = './retinanet_ghostnet-1.0x_coco.py'

model = dict(backbone=dict(
    version='v3', init_cfg=dict(checkpoint='checkpoints/ghostnetv3_1.0x.pth')))
