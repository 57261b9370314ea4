"""What is done with predictions: pictures, JSON, COCO bbox mAP
(pycocotools) and mIoU, all with numpy and OpenCV."""
import contextlib
import io
import json
import os

import cv2
import numpy as np


def _colour(index):
    hue = (index * 47) % 180
    bgr = cv2.cvtColor(np.uint8([[[hue, 200, 230]]]), cv2.COLOR_HSV2BGR)[0, 0]
    return tuple(int(c) for c in bgr)


def draw_detections(image, detections, classes, score_thr):
    """A copy of ``image`` (BGR) with each box over ``score_thr`` and its
    class name and score."""
    canvas = image.copy()
    for box, score, label in zip(*detections):
        if score < score_thr:
            continue
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        colour = _colour(int(label))
        cv2.rectangle(canvas, (x1, y1), (x2, y2), colour, 2)
        text = f'{classes[label]} {score:.2f}'
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)
        top = max(y1 - th - 4, 0)
        cv2.rectangle(canvas, (x1, top), (x1 + tw + 4, top + th + 4), colour, -1)
        cv2.putText(canvas, text, (x1 + 2, top + th + 1), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (0, 0, 0), 1, cv2.LINE_AA)
    return canvas


def draw_label_map(image, label_map, palette, alpha=0.5):
    """``image`` (BGR) with the label map's colours (``palette`` is RGB)
    blended over it; pixels of no class (255) are left as they are."""
    colours = np.zeros((256, 3), np.uint8)
    colours[:len(palette)] = np.asarray(palette, np.uint8)[:, ::-1]
    overlay = colours[label_map]
    blended = cv2.addWeighted(image, 1 - alpha, overlay, alpha, 0)
    known = label_map < len(palette)
    canvas = image.copy()
    canvas[known] = blended[known]
    return canvas


def write_json(path, content):
    """``content`` to ``path`` whole or not at all (a stopped run leaves no half file)."""
    try:
        with open(path + '.tmp', 'w') as f:
            json.dump(content, f)
        os.replace(path + '.tmp', path)
    finally:
        if os.path.exists(path + '.tmp'):
            os.remove(path + '.tmp')


def detections_to_json(detections, classes):
    return [{'bbox': [round(float(v), 2) for v in box], 'score': round(float(score), 5),
             'label': int(label), 'class': classes[label]}
            for box, score, label in zip(*detections)]


def coco_results(per_image, ann_file, classes):
    """COCO results (``[{image_id, category_id, bbox: [x, y, w, h], score}]``)
    for ``per_image`` ({file name: Detections}), with the image and category
    ids of ``ann_file``. Returns (results, the evaluated image ids)."""
    from pycocotools.coco import COCO
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(ann_file)
    by_name = {img['file_name']: img['id'] for img in coco.dataset['images']}
    category = {cat['name']: cat['id'] for cat in coco.dataset['categories']}
    missing = [c for c in classes if c not in category]
    if missing:
        raise ValueError(f'{ann_file} has no category named {missing[:5]} (the model\'s '
                         f'classes); its categories are {sorted(category)[:10]}...')
    unknown = [name for name in per_image if name not in by_name]
    if unknown:
        raise ValueError(f'{ann_file} lists no image named {unknown[:5]}; give the images '
                         f'of that annotation file')
    results = []
    for name, (boxes, scores, labels) in per_image.items():
        for (x1, y1, x2, y2), score, label in zip(boxes, scores, labels):
            results.append({'image_id': by_name[name], 'category_id': category[classes[label]],
                            'bbox': [float(x1), float(y1), float(x2 - x1), float(y2 - y1)],
                            'score': float(score)})
    return results, [by_name[name] for name in per_image]


def coco_bbox_map(ann_file, results, image_ids):
    """pycocotools' bbox evaluation over ``image_ids``: its printed table and
    the dict of mmdet's ``coco/bbox_*`` names."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    names = ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l')
    if not results:
        return '', {f'coco/bbox_{n}': 0.0 for n in names}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        coco = COCO(ann_file)
        evaluation = COCOeval(coco, coco.loadRes(results), 'bbox')
        evaluation.params.imgIds = image_ids
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return out.getvalue(), {f'coco/bbox_{n}': float(evaluation.stats[i])
                            for i, n in enumerate(names)}


def mean_iou(pairs, num_classes, ignore_index=255):
    """mmseg's IoUMetric over (prediction, ground truth) label maps: per-class
    IoU (nan where a class is in neither), mIoU (their nan-mean), aAcc."""
    intersect = np.zeros(num_classes)
    union = np.zeros(num_classes)
    label_area = np.zeros(num_classes)
    for pred, gt in pairs:
        valid = gt != ignore_index
        pred, gt = pred[valid].astype(np.int64), gt[valid].astype(np.int64)
        hit = pred[pred == gt]
        area_i = np.bincount(hit, minlength=num_classes)[:num_classes]
        area_p = np.bincount(pred, minlength=num_classes)[:num_classes]
        area_g = np.bincount(gt, minlength=num_classes)[:num_classes]
        intersect += area_i
        union += area_p + area_g - area_i
        label_area += area_g
    with np.errstate(invalid='ignore', divide='ignore'):
        iou = intersect / union
    return {'IoU': iou, 'mIoU': float(np.nanmean(iou)),
            'aAcc': float(intersect.sum() / max(label_area.sum(), 1))}
