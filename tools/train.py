"""Train a detector or segmentor from an mm config (mmdet/mmseg ``tools/train.py`` CLI).

    python tools/train.py configs/retinanet_ghostnet_coco.py [--work-dir DIR] [--resume [CKPT]]
"""
import argparse
import sys

import ghost_mm  # noqa: F401  (registers GhostNet, silences pkg_resources)
from ghost_mm.weights import CheckpointError
from ghost_mm.runner import MissingInputError, add_runner_arguments, end_distributed, run_train


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--amp', action='store_true', help='mixed precision training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr to the real batch size')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from CKPT, or from the latest checkpoint '
                        'in the work dir when no path is given')
    add_runner_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    finished = False
    try:
        run_train(args.config, args.work_dir, args.resume, args.amp, args.auto_scale_lr,
                  args.cfg_options, args.launcher)
        finished = True
    except (MissingInputError, CheckpointError) as err:
        sys.exit(f'error: {err}')
    finally:
        end_distributed(finished)


if __name__ == '__main__':
    main()
