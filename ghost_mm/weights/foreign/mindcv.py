"""MindCV GhostNet (``mindcv/models/ghostnet.py``) names -> the official/timm
layout. MindCV follows the official model module for module; what differs:

* BN parameters are ``gamma``/``beta``/``moving_mean``/``moving_variance``;
* the final 1x1 conv is a stage of its own, ``blocks.9.features.{0,1}``
  (conv, BN), where the official code has ``blocks.9.0.{conv,bn1}``;
* checkpoints saved during training also hold the optimizer's state and
  counters (``moments.*``, ``learning_rate``, ``global_step``, ...): dropped.
MindSpore's conv and dense weights are laid out as PyTorch's.
"""
_BN_LEAVES = {'gamma': 'weight', 'beta': 'bias', 'moving_mean': 'running_mean',
              'moving_variance': 'running_var'}
_NETWORK_PREFIXES = ('conv_stem.', 'bn1.', 'blocks.', 'conv_head.', 'classifier.')
# MindSpore optimizers' state (Momentum: moments, Adam: adam_m/adam_v, ...) and counters
_OPTIMIZER_PREFIXES = ('moments.', 'accum.', 'adam_m.', 'adam_v.', 'mean_grad.', 'mean_square.',
                       'moment1.', 'moment2.')
_OPTIMIZER_NAMES = {'learning_rate', 'global_step', 'momentum', 'beta1_power', 'beta2_power',
                    'current_iterator_step', 'last_overflow_iterator_step', 'epoch_num',
                    'step_num', 'loss_scale', 'scale_sense'}


def looks_like(arrays):
    return 'conv_stem.weight' in arrays and 'bn1.gamma' in arrays


def to_official(arrays, arch_groups):
    """(official-layout arrays incl. ``conv_head``/``classifier``, names that did not map)."""
    last = f'blocks.{len(arch_groups)}.'
    out, unmapped = {}, []
    for name, value in arrays.items():
        if name in _OPTIMIZER_NAMES or name.startswith(_OPTIMIZER_PREFIXES):
            continue
        if not name.startswith(_NETWORK_PREFIXES):
            unmapped.append(name)
            continue
        if name.startswith(last + 'features.0.'):
            name = last + '0.conv.' + name[len(last + 'features.0.'):]
        elif name.startswith(last + 'features.1.'):
            name = last + '0.bn1.' + name[len(last + 'features.1.'):]
        unit, _, leaf = name.rpartition('.')
        out[f'{unit}.{_BN_LEAVES.get(leaf, leaf)}'] = value
    return out, sorted(unmapped)
