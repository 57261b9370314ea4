"""GhostNet backbones for OpenMMLab.

Importing this package (or ``custom_imports=dict(imports=['ghost_mm'])`` in a
config) registers ``GhostNet`` in the ``MODELS`` registry of mmdet, of
mmsegmentation and of mmpretrain, whichever of them is installed.

It registers ``GhostConv`` in mmengine's root ``MODELS``, where mmcv's
``build_conv_layer`` finds it: ``conv_cfg=dict(type='GhostConv')`` in any
toolbox's module (``ghost_mm/models/ghost_conv.py``). Once a toolbox's
``models`` package is loaded it registers ``GhostResNet`` there (mmdet,
mmpretrain; ``ghost_mm/models/ghost_resnet.py``) and, in mmdet,
``SSDHeadFixed`` (mmdet 3.3's SSDHead, whose predict fails there, with that
fixed; ``ghost_mm/models/ssd_head.py``) and ``RPNHeadConvCfg`` (RPNHead
taking ``conv_cfg``; ``ghost_mm/models/rpn_head.py``).

Registration waits for the toolbox: a toolbox whose registry is already
imported gets GhostNet at once; one imported later gets it as its registry
module finishes loading. So ``import ghost_mm.runtime`` (the predictor over
an exported file) loads neither torch nor any OpenMMLab package.
"""
import importlib
import importlib.abc
import importlib.util
import sys
import warnings

# mmengine imports pkg_resources, which setuptools<81 (needed by mmcv) flags
warnings.filterwarnings('ignore', message='pkg_resources is deprecated')

__version__ = '0.1.0'
__all__ = ['GhostNet', 'GhostNetClassifier', 'GhostConv', 'REGISTERED_IN']

TOOLBOXES = ('mmdet', 'mmseg', 'mmpretrain')
_REGISTRIES = {f'{scope}.registry': scope for scope in TOOLBOXES}
# modules of ours that subclass a toolbox's models: imported (and, after a
# colon, that function called with the toolbox's scope) once that toolbox's
# ``models`` package has finished loading
_FIXES = {'mmdet.models': ('ghost_mm.models.ssd_head', 'ghost_mm.models.rpn_head',
                           'ghost_mm.models.ghost_resnet:register'),
          'mmpretrain.models': ('ghost_mm.models.ghost_resnet:register',)}
_registered = []


def _register_into(scope, registry_module):
    from .models import GhostNet  # also registers GhostConv in mmengine's MODELS
    from . import hooks, transforms  # noqa: F401  (register the hook and transform)
    registry_module.MODELS.register_module(module=GhostNet, force=True)
    if scope not in _registered:
        _registered.append(scope)


class _RegisterWhenLoaded(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of a toolbox's ``registry``
    module so that GhostNet is registered the moment that module is loaded."""

    def find_spec(self, name, path, target=None):
        if name not in _REGISTRIES and name not in _FIXES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, 'find_spec'):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                break
        else:
            return None
        exec_module = spec.loader.exec_module

        def exec_and_register(module):
            exec_module(module)
            if name in _FIXES:
                _apply_fixes(name)
            else:
                _register_into(_REGISTRIES[name], module)
        spec.loader.exec_module = exec_and_register
        return spec


def _apply_fixes(models_module):
    scope = models_module.split('.')[0]
    for fix in _FIXES[models_module]:
        module, _, function = fix.partition(':')
        module = importlib.import_module(module)
        if function:
            getattr(module, function)(scope)


def _install():
    for name, scope in _REGISTRIES.items():
        if sys.modules.get(name) is not None:
            _register_into(scope, sys.modules[name])
    for name in _FIXES:
        if sys.modules.get(name) is not None:
            _apply_fixes(name)
    if not any(isinstance(f, _RegisterWhenLoaded) for f in sys.meta_path):
        sys.meta_path.insert(0, _RegisterWhenLoaded())


def _installed_toolboxes():
    """Import each installed toolbox's registry (registering GhostNet there)."""
    for scope in TOOLBOXES:
        try:
            importlib.import_module(f'{scope}.registry')
        except ImportError:
            continue
    return tuple(scope for scope in TOOLBOXES if scope in _registered)


def __getattr__(name):  # PEP 562: torch is loaded on first use, not on import
    if name in ('GhostNet', 'GhostNetClassifier', 'GhostConv'):
        from . import models
        return getattr(models, name)
    if name == 'REGISTERED_IN':
        return _installed_toolboxes()
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


_install()
