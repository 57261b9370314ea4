"""The config's test-time resizing and padding, redone with numpy and OpenCV:
mmcv's ``Resize`` (keep_ratio: the largest scale that fits the long and the
short side, sizes rounded half up, bilinear) and mmdet's ``Pad`` (bottom and
right, to a fixed size, a square and/or a multiple, with the pipeline's
value). Channel order, normalisation and the data pre-processor's padding are
in the exported graph."""
import math
import os.path as osp

import cv2
import numpy as np


def read_image(path):
    """The image at ``path`` as a BGR uint8 array (as mmcv reads it)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'image not found: {path}')
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f'{path} could not be decoded as an image (expected a JPEG, '
                         f'PNG or another format OpenCV reads)')
    return image


def resized_size(width, height, scale, keep_ratio):
    """(new_width, new_height) as mmcv.imrescale / imresize compute them."""
    if not keep_ratio:
        return int(scale[0]), int(scale[1])
    factor = min(max(scale) / max(height, width), min(scale) / min(height, width))
    return int(width * factor + 0.5), int(height * factor + 0.5)


def fitted(size, fit):
    """(width, height) ``size`` scaled down, keeping its ratio, to fit within
    ``fit`` (height, width): the static input of an ncnn graph; None: as is."""
    width, height = size
    if not fit or (height <= fit[0] and width <= fit[1]):
        return size
    factor = min(fit[0] / height, fit[1] / width)
    return min(fit[1], int(width * factor + 0.5)), min(fit[0], int(height * factor + 0.5))


def prepare(image, policy):
    """``image`` (HxWx3 BGR uint8) as the network input: float32 1x3xHxW BGR
    0-255, resized per ``policy`` (deploy.json's ``preprocess``). Returns
    (input, (x_scale, y_scale))."""
    height, width = image.shape[:2]
    resize = policy.get('resize')
    if resize:
        size = fitted(resized_size(width, height, resize['scale'], resize['keep_ratio']),
                      policy.get('fit'))
        if size != (width, height):
            image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    new_h, new_w = image.shape[:2]
    if policy.get('pad'):
        image = pad(image, policy['pad'])
    batch = np.ascontiguousarray(image.transpose(2, 0, 1)[None], dtype=np.float32)
    return batch, (new_w / width, new_h / height)


def padded_size(height, width, pad):
    """(height, width) after mmdet's ``Pad`` with deploy.json's ``pad``: to a
    square and/or to a multiple of ``size_divisor``, else to ``size`` (w, h)."""
    size = None
    if pad.get('to_square'):
        size = (max(height, width),) * 2
    if pad.get('size_divisor'):
        divisor = pad['size_divisor']
        size = size or (height, width)
        return (math.ceil(size[0] / divisor) * divisor, math.ceil(size[1] / divisor) * divisor)
    if size is None and pad.get('size'):
        size = (pad['size'][1], pad['size'][0])
    return size or (height, width)


def pad(image, pad):
    """``image`` padded at the bottom and right as mmdet's ``Pad`` pads it."""
    height, width = image.shape[:2]
    new_h, new_w = padded_size(height, width, pad)
    if (new_h, new_w) == (height, width):
        return image
    return cv2.copyMakeBorder(image, 0, new_h - height, 0, new_w - width, cv2.BORDER_CONSTANT,
                              value=list(pad['value']))
