"""A synthetic multi-object tracking sample in MOT17's layout, made from the
shipped COCO images (``tools/make_mot_sample.py``), for the ByteTrack quick
start and tests, as the Cityscapes-format sample is for segmentation.

One video: objects cut from the COCO sample (their annotated boxes) glide at
constant speed over a still background (another sample image), each on its
own lane, for ``frames`` frames. Every object keeps its instance id in every
frame, so a tracker that follows them scores HOTA/MOTA/IDF1 near 1. The
objects are whatever the crops hold; the sample calls them ``pedestrian``,
MOTChallenge's one class, which mmdet's MOTChallengeMetric evaluates.

    OUT/train/ghost-01/img1/000001.jpg ...     frames, MOT17's folder naming
    OUT/annotations/train_cocoformat.json      the CocoVideo json that mmdet's
                                               mot2coco.py writes for MOT17
"""
import json
import os
import os.path as osp

import cv2
import numpy as np

VIDEO = 'ghost-01'
# the COCO sample images whose largest object moves (one each), the
# background image, the frame size (w, h) and each object's height in it
OBJECTS = (('train2017', '000000249346.jpg'), ('train2017', '000000187334.jpg'),
           ('val2017', '000000022892.jpg'))
BACKGROUND = ('val2017', '000000000802.jpg')
FRAME = (384, 288)
OBJECT_HEIGHT = 72


def _largest_crop(coco_root, split, name):
    with open(osp.join(coco_root, 'annotations', f'instances_{split}.json')) as f:
        coco = json.load(f)
    image_id = next(i['id'] for i in coco['images'] if i['file_name'] == name)
    x, y, w, h = max((a['bbox'] for a in coco['annotations'] if a['image_id'] == image_id),
                     key=lambda b: b[2] * b[3])
    image = cv2.imread(osp.join(coco_root, split, name))
    crop = image[int(y):int(y + h), int(x):int(x + w)]
    scale = OBJECT_HEIGHT / crop.shape[0]
    return cv2.resize(crop, (max(8, round(crop.shape[1] * scale)), OBJECT_HEIGHT))


def _tracks(crops, frames):
    """Per object: its lane's top y and its left x in each frame (left to
    right and back, in turn), staying inside the frame."""
    width, height = FRAME
    lane = (height - 8) // len(crops)
    tracks = []
    for i, crop in enumerate(crops):
        span = width - crop.shape[1] - 8
        xs = np.linspace(4, 4 + span * 0.8, frames).round().astype(int)
        tracks.append((4 + i * lane, xs if i % 2 == 0 else xs[::-1] + int(span * 0.2)))
    return tracks


def make_mot_sample(out, coco_root='samples/coco', frames=24, log=print):
    """Write the sample into ``out``; returns (frames, boxes) written."""
    crops = [_largest_crop(coco_root, split, name) for split, name in OBJECTS]
    background = cv2.resize(cv2.imread(osp.join(coco_root, *BACKGROUND)), FRAME)
    background = cv2.GaussianBlur(background, (0, 0), 3)  # the objects stand out
    folder = osp.join(out, 'train', VIDEO, 'img1')
    os.makedirs(folder, exist_ok=True)
    os.makedirs(osp.join(out, 'annotations'), exist_ok=True)
    images, annotations = [], []
    tracks = _tracks(crops, frames)
    for frame in range(frames):
        canvas = background.copy()
        name = f'{frame + 1:06d}.jpg'
        image_id = frame + 1
        for instance, (crop, (top, xs)) in enumerate(zip(crops, tracks)):
            h, w = crop.shape[:2]
            left = int(xs[frame])
            canvas[top:top + h, left:left + w] = crop
            annotations.append(dict(
                id=len(annotations) + 1, image_id=image_id, category_id=1,
                instance_id=instance, mot_instance_id=instance, bbox=[left, top, w, h],
                area=float(w * h), iscrowd=False, visibility=1.0, mot_conf=1.0,
                mot_class_id=1))
        cv2.imwrite(osp.join(folder, name), canvas, [cv2.IMWRITE_JPEG_QUALITY, 95])
        images.append(dict(id=image_id, video_id=1, file_name=f'{VIDEO}/img1/{name}',
                           height=FRAME[1], width=FRAME[0], frame_id=frame,
                           mot_frame_id=frame + 1))
    coco_video = dict(
        videos=[dict(id=1, name=VIDEO, fps=10, width=FRAME[0], height=FRAME[1])],
        images=images, annotations=annotations,
        categories=[dict(id=1, name='pedestrian')])
    path = osp.join(out, 'annotations', 'train_cocoformat.json')
    with open(path + '.partial', 'w') as f:
        json.dump(coco_video, f)
    os.replace(path + '.partial', path)
    log(f'{VIDEO}: {frames} frames of {FRAME[0]}x{FRAME[1]}, {len(crops)} objects '
        f'({len(annotations)} boxes) in {out}')
    return frames, len(annotations)
