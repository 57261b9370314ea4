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
    .venv/bin/python tools/benchmark.py --ghost-everywhere --sizes --no-memory \
        --json docs/ghost_everywhere.json --markdown docs/ghost_everywhere.md
        # whole RetinaNet: GhostNet today vs Ghost FPN+head vs ResNet-50 vs MobileNetV2

Latency is the minimum (and the median) over interleaved rounds: every model
runs once per round, in turn, so machine noise hits all of them alike. Peak
memory is the largest resident-memory growth during one forward, in a fresh
subprocess per model. timm's params include its ImageNet head (not run). FLOPs are conv+linear multiply-adds (the
paper's count, mmengine's analyzer).
"""
import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn

SIZES = {'224x224': (224, 224), '800x1344': (800, 1344)}


class _Features(nn.Module):
    """A timm model's ``forward_features`` (all blocks) as a module."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.forward_features(x)


def _ghostnet(width, form, version='v1'):
    from ghost_mm.deploy import to_deploy
    from ghost_mm.models.ghostnet import GhostNet
    model = GhostNet(widen_factor=width, out_indices=(1, 2, 3, 4, 5),  # all blocks
                     version=version).eval()
    if form == 'onnxruntime':
        return _runtime(model, 'onnxruntime')
    return to_deploy(model) if form == 'deployed' else model


def _timm(channels_last, name='ghostnet_100'):
    import timm
    model = timm.create_model(name).eval()
    if hasattr(model, 'convert_to_deploy'):
        model.convert_to_deploy()  # V3: branches merged (a no-op for V1/V2)
    model = _Features(model)
    return model.to(memory_format=torch.channels_last) if channels_last else model


def _mobilenet_v2():
    from mmdet.models.backbones import MobileNetV2
    model = MobileNetV2(out_indices=(7,))  # runs every layer
    model.eval()  # not chained: mmdet's MobileNetV2.train() returns None
    return model


CALIBRATION = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           'samples/coco/val2017')


def _calibration_batches(size):
    """The sample's val images resized to ``size`` and ImageNet-normalised, as
    the backbone (which has no normalisation of its own) sees them."""
    import cv2
    import numpy as np
    from ghost_mm.runtime.infer import collect_images
    mean, std = np.float32([123.675, 116.28, 103.53]), np.float32([58.395, 57.12, 57.375])
    batches = []
    for path in collect_images([CALIBRATION]):
        image = cv2.resize(cv2.imread(path)[:, :, ::-1], size[::-1]).astype(np.float32)
        batches.append(((image - mean) / std).transpose(2, 0, 1)[None].copy())
    return batches


_SIZE = {}  # set by main(): the input size being timed (int8 calibration, OpenVINO shape)


def _runtime(model, runtime, precision='fp32', float_depthwise=False, openvino_precision=None):
    """``model``'s deploy form exported to ONNX (dynamic H x W) and run by ``runtime``
    ('onnxruntime' or 'openvino') in ``precision`` ('fp32', 'bf16': OpenVINO's
    inference precision; 'int8': post-training quantised, calibrated on the
    sample's images; ``openvino_precision`` for what int8 leaves in floating
    point), on as many threads as torch uses. OpenVINO compiles for
    the timed size, as ghost_mm.runtime does (static shapes: ~1.6x faster)."""
    import tempfile

    from ghost_mm.deploy import fuse_conv_bn
    from ghost_mm.export import export_onnx
    from ghost_mm.export.quantize import quantize_onnxruntime, quantize_openvino
    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'model.onnx')
        export_onnx(fuse_conv_bn(model), path, (1, 3, 224, 224))
        batches = _calibration_batches(_SIZE.get('size', (224, 224))) \
            if precision == 'int8' else None
        if runtime == 'onnxruntime':
            import onnxruntime as ort
            if batches:
                quantize_onnxruntime(path, path + '.int8', batches, float_depthwise)
                path += '.int8'
            options = ort.SessionOptions()
            options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
            session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
            return lambda x: session.run(None, {'input': x.numpy()})  # numpy arrays out
        import openvino as ov
        network = ov.convert_model(path)
        network.reshape({0: [1, 3, *_SIZE.get('size', (224, 224))]})
        if batches:
            network = quantize_openvino(network, batches, float_depthwise)
        compiled = ov.Core().compile_model(network, 'CPU', {
            'INFERENCE_NUM_THREADS': threads, 'PERFORMANCE_HINT': 'LATENCY',
            'INFERENCE_PRECISION_HINT': openvino_precision or
            ('bf16' if precision == 'bf16' else 'f32')})
        request = compiled.create_infer_request()
        return lambda x: request.infer({0: x.numpy()})


