"""ONNX export (dynamic H x W) matches PyTorch under onnxruntime."""
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config

from ghost_mm.export import build_from_config, export_onnx
from ghost_mm.models.ghostnet import GhostNet
from ghost_mm.registry import scope_models
from helpers import randomise_bn

ort = pytest.importorskip('onnxruntime')


def _compare(model, path, shapes):
    session = ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
    for shape in shapes:
        x = torch.randn(shape)
        with torch.no_grad():
            expected = model(x)
        expected = [expected] if isinstance(expected, torch.Tensor) else list(expected)
        got = session.run(None, {'input': x.numpy()})
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert g.shape == tuple(e.shape)
            scale = max(1.0, float(e.abs().max()))
            assert np.abs(g - e.numpy()).max() / scale < 1e-4


@pytest.mark.parametrize('version', ['v1', 'v3'])  # v3 deploys as v2: DFC gates
def test_backbone_exports_with_dynamic_size(tmp_path, version):
    from ghost_mm.deploy import fuse_conv_bn
    model = fuse_conv_bn(randomise_bn(GhostNet(out_indices=(1, 2, 3, 4, 5),
                                               version=version)))
    export_onnx(model, tmp_path / 'gn.onnx', (1, 3, 224, 224))
    _compare(model, tmp_path / 'gn.onnx', [(1, 3, 224, 224), (1, 3, 250, 333), (1, 3, 96, 64)])


@pytest.mark.slow
@pytest.mark.parametrize('config', ['configs/retinanet_ghostnet-1.0x_coco.py',
                                    'configs/retinanet_ghostnetv3-1.0x_coco.py',
                                    'configs/deeplabv3_ghostnet_cityscapes.py',
                                    'configs/deeplabv3_ghostnetv2_cityscapes.py'])
def test_whole_model_tensor_graph_matches(config, tmp_path, repo_root):
    cfg = Config.fromfile(config)
    model = build_from_config(cfg)
    randomise_bn(model)
    export_onnx(model, tmp_path / 'm.onnx', (1, 3, 256, 320))
    _compare(model, tmp_path / 'm.onnx', [(1, 3, 256, 320), (1, 3, 200, 264)])


@pytest.mark.slow
def test_tool_loads_a_checkpoint_and_names_a_bad_one(tmp_path, repo_root):
    config = 'configs/retinanet_ghostnet-1.0x_coco.py'
    cfg = Config.fromfile(config)
    cfg.model.backbone.pop('init_cfg')
    ckpt = tmp_path / 'model.pth'  # a training-form model, as the runner saves it
    torch.save({'state_dict': scope_models('mmdet').build(cfg.model).state_dict()}, ckpt)
    out = tmp_path / 'r.onnx'
    run = subprocess.run([sys.executable, 'tools/export_onnx.py', config, str(ckpt),
                          '--out', str(out), '--shape', '128', '160'],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert out.exists() and 'output0' in run.stdout
    bad = tmp_path / 'bad.pth'
    torch.save({'state_dict': {'nope.weight': torch.zeros(1)}}, bad)
    run = subprocess.run([sys.executable, 'tools/export_onnx.py', config, str(bad),
                          '--out', str(tmp_path / 'b.onnx')], capture_output=True, text=True)
    assert run.returncode != 0 and 'does not fit this config' in run.stderr
