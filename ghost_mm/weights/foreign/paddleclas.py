"""PaddleClas GhostNet (``ppcls/arch/backbone/model_zoo/ghostnet.py``) names
and layouts -> the official/timm layout ghost_mm's GhostNet uses.

What differs from the official model, and how it maps exactly:

* names: ``conv1`` (stem), ``_ghostbottleneck_N`` (N = 0..15, the official
  ``blocks.G.B`` in order), ``ghost_module_1/2``, ``depthwise_conv``,
  ``shortcut_depthwise``/``shortcut_conv``, ``se_block.squeeze/excitation``,
  ``conv_last``; each conv+BN unit as ``_conv`` and ``_batch_norm`` with
  ``weight``/``bias``/``_mean``/``_variance``. Files keyed by Paddle's
  parameter names instead (``conv1_weights``, ``conv1_bn_scale``/``_offset``/
  ``_mean``/``_variance``, ``..._se_1_weights``, ``fc_1_offset``) are read too;
* SE: ``Linear`` layers (weights [in, out]: transposed into 1x1 convs) with
  ``channels // 4`` reduced channels where the official code has
  ``make_divisible(channels / 4, 4)`` (never fewer): the extra channels get
  zero weights and biases, so they add nothing (ReLU(0) = 0); the gate is
  ``clip(x, 0, 1)`` where the official one is ``relu6(x + 3) / 6``:
  ``clip(x, 0, 1) = relu6((6x - 3) + 3) / 6``, so the excitation's weights are
  scaled by 6 and its bias becomes ``6b - 3``;
* head: ``fc_0`` is a 1x1 conv without bias followed by BN + ReLU where the
  official ``conv_head`` has a bias and no BN: the BN (eps 1e-5, Paddle's
  default) is folded into the conv; ``fc_1`` (weights [in, out]) is the
  official ``classifier``, transposed.
"""
import re

import numpy as np

from .pdparams import NAME_TABLE_KEY

BN_EPS = 1e-5  # paddle.nn.BatchNorm's default epsilon, which PaddleClas keeps
_BN_LEAVES = {'weight': 'weight', 'bias': 'bias', '_mean': 'running_mean',
              '_variance': 'running_var'}
# Paddle parameter names (ParamAttr) -> structured names
_PARAM_UNITS = [(r'_ghostbottleneck_(\d+)_shortcut_depthwise_depthwise',
                 r'_ghostbottleneck_\1.shortcut_depthwise'),
                (r'_ghostbottleneck_(\d+)_shortcut_conv', r'_ghostbottleneck_\1.shortcut_conv'),
                (r'_ghostbottleneck_(\d+)_depthwise_depthwise', r'_ghostbottleneck_\1.depthwise_conv'),
                (r'_ghostbottleneck_(\d+)_ghost_module_([12])_(primary_conv|cheap_operation)',
                 r'_ghostbottleneck_\1.ghost_module_\2.\3'),
                (r'(conv1|conv_last|fc_0)', r'\1')]
_PARAM_LEAVES = {'weights': '_conv.weight', 'bn_scale': '_batch_norm.weight',
                 'bn_offset': '_batch_norm.bias', 'bn_mean': '_batch_norm._mean',
                 'bn_variance': '_batch_norm._variance'}


def looks_like(arrays):
    """Whether ``arrays`` (a .pdparams content) uses PaddleClas GhostNet names."""
    names = set(arrays)
    return bool(names & {'conv1._conv.weight', 'conv1_weights'})


def _structured(name):
    """A parameter name (``conv1_bn_scale``) as its structured name, or ``name``."""
    se = re.fullmatch(r'_ghostbottleneck_(\d+)_se_([12])_(weights|offset)', name)
    if se:
        layer = 'squeeze' if se.group(2) == '1' else 'excitation'
        return f'_ghostbottleneck_{se.group(1)}.se_block.{layer}.' + (
            'weight' if se.group(3) == 'weights' else 'bias')
    if name in ('fc_1_weights', 'fc_1_offset'):
        return 'fc_1.weight' if name.endswith('weights') else 'fc_1.bias'
    for leaf, structured_leaf in _PARAM_LEAVES.items():
        if name.endswith('_' + leaf):
            unit = name[:-len(leaf) - 1]
            for pattern, replacement in _PARAM_UNITS:
                if re.fullmatch(pattern, unit):
                    return re.sub(pattern, replacement, unit) + '.' + structured_leaf
    return name


