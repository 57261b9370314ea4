"""The runtimes that run an exported network: onnxruntime, OpenVINO and ncnn.

Each is imported only when an artifact made for it is opened.
"""
import collections
import importlib
import itertools
import os.path as osp
import threading

import numpy as np

from . import postprocess
from .artifact import COMPANIONS, ArtifactError, model_file, read_meta

OPENVINO_PRECISIONS = ('f32', 'bf16')
PACKAGES = {'onnxruntime': 'onnxruntime', 'openvino': 'openvino', 'ncnn': 'ncnn'}


def _runtime(folder, backend):
    try:
        return importlib.import_module(PACKAGES[backend])
    except ImportError as err:
        raise ArtifactError(f'{folder} was made for {backend}, which cannot be imported here '
                            f'({err}): pip install {PACKAGES[backend]}') from err


MODES = ('latency', 'throughput')


def check_mode(mode):
    if mode not in MODES:
        raise ValueError(f'mode {mode!r}: use one of {MODES}')


class OnnxRuntimeNetwork:
    """onnxruntime sessions (each safe to run from many threads at once).

    ``latency`` mode: one session with all the threads. ``throughput`` mode:
    ``workers`` sessions with ``threads // workers`` threads each, the calls
    handed out in turn, so that calls in flight run side by side on their own
    threads (concurrent runs of one session share its one intra-op pool)."""

    def __init__(self, folder, threads=None, mode='latency', workers=2):
        ort = _runtime(folder, 'onnxruntime')
        self.workers = workers if mode == 'throughput' else 1
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = max(1, threads // self.workers)
            options.inter_op_num_threads = 1
        path = osp.join(folder, model_file('onnxruntime'))
        self.sessions = [ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
                         for _ in range(self.workers)]
        self._turn = itertools.count()  # next() is atomic: no lock needed
        self.input_name = self.sessions[0].get_inputs()[0].name
        self.output_names = [o.name for o in self.sessions[0].get_outputs()]

    def __call__(self, batch):
        session = self.sessions[next(self._turn) % len(self.sessions)]
        return dict(zip(self.output_names, session.run(None, {self.input_name: batch})))


class _Compiled:
    """A compiled network and its idle infer requests."""

    def __init__(self, compiled):
        self.compiled, self.idle = compiled, []


class OpenVINONetwork:
    """An OpenVINO network for inputs of any size.

    A static-shape compile runs fastest, but costs ~0.2-1 s per size, which a
    folder of photos of many sizes paid per image. So one network compiled
    with dynamic height and width (when the model is opened) runs any size at
    once; a size met ``static_after`` times gets its own static compile, made
    by the call that asks for it outside the lock (other calls of that size
    keep running on the dynamic network meanwhile). At most ``max_shapes``
    static networks are kept; when full, a size replaces the least used one
    only if it has been met more often (so sizes that recur in turn do not
    evict each other over and over). ``new_shapes='compile'``: every new size
    compiled at once, the least recently used dropped (the former way, with
    ``max_shapes=4``). Measured in
    ``tools/benchmark.py --serving`` (docs/serving.md).

    Safe to call from many threads at once: an OpenVINO infer request runs
    one inference at a time, so each call takes an idle request of its
    compiled network (or creates one) and gives it back afterwards; ``infer``
    returns copies of the outputs (``share_outputs=False``), which stay valid
    when the request is reused. Only that bookkeeping holds the lock.

    ``throughput`` mode compiles with OpenVINO's THROUGHPUT hint (the threads
    split into streams, several inferences at once); ``workers`` is then the
    number of requests the compiled network says keep it busy. There
    ``max_shapes`` defaults to 2, not 16: with the streams busy, a static
    network ran no faster than the any-size one (one size: 0.97-1.06x), and
    16 of them, met in turn, ran a folder of 24 recurring sizes at 0.71-0.74x
    of one size against 0.94-0.96x with 2 (``tools/benchmark.py --serving``,
    docs/serving.md)."""

    NEW_SHAPES = ('dynamic', 'compile')
    MAX_SHAPES = {'latency': 16, 'throughput': 2}

    def __init__(self, folder, threads=None, precision='f32', mode='latency', max_shapes=None,
                 new_shapes='dynamic', static_after=2):
        self.ov = _runtime(folder, 'openvino')
        if precision not in OPENVINO_PRECISIONS:
            raise ValueError(f'OpenVINO precision {precision!r}: use one of {OPENVINO_PRECISIONS}')
        if new_shapes not in self.NEW_SHAPES:
            raise ValueError(f'new_shapes {new_shapes!r}: use one of {self.NEW_SHAPES}')
        check_mode(mode)
        max_shapes = self.MAX_SHAPES[mode] if max_shapes is None else max_shapes
        if max_shapes < 1 or static_after < 1:
            raise ValueError(f'max_shapes ({max_shapes}) and static_after ({static_after}) '
                             'must be 1 or more')
        self.config = {'INFERENCE_PRECISION_HINT': precision,
                       'PERFORMANCE_HINT': 'THROUGHPUT' if mode == 'throughput' else 'LATENCY'}
        if threads:
            self.config['INFERENCE_NUM_THREADS'] = threads
        self.core = self.ov.Core()
        self.model = self.core.read_model(osp.join(folder, model_file('openvino')))
        self.new_shapes, self.static_after = new_shapes, static_after
        self.max_shapes = max_shapes
        self.static = {}  # input shape -> _Compiled, least recently used first
        self.seen = collections.Counter()  # times each size was met (bounded below)
        self.compiling = set()
        self._lock = threading.Lock()
        self.dynamic = _Compiled(self._compile(None)) if new_shapes == 'dynamic' else None
        probe = self.dynamic.compiled if self.dynamic else None
        self.workers = 1 if mode == 'latency' else \
            int((probe or self.core.compile_model(self.model, 'CPU', self.config))
                .get_property('OPTIMAL_NUMBER_OF_INFER_REQUESTS'))

    def _compile(self, shape):
        """The network compiled for ``shape`` (None: any height and width)."""
        model = self.model.clone()
        dims = list(model.input(0).get_partial_shape())
        dims[2:] = [-1, -1] if shape is None else list(shape[2:])
        model.reshape({0: self.ov.PartialShape(dims)})
        return self.core.compile_model(model, 'CPU', self.config)

    def _route(self, shape):
        """Under the lock: (the network to run ``shape`` on, whether this call
        must compile ``shape`` first)."""
        self.seen[shape] += 1  # compiled sizes too: how often, not only how often before
        if len(self.seen) > 256 * self.max_shapes:  # sizes met long ago: forget them
            self.seen = collections.Counter({k: v for k, v in self.seen.items()
                                             if k in self.static or k == shape})
        if shape in self.static:
            self.static[shape] = self.static.pop(shape)  # most recently used last
            return self.static[shape], False
        if shape in self.compiling and self.dynamic is not None:
            return self.dynamic, False
        due = self.new_shapes == 'compile' or self.seen[shape] >= self.static_after
        if due and (len(self.static) < self.max_shapes or self.new_shapes == 'compile' or
                    self.seen[shape] > min(self.seen[k] for k in self.static)):
            self.compiling.add(shape)
            return None, True
        return self.dynamic, False

    def _admit(self, shape, compiled):
        """Under the lock: keep a new static network, evicting if full (the
        least recently used in 'compile' mode, else the least often met)."""
        self.compiling.discard(shape)
        if shape in self.static:  # another call compiled it meanwhile ('compile' mode)
            return self.static[shape]
        if len(self.static) >= self.max_shapes:
            victim = next(iter(self.static)) if self.new_shapes == 'compile' else \
                min(self.static, key=lambda k: self.seen[k])
            del self.static[victim]
        self.static[shape] = _Compiled(compiled)
        return self.static[shape]

    def _take_request(self, shape):
        with self._lock:
            network, compile_first = self._route(shape)
        if compile_first:
            try:
                compiled = self._compile(shape)  # outside the lock: the others go on
            except Exception:
                with self._lock:
                    self.compiling.discard(shape)
                raise
            with self._lock:
                network = self._admit(shape, compiled)
        with self._lock:
            request = network.idle.pop() if network.idle else \
                network.compiled.create_infer_request()
        return network, request

    def __call__(self, batch):
        network, request = self._take_request(tuple(batch.shape))
        try:
            # copies, not views of the buffers the request's next inference overwrites
            results = request.infer({0: batch}, share_outputs=False)
            return {out.get_any_name(): results[out] for out in network.compiled.outputs}
        finally:
            with self._lock:
                network.idle.append(request)


class NcnnNetwork:
    """An ncnn network (from pnnx) and what its graph leaves to the runtime.

    ncnn's graph has one static input size (pnnx folds the priors of that
    size into it), takes the normalised image and stops before the steps
    ncnn has no layers for: here the input is normalised and padded (bottom,
    right) to that size, and detections get mmdet's post-processing
    (:mod:`.postprocess`). Outputs are those of the other backends' graphs
    (boxes, scores, labels / seg_logits), so :class:`~ghost_mm.runtime.DeployedModel` treats all alike.

    Safe from many threads: one ``ncnn.Net`` is shared and each call makes its
    own extractor, as ncnn intends. ``throughput`` mode: the threads split
    between ``workers`` calls in flight."""

    def __init__(self, folder, meta, threads=None, mode='latency', workers=2):
        ncnn = _runtime(folder, 'ncnn')
        self.task, self.spec, self.post = meta['task'], meta['ncnn'], meta['postprocess']
        graph = meta['preprocess']['in_runtime']  # done here, not in ncnn's graph
        self.bgr_to_rgb, self.pad_value = graph['bgr_to_rgb'], graph['pad_value']
        self.mean = np.asarray(graph['mean'], np.float32).reshape(3, 1, 1)
        self.std = np.asarray(graph['std'], np.float32).reshape(3, 1, 1)
        self.workers = workers if mode == 'throughput' else 1
        self.ncnn = ncnn
        self.net = ncnn.Net()
        opt = self.net.opt
        opt.num_threads = max(1, (threads or 2) // self.workers)
        fp16 = meta['precision'] == 'fp16'  # fp32 artifacts run in fp32 on every CPU
        opt.use_fp16_storage = opt.use_fp16_packed = opt.use_fp16_arithmetic = fp16
        opt.use_bf16_storage = False
        for load, name in ((self.net.load_param, model_file('ncnn')),
                           (self.net.load_model, COMPANIONS['ncnn'][0])):
            if load(osp.join(folder, name)) != 0:
                raise ArtifactError(f'{folder}: ncnn could not read {name} (corrupt, or '
                                    f'written by another ncnn version)')

    def _input(self, batch):
        """``batch`` (1x3xhxw BGR 0-255) normalised and padded to the graph's size."""
        height, width = self.spec['input_size']
        h, w = batch.shape[2:]
        if h > height or w > width:
            raise ValueError(f'a {h}x{w} input does not fit the ncnn graph\'s {height}x{width}')
        x = batch[0, ::-1] if self.bgr_to_rgb else batch[0]
        canvas = np.full((3, height, width), self.pad_value, np.float32)
        canvas[:, :h, :w] = (x - self.mean) / self.std
        return canvas

    def __call__(self, batch):
        image = self._input(batch)  # ncnn.Mat wraps it without a copy: keep it alive
        extractor = self.net.create_extractor()
        extractor.input(self.spec['input'], self.ncnn.Mat(image))
        outputs = []
        for name in self.spec['outputs']:
            status, mat = extractor.extract(name)
            if status != 0:
                raise RuntimeError(f'ncnn could not compute output {name!r} ({status})')
            outputs.append(np.array(mat))  # a copy
        del image
        h, w = batch.shape[2:]
        if self.task == 'segmentation':
            return {'seg_logits': outputs[0].reshape(1, -1, *self.spec['input_size'])}
        boxes, scores = outputs[0].reshape(-1, 4), outputs[1]
        boxes, scores, labels = postprocess.detections(
            boxes, scores.reshape(len(boxes), -1), self.post, (h, w))
        return {'boxes': boxes[None], 'scores': scores[None], 'labels': labels[None]}


def open_network(folder, backend, threads=None, precision='f32', mode='latency', meta=None):
    """The network of the artifact in ``folder``; ``meta``: its deploy.json
    if already read (ncnn's network reads what its graph leaves to it there)."""
    check_mode(mode)
    if backend == 'onnxruntime':
        if precision != 'f32':
            raise ValueError('onnxruntime runs the file in the precision it was exported in; '
                             f'precision {precision!r} is for OpenVINO')
        return OnnxRuntimeNetwork(folder, threads, mode)
    if backend == 'openvino':
        return OpenVINONetwork(folder, threads, precision, mode=mode)
    if backend == 'ncnn':
        if precision != 'f32':
            raise ValueError('ncnn runs the file in the precision it was exported in; '
                             f'precision {precision!r} is for OpenVINO')
        return NcnnNetwork(folder, meta or read_meta(folder, 'ncnn'), threads, mode)
    raise ArtifactError(f'backend {backend!r} is not supported')
