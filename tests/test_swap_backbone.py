"""tools/swap_backbone.py over configs that mmdet 3.3 and mmseg 1.2 ship: each
swapped model is built, takes one SGD step and runs inference on a tiny
batch; configs that cannot be mapped are refused with the reason."""
import os.path as osp
import subprocess
import sys

import warnings

import pytest
from mmengine.config import Config

from ghost_mm.models.ghostnet import level_channels
from ghost_mm.swap import SwapError, swap_backbone, write_swapped_config
from ghost_mm.swap.sweep import representative, train_step_and_predict

CITYSCAPES = '_4xb2-40k_cityscapes-512x1024.py'
DETECTION = [
    'retinanet/retinanet_r50_fpn_1x_coco.py',
    'faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
    'faster_rcnn/faster-rcnn_r50-caffe-dc5_1x_coco.py',  # no neck, dilated C5
    'mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
    'cascade_rcnn/cascade-mask-rcnn_r50_fpn_1x_coco.py',
    'fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py',  # caffe (BGR) pre-processing
    'atss/atss_r50_fpn_1x_coco.py',
    'gfl/gfl_r50_fpn_1x_coco.py',
    'tood/tood_r50_fpn_1x_coco.py',
    'fsaf/fsaf_r50_fpn_1x_coco.py',
    'point_rend/point-rend_r50-caffe_fpn_ms-1x_coco.py',
    'solov2/solov2_r50_fpn_1x_coco.py',
    'centernet/centernet_r18_8xb16-crop512-140e_coco.py',  # single C5 input
    'yolof/yolof_r50-c5_8xb8-1x_coco.py',
    'detr/detr_r50_8xb2-150e_coco.py',
    'deformable_detr/deformable-detr_r50_16xb2-50e_coco.py',
    'yolo/yolov3_d53_8xb8-320-273e_coco.py',  # Darknet; neck lists channels reversed
    'yolox/yolox_s_8xb8-300e_coco.py',  # CSPDarknet
    'rtmdet/rtmdet_tiny_8xb32-300e_coco.py',
    'ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py',  # neck passes inputs on
]
SEGMENTATION = [
    'fcn/fcn_r50-d8' + CITYSCAPES,
    'fcn/fcn-d6_r50-d16' + CITYSCAPES,  # output stride 16
    'pspnet/pspnet_r50-d8' + CITYSCAPES,
    'pspnet/pspnet_r50-d32_4xb2-80k_cityscapes-512x1024.py',
    'deeplabv3/deeplabv3_r50-d8' + CITYSCAPES,
    'deeplabv3plus/deeplabv3plus_r50-d8' + CITYSCAPES,  # stride-4 skip channels
    'upernet/upernet_r50' + CITYSCAPES,
    'sem_fpn/fpn_r50_4xb2-80k_cityscapes-512x1024.py',
    'ocrnet/ocrnet_hr18' + CITYSCAPES,  # HRNet, cascade of two heads
    'point_rend/pointrend_r50_4xb2-80k_cityscapes-512x1024.py',
    'segformer/segformer_mit-b0_8xb1-160k_cityscapes-1024x1024.py',
    'swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py',  # LN
    'mobilenet_v2/mobilenet-v2-d8_deeplabv3plus_4xb2-80k_cityscapes-512x1024.py',
    'mobilenet_v3/mobilenet-v3-d8_lraspp_4xb4-320k_cityscapes-512x1024.py',  # dilated inside
    'danet/danet_r50-d8' + CITYSCAPES,
    'isanet/isanet_r50-d8' + CITYSCAPES,
    'apcnet/apcnet_r50-d8' + CITYSCAPES,
    'encnet/encnet_r50-d8' + CITYSCAPES,
    'ccnet/ccnet_r50-d8' + CITYSCAPES,
]
# Not swept here (not refusals: they swap and pass, but are slow or need more
# than a tiny batch): mmdet's Mask2Former (passes, ~45 s on CPU), HTC (its
# semantic head wants gt_sem_seg), DINO (900 queries need larger images),
# mmseg's PSANet (its 97x97 mask needs a large input: 35 s). Every family of
# both toolboxes: tools/swap_sweep.py, docs/swap_sweep.md.
REFUSED = {
    'mmdet::faster_rcnn/faster-rcnn_r50-caffe_c4-1x_coco.py': 'shared_head',
    'mmdet::detectors/detectors_htc-r50_1x_coco.py': 'rfp_backbone',
    'mmseg::icnet/icnet_r18-d8_4xb2-80k_cityscapes-832x832.py': 'backbone_cfg',
    'mmseg::bisenetv1/bisenetv1_r18-d32_4xb4-160k_cityscapes-1024x1024.py': 'backbone_cfg',
    'mmseg::bisenetv2/bisenetv2_fcn_4xb4-160k_cityscapes-1024x1024.py': 'strides [8, 4, 8, 16, 32]',
    'mmseg::vit/vit_vit-b16_mln_upernet_8xb2-80k_ade20k-512x512.py': 'strides [16, 16, 16, 16]',
    'mmseg::fastfcn/fastfcn_r50-d32_jpu_psp_4xb2-80k_cityscapes-512x1024.py': 'does not run',
}


