"""The real-time configs (SSDLite, RTMDet-tiny, YOLOX-tiny, LR-ASPP on
GhostNet): they build at their own sizes, SSDLite predicts despite mmdet 3.3's
SSDHead, per-level learning rates come from a config, and each quick start
learns its sample."""
import json
import pathlib

import cv2
import pytest
import torch

from conftest import on_sample_root
from ghost_mm.runner import build_runner, load_config, run_train

SSDLITE = 'configs/ssdlite_ghostnet-1.3x_coco-320.py'
SAMPLE_IMAGE = 'samples/coco/train2017/000000172123.jpg'

FULL_CONFIGS = [  # config, width, input size its test pipeline uses
    (SSDLITE, 1.3, (320, 320)),
    ('configs/ssdlite_ghostnet-1.0x_coco-320.py', 1.0, (320, 320)),
    ('configs/rtmdet-tiny_ghostnet_coco.py', 1.0, (640, 640)),
    ('configs/yolox-tiny_ghostnet_coco.py', 1.0, (416, 416)),
    ('configs/lraspp_ghostnet_cityscapes.py', 1.0, (512, 1024)),
]


def _build(config, head_type=None):
    from ghost_mm.export import load_model
    cfg = load_config(config, {'model.backbone.init_cfg': None})
    if head_type:
        cfg.model.bbox_head.type = head_type
    return load_model(cfg).eval()


@pytest.mark.parametrize('config, width, size', FULL_CONFIGS)
def test_full_configs_build_with_ghostnet_at_their_size(repo_root, config, width, size):
    from ghost_mm.models.ghostnet import level_channels
    model = _build(config)
    backbone = model.backbone
    assert type(backbone).__name__ == 'GhostNet' and backbone.widen_factor == width
    feats = backbone(torch.randn(1, 3, *size))
    assert tuple(f.shape[1] for f in feats) == level_channels(width, backbone.out_indices)
    with torch.no_grad():
        outputs = model(torch.randn(1, 3, *size), mode='tensor')
    assert all(torch.isfinite(t).all() for t in torch.utils._pytree.tree_leaves(outputs))


def _predict(model, image):
    from mmdet.structures import DetDataSample
    h, w = image.shape[:2]
    sample = DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w),
                                         scale_factor=(1.0, 1.0)))
    x = torch.from_numpy(image[..., ::-1].copy()).permute(2, 0, 1).float()[None]
    x = (x - torch.tensor([123.675, 116.28, 103.53])[:, None, None]) / 58.4
    return model.predict(x, [sample])[0].pred_instances, x


def test_ssdlite_predicts_with_the_fixed_head(repo_root):
    image = cv2.resize(cv2.imread(SAMPLE_IMAGE), (320, 320))
    # mmdet 3.3's own head: predict reads a loss_cls that SSDHead never sets
    with pytest.raises(AttributeError, match='loss_cls'), torch.no_grad():
        _predict(_build(SSDLITE, head_type='SSDHead'), image)

    model = _build(SSDLITE)
    model.bbox_head.test_cfg.score_thr = 0.0  # an untrained head scores ~1/81
    with torch.no_grad():
        pred, x = _predict(model, image)
        cls_scores, _ = model.bbox_head(model.neck(model.backbone(x)))
    assert len(pred.bboxes) == model.bbox_head.test_cfg.max_per_img
    # scores are the softmax over 80 classes + background, as mmdet's SSD
    # computed them before 3.3: the best one survives NMS unchanged
    probs = torch.cat([s.permute(0, 2, 3, 1).reshape(-1, 81) for s in cls_scores])
    best = probs.softmax(-1)[:, :80].max()
    assert torch.isclose(pred.scores.max(), best, atol=1e-6)
    assert pred.labels.max() < 80


def test_per_level_learning_rates_from_a_config(repo_root):
    """PaddleDetection's SSDLite-GhostNet multipliers, written as mmengine
    ``paramwise_cfg`` custom keys (docs/realtime.md)."""
    from mmengine.optim import build_optim_wrapper

    from ghost_mm.models.ghostnet import level_lr_keys
    keys = level_lr_keys([1.0, 0.25, 0.25, 0.5, 0.5, 0.75])
    cfg = load_config(SSDLITE, {'model.backbone.init_cfg': None,
                                'optim_wrapper.paramwise_cfg': dict(custom_keys=keys)})
    model = _build(SSDLITE)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    lr_of = {id(p): g['lr'] for g in wrapper.optimizer.param_groups for p in g['params']}
    base = cfg.optim_wrapper.optimizer.lr
    backbone = model.backbone
    for level, mult in enumerate([1.0, 0.25, 0.25, 0.5, 0.5, 0.75]):
        params = [p for m in backbone.level_modules(level) for p in m.parameters()]
        assert params and all(lr_of[id(p)] == pytest.approx(base * mult) for p in params), level
    assert all(lr_of[id(p)] == pytest.approx(base) for p in model.bbox_head.parameters())


# config, metric, its untrained value at most, the trained one at least (measured
# on 2 cores: SSDLite 0.104, RTMDet-tiny 0.040, YOLOX-tiny 0.180 bbox mAP from
# 0.000; LR-ASPP 16.2% mIoU from 0.1%), whether the total loss must fall
QUICK_STARTS = [
    ('configs/quickstart/ssdlite_ghostnet_coco-sample.py', 'coco/bbox_mAP', 0.005, 0.05, True),
    # RTMDet's total loss rises while it learns: its dynamic soft-label
    # assigner matches more anchors as the predictions improve (0.71 -> 1.82
    # here while bbox mAP went 0.000 -> 0.040)
    ('configs/quickstart/rtmdet-tiny_ghostnet_coco-sample.py', 'coco/bbox_mAP', 0.005, 0.025,
     False),
    ('configs/quickstart/yolox-tiny_ghostnet_coco-sample.py', 'coco/bbox_mAP', 0.005, 0.08, True),
    ('configs/quickstart/lraspp_ghostnet_cityscapes-sample.py', 'mIoU', 3.0, 12.0, True),
]


@pytest.mark.parametrize('config, metric, untrained_max, trained_min, loss_falls',
                         QUICK_STARTS)
def test_quick_start_learns_its_sample(repo_root, tmp_path, cityscapes_sample, trained, config,
                                       metric, untrained_max, trained_min, loss_falls):
    """(The training is the session's shared one: the ncnn tests deploy it.)"""
    options = on_sample_root(cityscapes_sample) if 'cityscapes' in config else {}
    untrained_options = dict(options)
    if 'coco' in config:  # an untrained detector scores below any threshold
        untrained_options['model.test_cfg.score_thr'] = 0.0
    # (a second runner in the process keeps its own log folder: build_runner)
    before = build_runner(load_config(config, untrained_options,
                                      str(tmp_path / 'before'))).val()[metric]
    work_dir = pathlib.Path(trained(config)).parent  # validates at the end
    log = sorted(work_dir.glob('*/vis_data/scalars.json'))[-1]
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    losses = [r['loss'] for r in rows if 'loss' in r]
    after = [r[metric] for r in rows if metric in r][-1]
    print(f'{config}: {metric} {before:.3f} -> {after:.3f}, loss {losses[0]:.2f} -> {losses[-1]:.2f}')
    assert before <= untrained_max
    assert after >= trained_min
    if loss_falls:
        assert losses[-1] < 0.5 * losses[0]
