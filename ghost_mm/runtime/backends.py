"""The runtimes that run an exported network: onnxruntime and OpenVINO.

Each is imported only when an artifact made for it is opened.
"""
import importlib
import os.path as osp
import threading

from .artifact import ArtifactError, model_file

OPENVINO_PRECISIONS = ('f32', 'bf16')
PACKAGES = {'onnxruntime': 'onnxruntime', 'openvino': 'openvino'}


def _runtime(folder, backend):
    try:
        return importlib.import_module(PACKAGES[backend])
    except ImportError as err:
        raise ArtifactError(f'{folder} was made for {backend}, which cannot be imported here '
                            f'({err}): pip install {PACKAGES[backend]}') from err


class OnnxRuntimeNetwork:
    def __init__(self, folder, threads=None):
        ort = _runtime(folder, 'onnxruntime')
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(osp.join(folder, model_file('onnxruntime')),
                                            options, providers=['CPUExecutionProvider'])
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [o.name for o in self.session.get_outputs()]

    def __call__(self, batch):
        return dict(zip(self.output_names, self.session.run(None, {self.input_name: batch})))


class OpenVINONetwork:
    """OpenVINO compiles a network for each input size it meets (at most
    ``max_shapes``, least recently used dropped): static shapes run ~1.6x
    faster than one dynamic-shape compile on GhostNet at 800x1344
    (docs/deploy.md); a new size costs one compile (~0.2-1 s).

    Safe to call from many threads at once: an OpenVINO infer request runs
    one inference at a time, so each call takes an idle request of the
    compiled network (or creates one) and gives it back afterwards; ``infer``
    returns copies of the outputs (``share_outputs=False``), which stay valid
    when the request is reused. Only the bookkeeping (and a compile of a new
    size) holds the lock, not the inference."""

    def __init__(self, folder, threads=None, precision='f32', max_shapes=4):
        self.ov = _runtime(folder, 'openvino')
        if precision not in OPENVINO_PRECISIONS:
            raise ValueError(f'OpenVINO precision {precision!r}: use one of {OPENVINO_PRECISIONS}')
        self.config = {'INFERENCE_PRECISION_HINT': precision, 'PERFORMANCE_HINT': 'LATENCY'}
        if threads:
            self.config['INFERENCE_NUM_THREADS'] = threads
        self.core = self.ov.Core()
        self.model = self.core.read_model(osp.join(folder, model_file('openvino')))
        self.max_shapes = max_shapes
        self.compiled = {}  # input shape -> (compiled model, idle requests), oldest first
        self._lock = threading.Lock()

    def _take_request(self, shape):
        with self._lock:
            if shape in self.compiled:
                self.compiled[shape] = self.compiled.pop(shape)  # most recently used last
            else:
                if len(self.compiled) >= self.max_shapes:
                    self.compiled.pop(next(iter(self.compiled)))
                model = self.model.clone()
                model.reshape({0: self.ov.PartialShape(list(shape))})
                self.compiled[shape] = (self.core.compile_model(model, 'CPU', self.config), [])
            compiled, idle = self.compiled[shape]
            request = idle.pop() if idle else compiled.create_infer_request()
        return compiled, idle, request

    def __call__(self, batch):
        compiled, idle, request = self._take_request(batch.shape)
        try:
            # copies, not views of the buffers the request's next inference overwrites
            results = request.infer({0: batch}, share_outputs=False)
            return {out.get_any_name(): results[out] for out in compiled.outputs}
        finally:
            with self._lock:
                idle.append(request)


def open_network(folder, backend, threads=None, precision='f32'):
    if backend == 'onnxruntime':
        if precision != 'f32':
            raise ValueError('onnxruntime runs the file in the precision it was exported in; '
                             f'precision {precision!r} is for OpenVINO')
        return OnnxRuntimeNetwork(folder, threads)
    if backend == 'openvino':
        return OpenVINONetwork(folder, threads, precision)
    raise ArtifactError(f'backend {backend!r} is not supported')
