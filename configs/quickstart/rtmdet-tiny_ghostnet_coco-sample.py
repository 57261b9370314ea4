# RTMDet-tiny-GhostNet on the 8 COCO sample images, on a CPU in about a minute:
# the network of ../rtmdet-tiny_ghostnet_coco.py whole, from scratch (no
# ImageNet weights on a CPU quick start), the sample's data and a short AdamW
# schedule (the recipe's Mosaic/MixUp pipeline and EMA need far longer runs).
_base_ = './_base_/realtime_coco-sample.py'

from ghost_mm.runner import model_of

model = dict(_delete_=True, **model_of('{{ fileDirname }}/../rtmdet-tiny_ghostnet_coco.py'))
model['backbone'].update(init_cfg=None, norm_cfg=dict(type='BN'))  # one CPU process
