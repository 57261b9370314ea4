"""The runtimes that run an exported network: onnxruntime and OpenVINO.

Each is imported only when an artifact made for it is opened.
"""
import importlib
import os.path as osp

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
    (docs/deploy.md); a new size costs one compile (~0.2-1 s)."""

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
        self.requests = {}  # input shape -> (compiled model, infer request), oldest first

    def _request(self, shape):
        if shape in self.requests:
            self.requests[shape] = self.requests.pop(shape)  # most recently used last
        else:
            if len(self.requests) >= self.max_shapes:
                self.requests.pop(next(iter(self.requests)))
            model = self.model.clone()
            model.reshape({0: self.ov.PartialShape(list(shape))})
            compiled = self.core.compile_model(model, 'CPU', self.config)
            self.requests[shape] = (compiled, compiled.create_infer_request())
        return self.requests[shape]

    def __call__(self, batch):
        compiled, request = self._request(batch.shape)
        results = request.infer({0: batch})
        return {out.get_any_name(): results[out] for out in compiled.outputs}


def open_network(folder, backend, threads=None, precision='f32'):
    if backend == 'onnxruntime':
        if precision != 'f32':
            raise ValueError('onnxruntime runs the file in the precision it was exported in; '
                             f'precision {precision!r} is for OpenVINO')
        return OnnxRuntimeNetwork(folder, threads)
    if backend == 'openvino':
        return OpenVINONetwork(folder, threads, precision)
    raise ArtifactError(f'backend {backend!r} is not supported')
