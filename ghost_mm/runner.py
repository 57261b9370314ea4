"""Train/test entry points behind ``tools/train.py`` and ``tools/test.py``.

They do what mmdet's and mmseg's tools do (same arguments), for any mm
config, plus what those tools lack here:

* a pre-flight check that stops at once, with one message, when the dataset
  or the pretrained backbone file named by the config is missing, or an
  annotation file is empty or unreadable;
* ``--resume``/``load_from``/testing a checkpoint on torch >= 2.6, through
  :func:`ghost_mm.checkpoint.runner_checkpoint_globals`;
* multi-process training on CPUs (gloo), which mmengine's launcher lacks;
* a loss/metric curve picture written to the work dir after training.
"""
import functools
import json
import logging
import os
import os.path as osp
import uuid

from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.runner import Runner

from .checkpoint import runner_checkpoint_globals
from .skipping import image_folder, skip_unreadable_for_evaluation, skips_bad_images

COCO_HELP = (
    'Expected the COCO 2017 layout:\n'
    '  {root}annotations/instances_train2017.json, instances_val2017.json\n'
    '  {root}train2017/*.jpg, {root}val2017/*.jpg\n'
    'Download train2017.zip, val2017.zip and annotations_trainval2017.zip from '
    'cocodataset.org and unzip them there (or link: ln -s /path/to/coco data/coco).')
CITYSCAPES_HELP = (
    'Expected the Cityscapes layout:\n'
    '  {root}leftImg8bit/{{train,val}}/CITY/*_leftImg8bit.png\n'
    '  {root}gtFine/{{train,val}}/CITY/*_gtFine_labelTrainIds.png\n'
    'Download leftImg8bit_trainvaltest.zip and gtFine_trainvaltest.zip from '
    'cityscapes-dataset.com, unzip them there, then write the labelTrainIds '
    'files with cityscapesscripts (pip install cityscapesscripts):\n'
    '  CITYSCAPES_DATASET={root} csCreateTrainIdLabelImgs')
IMAGENET_HELP = (
    'Expected ImageNet-1k in mmpretrain\'s layout:\n'
    '  {root}/train/n01440764/*.JPEG ... (1000 class folders)\n'
    '  {root}/val/*.JPEG with {root}/meta/val.txt, or {root}/val/CLASS/*.JPEG\n'
    'Download ILSVRC2012_img_train.tar and ILSVRC2012_img_val.tar from image-net.org '
    'and unpack them there (mmpretrain docs: "Prepare Dataset", ImageNet), or link: '
    'ln -s /path/to/imagenet data/imagenet.')
PRETRAINED_HELP = (
    'Convert an official or timm GhostNet ImageNet checkpoint with\n'
    '  python tools/convert_checkpoint.py SRC.pth {path}\n'
    'or train from scratch (README: "Train from scratch"), which also needs every level\n'
    'unfrozen and BN statistics learned:\n'
    '  --cfg-options model.backbone.init_cfg=None model.backbone.frozen_stages=-1 '
    'model.backbone.norm_eval=False')


class MissingInputError(FileNotFoundError):
    """A file or folder the config needs is not there, or is unusable; the
    message says what is expected where and how to get it."""


# annotation files parsed up front (once, then freed): COCO's train2017 file
# (448 MB) included; larger ones (Objects365's) are left to the toolbox
ANNOTATION_CHECK_MAX_BYTES = 1 << 30
DATASET_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@functools.lru_cache(maxsize=8)
def _read_json(path, mtime, size):
    """A parsed annotation file (cached by path, mtime and size: the
    pre-flight checks read each file once; check_inputs empties the cache so
    that a run does not keep it), or the error reading it."""
    try:
        with open(path) as f:
            return json.load(f)
    except (ValueError, UnicodeDecodeError) as err:
        return err


def _coco_content(path):
    """The parsed COCO json at ``path``, the exception if it does not parse,
    or None where it is not checked (not .json, missing, too large)."""
    if not path.endswith('.json') or not osp.isfile(path) or \
            osp.getsize(path) > ANNOTATION_CHECK_MAX_BYTES:
        return None
    return _read_json(path, osp.getmtime(path), osp.getsize(path))


