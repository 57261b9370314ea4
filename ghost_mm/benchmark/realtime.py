"""The real-time configs (SSDLite, RTMDet-tiny, YOLOX-tiny, LR-ASPP) beside
their toolbox's default-backbone versions, image array in, boxes / label map
out; the untrained models and image-in-result-out callables they share with
the ghost-everywhere rows."""
import functools
import os
import re
import statistics

import torch

from .detectors import predictor
from .paths import CALIBRATION, ROOT
from .timing import latencies

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
DEFAULT = ' (toolbox default)'
# calls in a row per model and round, the minimum kept: the first call after
# another model's runs with that model's runtime threads still spinning on the
# same 2 cores and its own weights out of cache (SSDLite-GhostNet 1.3x, timed
# first, read 20.7 ms in onnxruntime int8 against 1.0x's 12.8 with one call)
REALTIME_REPEATS = 3


def untrained(config):
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


def image_in_result_out(model, image):
    if model.cfg.default_scope == 'mmseg':
        from mmseg.apis import inference_model
        return lambda _: inference_model(model, image)
    from mmdet.apis import inference_detector
    return lambda _: inference_detector(model, image)


def trained_like_norms(model, seed=0, mean_std=0.1):
    """Every BatchNorm of ``model`` given statistics and affine parameters
    like a trained network's (seeded; scale ~1 on average, shifts ~0.1,
    running means ~``mean_std``), in place; returns ``model``. The tests'
    ``randomise_bn`` is this with wider means. Why: a freshly built BN is
    the identity, so every conv it folds into gets a zero bias, and
    onnxruntime then merges the convs' identical zero-bias dequantisations
    into one node several convs share, which keeps it from fusing those
    convs into its int8 kernels: int8 artifacts of untrained models ran
    slower than fp32 (SSDLite-GhostNet 1.3x, network only: 25.4 ms int8 vs
    14.1 fp32 with identity BNs; 15.7 ms with these)."""
    from torch.nn.modules.batchnorm import _BatchNorm
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, _BatchNorm) and module.track_running_stats:
                module.running_mean.normal_(0, mean_std, generator=generator)
                module.running_var.uniform_(0.5, 1.5, generator=generator)
                if module.affine:
                    module.weight.uniform_(0.5, 1.5, generator=generator)
                    module.bias.normal_(0, 0.1, generator=generator)
    return model


def initialised(config):
    """``config``'s untrained model with its own initialisation (the heads'
    score prior: scores ~0.01, so NMS sees what a trained detector gives it,
    not every anchor) and BNs like a trained network's
    (:func:`trained_like_norms`), the same weights for the eager rows and the
    artifacts."""
    torch.manual_seed(0)
    model = untrained(config)
    model.init_weights()
    return trained_like_norms(model).eval()


def _fold_conv_modules(model):
    """mmcv ConvModules' conv + BN folded (mmcv's own ``fuse_conv_bn`` also
    folds a conv that several modules share, as RTMDet's head shares its
    convs across levels with a BN per level: the conv would take every
    level's BN in turn, so shared convs are left as they are)."""
    import collections

    from mmcv.cnn import ConvModule
    from torch.nn.modules.batchnorm import _BatchNorm
    from torch.nn.utils.fusion import fuse_conv_bn_eval
    uses = collections.Counter(id(m) for _, m in model.named_modules(remove_duplicate=False))
    for module in model.modules():
        if (isinstance(module, ConvModule) and module.with_norm
                and type(module.conv) is torch.nn.Conv2d and uses[id(module.conv)] == 1
                and isinstance(module.norm, _BatchNorm)
                and module.order.index('conv') < module.order.index('norm')):
            module.conv = fuse_conv_bn_eval(module.conv, module.norm)
            setattr(module, module.norm_name, torch.nn.Identity())
    return model


def deploy_form(model):
    """The eager deploy form, the same for ours and the defaults: ghost_mm's
    ``to_deploy`` (V3 merged, GhostNet's own conv + BN pairs folded), every
    mmcv ConvModule's conv + BN folded too (necks, heads, the default
    backbones), weights channels-last."""
    from ghost_mm.deploy import to_deploy
    deployed = _fold_conv_modules(to_deploy(model)).to(memory_format=torch.channels_last)
    deployed.cfg, deployed.dataset_meta = model.cfg, getattr(model, 'dataset_meta', None)
    return deployed