# name -> (builder, is the input channels-last)
MODELS = {
    'ghost_mm GhostNet 1.0x eager': (lambda: _ghostnet(1.0, 'eager'), False),
    'ghost_mm GhostNet 1.0x deployed': (lambda: _ghostnet(1.0, 'deployed'), False),
    'ghost_mm GhostNet 1.0x onnxruntime': (lambda: _ghostnet(1.0, 'onnxruntime'), False),
    'ghost_mm GhostNet 1.1x eager': (lambda: _ghostnet(1.1, 'eager'), False),
    'ghost_mm GhostNet 1.1x deployed': (lambda: _ghostnet(1.1, 'deployed'), False),
    'ghost_mm GhostNet 1.1x onnxruntime': (lambda: _ghostnet(1.1, 'onnxruntime'), False),
    'ghost_mm GhostNetV3 1.0x deployed': (lambda: _ghostnet(1.0, 'deployed', 'v3'), False),
    'ghost_mm GhostNetV3 1.0x onnxruntime': (
        lambda: _ghostnet(1.0, 'onnxruntime', 'v3'), False),
    'timm ghostnet_100 forward_features': (lambda: _timm(False), False),
    'timm ghostnet_100 channels-last (reference)': (lambda: _timm(True), True),
    'timm ghostnetv3_100 re-parameterised': (lambda: _timm(False, 'ghostnetv3_100'), False),
    'mmdet MobileNetV2': (_mobilenet_v2, False),
}
# --runtimes: the deployed 1.0x backbone on the deploy runtimes
def _ghostnet_on(runtime, *args, **kwargs):
    return lambda: _runtime(_ghostnet(1.0, 'eager'), runtime, *args, **kwargs)


RUNTIME_MODELS = {
    'ghost_mm GhostNet 1.0x OpenVINO fp32': (_ghostnet_on('openvino'), False),
    'ghost_mm GhostNet 1.0x OpenVINO bf16': (_ghostnet_on('openvino', 'bf16'), False),
    'ghost_mm GhostNet 1.0x OpenVINO int8': (_ghostnet_on('openvino', 'int8'), False),
    'ghost_mm GhostNet 1.0x OpenVINO int8 + bf16': (
        _ghostnet_on('openvino', 'int8', openvino_precision='bf16'), False),
    'ghost_mm GhostNet 1.0x OpenVINO int8, float depthwise': (
        _ghostnet_on('openvino', 'int8', True), False),
    'ghost_mm GhostNet 1.0x onnxruntime int8': (_ghostnet_on('onnxruntime', 'int8'), False),
}
MODELS.update(RUNTIME_MODELS)
OURS = 'ghost_mm GhostNet 1.0x deployed'
OURS_ORT = 'ghost_mm GhostNet 1.0x onnxruntime'
TIMM = 'timm ghostnet_100 forward_features'
MNV2 = 'mmdet MobileNetV2'
OURS_V3 = 'ghost_mm GhostNetV3 1.0x deployed'
TIMM_V3 = 'timm ghostnetv3_100 re-parameterised'


def _inputs(size, channels_last):
    x = torch.randn(1, 3, *size, generator=torch.Generator().manual_seed(0))
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def latencies(models, size, rounds, warmup=2, repeats=1):
    """{name: [seconds per call]} with the models run in turn each round,
    ``repeats`` calls in a row each (so that small inputs are timed with the
    model's weights in cache, as when it runs on its own)."""
    built = {name: (build(), _inputs(size, cl)) for name, (build, cl) in models.items()}
    times = {name: [] for name in built}
    with torch.inference_mode():
        for _ in range(warmup):
            for model, x in built.values():
                model(x)
        for _ in range(rounds):
            for name, (model, x) in built.items():
                for _ in range(repeats):
                    start = time.perf_counter()
                    model(x)
                    times[name].append(time.perf_counter() - start)
    return times


def _rss_mb():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2 ** 20


def _peak_rss_growth(model, x):
    """Largest resident-memory growth (MB) seen during one forward, sampled
    every 0.5 ms by a thread (the kernel's high-water mark is useless here:
    importing torch already sets it higher than a forward reaches)."""
    import threading
    base, peak, done = _rss_mb(), [0.0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mb() - base)
            time.sleep(0.0005)

    thread = threading.Thread(target=sample)
    thread.start()
    with torch.inference_mode():
        model(x)
    done.set()
    thread.join()
    return max(peak[0], _rss_mb() - base)


def peak_memory_mb(name, size, threads, keep_freed=False):
    """Peak resident-memory growth (MB) over one forward, in a fresh process."""
    code = ('import sys, torch; sys.argv=["x"]; '
            f'torch.set_num_threads({threads}); import tools.benchmark as b; '
            + ('from ghost_mm.deploy import keep_freed_memory; keep_freed_memory(); '
               if keep_freed else '') +
            f'build, cl = b.MODELS[{name!r}]; m = build(); x = b._inputs({size!r}, cl); '
            'print(b._peak_rss_growth(m, x))')
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, '-c', code], cwd=root, capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def complexity(name, size):
    from ghost_mm.complexity import measure
    # the runtimes run the deployed network: count that one
    if name in RUNTIME_MODELS:
        name = OURS
    build, _ = MODELS[name.replace(' onnxruntime', ' deployed')]
    numbers = measure(build(), size)
    return numbers['params'], numbers['flops']


