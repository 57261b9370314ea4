"""Write the shipped COCO sample as a PASCAL VOC-format sample (VOC2007 layout).

    python tools/make_voc_sample.py data/voc_sample
"""
import argparse

from ghost_mm.data.voc_sample import make_voc_sample


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', nargs='?', default='data/voc_sample')
    parser.add_argument('--coco-root', default='samples/coco',
                        help='a COCO-format folder: train2017/, val2017/, annotations/')
    args = parser.parse_args(argv)
    make_voc_sample(args.out_dir, args.coco_root)


if __name__ == '__main__':
    main()
