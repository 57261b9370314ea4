"""Params and FLOPs with mmengine's complexity analysis, counted as the paper does.

The GhostNet paper (and mmdet's model zoo) count multiply-adds of conv and
linear layers only; mmengine's analyzer also counts BatchNorm elements
(~5% more), so the paper's number is taken from its per-operator breakdown.
GhostNetV3 is counted in its inference form (branches merged, as its paper
counts); its training form is reported on a row of its own.
"""
import copy

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count

from .deploy import fuse_conv_bn
from .models.ghostnet import NUM_LEVELS, GhostNet, GhostNetClassifier

PAPER_OPERATORS = ('conv', 'linear')


def _analyzer(model, input_shape):
    """mmengine's FlopAnalyzer of ``model`` (in eval mode) on one 3xHxW image,
    quiet about operators and modules it does not count."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        analyzer = FlopAnalyzer(model, torch.randn(1, 3, *input_shape))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    analyzer.total()  # traces now, in eval mode
    model.train(was_training)
    return analyzer


def _paper_flops(by_operator):
    return sum(by_operator.get(op, 0) for op in PAPER_OPERATORS)


def measure(model, input_shape=(224, 224)):
    """``dict(params, flops, flops_all)`` of ``model`` on one 3xHxW image:
    ``flops`` counts conv+linear multiply-adds (the paper's way), ``flops_all``
    everything mmengine counts."""
    analyzer = _analyzer(model, input_shape)
    return dict(params=parameter_count(model)[''], flops=_paper_flops(analyzer.by_operator()),
                flops_all=analyzer.total())


def backbone_cfg_from_config(cfg):
    """The GhostNet backbone dict of an mm config (``cfg.model.backbone``)."""
    backbone = cfg.get('model', {}).get('backbone')
    if not backbone or backbone.get('type') not in ('GhostNet', 'ghost_mm.GhostNet'):
        raise ValueError(f'{cfg.filename}: model.backbone is '
                         f'{backbone and backbone.get("type")!r}, not GhostNet')
    backbone = copy.deepcopy(dict(backbone))
    backbone.pop('type')
    backbone.pop('init_cfg', None)  # counting needs no weights
    return backbone


def backbone_report(backbone_kwargs, input_shape=(224, 224)):
    """Rows ``(what, params, flops, flops_all)`` for a GhostNet backbone: as
    configured, through level 5 (the paper's detection count), and with the
    paper's ImageNet head (the paper's classification count)."""
    configured = GhostNet(**backbone_kwargs)
    full = GhostNet(**{**backbone_kwargs, 'out_indices': tuple(range(NUM_LEVELS))})
    classifier = GhostNetClassifier(backbone_kwargs.get('widen_factor', 1.0),
                                    version=configured.version)
    levels = ','.join(map(str, configured.out_indices))
    models = [(f'backbone as configured (levels {levels})', configured, input_shape),
              ('backbone through level 5 (paper, detection)', full, input_shape),
              ('with ImageNet head at 224x224 (paper, classification)', classifier,
               (224, 224))]
    if configured.version == 'v3':
        models = [('v3 training form (branches not merged), as configured', configured,
                   input_shape)] + \
            [(what, fuse_conv_bn(model), shape) for what, model, shape in models]
    rows = []
    for what, model, shape in models:
        numbers = measure(model, shape)
        rows.append((what, numbers['params'], numbers['flops'], numbers['flops_all']))
    return rows


def model_report(cfg, input_shape):
    """Row ``(what, params, flops, flops_all)`` for the config's whole network
    (backbone, neck, heads; their tensors, no post-processing), counted in
    the deploy form as the backbone rows are (BN folded, V3 merged)."""
    return model_and_parts_report(cfg, input_shape)[0]


def parts_report(cfg, input_shape):
    """Rows ``(what, params, flops)`` for the backbone, neck and heads of the
    config's network, deploy form (GhostConvs included: they are convs)."""
    return model_and_parts_report(cfg, input_shape)[1]


def model_and_parts_report(cfg, input_shape):
    """:func:`model_report`'s row and :func:`parts_report`'s rows from one
    build and one trace of the deploy-form network."""
    from .export import load_model
    model = fuse_conv_bn(load_model(cfg))
    parts = model_parts(model)
    (params, flops, flops_all), costs = _costs(model, parts, input_shape)
    whole = ('whole model (backbone+neck+heads, deployed)', params, flops, flops_all)
    return whole, [(f'  {part} ({", ".join(parts[part])})', *costs[part]) for part in parts]


def model_parts(model):
    """``{part: [model keys]}``: backbone, neck and the heads (``*_head``)."""
    keys = [name for name, _ in model.named_children()]
    parts = {'backbone': [k for k in keys if k == 'backbone'],
             'neck': [k for k in keys if k == 'neck'],
             'head': [k for k in keys if k.endswith('head')]}
    return {part: names for part, names in parts.items() if names}


def part_costs(model, keys_of_part, shape):
    """``{part: (params, FLOPs)}``: conv+linear multiply-adds (the paper's
    count) of the model's tensor graph on one 3xHxW image, per part."""
    return _costs(model, keys_of_part, shape)[1]


def _costs(model, keys_of_part, shape):
    """``(params, flops, flops_all)`` of the model's tensor graph and
    :func:`part_costs`'s dict, from one trace."""
    from .export.tensor_graph import TensorGraph, tensor_mode_samples
    params = parameter_count(model)
    analyzer = _analyzer(TensorGraph(model, tensor_mode_samples(model, shape)), shape)
    by_module = analyzer.by_module_and_operator()
    costs = {part: (sum(params.get(key, 0) for key in keys),
                    sum(_paper_flops(by_module.get(f'model.{key}', {})) for key in keys))
             for part, keys in keys_of_part.items()}
    return (params[''], _paper_flops(analyzer.by_operator()), analyzer.total()), costs