def _detector_latencies(rounds, size=(800, 1333)):
    """RetinaNet (FPN, 1x config) with GhostNet 1.0x vs mmdet's MobileNetV2,
    the whole network (backbone, neck, head tensors; no NMS) at 800x1333."""
    from mmengine.config import Config

    from ghost_mm.deploy import to_deploy
    from ghost_mm.registry import scope_models
    DET_MODELS = scope_models('mmdet')
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ghost = Config.fromfile(os.path.join(root, 'configs/retinanet_ghostnet-1.0x_coco.py')).model
    ghost.backbone.pop('init_cfg')
    # mmdet ships no RetinaNet-MobileNetV2; this is its RetinaNet 1x with the
    # MobileNetV2 levels its YOLOv3-MobileNetV2 config uses (strides 8/16/32)
    mnv2 = Config.fromstring(
        "_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'\n"
        "model = dict(backbone=dict(_delete_=True, type='MobileNetV2', out_indices=(2, 4, 6)),\n"
        "             neck=dict(in_channels=[32, 96, 320], start_level=0))\n", '.py').model

    def build(cfg, deploy):
        model = DET_MODELS.build(cfg)
        model.eval()
        model = to_deploy(model) if deploy else model
        return lambda x: model(x, mode='tensor')

    models = {'RetinaNet GhostNet 1.0x eager': (lambda: build(ghost, False), False),
              'RetinaNet GhostNet 1.0x deployed': (lambda: build(ghost, True), False),
              'RetinaNet MobileNetV2 (mmdet)': (lambda: build(mnv2, False), False)}
    return latencies(models, size, rounds)


END_TO_END = {  # label -> config whose test pipeline sets the size (same architecture)
    '320x320': 'configs/quickstart/retinanet_ghostnet_coco-sample.py',
    '800x1333': 'configs/retinanet_ghostnet_coco.py',
}
E2E_IMAGE = os.path.join(CALIBRATION, '000000000802.jpg')
E2E_RUNTIMES = {  # row -> (backend, int8, float depthwise, OpenVINO precision)
    'deployed, onnxruntime fp32': ('onnxruntime', False, False, 'f32'),
    'deployed, OpenVINO fp32': ('openvino', False, False, 'f32'),
    'deployed, OpenVINO bf16': ('openvino', False, False, 'bf16'),
    'deployed, onnxruntime int8': ('onnxruntime', True, False, 'f32'),
    'deployed, OpenVINO int8': ('openvino', True, False, 'f32'),
    'deployed, OpenVINO int8 + bf16': ('openvino', True, False, 'bf16'),
}
E2E_REFERENCE = 'mmdet inference_detector'


def _predictor(artifact, precision, image):
    from ghost_mm.runtime import DeployedModel
    model = DeployedModel(artifact, torch.get_num_threads(), precision)
    return lambda _: model.predict(image)


def _end_to_end_latencies(config, checkpoint, rounds, workdir):
    """Whole RetinaNet, image file decoded in, boxes out: mmdet's
    ``inference_detector`` (training form and our deploy form) and the
    deployed artifacts (tools/deploy.py) run by ghost_mm.runtime."""
    import cv2
    from mmdet.apis import inference_detector, init_detector

    from ghost_mm.checkpoint import runner_checkpoint_globals
    from ghost_mm.deploy import to_deploy
    from ghost_mm.export.deployable import export_deployable
    image = cv2.imread(E2E_IMAGE)
    with runner_checkpoint_globals():
        model = init_detector(config, checkpoint, device='cpu',
                              cfg_options={'model.backbone.init_cfg': None})
    deployed = to_deploy(model)

    def mmdet(m):
        return lambda _: inference_detector(m, image)
    models = {E2E_REFERENCE: (lambda: mmdet(model), False),
              'mmdet inference_detector, ghost_mm deploy form': (lambda: mmdet(deployed), False)}
    artifacts = {}
    for name, (backend, int8, float_dw, precision) in E2E_RUNTIMES.items():
        key = (backend, int8, float_dw)
        if key not in artifacts:
            artifacts[key] = os.path.join(workdir, '-'.join(map(str, key)))
            export_deployable(config, checkpoint, artifacts[key], backend, int8,
                              CALIBRATION if int8 else None, float_dw, log=lambda *_: None)
        models[name] = (functools.partial(_predictor, artifacts[key], precision, image), False)
    return latencies(models, (8, 8), rounds)


