"""A trained mmdet detector or mmseg segmentor as one deployable file: the
data pre-processor's channel order and normalisation, the deploy-form network
(V3 branches merged, BN folded), and the post-processing of the config's
``test_cfg`` (box decoding, score threshold, per-class NMS, top-k; the
segmentor's argmax), with dynamic height and width, standard ONNX ops only.

mmdeploy's rewriters turn mmdet's/mmseg's heads into that graph; ghost_mm
adds the data pre-processor (mmdeploy leaves normalisation and padding to its
C++ SDK), clipping to the unpadded image as mmdet does (mmdeploy clips to the
padded input, which changed NMS results on the sample), the deploy form, its
own rewriters where mmdeploy's differ from mmdet (``rewriters``: the RPN's
per-level NMS, a standard-ONNX ``RoiAlign``), the artifact folder with
``deploy.json`` that ``ghost_mm.runtime`` reads, OpenVINO IR and INT8.
"""
import contextlib
import functools
import hashlib
import os
import os.path as osp
import shutil
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config_files import read_config
from ..deploy import fuse_conv_bn
from ..runtime.artifact import BACKENDS, META_FILE, model_file, write_meta
from .ncnn import write_ncnn
from .quantize import calibration_batches, quantize_onnxruntime, quantize_openvino
from .rewriters import register as register_rewriters
from .tensor_graph import load_model

# test-pipeline steps that need nothing from the runtime (loading, packing, ground truth)
_PASSIVE_STEPS = {'LoadImageFromFile', 'SkippingLoadImageFromFile', 'LoadAnnotations',
                  'PackDetInputs', 'PackSegInputs'}
TASK_OF_SCOPE = {'mmdet': 'detection', 'mmseg': 'segmentation'}
OPSET = 17


class ExportError(ValueError):
    """A model or option that cannot be exported; the message says why."""


def preprocess_policy(cfg, model):
    """deploy.json's ``preprocess``: the test pipeline's Resize, done by the
    runtime, and what the graph itself does (channel order, normalisation,
    padding to the data pre-processor's divisor)."""
    pipeline = cfg.test_dataloader.dataset.get('pipeline') or cfg.get('test_pipeline')
    resize = pad = None
    for step in pipeline:
        kind = step['type'].split('.')[-1]
        if kind == 'Resize' and step.get('scale') is not None:
            scale = step['scale']
            scale = [scale, scale] if isinstance(scale, int) else list(scale)
            resize = {'scale': scale, 'keep_ratio': bool(step.get('keep_ratio', False))}
        elif kind == 'Pad' and resize is not None and cfg.get('default_scope') == 'mmdet' and \
                (step.get('size') or step.get('pad_to_square') or step.get('size_divisor')):
            pad = _pad_step(step)
        elif kind not in _PASSIVE_STEPS:
            raise ExportError(f'the test pipeline step {kind!r} has no runtime counterpart '
                              f'(supported: Resize with scale, then for detectors Pad to a '
                              f'size, a square or a multiple, and '
                              f'{", ".join(sorted(_PASSIVE_STEPS))})')
    processor = model.data_preprocessor
    # YOLOX's pre-processor does not normalise (no mean/std)
    normalises = getattr(processor, '_enable_normalize', True)
    return {'resize': resize, **({'pad': pad} if pad else {}),
            'in_graph': {'bgr_to_rgb': _channel_conversion(processor),
                         'mean': processor.mean.flatten().tolist() if normalises else [0.0] * 3,
                         'std': processor.std.flatten().tolist() if normalises else [1.0] * 3,
                         'pad_size_divisor': _pad_size_divisor(processor),
                         'pad_value': float(getattr(processor, 'pad_val',
                                                    getattr(processor, 'pad_value', 0)))},
            'input': 'float32 1x3xHxW, BGR, 0-255 (as OpenCV reads images)'}


def _pad_step(step):
    """deploy.json's ``pad`` from mmdet's ``Pad`` step (bottom/right padding)."""
    value = step.get('pad_val', 0)
    value = value.get('img', 0) if isinstance(value, dict) else value
    value = [float(v) for v in value] if isinstance(value, (list, tuple)) else [float(value)] * 3
    return {'size': list(step['size']) if step.get('size') else None,
            'to_square': bool(step.get('pad_to_square', False)),
            'size_divisor': step.get('size_divisor'), 'value': value}


def _channel_conversion(processor):
    return bool(getattr(processor, '_channel_conversion',
                        getattr(processor, 'channel_conversion', False)))


