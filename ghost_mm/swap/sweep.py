"""The swap tool over every config family mmdet and mmseg ship.

One representative config per family (config folder), its base model as
:func:`representative` picks it (no variant name parts, the toolbox's
benchmark dataset, ResNet-50, the shortest name). Each runs in its own
process (mmengine's registries, MessageHub and logger are process-wide) with
a time limit: ``swap_backbone`` (the tool's own loss check included), then
one SGD step and inference on a tiny batch (:func:`train_step_and_predict`).
Outcomes:

* ``trained``: swapped, one training step moved GhostNet's weights with finite
  losses, and inference returned boxes / a label map of the input's size;
* ``refused``: the tool said why it cannot map the config (``SwapError``);
* ``not checked``: swapped, but the check could not tell: the model needs a
  package that is not installed, or the original config fails the same way
  on this machine (the tool writes the config and says so);
* ``failed``: anything else (an exception, or the time limit).

Not part of ``make test`` (~25 min on 2 cores with 2 jobs); run by hand with
``tools/swap_sweep.py``, its table is ``docs/swap_sweep.md``.
"""
import json
import logging
import os
import os.path as osp
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

SCOPES = ('mmdet', 'mmseg')
# folders of the packages' config trees that hold no model configs of their own
NOT_FAMILIES = {'_base_', 'common', 'misc', 'legacy_1.x', 'dsdl'}
# name parts that mark a variant of a family's base model, not the base model
_VARIANT_PARTS = {'r101', 'x101', 'r18', 'caffe', 'ms', 'mstrain', 'mstest', 'dcn', 'gn',
                  'syncbn', '2x', '3x', '20e', '24e', 'tta', 'lsj', 'amp', 'fp16', 'giou',
                  'ciou', 'lvis', 'voc', 'pascal', 'bs16', 'dc5', 'c4', '769x769', 'isaid',
                  'levir', 'crop'}
SIZE = dict(mmdet=320, mmseg=128)


def families(scope):
    """``{family: [packaged config names]}`` of ``scope`` (mmdet or mmseg)."""
    import importlib
    root = osp.join(osp.dirname(importlib.import_module(scope).__file__), '.mim', 'configs')
    found = {}
    for family in sorted(os.listdir(root)):
        folder = osp.join(root, family)
        if family in NOT_FAMILIES or not osp.isdir(folder):
            continue
        # test-time augmentation files hold a pipeline, not a model
        names = sorted(f for f in os.listdir(folder)
                       if f.endswith('.py') and not f.endswith('_tta.py'))
        if names:
            found[family] = [f'{scope}::{family}/{name}' for name in names]
    return found


def representative(names):
    """The family's base model: fewest variant name parts (``_VARIANT_PARTS``),
    then on the toolbox's benchmark (COCO / Cityscapes), then ResNet-50, then
    the shortest name, then name order."""
    def variant_parts(name):
        parts = re.split(r'[-_.]', name.split('/')[-1])
        return sum(1 for p in parts if p in _VARIANT_PARTS or re.fullmatch(r'crop\d+', p))
    def off_benchmark(name):  # COCO for mmdet, Cityscapes for mmseg
        return ('coco' if name.startswith('mmdet') else 'cityscapes') not in name
    return min(names, key=lambda n: (variant_parts(n), off_benchmark(n), 'r50' not in n,
                                     len(n), n))


