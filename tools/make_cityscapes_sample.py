"""Generate the synthetic Cityscapes-format sample (deterministic from --seed).

    python tools/make_cityscapes_sample.py data/cityscapes_sample
"""
import argparse

from ghost_mm.data.cityscapes_sample import make_cityscapes_sample


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', nargs='?', default='data/cityscapes_sample')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--images-per-city', type=int, default=6)
    args = parser.parse_args(argv)
    written = make_cityscapes_sample(args.out_dir, args.seed, args.images_per_city)
    print(', '.join(f'{split}: {len(paths)} images' for split, paths in written.items())
          + f' in {args.out_dir}')


if __name__ == '__main__':
    main()
