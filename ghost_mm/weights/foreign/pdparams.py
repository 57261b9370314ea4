"""PaddlePaddle ``.pdparams`` files, read without PaddlePaddle.

``paddle.save(model.state_dict(), path)`` pickles a dict of numpy arrays
(parameter name -> array) plus, in Paddle >= 2.1, a
``'StructuredToParameterName@@'`` dict of names. The unpickler here accepts
exactly that: the numpy array/dtype/scalar constructors (under NumPy 1's
``numpy.core`` or NumPy 2's ``numpy._core`` names), ``collections.OrderedDict``
and ``_codecs.encode`` (protocol-2 bytes); any other global in the file is
refused with its name before anything runs, as ``torch.load(weights_only=True)``
refuses it.
"""
import collections
import io
import pickle

import numpy as np

NAME_TABLE_KEY = 'StructuredToParameterName@@'


class PdparamsError(ValueError):
    """A file that is not a plain Paddle weights pickle; the message says why."""


def _numpy_core():
    return getattr(np, '_core', None) or np.core


def _allowed():
    import _codecs
    core = _numpy_core()
    allowed = {('collections', 'OrderedDict'): collections.OrderedDict,
               ('_codecs', 'encode'): _codecs.encode,
               ('numpy', 'ndarray'): np.ndarray,
               ('numpy', 'dtype'): np.dtype}
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        allowed[(module, '_reconstruct')] = core.multiarray._reconstruct
        allowed[(module, 'scalar')] = core.multiarray.scalar
    return allowed


class _ArraysOnly(pickle.Unpickler):
    def __init__(self, file, source):
        super().__init__(file)
        self.source = source
        self.allowed = _allowed()

    def find_class(self, module, name):
        if (module, name) in self.allowed:
            return self.allowed[(module, name)]
        raise PdparamsError(
            f'{self.source}: refused {module}.{name} in the pickle: a .pdparams file holds '
            f'only arrays and containers (numpy arrays, dicts); nothing else is run')


def read_pdparams(path):
    """``{name: numpy array}`` of a ``.pdparams`` file (the name table, if any,
    under ``NAME_TABLE_KEY``)."""
    with open(path, 'rb') as f:
        data = f.read()
    try:
        content = _ArraysOnly(io.BytesIO(data), path).load()
    except PdparamsError:
        raise
    except Exception as err:  # truncated/corrupt pickles raise many kinds
        raise PdparamsError(f'{path} could not be read as a Paddle .pdparams pickle '
                            f'(truncated or corrupt?): {type(err).__name__}: {err}') from None
    if not isinstance(content, dict):
        raise PdparamsError(f'{path} holds a pickled {type(content).__name__}, expected the '
                            'dict of named arrays that paddle.save(state_dict) writes')
    arrays = {}
    for key, value in content.items():
        if key == NAME_TABLE_KEY and isinstance(value, dict):
            arrays[key] = value
        elif isinstance(key, str) and isinstance(value, np.ndarray) and value.dtype != object:
            arrays[key] = value
        else:
            raise PdparamsError(f'{path}: entry {key!r} is a {type(value).__name__}, not a '
                                'numeric array; expected the dict paddle.save(state_dict) writes')
    return arrays
