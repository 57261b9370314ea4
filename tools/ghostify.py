"""Put Ghost modules (GhostConv) into the backbone, neck and/or heads of an mmdet or mmseg config.

    python tools/ghostify.py configs/retinanet_ghostnet_coco.py \
        configs/retinanet_ghostnet_ghost-fpn-head_coco.py --parts neck head

SRC is a config file or a packaged one (``mmdet::...``, ``mmseg::...``),
e.g. one written by tools/swap_backbone.py. The written config inherits SRC
and sets ``conv_cfg=dict(type='GhostConv', ratio=S, dw_size=D)`` on the chosen
parts (mmdet's ResNet backbone becomes GhostResNet); it is checked by a loss
pass before it is written, and its header lists params and FLOPs per part
before and after.
"""
import argparse
import os.path as osp
import sys

from ghost_mm.swap.ghostify import PARTS, GhostifyError, write_ghostified_config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='config to start from (file or mmdet::/mmseg:: name)')
    parser.add_argument('dst', help='where to write the ghosted config')
    parser.add_argument('--parts', nargs='+', choices=PARTS, default=['neck', 'head'],
                        help='parts to ghost (default: neck head)')
    parser.add_argument('--ratio', type=int, default=2,
                        help='s: outputs per intrinsic map, >= 2 (default 2, the paper\'s)')
    parser.add_argument('--dw-size', type=int, default=3,
                        help='d: the cheap depthwise kernel, odd (default 3, the paper\'s)')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help='input size for the FLOPs in the header '
                             '(default 800 1333 for mmdet, 512 1024 for mmseg)')
    parser.add_argument('--force', action='store_true', help='overwrite DST')
    args = parser.parse_args(argv)
    if osp.exists(args.dst) and not args.force:
        sys.exit(f'error: {args.dst} exists; pass --force to overwrite it')
    try:
        result = write_ghostified_config(args.src, args.dst, args.parts, args.ratio,
                                         args.dw_size, args.shape)
    except GhostifyError as err:
        sys.exit(f'error: {err}')
    for part, (p0, p1, f0, f1) in result.costs.items():
        print(f'{part}: {p0 / 1e6:.2f}M -> {p1 / 1e6:.2f}M params, '
              f'{f0 / 1e9:.1f}G -> {f1 / 1e9:.1f}G FLOPs')
    for note in result.notes:
        print(note)
    print(f'wrote {args.dst}')


if __name__ == '__main__':
    main()