@pytest.mark.slow
@pytest.mark.parametrize('name', ['mmdet::' + c for c in DETECTION]
                         + ['mmseg::' + c for c in SEGMENTATION])
def test_swapped_config_trains_and_predicts(name):
    result = swap_backbone(name, pretrained=None)
    backbone = result.cfg.model.backbone
    assert backbone.type == 'GhostNet'
    assert 'ghost_mm' in result.cfg.custom_imports['imports']
    # SSDLite too: mmdet 3.3's SSDHead cannot predict, the swap puts in SSDHeadFixed.
    # One SGD step must move GhostNet's weights with finite losses, and the
    # predictions hold boxes / full-size label maps (asserted inside).
    outputs = train_step_and_predict(result.cfg)
    assert len(outputs) == 2


@pytest.mark.slow
@pytest.mark.parametrize('name,reason', REFUSED.items())
def test_unmappable_config_is_refused_with_the_reason(name, reason, tmp_path):
    dst = tmp_path / 'out.py'
    with pytest.raises(SwapError, match=name.split('::')[1].split('/')[0]) as err:
        write_swapped_config(name, str(dst), pretrained=None)
    assert reason in str(err.value)
    assert not dst.exists()


@pytest.mark.slow
def test_dilated_backbone_keeps_its_output_stride():
    """mmseg's D8 ResNet (strides 4, 8, 8, 8) becomes GhostNet at output stride 8,
    with the heads reading the same levels."""
    cfg = swap_backbone('mmseg::deeplabv3plus/deeplabv3plus_r50-d8' + CITYSCAPES,
                        widen_factor=1.1, pretrained=None).cfg
    backbone = cfg.model.backbone
    assert backbone.strides == (2, 2, 2, 1, 1)
    assert backbone.dilations == (1, 1, 1, 2, 4)
    channels = level_channels(1.1, (1, 2, 3, 4))
    assert cfg.model.decode_head.in_channels == channels[3]  # in_index 3
    assert cfg.model.decode_head.c1_in_channels == channels[0]  # the stride-4 skip
    assert cfg.model.auxiliary_head.in_channels == channels[2]
    assert cfg.model.pretrained is None
    assert backbone.norm_cfg.type == 'SyncBN'  # carried over


def test_resnet_settings_are_translated_and_weights_replaced():
    result = swap_backbone('mmdet::retinanet/retinanet_r50_fpn_1x_coco.py', widen_factor=1.1)
    backbone = result.cfg.model.backbone
    assert set(backbone) >= {'frozen_stages', 'norm_eval', 'init_cfg'}
    assert not set(backbone) & {'depth', 'style', 'num_stages'}
    assert backbone.frozen_stages == 1 and backbone.norm_eval is True
    assert backbone.init_cfg == dict(type='Pretrained', checkpoint='checkpoints/ghostnet_1.1x.pth')
    assert result.cfg.model.neck.in_channels == list(level_channels(1.1, (1, 2, 3, 4)))
    assert 'dropped ResNet settings' in ' '.join(result.notes)
    # caffe-style sources switch to the RGB ImageNet statistics GhostNet was trained with
    fcos = swap_backbone('mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py', pretrained=None).cfg
    assert fcos.model.data_preprocessor.bgr_to_rgb is True
    assert fcos.model.data_preprocessor.std == [58.395, 57.12, 57.375]