def _annotation_problem(path):
    """Why a COCO-style annotation file is unusable, or None."""
    if osp.getsize(path) == 0:
        return f'annotation file {path} is empty (0 bytes)'
    content = _coco_content(path)
    if isinstance(content, Exception):
        return f'annotation file {path} is not valid json: {content}'
    if isinstance(content, dict) and 'images' in content and not content['images']:
        return f'annotation file {path} lists no images'
    return None


def _missing_images(ds, content):
    """The images a COCO file lists that are missing or empty (0 bytes) on
    disk: cheap checks of every file before anything runs."""
    folder = image_folder(ds)
    missing = []
    for image in content.get('images', []):
        path = osp.join(folder, image.get('file_name', ''))
        if not osp.isfile(path) or osp.getsize(path) == 0:
            missing.append(path)
    return missing


def _missing_images_message(loader, ds, missing, content):
    names = ', '.join(osp.basename(p) for p in missing[:5]) + (' ...' if len(missing) > 5 else '')
    return (f'{loader}: {len(missing)} of {len(content["images"])} images listed in '
            f'{osp.join(ds.get("data_root") or "", ds["ann_file"])} are missing or empty: '
            f'{names}')


def add_runner_arguments(parser):
    """The arguments ``tools/train.py`` and ``tools/test.py`` share with
    mmdet's and mmseg's tools."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser


def _dataset_cfgs(cfg, loaders):
    for name in loaders:
        loader = cfg.get(name)
        if not loader:
            continue
        dataset = loader['dataset']
        # wrappers (RepeatDataset, ConcatDataset ...) hold the real one(s)
        stack = [dataset]
        while stack:
            ds = stack.pop()
            if 'dataset' in ds:
                stack.append(ds['dataset'])
            elif 'datasets' in ds:
                stack.extend(ds['datasets'])
            else:
                yield name, ds


def _help_for(dataset_type, root):
    if 'Cityscapes' in str(dataset_type):
        return CITYSCAPES_HELP.format(root=root)
    if 'Coco' in str(dataset_type):
        return COCO_HELP.format(root=root)
    if 'ImageNet' in str(dataset_type):
        return IMAGENET_HELP.format(root=root.rstrip('/'))
    return ''


def missing_inputs(cfg, loaders=DATASET_LOADERS, check_pretrained=True):
    """Messages for every dataset path or pretrained file ``cfg`` names but
    the disk lacks, or annotation file that is empty or unreadable, each
    dataset's layout help once at the end (empty list: all is well)."""
    problems, helps = [], {}
    for loader, ds in _dataset_cfgs(cfg, loaders):
        root = ds.get('data_root') or ''
        wanted = []
        if ds.get('ann_file'):
            wanted.append(osp.join(root, ds['ann_file']))
        prefixes = ds.get('data_prefix') or {}
        # mmpretrain: a folder name, or its ImageNet's `split` (data_root/split)
        prefixes = [prefixes] if isinstance(prefixes, str) else list(prefixes.values())
        if ds.get('split') and not ds.get('ann_file') and not prefixes:
            prefixes = [ds['split']]
        for prefix in prefixes:
            if prefix:
                wanted.append(osp.join(root, prefix))
        absent = [p for p in wanted if not osp.exists(p)]
        if absent or (root and not osp.isdir(root)):
            problems.append(
                f'{loader}: {ds.get("type")} data not found: '
                f'{", ".join(absent or [root])} (data_root={root!r}).')
            helps.setdefault(_help_for(ds.get('type'), root))
        elif ds.get('ann_file') and osp.isfile(wanted[0]):
            problem = _annotation_problem(wanted[0])
            if problem:
                problems.append(f'{loader}: {problem}.')
                continue
            content = _coco_content(wanted[0])
            # skipped images are only warned about (annotation_warnings)
            missing = _missing_images(ds, content) \
                if isinstance(content, dict) and not skips_bad_images(ds) else []
            if missing:
                problems.append(_missing_images_message(loader, ds, missing, content)
                                + '. Remove them from the annotation file, or skip them: '
                                '"SkippingLoadImageFromFile" as the first step of this '
                                'pipeline (README: "Train and test on COCO").')
    backbone_init = cfg.get('model', {}).get('backbone', {}).get('init_cfg')
    if check_pretrained and isinstance(backbone_init, dict) and \
            backbone_init.get('type') == 'Pretrained':
        path = str(backbone_init.get('checkpoint'))
        if '://' not in path and not osp.isfile(path):
            problems.append(f'pretrained backbone not found: {path}\n'
                            + PRETRAINED_HELP.format(path=path))
    return problems + [h for h in helps if h]


