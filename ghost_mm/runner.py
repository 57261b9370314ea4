"""Train/test entry points behind ``tools/train.py`` and ``tools/test.py``.

They do what mmdet's and mmseg's tools do (same arguments), for any mm
config, plus what those tools lack here:

* a pre-flight check that stops at once, with one message, when the dataset
  or the pretrained backbone file named by the config is missing, or an
  annotation file is empty or unreadable (:mod:`ghost_mm.data.checks`);
* ``--resume``/``load_from``/testing a checkpoint on torch >= 2.6, through
  :func:`ghost_mm.weights.runner_checkpoint_globals`;
* multi-process training on CPUs (gloo), which mmengine's launcher lacks;
* a loss/metric curve picture written to the work dir after training.
"""
import os
import os.path as osp
import uuid

from mmengine.config import DictAction
from mmengine.runner import Runner

from .config_files import read_config
from .data.checks import MissingInputError, check_inputs
from .data.checks import annotation_warnings, missing_inputs  # noqa: F401  (public here too)
from .data.skipping import skip_unreadable_for_evaluation
from .weights.safe_load import runner_checkpoint_globals


def add_runner_arguments(parser):
    """The arguments ``tools/train.py`` and ``tools/test.py`` share with
    mmdet's and mmseg's tools."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser


def model_of(config):
    """The ``model`` dict of another config file, whole (``custom_imports``
    run): for a config that takes one config's network and another's data and
    schedule, as the quick starts do with
    ``model = dict(_delete_=True, **model_of('{{ fileDirname }}/../x.py'))``."""
    return read_config(config).model.to_dict()


def load_config(config, cfg_options=None, work_dir=None, launcher='none'):
    cfg = read_config(config)
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
    if cfg.launcher == 'slurm':
        os.environ.update(slurm_process_env(os.environ))
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel', device_ids=None, broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))


def slurm_process_env(environ, port='29500'):
    """The torch.distributed variables of a Slurm task, from the ones srun
    sets, as mmengine's slurm launcher derives them (it does so only with
    CUDA): rank and world size from ``SLURM_PROCID``/``SLURM_NTASKS``, the
    master the job's first node (``scontrol show hostname``), ``MASTER_ADDR``
    and ``MASTER_PORT`` kept when set."""
    import subprocess
    missing = [k for k in ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST') if k not in environ]
    if missing:
        raise RuntimeError(f'--launcher slurm outside a Slurm task: {", ".join(missing)} not '
                           'set (start it with srun, e.g. through tools/slurm_train.sh)')
    env = {'RANK': environ['SLURM_PROCID'], 'WORLD_SIZE': environ['SLURM_NTASKS'],
           'LOCAL_RANK': environ.get('SLURM_LOCALID', '0'),
           'MASTER_PORT': environ.get('MASTER_PORT', port)}
    if 'MASTER_ADDR' in environ:
        env['MASTER_ADDR'] = environ['MASTER_ADDR']
    else:
        hosts = subprocess.run(['scontrol', 'show', 'hostname', environ['SLURM_NODELIST']],
                               capture_output=True, text=True, check=True).stdout.split()
        env['MASTER_ADDR'] = hosts[0]
    return env


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


def end_distributed(finished=True):
    """Destroy the process group a launcher started (mmengine leaves it), so
    that gloo's threads end before the interpreter does: left to the exit, a
    task of a 2-task CPU job aborted once in four runs ("terminate called
    without an active exception"). A task that ``finished`` first waits for
    the others (a barrier), so that none tears its connections down while a
    peer still writes its checkpoint or curves (without it, the abort came
    back once, in a full test run, after both tasks had trained and saved).
    A task that failed does not wait (its peers may never arrive). Nothing to
    do when not distributed."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        if finished:
            dist.barrier()
        dist.destroy_process_group()


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


def use_tta(cfg):
    """Test with the config's ``tta_model`` around its model and its
    ``tta_pipeline`` (multi-scale + flip, merged by mmdet's ``DetTTAModel`` or
    mmseg's ``SegTTAModel``), as mmdet's and mmseg's ``tools/test.py --tta`` do."""
    absent = [key for key in ('tta_model', 'tta_pipeline') if not cfg.get(key)]
    if absent:
        raise MissingInputError(
            f'{cfg.filename} has no {" and no ".join(absent)}: --tta tests with the config\'s '
            'own test-time augmentation. Add them as mmdet\'s configs do (e.g. _base_ = [..., '
            '\'mmdet::retinanet/retinanet_tta.py\']: DetTTAModel, Resize at several scales, '
            'RandomFlip prob 1 and 0) or mmseg\'s (SegTTAModel; its dataset bases carry a '
            'tta_pipeline)')
    cfg.model = dict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    return cfg


def run_test(config, checkpoint, work_dir=None, out=None, show_dir=None,
             cfg_options=None, launcher='none', tta=False):
    """Evaluate ``checkpoint`` like the mm ``tools/test.py``; ``out`` is a
    results file prefix (COCO json for detection, prediction PNG folder for
    segmentation), ``show_dir`` a folder of drawn predictions; ``tta``: with
    the config's test-time augmentation (:func:`use_tta`)."""
    cfg = load_config(config, cfg_options, work_dir, launcher)
    cfg.load_from = checkpoint
    if not osp.isfile(checkpoint):
        raise MissingInputError(f'checkpoint not found: {checkpoint}')
    check_inputs(cfg, loaders=('test_dataloader',), check_pretrained=False)
    notes = skip_unreadable_for_evaluation(cfg, ('test_dataloader',))
    if cfg.model.get('backbone', {}).get('init_cfg'):
        cfg.model.backbone.init_cfg = None  # the checkpoint holds the weights
    if tta:
        use_tta(cfg)
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
