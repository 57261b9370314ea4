"""Run a deployed model (tools/deploy.py) on images: pictures with boxes or
label maps, predictions as JSON, and bbox mAP (--ann-file) or mIoU (--gt-dir).
Needs numpy, OpenCV and the runtime only: torch and OpenMMLab are not imported.

    python tools/infer_deployed.py deploy/retinanet IMAGE_OR_DIR... --out-dir vis/
    python tools/infer_deployed.py deploy/retinanet DIR --out-dir res/ --ann-file ann.json
    python tools/infer_deployed.py deploy/deeplabv3 DIR --out-dir res/ --gt-dir gtFine/val
    python tools/infer_deployed.py deploy/retinanet clip.mp4 --out-dir vis/   # annotated video + json
    python tools/infer_deployed.py deploy/retinanet --camera 0 --out-dir vis/  # a webcam
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # a bare checkout works too
from ghost_mm.runtime import ArtifactError, infer_images  # noqa: E402
from ghost_mm.runtime.video import infer_video, is_video  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('artifact', help='folder written by tools/deploy.py')
    parser.add_argument('inputs', nargs='*', help='images or folders of images, or one video')
    parser.add_argument('--camera', type=int, metavar='N',
                        help='read camera N through OpenCV instead (Ctrl-C or q stops)')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--ann-file', help='COCO annotations of the images: results.bbox.json '
                        'and bbox mAP')
    parser.add_argument('--gt-dir', help='folder of ground-truth label maps: mIoU')
    parser.add_argument('--score-thr', type=float, default=0.3, help='boxes drawn from this score')
    parser.add_argument('--threads', type=int, help='runtime threads (default: the runtime\'s)')
    parser.add_argument('--precision', choices=('f32', 'bf16'), default='f32',
                        help='OpenVINO inference precision (bf16 on CPUs that have it)')
    parser.add_argument('--mode', choices=('throughput', 'latency'), default='throughput',
                        help='throughput (default): several images in flight, the runtime '
                        'set up for it; latency: each inference gets all the threads')
    parser.add_argument('--stop-on-bad-image', action='store_true',
                        help='stop at an image that cannot be read (default: name it, skip it)')
    args = parser.parse_args(argv)
    if (args.camera is None) == (not args.inputs):
        parser.error('give images, folders or one video, or --camera N')
    video = args.camera if args.camera is not None else \
        args.inputs[0] if len(args.inputs) == 1 and is_video(args.inputs[0]) else None
    try:
        if video is not None:
            infer_video(args.artifact, video, args.out_dir, args.score_thr, args.threads,
                        args.precision, mode=args.mode)
            return
        infer_images(args.artifact, args.inputs, args.out_dir, args.ann_file, args.gt_dir,
                     args.score_thr, args.threads, args.precision, mode=args.mode,
                     skip_bad=not args.stop_on_bad_image)
    except (ArtifactError, FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    main()