def _config_latencies(config, shape, rounds):
    """A config's whole network (backbone, neck, heads; tensors, no
    post-processing), eager and in ghost_mm's deploy form, at ``shape``."""
    from mmengine.config import Config

    from ghost_mm.deploy import to_deploy
    from ghost_mm.export import load_model
    cfg = Config.fromfile(config)

    def build(deploy):
        model = load_model(cfg)
        model = to_deploy(model) if deploy else model
        return lambda x: model(x, mode='tensor')
    name = os.path.basename(config)
    return latencies({f'{name} eager': (lambda: build(False), False),
                      f'{name} deployed': (lambda: build(True), False)}, shape, rounds)


REALTIME = [  # (title, input H x W, ours, the toolbox's own version with its default backbone)
    ('SSDLite 320x320', (320, 320), ['configs/ssdlite_ghostnet-1.3x_coco-320.py',
                                     'configs/ssdlite_ghostnet-1.0x_coco-320.py'],
     'mmdet::ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py'),
    ('RTMDet-tiny 640x640', (640, 640), ['configs/rtmdet-tiny_ghostnet_coco.py'],
     'mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py'),
    ('YOLOX-tiny 416x416', (416, 416), ['configs/yolox-tiny_ghostnet_coco.py'],
     'mmdet::yolox/yolox_tiny_8xb8-300e_coco.py'),
    ('LR-ASPP 1024x2048', (1024, 2048), ['configs/lraspp_ghostnet_cityscapes.py'],
     'mmseg::mobilenet_v3/mobilenet-v3-d8_lraspp_4xb4-320k_cityscapes-512x1024.py'),
]
REALTIME_IMAGE = os.path.join(CALIBRATION, '000000000802.jpg')
DEFAULT, DEPLOY_FORM = ' (toolbox default)', ', deploy form'


def _untrained(config):
    """``config``'s model, untrained (no checkpoint, no ImageNet weights),
    ready for mmdet's/mmseg's inference API; SyncBN reverted for one CPU."""
    from mmengine.config import Config
    from mmengine.model import revert_sync_batchnorm

    from ghost_mm.export import load_model
    cfg = Config.fromstring(f'_base_ = {config!r}\n', '.py')
    cfg.model.backbone.pop('init_cfg', None)
    cfg.model.pop('pretrained', None)
    if cfg.model.get('bbox_head', {}).get('type') == 'SSDHead':
        cfg.model.bbox_head.type = 'SSDHeadFixed'  # mmdet 3.3's cannot predict
    cfg.custom_imports = dict(imports=['ghost_mm'])  # for the anchors' SSDHeadFixed
    model = revert_sync_batchnorm(load_model(cfg)).eval()
    model.cfg = cfg
    if cfg.default_scope == 'mmdet':
        model.dataset_meta = {'classes': tuple(range(cfg.model.bbox_head.num_classes))}
    return model


def _image_in_result_out(model, image):
    if model.cfg.default_scope == 'mmseg':
        from mmseg.apis import inference_model
        return lambda _: inference_model(model, image)
    from mmdet.apis import inference_detector
    return lambda _: inference_detector(model, image)


REALTIME_RUNTIMES = {  # row suffix -> (backend, OpenVINO precision)
    ', onnxruntime fp32': ('onnxruntime', 'f32'),
    ', OpenVINO bf16': ('openvino', 'bf16'),
}


def _realtime_runtime_models(name, config, model, image, workdir):
    """The deployed artifact (tools/deploy.py's) of the untrained ``model`` on
    each runtime of REALTIME_RUNTIMES; configs it cannot export are said so."""
    from ghost_mm.export.deployable import ExportError, export_deployable
    checkpoint = os.path.join(workdir, f'{name}.pth')
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    rows = {}
    for suffix, (backend, precision) in REALTIME_RUNTIMES.items():
        artifact = os.path.join(workdir, f'{name}-{backend}')
        if not os.path.isdir(artifact):
            try:
                export_deployable(config, checkpoint, artifact, backend,
                                  cfg_options={'model.backbone.init_cfg': None},
                                  log=lambda *_: None)
            except ExportError as e:
                print(f'{name}: no {backend} rows: {e}')
                return {}
        rows[name + suffix] = (functools.partial(_predictor, artifact, precision, image), False)
    return rows


