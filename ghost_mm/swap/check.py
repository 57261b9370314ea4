"""Checking the swapped config by a loss pass: the model is built (no
weights) and its training losses computed on a tiny batch, so that a config
with a part that still expects the old backbone is refused; when the check
cannot tell, the swap stands with a note saying why."""
import contextlib
import copy
import re
import uuid
import warnings

import torch
from mmengine.logging import MessageHub
from mmengine.model import revert_sync_batchnorm

from .errors import SwapError, first_line

# The loss pass's image sizes, tried in order until one runs: a model that
# fails at the first runs again at the next before anything is concluded, so
# only the last size's failure counts. Most models run at 128 px (a
# DeepLabV3 swap took 6.0 s with its check at 512, padded to the 512x1024
# crop, and 1.9 s so); SSD needs ~300 px, LR-ASPP 512 (49x49 pooling at
# stride 8).
CHECK_SIZES = dict(mmdet=(128, 320), mmseg=(128, 512))


def _fewest_classes(node, most=2):
    """The smallest ``num_classes`` set anywhere in a model config (a
    one-class tracker's detector must not see label 1), at most ``most``."""
    if isinstance(node, dict):
        own = [node['num_classes']] if isinstance(node.get('num_classes'), int) else []
        return min([most, *own, *(_fewest_classes(v, most) for v in node.values())])
    if isinstance(node, (list, tuple)):
        return min([most, *(_fewest_classes(v, most) for v in node)])
    return most


def demo_detection_batch(model_cfg, size, num_items, num_classes, with_mask):
    """mmdet's demo batch (labels 1 .. ``num_classes`` - 1) with labels the
    model has: clamped below the fewest classes a part of ``model_cfg`` has
    (0 for a one-class tracker's detector; unchanged for the others)."""
    from mmdet.testing import demo_mm_inputs
    batch = demo_mm_inputs(batch_size=len(num_items), image_shapes=[(3, size, size)] * 2,
                           num_items=num_items, num_classes=num_classes, with_mask=with_mask)
    most = _fewest_classes(model_cfg, num_classes) - 1
    for sample in batch['data_samples']:
        sample.gt_instances.labels = sample.gt_instances.labels.clamp(max=most)
    return batch


def _demo_batch(cfg, size, model_cfg):
    """Two blank images with one box (and mask, for models with a mask
    head) or an all-background label map each: enough to run every loss."""
    if cfg.default_scope == 'mmdet':
        return demo_detection_batch(model_cfg, size, [1, 1], 2, 'mask' in str(cfg.model).lower())
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    samples = []
    for _ in range(2):
        sample = SegDataSample(metainfo=dict(
            img_shape=(size, size), ori_shape=(size, size), pad_shape=(size, size)))
        sample.gt_sem_seg = PixelData(data=torch.zeros(1, size, size, dtype=torch.long))
        samples.append(sample)
    return dict(inputs=[torch.zeros(3, size, size, dtype=torch.uint8)] * 2,
                data_samples=samples)


def runner_message_hub(cfg):
    """A fresh MessageHub holding what the Runner's loops set before the
    first step (heads such as TOOD's read the epoch, YOLOX's the iteration),
    made the current instance: the check does not depend on, or leak into,
    state left by whatever ran before in the process."""
    hub = MessageHub.get_instance(f'ghost_mm-swap-check-{uuid.uuid4().hex}')
    train_cfg = cfg.get('train_cfg') or {}
    for key, value in (('epoch', 0), ('iter', 0), ('max_epochs', train_cfg.get('max_epochs')),
                       ('max_iters', train_cfg.get('max_iters'))):
        if value is not None:
            hub.update_info(key, value)
    return hub


# import names whose pip package is named otherwise
PIP_NAMES = {'sklearn': 'scikit-learn', 'cv2': 'opencv-python', 'PIL': 'Pillow',
             'skimage': 'scikit-image'}