EAGER, DEPLOY_FORM = '', ', deploy form'
REALTIME_RUNTIMES = {  # row suffix -> (backend, int8, OpenVINO precision)
    ', onnxruntime fp32': ('onnxruntime', False, 'f32'),
    ', onnxruntime int8': ('onnxruntime', True, 'f32'),
    ', OpenVINO fp32': ('openvino', False, 'f32'),
    ', OpenVINO int8': ('openvino', True, 'f32'),
    ', ncnn fp32': ('ncnn', False, 'f32'),
}
FORMS = (EAGER, DEPLOY_FORM, *REALTIME_RUNTIMES)


def _runtime_models(name, config, model, image, workdir, log=print):
    """The deployed artifacts (tools/deploy.py's: the same export for ours and
    the defaults) of the untrained ``model`` on each runtime and precision of
    REALTIME_RUNTIMES; what cannot be exported is said and left out."""
    folder = os.path.join(workdir, re.sub(r'\W+', '_', name))
    os.makedirs(folder, exist_ok=True)
    checkpoint = os.path.join(folder, 'untrained.pth')
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    rows = {}
    for suffix, (backend, int8, precision) in REALTIME_RUNTIMES.items():
        artifact = os.path.join(folder, f'{backend}-{"int8" if int8 else "fp32"}')
        if export_or_say(config, checkpoint, artifact, backend, int8, name + suffix, log):
            rows[name + suffix] = (functools.partial(predictor, artifact, precision, image),
                                   False)
    return rows


def export_or_say(config, checkpoint, artifact, backend, int8, label, log=print):
    """tools/deploy.py's export of an untrained ``checkpoint`` (int8:
    calibrated on the sample); False, with the reason logged, when it cannot
    be exported (a row the table then lacks)."""
    from ghost_mm.export.deployable import export_deployable
    try:
        export_deployable(config, checkpoint, artifact, backend, int8,
                          CALIBRATION if int8 else None,
                          cfg_options={'model.backbone.init_cfg': None}, log=lambda *_: None)
    except Exception as e:
        log(f'{label}: not exported ({type(e).__name__}: {str(e)[:200]})')
        return False
    return True


def like_for_like(rows, names):
    """Each row's ``x_default``: its time over the same form's time of the
    toolbox's default (same runtime, same precision); None where the default
    has no such row. ``names``: ours and the default's base names."""
    default = next(n for n in names if n.endswith(DEFAULT))
    for base in names:
        for form in FORMS:
            row, reference = rows.get(base + form), rows.get(default + form)
            if row is not None:
                row['model'], row['form'] = base, form or ', eager'
                row['x_default'] = (row['min_ms'] / reference['min_ms']) if reference else None
    return rows


def realtime_configs(only=None):
    """(title, input size, {name: config}) of each real-time table whose title
    has one of the words in ``only`` (all if None): ours, then the default."""
    for title, size, ours, anchor in REALTIME:
        if only and not any(word.lower() in title.lower() for word in only):
            continue
        configs = {os.path.basename(c)[:-3]: os.path.join(ROOT, c) for c in ours}
        configs[anchor.split('/')[-1][:-3] + DEFAULT] = anchor
        yield title, size, configs


def realtime_rows(rounds, workdir, image_path=REALTIME_IMAGE, only=None):
    """Each real-time config and its toolbox's default-backbone version, the
    whole network from an image array to boxes / label map (the config's test
    pipeline: resize, normalise, network, decoding, NMS or argmax), untrained
    weights with each model's own initialisation (:func:`initialised`), in
    the same forms: eager, deploy form (:func:`deploy_form`), and
    tools/deploy.py's artifact on each runtime and precision. Params and
    FLOPs of the network (deploy form, at the config's size); ``x_default``
    divides like by like (:func:`like_for_like`)."""
    import cv2
    from ghost_mm.complexity import model_report
    image = cv2.imread(image_path)
    tables = {}
    for title, size, configs in realtime_configs(only):
        models, counts = {}, {}
        for name, config in configs.items():
            models[name] = (functools.partial(
                lambda c: image_in_result_out(initialised(c), image), config), False)
            models[f'{name}{DEPLOY_FORM}'] = (functools.partial(
                lambda c: image_in_result_out(deploy_form(initialised(c)), image), config),
                False)
            model = initialised(config)
            _, params, flops, _ = model_report(model.cfg, size)
            counts[name] = (params, flops)
            models.update(_runtime_models(name, config, model, image, workdir))
        times = latencies(models, (8, 8), rounds, repeats=REALTIME_REPEATS)
        rows = {}
        for name, ts in times.items():
            params, flops = counts[max((n for n in counts if name.startswith(n)), key=len)]
            rows[name] = dict(min_ms=min(ts) * 1e3, median_ms=statistics.median(ts) * 1e3,
                              params_m=params / 1e6, gflops=flops / 1e9)
        tables[title] = like_for_like(rows, list(configs))
    return tables
