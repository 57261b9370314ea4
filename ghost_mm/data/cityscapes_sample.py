"""A small synthetic street-scene dataset in the exact Cityscapes layout.

    leftImg8bit/{train,val}/CITY/CITY_SEQ_FRAME_leftImg8bit.png
    gtFine/{train,val}/CITY/CITY_SEQ_FRAME_gtFine_labelTrainIds.png   (0-18, 255 ignore)
    gtFine/{train,val}/CITY/CITY_SEQ_FRAME_gtFine_labelIds.png        (Cityscapes ids)

Scenes are drawn from a seed: sky, buildings and vegetation above a road with
sidewalks, poles with signs and lights, cars, trucks, buses, people and
bikes, and the ego-vehicle bonnet as ignore (255), as in Cityscapes. Each
class is painted in its Cityscapes palette colour with per-image lighting,
per-object colour jitter and pixel noise, so a model must learn colour, shape
and position together. Images are 256x512 (a quarter of Cityscapes' 1024x2048)
to keep CPU training short.
"""
import os
import os.path as osp

import cv2
import numpy as np

CLASSES = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
           'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car',
           'truck', 'bus', 'train', 'motorcycle', 'bicycle')
PALETTE = ((128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153),
           (153, 153, 153), (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152),
           (70, 130, 180), (220, 20, 60), (255, 0, 0), (0, 0, 142), (0, 0, 70),
           (0, 60, 100), (0, 80, 100), (0, 0, 230), (119, 11, 32))
# Cityscapes labelIds of the 19 train ids; 255 (ignore) is the ego vehicle, id 1
LABEL_IDS = (7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33)
EGO_VEHICLE_LABEL_ID = 1
IGNORE = 255
T = {name: i for i, name in enumerate(CLASSES)}

SPLITS = {'train': ('aachen', 'bochum'), 'val': ('frankfurt',)}
IMAGE_SIZE = (256, 512)  # H, W


def _draw_scene(rng, height, width):
    label = np.full((height, width), T['sky'], np.uint8)
    horizon = int(height * rng.uniform(0.35, 0.5))
    # buildings, walls and trees along the horizon
    x = 0
    while x < width:
        w = int(rng.integers(width // 12, width // 4))
        top = int(rng.integers(int(height * 0.05), horizon - 10))
        cls = rng.choice([T['building'], T['building'], T['vegetation'], T['wall']])
        if cls == T['vegetation']:
            cv2.ellipse(label, (x + w // 2, top + (horizon - top) // 2),
                        (w // 2, (horizon - top) // 2 + 5), 0, 0, 360, int(cls), -1)
            label[top + (horizon - top) // 2:horizon, x:x + w] = cls
        else:
            label[top:horizon, x:x + w] = cls
        x += w
    # road as a trapezoid to the vanishing point, sidewalks and terrain beside it
    vanish = int(width * rng.uniform(0.35, 0.65))
    label[horizon:, :] = T['sidewalk']
    left_edge, right_edge = rng.integers(-width // 3, width // 6), rng.integers(width * 5 // 6, width * 4 // 3)
    cv2.fillPoly(label, [np.array([[vanish - 8, horizon], [vanish + 8, horizon],
                                   [right_edge, height], [left_edge, height]], np.int32)],
                 T['road'])
    if rng.random() < 0.6:
        side = rng.choice([0, width - width // 6])
        label[horizon + (height - horizon) // 3:, side:side + width // 6] = T['terrain']
    if rng.random() < 0.5:
        fx = int(rng.integers(0, width // 2))
        label[horizon - 12:horizon + 4, fx:fx + width // 3] = T['fence']
    # poles with a sign or a light
    for _ in range(rng.integers(1, 4)):
        px = int(rng.integers(5, width - 5))
        top = int(rng.integers(int(height * 0.15), horizon - 5))
        bottom = int(rng.integers(horizon + 5, horizon + (height - horizon) // 2))
        label[top:bottom, px - 2:px + 2] = T['pole']
        head = T['traffic sign'] if rng.random() < 0.5 else T['traffic light']
        label[top - 12:top, px - 6:px + 6] = head
    # vehicles on the road, people and bikes on the pavement, farther = smaller
    for _ in range(rng.integers(2, 7)):
        y = int(rng.integers(horizon + 10, height - height // 10))
        scale = (y - horizon) / (height - horizon)
        cls = rng.choice([T['car'], T['car'], T['car'], T['truck'], T['bus'],
                          T['train'], T['person'], T['person'], T['rider'],
                          T['bicycle'], T['motorcycle']], p=None)
        if cls in (T['person'], T['rider']):
            w, h = max(4, int(14 * scale)), max(10, int(60 * scale))
        elif cls in (T['bicycle'], T['motorcycle']):
            w, h = max(6, int(30 * scale)), max(5, int(22 * scale))
        elif cls in (T['bus'], T['train'], T['truck']):
            w, h = max(12, int(150 * scale)), max(10, int(90 * scale))
        else:
            w, h = max(10, int(90 * scale)), max(6, int(45 * scale))
        cx = int(rng.integers(0, width))
        label[max(0, y - h):y, max(0, cx - w // 2):cx + w // 2] = cls
        if cls == T['rider']:  # riders sit on a bike
            label[y - h // 4:y + h // 6, max(0, cx - w):cx + w] = T['bicycle']
    # the ego vehicle's bonnet, ignored as in Cityscapes
    bonnet = int(height * rng.uniform(0.05, 0.1))
    cv2.ellipse(label, (width // 2, height), (width // 2 + 40, bonnet), 0, 180, 360, IGNORE, -1)
    return label


def _paint(rng, label):
    palette = np.array(PALETTE + ((20, 20, 25),) * (IGNORE + 1 - len(PALETTE)), np.float32)
    # per-image light and per-class tint, then pixel noise
    palette = palette * rng.uniform(0.75, 1.2) + rng.normal(0, 12, palette.shape)
    image = palette[label]
    shade = np.linspace(rng.uniform(-15, 5), rng.uniform(-5, 15), label.shape[0])
    image += shade[:, None, None] + rng.normal(0, 10, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def make_cityscapes_sample(out_dir, seed=0, images_per_city=6, image_size=IMAGE_SIZE):
    """Write the sample into ``out_dir``; returns ``{split: [image paths]}``.
    The same seed gives the same files."""
    rng = np.random.default_rng(seed)
    label_ids = np.full(256, EGO_VEHICLE_LABEL_ID, np.uint8)
    label_ids[:len(LABEL_IDS)] = LABEL_IDS
    written = {}
    for split, cities in SPLITS.items():
        written[split] = []
        for city in cities:
            img_dir = osp.join(out_dir, 'leftImg8bit', split, city)
            gt_dir = osp.join(out_dir, 'gtFine', split, city)
            os.makedirs(img_dir, exist_ok=True)
            os.makedirs(gt_dir, exist_ok=True)
            for frame in range(images_per_city):
                stem = f'{city}_{frame:06d}_{19 + 20 * frame:06d}'
                label = _draw_scene(rng, *image_size)
                image = _paint(rng, label)
                img_path = osp.join(img_dir, f'{stem}_leftImg8bit.png')
                cv2.imwrite(img_path, image[..., ::-1])  # RGB -> BGR for cv2
                cv2.imwrite(osp.join(gt_dir, f'{stem}_gtFine_labelTrainIds.png'), label)
                cv2.imwrite(osp.join(gt_dir, f'{stem}_gtFine_labelIds.png'), label_ids[label])
                written[split].append(img_path)
    return written
