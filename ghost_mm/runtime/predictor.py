"""A deployed detector or segmentor, run on images with numpy, OpenCV and
the runtime the artifact was made for (no torch, no OpenMMLab)."""
from typing import NamedTuple

import cv2
import numpy as np

from .artifact import read_meta
from .backends import open_network
from .preprocess import prepare, read_image


class Detections(NamedTuple):
    boxes: np.ndarray   # (N, 4) x1, y1, x2, y2 in the original image's pixels
    scores: np.ndarray  # (N,)
    labels: np.ndarray  # (N,) indices into the artifact's classes


class DeployedModel:
    """``DeployedModel(folder)`` opens an artifact written by tools/deploy.py;
    ``predict(image)`` takes a BGR array or a path and gives
    :class:`Detections` or, for a segmentor, a label map of the image's size."""

    def __init__(self, folder, threads=None, precision='f32'):
        self.folder = folder
        self.meta = read_meta(folder)
        self.task = self.meta['task']
        self.classes = tuple(self.meta['classes'])
        self.network = open_network(folder, self.meta['backend'], threads, precision)

    def predict(self, image):
        if isinstance(image, str):
            image = read_image(image)
        batch, (x_scale, y_scale) = prepare(image, self.meta['preprocess'])
        outputs = self.network(batch)
        if self.task == 'segmentation':
            height, width = batch.shape[2:]
            label_map = outputs['label_map'][0, 0, :height, :width].astype(np.uint8)
            # mmseg resizes the logits bilinearly; the label map is resized nearest
            return cv2.resize(label_map, image.shape[1::-1], interpolation=cv2.INTER_NEAREST)
        scores = outputs['scores'][0]
        keep = scores > 0  # the graph pads an empty result with one zero box
        boxes = outputs['boxes'][0][keep].astype(np.float32)
        # clipped to the resized image in the graph; back to the original's pixels
        boxes[:, 0::2] /= x_scale
        boxes[:, 1::2] /= y_scale
        return Detections(boxes, scores[keep].astype(np.float32),
                          outputs['labels'][0][keep].astype(np.int64))
