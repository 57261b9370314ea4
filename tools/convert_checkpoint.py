"""Convert an official (huawei-noah) or timm GhostNet V1/V2/V3 checkpoint for ghost_mm.

    python tools/convert_checkpoint.py state_dict_73.98.pth checkpoints/ghostnet_1.0x.pth
    python tools/convert_checkpoint.py ck_ghostnetv2_10.pth.tar checkpoints/ghostnetv2_1.0x.pth

The version (V1/V2/V3) and width are read from the file. The output loads
with ``init_cfg=dict(type='Pretrained', checkpoint=DST)``.
"""
import argparse
import sys

from ghost_mm.checkpoint import CheckpointError, convert_ghostnet_checkpoint
from ghost_mm.models.ghostnet import VERSIONS


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='official/timm GhostNet .pth or .pth.tar')
    parser.add_argument('dst', help='where to write the backbone checkpoint')
    parser.add_argument('--widen-factor', type=float, default=None,
                        help='refuse the file unless it has this width')
    parser.add_argument('--version', choices=VERSIONS, default=None,
                        help='refuse the file unless it is this GhostNet version')
    args = parser.parse_args(argv)
    try:
        state_dict, width, version = convert_ghostnet_checkpoint(
            args.src, args.dst, args.widen_factor, args.version)
    except (CheckpointError, FileNotFoundError) as err:
        sys.exit(f'error: {err}')
    print(f'GhostNet {version} {width}x, {len(state_dict)} tensors -> {args.dst}\n'
          f"use: backbone=dict(type='GhostNet', version='{version}', widen_factor={width}, "
          f"init_cfg=dict(type='Pretrained', checkpoint='{args.dst}'))")


if __name__ == '__main__':
    main()
