"""Write the synthetic MOT17-layout tracking sample made from the shipped COCO images.

    python tools/make_mot_sample.py data/mot_sample
"""
import argparse

from ghost_mm.data.mot_sample import make_mot_sample


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', nargs='?', default='data/mot_sample')
    parser.add_argument('--coco-root', default='samples/coco',
                        help='the COCO sample the objects and background come from')
    parser.add_argument('--frames', type=int, default=24)
    args = parser.parse_args(argv)
    make_mot_sample(args.out_dir, args.coco_root, args.frames)


if __name__ == '__main__':
    main()
