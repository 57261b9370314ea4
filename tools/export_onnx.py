"""Export a GhostNet model from an mm config to ONNX (dynamic height/width).

    python tools/export_onnx.py configs/retinanet_ghostnet-1.0x_coco.py work_dirs/x/iter_100.pth \
        --out retinanet_ghostnet.onnx
    python tools/export_onnx.py configs/deeplabv3_ghostnet_cityscapes.py --backbone-only --out gn.onnx

The whole model is exported as its tensor graph (backbone, neck, head
outputs: no NMS, no resizing), BN folded into the convs.
"""
import argparse
import sys

from mmengine.config import Config

import ghost_mm  # noqa: F401  (registers GhostNet)
from ghost_mm.weights import CheckpointError
from ghost_mm.export import build_from_config, export_onnx


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?', help='runner checkpoint or state dict '
                        '(default: the model as initialised, for shape checks)')
    parser.add_argument('--out', required=True, help='.onnx file to write')
    parser.add_argument('--backbone-only', action='store_true')
    parser.add_argument('--shape', type=int, nargs=2, default=(512, 512), metavar=('H', 'W'),
                        help='example input size used for tracing (any size runs later)')
    args = parser.parse_args(argv)
    try:
        model = build_from_config(Config.fromfile(args.config), args.checkpoint,
                                  args.backbone_only)
    except (CheckpointError, FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')
    names = export_onnx(model, args.out, (1, 3, *args.shape))
    print(f'wrote {args.out}: input "input" (1x3xHxW), outputs {", ".join(names)}')


if __name__ == '__main__':
    main()
