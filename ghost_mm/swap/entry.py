"""The swap tool's entry: :func:`swap_backbone` and
:func:`write_swapped_config`, the swap as its named steps in order (read the
source, probe the old backbone, lay out GhostNet's levels, remap what reads
them, render, check by a loss pass)."""
import os
import os.path as osp
from typing import NamedTuple

from mmengine.config import Config

from ..models.ghostnet import level_channels
from .check import _check_runs
from .layout import AUTO, _ghostnet_backbone, _ghostnet_layout
from .probe import _probe_levels
from .remap import IMAGENET_PREPROCESSING, _model_diff
from .render import _config_diff, _header, _render
from ..config_files import is_packaged
from .source import _read_source, _scope_registry, loadable_name


class SwapResult(NamedTuple):
    cfg: Config  # the swapped config, loaded
    diff: dict  # what the written file sets on top of the source
    notes: list  # what was changed or dropped, in words
    text: str  # the config file's text


def swap_backbone(src, widen_factor=1.0, pretrained=AUTO, version='v1'):
    """A GhostNet version of the mmdet/mmseg config ``src``.

    Args:
        src (str): a config file, or a packaged one such as
            ``'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'``.
        widen_factor (float): GhostNet width (1.0 has public ImageNet weights).
        pretrained (str | None): ImageNet GhostNet weights for the backbone;
            ``'auto'`` (default) means ``checkpoints/ghostnet{v}_{w}x.pth``,
            ``None`` trains from scratch.
        version (str): GhostNet ``'v1'``, ``'v2'`` or ``'v3'``.

    Returns:
        SwapResult: the loaded config, the diff, notes and the file text
        (with ``_base_`` as an absolute path; see :func:`write_swapped_config`).

    Raises:
        SwapError: the config cannot be mapped (composite backbones, heads that
            run part of the old backbone, outputs GhostNet does not have).
    """
    return _swap(src, widen_factor, pretrained, version, base=loadable_name(src))


def _swap(src, widen_factor, pretrained, version, base):
    """The swap's steps, on a copy of the caller's random state (the probe
    and the check build models with random weights): it is left as it was."""
    import torch
    with torch.random.fork_rng(devices=[]):
        return _swap_steps(src, widen_factor, pretrained, version, base)


def _swap_steps(src, widen_factor, pretrained, version, base):
    source, model, old_backbone, wrapper = _read_source(src, widen_factor, version)
    old_type = old_backbone.get('type')
    registry = _scope_registry(source, src)
    old_channels, strides, dilations = _probe_levels(registry, old_backbone, src)
    layout = _ghostnet_layout(old_channels, strides, dilations, src, old_type)
    out_indices = layout[0]
    new_channels = list(level_channels(widen_factor, out_indices))
    title = f'GhostNet{"" if version == "v1" else version.upper()} {widen_factor}x'
    notes = [f'{old_type} outputs (channels {old_channels}, strides {strides}) '
             f'-> {title} levels {list(out_indices)} '
             f'(channels {new_channels})']
    backbone, pretrained = _ghostnet_backbone(old_backbone, layout, widen_factor, version,
                                              pretrained, notes)
    model_diff = _model_diff(model, backbone, old_channels, new_channels, src, notes)
    if wrapper:
        model_diff = _wrapper_diff(source.model, model, model_diff, notes)
    diff = _config_diff(source, model_diff)
    header = _header(src, title, notes, pretrained)
    cfg = Config.fromstring(_render(loadable_name(src), diff, header), '.py')
    unchecked = _check_runs(cfg, registry, src, source.model)
    if unchecked:
        notes.append(unchecked)
        header.append(unchecked)
    return SwapResult(cfg, diff, notes, _render(base, diff, header))


def _wrapper_diff(wrapper, detector, detector_diff, notes):
    """The diff of a model that wraps a detector (a tracker, a semi-supervised
    model): the detector's diff in ``model.detector``, the detector's own
    weights dropped (they are the old backbone's detector's), and GhostNet's
    ImageNet pre-processing set where the wrapper does it: its own
    pre-processor (trackers' TrackDataPreprocessor) or the one it runs for
    the detector (MultiBranchDataPreprocessor's ``data_preprocessor``)."""
    notes.append(f'{wrapper.type} wraps the detector: the backbone and what reads it are '
                 f'swapped in model.detector; the loss check runs the detector')
    if detector.get('init_cfg'):
        detector_diff['init_cfg'] = None
        notes.append(f'model.detector.init_cfg ({(detector["init_cfg"] or {}).get("checkpoint")}) '
                     f'removed: those weights are the old detector\'s')
    diff = dict(detector=detector_diff)
    outer = wrapper.get('data_preprocessor') or {}
    if 'data_preprocessor' in outer:  # MultiBranchDataPreprocessor
        diff['data_preprocessor'] = dict(data_preprocessor=dict(IMAGENET_PREPROCESSING))
    elif outer:
        diff['data_preprocessor'] = dict(IMAGENET_PREPROCESSING)
    return diff


def write_swapped_config(src, dst, widen_factor=1.0, pretrained=AUTO, version='v1'):
    """Write the GhostNet version of ``src`` to ``dst`` (``_base_`` relative to
    ``dst`` for files, so the two can move together) and return its
    :class:`SwapResult`. Nothing is written when the swap fails."""
    if is_packaged(src):
        base = loadable_name(src)
    else:
        base = osp.relpath(osp.abspath(src), osp.dirname(osp.abspath(dst)))
    result = _swap(src, widen_factor, pretrained, version, base)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    with open(dst, 'w') as f:
        f.write(result.text)
    return result._replace(cfg=Config.fromfile(dst))