def _pad_size_divisor(processor):
    divisor = getattr(processor, 'pad_size_divisor', None)
    if divisor is None:  # mmseg pads at test time only when its test_cfg asks
        divisor = (getattr(processor, 'test_cfg', None) or {}).get('size_divisor')
    return int(divisor or 1)


class EndToEnd(nn.Module):
    """The data pre-processor (channel order, normalisation, padding to its
    divisor) and the model's prediction, through mmdeploy's rewritten heads.
    Boxes are clipped to the unpadded input, as mmdet clips to ``img_shape``.
    Outputs are named as the runtime reads them (detection: boxes, scores,
    labels; segmentation: seg_logits, which the runtime crops, resizes to the
    image and argmaxes as mmseg does)."""

    def __init__(self, model, task, policy):
        super().__init__()
        graph = policy['in_graph']
        self.model, self.task = model, task
        self.bgr_to_rgb, self.divisor = graph['bgr_to_rgb'], graph['pad_size_divisor']
        self.pad_value = graph['pad_value']
        self.register_buffer('mean', torch.tensor(graph['mean']).reshape(1, -1, 1, 1))
        self.register_buffer('std', torch.tensor(graph['std']).reshape(1, -1, 1, 1))

    def forward(self, image):
        x = image[:, [2, 1, 0]] if self.bgr_to_rgb else image
        x = (x - self.mean) / self.std
        if self.divisor > 1:
            height, width = x.shape[2], x.shape[3]
            x = F.pad(x, [0, (self.divisor - width % self.divisor) % self.divisor,
                          0, (self.divisor - height % self.divisor) % self.divisor],
                      value=self.pad_value)
        if self.task == 'segmentation':
            return self.model(x)  # mmdeploy: predict, logits at the input's size
        from mmdet.structures import DetDataSample
        sample = DetDataSample()
        sample.set_field(name='img_shape', value=torch._shape_as_tensor(image)[2:],
                         field_type='metainfo')
        features = self.model.extract_feat(x)
        if getattr(self.model, 'roi_head', None) is not None:
            proposals = self.model.rpn_head.predict(features, [sample], rescale=False)
            dets, labels = self.model.roi_head.predict(features, proposals, [sample],
                                                       rescale=False)
        else:
            dets, labels = self.model.bbox_head.predict(features, [sample], rescale=False)
        return dets[..., :4], dets[..., 4], labels


def _post_processing(cfg):
    """mmdeploy's post_processing from the config's test_cfg (the last stage's)."""
    test_cfg = cfg.model.get('test_cfg') or {}
    test_cfg = test_cfg.get('rcnn', test_cfg)
    keep = int(test_cfg.get('max_per_img', 100))
    return dict(score_threshold=float(test_cfg.get('score_thr', 0.05)),
                confidence_threshold=0.005,
                iou_threshold=float(test_cfg.get('nms', {}).get('iou_threshold', 0.5)),
                max_output_boxes_per_class=keep, pre_top_k=-1, keep_top_k=keep,
                background_label_id=-1)


@contextlib.contextmanager
def _torchscript_exporter():
    """mmdeploy calls ``torch.onnx.export`` without ``dynamo``; torch >= 2.9
    defaults to the dynamo exporter, which its rewriters do not target."""
    original = torch.onnx.export
    torch.onnx.export = functools.partial(original, dynamo=False)
    try:
        yield
    finally:
        torch.onnx.export = original


def write_onnx(model, task, policy, post_processing, path_prefix, example_hw):
    """Trace ``model`` (deploy form) through mmdeploy into ``path_prefix``.onnx."""
    outputs = ['boxes', 'scores', 'labels'] if task == 'detection' else ['seg_logits']
    dynamic = {'image': {2: 'height', 3: 'width'}}
    dynamic.update({name: {1: 'detections'} for name in outputs} if task == 'detection'
                   else {'seg_logits': {2: 'height', 3: 'width'}})
    # segmentors: the logits, not their argmax: mmseg resizes the logits to the
    # image (bilinear) before its argmax, which the runtime redoes (an argmax
    # before the resize changed 0.7% of the pixels where the test pipeline resizes)
    codebase = (dict(type='mmdet', task='ObjectDetection', model_type='end2end',
                     post_processing=post_processing) if task == 'detection'
                else dict(type='mmseg', task='Segmentation', with_argmax=False))
    example = torch.rand(1, 3, *example_hw) * 255
    return trace(EndToEnd(model, task, policy).eval(), (example,), path_prefix, codebase,
                 ['image'], outputs, dynamic)


