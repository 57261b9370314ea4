"""Pre-flight checks of a config's inputs, before a runner is built: the
dataset folders and annotation files, the images they name, the pretrained
backbone file. Each problem is one message saying what is expected where and
how to get it (``MissingInputError``); softer problems are warnings."""
import functools
import json
import logging
import os.path as osp

from mmengine.logging import print_log

from .skipping import image_folder, skips_bad_images

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
VOC_HELP = (
    'Expected PASCAL VOC in mmdet\'s layout:\n'
    '  {root}VOC2007/{{Annotations/*.xml,ImageSets/Main/{{trainval,test}}.txt,JPEGImages/*.jpg}}\n'
    '  {root}VOC2012/{{Annotations/*.xml,ImageSets/Main/trainval.txt,JPEGImages/*.jpg}}\n'
    'Download VOCtrainval_06-Nov-2007.tar, VOCtest_06-Nov-2007.tar and '
    'VOCtrainval_11-May-2012.tar from the PASCAL VOC site and untar them in the folder '
    'above {root} (each unpacks into VOCdevkit/), or link: '
    'ln -s /path/to/VOCdevkit data/VOCdevkit. '
    'A small VOC-format sample: python tools/make_voc_sample.py data/voc_sample')
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
    if 'VOC' in str(dataset_type):
        return VOC_HELP.format(root=root)
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


# mmdet's tracking parts import these packages only when they are installed
# (mmdet does not list them) and keep None under the name otherwise: the part,
# and the mmdet module and name to look at
TRACKING_PACKAGES = {
    'MOTChallengeMetric': ('mmdet.evaluation.metrics.mot_challenge_metric', 'trackeval'),
    'ByteTracker': ('mmdet.models.trackers.byte_tracker', 'lap'),
    'OCSORTTracker': ('mmdet.models.trackers.ocsort_tracker', 'lap'),
    'SORTTracker': ('mmdet.models.trackers.sort_tracker', 'motmetrics'),
    'StrongSORTTracker': ('mmdet.models.trackers.strongsort_tracker', 'motmetrics'),
}
# how to install each: lap and TrackEval (a fork that runs on numpy 2) are
# ghost_mm's track extra; motmetrics 1.4.0 calls np.asfarray, gone in numpy 2
INSTALL = {'trackeval': 'pip install "ghost_mm[track]" (in a checkout: pip install ".[track]")',
           'lap': 'pip install "ghost_mm[track]" (in a checkout: pip install ".[track]")',
           'motmetrics': 'pip install motmetrics (1.4.0 needs numpy < 2)'}


def missing_packages(cfg):
    """Messages for the optional packages the config's tracker or metrics
    need and mmdet found missing (mmdet would fail only when it gets there,
    after training, or ask for a TrackEval that needs numpy < 2)."""
    import importlib
    model = cfg.get('model') or {}
    parts = [model.get('tracker') or {}]
    for key in ('val_evaluator', 'test_evaluator'):
        evaluator = cfg.get(key) or []
        parts += evaluator if isinstance(evaluator, list) else [evaluator]
    problems = []
    for part in {str(p.get('type', '')).split('.')[-1] for p in parts} & set(TRACKING_PACKAGES):
        module, package = TRACKING_PACKAGES[part]
        if getattr(importlib.import_module(module), package, None) is None:
            problems.append(f'{part} needs the package {package!r}, which is not installed: '
                            f'{INSTALL[package]}')
    return sorted(problems)


def check_inputs(cfg, **kwargs):
    try:
        problems = missing_packages(cfg) + missing_inputs(cfg, **kwargs)
        if problems:
            raise MissingInputError(
                f'{cfg.filename} cannot run:\n' + '\n\n'.join(problems))
        warnings = annotation_warnings(cfg, kwargs.get('loaders', DATASET_LOADERS))
    finally:
        _read_json.cache_clear()  # parsed files can be large: not kept for the run
    for warning in warnings:
        print_log(warning, logger='current', level=logging.WARNING)
