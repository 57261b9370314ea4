"""Where mmdeploy's rewriters do not give mmdet's/mmcv's answers on this stack,
ghost_mm's own, registered for the onnxruntime backend (which every artifact
is traced for; a backend-specific rewriter takes precedence over mmdeploy's
default one):

- mmcv's ``RoIAlign`` as the standard ONNX ``RoiAlign`` (mmdeploy's symbolic
  no longer runs on torch 2.14);
- ``RPNHead.predict_by_feat`` with mmdet's per-level NMS. mmdeploy runs one
  NMS over the proposals of all levels together, so a large box of one level
  suppresses a smaller overlapping one of another, which mmdet keeps (mmdet's
  ``batched_nms`` over ``level_ids``); it also applies the detector's score
  threshold and skips ``min_bbox_size``. Measured on a Faster R-CNN quick-start
  checkpoint: 0.793 bbox mAP deployed against mmdet's 0.776 before, equal after;
- ``YOLOXHead.predict_by_feat`` with mmdet's one label per box (its best
  class, kept when best class score x objectness >= ``score_thr``) and no
  ``max_per_img`` (mmdet's YOLOX keeps every box NMS keeps); mmdeploy's gives
  a box every class that scores above the threshold, capped at ``max_per_img``;
- ``RTMDetHead.predict_by_feat`` with mmdet's per-level ``nms_pre`` best
  (prior, class) pairs above ``score_thr``, boxes clipped to the image and
  ``min_bbox_size``; mmdeploy's takes neither ``nms_pre`` nor clipping.
"""
import contextlib
import functools

import numpy as np
import torch


def _standard_roi_align(g, input, rois, output_size, spatial_scale, sampling_ratio,
                        pool_mode, aligned):
    """mmcv's RoIAlign as ONNX ``RoiAlign`` (opset 16+: ``aligned`` is its
    half-pixel mode), batch index taken from the rois' first column."""
    def const(values):
        return g.op('Constant', value_t=torch.tensor(values, dtype=torch.long))
    batch = g.op('Cast', g.op('Squeeze', g.op('Gather', rois, const([0]), axis_i=1), const([1])),
                 to_i=7)  # int64
    boxes = g.op('Gather', rois, const([1, 2, 3, 4]), axis_i=1)
    return g.op('RoiAlign', input, boxes, batch, output_height_i=output_size[0],
                output_width_i=output_size[1], spatial_scale_f=spatial_scale,
                sampling_ratio_i=sampling_ratio, mode_s=pool_mode,
                coordinate_transformation_mode_s='half_pixel' if aligned else 'output_half_pixel')


def _without_small_boxes(boxes, scores, min_size):
    """``scores`` zeroed where a box is not wider and taller than ``min_size``
    (mmdet's ``min_bbox_size`` filter; none when it is negative)."""
    if min_size < 0:
        return scores
    big_enough = ((boxes[..., 2] - boxes[..., 0] > min_size)
                  & (boxes[..., 3] - boxes[..., 1] > min_size))
    return scores * big_enough.unsqueeze(-1).to(scores.dtype)


