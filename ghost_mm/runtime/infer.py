"""Run a deployed model over images: pictures, JSON, and with ground truth
COCO bbox mAP or mIoU (what tools/infer_deployed.py does)."""
import os
import os.path as osp

import cv2

from .predictor import DeployedModel
from .results import (coco_bbox_map, coco_results, detections_to_json, draw_detections,
                      draw_label_map, mean_iou, write_json)

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def collect_images(inputs):
    """Image files named in ``inputs`` (files, or folders searched
    recursively for image extensions, sorted)."""
    found = []
    for item in inputs:
        if osp.isdir(item):
            inside = sorted(osp.join(root, name) for root, _, names in os.walk(item)
                            for name in names if name.lower().endswith(IMAGE_EXTENSIONS))
            if not inside:
                raise FileNotFoundError(f'{item} holds no image ({", ".join(IMAGE_EXTENSIONS)})')
            found.extend(inside)
        elif osp.isfile(item):
            found.append(item)
        else:
            raise FileNotFoundError(f'image or folder not found: {item}')
    return found


def _ground_truth_maps(gt_dir, images, dataset):
    """{image path: its label map path under ``gt_dir``}, matched by the
    dataset's ``img_suffix`` / ``seg_map_suffix`` (Cityscapes:
    X_leftImg8bit.png -> X_gtFine_labelTrainIds.png)."""
    if not osp.isdir(gt_dir):
        raise FileNotFoundError(f'ground-truth folder not found: {gt_dir}')
    by_name = {name: osp.join(root, name) for root, _, names in os.walk(gt_dir) for name in names}
    pairs, missing = {}, []
    for image in images:
        name = osp.basename(image)
        stem = name[:-len(dataset['img_suffix'])] if name.endswith(dataset['img_suffix']) \
            else osp.splitext(name)[0]
        gt = by_name.get(stem + dataset['seg_map_suffix'])
        if gt is None:
            missing.append(stem + dataset['seg_map_suffix'])
        pairs[image] = gt
    if missing:
        raise FileNotFoundError(f'{gt_dir} has no ground truth for {len(missing)} image(s), '
                                f'e.g. {missing[:3]}')
    return pairs


def infer_images(artifact, inputs, out_dir, ann_file=None, gt_dir=None, score_thr=0.3,
                 threads=None, precision='f32', log=print, mode='throughput', skip_bad=True):
    """Predict every image of ``inputs`` with the artifact; write a picture
    per image and the predictions into ``out_dir``; with ``ann_file``
    (detection) also ``results.bbox.json`` and bbox mAP, with ``gt_dir``
    (segmentation) mIoU. Returns the metrics (empty without ground truth).

    Images go through :meth:`DeployedModel.predict_many` (several in flight;
    ``mode`` as :class:`DeployedModel`'s). An image that cannot be read or
    predicted is named and skipped (``skip_bad``, default) or stops the run;
    the json and metrics then cover the images predicted."""
    model = DeployedModel(artifact, threads, precision, mode)
    images = collect_images(inputs)
    names = [osp.basename(p) for p in images]
    if len(set(names)) != len(names):
        raise ValueError('two images share a file name; outputs are named after the input '
                         'files: give them from different runs or rename them')
    if model.task == 'segmentation' and ann_file:
        raise ValueError('--ann-file is COCO detection ground truth; a segmentor takes --gt-dir')
    if model.task == 'detection' and gt_dir:
        raise ValueError('--gt-dir is segmentation ground truth; a detector takes --ann-file')
    gt_maps = _ground_truth_maps(gt_dir, images, model.meta['dataset']) if gt_dir else None
    os.makedirs(out_dir, exist_ok=True)
    per_image, pairs, skipped = {}, [], []

    def skip(path, err):
        skipped.append(path)
        log(f'skipped: {err}')  # the message names the file
    for path, image, prediction in model.predict_many(images, on_error=skip if skip_bad else None):
        name = osp.basename(path)
        if model.task == 'detection':
            per_image[name] = prediction
            picture = draw_detections(image, prediction, model.classes, score_thr)
            if not (prediction.scores >= score_thr).any():
                log(f'{name}: no box scores {score_thr} or more')
        else:
            os.makedirs(osp.join(out_dir, 'label_maps'), exist_ok=True)
            cv2.imwrite(osp.join(out_dir, 'label_maps', osp.splitext(name)[0] + '.png'), prediction)
            picture = draw_label_map(image, prediction, model.meta['palette'])
            if gt_maps:
                pairs.append((prediction, cv2.imread(gt_maps[path], cv2.IMREAD_UNCHANGED)))
        cv2.imwrite(osp.join(out_dir, name), picture)  # the input's name and format
    if len(skipped) == len(images):
        raise ValueError(f'none of the {len(images)} image(s) could be read (first: '
                         f'{skipped[0]}); nothing was predicted')
    log(f'{len(images) - len(skipped)} image(s) -> {out_dir}'
        + (f' ({len(skipped)} skipped: {", ".join(map(osp.basename, skipped))})'
           if skipped else ''))
    if model.task == 'detection':
        write_json(osp.join(out_dir, 'detections.json'),
                    {name: detections_to_json(d, model.classes) for name, d in per_image.items()})
        if not ann_file:
            return {}
        results, image_ids = coco_results(per_image, ann_file, model.classes)
        write_json(osp.join(out_dir, 'results.bbox.json'), results)
        table, metrics = coco_bbox_map(ann_file, results, image_ids)
        log(table + f'bbox mAP {metrics["coco/bbox_mAP"]:.3f} over {len(image_ids)} image(s)')
        return metrics
    if not gt_maps:
        return {}
    metrics = mean_iou(pairs, len(model.classes))
    for name, iou in zip(model.classes, metrics['IoU']):
        log(f'{name:>16}: IoU {100 * iou:.2f}')
    log(f'mIoU {100 * metrics["mIoU"]:.2f}, aAcc {100 * metrics["aAcc"]:.2f} '
        f'over {len(pairs)} image(s)')
    return metrics
