"""Evaluate a checkpoint: COCO bbox mAP for detection, mIoU for segmentation.

    python tools/test.py CONFIG CHECKPOINT [--out PREFIX] [--show-dir DIR] [--tta]
"""
import argparse
import sys

import ghost_mm  # noqa: F401  (registers GhostNet, silences pkg_resources)
from ghost_mm.weights import CheckpointError
from ghost_mm.runner import MissingInputError, add_runner_arguments, end_distributed, run_test


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the evaluation log')
    parser.add_argument('--out', help='detection: prefix of the COCO results json '
                        '(PREFIX.bbox.json); segmentation: folder for prediction PNGs')
    parser.add_argument('--show-dir', help='folder to save drawn predictions in')
    parser.add_argument('--tta', action='store_true', help='test-time augmentation: the '
                        'config\'s tta_model and tta_pipeline (multi-scale + flip)')
    add_runner_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    finished = False
    try:
        run_test(args.config, args.checkpoint, args.work_dir, args.out, args.show_dir,
                 args.cfg_options, args.launcher, args.tta)
        finished = True
    except (MissingInputError, CheckpointError) as err:
        sys.exit(f'error: {err}')
    finally:
        end_distributed(finished)


if __name__ == '__main__':
    main()
