"""GhostNet ImageNet weights published by other frameworks, read without
those frameworks and mapped to the official/timm layout (which ghost_mm's
GhostNet uses):

* PaddleClas ``.pdparams`` (GhostNet_x0_5 / x1_0 / x1_3 / x1_3 SSLD): a pickle
  of named arrays, read by an unpickler that accepts arrays and containers
  only (``pdparams``), mapped by ``paddleclas``;
* MindCV ``.ckpt`` (ghostnet_050 / 100 / 130): MindSpore's protobuf
  checkpoint, parsed with ``protobuf`` from its message definition
  (``mindspore_ckpt``), mapped by ``mindcv``.

The format is found from the file's first bytes, not its name.
"""
import os

PYTORCH, PADDLE, MINDSPORE = 'PyTorch', 'PaddleClas .pdparams', 'MindCV .ckpt (MindSpore)'
# torch.save's legacy (non-zip) files start with a pickled magic number
_TORCH_LEGACY = b'\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19'


class ForeignWeightsError(ValueError):
    """A file in a format or layout that cannot be mapped; the message says why."""


def sniff_format(path):
    """``PYTORCH``, ``PADDLE`` or ``MINDSPORE``, from the file's first bytes."""
    with open(path, 'rb') as f:
        head = f.read(16)
    if not head:
        raise ForeignWeightsError(f'{path} is empty')
    if head.startswith(b'PK\x03\x04') or head.startswith(_TORCH_LEGACY):
        return PYTORCH
    if head[0] == 0x80 and 2 <= head[1] <= 5:  # a pickle, not torch's
        return PADDLE
    if head[0] == 0x0A:  # protobuf: field 1 (Checkpoint.value), length-delimited
        return MINDSPORE
    raise ForeignWeightsError(
        f'{path} is in no format ghost_mm reads (first bytes {head[:8].hex(" ")}): expected '
        'a PyTorch file (official/timm .pth/.pth.tar, a runner checkpoint), a PaddleClas '
        '.pdparams (paddle.save pickle) or a MindCV .ckpt (MindSpore protobuf checkpoint)')


def read_foreign(path, arch_groups, reduced_channels):
    """(format, official-layout numpy arrays incl. the classifier) of a
    PaddleClas or MindCV GhostNet file. ``arch_groups`` is GhostNet's block
    table; ``reduced_channels(channels)`` the official SE width."""
    from . import mindcv, paddleclas
    from .mindspore_ckpt import MindsporeCkptError, read_mindspore_ckpt
    from .pdparams import PdparamsError, read_pdparams
    kind = sniff_format(path)
    try:
        arrays = read_pdparams(path) if kind == PADDLE else read_mindspore_ckpt(path)
    except (PdparamsError, MindsporeCkptError) as err:
        raise ForeignWeightsError(str(err)) from None
    framework = paddleclas if kind == PADDLE else mindcv
    expected = ('PaddleClas GhostNet names (conv1._conv.weight, '
                '_ghostbottleneck_0.ghost_module_1.primary_conv._conv.weight, ...)'
                if kind == PADDLE else
                'MindCV ghostnet names (conv_stem.weight, bn1.gamma, '
                'blocks.0.0.ghost1.primary_conv.0.weight, ...)')
    if not framework.looks_like(arrays):
        sample = ', '.join(sorted(k for k in arrays if not k.endswith('@@'))[:5])
        raise ForeignWeightsError(f'{path} is a {kind} file but not a GhostNet one: expected '
                                  f'{expected}; its first names: {sample}')
    if kind == PADDLE:
        official, unmapped = paddleclas.to_official(arrays, arch_groups, reduced_channels)
    else:
        official, unmapped = mindcv.to_official(arrays, arch_groups)
    if unmapped:
        shown = ', '.join(unmapped[:8]) + (f' ... ({len(unmapped)} in all)'
                                           if len(unmapped) > 8 else '')
        raise ForeignWeightsError(f'{os.fspath(path)} ({kind}) maps incompletely: these names '
                                  f'did not map to GhostNet: {shown}; expected {expected}')
    return kind, official
