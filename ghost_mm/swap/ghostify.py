"""Ghost modules in any part of an mmdet/mmseg config: ``conv_cfg=GhostConv``
on the backbone, the neck and/or the heads.

mmcv's ``build_conv_layer`` builds every conv of a module given a
``conv_cfg``; GhostConv is registered where it looks (mmengine's root
``MODELS``). So ghosting a part is one ``conv_cfg`` key in the part's config,
set on the module that takes it (a RetinaHead; in a two-stage detector the
RoI head's ``bbox_head``/``mask_head``, not the RoI head). mmdet's ``RPNHead``
takes none and becomes ``RPNHeadConvCfg`` (the same head taking it). A part whose
module takes no ``conv_cfg`` (GhostNet, transformer necks, ...), or that
already builds its convs as something else (DCN), is refused with the reason,
and nothing is written. mmdet's ``ResNet`` backbone becomes ``GhostResNet``
(the paper's Ghost-ResNet: the 7x7 stem stays an ordinary conv).

Convs a module makes with ``nn.Conv2d`` directly (RetinaNet's ``retina_cls``
and ``retina_reg``, the RPN's ``rpn_cls``/``rpn_reg``) stay ordinary; the
written header names them, with params and FLOPs per part before and after.
"""
import copy
import inspect
import os
import os.path as osp
from typing import NamedTuple

import torch.nn as nn
from mmengine.config import Config

from ..complexity import part_costs
from ..export.tensor_graph import load_model
from ..models.ghost_conv import GhostConv
from ..models.ghost_resnet import ghost_conv_cfg
from ..models.layers import check_ghost_args
from ..registry import scope_models
from .check import _loss_check
from .errors import first_line
from .render import _render
from ..config_files import is_packaged
from .source import loadable_name

PARTS = ('backbone', 'neck', 'head')
DEFAULT_SHAPE = dict(mmdet=(800, 1333), mmseg=(512, 1024))
# mmdet modules that take no conv_cfg, and their ghost_mm counterparts that do:
# ResNet -> the paper's Ghost-ResNet (plain stem), RPNHead -> RPNHead + conv_cfg
COUNTERPARTS = {'model.backbone': {'ResNet': 'GhostResNet'},
                'model.rpn_head': {'RPNHead': 'RPNHeadConvCfg'}}
# conv_cfg types that are plain convs (and so may be replaced)
PLAIN_CONVS = (None, 'Conv', 'Conv2d', 'GhostConv')


class GhostifyError(ValueError):
    """A part cannot be ghosted through conv_cfg; the message says why."""


class GhostifyResult(NamedTuple):
    cfg: Config  # the ghosted config, loaded
    diff: dict  # what the written file sets on top of the source
    costs: dict  # part -> (params before, after, FLOPs before, after)
    notes: list  # convs left ordinary, in words
    text: str  # the config file's text


def part_keys(model_cfg, part):
    """The top-level ``model`` keys that make up ``part``."""
    if part not in PARTS:
        raise GhostifyError(f'part {part!r} is not one of {", ".join(PARTS)}')
    if part != 'head':
        return [part] if model_cfg.get(part) else []
    return [key for key, value in model_cfg.items()
            if key.endswith('head') and isinstance(value, (dict, list)) and value]


def takes_conv_cfg(cls):
    """Whether any class in ``cls``'s MRO takes ``conv_cfg`` in ``__init__``."""
    return any('conv_cfg' in inspect.signature(klass.__init__).parameters
               for klass in inspect.getmro(cls) if '__init__' in vars(klass))


