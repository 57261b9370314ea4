"""CPU latency of GhostNet backbones side by side with timm's GhostNet and
mmdet's MobileNetV2, on the same inputs and threads: ours eager, deployed
(BN folded, V3 branches merged, channels-last) and exported to onnxruntime.

    .venv/bin/python tools/benchmark.py                 # 2 threads, 224x224 and 800x1344
    .venv/bin/python tools/benchmark.py --threads 4 --rounds 7 --plot bench.png
    .venv/bin/python tools/benchmark.py --detectors     # + RetinaNet at 800x1333
    .venv/bin/python tools/benchmark.py --runtimes      # + OpenVINO fp32/bf16/int8, onnxruntime int8
    .venv/bin/python tools/benchmark.py --end-to-end [--checkpoint CKPT]   # image in, boxes out
    .venv/bin/python tools/benchmark.py --config MY_CONFIG.py --shape 512 1024   # your model
    .venv/bin/python tools/benchmark.py --realtime --sizes   # SSDLite/RTMDet/YOLOX/LR-ASPP vs defaults
    .venv/bin/python tools/benchmark.py --profile --realtime-only SSDLite RTMDet YOLOX --sizes \
        --no-memory --json docs/realtime_profile.json --markdown docs/realtime.md
        # OpenVINO's and onnxruntime's time by layer type
    .venv/bin/python tools/benchmark.py --ghost-everywhere --sizes --no-memory \
        --json docs/ghost_everywhere.json --markdown docs/ghost_everywhere.md
        # whole RetinaNet: GhostNet today vs Ghost FPN+head vs ResNet-50 vs MobileNetV2
    .venv/bin/python tools/benchmark.py --serving --soak 5000 --soak-clip 3000 --sizes \
        --json docs/serving.json --markdown docs/serving.md   # a deployed model under load

Latency is the minimum (and the median) over interleaved rounds: every model
runs once per round, in turn, so machine noise hits all of them alike. Peak
memory is the largest resident-memory growth during one forward, in a fresh
subprocess per model. timm's params include its ImageNet head (not run). FLOPs are conv+linear multiply-adds (the
paper's count, mmengine's analyzer).
"""
import argparse

from ghost_mm.benchmark import SIZES, run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=7,
                        help='interleaved rounds at 800x1344 (5x as many at 224x224)')
    parser.add_argument('--detectors', action='store_true',
                        help='also time RetinaNet-GhostNet vs RetinaNet-MobileNetV2 at 800x1333')
    parser.add_argument('--runtimes', action='store_true',
                        help='also the deployed 1.0x backbone on OpenVINO (fp32, bf16, int8) '
                             'and onnxruntime int8 (needs the deploy extra)')
    parser.add_argument('--end-to-end', action='store_true',
                        help='whole RetinaNet, image in, boxes out, at 320x320 and 800x1333: '
                             'mmdet inference_detector vs the deployed artifacts')
    parser.add_argument('--checkpoint', default='work_dirs/quickstart/iter_100.pth',
                        help='RetinaNet checkpoint for --end-to-end (make demo writes this one)')
    parser.add_argument('--config', help='also time this config\'s whole network (eager and '
                        'deployed) at --shape')
    parser.add_argument('--shape', type=int, nargs=2, default=(800, 1333), metavar=('H', 'W'),
                        help='input size for --config (default 800 1333)')
    parser.add_argument('--realtime', action='store_true',
                        help='the real-time configs (SSDLite, RTMDet-tiny, YOLOX-tiny, LR-ASPP) '
                             'beside their toolbox default-backbone versions, image in, result out')
    parser.add_argument('--realtime-only', nargs='+', metavar='WORD',
                        help='with --realtime or --profile: only the tables whose title has '
                             'one of these words (e.g. RTMDet YOLOX)')
    parser.add_argument('--profile', action='store_true',
                        help='where the real-time configs\' and their defaults\' time goes on '
                        'OpenVINO and onnxruntime (fp32, int8): each runtime\'s per-layer '
                        'counters by layer type; --realtime-only filters it too')
    parser.add_argument('--ghost-everywhere', action='store_true',
                        help='whole RetinaNet at 800x1333, image to boxes: GhostNet today, with '
                             'Ghost FPN+head, ResNet-50, MobileNetV2 (eager, deploy form, '
                             'OpenVINO fp32 and int8)')
    parser.add_argument('--serving', action='store_true',
                        help='a deployed RetinaNet serving images on onnxruntime and OpenVINO: '
                        'images/s one at a time vs predict_many, one size vs all sizes '
                        'different, OpenVINO\'s ways of meeting a new size')
    parser.add_argument('--soak', type=int, metavar='N',
                        help='N predictions over images of many sizes on each runtime: '
                        'resident memory after warm-up and at the end')
    parser.add_argument('--soak-clip', type=int, metavar='FRAMES',
                        help='a FRAMES-long clip (made from the sample photos) through '
                        'infer_video on each runtime: resident memory after warm-up and at '
                        'the end')
    parser.add_argument('--markdown', help='with --ghost-everywhere, --serving or --realtime: '
                        'write its table into this file, between the lines <!-- table --> and '
                        '<!-- /table -->')
    parser.add_argument('--no-memory', action='store_true', help='skip the memory subprocesses')
    parser.add_argument('--sizes', nargs='*', choices=list(SIZES), default=list(SIZES),
                        help='backbone sizes to time (none: only --config / --end-to-end)')
    parser.add_argument('--keep-freed-memory', action='store_true',
                        help='ghost_mm.deploy.keep_freed_memory() for the whole run: '
                             'every model, ours and the others, reuses freed memory')
    parser.add_argument('--json', help='write the numbers here')
    parser.add_argument('--plot', help='write a latency bar chart here (png)')
    args = parser.parse_args(argv)
    # before the artifacts are exported (minutes), not after
    if args.soak is not None and args.soak < 200:
        parser.error(f'--soak {args.soak}: give 200 or more (memory is sampled every 100)')
    if args.soak_clip is not None and args.soak_clip < 300:
        parser.error(f'--soak-clip {args.soak_clip}: give 300 frames or more')
    if args.markdown and sum((args.ghost_everywhere, args.serving, args.realtime,
                              args.profile)) != 1:
        parser.error('--markdown writes the --ghost-everywhere, the --serving, the --realtime '
                     'or the --profile table: give one of them')
    run(args)


if __name__ == '__main__':
    main()
