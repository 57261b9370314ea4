"""Exported graphs: the tensor graph of a backbone or model
(:mod:`.tensor_graph`, for parity checks and custom runtimes) and the whole
deployable model with pre- and post-processing (:mod:`.deployable`)."""
from .tensor_graph import TensorGraph, build_from_config, export_onnx, load_model

__all__ = ['TensorGraph', 'build_from_config', 'export_onnx', 'load_model',
           'export_deployable']


def __getattr__(name):  # the deploy stack (mmdeploy, runtimes) loads on first use
    if name == 'export_deployable':
        from .deployable import export_deployable
        return export_deployable
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
