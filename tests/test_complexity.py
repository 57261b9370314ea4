import subprocess
import sys

import pytest
from mmengine.config import Config

from ghost_mm.complexity import backbone_report, measure
from ghost_mm.models import GhostNet, GhostNetClassifier


def _close(value, target, rel=0.02):
    return abs(value - target) <= rel * target


def test_paper_numbers():
    # the paper's detection table: GhostNet 1.1x backbone, 164M FLOPs at 224
    det = measure(GhostNet(1.1, out_indices=(5,)))
    assert _close(det['flops'], 164e6), det
    # mmengine's total also counts BatchNorm, which the paper does not
    assert det['flops_all'] > det['flops'] * 1.03
    assert _close(measure(GhostNet(1.0, out_indices=(5,)))['params'], 2.67e6)
    # the paper's ImageNet table: 1.0x with its head, 5.2M params / 141M FLOPs
    cls = measure(GhostNetClassifier(1.0))
    assert _close(cls['params'], 5.2e6) and _close(cls['flops'], 141e6), cls


@pytest.mark.slow
def test_v2_v3_paper_numbers():
    # GhostNetV2 1.0x: 6.1M params, 167M FLOPs; V3 1.0x deployed: the same net
    v2 = measure(GhostNetClassifier(1.0, version='v2'))
    assert _close(v2['params'], 6.1e6) and _close(v2['flops'], 167e6), v2
    rows = backbone_report(dict(version='v3', out_indices=(1, 2, 3, 4)))
    assert rows[0][0].startswith('v3 training form') and len(rows) == 4
    v3_cls = rows[-1]
    assert _close(v3_cls[1], 6.1e6) and _close(v3_cls[2], 167e6), v3_cls
    assert rows[0][1] > rows[1][1] * 1.2  # the unmerged branches cost parameters


@pytest.mark.slow
def test_report_rows_for_a_config(repo_root):
    out = subprocess.run([sys.executable, 'tools/get_flops.py',
                          'configs/retinanet_ghostnet_coco.py'],
                         capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if 'through level 5' in l)
    assert '164.4M' in line and '3.222M' in line
    rows = backbone_report(dict(widen_factor=1.1, out_indices=(1, 2, 3, 4)))
    assert rows[0][2] < rows[1][2]  # levels 1-4 skip the final 1x1 conv
    whole = next(l for l in out.splitlines() if l.startswith('whole model'))
    assert whole.split()[-3] == '12.528M'  # printed as the function counts it


@pytest.mark.slow
def test_whole_model_report_adds_neck_and_heads(repo_root):
    from mmengine.analysis import parameter_count
    from ghost_mm.complexity import model_report
    from ghost_mm.deploy import fuse_conv_bn
    from ghost_mm.export import load_model
    cfg = Config.fromfile('configs/retinanet_ghostnet_coco.py')
    what, params, flops, _ = model_report(cfg, (224, 224))
    model = fuse_conv_bn(load_model(cfg))
    parts = sum(parameter_count(getattr(model, name))[''] for name in
                ('backbone', 'neck', 'bbox_head'))
    assert params == parts
    backbone = backbone_report(dict(widen_factor=1.1, out_indices=(1, 2, 3, 4)))[0]
    assert backbone[1] < params and backbone[2] < flops  # FPN + RetinaNet head on top


@pytest.mark.slow
def test_parts_report_counts_ghosted_necks_and_heads(repo_root):
    from ghost_mm.complexity import model_report, parts_report
    shape = (256, 256)
    today = Config.fromfile('configs/retinanet_ghostnet_coco.py')
    ghosted = Config.fromfile('configs/retinanet_ghostnet_ghost-fpn-head_coco.py')
    rows = {cfg: {what.split()[0]: (params, flops) for what, params, flops in
                  parts_report(cfg, shape)} for cfg in (today, ghosted)}
    for cfg in (today, ghosted):  # the parts add up to the whole model
        _, params, flops, _ = model_report(cfg, shape)
        assert sum(p for p, _ in rows[cfg].values()) == params
        assert sum(f for _, f in rows[cfg].values()) == flops
    assert rows[ghosted]['backbone'] == rows[today]['backbone']
    # s=2: the FPN's and the stacked head convs' work halves; retina_cls/reg stay
    assert rows[ghosted]['neck'][1] <= 0.55 * rows[today]['neck'][1]
    assert rows[ghosted]['head'][1] <= 0.7 * rows[today]['head'][1]


@pytest.mark.slow
def test_get_flops_takes_any_backbone_and_two_stage_models(repo_root):
    out = subprocess.run([sys.executable, 'tools/get_flops.py',
                          'configs/faster-rcnn_ghost-resnet50-s2_fpn_coco.py',
                          '--shape', '128', '128'],
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith('GhostResNet at 3x128x128')
    assert 'whole model' in out and '  backbone (backbone)' in out
    assert '  head (rpn_head, roi_head)' in out
