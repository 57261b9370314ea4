"""The small real COCO sample shipped in samples/coco, cut from a COCO 2017 copy
(``tools/make_coco_sample.py /path/to/coco samples/coco``).

Images are copied byte for byte; annotations are the original ones of the
chosen images (boxes and masks), with all 80 categories and the licences.
"""
import json
import os
import shutil

# Few, mostly large objects: a detector can fit them in minutes on a CPU.
TRAIN_IMAGES = ['000000249346.jpg', '000000163497.jpg', '000000525891.jpg',
                '000000194322.jpg', '000000187334.jpg', '000000172123.jpg',
                '000000432430.jpg', '000000281789.jpg']
VAL_IMAGES = 8  # the first N val images with 1-6 objects


def subset(src_json, names=None, limit=None):
    with open(src_json) as f:
        coco = json.load(f)
    per_image = {}
    for ann in coco['annotations']:
        per_image.setdefault(ann['image_id'], []).append(ann)
    if names is not None:
        images = [img for img in coco['images'] if img['file_name'] in names]
    else:
        images = [img for img in sorted(coco['images'], key=lambda i: i['file_name'])
                  if 1 <= len(per_image.get(img['id'], [])) <= 6][:limit]
    ids = {img['id'] for img in images}
    coco['images'] = images
    coco['annotations'] = [a for a in coco['annotations'] if a['image_id'] in ids]
    return coco


def make_coco_sample(coco_root, out, log=print):
    """Copy the sample's images and their original annotations from the COCO
    2017 copy at ``coco_root`` into ``out``, saying each split as it is done;
    returns ``{split: (images, objects)}``."""
    counts = {}
    for split, kwargs in (('train2017', dict(names=set(TRAIN_IMAGES))),
                          ('val2017', dict(limit=VAL_IMAGES))):
        coco = subset(os.path.join(coco_root, 'annotations',
                                   f'instances_{split}.json'), **kwargs)
        os.makedirs(os.path.join(out, split), exist_ok=True)
        os.makedirs(os.path.join(out, 'annotations'), exist_ok=True)
        for img in coco['images']:
            shutil.copyfile(os.path.join(coco_root, split, img['file_name']),
                            os.path.join(out, split, img['file_name']))
        with open(os.path.join(out, 'annotations', f'instances_{split}.json'), 'w') as f:
            json.dump(coco, f)
        counts[split] = (len(coco['images']), len(coco['annotations']))
        log(f'{split}: {counts[split][0]} images, {counts[split][1]} objects')
    return counts

