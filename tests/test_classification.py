"""GhostNet in mmpretrain: the paper's ImageNet classifier, its configs, and
the weights carried into detection (issue: ImageNet pretraining)."""
import copy
import json
import subprocess
import sys

import pytest
import timm
import torch
from mmengine.config import Config

from convert_checkpoint import main as convert_main
from helpers import randomise_bn

from ghost_mm.weights import CheckpointError, convert_ghostnet_checkpoint
from ghost_mm.models import GhostNetClassifier
from ghost_mm.models.ghostnet import level_channels

CROPS = 'configs/quickstart/ghostnet_coco-crops.py'
IMAGENET = {('v1', 1.0): 'configs/imagenet/ghostnet-1.0x_8xb128_in1k.py',
            ('v1', 1.1): 'configs/imagenet/ghostnet-1.1x_8xb128_in1k.py',
            ('v1', 1.3): 'configs/imagenet/ghostnet-1.3x_8xb128_in1k.py',
            ('v2', 1.0): 'configs/imagenet/ghostnetv2-1.0x_8xb128_in1k.py',
            ('v3', 1.0): 'configs/imagenet/ghostnetv3-1.0x_8xb128_in1k.py'}


def build_classifier(cfg):
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')
    from mmpretrain.registry import MODELS
    model_cfg = copy.deepcopy(cfg.model)
    return MODELS.build(model_cfg)


def on_crops(**extra):
    """cfg_options that point an ImageNet config's test split at the shipped crops."""
    return {'test_dataloader.dataset': dict(
        _delete_=True, type='CustomDataset', data_root='samples/coco_crops', data_prefix='val',
        pipeline=Config.fromfile(CROPS).test_pipeline),
        'test_dataloader.num_workers': 0, 'test_dataloader.persistent_workers': False,
        'test_dataloader.batch_size': 16, **extra}


def test_registered_in_mmpretrain():
    from mmpretrain.registry import MODELS
    model = MODELS.build(dict(type='GhostNet', widen_factor=0.5, out_indices=(5,)))
    assert model.out_channels == level_channels(0.5, (5,))


@pytest.mark.parametrize('absent', [('mmseg', 'mmpretrain'), ('mmdet', 'mmpretrain'),
                                    ('mmdet', 'mmseg'), ('mmdet', 'mmseg', 'mmpretrain')])
def test_import_with_any_subset_of_toolboxes(absent):
    present = tuple(t for t in ('mmdet', 'mmseg', 'mmpretrain') if t not in absent)
    code = (''.join(f'sys.modules[{t!r}] = None; ' for t in absent)
            + 'import ghost_mm; '
            f'assert ghost_mm.REGISTERED_IN == {present!r}, ghost_mm.REGISTERED_IN')
    subprocess.run([sys.executable, '-c', 'import sys; ' + code], check=True)


