"""A deployed detector serving images (``--serving``, ``--soak N``,
``--soak-clip FRAMES``): images/s one at a time vs ``predict_many``
(throughput mode), a folder of one size vs one whose images all differ in
size, the ways OpenVINO can meet a new size, and resident memory over
thousands of predictions and over a long clip.

Like for like: every ratio divides two rows of the same artifact on the same
runtime with the same threads. The artifact is the RetinaNet quick start
(320 px) with its own untrained initialisation (RetinaHead's prior, so NMS
sees what a trained detector gives it)."""
import os
import threading
import time

import numpy as np

from .paths import ROOT
from .timing import rss_mb

SERVING_CONFIG = os.path.join(ROOT, 'configs/quickstart/retinanet_ghostnet_coco-sample.py')
SAMPLE_FOLDERS = [os.path.join(ROOT, 'samples/coco', split) for split in ('train2017', 'val2017')]
SERVING_IMAGES = 24
# OpenVINO's ways of meeting a size it has not compiled (OpenVINONetwork arguments)
OPENVINO_WAYS = {
    'new size on the dynamic network, static compile when met again (default)': {},
    'every new size compiled at once, 4 kept (before)': dict(new_shapes='compile', max_shapes=4),
    'every new size compiled at once, 64 kept': dict(new_shapes='compile', max_shapes=64),
    'dynamic network only': dict(static_after=10 ** 9),
}


def sample_images():
    import cv2
    return [cv2.imread(os.path.join(folder, name)) for folder in SAMPLE_FOLDERS
            for name in sorted(os.listdir(folder))]


def varied_images(policy, count=SERVING_IMAGES, seed=0):
    """``count`` crops of the sample's photos, no two of the same network
    input size under ``policy`` (deploy.json's ``preprocess``): a folder of
    phone photos, scans and screenshots, each a size the runtime has not met."""
    from ghost_mm.runtime.preprocess import prepare
    rng = np.random.default_rng(seed)
    photos, images, sizes = sample_images(), [], set()
    while len(images) < count:
        photo = photos[len(images) % len(photos)]
        height, width = photo.shape[:2]
        h, w = int(height * rng.uniform(0.3, 1)), int(width * rng.uniform(0.3, 1))
        crop = np.ascontiguousarray(photo[:h, :w])
        size = prepare(crop, policy)[0].shape
        if size not in sizes:
            sizes.add(size)
            images.append(crop)
    return images


def serving_artifacts(workdir):
    """{backend: artifact folder} of the quick start, exported by tools/deploy.py's function."""
    import torch

    from ghost_mm.export.deployable import export_deployable

    from .ghost_everywhere import initialised
    checkpoint = os.path.join(workdir, 'serving.pth')
    torch.save({'state_dict': initialised(SERVING_CONFIG).state_dict()}, checkpoint)
    artifacts = {}
    for backend in ('onnxruntime', 'openvino'):
        artifacts[backend] = os.path.join(workdir, f'serving-{backend}')
        export_deployable(SERVING_CONFIG, checkpoint, artifacts[backend], backend, False, None,
                          cfg_options={'model.backbone.init_cfg': None}, log=lambda *_: None)
    return artifacts


def _open(artifact, threads, mode, way):
    """The artifact's DeployedModel; ``way``: OpenVINONetwork arguments."""
    from ghost_mm.runtime import DeployedModel
    from ghost_mm.runtime.backends import OpenVINONetwork
    model = DeployedModel(artifact, threads, mode=mode)
    if way:
        model.network = OpenVINONetwork(artifact, threads, mode=mode, **way)
    return model


def images_per_second(artifact, threads, images, warm, many, way=None):
    """Images/s over ``images`` on a model just opened and warmed up on each
    of ``warm`` twice (so the sizes met there are compiled, as in a long run)."""
    model = _open(artifact, threads, 'throughput' if many else 'latency', way)
    for image in list(warm) * 2:
        model.predict(image)
    start = time.perf_counter()
    if many:
        for _ in model.predict_many(images):
            pass
    else:
        for image in images:
            model.predict(image)
    return len(images) / (time.perf_counter() - start)


# images kind -> (the images timed, the images the model is warmed up on)
KINDS = ('one size', 'all sizes differ, first met', 'all sizes differ, each met before')


