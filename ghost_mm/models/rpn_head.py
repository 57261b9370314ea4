"""``RPNHeadConvCfg``: mmdet's ``RPNHead`` whose shared conv(s) are built by
mmcv's ``build_conv_layer(conv_cfg)``.

mmdet 3.3's ``RPNHead`` takes no ``conv_cfg``: its single 3x3 ``rpn_conv`` is
an ``nn.Conv2d`` (``ConvModule`` without ``conv_cfg`` when ``num_convs > 1``),
so no config can make it a GhostConv, although at 800x1333 over P2-P6 it is
~40% of Faster R-CNN-GhostNet's multiply-adds. This head is ``RPNHead`` with
that one argument added; ``conv_cfg=None`` builds exactly RPNHead's layers
(same keys). ``rpn_cls``/``rpn_reg`` (1x1 prediction convs) stay ``nn.Conv2d``.
Registered in mmdet's ``MODELS`` once ``mmdet.models`` is loaded.
"""
import torch.nn as nn
from mmcv.cnn import ConvModule, build_conv_layer
from mmdet.models.dense_heads import RPNHead
from mmdet.registry import MODELS


@MODELS.register_module(force=True)
class RPNHeadConvCfg(RPNHead):
    """``RPNHead`` (same arguments, weights and keys) plus ``conv_cfg``."""

    def __init__(self, *args, conv_cfg=None, **kwargs):
        self.conv_cfg = conv_cfg  # read by _init_layers, which the parent calls
        super().__init__(*args, **kwargs)

    def _init_layers(self):
        super()._init_layers()
        if self.conv_cfg is None:
            return
        if self.num_convs > 1:  # as RPNHead: ConvModules with ReLU, not in place
            self.rpn_conv = nn.Sequential(*(
                ConvModule(self.in_channels if i == 0 else self.feat_channels,
                           self.feat_channels, 3, padding=1, conv_cfg=self.conv_cfg,
                           inplace=False)
                for i in range(self.num_convs)))
        else:
            self.rpn_conv = build_conv_layer(self.conv_cfg, self.in_channels,
                                             self.feat_channels, 3, padding=1)