def demo_batch(cfg, size=None):
    """Two random images with boxes (and masks) of three classes (fewer where
    the model has fewer), or random label maps: the tiny batch the sweep and
    the swap tests train on."""
    import torch
    scope = cfg.default_scope
    size = size or SIZE[scope]
    if scope == 'mmdet':
        from .check import demo_detection_batch
        return demo_detection_batch(cfg.model, size, [3, 2], 3, 'mask' in str(cfg.model).lower())
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    if 'LRASPP' in str(cfg.model.decode_head):
        size = max(size, 512)  # its 49x49 pooling
    if cfg.model.data_preprocessor.get('size'):
        cfg.model.data_preprocessor.size = (size, size)  # pad to the tiny image, not the crop
    g = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for _ in range(2):
        inputs.append(torch.randint(0, 256, (3, size, size), generator=g, dtype=torch.uint8))
        sample = SegDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size),
                                             pad_shape=(size, size), scale_factor=(1.0, 1.0)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 3, (1, size, size), generator=g))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def train_step_and_predict(cfg, backbone='GhostNet'):
    """Build ``cfg.model`` (a swapped config; a wrapper's detector, as the
    tool's check does: trackers train it on detection batches) as the Runner would, take one
    SGD step on :func:`demo_batch` and predict it; raise AssertionError if
    the backbone is not ``backbone`` (None: any), a loss is not finite, no
    backbone weight moved, or the predictions lack boxes (or a panoptic map)
    / a full-size label map. Returns the predictions. The random weights
    come from a fixed seed, as the swap check's (:func:`.check.seeded_weights`):
    the outcome does not depend on what ran before in the process."""
    from .check import seeded_weights
    with seeded_weights():
        return _train_step_and_predict(cfg, backbone)


def _train_step_and_predict(cfg, backbone):
    import torch
    from mmengine.logging import MMLogger
    from mmengine.model import revert_sync_batchnorm
    from mmengine.optim import OptimWrapper
    from ..registry import scope_models
    from .check import checked_model, runner_message_hub
    registry = scope_models(cfg.default_scope)
    runner_message_hub(cfg)  # YOLOX/TOOD read the iteration/epoch: a fresh hub
    data = demo_batch(cfg)
    # SyncBN needs a process group
    model = revert_sync_batchnorm(registry.build(checked_model(cfg.model)))
    logger = MMLogger.get_current_instance()
    level, logger.level = logger.level, logging.WARNING  # init_weights logs every tensor
    try:
        model.init_weights()  # as the Runner does (heads such as DETR's rely on it)
    finally:
        logger.level = level
    if backbone:
        assert type(model.backbone).__name__ == backbone, type(model.backbone).__name__
    model.train()
    trainable = {n: p.detach().clone() for n, p in model.backbone.named_parameters()
                 if p.requires_grad}
    losses = model.train_step(data, OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01)))
    assert all(torch.isfinite(v).all() for v in losses.values()), f'losses not finite: {losses}'
    moved = [n for n, p in model.backbone.named_parameters()
             if n in trainable and not torch.equal(trainable[n], p)]
    assert moved, 'no backbone parameter was updated: the losses do not reach the backbone'
    model.eval()
    with torch.no_grad():
        outputs = model.test_step(data)
    assert len(outputs) == 2
    for out in outputs:
        if cfg.default_scope == 'mmdet':
            assert 'pred_instances' in out or 'pred_panoptic_seg' in out, out.keys()
            if 'pred_instances' in out:
                assert out.pred_instances.bboxes.shape[1] == 4
        else:
            assert tuple(out.pred_sem_seg.data.shape[-2:]) == tuple(out.ori_shape)
    return outputs


def try_one(name):
    """(outcome, detail) of swapping and training config ``name``, in this process."""
    import warnings
    from .entry import swap_backbone
    from .errors import SwapError, first_line
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            result = swap_backbone(name, pretrained=None)
        unchecked = [str(w.message) for w in caught if 'NOT CHECKED' in str(w.message)]
        if unchecked:
            return 'not checked', unchecked[0].split('NOT CHECKED: ')[-1]
    except SwapError as err:
        return 'refused', str(err).split(': ', 1)[-1]
    except Exception as err:  # what the sweep is for: anything else is a finding
        return 'failed', f'{type(err).__name__}: {first_line(err)}'
    try:
        train_step_and_predict(result.cfg)
        return 'trained', ''
    except Exception as err:
        swapped = f'{type(err).__name__}: {first_line(err)}'
    try:  # does the original config pass the same check here?
        from mmengine.config import Config
        from .source import loadable_name
        train_step_and_predict(Config.fromstring(f'_base_ = {loadable_name(name)!r}\n', '.py'),
                               backbone=None)
    except Exception as original:
        return 'not checked', (f'the original config fails the same step here too '
                               f'({type(original).__name__}: {first_line(original)}); the '
                               f'swapped one: {swapped}')
    return 'failed', swapped


