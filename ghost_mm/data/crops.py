"""A small classification sample cut from COCO-format detection data
(``tools/make_classification_sample.py``), in mmpretrain's folder layout."""
import json
import os
import os.path as osp


def crop_objects(sources, out_dir, classes, label='name', min_size=32, margin=0.1,
                 max_side=128, max_per_class=None, val_per_class=None, val_every=4):
    """Write the objects of ``classes`` found in COCO-format datasets as a
    small classification set in mmpretrain's folder layout (``CustomDataset``):
    ``out_dir/{train,val}/<class>/<image>_<object>.jpg``.

    ``sources`` are ``(annotation file, image folder)`` pairs; ``label`` is the
    category field that names an object's class (``'name'``, or
    ``'supercategory'`` for coarser classes with more objects each). Objects
    of at least ``min_size`` px (both sides, not crowds) are cropped with
    ``margin`` of context and shrunk to ``max_side`` px at most; at most
    ``max_per_class`` (train) and ``val_per_class`` (val) objects a class. Whole images
    are held back: every ``val_every``-th image (by file name) gives its
    objects to ``val``, so no picture is in both splits. Returns
    ``{split: {class: count}}``.
    """
    import cv2
    images, by_image, found = [], {}, set()
    for ann_file, image_dir in sources:
        with open(ann_file) as f:
            coco = json.load(f)
        names = {c['id']: c[label] for c in coco['categories']}
        found.update(names.values())
        paths = {img['id']: osp.join(image_dir, img['file_name']) for img in coco['images']}
        for img in coco['images']:
            images.append((img['file_name'], paths[img['id']], ann_file))
        for ann in coco['annotations']:
            name = names[ann['category_id']]
            if ann.get('iscrowd') or min(ann['bbox'][2:]) < min_size or name not in classes:
                continue
            by_image.setdefault(paths[ann['image_id']], []).append((name, ann))
    unknown = [c for c in classes if c not in found]
    if unknown:
        raise ValueError(f'classes {unknown} are no category {label} of '
                         f'{[s[0] for s in sources]} (they have: {sorted(found)})')
    images.sort()
    counts = {split: {c: 0 for c in classes} for split in ('train', 'val')}
    for n, (file_name, path, ann_file) in enumerate(images):
        objects = by_image.get(path)
        if not objects:
            continue
        picture = cv2.imread(path)
        if picture is None:
            raise FileNotFoundError(f'{path} (named in {ann_file}) is missing or unreadable')
        split = 'val' if n % val_every == val_every - 1 else 'train'
        for name, ann in objects:
            limit = val_per_class if split == 'val' else max_per_class
            if limit and counts[split][name] >= limit:
                continue
            x, y, w, h = ann['bbox']
            x0, y0 = max(0, int(x - margin * w)), max(0, int(y - margin * h))
            x1 = min(picture.shape[1], int(x + w + margin * w + 1))
            y1 = min(picture.shape[0], int(y + h + margin * h + 1))
            crop = picture[y0:y1, x0:x1]
            scale = max_side / max(crop.shape[:2])
            if scale < 1:
                crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            folder = osp.join(out_dir, split, name.replace(' ', '_'))
            os.makedirs(folder, exist_ok=True)
            stem = osp.splitext(file_name)[0]
            cv2.imwrite(osp.join(folder, f'{stem}_{ann["id"]}.jpg'), crop,
                        [cv2.IMWRITE_JPEG_QUALITY, 90])
            counts[split][name] += 1
    return counts