def _conv_cfg_diff(node, registry, conv_cfg, where, touched):
    """The diff that gives ``node`` (a module config, or a list of them) and
    its nested ``*_head`` modules GhostConv; ``None`` when nothing takes it."""
    if isinstance(node, list):
        diffs = [_conv_cfg_diff(item, registry, conv_cfg, f'{where}[{i}]', touched)
                 for i, item in enumerate(node)]
        if not any(diffs):
            return None  # a list is replaced whole by inheritance: write every item
        return [{**copy.deepcopy(dict(item)), **(diff or {})} for item, diff in zip(node, diffs)]
    if not isinstance(node, dict) or 'type' not in node:
        return None
    kind = node['type'] if isinstance(node['type'], str) else node['type'].__name__
    counterpart = COUNTERPARTS.get(where, {}).get(kind)
    if counterpart and registry.get(counterpart) is None:
        counterpart = None  # this toolbox has none (mmseg: no GhostResNet)
    if counterpart == 'GhostResNet':
        touched.append(where)
        # ResNet's ImageNet weights do not fit Ghost convs: they would load
        # non-strictly (stem and BN only) and leave every Ghost conv random
        return {'type': counterpart, 'ratio': conv_cfg['ratio'], 'dw_size': conv_cfg['dw_size'],
                'init_cfg': None}
    if counterpart:
        touched.append(where)
        return {'type': counterpart, 'conv_cfg': conv_cfg}
    cls = registry.get(kind) if isinstance(node['type'], str) else node['type']
    if cls is not None and takes_conv_cfg(cls):
        existing = node.get('conv_cfg')
        if existing and existing.get('type') not in PLAIN_CONVS:
            raise GhostifyError(f'{where} ({kind}) builds its convs as {existing["type"]} '
                                f'(conv_cfg={dict(existing)}); GhostConv would replace them, '
                                f'so it is left to you: remove that conv_cfg first')
        touched.append(where)
        return {'conv_cfg': conv_cfg}
    diff = {}
    for key, value in node.items():
        if key.endswith('head'):
            sub = _conv_cfg_diff(value, registry, conv_cfg, f'{where}.{key}', touched)
            if sub:
                diff[key] = sub
    return diff or None


def _part_of(name, keys_of_part):
    top = name.split('.')[0]
    return next((part for part, keys in keys_of_part.items() if top in keys), None)


def ordinary_convs(model, keys_of_part):
    """``{part: [names]}`` of the convs with groups 1 that are not inside a
    GhostConv (built as ``nn.Conv2d``, or by design: Ghost-ResNet's stem)."""
    left = {part: [] for part in keys_of_part}
    inside = set()
    for name, module in model.named_modules():
        if isinstance(module, GhostConv):
            inside.update(f'{name}.{sub}' for sub, _ in module.named_modules() if sub)
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d) and name not in inside and module.groups == 1:
            part = _part_of(name, keys_of_part)
            if part:
                left[part].append(name)
    return left


def _part_diffs(src, model_cfg, parts, registry, conv_cfg):
    """(``model`` diff giving ``parts`` GhostConv, ``{part: its model keys}``);
    :class:`GhostifyError` when a part is missing or takes no ``conv_cfg``."""
    model_diff, keys_of_part = {}, {}
    for part in dict.fromkeys(parts):
        keys = part_keys(model_cfg, part)
        if not keys:
            raise GhostifyError(f'{src}: the model has no {part}')
        touched = []
        for key in keys:
            diff = _conv_cfg_diff(model_cfg[key], registry, conv_cfg, f'model.{key}', touched)
            if diff:
                model_diff[key] = diff
        if not touched:
            types = ', '.join(f'{k}: {_type_name(model_cfg[k])}' for k in keys)
            raise GhostifyError(f'{src}: the {part} ({types}) does not build its convs '
                                f'through conv_cfg, so GhostConv cannot be put there; '
                                f'nothing was written')
        keys_of_part[part] = keys
    return model_diff, keys_of_part


def _ghostify_notes(after, keys_of_part, model_diff):
    """The header's notes: convs left ordinary in ``after`` (the ghosted
    model), and GhostResNet's weights."""
    notes = [f'{part}: left ordinary (built as nn.Conv2d, not through conv_cfg, or a '
             f'plain stem by design): {", ".join(names)}'
             for part, names in ordinary_convs(after, keys_of_part).items() if names]
    if (model_diff.get('backbone') or {}).get('type') == 'GhostResNet':
        notes.append('backbone: GhostResNet starts from random init (init_cfg=None: ResNet\'s '
                     'ImageNet weights do not fit Ghost convs); train its ImageNet weights with '
                     'configs/imagenet/ghost-resnet50-s2_8xb32_in1k.py and point init_cfg at them '
                     '(prefix=\'backbone.\'), or train from scratch with frozen_stages=-1, '
                     'norm_eval=False')
    return notes


