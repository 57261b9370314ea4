"""Skipping unreadable images in validation and testing.

In training, ``SkippingLoadImageFromFile`` drops a bad sample and the dataset
draws another. A test loop cannot (mmengine refuses a ``None`` sample, and
mmdet's ``CocoMetric`` scores every image of its annotation file, so a skipped
one would count as an image with no detections). So, for each val/test COCO
dataset whose pipeline starts with ``SkippingLoadImageFromFile``, the images
its annotation file lists are checked before the run (present, not empty,
decodable); if some are not, the annotation file without them (and without
their objects) is written into the work dir and both the dataset and its
evaluator read that one: the metric is over the images that exist, and the
log names the skipped ones (their full list beside the filtered file).
"""
import json
import os
import os.path as osp


PAIRS = {'val_dataloader': 'val_evaluator', 'test_dataloader': 'test_evaluator'}


def skips_bad_images(ds):
    """Whether dataset config ``ds`` loads its images with ``SkippingLoadImageFromFile``."""
    steps = ds.get('pipeline') or []
    return bool(steps) and str(steps[0].get('type', '')).endswith('SkippingLoadImageFromFile')


def image_folder(ds):
    """Where the file names of a COCO dataset config's annotation file are
    (``data_prefix.img``; video datasets such as MOTChallengeDataset: ``img_path``)."""
    prefix = ds.get('data_prefix') or {}
    return osp.join(ds.get('data_root') or '', prefix.get('img', prefix.get('img_path', '')))


def _unreadable(path):
    """Why the image at ``path`` cannot be used, or None."""
    import cv2
    if not osp.isfile(path):
        return 'missing'
    if osp.getsize(path) == 0:
        return 'empty'
    if cv2.imread(path, cv2.IMREAD_UNCHANGED) is None:
        return 'not decodable'
    return None


def unreadable_images(ds, content):
    """``[(image entry, reason)]`` for the images a COCO file lists that are
    missing, empty or not decodable (each decoded once)."""
    folder = image_folder(ds)
    found = []
    for image in content.get('images', []):
        reason = _unreadable(osp.join(folder, image.get('file_name', '')))
        if reason:
            found.append((image, reason))
    return found


def _evaluators(cfg, name):
    evaluators = cfg.get(name)
    return evaluators if isinstance(evaluators, list) else [evaluators] if evaluators else []


def skip_unreadable_for_evaluation(cfg, loaders):
    """Point each val/test COCO dataset of ``loaders`` that skips bad images
    (and its evaluator) at a copy of its annotation file without the
    unreadable images; returns the warnings for the run's log (the runner's
    logger does not exist yet)."""
    notes = []
    for loader in loaders:
        if loader not in PAIRS or not cfg.get(loader):
            continue
        ds = cfg[loader]['dataset']
        if not skips_bad_images(ds):
            continue
        ann = osp.join(ds.get('data_root') or '', ds.get('ann_file') or '')
        if not ann.endswith('.json') or not osp.isfile(ann):
            notes.append(f'{loader}: SkippingLoadImageFromFile skips bad images in evaluation '
                         f'for COCO-format json annotation files only; {ds.get("type")} '
                         f'without one stops at the first bad image')
            continue
        with open(ann) as f:
            content = json.load(f)
        bad = unreadable_images(ds, content)
        if not bad:
            continue
        folder = osp.join(cfg.work_dir, 'skipped_images')
        os.makedirs(folder, exist_ok=True)
        drop = {image['id'] for image, _ in bad}
        kept = dict(content, images=[i for i in content['images'] if i['id'] not in drop],
                    annotations=[a for a in content.get('annotations', [])
                                 if a.get('image_id') not in drop])
        filtered = osp.abspath(osp.join(folder, f'{loader}_{osp.basename(ann)}'))
        with open(filtered + '.tmp', 'w') as f:
            json.dump(kept, f)
        os.replace(filtered + '.tmp', filtered)
        listing = osp.splitext(filtered)[0] + '.skipped.txt'
        with open(listing, 'w') as f:
            f.writelines(f'{image["file_name"]}\t{reason}\n' for image, reason in bad)
        ds.ann_file = filtered
        for evaluator in _evaluators(cfg, PAIRS[loader]):
            if 'ann_file' in evaluator:
                evaluator.ann_file = filtered
        names = ', '.join(f'{image["file_name"]} ({reason})' for image, reason in bad[:5])
        notes.append(f'{loader}: skipping {len(bad)} of {len(content["images"])} images of '
                     f'{ann} that cannot be read: {names}{" ..." if len(bad) > 5 else ""}; '
                     f'evaluating the other {len(kept["images"])} (annotations without them: '
                     f'{filtered}; all skipped: {listing})')
    return notes