@pytest.mark.parametrize('key', list(IMAGENET))
def test_imagenet_config_counts_as_the_paper_model(repo_root, key):
    from ghost_mm.complexity import measure

    class Logits(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model(x, mode='tensor')
    version, width = key
    ours = measure(Logits(build_classifier(Config.fromfile(IMAGENET[key]))))
    paper = measure(GhostNetClassifier(width, version=version))
    assert ours['params'] == paper['params'] and ours['flops'] == paper['flops']
    if key == ('v1', 1.0):
        assert round(ours['params'] / 1e6, 2) == 5.18 and round(ours['flops'] / 1e6, 1) == 141.2


@pytest.mark.parametrize('name, key', [
    ('ghostnet_100', ('v1', 1.0)), ('ghostnet_130', ('v1', 1.3)),
    ('ghostnetv2_100', ('v2', 1.0)), ('ghostnetv3_100', ('v3', 1.0))])
def test_keep_head_gives_timm_logits(repo_root, tmp_path, name, key):
    reference = randomise_bn(timm.create_model(name)).eval()
    src = tmp_path / f'{name}.pth.tar'
    torch.save({'state_dict': reference.state_dict(), 'arch': name}, src)
    dst = tmp_path / 'classifier.pth'
    convert_main([str(src), str(dst), '--keep-head'])

    model = build_classifier(Config.fromfile(IMAGENET[key]))
    model.load_state_dict(torch.load(dst, weights_only=True)['state_dict'], strict=True)
    model.eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert (model(x, mode='tensor') - reference(x)).abs().max() <= 1e-5


@pytest.mark.slow
def test_tools_test_reports_top1_top5_of_a_converted_file(repo_root, tmp_path):
    """tools/test.py with mmpretrain's Accuracy on a --keep-head file; its
    top-1 equals the one computed here from timm's own logits."""
    from mmcv.transforms import Compose
    from mmengine.registry import init_default_scope
    from ghost_mm.runner import run_test
    reference = randomise_bn(timm.create_model('ghostnet_100', num_classes=1000)).eval()
    # a head that prefers the four sample classes' indices, so accuracy is not ~0
    with torch.no_grad():
        reference.classifier.bias[:4] += 5.0
    src, dst = tmp_path / 'timm.pth', tmp_path / 'classifier.pth'
    torch.save(reference.state_dict(), src)
    convert_ghostnet_checkpoint(src, dst, keep_head=True)
    config = IMAGENET[('v1', 1.0)]
    metrics = run_test(config, str(dst), work_dir=str(tmp_path / 'test'),
                       cfg_options=on_crops())
    assert set(metrics) == {'accuracy/top1', 'accuracy/top5'}

    init_default_scope('mmpretrain')
    from mmpretrain.datasets import CustomDataset
    cfg = Config.fromfile(config)
    dataset = CustomDataset(data_root='samples/coco_crops', data_prefix='val',
                            pipeline=Compose(Config.fromfile(CROPS).test_pipeline))
    mean = torch.tensor(cfg.data_preprocessor['mean']).view(3, 1, 1)
    std = torch.tensor(cfg.data_preprocessor['std']).view(3, 1, 1)
    correct = 0
    for i in range(len(dataset)):
        item = dataset[i]
        x = (item['inputs'].flip(0).float() - mean) / std  # BGR -> RGB, normalise
        with torch.no_grad():
            correct += int(reference(x[None]).argmax() == item['data_samples'].gt_label)
    assert metrics['accuracy/top1'] == pytest.approx(100 * correct / len(dataset), abs=1e-3)
    assert metrics['accuracy/top5'] >= metrics['accuracy/top1']


def test_convert_refusals(tmp_path):
    backbone_only = tmp_path / 'backbone.pth'
    timm_file = tmp_path / 'timm.pth'
    torch.save(timm.create_model('ghostnet_100').state_dict(), timm_file)
    convert_ghostnet_checkpoint(timm_file, backbone_only)
    out = tmp_path / 'out.pth'
    with pytest.raises(CheckpointError, match='no ImageNet head to keep.*conv_head.weight'):
        convert_ghostnet_checkpoint(backbone_only, out, keep_head=True)
    assert not out.exists()


@pytest.fixture(scope='module')
def trained_classifier(tmp_path_factory):
    """The crops quick start trained once, as the README runs it."""
    from ghost_mm.runner import run_train
    from conftest import _in_repo
    work_dir = tmp_path_factory.mktemp('classifier')
    with _in_repo():
        run_train(CROPS, str(work_dir))
    return work_dir


def test_classifier_learns_from_scratch_on_the_crops(trained_classifier):
    log = sorted(trained_classifier.glob('*/vis_data/scalars.json'))[-1]
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    losses = [r['loss'] for r in rows if 'loss' in r]
    accuracy = [r['accuracy/top1'] for r in rows if 'accuracy/top1' in r]
    assert sum(losses[-10:]) / 10 < 0.8 * sum(losses[:10]) / 10
    # 4 classes: chance 25%, the largest class is 32% of the held-back crops
    assert accuracy[-1] >= 40, accuracy


def test_mmpretrain_checkpoint_hands_over_to_retinanet(repo_root, trained_classifier, tmp_path):
    """The runner's classifier checkpoint, as is, through init_cfg prefix
    'backbone.' and through tools/convert_checkpoint.py: identical weights."""
    from mmengine.registry import init_default_scope
    from ghost_mm.weights import runner_checkpoint_globals
    checkpoint = str(trained_classifier / 'epoch_60.pth')
    with runner_checkpoint_globals():
        state = torch.load(checkpoint, weights_only=True)['state_dict']
    expected = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
    width = Config.fromfile(CROPS).widen_factor

    cfg = Config.fromfile('configs/retinanet_ghostnet-1.0x_coco.py')
    cfg.model.backbone.widen_factor = width
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=checkpoint,
                                       prefix='backbone.')
    cfg.model.neck.in_channels = list(level_channels(width, (1, 2, 3, 4)))
    init_default_scope('mmdet')
    from mmdet.registry import MODELS
    detector = MODELS.build(cfg.model)
    detector.init_weights()
    got = detector.backbone.state_dict()
    assert set(got) == set(expected)
    assert all(torch.equal(got[k], expected[k]) for k in expected)

    converted = tmp_path / 'ghostnet_from_in1k.pth'
    convert_main([checkpoint, str(converted)])
    backbone = torch.load(converted, weights_only=True)['state_dict']
    assert set(backbone) == set(expected)
    assert all(torch.equal(backbone[k], expected[k]) for k in expected)
    with pytest.raises(CheckpointError, match='already a whole mm model'):
        convert_ghostnet_checkpoint(checkpoint, tmp_path / 'x.pth', keep_head=True)


