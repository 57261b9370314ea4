"""The runtimes that run an exported network: onnxruntime and OpenVINO.

Each is imported only when an artifact made for it is opened.
"""
import os.path as osp

import importlib

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
    def __init__(self, folder, threads=None, precision='f32'):
        ov = _runtime(folder, 'openvino')
        if precision not in OPENVINO_PRECISIONS:
            raise ValueError(f'OpenVINO precision {precision!r}: use one of {OPENVINO_PRECISIONS}')
        config = {'INFERENCE_PRECISION_HINT': precision, 'PERFORMANCE_HINT': 'LATENCY'}
        if threads:
            config['INFERENCE_NUM_THREADS'] = threads
        core = ov.Core()
        model = core.read_model(osp.join(folder, model_file('openvino')))
        self.compiled = core.compile_model(model, 'CPU', config)
        self.request = self.compiled.create_infer_request()
        self.output_names = [o.get_any_name() for o in self.compiled.outputs]

    def __call__(self, batch):
        results = self.request.infer({0: batch})
        return {name: results[out] for name, out in zip(self.output_names, self.compiled.outputs)}


def open_network(folder, backend, threads=None, precision='f32'):
    if backend == 'onnxruntime':
        if precision != 'f32':
            raise ValueError('onnxruntime runs the file in the precision it was exported in; '
                             f'precision {precision!r} is for OpenVINO')
        return OnnxRuntimeNetwork(folder, threads)
    if backend == 'openvino':
        return OpenVINONetwork(folder, threads, precision)
    raise ArtifactError(f'backend {backend!r} is not supported')
