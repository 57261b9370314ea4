"""Draw a detector's boxes and class names (or a segmentor's prediction) on images.

    python tools/demo.py CONFIG CHECKPOINT IMAGE [IMAGE ...] --out-dir DIR
    python tools/demo.py CONFIG CHECKPOINT clip.mp4 --out-dir DIR     # the annotated video
"""
import argparse
import sys

import ghost_mm  # noqa: F401  (registers GhostNet, silences pkg_resources)
from ghost_mm.inference import draw_predictions, draw_video
from ghost_mm.runtime.video import is_video


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('images', nargs='+', help='images, or one video')
    parser.add_argument('--out-dir', default='work_dirs/demo')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='detection: draw boxes scoring at least this')
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args(argv)
    try:
        if len(args.images) == 1 and is_video(args.images[0]):
            draw_video(args.config, args.checkpoint, args.images[0], args.out_dir,
                       args.score_thr, args.device)
            return
        for path in draw_predictions(args.config, args.checkpoint, args.images,
                                     args.out_dir, args.score_thr, args.device):
            print(f'wrote {path}')
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    main()