def annotation_warnings(cfg, loaders=DATASET_LOADERS):
    """Warnings for COCO annotation files that load but would mislead: the
    configured ``metainfo.classes`` are not the file's categories (mmdet maps
    the configured names it finds, in order, to labels 0..n-1, so a class the
    file lacks shifts the labels of the rest silently), or ``area`` fields
    larger than their boxes (COCOeval files objects as small/medium/large by
    ``area``: every object becomes "large")."""
    found = []
    for loader, ds in _dataset_cfgs(cfg, loaders):
        path = osp.join(ds.get('data_root') or '', ds.get('ann_file') or '')
        content = _coco_content(path)
        if not isinstance(content, dict):
            continue  # not checked, or _annotation_problem reports it
        try:
            names = [c['name'] for c in content.get('categories', [])]
            oversized = sum(1 for a in content.get('annotations', [])
                            if a.get('area', 0) > 1.01 * a['bbox'][2] * a['bbox'][3] + 1)
        except (KeyError, TypeError, AttributeError, IndexError):
            continue  # malformed entries: mmdet's own loader names them
        missing = _missing_images(ds, content) if skips_bad_images(ds) else []
        if missing:
            found.append(_missing_images_message(loader, ds, missing, content)
                         + ': SkippingLoadImageFromFile will skip them.')
        classes = (ds.get('metainfo') or {}).get('classes')
        absent = [c for c in classes or () if c not in names]
        unused = [n for n in names if classes and n not in classes]
        if absent:
            found.append(f'{loader}: configured classes {absent} are not categories of {path} '
                         f'(its categories: {names}; configured: {list(classes)}): mmdet '
                         f'gives labels to the classes it finds in order, so the labels of '
                         f'the others shift. Make metainfo.classes the file\'s category names.')
        elif classes and [n for n in names if n in classes] != list(classes):
            in_file = [n for n in names if n in classes]
            i = next(i for i, (a, b) in enumerate(zip(classes, in_file)) if a != b)
            found.append(f'{loader}: metainfo.classes {list(classes)} are not in the order of '
                         f'the categories of {path} ({in_file}): mmdet numbers the labels in '
                         f'the file\'s order but names them in the configured one, so '
                         f'"{classes[i]}" would name the objects of "{in_file[i]}" (pictures, '
                         f'per-class AP, deployed class names). List the classes in the '
                         f'file\'s order: {tuple(in_file)}.')
        if unused and not absent:
            more = f' and {len(unused) - 10} more' if len(unused) > 10 else ''
            found.append(f'{loader}: categories {unused[:10]}{more} of {path} are not in the '
                         f'configured classes {list(classes)}: their objects are ignored.')
        if oversized:
            found.append(f'{loader}: {oversized} of {len(content["annotations"])} annotations '
                         f'in {path} have an "area" larger than their box: COCO evaluation '
                         f'files objects as small/medium/large by "area", so mAP_s/m/l will '
                         f'be wrong. "area" should be the object\'s mask (or box) area.')
    return found


def check_inputs(cfg, **kwargs):
    try:
        problems = missing_inputs(cfg, **kwargs)
        if problems:
            raise MissingInputError(
                f'{cfg.filename} cannot run:\n' + '\n\n'.join(problems))
        warnings = annotation_warnings(cfg, kwargs.get('loaders', DATASET_LOADERS))
    finally:
        _read_json.cache_clear()  # parsed files can be large: not kept for the run
    for warning in warnings:
        print_log(warning, logger='current', level=logging.WARNING)


def model_of(config):
    """The ``model`` dict of another config file, whole (``custom_imports``
    run): for a config that takes one config's network and another's data and
    schedule, as the quick starts do with
    ``model = dict(_delete_=True, **model_of('{{ fileDirname }}/../x.py'))``."""
    return Config.fromfile(config).model.to_dict()


