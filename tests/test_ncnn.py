"""ncnn as a third backend (tools/deploy.py --backend ncnn): pnnx's graph
plus ghost_mm.runtime's post-processing give mmdet's / mmseg's answers on
the trained quick starts; the post-processing is mmdet's (checked against
mmdet's heads on the same raw outputs); bad input is named.

The checkpoints are the session's shared quick-start trainings (conftest)."""
import json
import os

import numpy as np
import pytest
import torch

from conftest import (ANN, FASTER_RCNN, LRASPP, RETINANET, SAMPLE, SSDLITE, YOLOX,
                      on_sample_root, quiet)
from ghost_mm.runner import run_test
from ghost_mm.runtime import ArtifactError, DeployedModel, infer_images, read_meta
from ghost_mm.runtime.artifact import META_FILE
from ghost_mm.runtime.postprocess import batched_nms, detections
from helpers import label_map_agreement

pytest.importorskip('ncnn')
pytest.importorskip('pnnx')


def _spread_boxes(count, rng, size=200):
    """Boxes that overlap a lot (so NMS has work), x1 < x2, y1 < y2."""
    centre = rng.uniform(0, size, (count, 2))
    half = rng.uniform(5, 40, (count, 2))
    return np.concatenate([centre - half, centre + half], 1).astype(np.float32)


def test_batched_nms_equals_mmcvs():
    """mmdet's heads call mmcv's batched_nms: one NMS over class-offset boxes,
    and one per class from its split threshold (10,000 boxes) on."""
    from mmcv.ops import batched_nms as mmcv_batched_nms

    from ghost_mm.runtime.postprocess import SPLIT_THR
    rng = np.random.default_rng(0)
    for count, classes, iou in ((300, 3, 0.5), (2000, 10, 0.6), (50, 1, 0.45),
                                (SPLIT_THR, 20, 0.65), (3 * SPLIT_THR, 80, 0.6)):
        boxes, scores = _spread_boxes(count, rng), rng.random(count).astype(np.float32)
        labels = rng.integers(0, classes, count)
        dets, keep = mmcv_batched_nms(torch.from_numpy(boxes), torch.from_numpy(scores),
                                      torch.from_numpy(labels), dict(type='nms', iou_threshold=iou))
        ours = batched_nms(boxes, scores, labels, iou)
        if count < SPLIT_THR:
            assert ours.tolist() == keep.tolist(), count
        else:  # the same boxes, best first (mmcv's sort orders equal scores as it likes)
            assert sorted(ours.tolist()) == sorted(keep.tolist()), count
            assert scores[ours].tolist() == scores[keep.numpy()].tolist(), count
        assert 0 < len(ours) < count
    assert len(batched_nms(np.zeros((0, 4), np.float32), np.zeros(0, np.float32),
                           np.zeros(0, np.int64), 0.5)) == 0


def _mmdet_and_ours(head, outs, size):
    """mmdet's predictions of ``head`` from its raw ``outs``, and ours from the
    same decoded priors (what the ncnn graph computes)."""
    from ghost_mm.export.ncnn import postprocess_spec
    with torch.no_grad():
        want = head.predict_by_feat(*outs, batch_img_metas=[{'img_shape': size,
                                                             'scale_factor': (1., 1.)}],
                                    rescale=False)[0]
        yolox = type(head).__name__ == 'YOLOXHead'
        sizes = [o.shape[2:] for o in outs[0]]
        generator = head.prior_generator
        priors = generator.grid_priors(sizes, device='cpu', with_stride=True) if yolox \
            else generator.grid_priors(sizes, device='cpu')
        per_prior = (head.cls_out_channels, 4, 1)  # channels of each output per prior
        flat = [torch.cat([o[0].permute(1, 2, 0).reshape(-1, n) for o in level])
                for level, n in zip(outs, per_prior)]
        if yolox:
            boxes = head._bbox_decode(torch.cat(priors), flat[1])
            scores = flat[0].sigmoid() * flat[2].sigmoid()
        else:
            boxes = head.bbox_coder.decode(torch.cat(priors), flat[1])  # clipped by ours
            scores = flat[0].sigmoid()

    class Model(torch.nn.Module):  # what postprocess_spec reads: the head at this size
        def __init__(self):
            super().__init__()
            self.bbox_head = head

        def extract_feat(self, x):
            return self.features
    model = Model()
    model.features = [torch.zeros(1, head.in_channels, *o.shape[2:]) for o in outs[0]]
    spec = postprocess_spec(model, size)
    return want, detections(boxes.numpy(), scores.numpy(), spec, size)