def _realtime_rows(rounds, workdir, image_path=REALTIME_IMAGE, only=None):
    """Each real-time config and its toolbox's default-backbone version, the
    whole network from an image array to boxes / label map (the config's test
    pipeline: resize, normalise, network, decoding, NMS or argmax), untrained
    weights, eager; ours also in ghost_mm's deploy form. Params and FLOPs of
    the network (deploy form, at the config's size)."""
    import cv2
    from ghost_mm.complexity import model_report
    image = cv2.imread(image_path)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tables = {}
    for title, size, ours, anchor in REALTIME:
        if only and not any(word.lower() in title.lower() for word in only):
            continue
        configs = {os.path.basename(c)[:-3]: os.path.join(root, c) for c in ours}
        configs[anchor.split('/')[-1][:-3] + DEFAULT] = anchor
        models, counts = {}, {}
        for name, config in configs.items():
            models[name] = (functools.partial(
                lambda c: _image_in_result_out(_untrained(c), image), config), False)
            if not name.endswith(DEFAULT):
                models[f'{name}{DEPLOY_FORM}'] = (functools.partial(
                    lambda c: _image_in_result_out(_deployed(c), image), config), False)
            model = _untrained(config)
            _, params, flops, _ = model_report(model.cfg, size)
            counts[name] = (params, flops)
            if not name.endswith(DEFAULT):
                models.update(_realtime_runtime_models(name, config, model, image, workdir))
        times = latencies(models, (8, 8), rounds)
        rows = {}
        for name, ts in times.items():
            params, flops = counts[next(n for n in counts if name.startswith(n))]
            rows[name] = dict(min_ms=min(ts) * 1e3, median_ms=statistics.median(ts) * 1e3,
                              params_m=params / 1e6, gflops=flops / 1e9)
        tables[title] = rows
    return tables


GHOST_EVERYWHERE_SIZE = (800, 1333)
GHOST_TODAY = 'RetinaNet-GhostNet 1.1x'
GHOST_ALL = 'RetinaNet-GhostNet 1.1x, Ghost FPN+head'
GHOST_PRED = GHOST_ALL + ' + prediction convs'
GHOST_EVERYWHERE = {  # row name -> config text (written to a file: tools/deploy.py takes files)
    GHOST_TODAY: "_base_ = '{root}/configs/retinanet_ghostnet_coco.py'\n",
    GHOST_ALL: "_base_ = '{root}/configs/retinanet_ghostnet_ghost-fpn-head_coco.py'\n",
    'RetinaNet-ResNet-50 (mmdet)': "_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'\n",
    # mmdet ships no RetinaNet-MobileNetV2: its RetinaNet 1x with the MobileNetV2
    # levels of its YOLOv3-MobileNetV2 config (strides 8/16/32)
    'RetinaNet-MobileNetV2 (mmdet modules)':
        "_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'\n"
        "model = dict(backbone=dict(_delete_=True, type='MobileNetV2', out_indices=(2, 4, 6)),\n"
        "             neck=dict(in_channels=[32, 96, 320], start_level=0))\n",
}
GHOST_FORMS = {  # row suffix -> (backend, int8); None: eager (training form / deploy form)
    'eager': None, 'deploy form': None,
    'OpenVINO fp32': ('openvino', False), 'OpenVINO int8': ('openvino', True)}


def _ghost_prediction_convs(model):
    """``model`` with RetinaHead's retina_cls/retina_reg (plain nn.Conv2d in
    mmdet) replaced by GhostConvs of the same shape: the option measured."""
    from mmengine.model import bias_init_with_prob, normal_init

    from ghost_mm.models.ghost_conv import GhostConv
    head = model.bbox_head
    for name, bias in (('retina_cls', bias_init_with_prob(0.01)), ('retina_reg', 0)):
        conv = getattr(head, name)
        ghost = GhostConv(conv.in_channels, conv.out_channels, 3, padding=1)
        for inner in (ghost.primary_conv[0], ghost.cheap_operation[0]):
            normal_init(inner, std=0.01, bias=bias)  # RetinaHead's init, prior included
        setattr(head, name, ghost)
    return model


