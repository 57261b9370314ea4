"""Cut a small ImageNet-style classification set (one folder a class) out of COCO-format detection data.

    python tools/make_classification_sample.py samples/coco_crops \
        --source /path/to/coco/annotations/instances_train2017.json /path/to/coco/train2017 \
        --source /path/to/coco/annotations/instances_val2017.json /path/to/coco/val2017 \
        --classes person animal vehicle food --label supercategory \
        --max-per-class 60 --val-per-class 20 --max-side 96

Writes OUT/train/<class>/*.jpg and OUT/val/<class>/*.jpg (mmpretrain's
CustomDataset layout); every 4th image's objects go to val, so no picture is
in both. samples/coco_crops was made by the command above from 160 COCO 2017
images.
"""
import argparse
import os
import sys

from ghost_mm.data.crops import crop_objects


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out', help='folder to write (must not exist yet)')
    parser.add_argument('--source', nargs=2, action='append', required=True,
                        metavar=('ANN_FILE', 'IMAGE_DIR'), help='a COCO-format dataset')
    parser.add_argument('--classes', nargs='+', required=True)
    parser.add_argument('--label', choices=('name', 'supercategory'), default='name',
                        help='the category field that names the classes')
    parser.add_argument('--min-size', type=int, default=32)
    parser.add_argument('--max-per-class', type=int, default=None)
    parser.add_argument('--val-per-class', type=int, default=None)
    parser.add_argument('--max-side', type=int, default=128)
    args = parser.parse_args(argv)
    if os.path.exists(args.out):
        sys.exit(f'error: {args.out} exists; give a new folder')
    try:
        counts = crop_objects(args.source, args.out, args.classes, args.label, args.min_size,
                              max_side=args.max_side, max_per_class=args.max_per_class,
                              val_per_class=args.val_per_class)
    except (ValueError, FileNotFoundError) as err:
        sys.exit(f'error: {err}')
    for split, per_class in counts.items():
        print(f'{split}: ' + ', '.join(f'{c} {n}' for c, n in per_class.items()))


if __name__ == '__main__':
    main()