@pytest.mark.parametrize('head_cfg', [
    dict(type='RetinaHead', num_classes=4, in_channels=8, feat_channels=8, stacked_convs=1,
         anchor_generator=dict(type='AnchorGenerator', octave_base_scale=4, scales_per_octave=3,
                               ratios=[0.5, 1.0, 2.0], strides=[8, 16, 32]),
         bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0] * 4,
                         target_stds=[1.0] * 4),
         test_cfg=dict(nms_pre=300, min_bbox_size=0, score_thr=0.3, max_per_img=60,
                       nms=dict(type='nms', iou_threshold=0.5))),
    dict(type='YOLOXHead', num_classes=4, in_channels=8, feat_channels=8, stacked_convs=1,
         strides=[8, 16, 32],
         test_cfg=dict(score_thr=0.3, nms=dict(type='nms', iou_threshold=0.65))),
])
def test_postprocessing_equals_mmdets_heads(head_cfg):
    """RetinaNet (multi-label: per-level threshold and nms_pre, clipping) and
    YOLOX (one label per box, >= threshold, no clipping): same boxes, scores
    and labels as mmdet's predict_by_feat on the same raw outputs."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules()
    from mmengine.config import ConfigDict
    head = MODELS.build(head_cfg).eval()
    head.test_cfg = ConfigDict(head.test_cfg)  # as a config gives it
    size = (96, 128)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        outs = head([torch.randn(1, 8, size[0] // s, size[1] // s, generator=generator)
                     for s in (8, 16, 32)])
        outs = tuple([o * 4 for o in level] for level in outs)  # spread the scores
    want, (boxes, scores, labels) = _mmdet_and_ours(head, outs, size)
    assert 10 < len(want) == len(boxes)
    assert len(want) == head.test_cfg.get('max_per_img', len(want))  # RetinaNet: capped
    np.testing.assert_allclose(boxes, want.bboxes.numpy(), atol=1e-4)
    np.testing.assert_allclose(scores, want.scores.numpy(), atol=1e-6)
    assert labels.tolist() == want.labels.tolist()


@pytest.mark.parametrize('config', [RETINANET, SSDLITE, YOLOX])
def test_ncnn_detector_gives_tools_test_map(repo_root, tmp_path, trained, deployed, config):
    reference = run_test(config, trained(config), work_dir=str(tmp_path / 'test'),
                         out=str(tmp_path / 'mmdet'))
    artifact = deployed(config, 'ncnn')
    meta = read_meta(artifact, 'ncnn')
    assert meta['precision'] == 'fp32' and meta['ncnn']['input'] == 'in0'
    out = tmp_path / 'ncnn'
    metrics = infer_images(artifact, [SAMPLE], str(out), ann_file=ANN, log=quiet)
    print(f'{config} ncnn: bbox mAP {metrics["coco/bbox_mAP"]:.4f}, mmdet '
          f'{reference["coco/bbox_mAP"]:.4f} (input {meta["ncnn"]["input_size"]})')
    assert reference['coco/bbox_mAP'] > 0.02  # the trained model finds something
    assert abs(metrics['coco/bbox_mAP'] - reference['coco/bbox_mAP']) <= 0.01


def test_focus_stem_runs_mmdeploys_ncnn_rewrite_only_while_traced_for_ncnn():
    """YOLOX's Focus (four stride-2 slices, concatenated) through mmdeploy's
    ncnn rewrite: the same numbers, bit for bit; the stem runs it only
    inside ``focus_for_ncnn``."""
    from mmdet.models.backbones.csp_darknet import Focus
    from ghost_mm.export.ncnn import focus_for_ncnn
    x = torch.randn(2, 3, 10, 14) * 100
    stem = torch.nn.Sequential(Focus(3, 8)).eval()
    stem[0].conv = torch.nn.Identity()  # the rearranged image itself
    sliced = torch.cat((x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2],
                        x[..., 1::2, 1::2]), 1)
    with torch.no_grad():
        assert torch.equal(stem(x), sliced)
        with focus_for_ncnn(stem):
            assert 'forward' in vars(stem[0])
            assert torch.equal(stem(x), sliced)
    assert 'forward' not in vars(stem[0])


@pytest.mark.slow
def test_yolox_default_goes_to_ncnn_with_mmdets_boxes(tmp_path):
    """The YOLOX-tiny default (CSPDarknet, Focus stem) on ncnn: pnnx leaves
    the 6-D reshape of mmdeploy's onnxruntime Focus rewrite unconverted, its
    ncnn one converts.
    Untrained, with BNs like a trained network's and the objectness and class
    biases raised so that boxes pass the 0.001 score threshold: the artifact's
    boxes are mmdet's ``inference_detector``'s."""
    import cv2
    from mmdet.apis import inference_detector
    from torchvision.ops import box_iou
    from ghost_mm.benchmark.realtime import initialised
    from ghost_mm.export.deployable import export_deployable
    config = 'mmdet::yolox/yolox_tiny_8xb8-300e_coco.py'
    model = initialised(config)
    with torch.no_grad():
        for conv in [*model.bbox_head.multi_level_conv_obj, *model.bbox_head.multi_level_conv_cls]:
            conv.bias += 6.0
    torch.save({'state_dict': model.state_dict()}, tmp_path / 'yolox.pth')
    export_deployable(config, str(tmp_path / 'yolox.pth'), str(tmp_path / 'ncnn'), 'ncnn',
                      cfg_options={'model.backbone.init_cfg': None}, log=quiet)
    image = cv2.imread(os.path.join(SAMPLE, sorted(os.listdir(SAMPLE))[0]))
    want = inference_detector(model, image).pred_instances
    want = want[want.scores >= 0.3]
    have = DeployedModel(str(tmp_path / 'ncnn')).predict(image)
    keep = have.scores >= 0.3
    print(f'YOLOX default on ncnn: {int(keep.sum())} boxes >= 0.3, mmdet {len(want)}')
    assert len(want) >= 10 and int(keep.sum()) == len(want)
    # each of mmdet's boxes is one of ours (near-equal scores: order may differ)
    iou = box_iou(want.bboxes, torch.from_numpy(have.boxes[keep]))
    best = iou.argmax(1).numpy()
    assert iou.max(1).values.min() >= 0.99 and len(set(best.tolist())) == len(want)
    assert have.labels[keep][best].tolist() == want.labels.tolist()
    np.testing.assert_allclose(have.scores[keep][best], want.scores.numpy(), atol=1e-4)


def test_ncnn_segmentor_gives_mmsegs_label_maps(repo_root, tmp_path, trained, deployed,
                                                cityscapes_sample):
    reference = run_test(LRASPP, trained(LRASPP), work_dir=str(tmp_path / 'test'),
                         out=str(tmp_path / 'mmseg'),
                         cfg_options=on_sample_root(cityscapes_sample))
    out = tmp_path / 'ncnn'
    metrics = infer_images(deployed(LRASPP, 'ncnn'), [cityscapes_sample / 'leftImg8bit/val'],
                           str(out), gt_dir=str(cityscapes_sample / 'gtFine/val'), log=quiet)
    agreement = label_map_agreement(tmp_path / 'mmseg', out / 'label_maps')
    print(f'LR-ASPP ncnn: {agreement:.4%} of pixels agree; mIoU {100 * metrics["mIoU"]:.2f} '
          f'vs mmseg {reference["mIoU"]:.2f}')
    assert agreement >= 0.995


def test_ncnn_predicts_from_many_threads_as_from_one(deployed):
    import cv2
    from concurrent.futures import ThreadPoolExecutor
    images = [cv2.imread(os.path.join(SAMPLE, name)) for name in sorted(os.listdir(SAMPLE))]
    model = DeployedModel(deployed(RETINANET, 'ncnn'), threads=2)
    expected = [model.predict(image) for image in images]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(model.predict, images * 5))
    for index, have in enumerate(got):
        want = expected[index % len(images)]
        assert len(want.boxes) > 0 and np.array_equal(have.boxes, want.boxes)
        assert np.array_equal(have.scores, want.scores)


def test_bad_ncnn_exports_and_artifacts_are_named(repo_root, tmp_path, trained, deployed):
    from ghost_mm.export.deployable import ExportError, export_deployable
    from ghost_mm.export.ncnn import NcnnExportError, convert
    earlier = tmp_path / 'deploy'
    earlier.mkdir()
    (earlier / META_FILE).write_text('{"an": "earlier artifact"}')
    for kwargs, error, words in [
            (dict(config=FASTER_RCNN, checkpoint=trained(FASTER_RCNN)), NcnnExportError,
             ['single-stage', 'FasterRCNN']),
            (dict(config=RETINANET, checkpoint=trained(RETINANET), int8=True,
                  calib_images=SAMPLE), ExportError, ['ncnn2int8', '--fp16'])]:
        with pytest.raises(error) as info:
            export_deployable(out_dir=str(earlier), backend='ncnn', log=quiet, **kwargs)
        assert all(word in str(info.value) for word in words), str(info.value)
        assert os.listdir(earlier) == [META_FILE] and sorted(os.listdir(tmp_path)) == ['deploy']
    # an operator ncnn has no layer for is named (pnnx converts the rest)
    class TopK(torch.nn.Module):
        def forward(self, x):
            return torch.nn.functional.conv2d(x, torch.ones(4, 3, 3, 3)).flatten(1).topk(5)
    work = tmp_path / 'pnnx'
    work.mkdir()
    torch.onnx.export(TopK(), (torch.rand(1, 3, 16, 16),), str(work / 'model.onnx'),
                      dynamo=False, opset_version=17)
    with pytest.raises(NcnnExportError, match='no layer for: TopK'):
        convert(str(work / 'model.onnx'), (16, 16), str(work))
    # an ncnn artifact is not another backend's, and needs both of its files
    source = deployed(RETINANET, 'ncnn')
    with pytest.raises(ArtifactError, match="made for backend 'ncnn', not 'openvino'"):
        read_meta(source, 'openvino')
    for missing in ('model.ncnn.param', 'model.ncnn.bin'):
        copy = tmp_path / missing
        copy.mkdir()
        for name in os.listdir(source):
            if name != missing:
                (copy / name).symlink_to(os.path.join(source, name))
        with pytest.raises(ArtifactError, match=f'{missing} is missing'):
            DeployedModel(str(copy))
    meta = json.loads(open(os.path.join(source, META_FILE)).read())
    assert set(meta['versions']) >= {'pnnx', 'ncnn'}