def trace(module, inputs, path_prefix, codebase, input_names, output_names, dynamic_axes):
    """``module(*inputs)`` as ``path_prefix``.onnx, traced under mmdeploy's
    rewriters and ghost_mm's (``rewriters``) for ``codebase`` (mmdeploy's
    ``codebase_config``)."""
    from mmengine import Config
    from mmdeploy.apis.onnx import export
    from mmdeploy.codebase import import_codebase
    from mmdeploy.utils import Codebase
    import_codebase(Codebase.MMDET if codebase['type'] == 'mmdet' else Codebase.MMSEG)
    register_rewriters()
    deploy_cfg = Config(dict(
        onnx_config=dict(type='onnx', opset_version=OPSET, input_names=input_names,
                         output_names=output_names, dynamic_axes=dynamic_axes,
                         input_shape=None),
        codebase_config=codebase, backend_config=dict(type='onnxruntime')))
    with _torchscript_exporter():
        export(module, tuple(inputs), path_prefix,
               backend='onnxruntime', context_info=dict(deploy_cfg=deploy_cfg),
               input_names=input_names, output_names=output_names, opset_version=OPSET,
               dynamic_axes=dynamic_axes)
    return path_prefix + '.onnx'


def _dataset_meta(cfg, scope):
    """(classes, palette, file conventions) of the config's test dataset: its
    class's METAINFO and ``__init__`` defaults, overridden by the config."""
    import importlib
    import inspect
    dataset = cfg.test_dataloader.dataset
    kind = importlib.import_module(f'{scope}.registry').DATASETS.get(dataset.type)
    meta = {**kind.METAINFO, **(dataset.get('metainfo') or {})}
    palette = meta.get('palette')
    defaults = {name: p.default for name, p in inspect.signature(kind.__init__).parameters.items()
                if p.default is not inspect.Parameter.empty}
    conventions = {key: dataset.get(key, defaults.get(key))
                   for key in ('img_suffix', 'seg_map_suffix', 'reduce_zero_label')
                   if dataset.get(key, defaults.get(key)) is not None}
    return list(meta['classes']), [list(c) for c in palette] if palette else None, conventions


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _check_out_dir(out_dir):
    if osp.exists(out_dir) and (not osp.isdir(out_dir) or (
            os.listdir(out_dir) and not osp.isfile(osp.join(out_dir, META_FILE)))):
        raise ExportError(f'{out_dir} exists and is not a deployed model: choose another --out '
                          f'(an earlier artifact there would be replaced)')


def _move_into_place(staging, out_dir):
    old = None
    if osp.exists(out_dir):
        old = staging + '.old'
        os.rename(out_dir, old)
    os.rename(staging, out_dir)
    if old:
        shutil.rmtree(old)


