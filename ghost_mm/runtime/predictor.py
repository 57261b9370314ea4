"""A deployed detector or segmentor, run on images with numpy, OpenCV and
the runtime the artifact was made for (no torch, no OpenMMLab)."""
import collections
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import cv2
import numpy as np

from .artifact import read_meta
from .backends import open_network
from .preprocess import prepare, read_image


class Detections(NamedTuple):
    boxes: np.ndarray   # (N, 4) x1, y1, x2, y2 in the original image's pixels
    scores: np.ndarray  # (N,)
    labels: np.ndarray  # (N,) indices into the artifact's classes


class BadImage(ValueError):
    """An input that is not a readable image; the message names it."""


class Prediction(NamedTuple):
    source: Any         # what was given: a path, or the array's index in the input
    image: np.ndarray   # the BGR image predicted on
    result: Any         # Detections, or a segmentor's label map


class DeployedModel:
    """``DeployedModel(folder)`` opens an artifact written by tools/deploy.py;
    ``predict(image)`` takes a BGR array or a path and gives
    :class:`Detections` or, for a segmentor, a label map of the image's size.
    ``predict`` may be called from many threads at once; ``predict_many``
    does so itself, for folders and streams.

    ``mode='throughput'`` sets the runtime up for several inferences in flight
    (OpenVINO's THROUGHPUT hint: the threads split into streams; onnxruntime:
    the threads split between the calls), which is what ``predict_many``
    keeps busy; ``'latency'`` (default) gives one inference all the threads."""

    def __init__(self, folder, threads=None, precision='f32', mode='latency'):
        self.folder = folder
        self.meta = read_meta(folder)
        self.task = self.meta['task']
        self.classes = tuple(self.meta['classes'])
        self.network = open_network(folder, self.meta['backend'], threads, precision, mode,
                                    self.meta)

    def predict_many(self, images, workers=None, on_error=None):
        """:class:`Prediction` of each of ``images`` (paths or BGR arrays, any
        iterable, e.g. a generator over a stream), in the input's order, with
        up to ``workers`` images read, resized and inferred at once (default:
        what the runtime says keeps it busy, at least 2) and at most twice
        that many waiting, so memory stays flat over any number of images.
        Each prediction is given as soon as it and those before it are done.

        An image that cannot be read (missing, undecodable, not an HxWx3
        uint8 array) raises :class:`BadImage`, unless ``on_error`` is given:
        then ``on_error(source, error)`` is called, that image is skipped and
        the rest go on. Any other error (the runtime's) always raises."""
        workers = workers or max(2, self.network.workers)
        pending = collections.deque()
        pool = ThreadPoolExecutor(workers, thread_name_prefix='ghost_mm-predict')
        try:
            for index, item in enumerate(images):
                source = os.fspath(item) if isinstance(item, (str, os.PathLike)) else index
                pending.append((source, pool.submit(self._read_and_predict, item)))
                while pending and (len(pending) >= 2 * workers or pending[0][1].done()):
                    yield from self._finished(pending.popleft(), on_error)
            while pending:
                yield from self._finished(pending.popleft(), on_error)
        finally:  # stopped early (break, an error, Ctrl-C): drop what has not started
            pool.shutdown(wait=True, cancel_futures=True)

    def _read_and_predict(self, item):
        return (image := self._image(item)), self.predict(image)

    @staticmethod
    def _image(item):
        if isinstance(item, (str, os.PathLike)):
            try:
                return read_image(os.fspath(item))
            except (OSError, ValueError) as err:
                raise BadImage(str(err)) from err
        if not (isinstance(item, np.ndarray) and item.dtype == np.uint8 and item.ndim == 3
                and item.shape[2] == 3 and min(item.shape[:2]) > 0):
            raise BadImage(f'not an image: expected an HxWx3 uint8 BGR array or a path, got '
                           f'{getattr(item, "dtype", type(item).__name__)} '
                           f'{getattr(item, "shape", "")}')
        return item

    @staticmethod
    def _finished(entry, on_error):
        source, future = entry
        try:
            image, result = future.result()
        except BadImage as err:
            if on_error is None:
                raise
            on_error(source, err)
            return
        yield Prediction(source, image, result)

    def _label_map(self, outputs, input_hw, image_hw):
        """mmseg's label map: the logits of the unpadded input, resized to the
        image (bilinear, align_corners=False, as cv2 resizes), then argmax.
        A one-class segmentor's graph thresholds itself (mmdeploy), as the
        graphs of format 1-2 artifacts argmax: that label map is resized
        nearest."""
        height, width = input_hw
        raw = outputs['seg_logits'] if 'seg_logits' in outputs else outputs['label_map']
        if raw.dtype.kind in 'iu':
            label_map = raw[0, 0, :height, :width].astype(np.uint8)
            return cv2.resize(label_map, image_hw[::-1], interpolation=cv2.INTER_NEAREST)
        logits = raw[0, :, :height, :width].transpose(1, 2, 0)
        if (height, width) != tuple(image_hw):
            logits = cv2.resize(np.ascontiguousarray(logits), image_hw[::-1],
                                interpolation=cv2.INTER_LINEAR).reshape(*image_hw, -1)
        return logits.argmax(2).astype(np.uint8)

    def predict(self, image):
        if isinstance(image, (str, os.PathLike)):
            image = read_image(os.fspath(image))
        batch, (x_scale, y_scale) = prepare(image, self.meta['preprocess'])
        outputs = self.network(batch)
        if self.task == 'segmentation':
            return self._label_map(outputs, batch.shape[2:], image.shape[:2])
        scores = outputs['scores'][0]
        keep = scores > 0  # the graph pads an empty result with one zero box
        boxes = outputs['boxes'][0][keep].astype(np.float32)
        # clipped to the resized image in the graph; back to the original's pixels
        boxes[:, 0::2] /= x_scale
        boxes[:, 1::2] /= y_scale
        return Detections(boxes, scores[keep].astype(np.float32),
                          outputs['labels'][0][keep].astype(np.int64))
