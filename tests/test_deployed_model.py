"""The deployed artifact (tools/deploy.py) run by ghost_mm.runtime
(tools/infer_deployed.py) gives mmdet's / mmseg's answers for the same
checkpoint, on onnxruntime and OpenVINO, in fp32 and INT8; the runtime needs
no torch; bad inputs are named and leave nothing half-written.

The checkpoints are the session's shared quick-start trainings (conftest)."""
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from conftest import (ANN, CALIB, DEEPLABV3, FASTER_RCNN, LRASPP, REPO, RETINANET,
                      RETINANET_GHOST, RTMDET, SAMPLE, SSDLITE, YOLOX, on_sample_root,
                      quiet)
from ghost_mm.runner import run_test
from ghost_mm.runtime import ArtifactError, BadImage, DeployedModel, infer_images, read_meta
from ghost_mm.runtime.artifact import META_FILE
from helpers import label_map_agreement, match_detections, read_video

pytest.importorskip('mmdeploy')
pytest.importorskip('openvino')
BACKENDS = ('onnxruntime', 'openvino')


class _Proposals(torch.nn.Module):
    """An RPN head's proposals from its raw outputs, as the artifact computes them."""

    def __init__(self, head, img_shape):
        super().__init__()
        self.head, self.img_shape = head, img_shape

    def forward(self, *maps):
        half = len(maps) // 2
        return self.head.predict_by_feat(list(maps[:half]), list(maps[half:]),
                                         batch_img_metas=[{'img_shape': self.img_shape}])


def _by_score(dets):
    """Rows of (x1, y1, x2, y2, score) ordered by score, then position
    (equal scores may come in either order)."""
    return dets[np.lexsort((dets[:, 1], dets[:, 0], -dets[:, 4].round(5)))]