def ghostify(src, parts=('neck', 'head'), ratio=2, dw_size=3, shape=None, base=None):
    """``src`` with GhostConv in ``parts`` (of ``backbone``, ``neck``, ``head``).

    The model is built and its training losses computed on a tiny batch
    before anything is returned; params and FLOPs of each part are counted
    before and after at ``shape`` (default: 800x1333 for mmdet, 512x1024 for
    mmseg). Raises :class:`GhostifyError` when a part cannot take GhostConv.
    """
    try:
        check_ghost_args(ratio, dw_size)
    except ValueError as e:
        raise GhostifyError(str(e)) from None
    if not is_packaged(src) and not osp.isfile(src):
        raise GhostifyError(f'config {src!r} does not exist (give a file, or a packaged '
                            f'config such as mmdet::retinanet/retinanet_r50_fpn_1x_coco.py)')
    if not parts:
        raise GhostifyError(f'no parts given; choose from {", ".join(PARTS)}')
    source = Config.fromstring(f'_base_ = {loadable_name(src)!r}\n', '.py')
    model_cfg = source.get('model')
    if not model_cfg:
        raise GhostifyError(f'{src}: has no model')
    scope = source.get('default_scope', 'mmdet')
    registry = scope_models(scope)
    conv_cfg = ghost_conv_cfg(ratio, dw_size)
    model_diff, keys_of_part = _part_diffs(src, model_cfg, parts, registry, conv_cfg)
    diff = _with_imports(source, model_diff)
    cfg = Config.fromstring(_render(loadable_name(src), diff, []), '.py')
    try:
        _loss_check(cfg.model, registry, cfg)
    except Exception as e:
        raise GhostifyError(f'{src}: with GhostConv in {", ".join(keys_of_part)} the model '
                            f'does not run ({type(e).__name__}: {first_line(e)})') from e
    before, after = load_model(source), load_model(cfg)  # no weights: counting only
    shape = tuple(shape or DEFAULT_SHAPE.get(scope, (512, 512)))
    old, new = part_costs(before, keys_of_part, shape), part_costs(after, keys_of_part, shape)
    costs = {part: (old[part][0], new[part][0], old[part][1], new[part][1])
             for part in keys_of_part}
    notes = _ghostify_notes(after, keys_of_part, model_diff)
    header = [f'{src} with Ghost modules (GhostConv, s={ratio}, d={dw_size}) in the '
              f'{", ".join(keys_of_part)} (written by tools/ghostify.py).',
              f'Params and FLOPs (conv+linear multiply-adds) at {shape[0]}x{shape[1]}, '
              f'before -> after:']
    header += [f'  {part}: {p0 / 1e6:.2f}M -> {p1 / 1e6:.2f}M params, '
               f'{f0 / 1e9:.1f}G -> {f1 / 1e9:.1f}G FLOPs'
               for part, (p0, p1, f0, f1) in costs.items()] + notes
    text = _render(base or loadable_name(src), diff, header)
    return GhostifyResult(cfg, diff, costs, notes, text)


def _type_name(node):
    if isinstance(node, list):
        return '[' + ', '.join(_type_name(n) for n in node) + ']'
    kind = node.get('type')
    return kind if isinstance(kind, str) else getattr(kind, '__name__', repr(kind))


def _with_imports(source, model_diff):
    imports = (source.get('custom_imports') or {}).get('imports') or []
    imports = [imports] if isinstance(imports, str) else list(imports)
    imports = [*imports, 'ghost_mm'] if 'ghost_mm' not in imports else imports
    return {'custom_imports': dict(imports=imports, allow_failed_imports=False),
            'model': model_diff}


def write_ghostified_config(src, dst, parts=('neck', 'head'), ratio=2, dw_size=3,
                            shape=None):
    """Write :func:`ghostify`'s config to ``dst`` (``_base_`` relative to ``dst``
    for files) and return its result; nothing is written when it fails."""
    base = loadable_name(src) if is_packaged(src) else \
        osp.relpath(osp.abspath(src), osp.dirname(osp.abspath(dst)))
    result = ghostify(src, parts, ratio, dw_size, shape, base=base)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    with open(dst, 'w') as f:
        f.write(result.text)
    return result._replace(cfg=Config.fromfile(dst))