def _in_subprocess(name, timeout):
    start = time.time()
    code = ('import json, sys, torch; torch.set_num_threads(1); import ghost_mm; '
            'from ghost_mm.swap.sweep import try_one; '
            f'print("SWEEP-RESULT " + json.dumps(try_one({name!r})))')
    try:
        done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return 'failed', f'over the {timeout} s limit', time.time() - start
    lines = [line for line in done.stdout.splitlines() if line.startswith('SWEEP-RESULT ')]
    if not lines:
        tail = (done.stderr.strip().splitlines() or ['(no output)'])[-1]
        return 'failed', f'the process ended (exit {done.returncode}): {tail}', \
            time.time() - start
    outcome, detail = json.loads(lines[-1][len('SWEEP-RESULT '):])
    return outcome, detail, time.time() - start


def sweep(out_json, out_md, scopes=SCOPES, jobs=2, timeout=300, only=None, update=False,
          log=print):
    """Try every family's representative of ``scopes`` (or only the families
    and packaged config names in ``only``), ``jobs`` processes at a time;
    write the results as json and as a markdown table; return
    ``{outcome: count}``. With ``update``, the rows of
    an earlier ``out_json`` are kept except those re-checked now."""
    picks = []
    for scope in scopes:
        for family, names in families(scope).items():
            picks.append((scope, family, representative(names)))
    if only:  # family names (their representative) or packaged config names
        picks = [p for p in picks if p[1] in only] + [
            (name.split('::')[0], name.split('::')[1].split('/')[0], name)
            for name in only if '::' in name]
    rows = []

    def run(pick):
        outcome, detail, seconds = _in_subprocess(pick[2], timeout)
        log(f'{outcome:12s} {seconds:6.1f} s  {pick[2]}' + (f'  ({detail[:150]})' if detail else ''))
        return dict(scope=pick[0], family=pick[1], config=pick[2], outcome=outcome,
                    detail=detail, seconds=round(seconds, 1))

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        rows = list(pool.map(run, picks))
    if update and osp.isfile(out_json):  # re-checked rows replace theirs, the rest stay
        with open(out_json) as f:
            earlier = json.load(f)['rows']
        fresh = {row['config']: row for row in rows}
        rows = [fresh.pop(row['config'], row) for row in earlier] + list(fresh.values())
    counts = {}
    for row in rows:
        counts[row['outcome']] = counts.get(row['outcome'], 0) + 1
    with open(out_json, 'w') as f:
        json.dump({'counts': counts, 'rows': rows}, f, indent=1)
    with open(out_md, 'w') as f:
        f.write(render_markdown(rows, counts))
    return counts


def render_markdown(rows, counts):
    from importlib.metadata import version
    lines = ['# The swap tool over every mmdet / mmseg config family', '',
             f'`tools/swap_sweep.py` (mmdet {version("mmdet")}, mmsegmentation '
             f'{version("mmsegmentation")}): one representative config per family '
             '(config folder; rule in `ghost_mm/swap/sweep.py`), each swapped to GhostNet '
             '1.0x, given one SGD step and run in inference on a tiny batch, in its own '
             'process. ' + ', '.join(f'**{n} {k}**' for k, n in sorted(counts.items())) + '.',
             '', '| scope | family | config | outcome | why / note | s |', '|---|---|---|---|---|---|']
    for row in rows:
        detail = row['detail'].replace('|', '/').replace('\n', ' ')
        if len(detail) > 300:
            detail = detail[:300] + ' ...'
        lines.append(f'| {row["scope"]} | {row["family"]} | `{row["config"].split("::")[1]}` | '
                     f'{row["outcome"]} | {detail} | {row["seconds"]} |')
    return '\n'.join(lines) + '\n'
