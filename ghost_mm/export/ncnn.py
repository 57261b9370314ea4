"""ncnn artifacts: the deploy-form network traced at one static size, turned
into ncnn's ``.param``/``.bin`` by pnnx, and the ``ncnn`` section of
deploy.json that tells ``ghost_mm.runtime`` what the graph leaves to it.

ncnn has no TopK and no NonMaxSuppression layer, and pnnx folds shape
arithmetic (the priors of every level) into constants of the traced size. So
the graph is traced through mmdeploy's head rewriters with ``with_nms=False``
and no ``nms_pre`` (every prior's decoded boxes and class scores, no TopK), at
the largest input the test pipeline makes (its Resize scale, landscape,
padded as the config pads), on the normalised image; the runtime normalises
and pads to that size, and runs mmdet's own post-processing on the output
(``ghost_mm.runtime.postprocess``: mmdet's per-level score threshold and
``nms_pre``, one label per box for YOLOX, clipping where the head's coder
clips, ``batched_nms``). Segmentors' logits are argmax-ed by the runtime.
"""
import contextlib
import math
import os
import os.path as osp
import shutil
import subprocess
import tempfile

import torch
import torch.nn as nn

from ..runtime.artifact import BACKENDS, COMPANIONS
from ..runtime.preprocess import padded_size

INPUT, OUTPUT = 'in0', 'out{}'  # pnnx's blob names


class NcnnExportError(ValueError):
    """A model pnnx/ncnn cannot take; the message says why."""


def input_size(policy):
    """(height, width) of the ncnn graph's static input: the largest image
    the test pipeline's Resize makes (landscape), padded as the pipeline's Pad
    and the data pre-processor pad it."""
    if not policy.get('resize'):
        raise NcnnExportError('ncnn graphs have one static input size, taken from the test '
                              'pipeline\'s Resize: this config has no Resize with a scale')
    scale = policy['resize']['scale']
    if policy['resize']['keep_ratio']:
        height, width = min(scale), max(scale)
    else:
        width, height = scale
    if policy.get('pad'):
        height, width = padded_size(height, width, policy['pad'])
    divisor = policy['in_graph']['pad_size_divisor']
    return [math.ceil(height / divisor) * divisor, math.ceil(width / divisor) * divisor]


class DenseDetections(nn.Module):
    """The normalised image to every prior's decoded boxes (1xNx4) and class
    scores (1xNxC), through mmdeploy's rewritten ``predict_by_feat``."""

    def __init__(self, model, size):
        super().__init__()
        self.model, self.size = model, tuple(size)

    def forward(self, x):
        head = self.model.bbox_head
        outs = head(self.model.extract_feat(x))
        return head.predict_by_feat(*outs, batch_img_metas=[{'img_shape': self.size}],
                                    rescale=False, with_nms=False)


@contextlib.contextmanager
def focus_for_ncnn(model):
    """While the ncnn graph is traced, every mmdet ``Focus`` of ``model`` (the
    YOLOX defaults' CSPDarknet stem: four stride-2 slices of the image,
    concatenated) runs mmdeploy's own ncnn rewrite of it (reshapes and
    channel shuffles, the same numbers). ``trace`` runs mmdeploy's rewriters
    for onnxruntime, whose Focus is a 6-D reshape that pnnx leaves as
    ``Tensor.reshape`` (ncnn's blobs have at most 4 dimensions); all of
    mmdeploy's ncnn rewriters at once are not wanted, since they are written
    for its older onnx2ncnn converter and the runtime reproduces mmdet's
    post-processing instead."""
    try:
        from mmdet.models.backbones.csp_darknet import Focus
    except ImportError:  # a segmentor without mmdet installed: no Focus
        yield
        return
    from mmdeploy.codebase.mmdet.models.backbones import focus__forward__ncnn
    stems = [m for m in model.modules() if isinstance(m, Focus)]
    for stem in stems:
        stem.forward = lambda x, stem=stem: focus__forward__ncnn(stem, x)
    try:
        yield
    finally:
        for stem in stems:
            del stem.forward


# mmdet heads whose post-processing ghost_mm.runtime.postprocess reproduces:
# BaseDenseHead's (multi-label), and these (one label per box)
SINGLE_LABEL_HEADS = ('YOLOXHead',)


