"""GhostNet's ImageNet head in mmpretrain's terms.

The paper's ImageNet model is GhostNet level 5 -> global average pool -> 1x1
conv 960w->1280 + ReLU -> dropout 0.2 -> linear 1280->1000. On the pooled
1x1 map that 1x1 conv is a linear layer, so mmpretrain expresses the whole
head with its own modules: ``GlobalAveragePooling`` + ``StackedLinearClsHead``
(``mid_channels=[1280]``, ReLU, dropout 0.2), as its MobileNetV3 configs do.
What is ours here is only the key mapping between that classifier and the
official/timm files.
"""
from .safe_load import CheckpointError

# official/timm ImageNet head -> mmpretrain StackedLinearClsHead
HEAD_KEYS = {'conv_head.weight': 'head.layers.0.fc.weight',
             'conv_head.bias': 'head.layers.0.fc.bias',
             'classifier.weight': 'head.layers.1.fc.weight',
             'classifier.bias': 'head.layers.1.fc.bias'}


def head_to_mmpretrain(state_dict, source='checkpoint'):
    """The official/timm ImageNet head of ``state_dict`` under mmpretrain's
    ``StackedLinearClsHead`` keys (the 1x1 conv's weight as a linear one's)."""
    absent = [k for k in HEAD_KEYS if k not in state_dict]
    if absent:
        raise CheckpointError(f'{source} has no ImageNet head to keep: {", ".join(absent)} '
                              'missing (a backbone-only file?). Convert it without --keep-head.')
    head = {}
    for key, new_key in HEAD_KEYS.items():
        value = state_dict[key]
        head[new_key] = value.flatten(1) if value.dim() == 4 else value
    return head