def serving_cases(artifacts):
    """{row: (artifact, images kind, predict_many?, OpenVINO way)}."""
    cases = {}
    for backend, artifact in artifacts.items():
        for many, how in ((False, 'one at a time'), (True, 'predict_many, throughput mode')):
            for kind in KINDS:
                cases[f'{backend}, {how}, {kind}'] = (artifact, kind, many, None)
    for way, options in OPENVINO_WAYS.items():
        if options:
            cases[f'openvino, one at a time, {KINDS[1]}, {way}'] = (
                artifacts['openvino'], KINDS[1], False, options)
    return cases


def serving_rows(threads, rounds, artifacts):
    """Images/s of each case (best of ``rounds`` interleaved rounds, each on a
    freshly opened model) and the ratios that divide like by like."""
    from ghost_mm.runtime import read_meta
    photo = sample_images()[0]
    varied = varied_images(read_meta(artifacts['openvino'])['preprocess'])
    kinds = {KINDS[0]: ([photo] * len(varied), [photo]), KINDS[1]: (varied, [photo]),
             KINDS[2]: (varied, varied)}
    cases = serving_cases(artifacts)
    rates = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (artifact, kind, many, way) in cases.items():
            timed, warm = kinds[kind]
            rates[name].append(images_per_second(artifact, threads, timed, warm, many, way))
    rows = {name: dict(images_per_s=max(r), images=len(varied)) for name, r in rates.items()}
    return rows, serving_ratios(rows)


def serving_ratios(rows):
    """Each divides two rows of one artifact on one runtime: the same images
    met first vs met before (like for like: the same work), met first vs one
    size (the folder-of-photos case against a folder of one size), and
    predict_many vs one at a time."""
    ratios = {}
    for backend in ('onnxruntime', 'openvino'):
        for how in ('one at a time', 'predict_many, throughput mode'):
            rate = {k: rows[f'{backend}, {how}, {k}']['images_per_s'] for k in KINDS}
            ratios[f'{backend}, {how}: sizes first met / the same sizes met before'] = \
                rate[KINDS[1]] / rate[KINDS[2]]
            ratios[f'{backend}, {how}: sizes first met / one size'] = \
                rate[KINDS[1]] / rate[KINDS[0]]
        for kind in KINDS:
            ratios[f'{backend}, {kind}: predict_many / one at a time'] = (
                rows[f'{backend}, predict_many, throughput mode, {kind}']['images_per_s']
                / rows[f'{backend}, one at a time, {kind}']['images_per_s'])
    return ratios


def memory_growth(samples, warm_until):
    """Resident memory after warm-up (the first sample at or past
    ``warm_until``), at the end and at most, and the growth from the first to
    the second; ``samples``: [(predictions or seconds so far, MB)]."""
    after_warmup = next(mb for at, mb in samples if at >= warm_until)
    end = samples[-1][1]
    return dict(rss_after_warmup_mb=after_warmup, rss_end_mb=end,
                rss_max_mb=max(mb for _, mb in samples), growth=end / after_warmup - 1)


def _said(row):
    return (f'resident memory {row["rss_after_warmup_mb"]:.0f} MB after warm-up, '
            f'{row["rss_end_mb"]:.0f} MB at the end ({100 * row["growth"]:+.1f}%, '
            'target <= +5%)')


def soak(artifacts, threads, predictions, warmup=0.1, log=print):
    """``predictions`` predictions over images of many sizes through
    ``predict_many`` on each backend; resident memory sampled every 100,
    its growth measured from the end of the warm-up (the first ``warmup``
    of the run) to the end."""
    from ghost_mm.runtime import read_meta
    if predictions < 200:
        raise ValueError(f'--soak {predictions}: give 200 or more (memory is sampled every 100)')
    varied = varied_images(read_meta(artifacts['openvino'])['preprocess'])
    rows = {}
    for backend, artifact in artifacts.items():
        model = _open(artifact, threads, 'throughput', None)
        stream = (varied[i % len(varied)] for i in range(predictions))
        samples, start = [], time.perf_counter()
        for i, _ in enumerate(model.predict_many(stream)):
            if i % 100 == 99:
                samples.append((i + 1, rss_mb()))
        seconds = time.perf_counter() - start
        rows[backend] = dict(predictions=predictions, seconds=seconds,
                             **memory_growth(samples, max(100, warmup * predictions)))
        log(f'soak {backend}: {predictions} predictions in {seconds:.0f} s, '
            f'{_said(rows[backend])}')
    return rows


