"""Params and FLOPs of a config's GhostNet backbone and whole model (mmengine's complexity analysis).

    python tools/get_flops.py configs/retinanet_ghostnet_coco.py --shape 224 224
"""
import argparse

from mmengine.config import Config

from ghost_mm.complexity import (backbone_cfg_from_config, backbone_report,
                                 model_and_parts_report)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='an mm config (GhostNet backbone: also the paper\'s '
                        'backbone rows)')
    parser.add_argument('--shape', type=int, nargs=2, default=(224, 224),
                        metavar=('H', 'W'), help='input size (default: 224 224)')
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    shape = tuple(args.shape)
    try:
        backbone = backbone_cfg_from_config(cfg)
    except ValueError:  # another backbone (Ghost-ResNet, ResNet, ...): whole model only
        backbone = None
        print(f'{cfg.model.backbone.type} at 3x{shape[0]}x{shape[1]} (FLOPs = conv+linear '
              'multiply-adds, as the paper counts; "all ops" adds what mmengine counts '
              'besides, e.g. BatchNorm)')
    else:
        print(f'GhostNet {backbone.get("version", "v1")} {backbone.get("widen_factor", 1.0)}x '
              f'at 3x{shape[0]}x{shape[1]} (FLOPs = conv+linear multiply-adds, as the paper '
              'counts; "all ops" adds what mmengine counts besides, e.g. BatchNorm)')
    print(f'{"":56s} {"params":>9s} {"FLOPs":>10s} {"all ops":>10s}')
    whole, parts = model_and_parts_report(cfg, shape)  # one trace for both
    rows = (backbone_report(backbone, shape) if backbone else []) + [whole]
    for what, params, flops, flops_all in rows:
        print(f'{what:56s} {params / 1e6:8.3f}M {flops / 1e6:9.1f}M {flops_all / 1e6:9.1f}M')
    for what, params, flops in parts:
        print(f'{what:56s} {params / 1e6:8.3f}M {flops / 1e6:9.1f}M')

if __name__ == '__main__':
    main()