def _unit_targets(unit, block_of):
    """Official (conv, bn) names of a PaddleClas conv+BN unit, or None."""
    if unit == 'conv1':
        return 'conv_stem', 'bn1'
    if unit == 'conv_last':
        last = f'blocks.{len(block_of.groups)}.0'
        return f'{last}.conv', f'{last}.bn1'
    match = re.fullmatch(r'_ghostbottleneck_(\d+)\.(.+)', unit)
    if not match or int(match.group(1)) not in block_of:
        return None
    block, part = block_of[int(match.group(1))], match.group(2)
    ghost = re.fullmatch(r'ghost_module_([12])\.(primary_conv|cheap_operation)', part)
    if ghost:
        prefix = f'{block}.ghost{ghost.group(1)}.{ghost.group(2)}'
        return f'{prefix}.0', f'{prefix}.1'
    return {'depthwise_conv': (f'{block}.conv_dw', f'{block}.bn_dw'),
            'shortcut_depthwise': (f'{block}.shortcut.0', f'{block}.shortcut.1'),
            'shortcut_conv': (f'{block}.shortcut.2', f'{block}.shortcut.3')}.get(part)


class _Blocks(dict):
    """Bottleneck index N -> official ``blocks.G.B``, from the architecture table."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups
        index = 0
        for g, group in enumerate(groups):
            for b in range(len(group)):
                self[index] = f'blocks.{g}.{b}'
                index += 1


def to_official(arrays, arch_groups, reduced_channels):
    """(official-layout arrays incl. ``conv_head``/``classifier``, names that
    did not map). ``reduced_channels(channels)`` is the official SE width."""
    block_of = _Blocks(arch_groups)
    source = {_structured(k): v for k, v in arrays.items() if k != NAME_TABLE_KEY}
    out, used = {}, set()
    for name, value in source.items():
        unit, _, leaf = name.rpartition('.')
        unit, _, kind = unit.rpartition('.')
        targets = _unit_targets(unit, block_of) if unit not in ('fc_0',) else None
        if targets and kind == '_conv' and leaf == 'weight':
            out[f'{targets[0]}.weight'] = value
        elif targets and kind == '_batch_norm' and leaf in _BN_LEAVES:
            out[f'{targets[1]}.{_BN_LEAVES[leaf]}'] = value
        else:
            continue
        used.add(name)
    _map_se(source, block_of, reduced_channels, out, used)
    _map_head(source, out, used)
    unmapped = sorted(set(source) - used)
    return out, unmapped


def _map_se(source, block_of, reduced_channels, out, used):
    for index, block in block_of.items():
        prefix = f'_ghostbottleneck_{index}.se_block.'
        names = [prefix + n for n in ('squeeze.weight', 'squeeze.bias',
                                      'excitation.weight', 'excitation.bias')]
        if not all(n in source for n in names):
            continue
        w1, b1, w2, b2 = (source[n] for n in names)  # w1 [C, r], w2 [r, C]
        channels, reduced = w1.shape
        target = reduced_channels(channels)
        if target < reduced:
            continue  # cannot be represented: reported as unmapped
        pad = target - reduced
        out[f'{block}.se.conv_reduce.weight'] = np.pad(w1.T, ((0, pad), (0, 0)))[:, :, None, None]
        out[f'{block}.se.conv_reduce.bias'] = np.pad(b1, (0, pad))
        out[f'{block}.se.conv_expand.weight'] = np.pad(6 * w2.T, ((0, 0), (0, pad)))[:, :, None, None]
        out[f'{block}.se.conv_expand.bias'] = 6 * b2 - 3
        used.update(names)


def _map_head(source, out, used):
    names = ['fc_0._conv.weight'] + [f'fc_0._batch_norm.{leaf}' for leaf in _BN_LEAVES]
    if all(n in source for n in names):
        weight, gamma, beta, mean, var = (source[n] for n in names)
        scale = gamma / np.sqrt(var + BN_EPS)
        out['conv_head.weight'] = weight * scale[:, None, None, None]
        out['conv_head.bias'] = beta - mean * scale
        used.update(names)
    if 'fc_1.weight' in source and 'fc_1.bias' in source:
        out['classifier.weight'] = np.ascontiguousarray(source['fc_1.weight'].T)
        out['classifier.bias'] = source['fc_1.bias']
        used.update(('fc_1.weight', 'fc_1.bias'))
