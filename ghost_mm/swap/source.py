"""The source config: how a written config names it, loading it, and
refusing what cannot be given a GhostNet backbone before anything is built
(no backbone, GhostNet already, a backbone inside the model or the heads)."""
import os.path as osp
import re

from mmengine.config import Config

from ..models.ghostnet import GhostNet
from ..config_files import is_packaged
from ..registry import scope_models
from .errors import SwapError


def loadable_name(src):
    """How the written config names ``src``: a file as an absolute path; a
    packaged config by its ``mmdet::``/``mmseg::`` name, unless mmengine
    cannot parse that name (e.g. ``mmdet::gn+ws/...``): then the installed file."""
    if not is_packaged(src):
        return osp.abspath(src)
    if re.fullmatch(r'\w+::[\w/.-]+', src):
        return src
    import importlib
    scope, path = src.split('::', 1)
    try:
        root = osp.dirname(importlib.import_module(scope).__file__)
    except ImportError as e:
        raise SwapError(f'{src}: package {scope!r} is not installed') from e
    return osp.join(root, '.mim', 'configs', path)


def _scope_registry(cfg, src):
    try:
        return scope_models(cfg.get('default_scope'))
    except ValueError as e:
        raise SwapError(f'{src}: {e}') from e


def _nested_backbone_keys(node, path):
    """Paths of keys that hold another backbone (composite models)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f'{path}.{key}'
            if 'backbone' in key and isinstance(value, dict):
                found.append(here)
            found += _nested_backbone_keys(value, here)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            found += _nested_backbone_keys(value, f'{path}[{i}]')
    return found


def _read_source(src, widen_factor, version):
    """(the source config, the model whose backbone is swapped, the old
    backbone as a dict, the wrapper's type or None), or a :class:`SwapError`
    saying why the config cannot be swapped. The model is ``model``, or
    ``model.detector`` where ``model`` wraps a detector (trackers: ByteTrack,
    OCSORT, SORT/DeepSORT/StrongSORT, QDTrack, MaskTrack R-CNN;
    semi-supervised: SoftTeacher ...)."""
    if not is_packaged(src) and not osp.isfile(src):
        raise SwapError(f'config {src!r} does not exist (give a file, or a packaged '
                        f'config such as mmdet::retinanet/retinanet_r50_fpn_1x_coco.py)')
    # validates the width and version with their own messages
    GhostNet(widen_factor=widen_factor, version=version)
    try:  # one way for files and packaged configs
        source = Config.fromstring(f'_base_ = {loadable_name(src)!r}\n', '.py')
    except Exception as e:
        raise SwapError(f'cannot load config {src!r}: {e}') from e
    model = wrapper = source.get('model')
    if model and not model.get('backbone') and (model.get('detector') or {}).get('backbone'):
        model = model['detector']  # a tracker's or semi-supervised wrapper's detector
    else:
        wrapper = None
    if not model or not model.get('backbone'):
        raise SwapError(f'{src}: has no model.backbone to replace')
    old_backbone = model['backbone'].to_dict() if hasattr(model['backbone'], 'to_dict') \
        else dict(model['backbone'])
    old_type = old_backbone.get('type')
    if old_type in ('GhostNet', 'ghost_mm.GhostNet'):
        raise SwapError(f'{src}: the backbone is already GhostNet')
    composite = _nested_backbone_keys(old_backbone, 'model.backbone') + [
        p for key, value in model.items() if key != 'backbone'
        for p in _nested_backbone_keys(value, f'model.{key}')]
    if composite:
        raise SwapError(
            f'{src}: {", ".join(composite)} holds another backbone inside the model '
            f'(a composite such as ICNet, BiSeNet or DetectoRS); swapping only the '
            f'outer one would leave it broken')

    for key, head in model.items():
        if key.endswith('head') and isinstance(head, dict) and head.get('shared_head'):
            raise SwapError(
                f'{src}: model.{key}.shared_head is {head["shared_head"].get("type")!r} '
                f'(a stage of the old backbone run inside the head); the head '
                f'depends on that backbone')
    return source, model, old_backbone, wrapper and wrapper.get('type')