def _ghost_everywhere_rows(rounds, workdir):
    """Whole RetinaNet at 800x1333 from an image array to boxes (resize,
    normalise, network, decoding, NMS; untrained weights, each model's own
    initialisation): eager, ghost_mm's
    deploy form and the OpenVINO fp32/int8 artifacts of tools/deploy.py, for
    each model of GHOST_EVERYWHERE; plus the measured option of ghosting
    RetinaHead's prediction convs too (eager and deploy form: no config
    builds them, so no artifact). Params and FLOPs of the network tensors."""
    import cv2
    from ghost_mm.complexity import measure
    from ghost_mm.deploy import to_deploy
    from ghost_mm.export import TensorGraph
    from ghost_mm.export.deployable import export_deployable
    image = cv2.imread(REALTIME_IMAGE)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    models, counts = {}, {}

    def initialised(config):
        # each model's own initialisation (RetinaHead's prior: scores ~0.01,
        # so NMS sees what a trained detector gives it, not every anchor), the
        # same weights for the eager rows and the artifacts
        torch.manual_seed(0)
        model = _untrained(config)
        model.init_weights()
        return model.eval()

    def eager(config, deploy=False, prediction_convs=False):
        model = initialised(config)
        model = _ghost_prediction_convs(model) if prediction_convs else model
        if deploy:
            cfg, meta = model.cfg, model.dataset_meta
            model = to_deploy(model)
            model.cfg, model.dataset_meta = cfg, meta
        return _image_in_result_out(model, image)

    for name, text in GHOST_EVERYWHERE.items():
        config = os.path.join(workdir, f'{len(counts)}.py')
        with open(config, 'w') as f:
            f.write(text.format(root=root))
        model = initialised(config)
        numbers = measure(TensorGraph(model), GHOST_EVERYWHERE_SIZE)
        counts[name] = (numbers['params'], numbers['flops'])
        checkpoint = os.path.join(workdir, f'{len(counts)}.pth')
        torch.save({'state_dict': model.state_dict()}, checkpoint)
        for form, runtime in GHOST_FORMS.items():
            if runtime is None:
                models[f'{name}, {form}'] = (functools.partial(
                    eager, config, form == 'deploy form'), False)
                continue
            backend, int8 = runtime
            artifact = os.path.join(workdir, f'{len(counts)}-{form.replace(" ", "-")}')
            export_deployable(config, checkpoint, artifact, backend, int8,
                              CALIBRATION if int8 else None,
                              cfg_options={'model.backbone.init_cfg': None}, log=lambda *_: None)
            models[f'{name}, {form}'] = (functools.partial(_predictor, artifact, 'f32', image),
                                         False)
        if name == GHOST_ALL:
            numbers = measure(TensorGraph(_ghost_prediction_convs(model)), GHOST_EVERYWHERE_SIZE)
            counts[GHOST_PRED] = (numbers['params'], numbers['flops'])
            for form in ('eager', 'deploy form'):
                models[f'{GHOST_PRED}, {form}'] = (functools.partial(
                    eager, config, form == 'deploy form', True), False)
    times = latencies(models, (8, 8), rounds)
    rows = {}
    for row, ts in times.items():
        name, form = row.rsplit(', ', 1)
        params, flops = counts[name]
        rows[row] = dict(model=name, form=form, min_ms=min(ts) * 1e3,
                         median_ms=statistics.median(ts) * 1e3,
                         params_m=params / 1e6, gflops=flops / 1e9)
    return rows


def ghost_everywhere_markdown(rows, threads):
    """The table of docs/ghost_everywhere.md from ``rows``, with the ratios
    (each divides the same form on the same runtime)."""
    names = list(dict.fromkeys(r['model'] for r in rows.values()))
    forms = list(dict.fromkeys(r['form'] for r in rows.values()))
    lines = [f'| model | params | GFLOPs | ' + ' | '.join(f'{f} ms' for f in forms) + ' |',
             '|---|---:|---:|' + '---:|' * len(forms)]
    for name in names:
        mine = {r['form']: r for r in rows.values() if r['model'] == name}
        first = next(iter(mine.values()))
        cells = [f'{mine[f]["min_ms"]:.0f}' if f in mine else '—' for f in forms]
        lines.append(f'| {name} | {first["params_m"]:.2f}M | {first["gflops"]:.1f} | '
                     + ' | '.join(cells) + ' |')
    today = {r['form']: r for r in rows.values() if r['model'] == GHOST_TODAY}
    ghosted = {r['form']: r for r in rows.values() if r['model'] == GHOST_ALL}
    lines += ['', f'Ratios, {GHOST_ALL} / {GHOST_TODAY} (same form, same runtime, one run, '
              f'{threads} threads): FLOPs '
              f'{ghosted["eager"]["gflops"] / today["eager"]["gflops"]:.2f}x (target <= 0.65)'
              + ''.join(f'; {f} {ghosted[f]["min_ms"] / today[f]["min_ms"]:.2f}x'
                        + (' (target <= 0.7)' if f == 'OpenVINO int8' else '')
                        for f in forms if f in ghosted and f in today)]
    return '\n'.join(lines) + '\n'


