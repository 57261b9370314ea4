"""A PASCAL VOC-format sample written from COCO-format images and annotations
(``tools/make_voc_sample.py``): the shipped COCO sample in the layout mmdet's
``VOCDataset`` reads, for the VOC configs' quick start and tests.

    OUT/VOC2007/JPEGImages/<id>.jpg          the images, copied byte for byte
    OUT/VOC2007/Annotations/<id>.xml         one VOC XML file per image
    OUT/VOC2007/ImageSets/Main/<set>.txt     the ids of each image set

Only the objects of the 20 VOC classes are kept (the COCO names they have in
COCO, e.g. ``airplane``, written as VOC's ``aeroplane``); an image without one
is left out. COCO's crowd regions become VOC's ``difficult`` objects (both are
left out of the evaluation). Boxes are written in VOC's 1-based pixel
coordinates (each rounded, plus one), which ``VOCDataset`` turns back into
0-based ones by subtracting one: mmdet reads the COCO box within half a pixel.
"""
import json
import os
import os.path as osp
import shutil
from xml.etree import ElementTree as ET

# VOC's class names (mmdet's VOCDataset order) and the COCO category of each
VOC_FROM_COCO = {
    'aeroplane': 'airplane', 'bicycle': 'bicycle', 'bird': 'bird', 'boat': 'boat',
    'bottle': 'bottle', 'bus': 'bus', 'car': 'car', 'cat': 'cat', 'chair': 'chair',
    'cow': 'cow', 'diningtable': 'dining table', 'dog': 'dog', 'horse': 'horse',
    'motorbike': 'motorcycle', 'person': 'person', 'pottedplant': 'potted plant',
    'sheep': 'sheep', 'sofa': 'couch', 'train': 'train', 'tvmonitor': 'tv'}

# the shipped COCO sample's splits that make the VOC sample's one image set:
# both, since only 2 of the 8 train2017 images hold a VOC class
SAMPLE_SPLITS = ('train2017', 'val2017')


def _voc_objects(coco, image_id, voc_name_of):
    objects = []
    for ann in coco['annotations']:
        name = voc_name_of.get(ann['category_id'])
        if ann['image_id'] != image_id or name is None:
            continue
        x, y, w, h = ann['bbox']
        # VOC's 1-based pixel coordinates: VOCDataset subtracts 1 from each
        box = tuple(int(round(v)) + 1 for v in (x, y, x + w, y + h))
        if box[2] > box[0] and box[3] > box[1]:
            objects.append((name, box, int(ann.get('iscrowd', 0))))
    return objects


def _annotation_xml(year, image, objects):
    root = ET.Element('annotation')
    ET.SubElement(root, 'folder').text = year
    ET.SubElement(root, 'filename').text = image['file_name']
    size = ET.SubElement(root, 'size')
    for key, value in (('width', image['width']), ('height', image['height']), ('depth', 3)):
        ET.SubElement(size, key).text = str(value)
    ET.SubElement(root, 'segmented').text = '0'
    for name, box, difficult in objects:
        obj = ET.SubElement(root, 'object')
        ET.SubElement(obj, 'name').text = name
        ET.SubElement(obj, 'pose').text = 'Unspecified'
        ET.SubElement(obj, 'truncated').text = '0'
        ET.SubElement(obj, 'difficult').text = str(difficult)
        bndbox = ET.SubElement(obj, 'bndbox')
        for key, value in zip(('xmin', 'ymin', 'xmax', 'ymax'), box):
            ET.SubElement(bndbox, key).text = str(value)
    ET.indent(root)
    return ET.ElementTree(root)


def coco_to_voc(image_dir, ann_file, out, image_set, year='VOC2007'):
    """Write the images of the COCO file ``ann_file`` (from ``image_dir``)
    that hold an object of a VOC class into ``out/year``, their ids added to
    VOC image set ``image_set``; returns ``(images, objects)`` written."""
    with open(ann_file) as f:
        coco = json.load(f)
    coco_ids = {c['name']: c['id'] for c in coco['categories']}
    voc_name_of = {coco_ids[coco_name]: voc_name for voc_name, coco_name in VOC_FROM_COCO.items()
                   if coco_name in coco_ids}
    base = osp.join(out, year)
    for folder in ('JPEGImages', 'Annotations', osp.join('ImageSets', 'Main')):
        os.makedirs(osp.join(base, folder), exist_ok=True)
    ids, objects = [], 0
    for image in sorted(coco['images'], key=lambda i: i['file_name']):
        found = _voc_objects(coco, image['id'], voc_name_of)
        if not found:
            continue
        stem, ext = osp.splitext(image['file_name'])
        if ext.lower() not in ('.jpg', '.jpeg'):
            raise ValueError(f'{image["file_name"]} in {ann_file}: VOCDataset reads '
                             f'JPEGImages/<id>.jpg, so only JPEG images can be written')
        shutil.copyfile(osp.join(image_dir, image['file_name']),
                        osp.join(base, 'JPEGImages', f'{stem}.jpg'))
        _annotation_xml(year, image, found).write(
            osp.join(base, 'Annotations', f'{stem}.xml'), encoding='utf-8')
        ids.append(stem)
        objects += len(found)
    with open(osp.join(base, 'ImageSets', 'Main', f'{image_set}.txt'), 'a') as f:
        f.write(''.join(f'{i}\n' for i in ids))
    return len(ids), objects


def make_voc_sample(out, coco_root='samples/coco', log=print):
    """The shipped COCO sample (``coco_root``, both splits) as a VOC2007-format
    sample in ``out``: one image set, ``trainval``, which the quick start
    trains and is scored on (as the COCO one, it shows learning, not
    generalisation); returns ``(images, objects)``."""
    image_set = osp.join(out, 'VOC2007', 'ImageSets', 'Main', 'trainval.txt')
    if osp.exists(image_set):
        os.remove(image_set)  # written anew, not appended to
    images = objects = 0
    for split in SAMPLE_SPLITS:
        found = coco_to_voc(osp.join(coco_root, split),
                            osp.join(coco_root, 'annotations', f'instances_{split}.json'),
                            out, 'trainval')
        images, objects = images + found[0], objects + found[1]
    log(f'trainval: {images} images, {objects} objects of VOC classes in '
        f'{osp.join(out, "VOC2007")}')
    return images, objects
