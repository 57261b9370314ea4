"""mmdet's dense-head post-processing, with numpy and OpenCV, for runtimes
whose graph stops before it (ncnn: no TopK, no NonMaxSuppression).

The graph gives every prior's decoded box and class scores, the levels
concatenated (``boxes`` Nx4, ``scores`` NxC). This module does what mmdet's
heads do next, in mmdet's order:

- ``multi_label`` (``BaseDenseHead._predict_by_feat_single``: RetinaNet, SSD,
  RTMDet, ...): per level, every (prior, class) pair scoring above
  ``score_thr``, the ``nms_pre`` best of them (``filter_scores_and_topk``);
- ``single_label`` (``YOLOXHead.predict_by_feat``): one label per box, its
  best class; boxes with ``score >= score_thr``;

then boxes clipped to the image where the head's coder clips
(``clip_border``), boxes not wider and taller than ``min_bbox_size`` dropped
where the config sets it, per-class NMS (mmcv's ``batched_nms``, which
mmdet's heads call: OpenCV's ``dnn.NMSBoxesBatched``, the same
offset-per-class greedy NMS; tested equal to it) with its ``max_num``, and the
``max_per_img`` best (multi-label heads; YOLOX's keeps all).
"""
import cv2
import numpy as np

KINDS = ('multi_label', 'single_label')


def _candidates(boxes, scores, spec):
    """(box indices, scores, labels) of the candidates that go to NMS."""
    if spec['kind'] == 'single_label':
        labels = scores.argmax(1)
        best = scores[np.arange(len(scores)), labels]
        keep = np.flatnonzero(best >= spec['score_thr'])
        return keep, best[keep], labels[keep]
    picked = []
    start = 0
    for size in spec['level_sizes']:
        level = scores[start:start + size]
        rows, cols = np.nonzero(level > spec['score_thr'])
        values = level[rows, cols]
        # torch's descending sort keeps equal scores in index order too
        order = np.argsort(-values, kind='stable')
        if spec['nms_pre'] > 0:
            order = order[:spec['nms_pre']]
        picked.append((rows[order] + start, values[order], cols[order]))
        start += size
    if start != len(scores):
        raise ValueError(f'the graph gave {len(scores)} priors; deploy.json\'s levels add up '
                         f'to {start}: the artifact\'s files do not belong together')
    return tuple(np.concatenate(parts) for parts in zip(*picked))


# mmcv's batched_nms runs one NMS over class-offset boxes below this many
# boxes and one NMS per class from it on (its ``split_thr``)
SPLIT_THR = 10000


def _xywh(boxes):
    return np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], 1).astype(np.float64)


def batched_nms(boxes, scores, labels, iou_threshold):
    """Indices of the boxes kept by per-class greedy NMS, best score first
    (mmcv's ``batched_nms`` without ``max_num``). From ``SPLIT_THR`` boxes on,
    one NMS per class, as mmcv does: one NMS over all of them costs the square
    of their number (RTMDet's 90,000 candidates of an untrained head: 24 s in
    one NMS, 0.7 s per class)."""
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    scores, labels = scores.astype(np.float32), labels.astype(np.int32)
    if len(boxes) < SPLIT_THR:
        keep = cv2.dnn.NMSBoxesBatched(_xywh(boxes), scores, labels, -np.inf,
                                       float(iou_threshold))
        return np.asarray(keep, np.int64).reshape(-1)
    # mmcv's boxes for NMS: each class shifted by (its label) x (the largest
    # coordinate + 1), in float32 (the rounding decides ties at the threshold)
    xywh = _xywh(boxes.astype(np.float32) + (labels.astype(np.float32) *
                                              (boxes.max() + np.float32(1)))[:, None])
    kept = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        keep = cv2.dnn.NMSBoxesBatched(xywh[members], scores[members], np.zeros_like(members,
                                       np.int32), -np.inf, float(iou_threshold))
        kept.append(members[np.asarray(keep, np.int64).reshape(-1)])
    # best first; mmcv's torch sort leaves equal scores in no set order
    kept = np.sort(np.concatenate(kept))
    return kept[np.argsort(-scores[kept], kind='stable')]


def detections(boxes, scores, spec, image_hw):
    """mmdet's result for one image: (boxes Kx4, scores K, labels K), best
    first, from the graph's ``boxes`` (Nx4) and ``scores`` (NxC) for an image
    of ``image_hw`` (height, width) pixels (the resized image, before any
    padding)."""
    index, score, label = _candidates(boxes, scores, spec)
    picked = boxes[index].astype(np.float32)
    if spec['clip']:
        height, width = image_hw
        picked[:, 0::2] = picked[:, 0::2].clip(0, width)
        picked[:, 1::2] = picked[:, 1::2].clip(0, height)
    if spec.get('min_bbox_size', -1) >= 0:
        size = spec['min_bbox_size']
        big = ((picked[:, 2] - picked[:, 0]) > size) & ((picked[:, 3] - picked[:, 1]) > size)
        picked, score, label = picked[big], score[big], label[big]
    keep = batched_nms(picked, score, label, spec['iou_threshold'])
    for cap in (spec.get('max_num', -1), spec['max_per_img']):
        keep = keep[:cap] if cap > 0 else keep
    return picked[keep], score[keep].astype(np.float32), label[keep].astype(np.int64)