@pytest.mark.slow
def test_v3_swap_names_its_weights_and_passes_the_loss_check():
    result = swap_backbone('mmseg::fcn/fcn_r50-d8' + CITYSCAPES, version='v3')
    backbone = result.cfg.model.backbone
    assert backbone.version == 'v3' and backbone.dilations == (1, 1, 1, 2, 4)
    assert backbone.init_cfg.checkpoint == 'checkpoints/ghostnetv3_1.0x.pth'
    assert 'GhostNetV3 1.0x' in result.text.splitlines()[0]
    with pytest.raises(ValueError, match="version must be one of"):
        swap_backbone('mmseg::fcn/fcn_r50-d8' + CITYSCAPES, version='v5')


@pytest.mark.slow
def test_tool_writes_a_short_config_that_inherits_a_local_file(tmp_path, repo_root):
    src = tmp_path / 'mine' / 'my_retinanet.py'
    src.parent.mkdir()
    src.write_text("_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'\n"
                   "custom_imports = dict(imports=['mmdet.models'], allow_failed_imports=False)\n"
                   "train_dataloader = dict(batch_size=3)\n")
    dst = tmp_path / 'out' / 'my_retinanet_ghostnet.py'
    run = subprocess.run([sys.executable, 'tools/swap_backbone.py', str(src), str(dst),
                          '--widen-factor', '1.1', '--no-pretrained'],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert f'wrote {dst}' in run.stdout
    text = dst.read_text()
    assert "_base_ = '../mine/my_retinanet.py'" in text
    assert len(text.splitlines()) < 40
    cfg = Config.fromfile(str(dst))
    assert cfg.train_dataloader.batch_size == 3  # everything else inherited
    assert cfg.custom_imports['imports'] == ['mmdet.models', 'ghost_mm']
    assert cfg.model.backbone.widen_factor == 1.1 and 'init_cfg' not in cfg.model.backbone
    # the written file is kept unless --force
    again = subprocess.run([sys.executable, 'tools/swap_backbone.py', str(src), str(dst)],
                           capture_output=True, text=True)
    assert again.returncode != 0 and '--force' in again.stderr
    assert dst.read_text() == text


def test_bad_inputs_are_named(tmp_path):
    with pytest.raises(SwapError, match='nope.py'):
        swap_backbone(str(tmp_path / 'nope.py'))
    with pytest.raises(ValueError, match='widen_factor'):
        swap_backbone('mmdet::retinanet/retinanet_r50_fpn_1x_coco.py', widen_factor=-1)
    ghost = osp.join(osp.dirname(osp.dirname(__file__)), 'configs', 'retinanet_ghostnet_coco.py')
    with pytest.raises(SwapError, match='already GhostNet'):
        swap_backbone(ghost)


def test_no_pretrained_swap_unfreezes_the_backbone():
    result = swap_backbone('mmdet::retinanet/retinanet_r50_fpn_1x_coco.py', pretrained=None)
    backbone = result.cfg.model.backbone
    assert backbone.frozen_stages == -1 and backbone.norm_eval is False
    assert 'init_cfg' not in backbone
    assert any('frozen_stages=1' in n and 'no ImageNet weights' in n for n in result.notes)
    assert 'frozen_stages=-1' in result.text and 'norm_eval=False' in result.text


@pytest.mark.slow
def test_swap_check_sets_up_what_the_runner_would(tmp_path):
    """TOOD reads the epoch from mmengine's MessageHub: in a fresh process
    (no hub state left by anything) the swap check must still run it."""
    code = ("from ghost_mm.swap import swap_backbone\n"
            "swap_backbone('mmdet::tood/tood_r50_fpn_1x_coco.py', pretrained=None)\n"
            "print('swapped')")
    run = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert run.returncode == 0 and 'swapped' in run.stdout, run.stderr[-2000:]


@pytest.mark.slow
def test_swap_check_tries_the_larger_size_and_keeps_the_callers_random_state():
    """The loss check runs at 128 px first and judges a model at the last
    size only: LR-ASPP (49x49 pooling at stride 8) fails at 128 and is
    swapped, not refused. Its random weights come from a fixed seed on a copy
    of the caller's random state, which is left as it was."""
    import copy
    import torch
    from ghost_mm.registry import scope_models
    from ghost_mm.swap.check import CHECK_SIZES, _loss_pass
    name = 'mmseg::mobilenet_v3/mobilenet-v3-d8_lraspp_4xb4-320k_cityscapes-512x1024.py'
    assert CHECK_SIZES['mmseg'] == (128, 512)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    cfg = swap_backbone(name, pretrained=None).cfg
    assert torch.equal(torch.get_rng_state(), state)
    model = copy.deepcopy(cfg.model)
    model.backbone.pop('init_cfg', None)
    model.data_preprocessor.size = (128, 128)
    with pytest.raises(Exception):
        _loss_pass(model, scope_models('mmseg'), cfg, 128)


@pytest.mark.slow
def test_missing_optional_package_is_named_and_the_swap_still_written(tmp_path):
    """PAA's loss imports scikit-learn: without it the check cannot run,
    which is said as such (which package, how to install), not blamed on
    the backbone; the config is written, marked unchecked."""
    dst = tmp_path / 'paa.py'
    code = ("import sys, warnings; sys.modules['sklearn'] = None\n"
            "from ghost_mm.swap import write_swapped_config\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            f"    result = write_swapped_config('mmdet::paa/paa_r50_fpn_1x_coco.py', {str(dst)!r},"
            " pretrained=None)\n"
            "print([str(w.message) for w in caught if 'NOT CHECKED' in str(w.message)])")
    run = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert 'pip install scikit-learn' in run.stdout
    assert dst.is_file() and 'NOT CHECKED' in dst.read_text()


def test_failure_the_original_shares_is_not_blamed_on_the_swap(tmp_path):
    """CARAFE's upsampler is a CUDA-only mmcv op: the original config fails on
    a CPU as well, so the swap is written, marked unchecked with that reason,
    instead of refused as "still expects the old backbone". BoxInst's loss
    needs scikit-image (not installed here; mmdet raises a RuntimeError that
    says "pip install"): named as the missing package."""
    with pytest.warns(UserWarning, match='original config does not run here either'):
        carafe = write_swapped_config('mmdet::carafe/mask-rcnn_r50_fpn-carafe_1x_coco.py',
                                      str(tmp_path / 'carafe.py'), pretrained=None)
    assert 'carafe_forward_impl' in carafe.notes[-1]
    assert 'NOT CHECKED' in (tmp_path / 'carafe.py').read_text()
    try:
        import skimage  # noqa: F401
    except ImportError:
        with pytest.warns(UserWarning, match='pip install scikit-image'):
            write_swapped_config('mmdet::boxinst/boxinst_r50_fpn_ms-90k_coco.py',
                                 str(tmp_path / 'boxinst.py'), pretrained=None)
        assert (tmp_path / 'boxinst.py').is_file()


def test_found_by_the_family_sweep(tmp_path):
    """``custom_imports`` given as one string (mmseg's ConvNeXt: 'mmpretrain.models')
    stays one module; a packaged name mmengine cannot parse ('gn+ws') is
    loaded, and written, as the installed file."""
    src = tmp_path / 'one_import.py'
    src.write_text("_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'\n"
                   "custom_imports = dict(imports='mmdet.models', allow_failed_imports=False)\n")
    cfg = swap_backbone(str(src), pretrained=None).cfg
    assert cfg.custom_imports['imports'] == ['mmdet.models', 'ghost_mm']
    gn_ws = 'mmdet::gn+ws/faster-rcnn_r50_fpn_gn-ws-all_1x_coco.py'
    result = write_swapped_config(gn_ws, str(tmp_path / 'gn_ws.py'), pretrained=None)
    assert result.cfg.model.backbone.type == 'GhostNet'
    assert "'mmdet::gn+ws" not in (tmp_path / 'gn_ws.py').read_text()
    assert Config.fromfile(str(tmp_path / 'gn_ws.py')).model.backbone.type == 'GhostNet'


def test_tracker_gets_ghostnet_in_its_detector(tmp_path):
    """Trackers (and semi-supervised wrappers) hold the detector in
    model.detector: its backbone and neck are swapped there, the tracker's
    own settings kept, and the loss check runs that one-class detector."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        result = write_swapped_config('mmdet::bytetrack/bytetrack_yolox_x_8xb4-80e_crowdhuman-'
                                      'mot20train_test-mot20test.py', str(tmp_path / 'bt.py'))
    assert not [w for w in caught if 'NOT CHECKED' in str(w.message)]
    model = result.cfg.model
    assert model.type == 'ByteTrack' and model.tracker.type == 'ByteTracker'
    assert model.detector.backbone.type == 'GhostNet' and 'backbone' not in model
    assert model.detector.backbone.init_cfg.checkpoint == 'checkpoints/ghostnet_1.0x.pth'
    assert model.detector.neck.in_channels == [40, 112, 160]
    assert model.detector.bbox_head.num_classes == 1
    # the recipe's YOLOX-X COCO weights are the old detector's: dropped
    assert model.detector.init_cfg is None
    # the tracker's pre-processor is the one that runs: GhostNet's ImageNet input there
    assert model.data_preprocessor.type == 'TrackDataPreprocessor'
    assert model.data_preprocessor.std == [58.395, 57.12, 57.375]
    assert model.data_preprocessor.bgr_to_rgb and model.data_preprocessor.use_det_processor
    assert any('ByteTrack wraps the detector' in note for note in result.notes)


def test_semi_supervised_wrapper_normalises_where_it_runs_the_detector():
    """SoftTeacher runs its MultiBranchDataPreprocessor, which holds the
    detector's pre-processing as ``data_preprocessor``: set there too."""
    result = swap_backbone('mmdet::soft_teacher/soft-teacher_faster-rcnn_r50-caffe_fpn_180k_'
                           'semi-0.1-coco.py', pretrained=None)
    model = result.cfg.model
    assert model.detector.backbone.type == 'GhostNet'
    assert model.data_preprocessor.type == 'MultiBranchDataPreprocessor'
    inner = model.data_preprocessor.data_preprocessor
    assert inner.std == [58.395, 57.12, 57.375] and inner.bgr_to_rgb


def test_a_wrapped_detector_that_does_not_fit_is_refused(tmp_path):
    """The loss check runs the wrapped detector: a neck left expecting the
    old channels fails it (the tool would have refused it)."""
    from ghost_mm.swap.check import _check_runs
    from ghost_mm.registry import scope_models
    src = 'mmdet::bytetrack/bytetrack_yolox_x_8xb4-80e_crowdhuman-mot20train_test-mot20test.py'
    cfg = swap_backbone(src, pretrained=None).cfg
    cfg.model.detector.neck.in_channels = [320, 640, 1280]  # CSPDarknet's
    original = Config.fromstring(f'_base_ = {src!r}\n', '.py').model
    with pytest.raises(SwapError, match='the original backbone runs'):
        _check_runs(cfg, scope_models('mmdet'), src, original)


def test_sweep_tries_each_familys_base_model():
    from ghost_mm.swap.sweep import families
    det, seg = families('mmdet'), families('mmseg')
    assert len(det) > 100 and len(seg) > 50 and '_base_' not in det
    assert representative(det['retinanet']) == 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
    assert representative(det['faster_rcnn']) == \
        'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
    assert representative(seg['pspnet']) == \
        'mmseg::pspnet/pspnet_r50-d8_4xb2-40k_cityscapes-512x1024.py'
    assert not any(n.endswith('_tta.py') for names in det.values() for n in names)


@pytest.mark.slow
def test_sweep_tool_reports_trained_and_refused(repo_root, tmp_path):
    """tools/swap_sweep.py, each config in its own process: TOOD (which reads
    the runner's epoch) trains; Faster R-CNN C4 is refused with the reason."""
    import json
    c4 = 'mmdet::faster_rcnn/faster-rcnn_r50-caffe_c4-1x_coco.py'
    run = subprocess.run([sys.executable, 'tools/swap_sweep.py', '--only', 'tood', c4,
                          '--out', str(tmp_path / 'sweep')], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    rows = {r['config']: r for r in json.loads((tmp_path / 'sweep.json').read_text())['rows']}
    assert rows['mmdet::tood/tood_r50_fpn_1x_coco.py']['outcome'] == 'trained'
    assert rows[c4]['outcome'] == 'refused' and 'shared_head' in rows[c4]['detail']
    table = (tmp_path / 'sweep.md').read_text()
    assert '**1 refused**, **1 trained**' in table and '`tood/tood_r50_fpn_1x_coco.py`' in table
