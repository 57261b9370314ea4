import contextlib
import os
import sys

import pytest
import torch

import ghost_mm  # noqa: F401  (registers GhostNet, quiets pkg_resources)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'tools'))

RETINANET = 'configs/quickstart/retinanet_ghostnet_coco-sample.py'
# the same with GhostConv in the FPN and the head
RETINANET_GHOST = 'configs/quickstart/retinanet_ghostnet_ghost-fpn-head_coco-sample.py'
FASTER_RCNN = 'configs/quickstart/faster-rcnn_ghostnet_fpn_coco-sample.py'
DEEPLABV3 = 'configs/quickstart/deeplabv3_ghostnet_cityscapes-sample.py'
SSDLITE = 'configs/quickstart/ssdlite_ghostnet_coco-sample.py'
RTMDET = 'configs/quickstart/rtmdet-tiny_ghostnet_coco-sample.py'
YOLOX = 'configs/quickstart/yolox-tiny_ghostnet_coco-sample.py'
LRASPP = 'configs/quickstart/lraspp_ghostnet_cityscapes-sample.py'
VOC = 'configs/quickstart/retinanet_ghostnet_voc-sample.py'
MOT = 'configs/quickstart/bytetrack_ghostnet_mot-sample.py'
SAMPLE = os.path.join(REPO, 'samples/coco/train2017')
ANN = os.path.join(REPO, 'samples/coco/annotations/instances_train2017.json')
CALIB = os.path.join(REPO, 'samples/coco/val2017')


# fixtures that train a quick start (once per session); a test using one is
# `slow` (left out of `make test-fast`), as are the tests marked by hand
TRAINING_FIXTURES = {'trained', 'deployed', 'trained_classifier'}


def pytest_collection_modifyitems(items):
    for item in items:
        if TRAINING_FIXTURES & set(getattr(item, 'fixturenames', ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture
def repo_root(monkeypatch):
    """Run from the checkout's root, as the README's commands do."""
    monkeypatch.chdir(REPO)
    return REPO


@contextlib.contextmanager
def _in_repo():
    here = os.getcwd()
    os.chdir(REPO)
    try:
        yield
    finally:
        os.chdir(here)


@pytest.fixture(scope='session')
def cityscapes_sample(tmp_path_factory):
    from ghost_mm.data.cityscapes_sample import make_cityscapes_sample
    root = tmp_path_factory.mktemp('cityscapes_sample')
    make_cityscapes_sample(str(root), seed=0)
    return root


def _made_sample(tmp_path_factory, name, make):
    root = tmp_path_factory.mktemp(name)
    with _in_repo():  # both read the shipped COCO sample
        make(str(root), log=quiet)
    return root


@pytest.fixture(scope='session')
def voc_sample(tmp_path_factory):
    from ghost_mm.data.voc_sample import make_voc_sample
    return _made_sample(tmp_path_factory, 'voc_sample', make_voc_sample)


@pytest.fixture(scope='session')
def mot_sample(tmp_path_factory):
    from ghost_mm.data.mot_sample import make_mot_sample
    return _made_sample(tmp_path_factory, 'mot_sample', make_mot_sample)


@pytest.fixture(scope='session')
def generated_samples(cityscapes_sample, voc_sample, mot_sample):
    """The samples made at test time, by their quick starts' name endings
    (``*_cityscapes-sample.py``, ``*_voc-sample.py``, ``*_mot-sample.py``)."""
    return {'cityscapes': cityscapes_sample, 'voc': voc_sample, 'mot': mot_sample}


def on_sample_root(root, **extra):
    """cfg_options that point a quick start whose data is generated (the
    Cityscapes-format, VOC and MOT samples) at ``root``."""
    return {'train_dataloader.dataset.data_root': f'{root}/',
            'val_dataloader.dataset.data_root': f'{root}/',
            'test_dataloader.dataset.data_root': f'{root}/', **extra}


def generated_sample_options(config, samples):
    """cfg_options for a quick start on a sample generated this session."""
    for word, root in samples.items():
        if config.endswith(f'_{word}-sample.py'):
            return on_sample_root(root)
    return None


@pytest.fixture(scope='session')
def trained(tmp_path_factory, generated_samples):
    """``trained(config)``: the quick start trained exactly as the README's
    (those whose data is generated: on the session's sample), once per test
    session however many tests ask; returns the final checkpoint's path."""
    from ghost_mm.runner import load_config, run_train
    checkpoints = {}

    def train(config):
        if config not in checkpoints:
            options = generated_sample_options(config, generated_samples)
            work_dir = tmp_path_factory.mktemp(os.path.basename(config)[:-3])
            with _in_repo():
                max_iters = load_config(config, options).train_cfg.max_iters
                run_train(config, work_dir=str(work_dir), cfg_options=options)
            checkpoints[config] = str(work_dir / f'iter_{max_iters}.pth')
        return checkpoints[config]
    return train


def quiet(*_):
    pass


@pytest.fixture(scope='session')
def deployed(trained, tmp_path_factory, generated_samples):
    """``deployed(config, backend, int8=False, float_depthwise=False)``: the
    artifact of the trained quick start, exported once per session."""
    from ghost_mm.export.deployable import export_deployable
    artifacts = {}

    def get(config, backend, int8=False, float_depthwise=False):
        key = (config, backend, int8, float_depthwise)
        if key not in artifacts:
            out = tmp_path_factory.mktemp('deployed') / 'artifact'
            options = generated_sample_options(config, generated_samples)
            export_deployable(os.path.join(REPO, config), trained(config), str(out), backend,
                              int8, CALIB if int8 else None, float_depthwise,
                              cfg_options=options, log=quiet)
            artifacts[key] = str(out)
        return artifacts[key]
    return get
