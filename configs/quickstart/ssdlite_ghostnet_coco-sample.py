# SSDLite-GhostNet 1.3x on the 8 COCO sample images, on a CPU in about a
# minute: the network of ../ssdlite_ghostnet-1.3x_coco-320.py whole (from
# scratch, as its recipe), the sample's data and a short AdamW schedule. It
# shows that the whole pipeline learns and predicts (mmdet 3.3's own SSDHead
# cannot predict), not how well the model generalises.
_base_ = './_base_/realtime_coco-sample.py'

from ghost_mm.runner import model_of

model = dict(_delete_=True, **model_of('{{ fileDirname }}/../ssdlite_ghostnet-1.3x_coco-320.py'))

