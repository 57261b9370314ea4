"""Shared by the tests that compare two computations of the same network."""
import pathlib

import cv2


def randomise_bn(model, seed=0):
    """BN statistics and affine parameters far from identity (running means
    spread twice as far as the benchmark's trained-like ones), so that a
    wrong BN mapping or fold cannot pass a comparison. Returns ``model``."""
    from ghost_mm.benchmark.realtime import trained_like_norms
    return trained_like_norms(model, seed, mean_std=0.2)


def box_iou(a, b):
    """IoU of two COCO-format boxes (x, y, w, h)."""
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def match_detections(expected, got, min_score):
    """Each ``expected`` COCO result scoring ``min_score`` or more, paired with
    the ``got`` result of its image and category that overlaps it most:
    returns [(expected, best match or None, IoU)]."""
    pairs = []
    for e in expected:
        if e['score'] < min_score:
            continue
        candidates = [g for g in got if g['image_id'] == e['image_id']
                      and g['category_id'] == e['category_id']]
        best = max(candidates, key=lambda g: box_iou(e['bbox'], g['bbox']), default=None)
        pairs.append((e, best, box_iou(e['bbox'], best['bbox']) if best else 0.0))
    return pairs


def label_map_agreement(expected_dir, got_dir):
    """Fraction of pixels on which the label-map PNGs under ``got_dir`` (the
    runtime's, named by image stem) equal mmseg's under ``expected_dir``."""
    import cv2
    agree = total = 0
    expected = sorted(pathlib.Path(expected_dir).rglob('*.png'))
    assert expected, f'no label maps under {expected_dir}'
    for path in expected:
        want = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        stem = path.name.replace('_leftImg8bit', '').rsplit('.', 1)[0]
        have = cv2.imread(str(next(pathlib.Path(got_dir).glob(f'{stem}*.png'))),
                          cv2.IMREAD_UNCHANGED)
        assert have.shape == want.shape, path
        agree += int((have == want).sum())
        total += want.size
    return agree / total


def read_video(path):
    """(every frame of the video at ``path``, its frame rate), read by OpenCV."""
    capture, frames = cv2.VideoCapture(str(path)), []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    return frames, capture.get(cv2.CAP_PROP_FPS)