def load_config(config, cfg_options=None, work_dir=None, launcher='none'):
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg


def _prepare_cpu_distributed(cfg):
    """mmengine's pytorch launcher assumes CUDA (``torch.cuda.set_device``,
    DDP ``device_ids``). Without a GPU, start the gloo process group here
    (mmengine then skips its own init) and wrap the model for CPU."""
    import torch
    import torch.distributed as dist
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return
    cfg.env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel', device_ids=None, broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))


def build_runner(cfg):
    _prepare_cpu_distributed(cfg)
    if isinstance(cfg.get('visualizer'), dict):
        # visualizers are named singletons ('visualizer' in every toolbox's
        # runtime config): a second runner in this process would get the
        # first one's, and write its logs and pictures into that run's folder
        name = cfg.visualizer.get('name', 'visualizer')
        cfg.visualizer.name = f'{name}-{uuid.uuid4().hex}'
    if 'runner_type' in cfg:
        from mmengine.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def run_train(config, work_dir=None, resume=None, amp=False, auto_scale_lr=False,
          cfg_options=None, launcher='none'):
    """Train like mmdet's/mmseg's ``tools/train.py``. ``resume='auto'`` takes
    the latest checkpoint of the work dir, a path that checkpoint."""
    cfg = load_config(config, cfg_options, work_dir, launcher)
    if amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if auto_scale_lr and 'auto_scale_lr' in cfg:
        cfg.auto_scale_lr.enable = True
    if resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif resume is not None:
        cfg.resume, cfg.load_from = True, resume
    check_inputs(cfg, loaders=('train_dataloader', 'val_dataloader'),
                 check_pretrained=not cfg.get('resume') and not cfg.get('load_from'))
    notes = skip_unreadable_for_evaluation(cfg, ('val_dataloader',))
    custom_hooks = list(cfg.get('custom_hooks') or [])
    if not any(h.get('type') == 'TrainingCurveHook' for h in custom_hooks):
        custom_hooks.append(dict(type='TrainingCurveHook'))
    cfg.custom_hooks = custom_hooks
    runner = build_runner(cfg)
    for note in notes:
        runner.logger.warning(note)
    with runner_checkpoint_globals():
        runner.train()
    return runner


def run_test(config, checkpoint, work_dir=None, out=None, show_dir=None,
         cfg_options=None, launcher='none'):
    """Evaluate ``checkpoint`` like the mm ``tools/test.py``; ``out`` is a
    results file prefix (COCO json for detection, prediction PNG folder for
    segmentation), ``show_dir`` a folder of drawn predictions."""
    cfg = load_config(config, cfg_options, work_dir, launcher)
    cfg.load_from = checkpoint
    if not osp.isfile(checkpoint):
        raise MissingInputError(f'checkpoint not found: {checkpoint}')
    check_inputs(cfg, loaders=('test_dataloader',), check_pretrained=False)
    notes = skip_unreadable_for_evaluation(cfg, ('test_dataloader',))
    if cfg.model.get('backbone', {}).get('init_cfg'):
        cfg.model.backbone.init_cfg = None  # the checkpoint holds the weights
    if show_dir:  # as mmdet's / mmseg's own tools/test.py do it
        cfg.default_hooks.visualization.draw = True
        if cfg.get('default_scope') == 'mmseg':
            cfg.visualizer.save_dir = osp.abspath(show_dir)
            cfg.default_hooks.visualization.interval = 1  # every image, not every 50th
        else:
            cfg.default_hooks.visualization.test_out_dir = osp.abspath(show_dir)
    if out:
        for evaluator in (cfg.test_evaluator if isinstance(cfg.test_evaluator, list)
                          else [cfg.test_evaluator]):
            if evaluator.get('type') == 'CocoMetric':
                os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
                evaluator.outfile_prefix = out
            elif evaluator.get('type') == 'IoUMetric':
                evaluator.output_dir = out
    runner = build_runner(cfg)
    for note in notes:
        runner.logger.warning(note)
    with runner_checkpoint_globals():
        metrics = runner.test()
    return metrics
