"""Convert a GhostNet checkpoint (official, timm, PaddleClas, MindCV, or an mmpretrain classifier) for ghost_mm.

    python tools/convert_checkpoint.py state_dict_73.98.pth checkpoints/ghostnet_1.0x.pth
    python tools/convert_checkpoint.py ck_ghostnetv2_10.pth.tar checkpoints/ghostnetv2_1.0x.pth
    python tools/convert_checkpoint.py work_dirs/ghostnet-1.1x_8xb128_in1k/epoch_400.pth \
        checkpoints/ghostnet_1.1x.pth
    python tools/convert_checkpoint.py state_dict_73.98.pth checkpoints/ghostnet-1.0x_in1k.pth --keep-head
    python tools/convert_checkpoint.py GhostNet_x1_3_ssld_pretrained.pdparams checkpoints/ghostnet_1.3x_ssld.pth
    python tools/convert_checkpoint.py ghostnet_050-85b91860.ckpt checkpoints/ghostnet_0.5x.pth

The format (PyTorch, PaddleClas .pdparams, MindCV/MindSpore .ckpt; read
without PaddlePaddle or MindSpore), the version (V1/V2/V3) and the width are
read from the file. The output loads
with ``init_cfg=dict(type='Pretrained', checkpoint=DST)``; with
``--keep-head`` it is a whole mmpretrain classifier for the
``configs/imagenet`` configs (``tools/test.py CONFIG DST``).
"""
import argparse
import sys

from ghost_mm.weights import CheckpointError, convert_ghostnet_checkpoint
from ghost_mm.models.arch import VERSIONS


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='official/timm GhostNet .pth or .pth.tar, a PaddleClas '
                        '.pdparams, a MindCV .ckpt, or a checkpoint the runner wrote for a '
                        'model with a GhostNet backbone')
    parser.add_argument('dst', help='where to write the converted checkpoint')
    parser.add_argument('--widen-factor', type=float, default=None,
                        help='refuse the file unless it has this width')
    parser.add_argument('--version', choices=VERSIONS, default=None,
                        help='refuse the file unless it is this GhostNet version')
    parser.add_argument('--keep-head', action='store_true',
                        help='keep the ImageNet classifier: write mmpretrain '
                        'ImageClassifier weights (configs/imagenet) instead of a backbone')
    args = parser.parse_args(argv)
    try:
        state_dict, width, version = convert_ghostnet_checkpoint(
            args.src, args.dst, args.widen_factor, args.version, args.keep_head)
    except (CheckpointError, FileNotFoundError) as err:
        sys.exit(f'error: {err}')
    print(f'GhostNet {version} {width}x, {len(state_dict)} tensors -> {args.dst}')
    if args.keep_head:
        print(f'use: python tools/test.py configs/imagenet/<the {version} {width}x config> '
              f'{args.dst}')
    else:
        print(f"use: backbone=dict(type='GhostNet', version='{version}', widen_factor={width}, "
              f"init_cfg=dict(type='Pretrained', checkpoint='{args.dst}'))")


if __name__ == '__main__':
    main()
