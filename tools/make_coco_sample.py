"""Cut the small real COCO sample shipped in samples/coco from a COCO 2017 copy.

    python tools/make_coco_sample.py /path/to/coco samples/coco

Images are copied byte for byte; annotations are the original ones of the
chosen images (boxes and masks), with all 80 categories and the licences.
"""
import argparse

from ghost_mm.data.coco_sample import make_coco_sample


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('coco_root')
    parser.add_argument('out')
    args = parser.parse_args(argv)
    make_coco_sample(args.coco_root, args.out)


if __name__ == '__main__':
    main()
