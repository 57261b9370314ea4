"""Deploy a trained detector or segmentor: one file with pre-processing, the
network and post-processing (NMS / argmax), for onnxruntime or OpenVINO, or
an ncnn network (pnnx) whose NMS / argmax ghost_mm.runtime runs.

    python tools/deploy.py CONFIG CHECKPOINT --out deploy/retinanet --backend openvino
    python tools/deploy.py CONFIG CHECKPOINT --out deploy/retinanet-int8 --backend openvino \
        --int8 --calib-images samples/coco/val2017 [--float-depthwise]
    python tools/deploy.py CONFIG CHECKPOINT --out deploy/retinanet-ncnn --backend ncnn [--fp16]

The folder gets the network file and deploy.json; run it with
tools/infer_deployed.py or ghost_mm.runtime.DeployedModel (no torch needed).
"""
import argparse
import sys

from mmengine.config import DictAction

from ghost_mm.runtime.artifact import BACKENDS


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', help='runner checkpoint (tools/train.py) or state dict')
    parser.add_argument('--out', required=True, help='folder to write (replaced if it holds '
                        'an earlier deployed model)')
    parser.add_argument('--backend', choices=sorted(BACKENDS), default='onnxruntime')
    parser.add_argument('--int8', action='store_true', help='post-training static INT8')
    parser.add_argument('--calib-images', help='folder of calibration images (with --int8)')
    parser.add_argument('--calib-limit', type=int, default=300,
                        help='use at most this many calibration images')
    parser.add_argument('--float-depthwise', action='store_true',
                        help='with --int8: keep depthwise convs in floating point')
    parser.add_argument('--fp16', action='store_true',
                        help='with --backend ncnn: weights stored in fp16 (ncnn uses fp16 '
                             'storage/arithmetic where the CPU has it)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config settings, as in mmdet/mmseg tools '
                             '(e.g. model.backbone.version=v3)')
    args = parser.parse_args(argv)
    if args.float_depthwise and not args.int8:
        parser.error('--float-depthwise is an --int8 option')
    from ghost_mm.weights import CheckpointError
    from ghost_mm.export.deployable import export_deployable
    try:
        export_deployable(args.config, args.checkpoint, args.out, args.backend, args.int8,
                          args.calib_images, args.float_depthwise, args.calib_limit,
                          args.cfg_options, fp16=args.fp16)
    except (CheckpointError, FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    main()
