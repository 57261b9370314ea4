"""Try tools/swap_backbone.py on one config of every mmdet and mmseg config family.

    python tools/swap_sweep.py                      # all families, ~25 min on 2 cores
    python tools/swap_sweep.py --only retinanet tood mmseg::psanet/psanet_r50-d8_4xb2-40k_cityscapes-512x1024.py

Each config runs in its own process: swapped to GhostNet 1.0x, one SGD step,
inference on a tiny batch. Writes docs/swap_sweep.json and docs/swap_sweep.md
(outcome per family: trained / refused with the reason / not checked / failed).
Not part of `make test`.
"""
import argparse

from ghost_mm.swap.sweep import SCOPES, sweep


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--scopes', nargs='+', choices=SCOPES, default=list(SCOPES))
    parser.add_argument('--only', nargs='+', help='family names or packaged config names')
    parser.add_argument('--jobs', type=int, default=2, help='processes at a time (default 2)')
    parser.add_argument('--timeout', type=int, default=300, help='seconds per config')
    parser.add_argument('--update', action='store_true',
                        help='keep the other rows of an earlier --out json (re-check a few)')
    parser.add_argument('--out', default='docs/swap_sweep',
                        help='prefix of the .json and .md written (default docs/swap_sweep)')
    args = parser.parse_args(argv)
    counts = sweep(args.out + '.json', args.out + '.md', args.scopes, args.jobs, args.timeout,
                   args.only, args.update)
    print(', '.join(f'{n} {k}' for k, n in sorted(counts.items())), f'-> {args.out}.md')


if __name__ == '__main__':
    main()