def rpn_predict_by_feat(self, cls_scores, bbox_preds, score_factors=None,
                        batch_img_metas=None, cfg=None, rescale=False, with_nms=True,
                        **kwargs):
    """mmdet's ``RPNHead.predict_by_feat`` as a traceable graph: per level the
    ``nms_pre`` best anchors, decoded and clipped to the image, boxes not wider
    and taller than ``min_bbox_size`` dropped, NMS within each level, the
    ``max_per_img`` best overall. Returns (dets [B, K, 5], level ids [B, K]),
    what mmdeploy's RoI head rewriter takes as proposals."""
    from mmdeploy.codebase.mmdet.deploy import gather_topk
    from mmdeploy.mmcv.ops import multiclass_nms
    cfg = self.test_cfg if cfg is None else cfg
    levels = len(cls_scores)
    batch = cls_scores[0].shape[0]
    anchors = self.anchor_generator.grid_anchors([s.shape[-2:] for s in cls_scores],
                                                 device=cls_scores[0].device)
    pre_topk = cfg.get('nms_pre', -1)
    all_deltas, all_scores, all_anchors = [], [], []
    for level in range(levels):
        score = cls_scores[level].permute(0, 2, 3, 1)
        if self.use_sigmoid_cls:
            score = score.reshape(batch, -1).sigmoid()
        else:
            score = score.reshape(batch, -1, 2).softmax(-1)[..., 0]
        score = score.reshape(batch, -1, 1)
        deltas = bbox_preds[level].permute(0, 2, 3, 1).reshape(
            batch, -1, self.bbox_coder.encode_size)
        level_anchors = anchors[level].unsqueeze(0)
        if pre_topk > 0:
            # pre_topk zero-score entries appended, so that a level with fewer
            # anchors keeps them all (traced for any size); the NMS below keeps
            # scores above 0 only
            score, deltas, level_anchors = (
                torch.cat([x, x.new_zeros(x.shape[0], pre_topk, x.shape[2])], 1)
                for x in (score, deltas, level_anchors))
            _, keep = score.squeeze(2).topk(pre_topk)
            deltas, score = gather_topk(deltas, score, inds=keep, batch_size=batch,
                                        is_batched=True)
            level_anchors = gather_topk(level_anchors, inds=keep, batch_size=batch,
                                        is_batched=False)
        # one score column per level: NMS "per class" is mmdet's NMS per level
        all_scores.append(torch.cat([score if column == level else torch.zeros_like(score)
                                     for column in range(levels)], dim=2))
        all_deltas.append(deltas)
        all_anchors.append(level_anchors)
    boxes = self.bbox_coder.decode(torch.cat(all_anchors, 1), torch.cat(all_deltas, 1),
                                   max_shape=batch_img_metas[0]['img_shape'])
    scores = torch.cat(all_scores, 1)
    scores = _without_small_boxes(boxes, scores, cfg.get('min_bbox_size', -1))
    keep = cfg.get('max_per_img', 1000)
    return multiclass_nms(boxes, scores, keep, nms_type=cfg.nms.get('type'),
                          iou_threshold=cfg.nms.get('iou_threshold', 0.7),
                          score_threshold=0.0, pre_top_k=-1, keep_top_k=keep)


def _one_label(scores, labels, classes):
    """[B, N, classes] scores holding each row's ``scores`` in its ``labels``
    column only: per-class NMS over them is mmdet's ``batched_nms``."""
    columns = torch.arange(classes, device=scores.device)
    return (columns == labels.unsqueeze(-1)).to(scores.dtype) * scores.unsqueeze(-1)


def _flat(maps, channels):
    """Per-level [B, C*k, H, W] maps as one [B, sum(H*W*k), C] tensor."""
    batch = maps[0].shape[0]
    return torch.cat([m.permute(0, 2, 3, 1).reshape(batch, -1, channels) for m in maps], 1)


def yolox_predict_by_feat(self, cls_scores, bbox_preds, objectnesses, batch_img_metas=None,
                          cfg=None, rescale=False, with_nms=True):
    """mmdet's ``YOLOXHead.predict_by_feat`` as a traceable graph."""
    from mmdeploy.mmcv.ops import multiclass_nms
    cfg = self.test_cfg if cfg is None else cfg
    priors = torch.cat(self.prior_generator.grid_priors(
        [c.shape[2:] for c in cls_scores], device=cls_scores[0].device, with_stride=True))
    boxes = self._bbox_decode(priors, _flat(bbox_preds, 4))
    classes = _flat(cls_scores, self.cls_out_channels).sigmoid()
    objectness = _flat(objectnesses, 1).sigmoid()
    if not with_nms:  # every prior's box and class scores (the ncnn graph)
        return boxes, classes * objectness
    best, labels = classes.max(-1)
    scores = _one_label(best * objectness.squeeze(-1), labels, self.cls_out_channels)
    # mmdet keeps score >= score_thr; ONNX NonMaxSuppression keeps score > threshold
    threshold = float(np.nextafter(np.float32(cfg.score_thr), np.float32(-np.inf)))
    return multiclass_nms(boxes, scores, 1 << 20, nms_type=cfg.nms.get('type'),
                          iou_threshold=cfg.nms.get('iou_threshold', 0.65),
                          score_threshold=threshold, pre_top_k=-1, keep_top_k=-1)