def _deployed(config):
    from ghost_mm.deploy import to_deploy
    model = _untrained(config)
    deployed = to_deploy(model)
    deployed.cfg, deployed.dataset_meta = model.cfg, getattr(model, 'dataset_meta', None)
    return deployed


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
    parser.add_argument('--checkpoint', default='work_dirs/quickstart/iter_150.pth',
                        help='RetinaNet checkpoint for --end-to-end (make demo writes this one)')
    parser.add_argument('--config', help='also time this config\'s whole network (eager and '
                        'deployed) at --shape')
    parser.add_argument('--shape', type=int, nargs=2, default=(800, 1333), metavar=('H', 'W'),
                        help='input size for --config (default 800 1333)')
    parser.add_argument('--realtime', action='store_true',
                        help='the real-time configs (SSDLite, RTMDet-tiny, YOLOX-tiny, LR-ASPP) '
                             'beside their toolbox default-backbone versions, image in, result out')
    parser.add_argument('--realtime-only', nargs='+', metavar='WORD',
                        help='with --realtime: only the tables whose title has one of these '
                             'words (e.g. RTMDet YOLOX)')
    parser.add_argument('--ghost-everywhere', action='store_true',
                        help='whole RetinaNet at 800x1333, image to boxes: GhostNet today, with '
                             'Ghost FPN+head, ResNet-50, MobileNetV2 (eager, deploy form, '
                             'OpenVINO fp32 and int8)')
    parser.add_argument('--markdown', help='with --ghost-everywhere: write its table into this '
                        'file, between the lines <!-- table --> and <!-- /table -->')
    parser.add_argument('--no-memory', action='store_true', help='skip the memory subprocesses')
    parser.add_argument('--sizes', nargs='*', choices=list(SIZES), default=list(SIZES),
                        help='backbone sizes to time (none: only --config / --end-to-end)')
    parser.add_argument('--keep-freed-memory', action='store_true',
                        help='ghost_mm.deploy.keep_freed_memory() for the whole run: '
                             'every model, ours and the others, reuses freed memory')
    parser.add_argument('--json', help='write the numbers here')
    parser.add_argument('--plot', help='write a latency bar chart here (png)')
    args = parser.parse_args(argv)
    if args.markdown and not args.ghost_everywhere:
        parser.error('--markdown writes the --ghost-everywhere table: give both')
    torch.set_num_threads(args.threads)
    if args.keep_freed_memory:
        from ghost_mm.deploy import keep_freed_memory
        if not keep_freed_memory():
            sys.exit('--keep-freed-memory needs glibc')
    print(f'torch {torch.__version__}, {args.threads} threads, batch 1, fp32, CPU'
          + (', freed memory kept (all models)' if args.keep_freed_memory else ''))

    results = {}
    for label, size in SIZES.items():
        if label not in args.sizes:
            continue
        small = size == (224, 224)
        rounds = args.rounds * (5 if small else 1)
        # interleaving 12 models evicts each one's weights from the CPU caches
        # between its calls; at 224x224 that doubled some models' times
        repeats = 3 if small else 1
        _SIZE['size'] = size
        models = {n: m for n, m in MODELS.items() if args.runtimes or n not in RUNTIME_MODELS}
        times = latencies(models, size, rounds, repeats=repeats)
        rows = {}
        for name, ts in times.items():
            params, flops = complexity(name, size)
            rows[name] = dict(min_ms=min(ts) * 1e3, median_ms=statistics.median(ts) * 1e3,
                              params_m=params / 1e6, gflops=flops / 1e9,
                              gmac_per_s=flops / 1e9 / min(ts))
            if not args.no_memory:
                rows[name]['peak_mb'] = peak_memory_mb(name, size, args.threads,
                                                       args.keep_freed_memory)
        results[label] = rows
        print(f'\n{label} ({rounds} interleaved rounds'
              + (f', {repeats} calls in a row per model per round)' if repeats > 1 else ')'))
        print(f'{"model":46s} {"min ms":>8s} {"median":>8s} {"params M":>8s} '
              f'{"GFLOPs":>7s} {"GMAC/s":>7s} {"peak MB":>8s}')
        for name, r in rows.items():
            print(f'{name:46s} {r["min_ms"]:8.1f} {r["median_ms"]:8.1f} {r["params_m"]:8.2f} '
                  f'{r["gflops"]:7.2f} {r["gmac_per_s"]:7.1f} {r.get("peak_mb", float("nan")):8.0f}')
        ours = rows[OURS]['min_ms']
        print(f'ratio deployed 1.0x / timm ghostnet_100: {ours / rows[TIMM]["min_ms"]:.2f} '
              f'(target <= 0.75)')
        print(f'ratio deployed 1.0x / mmdet MobileNetV2: {ours / rows[MNV2]["min_ms"]:.2f}'
              + (' (target <= 0.3)' if size != (224, 224) else ''))
        print(f'ratio onnxruntime 1.0x / deployed 1.0x: '
              f'{rows[OURS_ORT]["min_ms"] / ours:.2f} (target < 1)')
        print(f'ratio V3 deployed 1.0x / timm ghostnetv3_100 re-parameterised: '
              f'{rows[OURS_V3]["min_ms"] / rows[TIMM_V3]["min_ms"]:.2f}')
        if args.runtimes:
            for name in RUNTIME_MODELS:
                print(f'ratio {name[len("ghost_mm GhostNet 1.0x "):]} / deployed 1.0x: '
                      f'{rows[name]["min_ms"] / ours:.2f}')
            best = min((n for n in RUNTIME_MODELS if 'int8' in n), key=lambda n: rows[n]['min_ms'])
            print(f'best int8 ({best[len("ghost_mm GhostNet 1.0x "):]}) / deployed 1.0x: '
                  f'{rows[best]["min_ms"] / ours:.2f}'
                  + (' (targets: OpenVINO fp32 <= 0.6, best int8 <= 0.35)' if not small else ''))

    if args.detectors:
        times = _detector_latencies(max(2, args.rounds // 2))
        results['detectors 800x1333'] = {
            name: dict(min_ms=min(ts) * 1e3, median_ms=statistics.median(ts) * 1e3)
            for name, ts in times.items()}
        print('\nRetinaNet at 800x1333 (network tensors, no NMS)')
        for name, r in results['detectors 800x1333'].items():
            print(f'{name:46s} {r["min_ms"]:8.1f} {r["median_ms"]:8.1f}')

    if args.config:
        times = _config_latencies(args.config, tuple(args.shape), max(3, args.rounds))
        label = f'{os.path.basename(args.config)} {args.shape[0]}x{args.shape[1]}'
        results[label] = {name: dict(min_ms=min(ts) * 1e3, median_ms=statistics.median(ts) * 1e3)
                          for name, ts in times.items()}
        print(f'\n{label} (network tensors, no post-processing)')
        for name, r in results[label].items():
            print(f'{name:46s} {r["min_ms"]:8.1f} {r["median_ms"]:8.1f}')

    if args.realtime:
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            tables = _realtime_rows(max(3, args.rounds), tmp, only=args.realtime_only)
        for title, rows in tables.items():
            results[f'real-time {title}'] = rows
            reference = next(n for n in rows if n.endswith(DEFAULT))
            print(f'\n{title}: image array in, boxes / label map out (untrained weights; '
                  f'{os.path.basename(REALTIME_IMAGE)})')
            print(f'{"model":62s} {"min ms":>8s} {"median":>8s} {"params M":>8s} {"GFLOPs":>7s}')
            for name, r in rows.items():
                print(f'{name:62s} {r["min_ms"]:8.1f} {r["median_ms"]:8.1f} '
                      f'{r["params_m"]:8.2f} {r["gflops"]:7.2f}   '
                      f'{r["min_ms"] / rows[reference]["min_ms"]:.2f}x of the default')

    if args.ghost_everywhere:
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            rows = _ghost_everywhere_rows(max(3, args.rounds), tmp)
        results['ghost everywhere 800x1333'] = rows
        table = ghost_everywhere_markdown(rows, args.threads)
        print(f'\nWhole RetinaNet at 800x1333, image array in, boxes out (untrained weights; '
              f'{os.path.basename(REALTIME_IMAGE)}), min ms over interleaved rounds\n' + table)
        if args.markdown:
            _write_between_markers(args.markdown, table)

    if args.end_to_end:
        import tempfile
        if not os.path.isfile(args.checkpoint):
            sys.exit(f'--end-to-end: checkpoint not found: {args.checkpoint} (make demo writes '
                     f'work_dirs/quickstart/iter_150.pth, or give --checkpoint)')
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        for label, config in END_TO_END.items():
            with tempfile.TemporaryDirectory() as tmp:
                times = _end_to_end_latencies(os.path.join(root, config), args.checkpoint,
                                              max(3, args.rounds), tmp)
            rows = {name: dict(min_ms=min(ts) * 1e3, median_ms=statistics.median(ts) * 1e3)
                    for name, ts in times.items()}
            results[f'RetinaNet end to end {label}'] = rows
            reference = rows[E2E_REFERENCE]['min_ms']
            print(f'\nRetinaNet-GhostNet 1.1x end to end at {label} (image decoded in, boxes out; '
                  f'{os.path.basename(E2E_IMAGE)})')
            for name, r in rows.items():
                print(f'{name:46s} {r["min_ms"]:8.1f} {r["median_ms"]:8.1f}   '
                      f'{r["min_ms"] / reference:.2f}x of {E2E_REFERENCE}')
            best = min(E2E_RUNTIMES, key=lambda n: rows[n]['min_ms'])
            print(f'best runtime ({best}) / {E2E_REFERENCE}: {rows[best]["min_ms"] / reference:.2f}'
                  + (' (target <= 0.5)' if label == '800x1333' else ''))

    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(threads=args.threads, torch=torch.__version__,
                           keep_freed_memory=args.keep_freed_memory, results=results),
                      f, indent=1)
    if args.plot:
        _plot(results, args.plot, args.threads)


def _write_between_markers(path, table):
    with open(path) as f:
        text = f.read()
    start, end = '<!-- table -->\n', '<!-- /table -->'
    if start not in text or end not in text:
        sys.exit(f'--markdown: {path} has no "<!-- table -->" ... "<!-- /table -->" lines')
    head, rest = text.split(start, 1)
    with open(path, 'w') as f:
        f.write(head + start + table + end + rest.split(end, 1)[1])


def _plot(results, path, threads):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    sizes = [label for label in SIZES if label in results]
    fig, axes = plt.subplots(1, len(sizes), figsize=(13, 5), squeeze=False)
    axes = axes[0]
    for ax, label in zip(axes, sizes):
        rows = results[label]
        names = list(rows)
        ax.barh(names, [rows[n]['min_ms'] for n in names],
                color=['tab:green' if n.startswith('ghost_mm') else 'tab:gray' for n in names])
        ax.set_title(f'{label}, batch 1, {threads} CPU threads')
        ax.set_xlabel('latency, ms (min over rounds)')
        ax.invert_yaxis()
    for ax in axes[1:]:
        ax.set_yticklabels([])
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == '__main__':
    main()
