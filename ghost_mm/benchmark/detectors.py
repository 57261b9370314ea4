"""Whole detectors timed: RetinaNet-GhostNet vs RetinaNet-MobileNetV2 network
tensors, any config's network (``--config``), and RetinaNet end to end (image
file in, boxes out) in mmdet and as deployed artifacts on the runtimes."""
import functools
import os

import torch

from .paths import CALIBRATION, ROOT
from .timing import latencies

def detector_latencies(rounds, size=(800, 1333)):
    """RetinaNet (FPN, 1x config) with GhostNet 1.0x vs mmdet's MobileNetV2,
    the whole network (backbone, neck, head tensors; no NMS) at 800x1333."""
    from mmengine.config import Config

    from ghost_mm.deploy import to_deploy
    from ghost_mm.registry import scope_models
    DET_MODELS = scope_models('mmdet')
    ghost = Config.fromfile(os.path.join(ROOT, 'configs/retinanet_ghostnet-1.0x_coco.py')).model
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


def predictor(artifact, precision, image):
    from ghost_mm.runtime import DeployedModel
    model = DeployedModel(artifact, torch.get_num_threads(), precision)
    return lambda _: model.predict(image)


def end_to_end_latencies(config, checkpoint, rounds, workdir):
    """Whole RetinaNet, image file decoded in, boxes out: mmdet's
    ``inference_detector`` (training form and our deploy form) and the
    deployed artifacts (tools/deploy.py) run by ghost_mm.runtime."""
    import cv2
    from mmdet.apis import inference_detector, init_detector

    from ghost_mm.deploy import to_deploy
    from ghost_mm.export.deployable import export_deployable
    from ghost_mm.weights import runner_checkpoint_globals
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
        models[name] = (functools.partial(predictor, artifacts[key], precision, image), False)
    return latencies(models, (8, 8), rounds)


def config_latencies(config, shape, rounds):
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

