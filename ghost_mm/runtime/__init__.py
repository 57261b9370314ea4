"""Run a deployed GhostNet detector or segmentor (written by tools/deploy.py)
with numpy, OpenCV and onnxruntime, OpenVINO or ncnn only: nothing in this package
imports torch, mmcv, mmengine, mmdet or mmseg (tests/test_deployed_model.py
runs it with those imports blocked)."""
from .artifact import ArtifactError, read_meta
from .infer import infer_images
from .predictor import BadImage, DeployedModel, Detections, Prediction

__all__ = ['ArtifactError', 'BadImage', 'DeployedModel', 'Detections', 'Prediction', 'infer_images',
           'read_meta']
