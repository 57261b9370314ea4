"""Deploy a trained detector to OpenVINO (fp32 and INT8) and show what it buys:
ms per image and bbox mAP beside eager PyTorch, on the same images
(`make demo`'s last step).

    python tools/deploy_demo.py CONFIG CHECKPOINT --out-dir work_dirs/quickstart/deploy
"""
import argparse
import sys

DEFAULT_IMAGES = 'samples/coco/train2017'
DEFAULT_ANN = 'samples/coco/annotations/instances_train2017.json'
DEFAULT_CALIB = 'samples/coco/val2017'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out-dir', required=True, help='the artifacts go to OUT_DIR/fp32, '
                        'OUT_DIR/int8')
    parser.add_argument('--images', default=DEFAULT_IMAGES, help='images to time and score')
    parser.add_argument('--ann-file', default=DEFAULT_ANN, help='their COCO annotations')
    parser.add_argument('--calib-images', default=DEFAULT_CALIB,
                        help='INT8 calibration images (not the scored ones)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=3, help='timed passes over the images')
    args = parser.parse_args(argv)
    from ghost_mm.deploy_demo import compare_deployed
    from ghost_mm.weights import CheckpointError
    try:
        compare_deployed(args.config, args.checkpoint, args.out_dir, args.images, args.ann_file,
                         args.calib_images, args.threads, args.rounds)
    except (CheckpointError, FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    main()