def checked_model(model_cfg):
    """The model whose losses are checked: ``model_cfg``, or the detector a
    wrapper holds (trackers train their detector on detection batches), with
    a detection pre-processor made of the wrapper's where only it has one
    (ByteTrack's and QDTrack's detectors have none of their own)."""
    if 'backbone' in model_cfg:
        return model_cfg
    detector = copy.deepcopy(model_cfg['detector'])
    if not detector.get('data_preprocessor'):
        outer = model_cfg.get('data_preprocessor') or {}
        detector['data_preprocessor'] = dict(
            type='DetDataPreprocessor', **{k: v for k, v in outer.items() if k in (
                'mean', 'std', 'bgr_to_rgb', 'rgb_to_bgr', 'pad_size_divisor', 'pad_value')})
    return detector


def _loss_check(model_cfg, registry, cfg):
    """Build ``model_cfg`` (no weights; a wrapper's detector) and compute its
    training losses on a tiny batch, at each of ``CHECK_SIZES`` in turn until
    one runs; raises the last size's error."""
    model_cfg = copy.deepcopy(checked_model(model_cfg))
    model_cfg['backbone'].pop('init_cfg', None)
    model_cfg.pop('pretrained', None)
    *smaller, last = CHECK_SIZES[cfg.default_scope]
    for size in smaller:
        small = copy.deepcopy(model_cfg)
        if (small.get('data_preprocessor') or {}).get('size'):
            small['data_preprocessor']['size'] = (size, size)  # not padded to the crop
        try:
            return _loss_pass(small, registry, cfg, size)
        except Exception:  # judged at the next size
            pass
    _loss_pass(model_cfg, registry, cfg, last)


@contextlib.contextmanager
def seeded_weights(seed=0):
    """Random weights drawn from a fixed seed, on a copy of the caller's
    random state, which is left as it was: a check's verdict is the same
    whatever ran before in the process (a Deformable DETR whose random
    weights met NaN in its matcher was once refused in one test order only)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _loss_pass(model_cfg, registry, cfg, size):
    """One loss pass at ``size``, on :func:`seeded_weights`."""
    data = _demo_batch(cfg, size, model_cfg)
    runner_message_hub(cfg)
    with seeded_weights():
        model = revert_sync_batchnorm(registry.build(model_cfg))
        with torch.no_grad():
            data = model.data_preprocessor(data, True)
            model(**data, mode='loss')


def _missing_package(error):
    """The package an error says is not installed (mmdet's PAA raises
    ImportError, BoxInst a RuntimeError saying "pip install ..."), or None."""
    named = re.search(r'pip install ([A-Za-z][\w-]*(?:\.[\w-]+)*)', str(error))
    if isinstance(error, ImportError):
        return (error.name or (named.group(1) if named else str(error))).split('.')[0]
    if named and 'not installed' in str(error):
        return named.group(1)
    return None


def _check_runs(cfg, registry, src, original_model):
    """Build the swapped model and compute its training losses on a tiny
    batch, so that a config with a part that still expects the old backbone
    (e.g. mmseg's JPU hands backbone outputs on to the heads) is refused.
    When the check cannot tell (an optional package is missing, or the
    original config does not run here either, e.g. a CUDA-only op), the swap
    stands and a note says so; returns that note, else None."""
    try:
        _loss_check(cfg.model, registry, cfg)
        return None
    except Exception as e:
        error = e
    package = _missing_package(error)
    if package:
        note = (f'NOT CHECKED: the model needs the package {package!r}, which is not '
                f'installed (pip install {PIP_NAMES.get(package, package)}); the swapped '
                f'config was written without its loss check')
    else:
        try:
            _loss_check(original_model, registry, cfg)
        except Exception as original:  # not the swap's doing
            note = (f'NOT CHECKED: the original config does not run here either '
                    f'({type(original).__name__}: {first_line(original)}); the swapped '
                    f'config was written without its loss check')
        else:
            raise SwapError(f'{src}: with GhostNet in place the model does not run '
                            f'({type(error).__name__}: {first_line(error)}); the original '
                            f'backbone runs, so some part of it still expects the old '
                            f'backbone') from error
    warnings.warn(f'{src}: {note}')
    return note
