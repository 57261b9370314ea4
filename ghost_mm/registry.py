"""mmdet's or mmseg's model registry, picked by a config's ``default_scope``."""
import importlib

from mmengine.registry import init_default_scope

SCOPES = ('mmdet', 'mmseg')


def scope_models(scope):
    """``MODELS`` of ``scope`` ('mmdet' or 'mmseg'), made the default scope so
    that nested configs build from the same toolbox."""
    if scope not in SCOPES:
        raise ValueError(f'default_scope is {scope!r}; only {" and ".join(SCOPES)} '
                         f'models can be built here')
    init_default_scope(scope)
    return importlib.import_module(f'{scope}.registry').MODELS
