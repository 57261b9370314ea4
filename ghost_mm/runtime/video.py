"""A deployed model on video: a file or a camera in, the annotated video (same
size and frame rate, the measured FPS in a corner) and a per-frame json out,
with numpy, OpenCV and the runtime only (``tools/infer_deployed.py CLIP`` or
``--camera N``)."""
import collections
import contextlib
import os
import os.path as osp
import time

import cv2
import numpy as np

from .predictor import DeployedModel
from .results import detections_to_json, draw_detections, draw_label_map, write_json

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg', '.mpeg')
# what VideoWriter writes for an output extension (OpenCV's own encoders)
FOURCC = {'.mp4': 'mp4v', '.avi': 'MJPG', '.mov': 'mp4v', '.mkv': 'MJPG'}


def is_video(path):
    return str(path).lower().endswith(VIDEO_EXTENSIONS)


def open_video(source):
    """(capture, frame rate, (width, height)) of a video file or, for an int,
    a camera; a clear error when it cannot be opened."""
    camera = isinstance(source, int)
    if not camera and not osp.isfile(source):
        raise FileNotFoundError(f'video not found: {source}')
    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        raise ValueError(f'{"camera " if camera else ""}{source} could not be opened as a '
                         f'video ({", ".join(VIDEO_EXTENSIONS)}, or a camera index)')
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    return capture, capture.get(cv2.CAP_PROP_FPS) or 30.0, size


def output_path(out_dir, name):
    """``out_dir/name`` with an extension OpenCV writes here (else ``.mp4``);
    the folder is made."""
    stem, ext = osp.splitext(name)
    os.makedirs(out_dir, exist_ok=True)
    return osp.join(out_dir, stem + (ext.lower() if ext.lower() in FOURCC else '.mp4'))


@contextlib.contextmanager
def video_writer(path, fps, size):
    """A ``cv2.VideoWriter`` writing ``path`` through ``<path>.partial<ext>``,
    closed and renamed into place however the block ends (a playable file)."""
    ext = osp.splitext(path)[1]
    partial = path + '.partial' + ext
    writer = cv2.VideoWriter(partial, cv2.VideoWriter_fourcc(*FOURCC[ext]), fps, size)
    try:
        yield writer
    finally:
        writer.release()
        os.replace(partial, path)


def _frames(capture, on_bad_frame, indices):
    """The capture's frames (their indices appended to ``indices``); a frame
    that fails to decode mid-stream is named and skipped (a stream ends when
    OpenCV says so, or after 10 bad frames in a row)."""
    index, bad_in_a_row = 0, 0
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    while True:
        ok, frame = capture.read()
        if ok and frame is not None:
            bad_in_a_row = 0
            indices.append(index)
            yield frame
        else:
            if total <= 0 or index >= total or bad_in_a_row >= 10:
                return
            bad_in_a_row += 1
            on_bad_frame(index, ValueError(f'frame {index} could not be decoded'))
        index += 1


def _draw(model, frame, result, score_thr, fps):
    picture = draw_detections(frame, result, model.classes, score_thr) \
        if model.task == 'detection' else draw_label_map(frame, result, model.meta['palette'])
    cv2.putText(picture, f'{fps:.1f} FPS', (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7,
                (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(picture, f'{fps:.1f} FPS', (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7,
                (255, 255, 255), 1, cv2.LINE_AA)
    return picture


def _frame_json(model, result):
    """A frame's boxes, or a segmentor's pixel count per class present."""
    if model.task == 'detection':
        return detections_to_json(result, model.classes)
    labels, counts = np.unique(result, return_counts=True)
    return {model.classes[label]: int(count) for label, count in zip(labels, counts)
            if label < len(model.classes)}


def infer_video(artifact, source, out_dir, score_thr=0.3, threads=None, precision='f32',
                show=None, log=print, max_frames=None, mode='throughput'):
    """Predict every frame of ``source`` (a video file, or an int: a camera
    index) and write ``out_dir/<name>`` (the annotated video, same size and
    frame rate, the measured FPS drawn) and ``out_dir/<name>.json`` (the
    frame's boxes or classes, per frame). ``show``: also show a window
    (default: when a display is there). Ctrl-C or the end of the stream
    closes the video file cleanly; the json is written whole either way.
    Returns ``{'frames': n, 'fps': measured}``."""
    capture, fps, (width, height) = open_video(source)
    out_path = output_path(out_dir, f'camera{source}.mp4' if isinstance(source, int)
                           else osp.basename(source))
    name = osp.basename(out_path)
    show = bool(os.environ.get('DISPLAY')) if show is None else show
    model = DeployedModel(artifact, threads, precision, mode)
    per_frame, skipped, start = [], [], time.perf_counter()

    def bad_frame(index, err):
        skipped.append(index)
        log(f'{source}: skipped frame {index}: {err}')
    indices = collections.deque()  # capture index of each frame handed on, in order
    frames = _frames(capture, bad_frame, indices)
    if max_frames:
        frames = (f for _, f in zip(range(max_frames), frames))
    try:
        with video_writer(out_path, fps, (width, height)) as writer:
            for prediction in model.predict_many(frames):
                measured = (len(per_frame) + 1) / (time.perf_counter() - start)
                picture = _draw(model, prediction.image, prediction.result, score_thr, measured)
                writer.write(picture)
                per_frame.append({'frame': indices.popleft(),
                                  'result': _frame_json(model, prediction.result)})
                if show:
                    cv2.imshow(name, picture)
                    if cv2.waitKey(1) & 0xFF in (ord('q'), 27):
                        break
    except KeyboardInterrupt:
        log(f'stopped after {len(per_frame)} frames: closing {out_path}')
    finally:
        capture.release()
        if show:
            cv2.destroyAllWindows()
        measured = len(per_frame) / max(time.perf_counter() - start, 1e-9)
        write_json(out_path + '.json', {'source': str(source), 'fps_in': fps,
                                        'fps_measured': measured, 'size': [width, height],
                                        'skipped_frames': skipped, 'frames': per_frame})
    log(f'{len(per_frame)} frames at {measured:.1f} FPS -> {out_path}')
    return {'frames': len(per_frame), 'fps': measured, 'video': out_path}
