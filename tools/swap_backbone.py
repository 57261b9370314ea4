"""Write a GhostNet version of an existing mmdet or mmseg config.

    python tools/swap_backbone.py mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py \
        configs/mask-rcnn_ghostnet_fpn_coco.py --widen-factor 1.0

SRC is a config file or a packaged one (``mmdet::...``, ``mmseg::...``). The
written config inherits SRC and sets only the backbone, the channels of what
reads it, the ImageNet pre-processing and ``custom_imports``.
"""
import argparse
import os.path as osp
import sys

from ghost_mm.models.arch import VERSIONS
from ghost_mm.swap import AUTO, SwapError, write_swapped_config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='config to start from (file or mmdet::/mmseg:: name)')
    parser.add_argument('dst', help='where to write the GhostNet config')
    parser.add_argument('--widen-factor', type=float, default=1.0,
                        help='GhostNet width (default 1.0, the one with public ImageNet weights)')
    parser.add_argument('--version', choices=VERSIONS, default='v1',
                        help='GhostNet v1 (default), v2 (DFC attention) or v3 '
                             '(re-parameterisable branches)')
    weights = parser.add_mutually_exclusive_group()
    weights.add_argument('--pretrained', default=AUTO,
                         help='GhostNet ImageNet checkpoint for the backbone '
                              '(default: checkpoints/ghostnet{v}_{w}x.pth)')
    weights.add_argument('--no-pretrained', action='store_true',
                         help='start the backbone from random init')
    parser.add_argument('--force', action='store_true', help='overwrite DST')
    args = parser.parse_args(argv)
    if osp.exists(args.dst) and not args.force:
        sys.exit(f'error: {args.dst} exists; pass --force to overwrite it')
    try:
        result = write_swapped_config(args.src, args.dst, args.widen_factor,
                                      None if args.no_pretrained else args.pretrained,
                                      args.version)
    except (SwapError, TypeError) as err:
        sys.exit(f'error: {err}')
    for note in result.notes:
        print(note)
    print(f'wrote {args.dst}')


if __name__ == '__main__':
    main()