def postprocess_spec(model, size):
    """deploy.json's ``ncnn.postprocess``: mmdet's test_cfg of the head and
    the number of priors per level at ``size``."""
    from mmdet.models.dense_heads.base_dense_head import BaseDenseHead
    if getattr(model, 'roi_head', None) is not None or not hasattr(model, 'bbox_head'):
        raise NcnnExportError(f'{type(model).__name__}: only single-stage detectors go to ncnn '
                              f'(a two-stage detector\'s RoI stage needs NMS inside the graph)')
    head = model.bbox_head
    kind = type(head).__name__
    single = any(cls.__name__ in SINGLE_LABEL_HEADS for cls in type(head).__mro__)
    own = any(getattr(type(head), name) is not getattr(BaseDenseHead, name) for name in
              ('predict_by_feat', '_predict_by_feat_single', '_bbox_post_process'))
    if own and not single:
        raise NcnnExportError(f'{kind} post-processes its predictions its own way, which '
                              f'ghost_mm.runtime does not reproduce for ncnn (supported: '
                              f'heads using BaseDenseHead\'s, and {", ".join(SINGLE_LABEL_HEADS)})')
    with torch.no_grad():
        outs = head(model.extract_feat(torch.zeros(1, 3, *size)))
    if len(outs) != 2 and not single:
        raise NcnnExportError(f'{kind} scores boxes with a second factor (e.g. centerness), '
                              f'which the ncnn post-processing does not apply')
    cfg = head.test_cfg
    priors = head.prior_generator.num_base_priors
    return {'kind': 'single_label' if single else 'multi_label',
            'score_thr': float(cfg.get('score_thr', 0.05)),
            'nms_pre': int(cfg.get('nms_pre', -1)),
            'iou_threshold': float(cfg['nms']['iou_threshold']),
            'max_num': int(cfg['nms'].get('max_num', -1)),  # batched_nms's own cap
            # YOLOX's mmdet post-processing keeps every box NMS keeps
            'max_per_img': -1 if single else int(cfg.get('max_per_img', 100)),
            'min_bbox_size': float(cfg.get('min_bbox_size', -1)),
            'clip': bool(getattr(getattr(head, 'bbox_coder', None), 'clip_border', False)),
            'level_sizes': [int(o.shape[2] * o.shape[3] * priors[i])
                            for i, o in enumerate(outs[0])]}


def write_ncnn(model, task, policy, staging, trace, fp16=False, log=print):
    """Write ``model.ncnn.param``/``.bin`` into ``staging`` (weights stored in
    fp16 with ``fp16``); returns deploy.json's ``ncnn`` section. ``trace`` is
    ``deployable.trace``."""
    size = input_size(policy)
    spec = {'input_size': size, 'input': INPUT}
    if task == 'detection':
        spec['postprocess'] = postprocess_spec(model, size)
        head_cfg = model.bbox_head.test_cfg
        nms_pre = head_cfg.get('nms_pre')
        head_cfg['nms_pre'] = -1  # no TopK in the graph: the runtime takes nms_pre per level
        module, outputs = DenseDetections(model, size).eval(), ['boxes', 'scores']
        codebase = dict(type='mmdet', task='ObjectDetection', model_type='end2end',
                        post_processing=dict(score_threshold=0.05, iou_threshold=0.5,
                                             max_output_boxes_per_class=100, pre_top_k=-1,
                                             keep_top_k=100, background_label_id=-1))
    else:
        nms_pre = None
        module, outputs = model, ['logits']
        codebase = dict(type='mmseg', task='Segmentation', with_argmax=False)
    spec['outputs'] = [OUTPUT.format(i) for i in range(len(outputs))]
    work = tempfile.mkdtemp(prefix='pnnx-', dir=staging)
    try:
        with focus_for_ncnn(model):
            onnx_path = trace(module, (torch.zeros(1, 3, *size),), osp.join(work, 'model'),
                              codebase, ['image'], outputs, None)
        log(f'traced the {task} graph for ncnn at {size[0]}x{size[1]} (its static input size)')
        convert(onnx_path, size, work, fp16)
        os.rename(osp.join(work, 'model.ncnn.param'), osp.join(staging, BACKENDS['ncnn']))
        os.rename(osp.join(work, 'model.ncnn.bin'), osp.join(staging, COMPANIONS['ncnn'][0]))
    finally:
        if nms_pre is not None:
            model.bbox_head.test_cfg['nms_pre'] = nms_pre
        shutil.rmtree(work, ignore_errors=True)
    return spec


def convert(onnx_path, size, work, fp16=False):
    """pnnx: ``onnx_path`` to ``model.ncnn.param``/``.bin`` in ``work``,
    refusing a graph with layers ncnn does not have."""
    import ncnn
    import pnnx
    command = [pnnx.EXEC_PATH, osp.basename(onnx_path), f'inputshape=[1,3,{size[0]},{size[1]}]',
               f'fp16={int(fp16)}', 'optlevel=2']
    done = subprocess.run(command, cwd=work, capture_output=True, text=True)
    param = osp.join(work, 'model.ncnn.param')
    if done.returncode != 0 or not osp.isfile(param):
        tail = '\n'.join((done.stdout + done.stderr).strip().splitlines()[-8:])
        raise NcnnExportError(f'pnnx could not convert the graph (exit {done.returncode}):\n{tail}')
    with open(param) as f:
        kinds = {line.split()[0] for line in f.read().splitlines()[2:] if line.strip()}
    unknown = sorted(kind for kind in kinds if ncnn.layer_to_index(kind) < 0)
    if unknown:
        raise NcnnExportError(f'pnnx left operators ncnn has no layer for: {", ".join(unknown)} '
                              f'(the rest of the graph converted)')