def write_clip(path, frames, size=(640, 480), fps=30):
    """A ``frames``-long MJPG clip at ``path``: a slow pan across each of the
    sample's photos in turn (5 s each), as a camera would film them."""
    import cv2
    photos = [cv2.resize(p, (size[0] * 3 // 2, size[1] * 3 // 2)) for p in sample_images()]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), fps, size)
    try:
        for i in range(frames):
            photo, step = photos[i // (5 * fps) % len(photos)], i % (5 * fps)
            x = step * (photo.shape[1] - size[0]) // (5 * fps)
            y = step * (photo.shape[0] - size[1]) // (5 * fps)
            writer.write(np.ascontiguousarray(photo[y:y + size[1], x:x + size[0]]))
    finally:
        writer.release()
    return path


class _MemorySampler:
    """Resident memory every ``every`` seconds, from a thread, while in the
    ``with`` block: ``samples`` is [(seconds since the start, MB)]."""

    def __init__(self, every=0.25):
        self.every, self.samples, self._stop = every, [], threading.Event()

    def _run(self):
        start = time.perf_counter()
        while not self._stop.wait(self.every):
            self.samples.append((time.perf_counter() - start, rss_mb()))

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()


def soak_clip(artifacts, threads, frames, workdir, warmup=0.1, log=print):
    """A ``frames``-long clip through ``infer_video`` (tools/infer_deployed.py
    CLIP: decode, predict_many, draw, encode, per-frame json) on each backend;
    resident memory sampled every 0.25 s, its growth measured from the end of
    the warm-up (the first ``warmup`` of the run's time) to the end."""
    from ghost_mm.runtime.video import infer_video
    if frames < 300:
        raise ValueError(f'--soak-clip {frames}: give 300 frames or more')
    clip = write_clip(os.path.join(workdir, 'soak.avi'), frames)
    rows = {}
    for backend, artifact in artifacts.items():
        with _MemorySampler() as memory:
            done = infer_video(artifact, clip, os.path.join(workdir, f'soak-{backend}'),
                               threads=threads, show=False, log=lambda *_: None)
        seconds = memory.samples[-1][0]
        rows[backend] = dict(frames=done['frames'], seconds=seconds, fps=done['fps'],
                             **memory_growth(memory.samples, warmup * seconds))
        log(f'soak clip {backend}: {done["frames"]} frames in {seconds:.0f} s '
            f'({done["fps"]:.1f} FPS), {_said(rows[backend])}')
    return rows


def serving_markdown(rows, ratios, threads, soak_rows=None, clip_rows=None):
    """docs/serving.md's table from ``rows`` (if run) and the soaks' (if run)."""
    lines = []
    if rows:
        lines += [f'| case ({threads} threads, {next(iter(rows.values()))["images"]} images) '
                  '| images/s |', '|---|---:|']
        lines += [f'| {name} | {row["images_per_s"]:.1f} |' for name, row in rows.items()]
        lines += ['', '| ratio (same artifact, same runtime) | |', '|---|---:|']
        lines += [f'| {name} | {value:.2f}x |' for name, value in ratios.items()]
    if soak_rows:
        lines += ['', '| soak | predictions | seconds | MB after warm-up | MB at the end '
                  '| growth |', '|---|---:|---:|---:|---:|---:|']
        lines += [f'| {backend} | {r["predictions"]} | {r["seconds"]:.0f} | '
                  f'{r["rss_after_warmup_mb"]:.0f} | {r["rss_end_mb"]:.0f} | '
                  f'{100 * r["growth"]:+.1f}% |' for backend, r in soak_rows.items()]
    if clip_rows:
        lines += ['', '| soak, a long clip (infer_video) | frames | seconds | FPS '
                  '| MB after warm-up | MB at the end | growth |',
                  '|---|---:|---:|---:|---:|---:|---:|']
        lines += [f'| {backend} | {r["frames"]} | {r["seconds"]:.0f} | {r["fps"]:.1f} | '
                  f'{r["rss_after_warmup_mb"]:.0f} | {r["rss_end_mb"]:.0f} | '
                  f'{100 * r["growth"]:+.1f}% |' for backend, r in clip_rows.items()]
    return '\n'.join(lines) + '\n'
