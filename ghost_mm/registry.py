"""mmdet's, mmseg's or mmpretrain's model registry, picked by a config's ``default_scope``."""
import importlib

from mmengine.registry import init_default_scope

SCOPES = ('mmdet', 'mmseg', 'mmpretrain')


def scope_models(scope):
    """``MODELS`` of ``scope`` (one of SCOPES), made the default scope so
    that nested configs build from the same toolbox."""
    if scope not in SCOPES:
        raise ValueError(f'default_scope is {scope!r}; only {" and ".join(SCOPES)} '
                         f'models can be built here')
    init_default_scope(scope)
    return importlib.import_module(f'{scope}.registry').MODELS
