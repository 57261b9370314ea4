"""Ghost-ResNet (Han et al., CVPR 2020, Table 8): ResNet with every conv but
the 7x7 stem a Ghost module, the 1x1 downsample (projection) convs included,
as the paper's first author describes the ImageNet model.

It is mmdet's (for detection) or mmpretrain's (for ImageNet) own ``ResNet``
built with ``conv_cfg=dict(type='GhostConv', ratio=s, dw_size=d)`` and a plain
stem, so every ResNet argument (``depth``, ``out_indices``, ``frozen_stages``,
``norm_eval``, ``with_cp``, ``init_cfg``, ...) means what it means there.
ResNet's own BN follows each GhostConv (see ``ghost_conv.py`` for why there is
none inside). Registered as ``GhostResNet`` in mmdet's and mmpretrain's
``MODELS`` when their ``models`` package loads.
"""
import importlib

from . import ghost_conv  # noqa: F401  (registers GhostConv)


def ghost_conv_cfg(ratio=2, dw_size=3):
    return dict(type='GhostConv', ratio=ratio, dw_size=dw_size)


def make_ghost_resnet(resnet):
    """A ``GhostResNet`` subclass of the toolbox's ``resnet`` class."""

    class GhostResNet(resnet):
        __doc__ = (f'{resnet.__module__}.ResNet with Ghost modules (s=``ratio``, '
                   f'd=``dw_size``) for every conv but the stem. ' + __doc__.split('\n')[0])

        def __init__(self, depth, *args, ratio=2, dw_size=3, conv_cfg=None, **kwargs):
            if conv_cfg is not None:
                raise ValueError(f'GhostResNet builds its convs as GhostConv(ratio, '
                                 f'dw_size); conv_cfg={conv_cfg!r} cannot be set '
                                 f'(use ResNet for another conv type)')
            self.ratio, self.dw_size = ratio, dw_size
            super().__init__(depth, *args, conv_cfg=ghost_conv_cfg(ratio, dw_size), **kwargs)

        def _make_stem_layer(self, *args, **kwargs):
            # the stem stays an ordinary conv, as in the paper
            conv_cfg, self.conv_cfg = self.conv_cfg, None
            try:
                super()._make_stem_layer(*args, **kwargs)
            finally:
                self.conv_cfg = conv_cfg

    return GhostResNet


def register(scope):
    """Register ``GhostResNet`` (over ``scope``'s ResNet) in ``scope``'s MODELS."""
    resnet = importlib.import_module(f'{scope}.models').ResNet
    registry = importlib.import_module(f'{scope}.registry').MODELS
    registry.register_module('GhostResNet', module=make_ghost_resnet(resnet), force=True)
