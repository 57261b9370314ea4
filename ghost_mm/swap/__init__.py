"""Put GhostNet into an existing mmdet or mmseg config.

The old backbone is built once and run on one image to learn, for each of
its outputs, the channels and the stride. Each output is matched to the
GhostNet level of the same (undilated) stride, dilation is carried over as
GhostNet ``strides``/``dilations``, and every ``in_channels`` that read the
old backbone (the neck, or the heads when there is no neck) is rewritten
from the old channels to GhostNet's. What cannot be mapped is refused with a
:class:`SwapError` instead of written.

The result is a short config: ``_base_`` = the source, plus the diff.

One room per step: ``source`` (naming, loading and refusing the source
config), ``probe`` (the old backbone's outputs), ``layout`` (GhostNet's
levels and backbone entry), ``remap`` (the channels of what reads the
backbone), ``render`` (the config text), ``check`` (the loss pass), ``entry``
(the steps in order); ``errors`` holds :class:`SwapError`. Beside them,
``ghostify`` (GhostConv into a config's parts) and ``sweep`` (the swap tool
over every mmdet/mmseg config family).
"""
import importlib

# public name -> the room that defines it; loaded on first use (PEP 562), so
# ``ghost_mm.swap.sweep`` (standard library only at import) stays light
_HOMES = {
    'CHECK_SIZES': 'check', 'PIP_NAMES': 'check', 'runner_message_hub': 'check',
    'SwapResult': 'entry', 'swap_backbone': 'entry', 'write_swapped_config': 'entry',
    'SwapError': 'errors', 'first_line': 'errors',
    'AUTO': 'layout', 'BATCH_NORMS': 'layout', 'RESNET_FAMILY': 'layout',
    'SHARED_SETTINGS': 'layout', 'default_pretrained': 'layout',
    'PROBE_SIZE': 'probe', 'IMAGENET_PREPROCESSING': 'remap', 'INPUT_CHANNEL_KEYS': 'remap',
    'loadable_name': 'source',
}
__all__ = sorted(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        return getattr(importlib.import_module(f'.{_HOMES[name]}', __name__), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
