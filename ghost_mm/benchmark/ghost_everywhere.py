"""Whole RetinaNet at 800x1333, image array in, boxes out: GhostNet today,
with Ghost FPN+head (and ghosted prediction convs), ResNet-50 and
MobileNetV2, eager, deploy form and OpenVINO fp32/int8; and its markdown
table (docs/ghost_everywhere.md)."""
import functools
import os
import statistics

import torch

from .detectors import predictor
from .paths import CALIBRATION, ROOT
from .realtime import REALTIME_IMAGE, image_in_result_out, initialised, untrained
from .timing import latencies

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


def _eager(image, config, deploy=False, prediction_convs=False):
    from ghost_mm.deploy import to_deploy
    model = initialised(config)
    model = _ghost_prediction_convs(model) if prediction_convs else model
    if deploy:
        cfg, meta = model.cfg, model.dataset_meta
        model = to_deploy(model)
        model.cfg, model.dataset_meta = cfg, meta
    return image_in_result_out(model, image)


def ghost_everywhere_rows(rounds, workdir):
    """Whole RetinaNet at 800x1333 from an image array to boxes (resize,
    normalise, network, decoding, NMS; untrained weights, each model's own
    initialisation): eager, ghost_mm's
    deploy form and the OpenVINO fp32/int8 artifacts of tools/deploy.py, for
    each model of GHOST_EVERYWHERE; plus the measured option of ghosting
    RetinaHead's prediction convs too (eager and deploy form: no config
    builds them, so no artifact). Params and FLOPs of the network tensors."""
    import cv2
    from ghost_mm.complexity import measure
    from ghost_mm.export import TensorGraph
    from ghost_mm.export.deployable import export_deployable
    image = cv2.imread(REALTIME_IMAGE)
    models, counts = {}, {}
    for name, text in GHOST_EVERYWHERE.items():
        config = os.path.join(workdir, f'{len(counts)}.py')
        with open(config, 'w') as f:
            f.write(text.format(root=ROOT))
        model = initialised(config)
        numbers = measure(TensorGraph(model), GHOST_EVERYWHERE_SIZE)
        counts[name] = (numbers['params'], numbers['flops'])
        checkpoint = os.path.join(workdir, f'{len(counts)}.pth')
        torch.save({'state_dict': model.state_dict()}, checkpoint)
        for form, runtime in GHOST_FORMS.items():
            if runtime is None:
                models[f'{name}, {form}'] = (functools.partial(
                    _eager, image, config, form == 'deploy form'), False)
                continue
            backend, int8 = runtime
            artifact = os.path.join(workdir, f'{len(counts)}-{form.replace(" ", "-")}')
            export_deployable(config, checkpoint, artifact, backend, int8,
                              CALIBRATION if int8 else None,
                              cfg_options={'model.backbone.init_cfg': None}, log=lambda *_: None)
            models[f'{name}, {form}'] = (functools.partial(predictor, artifact, 'f32', image),
                                         False)
        if name == GHOST_ALL:
            numbers = measure(TensorGraph(_ghost_prediction_convs(model)), GHOST_EVERYWHERE_SIZE)
            counts[GHOST_PRED] = (numbers['params'], numbers['flops'])
            for form in ('eager', 'deploy form'):
                models[f'{GHOST_PRED}, {form}'] = (functools.partial(
                    _eager, image, config, form == 'deploy form', True), False)
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