def dense_predict_by_feat(self, cls_scores, bbox_preds, score_factors=None,
                          batch_img_metas=None, cfg=None, rescale=False, with_nms=True,
                          **kwargs):
    """mmdet's ``BaseDenseHead.predict_by_feat`` (sigmoid classifiers, no
    score factors) as a traceable graph: per level the ``nms_pre`` best
    (prior, class) pairs, decoded and clipped to the image; those above
    ``score_thr`` and larger than ``min_bbox_size`` go to per-class NMS; the
    ``max_per_img`` best."""
    from mmdeploy.codebase.mmdet.deploy import gather_topk
    from mmdeploy.mmcv.ops import multiclass_nms
    cfg = self.test_cfg if cfg is None else cfg
    classes, batch = self.cls_out_channels, cls_scores[0].shape[0]
    priors = self.prior_generator.grid_priors([c.shape[2:] for c in cls_scores],
                                              device=cls_scores[0].device)
    if not with_nms:  # every prior's box and class scores (the ncnn graph)
        points = torch.cat(priors).unsqueeze(0)
        return (self.bbox_coder.decode(points, _flat(bbox_preds, self.bbox_coder.encode_size),
                                       max_shape=batch_img_metas[0]['img_shape']),
                _flat(cls_scores, classes).sigmoid())
    nms_pre = cfg.get('nms_pre', -1)
    all_boxes, all_scores = [], []
    for level, (cls, reg) in enumerate(zip(cls_scores, bbox_preds)):
        pairs = _flat([cls], classes).sigmoid().reshape(batch, -1)
        deltas = _flat([reg], self.bbox_coder.encode_size)
        points = priors[level].unsqueeze(0)
        if nms_pre > 0:
            # zero-score pairs (and rows they point to) appended, so that a level
            # with fewer pairs keeps them all, traced for any size
            pad = nms_pre // classes + 1
            pairs = torch.cat([pairs, pairs.new_zeros(batch, nms_pre)], 1)
            deltas = torch.cat([deltas, deltas.new_zeros(batch, pad, deltas.shape[2])], 1)
            points = torch.cat([points, points.new_zeros(1, pad, points.shape[2])], 1)
            pairs, index = pairs.topk(nms_pre)
        else:
            index = torch.arange(pairs.shape[1], device=pairs.device).unsqueeze(0)
        rows, labels = index // classes, index % classes
        deltas = gather_topk(deltas, inds=rows, batch_size=batch, is_batched=True)
        points = gather_topk(points, inds=rows, batch_size=batch, is_batched=False)
        all_boxes.append(self.bbox_coder.decode(points, deltas,
                                                max_shape=batch_img_metas[0]['img_shape']))
        all_scores.append(_one_label(pairs, labels, classes))
    boxes, scores = torch.cat(all_boxes, 1), torch.cat(all_scores, 1)
    scores = _without_small_boxes(boxes, scores, cfg.get('min_bbox_size', -1))
    keep = cfg.get('max_per_img', 100)
    return multiclass_nms(boxes, scores, 1 << 20, nms_type=cfg.nms.get('type'),
                          iou_threshold=cfg.nms.get('iou_threshold', 0.5),
                          score_threshold=float(cfg.get('score_thr', 0.05)), pre_top_k=-1,
                          keep_top_k=keep)


# the heads ghost_mm's rewriters replace mmdeploy's for (tests turn them off one at a time)
HEAD_REWRITERS = {
    'mmdet.models.dense_heads.rpn_head.RPNHead.predict_by_feat': rpn_predict_by_feat,
    'mmdet.models.dense_heads.yolox_head.YOLOXHead.predict_by_feat': yolox_predict_by_feat,
    'mmdet.models.dense_heads.rtmdet_head.RTMDetHead.predict_by_feat': dense_predict_by_feat,
}


@functools.cache
def register():
    """Register ghost_mm's rewriters with mmdeploy (once per process)."""
    from mmdeploy.core import FUNCTION_REWRITER, SYMBOLIC_REWRITER
    SYMBOLIC_REWRITER.register_symbolic('mmcv.ops.roi_align.__self__', backend='onnxruntime')(
        _standard_roi_align)
    for name, rewriter in HEAD_REWRITERS.items():
        FUNCTION_REWRITER.register_rewriter(name, backend='onnxruntime')(rewriter)


@contextlib.contextmanager
def mmdeploys_own(name):
    """Within the block, mmdeploy's rewriter of ``name`` (a key of
    HEAD_REWRITERS) instead of ghost_mm's: what ours changes, shown by tests."""
    from mmdeploy.core import FUNCTION_REWRITER
    register()
    records = FUNCTION_REWRITER._registry._rewrite_records[name]
    ours = [r for r in records if r['_object'] is HEAD_REWRITERS[name]]
    for record in ours:
        records.remove(record)
    try:
        yield
    finally:
        records.extend(ours)
