"""PASCAL VOC: the VOC-format sample as mmdet's VOCDataset reads it, the VOC
configs (mmdet's pascal_voc recipes with GhostNet), the quick start learning
the sample (VOCMetric's 11-point mAP), and missing VOC data named with its
layout."""
import json
import os.path as osp

import pytest

from conftest import VOC
from ghost_mm.data.voc_sample import VOC_FROM_COCO
from ghost_mm.runner import MissingInputError, build_runner, load_config, run_test


def _coco_boxes(split):
    """{image id: sorted [(VOC class, x1, y1, x2, y2)]} of the shipped COCO
    sample's objects of VOC classes."""
    with open(f'samples/coco/annotations/instances_{split}.json') as f:
        coco = json.load(f)
    voc_of = {c['id']: voc for c in coco['categories'] for voc, name in VOC_FROM_COCO.items()
              if c['name'] == name}
    found = {}
    for ann in coco['annotations']:
        if ann['category_id'] in voc_of:
            image = next(i for i in coco['images'] if i['id'] == ann['image_id'])
            x, y, w, h = ann['bbox']
            found.setdefault(osp.splitext(image['file_name'])[0], []).append(
                (voc_of[ann['category_id']], x, y, x + w, y + h))
    return {k: sorted(v) for k, v in found.items()}


def test_voc_sample_is_the_coco_sample_as_vocdataset_reads_it(repo_root, voc_sample):
    from mmdet.datasets import VOCDataset
    expected = {**_coco_boxes('train2017'), **_coco_boxes('val2017')}
    dataset = VOCDataset(data_root=f'{voc_sample}/', ann_file='VOC2007/ImageSets/Main/trainval.txt',
                         data_prefix=dict(sub_data_root='VOC2007/'), test_mode=True,
                         pipeline=[])
    assert dataset.metainfo['dataset_type'] == 'VOC2007'  # VOCMetric's 11-point mAP
    classes = dataset.metainfo['classes']
    read = {}
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        assert osp.isfile(info['img_path'])
        read[info['img_id']] = sorted((classes[o['bbox_label']], *o['bbox'])
                                      for o in info['instances'])
    assert read.keys() == expected.keys() and len(read) == 9
    assert sum(len(objects) for objects in read.values()) == 13
    for image_id, objects in expected.items():
        assert [o[0] for o in read[image_id]] == [o[0] for o in objects]
        for got, want in zip(read[image_id], objects):
            # VOC stores whole 1-based pixels: the COCO box within half a pixel
            assert max(abs(a - b) for a, b in zip(got[1:], want[1:])) <= 0.5, (image_id, got,
                                                                                want)


def test_voc_configs_are_mmdets_recipes_with_ghostnet(repo_root):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules()
    for config, head in (('configs/retinanet_ghostnet_voc0712.py', 'bbox_head'),
                         ('configs/faster-rcnn_ghostnet_fpn_voc0712.py', 'roi_head')):
        cfg = load_config(config)
        assert cfg.model.backbone.type == 'GhostNet'
        assert cfg.train_dataloader.dataset.dataset.datasets[1].ann_file == \
            'VOC2012/ImageSets/Main/trainval.txt'
        assert (cfg.test_evaluator.type, cfg.test_evaluator.eval_mode) == ('VOCMetric', '11points')
        cfg.model.backbone.init_cfg = None
        model = MODELS.build(cfg.model)
        classes = model.bbox_head.num_classes if head == 'bbox_head' \
            else model.roi_head.bbox_head.num_classes
        assert classes == 20


def test_missing_voc_data_names_mmdets_layout(repo_root, tmp_path, monkeypatch):
    config = osp.join(repo_root, 'configs/retinanet_ghostnet_voc0712.py')
    monkeypatch.chdir(tmp_path)  # no data/VOCdevkit here
    from ghost_mm.data.checks import check_inputs
    with pytest.raises(MissingInputError) as err:
        check_inputs(load_config(config), check_pretrained=False)
    message = str(err.value)
    assert 'data/VOCdevkit/VOC2012/ImageSets/Main/trainval.txt' in message
    assert 'data/VOCdevkit/VOC2007/{Annotations/*.xml' in message
    assert 'tools/make_voc_sample.py' in message


def test_voc_quick_start_learns_the_sample(repo_root, tmp_path, trained, voc_sample):
    options = {f'{k}_dataloader.dataset.data_root': f'{voc_sample}/'
               for k in ('train', 'val', 'test')}
    # score_thr 0: an untrained detector scores below the default 0.05
    untrained = build_runner(load_config(VOC, {**options, 'model.test_cfg.score_thr': 0.0},
                                         str(tmp_path / 'before')))
    before = untrained.val()['pascal_voc/mAP']
    after = run_test(VOC, trained(VOC), work_dir=str(tmp_path / 'test'),
                     cfg_options=options)['pascal_voc/mAP']
    print(f'VOC mAP {before:.3f} -> {after:.3f}')
    assert before <= 0.05
    assert after >= 0.3  # measured 0.478 (100 iterations, 2 cores)
