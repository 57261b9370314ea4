"""``GhostConv``: the Ghost module as a drop-in replacement for any conv that
OpenMMLab builds through ``build_conv_layer``/``ConvModule``.

Registered in mmengine's root ``MODELS``, where mmcv's ``build_conv_layer``
looks conv types up, so ``conv_cfg=dict(type='GhostConv', ratio=2, dw_size=3)``
works in mmdet, mmseg and mmpretrain modules alike (ResNet, FPN, RetinaHead,
ASPPHead, ...).

What it computes, for a conv ``in -> n`` with kernel k, stride, padding and
dilation: ``m = ceil(n / ratio)`` intrinsic maps from a k x k conv with the
same stride, padding and dilation; ``(ratio - 1) * m`` ghosts from a
``dw_size`` x ``dw_size`` depthwise conv at stride 1 over the intrinsic
maps; both concatenated and cut to ``n``. A conv with a bias gives both
convs a bias (each output channel has its own, and the cheap conv reads the
biased intrinsic maps, as GhostNet's reads BN-shifted ones): no separate add
after the concatenation, which an exported graph would pay for at every
pixel. The two branches are GhostNet's own
(:class:`~ghost_mm.models.layers.GhostBranches`).

Why no BatchNorm or activation inside by default: GhostConv replaces a
*conv*, a linear map, and the module around it decides what follows (the
``ConvModule``'s norm and activation, ResNet's ``norm1``/ReLU, nothing for an
FPN lateral or a prediction conv). Putting BN+ReLU inside, as GhostNet's own
module does (GhostNet's bottleneck has no norm of its own around it), would
add a non-linearity where the replaced network has none, and a BN inside the
heads that RetinaNet, FCOS and ATSS share across pyramid levels would
normalise each level with its own batch statistics in training but one set
of running statistics at test time. Huawei's Ghost-ResNet sketch
(``ghostnet_pytorch/ghost_resnet.py``) applies no BN inside either; ResNet's
own BN after the conv normalises both halves. ``norm_cfg``/``act_cfg`` put a
norm/activation after each branch for those who want GhostNet's form (a BN
there is folded by :func:`ghost_mm.deploy.fuse_conv_bn`).

Grouped convs (ResNeXt's 3x3): the primary conv keeps the groups, so each
group makes its share of the intrinsic maps from its own inputs, as the
replaced conv does; ``ceil(n / ratio)`` must then divide by ``groups``
(ResNeXt-50 32x4d: 128 / 2 = 64 maps in 32 groups), else it is refused with
the numbers. Depthwise convs (groups = in = out channels) cannot keep their
groups with 1/s of the outputs and are already cheap: refused (one with a
channel multiplier s or more keeps its groups like any grouped conv). Deformable convs and transposed convs are built by other registries
(``DCN``/``DCNv2`` conv_cfg, ``build_upsample_layer``) and are never given to
GhostConv.
"""
import math

import torch
from mmengine.model import kaiming_init
from mmengine.registry import MODELS
from torch.nn.modules.utils import _pair

from .layers import GhostBranches, check_ghost_args


class GhostConv(GhostBranches):
    """Ghost module with ``nn.Conv2d``'s arguments; see the module docstring.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation,
        groups, bias: as ``nn.Conv2d`` (``groups`` applies to the primary
        conv; ``bias`` gives both convs a bias).
        ratio (int): s, outputs per intrinsic map (>= 2). Default: 2.
        dw_size (int): d, the cheap depthwise kernel (odd). Default: 3.
        norm_cfg (dict, optional): norm after each branch. Default: None.
        act_cfg (dict, optional): activation after each branch. Default: None.
    """

    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, ratio=2, dw_size=3, norm_cfg=None,
                 act_cfg=None, padding_mode='zeros'):
        check_ghost_args(ratio, dw_size)
        intrinsic = math.ceil(out_channels / ratio)
        if groups != 1 and in_channels % groups:
            raise ValueError(f'groups={groups} does not divide in_channels={in_channels}')
        if groups != 1 and intrinsic % groups:
            raise ValueError(
                f'GhostConv keeps a grouped conv\'s groups in its primary conv, but this '
                f'{in_channels}->{out_channels} conv (kernel {kernel_size}, groups={groups}) '
                f'would make {intrinsic} intrinsic maps (ceil({out_channels}/ratio {ratio})), '
                f'not a multiple of {groups}'
                + (': a depthwise conv is already cheap; leave it an ordinary conv '
                   '(conv_cfg=None for its module)' if groups == in_channels else
                   '; choose a ratio that divides it or leave this layer an ordinary conv'))
        if padding_mode != 'zeros':
            raise ValueError(f'GhostConv pads with zeros only, got padding_mode={padding_mode!r}')
        if isinstance(padding, str):
            raise ValueError(f'GhostConv takes numeric padding, got {padding!r}')
        kernel_size, stride, padding, dilation = map(
            _pair, (kernel_size, stride, padding, dilation))
        super().__init__(in_channels, out_channels, ratio, dw_size, kernel_size, stride,
                         padding, dilation, norm_cfg=norm_cfg, act_cfg=act_cfg, groups=groups,
                         bias=bool(bias))
        self.in_channels = in_channels
        self.kernel_size, self.stride = kernel_size, stride
        self.padding, self.dilation = padding, dilation
        self.groups, self.output_padding = groups, (0, 0)
        self.ratio, self.dw_size = ratio, dw_size
        self.reset_parameters()

    @property
    def bias(self):
        """The output channels' biases (read-only: a copy of the two convs'
        biases, cut to ``n``), or None for a conv without bias. An init that
        writes ``module.bias`` (mmengine's ``normal_init(m, bias=...)``) does
        not reach the convs: initialise ``primary_conv[0]`` and
        ``cheap_operation[0]`` (mmengine ``init_cfg`` with ``layer='Conv2d'``
        does)."""
        primary, cheap = self.primary_conv[0].bias, self.cheap_operation[0].bias
        if primary is None:
            return None
        return torch.cat([primary, cheap]).detach()[:self.out_channels]

    def reset_parameters(self):
        """Kaiming (fan-out, ReLU) for both convs and zero biases, what
        ``ConvModule`` gives the conv it holds; set when built, like
        ``nn.Conv2d``'s own, so that the ``init_cfg`` of the module around it
        (RetinaHead's ``Normal`` on every ``Conv2d``, FPN's ``Xavier``) still
        reaches both convs afterwards. Not named ``init_weights``: mmengine
        would call that after the parent's ``init_cfg`` and overwrite it."""
        kaiming_init(self.primary_conv[0], mode='fan_out', nonlinearity='relu')
        kaiming_init(self.cheap_operation[0], mode='fan_out', nonlinearity='relu')

    def extra_repr(self):
        return (f'{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, '
                f'stride={self.stride}, padding={self.padding}, dilation={self.dilation}, '
                f'ratio={self.ratio}, dw_size={self.dw_size}, bias={self.bias is not None}')


MODELS.register_module('GhostConv', module=GhostConv, force=True)