@pytest.mark.slow
def test_exported_rpn_keeps_mmdets_proposals(repo_root, tmp_path):
    """The traced RPN post-processing (top-k per level, decoding, NMS within
    each level, max_per_img) gives mmdet's proposals on onnxruntime; mmdeploy's
    own runs one NMS over all levels, which the check below shows differs here."""
    import onnxruntime as ort
    from mmdet.registry import MODELS
    from ghost_mm.export.deployable import trace
    from ghost_mm.export.rewriters import rpn_predict_by_feat
    from ghost_mm.runner import load_config
    head = MODELS.build(load_config(FASTER_RCNN).model).rpn_head.eval()
    height, width = 320, 480
    with torch.no_grad():
        cls, reg = head([torch.randn(1, 256, height // s, width // s) for s in (4, 8, 16, 32, 64)])
        cls, reg = [c * 3 for c in cls], [r * 3 for r in reg]  # spread the scores
        want = head.predict_by_feat(cls, reg, batch_img_metas=[{'img_shape': (height, width)}],
                                    cfg=head.test_cfg)[0]
    names = [f'cls{i}' for i in range(5)] + [f'reg{i}' for i in range(5)]
    path = trace(_Proposals(head, (height, width)), cls + reg, str(tmp_path / 'rpn'),
                 dict(type='mmdet', task='ObjectDetection', model_type='end2end'),
                 names, ['dets', 'levels'], {})
    dets, _ = ort.InferenceSession(path, providers=['CPUExecutionProvider']).run(
        None, {name: x.numpy() for name, x in zip(names, cls + reg)})
    assert dets.shape == (1, len(want), 5) and len(want) == head.test_cfg.max_per_img
    expected = torch.cat([want.bboxes, want.scores[:, None]], 1).numpy()
    np.testing.assert_allclose(_by_score(dets[0]), _by_score(expected), atol=1e-3)
    # one NMS over all levels (mmdeploy's) keeps other boxes on these inputs
    import mmdeploy.mmcv.ops as ops
    per_level = ops.multiclass_nms
    try:
        ops.multiclass_nms = lambda boxes, scores, *a, **k: per_level(
            boxes, scores.sum(-1, keepdim=True), *a, **k)
        with torch.no_grad():
            across, _ = rpn_predict_by_feat(head, cls, reg,
                                            batch_img_metas=[{'img_shape': (height, width)}])
    finally:
        ops.multiclass_nms = per_level
    assert not torch.allclose(across[0, :, :4], want.bboxes, atol=1e-3)


@pytest.mark.parametrize('config', [RETINANET, RETINANET_GHOST, FASTER_RCNN])
def test_deployed_detector_gives_mmdets_answers(repo_root, tmp_path, trained, deployed, config):
    reference = run_test(config, trained(config), work_dir=str(tmp_path / 'test'),
                         out=str(tmp_path / 'mmdet'))
    expected = json.loads((tmp_path / 'mmdet.bbox.json').read_text())
    for backend in BACKENDS:
        artifact = deployed(config, backend)
        meta = read_meta(artifact, backend)
        assert meta['precision'] == 'fp32' and len(meta['classes']) == 80
        assert meta['preprocess']['resize'] == {'scale': [320, 320], 'keep_ratio': True}
        out = tmp_path / backend
        metrics = infer_images(artifact, [SAMPLE], str(out), ann_file=ANN, log=quiet)
        print(f'{config} {backend}: bbox mAP {metrics["coco/bbox_mAP"]:.3f}, '
              f'mmdet {reference["coco/bbox_mAP"]:.3f}')
        assert abs(metrics['coco/bbox_mAP'] - reference['coco/bbox_mAP']) <= 0.01
        got = json.loads((out / 'results.bbox.json').read_text())
        pairs = match_detections(expected, got, min_score=0.3)
        assert len(pairs) >= 8  # the trained model finds the sample's objects
        for want, have, iou in pairs:
            assert iou >= 0.99, (want, have)
            assert abs(want['score'] - have['score']) < 0.01, (want, have)
        assert len(list(out.glob('*.jpg'))) == 8
        assert set(json.loads((out / 'detections.json').read_text())) == \
            {p.name for p in out.glob('*.jpg')}


def test_deployed_v3_detector_gives_mmdets_answers(repo_root, tmp_path, trained):
    """GhostNetV3 (branches merged inside the export): the trained V1 neck and
    head (class biases raised, so that there are many boxes) on a V3 backbone
    with randomised BN: arbitrary boxes, which must be the same boxes."""
    import torch
    from ghost_mm.weights import load_weights_file, runner_checkpoint_globals, unwrap_state_dict
    from ghost_mm.export.deployable import export_deployable
    from ghost_mm.registry import scope_models
    from ghost_mm.runner import load_config
    from helpers import randomise_bn
    v3 = {'model.backbone.version': 'v3'}
    model = scope_models('mmdet').build(load_config(RETINANET, v3).model)
    randomise_bn(model.backbone)  # every branch's BN too
    with runner_checkpoint_globals():
        trained_v1 = unwrap_state_dict(load_weights_file(trained(RETINANET)))
    state = {k: v for k, v in model.state_dict().items() if k.startswith('backbone.')}
    state.update({k: v for k, v in trained_v1.items() if not k.startswith('backbone.')})
    state['bbox_head.retina_cls.bias'] = state['bbox_head.retina_cls.bias'] + 2.0
    checkpoint = tmp_path / 'v3.pth'
    torch.save({'state_dict': state}, checkpoint)
    reference = run_test(RETINANET, str(checkpoint), work_dir=str(tmp_path / 'test'),
                         out=str(tmp_path / 'mmdet'), cfg_options=v3)
    expected = json.loads((tmp_path / 'mmdet.bbox.json').read_text())
    export_deployable(RETINANET, str(checkpoint), str(tmp_path / 'deployed'), 'onnxruntime',
                      cfg_options=v3, log=quiet)
    out = tmp_path / 'result'
    metrics = infer_images(str(tmp_path / 'deployed'), [SAMPLE], str(out), ann_file=ANN,
                           log=quiet)
    assert abs(metrics['coco/bbox_mAP'] - reference['coco/bbox_mAP']) <= 0.01
    pairs = match_detections(expected, json.loads((out / 'results.bbox.json').read_text()),
                             min_score=0.05)
    print(f'V3: {len(pairs)} boxes of mmdet matched, bbox mAP {metrics["coco/bbox_mAP"]:.3f}')
    assert len(pairs) >= 20
    for want, have, iou in pairs:
        assert iou >= 0.99 and abs(want['score'] - have['score']) < 0.01, (want, have, iou)


# the real-time heads whose post-processing ghost_mm's rewriters replace
OWN_REWRITER = {
    RTMDET: 'mmdet.models.dense_heads.rtmdet_head.RTMDetHead.predict_by_feat',
    YOLOX: 'mmdet.models.dense_heads.yolox_head.YOLOXHead.predict_by_feat',
}


def _boxes_like_mmdet(expected, got):
    """(fraction of mmdet's boxes, of every score, matched with IoU >= 0.99 and
    the score within 0.01; the artifact's box count / mmdet's)."""
    pairs = match_detections(expected, got, min_score=0.0)
    good = sum(1 for want, have, iou in pairs
               if iou >= 0.99 and abs(want['score'] - have['score']) < 0.01)
    return good / max(1, len(pairs)), len(got) / max(1, len(expected))


@pytest.mark.parametrize('config', [SSDLITE, RTMDET, YOLOX])
def test_deployed_realtime_detector_gives_mmdets_boxes(repo_root, tmp_path, trained, deployed,
                                                       config):
    """Every box mmdet gives (any score) is there, on both runtimes; with
    mmdeploy's own head rewriter (RTMDet: no nms_pre, no clipping; YOLOX: a
    box per class above the threshold) it is not."""
    reference = run_test(config, trained(config), work_dir=str(tmp_path / 'test'),
                         out=str(tmp_path / 'mmdet'))
    expected = json.loads((tmp_path / 'mmdet.bbox.json').read_text())
    assert len(expected) >= 20

    def score(artifact, name):
        metrics = infer_images(artifact, [SAMPLE], str(tmp_path / name), ann_file=ANN, log=quiet)
        got = json.loads((tmp_path / name / 'results.bbox.json').read_text())
        return metrics['coco/bbox_mAP'], _boxes_like_mmdet(expected, got)
    for backend in BACKENDS:
        mean_ap, (matched, count) = score(deployed(config, backend), backend)
        print(f'{config} {backend}: bbox mAP {mean_ap:.4f} (mmdet {reference["coco/bbox_mAP"]:.4f}), '
              f'{matched:.2%} of mmdet\'s {len(expected)} boxes matched, count ratio {count:.3f}')
        assert abs(mean_ap - reference['coco/bbox_mAP']) <= 0.01
        assert matched >= 0.99 and abs(count - 1) <= 0.01
    if config in OWN_REWRITER:
        from ghost_mm.export.deployable import export_deployable
        from ghost_mm.export.rewriters import mmdeploys_own
        with mmdeploys_own(OWN_REWRITER[config]):
            export_deployable(os.path.join(REPO, config), trained(config),
                              str(tmp_path / 'mmdeploy'), 'onnxruntime', log=quiet)
        mean_ap, (matched, count) = score(str(tmp_path / 'mmdeploy'), 'mmdeploy-result')
        print(f'{config} with mmdeploy\'s rewriter: bbox mAP {mean_ap:.4f}, {matched:.2%} '
              f'matched, count ratio {count:.3f}')
        assert matched < 0.99 or abs(count - 1) > 0.01


@pytest.mark.parametrize('backend', BACKENDS)
def test_deployed_lraspp_gives_mmsegs_label_maps(repo_root, tmp_path, trained, deployed,
                                                 cityscapes_sample, backend):
    reference = tmp_path / 'mmseg'
    run_test(LRASPP, trained(LRASPP), work_dir=str(tmp_path / 'test'), out=str(reference),
             cfg_options=on_sample_root(cityscapes_sample))
    out = tmp_path / backend
    infer_images(deployed(LRASPP, backend), [cityscapes_sample / 'leftImg8bit/val'], str(out),
                 log=quiet)
    agreement = label_map_agreement(reference, out / 'label_maps')
    print(f'LR-ASPP {backend}: {agreement:.4%} of pixels agree')
    assert agreement >= 0.995


def test_deployed_segmentor_gives_mmsegs_label_maps(repo_root, tmp_path, trained, deployed,
                                                    cityscapes_sample):
    options = on_sample_root(cityscapes_sample)
    reference = run_test(DEEPLABV3, trained(DEEPLABV3), work_dir=str(tmp_path / 'test'),
                         out=str(tmp_path / 'mmseg'), cfg_options=options)
    expected = {p.name: cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
                for p in (tmp_path / 'mmseg').rglob('*.png')}
    assert len(expected) == 6
    for backend in BACKENDS:
        out = tmp_path / backend
        metrics = infer_images(deployed(DEEPLABV3, backend), [cityscapes_sample / 'leftImg8bit/val'],
                               str(out), gt_dir=str(cityscapes_sample / 'gtFine/val'), log=quiet)
        agree = total = 0
        for name, want in expected.items():
            stem = name.replace('_leftImg8bit', '').rsplit('.', 1)[0]
            have = cv2.imread(str(next((out / 'label_maps').glob(f'{stem}*.png'))),
                              cv2.IMREAD_UNCHANGED)
            assert have.shape == want.shape
            agree += int((have == want).sum())
            total += want.size
        print(f'{backend}: {agree / total:.4%} of pixels agree; mIoU '
              f'{100 * metrics["mIoU"]:.2f} vs mmseg {reference["mIoU"]:.2f}')
        assert agree / total >= 0.995
        assert abs(100 * metrics['mIoU'] - reference['mIoU']) < 1.0


@pytest.mark.parametrize('config, backend, float_depthwise', [
    (RETINANET, 'openvino', False), (RETINANET, 'openvino', True),
    (RETINANET, 'onnxruntime', False), (RETINANET_GHOST, 'openvino', False)])
def test_int8_keeps_most_of_fp32_map(tmp_path, deployed, config, backend, float_depthwise):
    fp32 = infer_images(deployed(config, backend), [SAMPLE], str(tmp_path / 'fp32'),
                        ann_file=ANN, log=quiet)['coco/bbox_mAP']
    artifact = deployed(config, backend, int8=True, float_depthwise=float_depthwise)
    meta = read_meta(artifact)
    assert (meta['precision'], meta['float_depthwise']) == ('int8', float_depthwise)
    assert meta['calibration']['count'] == 8
    int8 = infer_images(artifact, [SAMPLE], str(tmp_path / 'int8'), ann_file=ANN,
                        log=quiet)['coco/bbox_mAP']
    print(f'{config} {backend} float_depthwise={float_depthwise}: fp32 {fp32:.3f}, '
          f'int8 {int8:.3f}')
    assert int8 >= 0.8 * fp32
    if backend == 'openvino':  # NNCF put int8 convolutions into the network
        import openvino as ov
        types = {op.get_type_name() for op in
                 ov.Core().read_model(os.path.join(artifact, 'model.xml')).get_ops()}
        assert 'FakeQuantize' in types or 'FakeConvert' in types


BLOCK_TRAINING_STACK = '''
import importlib.abc, runpy, sys
BLOCKED = {'torch', 'torchvision', 'mmcv', 'mmengine', 'mmdet', 'mmseg', 'mmdeploy', 'mmpretrain'}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in BLOCKED:
            raise ImportError(f'{name} is blocked in this test')
sys.meta_path.insert(0, Block())
sys.argv = ['infer_deployed.py'] + sys.argv[1:]
runpy.run_path('tools/infer_deployed.py', run_name='__main__')
assert not BLOCKED & {m.split('.')[0] for m in sys.modules}
'''


@pytest.mark.parametrize('backend', BACKENDS + ('ncnn',))
def test_runtime_runs_without_torch_or_openmmlab(repo_root, tmp_path, deployed, backend):
    run = subprocess.run([sys.executable, '-c', BLOCK_TRAINING_STACK,
                          deployed(RETINANET, backend), SAMPLE, '--out-dir', str(tmp_path),
                          '--ann-file', ANN], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert 'bbox mAP' in run.stdout
    assert (tmp_path / 'results.bbox.json').is_file()


def _tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob('*')
            if p.is_file()}


def test_bad_exports_are_named_and_leave_out_dir_as_it_was(repo_root, tmp_path, trained,
                                                           deployed):
    from ghost_mm.export.deployable import ExportError, export_deployable
    earlier = tmp_path / 'deploy'
    earlier.mkdir()
    (earlier / META_FILE).write_text('{"an": "earlier artifact"}')
    retinanet_ckpt = trained(RETINANET)
    cases = [
        # a checkpoint of another model
        (dict(config=FASTER_RCNN, checkpoint=retinanet_ckpt), ValueError,
         [retinanet_ckpt, 'does not fit']),
        (dict(config=RETINANET, checkpoint=retinanet_ckpt, int8=True,
              calib_images=str(tmp_path / 'no_such_folder')), FileNotFoundError,
         ['calibration', 'no_such_folder']),
        (dict(config=RETINANET, checkpoint=retinanet_ckpt, int8=True), ExportError,
         ['--calib-images']),
        (dict(config=RETINANET, checkpoint=str(tmp_path / 'none.pth')), FileNotFoundError,
         ['none.pth']),
        (dict(config=RETINANET, checkpoint=retinanet_ckpt, backend='tensorrt'), ArtifactError,
         ['tensorrt', 'onnxruntime']),
    ]
    empty = tmp_path / 'empty'
    empty.mkdir()
    (empty / 'notes.txt').write_text('no images here')
    cases.append((dict(config=RETINANET, checkpoint=retinanet_ckpt, int8=True,
                       calib_images=str(empty)), FileNotFoundError, ['holds no image', 'empty']))
    before = _tree(tmp_path)
    for kwargs, error, words in cases:
        kwargs.setdefault('backend', 'onnxruntime')
        with pytest.raises(error) as info:
            export_deployable(out_dir=str(earlier), log=quiet, **kwargs)
        for word in words:
            assert word in str(info.value), (word, str(info.value))
        assert _tree(tmp_path) == before  # the earlier artifact untouched, no leftovers
        assert sorted(os.listdir(tmp_path)) == sorted(['deploy', 'empty'])
    (tmp_path / 'other').mkdir()
    (tmp_path / 'other' / 'thesis.tex').write_text('keep me')
    with pytest.raises(ExportError, match='not a deployed model'):
        export_deployable(RETINANET, retinanet_ckpt, str(tmp_path / 'other'), log=quiet)
    assert (tmp_path / 'other' / 'thesis.tex').read_text() == 'keep me'


@pytest.mark.parametrize('backend', BACKENDS)
def test_predict_from_many_threads_gives_the_one_thread_answers(deployed, backend):
    """4 threads x 40 predictions on one shared model, images of several
    sizes (so OpenVINO compiles and reuses networks while others run).
    Before each call took its own infer request, OpenVINO raised "Infer
    Request is busy" (2 runtime threads: 20 of 160 calls) or returned another
    call's outputs (1 runtime thread: 2 of 160)."""
    from concurrent.futures import ThreadPoolExecutor
    images = [cv2.imread(os.path.join(SAMPLE, name)) for name in sorted(os.listdir(SAMPLE))]
    images += [cv2.resize(images[0], (w, h)) for w, h in ((200, 320), (480, 240), (333, 333))]
    model = DeployedModel(deployed(RETINANET, backend), threads=2)
    for _ in range(2):  # each size met twice: compiled for it (OpenVINO, as the mode allows)
        expected = [model.predict(image) for image in images]

    def run(worker):
        answers = []
        for i in range(40):
            index = (worker * 7 + i) % len(images)
            answers.append((index, model.predict(images[index])))
        return answers
    with ThreadPoolExecutor(4) as pool:
        results = [a for answers in pool.map(run, range(4)) for a in answers]
    assert len(results) == 160
    for index, got in results:
        want = expected[index]
        assert len(got.boxes) == len(want.boxes) > 0
        assert np.array_equal(got.boxes, want.boxes) and np.array_equal(got.labels, want.labels)
        assert np.array_equal(got.scores, want.scores)


def test_bad_runtime_inputs_are_named(tmp_path, deployed):
    artifact = tmp_path / 'artifact'
    source = deployed(RETINANET, 'onnxruntime')
    artifact.mkdir()
    for name in os.listdir(source):
        (artifact / name).symlink_to(os.path.join(source, name))
    meta = json.loads((artifact / META_FILE).read_text())
    with pytest.raises(ArtifactError, match="made for backend 'onnxruntime', not 'openvino'"):
        read_meta(str(artifact), 'openvino')
    (artifact / META_FILE).unlink()
    (artifact / META_FILE).write_text(json.dumps({**meta, 'backend': 'openvino'}))
    with pytest.raises(ArtifactError, match='model.xml is missing'):
        DeployedModel(str(artifact))
    (artifact / META_FILE).write_text(json.dumps({**meta, 'format_version': 99}))
    with pytest.raises(ArtifactError, match='format_version 99'):
        DeployedModel(str(artifact))
    with pytest.raises(ArtifactError, match='not a deployed model'):
        DeployedModel(str(tmp_path))
    images = tmp_path / 'images'
    images.mkdir()
    (images / 'broken.jpg').write_bytes(b'not a jpeg')
    with pytest.raises(ValueError, match='broken.jpg could not be decoded'):
        infer_images(source, [str(images)], str(tmp_path / 'out'), log=quiet, skip_bad=False)
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        infer_images(source, [str(images / 'missing.jpg')], str(tmp_path / 'out'), log=quiet)


def test_artifact_for_a_runtime_not_installed_says_which(repo_root, deployed, tmp_path):
    code = ("import sys; sys.modules['openvino'] = None\n"
            "from ghost_mm.runtime import ArtifactError, DeployedModel\n"
            "try:\n    DeployedModel(sys.argv[1])\n"
            "except ArtifactError as err:\n    print(err)")
    run = subprocess.run([sys.executable, '-c', code, deployed(RETINANET, 'openvino')],
                         capture_output=True, text=True, check=True)
    assert 'was made for openvino' in run.stdout and 'pip install openvino' in run.stdout


@pytest.mark.parametrize('config', ['configs/rtmdet-tiny_ghostnet_coco.py',
                                    'configs/yolox-tiny_ghostnet_coco.py'])
def test_runtime_resizes_and_pads_as_the_test_pipeline(repo_root, config):
    """RTMDet's test pipeline pads to 640x640, YOLOX's to a square, with 114:
    deploy.json records it and the runtime's input equals mmdet's, pixel for
    pixel, for a landscape and a portrait image."""
    from mmcv.transforms import Compose
    from mmdet.utils import register_all_modules
    from ghost_mm.export.deployable import preprocess_policy
    from ghost_mm.export.tensor_graph import load_model
    from ghost_mm.runner import load_config
    from ghost_mm.runtime.preprocess import prepare
    register_all_modules()
    cfg = load_config(config)
    cfg.model.backbone.init_cfg = None
    policy = preprocess_policy(cfg, load_model(cfg, None))
    assert policy['pad']['value'] == [114.0] * 3
    pipeline = Compose([step for step in cfg.test_dataloader.dataset.pipeline
                        if step['type'] not in ('LoadImageFromFile', 'LoadAnnotations')])
    image = cv2.imread(os.path.join(SAMPLE, sorted(os.listdir(SAMPLE))[0]))
    for sample in (image, np.ascontiguousarray(image.transpose(1, 0, 2))):
        packed = pipeline(dict(img=sample, img_id=0, img_path='x.jpg',
                               ori_shape=sample.shape[:2], img_shape=sample.shape[:2]))
        ours, _ = prepare(sample, policy)
        want = packed['inputs'].numpy()[None].astype(np.float32)
        assert ours.shape == want.shape and (ours == want).all()


def _mixed_images():
    """The sample's images and crops of them at many sizes and aspect ratios."""
    images = [cv2.imread(os.path.join(SAMPLE, name)) for name in sorted(os.listdir(SAMPLE))]
    rng = np.random.default_rng(0)
    for i in range(16):
        image = images[i % 8]
        height, width = image.shape[:2]
        top, left = rng.integers(0, height // 3), rng.integers(0, width // 3)
        images.append(np.ascontiguousarray(image[top:top + int(height * rng.uniform(0.3, 0.67)),
                                                 left:left + int(width * rng.uniform(0.3, 0.67))]))
    return images


@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('mode', ['latency', 'throughput'])
def test_predict_many_gives_predicts_answers_in_order(deployed, backend, mode):
    images = _mixed_images()
    model = DeployedModel(deployed(RETINANET, backend), threads=2, mode=mode)
    for _ in range(2):  # each size met twice: compiled for it (OpenVINO, as the mode allows)
        expected = [model.predict(image) for image in images]
    # a generator, as a stream gives them: read lazily, never all in memory
    got = list(model.predict_many(image for image in images))
    assert [p.source for p in got] == list(range(len(images)))
    for prediction, image, want in zip(got, images, expected):
        assert prediction.image is image
        assert np.array_equal(prediction.result.labels, want.labels)
        np.testing.assert_allclose(prediction.result.boxes, want.boxes, atol=1e-3)
        np.testing.assert_allclose(prediction.result.scores, want.scores, atol=1e-5)
    assert sum(len(p.result.boxes) for p in got) > 0
    # paths, a bad item named and skipped, the rest in order; without on_error it raises
    paths = [os.path.join(SAMPLE, name) for name in sorted(os.listdir(SAMPLE))[:3]]
    skipped = []
    got = list(model.predict_many([paths[0], np.zeros((4, 4), np.uint8), paths[1],
                                   'missing.jpg', paths[2]],
                                  on_error=lambda source, err: skipped.append((source, err))))
    assert [p.source for p in got] == paths
    assert [s for s, _ in skipped] == [1, 'missing.jpg']
    assert 'HxWx3 uint8' in str(skipped[0][1]) and 'missing.jpg' in str(skipped[1][1])
    with pytest.raises(BadImage, match='missing.jpg'):
        list(model.predict_many([paths[0], 'missing.jpg', paths[1]]))


def test_predict_many_stopped_early_leaves_no_thread_behind(deployed):
    import threading
    model = DeployedModel(deployed(RETINANET, 'onnxruntime'), threads=2)
    images = _mixed_images()
    for prediction in model.predict_many(images):
        break
    assert prediction.source == 0
    assert not [t for t in threading.enumerate() if t.name.startswith('ghost_mm-predict')]


def test_a_bad_image_in_a_folder_is_named_and_skipped(tmp_path, deployed):
    folder = tmp_path / 'images'
    folder.mkdir()
    names = sorted(os.listdir(SAMPLE))[:4]
    for name in names:
        (folder / name).symlink_to(os.path.join(SAMPLE, name))
    (folder / 'b_broken.jpg').write_bytes(b'not a jpeg')
    good = (folder / names[0]).read_bytes()
    (folder / 'c_truncated.jpg').write_bytes(good[:len(good) // 50])  # a cut-off download
    messages = []
    infer_images(deployed(RETINANET, 'openvino'), [str(folder)], str(tmp_path / 'out'),
                 log=messages.append)
    skipped = [m for m in messages if m.startswith('skipped')]
    assert any('b_broken.jpg could not be decoded' in m for m in skipped), messages
    detections = json.loads((tmp_path / 'out' / 'detections.json').read_text())
    written = {p.name for p in (tmp_path / 'out').glob('*.jpg')}
    assert set(names) <= set(detections) and set(names) <= written
    assert 'b_broken.jpg' not in detections and 'b_broken.jpg' not in written
    # what OpenCV decodes of the truncated file is predicted or named, never lost silently
    assert 'c_truncated.jpg' in detections or any('c_truncated.jpg' in m for m in skipped)
    assert any('skipped' in m for m in messages if 'image(s) ->' in m)
    assert not list((tmp_path / 'out').glob('*.tmp'))
    # nothing readable at all: an error, not an empty result
    (tmp_path / 'bad').mkdir()
    (tmp_path / 'bad' / 'x.jpg').write_bytes(b'not a jpeg')
    with pytest.raises(ValueError, match='none of the 1 image'):
        infer_images(deployed(RETINANET, 'openvino'), [str(tmp_path / 'bad')],
                     str(tmp_path / 'out2'), log=quiet)


def _coco(detections, image_id):
    return [{'image_id': image_id, 'category_id': int(label), 'score': float(score),
             'bbox': [float(x1), float(y1), float(x2 - x1), float(y2 - y1)]}
            for (x1, y1, x2, y2), score, label in zip(*detections)]


def test_openvino_gives_mmdets_answers_on_images_of_every_size(repo_root, trained, deployed):
    """Images of many sizes and aspect ratios, each twice (OpenVINO meets the
    size first, then again: whatever the runtime does for a new size and for
    a known one), against mmdet's inference_detector on the same arrays."""
    from mmdet.apis import inference_detector, init_detector
    from ghost_mm.registry import scope_models
    from ghost_mm.weights import runner_checkpoint_globals
    scope_models('mmdet')
    with runner_checkpoint_globals():
        detector = init_detector(RETINANET, trained(RETINANET), device='cpu')
    model = DeployedModel(deployed(RETINANET, 'openvino'), threads=2)
    images = _mixed_images()
    expected = []
    for i, image in enumerate(images):
        want = inference_detector(detector, image).pred_instances
        expected += _coco((want.bboxes.numpy(), want.scores.numpy(), want.labels.numpy()), i)
    for attempt in range(2):
        got = []
        for i, image in enumerate(images):
            got += _coco(model.predict(image), i)
        pairs = match_detections(expected, got, min_score=0.3)
        assert len(pairs) >= 10, attempt
        for want, have, iou in pairs:
            assert iou >= 0.99 and abs(want['score'] - have['score']) < 0.01, (attempt, want, have)


@pytest.mark.slow
def test_a_packaged_config_deploys_as_a_file_does(tmp_path):
    """tools/deploy.py takes ``mmdet::`` names as mmdet's own tools do (the
    toolbox default a GhostNet config is compared with, deployed the same way)."""
    from deploy import main as deploy_main
    from ghost_mm.config_files import read_config
    from ghost_mm.export import load_model
    name = 'mmdet::ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py'
    torch.save({'state_dict': load_model(read_config(name)).state_dict()}, tmp_path / 'm.pth')
    deploy_main([name, str(tmp_path / 'm.pth'), '--out', str(tmp_path / 'artifact')])
    model = DeployedModel(str(tmp_path / 'artifact'))
    assert model.meta['preprocess']['resize'] == {'scale': [320, 320], 'keep_ratio': False}
    detections = model.predict(os.path.join(SAMPLE, sorted(os.listdir(SAMPLE))[0]))
    assert len(model.classes) == 80 and detections.boxes.shape[1] == 4
    with pytest.raises(SystemExit, match='no such packaged config of mmdet'):
        deploy_main(['mmdet::ssd/no-such.py', str(tmp_path / 'm.pth'), '--out',
                     str(tmp_path / 'other')])
    assert not (tmp_path / 'other').exists()


def _clip(path, frames=12, size=(320, 240), fps=10):
    """A short MJPG clip of the sample's photos (OpenCV's own encoder)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), fps, size)
    names = sorted(os.listdir(SAMPLE))
    for i in range(frames):
        writer.write(cv2.resize(cv2.imread(os.path.join(SAMPLE, names[i % len(names)])), size))
    writer.release()
    return path


def test_video_in_annotated_video_and_per_frame_json_out(tmp_path, deployed):
    """tools/infer_deployed.py CLIP, with torch and OpenMMLab blocked: the
    annotated video keeps the clip's frame count, size and frame rate, and
    each frame's boxes are predict()'s on that frame."""
    clip = _clip(tmp_path / 'clip.avi')
    artifact = deployed(RETINANET, 'onnxruntime')
    run = subprocess.run([sys.executable, '-c', BLOCK_TRAINING_STACK, artifact, str(clip),
                          '--out-dir', str(tmp_path / 'out')], capture_output=True, text=True,
                         cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert '12 frames at' in run.stdout
    written, fps = read_video(tmp_path / 'out' / 'clip.avi')
    frames, fps_in = read_video(clip)
    assert len(written) == len(frames) == 12 and fps == fps_in == 10
    assert written[0].shape == frames[0].shape == (240, 320, 3)
    result = json.loads((tmp_path / 'out' / 'clip.avi.json').read_text())
    assert [f['frame'] for f in result['frames']] == list(range(12))
    model = DeployedModel(artifact)
    for frame, recorded in zip(frames, result['frames']):
        want = model.predict(frame)
        assert len(recorded['result']) == len(want.boxes)
        for box, got in zip(want.boxes, recorded['result']):
            assert np.allclose(box, got['bbox'], atol=0.01)
    assert sum(len(f['result']) for f in result['frames']) > 0
    assert not list((tmp_path / 'out').glob('*.partial*'))


def _tiny_openvino_network(folder):
    """An OpenVINO network of any input height and width (a 3x3 conv and a
    ReLU) saved as an artifact's model.xml."""
    import openvino as ov
    import openvino.opset13 as ops
    image = ops.parameter([1, 3, -1, -1], np.float32, name='image')
    weights = ops.constant(np.random.default_rng(0).normal(size=(4, 3, 3, 3)).astype(np.float32))
    conv = ops.convolution(image, weights, [1, 1], [1, 1], [1, 1], [1, 1])
    ov.save_model(ov.Model([ops.relu(conv)], [image]), os.path.join(folder, 'model.xml'))
    return folder


@pytest.mark.parametrize('mode, kept', [('latency', 16), ('throughput', 2)])
def test_openvino_compiles_sizes_met_again_and_keeps_as_many_as_its_mode_allows(
        tmp_path, mode, kept):
    """A size runs on the any-size network when first met, gets its own
    compile when met again, at most ``kept`` are compiled (throughput mode
    keeps 2: there more static networks ran slower, docs/serving.md), and
    every network gives the same answer."""
    from ghost_mm.runtime.backends import OpenVINONetwork
    network = OpenVINONetwork(_tiny_openvino_network(str(tmp_path)), threads=2, mode=mode)
    assert network.max_shapes == kept
    rng = np.random.default_rng(1)
    batches = [rng.random((1, 3, 8 + i, 12 - i // 2), dtype=np.float32) for i in range(5)]
    first = [next(iter(network(b).values())) for b in batches]
    assert not network.static
    again = [next(iter(network(b).values())) for b in batches]
    assert len(network.static) == min(kept, len(batches))
    for a, b in zip(first, again):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="mode 'fast'"):
        OpenVINONetwork(str(tmp_path), mode='fast')