def test_v3_branches_train_in_mmpretrain_and_merge(repo_root):
    from mmengine.optim import OptimWrapper
    from mmpretrain.structures import DataSample
    from ghost_mm.deploy import fuse_conv_bn
    cfg = Config.fromfile(IMAGENET[('v3', 1.0)])
    cfg.model.backbone.widen_factor = 0.5
    cfg.model.head.in_channels = level_channels(0.5, (5,))[0]
    model = build_classifier(cfg)
    model.init_weights()
    branch = model.backbone.blocks[3][0].ghost1.primary_rpr_conv[0].conv.weight
    before = branch.detach().clone()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    data = dict(inputs=torch.randint(0, 255, (4, 3, 96, 96), dtype=torch.uint8),
                data_samples=[DataSample().set_gt_label(i % 4) for i in range(4)])
    model.train()
    for _ in range(2):
        losses = model.train_step(copy.deepcopy(data), wrapper)
        assert torch.isfinite(losses['loss'])
    assert not torch.equal(branch, before)  # the re-parameterisable branches learn
    model.eval()
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        trained = model(x, mode='tensor')
        merged = fuse_conv_bn(copy.deepcopy(model))(x, mode='tensor')
    assert (trained - merged).abs().max() <= 1e-4


def test_missing_imagenet_says_where_and_how(repo_root):
    from ghost_mm.runner import missing_inputs
    problems = missing_inputs(Config.fromfile(IMAGENET[('v1', 1.1)]),
                              loaders=('train_dataloader', 'val_dataloader'))
    text = '\n'.join(problems)
    assert 'ImageNet data not found: data/imagenet' in text
    assert 'image-net.org' in text and 'n01440764' in text


@pytest.mark.slow
def test_small_ghost_resnet_learns_the_crops_from_scratch(repo_root, tmp_path):
    """Ghost-ResNet (ResNet-18 layout at widths 16-128, every conv but the
    stem a GhostConv) through the same recipe as the GhostNet crops quick
    start: the plug-in Ghost module learns in mmpretrain (~1 min)."""
    from ghost_mm.models import GhostConv
    from ghost_mm.runner import build_runner, load_config
    config = 'configs/quickstart/ghost-resnet18_coco-crops.py'
    runner = build_runner(load_config(config, work_dir=str(tmp_path)))
    # 16 block convs and 3 downsample convs; the stem stays an ordinary conv
    assert sum(isinstance(m, GhostConv) for m in runner.model.backbone.modules()) == 19
    runner.train()
    log = sorted(tmp_path.glob('*/vis_data/scalars.json'))[-1]
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    accuracy = [r['accuracy/top1'] for r in rows if 'accuracy/top1' in r]
    # 4 classes: chance 25%, the largest class is 32% of the held-back crops
    assert accuracy[-1] >= 40, accuracy
