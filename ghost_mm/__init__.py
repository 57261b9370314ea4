"""GhostNet backbones for OpenMMLab.

Importing this package (or ``custom_imports=dict(imports=['ghost_mm'])`` in a
config) registers ``GhostNet`` in the ``MODELS`` registry of mmdet and of
mmsegmentation, whichever of them is installed.
"""
import importlib
import warnings

# mmengine imports pkg_resources, which setuptools<81 (needed by mmcv) flags
warnings.filterwarnings('ignore', message='pkg_resources is deprecated')

from .models import GhostNet, GhostNetClassifier  # noqa: E402
from . import hooks, transforms  # noqa: E402,F401  (register the hook and transform)

__version__ = '0.1.0'
__all__ = ['GhostNet', 'GhostNetClassifier', 'REGISTERED_IN']


def _register():
    registered = []
    for scope in ('mmdet', 'mmseg'):
        try:
            registry = importlib.import_module(f'{scope}.registry').MODELS
        except ImportError:
            continue
        registry.register_module(module=GhostNet, force=True)
        registered.append(scope)
    return tuple(registered)


REGISTERED_IN = _register()