def export_deployable(config, checkpoint, out_dir, backend='onnxruntime', int8=False,
                      calib_images=None, float_depthwise=False, calib_limit=300,
                      cfg_options=None, fp16=False, log=print):
    """Write the deployable artifact of ``config`` + ``checkpoint`` into
    ``out_dir`` (the network file and deploy.json); returns deploy.json's
    content. Built in a hidden folder beside ``out_dir`` and moved into place
    only when complete: a failure leaves ``out_dir`` as it was. ``fp16``:
    ncnn weights stored in fp16 (ncnn's fp16 storage and arithmetic on CPUs
    that have them)."""
    model_file(backend)  # a clear error for an unknown backend
    if backend == 'ncnn' and int8:
        raise ExportError('--int8 with --backend ncnn: ncnn quantises with its ncnn2table and '
                          'ncnn2int8 tools, which the ncnn/pnnx pip packages do not ship; '
                          'use --fp16, or --int8 with onnxruntime or openvino')
    if fp16 and backend != 'ncnn':
        raise ExportError(f'--fp16 is for --backend ncnn (OpenVINO runs fp32 files in bf16 with '
                          f'precision="bf16"; {backend} got {backend!r})')
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    if int8 and not calib_images:
        raise ExportError('--int8 needs --calib-images: a folder of images like the ones the '
                          'model will see (a few dozen to a few hundred)')
    _check_out_dir(out_dir)
    cfg = read_config(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    scope = cfg.get('default_scope', 'mmdet')
    if scope not in TASK_OF_SCOPE:
        raise ExportError(f'{config}: default_scope {scope!r}; deployable are mmdet detectors '
                          f'and mmseg segmentors')
    task = TASK_OF_SCOPE[scope]
    model = load_model(cfg, checkpoint)
    policy = preprocess_policy(cfg, model)
    batches = calibration_batches(calib_images, policy, calib_limit) if int8 else None
    classes, palette, conventions = _dataset_meta(cfg, scope)
    model = fuse_conv_bn(model)
    parent = osp.dirname(osp.abspath(out_dir))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f'.{osp.basename(out_dir)}.partial-', dir=parent)
    os.chmod(staging, 0o755)  # mkdtemp's 0700 is for secrets, not for a model
    try:
        if backend == 'ncnn':
            extra = {'ncnn': write_ncnn(model, task, policy, staging, trace, fp16, log)}
            post = extra['ncnn'].pop('postprocess', None)  # mmdet's, run by the runtime
            # ncnn's graph takes the normalised image of one size: the runtime
            # normalises, and fits larger images into that size
            policy = {**{k: v for k, v in policy.items() if k != 'in_graph'},
                      'in_runtime': policy['in_graph'], 'fit': extra['ncnn']['input_size']}
        else:
            extra = {}
            post = _post_processing(cfg) if task == 'detection' else None
            example_hw = _example_size(policy)
            onnx_path = write_onnx(model, task, policy, post, osp.join(staging, 'fp32'),
                                   example_hw)
            log(f'traced {task} graph at {example_hw[0]}x{example_hw[1]} (any size runs)')
            _write_backend_file(onnx_path, staging, backend, batches, float_depthwise, log)
        precision = 'int8' if int8 else 'fp16' if fp16 else 'fp32'
        meta = {'task': task, 'backend': backend, 'precision': precision, **extra,
                'float_depthwise': bool(int8 and float_depthwise),
                'calibration': ({'images': osp.abspath(calib_images), 'count': len(batches)}
                                if int8 else None),
                'classes': classes, 'palette': palette, 'preprocess': policy,
                'postprocess': post,
                'outputs': (['boxes (1xNx4, x1 y1 x2 y2 in input pixels)', 'scores (1xN)',
                             'labels (1xN)'] if task == 'detection'
                            else ['seg_logits (1xCxHxW float32)']),
                **({'segmentation': _seg_postprocess(model)} if task == 'segmentation' else {}),
                'dataset': conventions,
                'source': {'config': osp.abspath(config), 'cfg_options': cfg_options or {},
                           'checkpoint': osp.abspath(checkpoint),
                           'checkpoint_sha256': _sha256(checkpoint)},
                'versions': _versions(backend)}
        write_meta(staging, meta)
        _move_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log(f'wrote {out_dir}: {model_file(backend)} ({backend}, {meta["precision"]}) + {META_FILE}')
    return meta


def _seg_postprocess(model):
    """deploy.json's ``segmentation``: how mmseg turns the logits into the
    label map (resized to the image, then argmax)."""
    head = model.decode_head[-1] if isinstance(model.decode_head, nn.ModuleList) \
        else model.decode_head
    if head.align_corners:
        raise ExportError(f'{type(head).__name__} resizes with align_corners=True, which the '
                          f'runtime\'s OpenCV resize does not do; only align_corners=False '
                          f'segmentors are deployed')
    return {'resize_logits': 'bilinear', 'align_corners': False, 'then': 'argmax'}


def _example_size(policy):
    """The trace's example input: the config's test size (any size runs)."""
    width, height = policy['resize']['scale'] if policy['resize'] else (512, 512)
    if policy['resize'] and policy['resize']['keep_ratio']:
        width, height = max(width, height), min(width, height)
    return height, width


def _write_backend_file(onnx_path, folder, backend, batches, float_depthwise, log):
    target = osp.join(folder, BACKENDS[backend])
    if backend == 'onnxruntime':
        if batches is None:
            os.rename(onnx_path, target)
            return
        log(f'quantising (onnxruntime, {len(batches)} calibration images'
            f'{", depthwise convs in fp32" if float_depthwise else ""})')
        quantize_onnxruntime(onnx_path, target, batches, float_depthwise)
    else:
        import openvino as ov
        model = ov.convert_model(onnx_path)
        if batches is not None:
            log(f'quantising (NNCF, {len(batches)} calibration images'
                f'{", depthwise convs in fp32" if float_depthwise else ""})')
            model = quantize_openvino(model, batches, float_depthwise)
        ov.save_model(model, target, compress_to_fp16=False)
    os.remove(onnx_path)


def _versions(backend):
    from importlib.metadata import version
    names = ['torch', 'mmdeploy'] + {'onnxruntime': ['onnxruntime'], 'openvino': ['openvino'],
                                     'ncnn': ['pnnx', 'ncnn']}[backend]
    return {name: version(name) for name in names}
