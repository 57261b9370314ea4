"""Broken datasets stop with a message naming the file, or skip it when asked."""
import json
import re
import shutil

import pytest

from ghost_mm.runner import MissingInputError, run_train

QUICKSTART = 'configs/quickstart/retinanet_ghostnet_coco-sample.py'
BROKEN = '000000249346.jpg'


@pytest.fixture
def sample_copy(repo_root, tmp_path):
    root = tmp_path / 'coco'
    shutil.copytree('samples/coco', root)
    return root


def _options(root, **extra):
    return {'train_dataloader.dataset.data_root': f'{root}/',
            'val_dataloader.dataset.data_root': f'{root}/',
            'val_evaluator.ann_file': f'{root}/annotations/instances_train2017.json',
            # all 8 images in the first batch, so the broken one is read
            'train_dataloader.batch_size': 8,
            'train_dataloader.dataset.pipeline.2.scale': (96, 96),
            'train_cfg.max_iters': 1, 'train_cfg.val_interval': 100,
            'default_hooks.checkpoint.interval': 100, **extra}


def test_corrupt_image_is_named(sample_copy, tmp_path):
    (sample_copy / 'train2017' / BROKEN).write_bytes(b'not a jpeg')
    with pytest.raises(AssertionError, match=BROKEN):
        run_train(QUICKSTART, work_dir=str(tmp_path / 'run'), cfg_options=_options(sample_copy))


def test_missing_image_is_named(sample_copy, tmp_path):
    (sample_copy / 'train2017' / BROKEN).unlink()
    with pytest.raises(FileNotFoundError, match=BROKEN):
        run_train(QUICKSTART, work_dir=str(tmp_path / 'run'), cfg_options=_options(sample_copy))


def test_bad_images_skipped_with_a_warning_when_configured(sample_copy, tmp_path):
    (sample_copy / 'train2017' / BROKEN).write_bytes(b'not a jpeg')
    options = _options(sample_copy, **{
        'train_dataloader.dataset.pipeline.0.type': 'SkippingLoadImageFromFile',
        # the run ends with a validation, which must not skip: the intact copy
        'val_dataloader.dataset.data_root': 'samples/coco/',
        'val_evaluator.ann_file': 'samples/coco/annotations/instances_train2017.json'})
    runner = run_train(QUICKSTART, work_dir=str(tmp_path / 'run'), cfg_options=options)
    assert runner.iter == 1
    log = next((tmp_path / 'run').glob('*/*.log')).read_text()
    assert f'skipped image {sample_copy}/train2017/{BROKEN}' in log


@pytest.mark.parametrize('content, words', [
    ('', 'is empty (0 bytes)'),
    ('{"images": [', 'is not valid json'),
    (json.dumps({'images': [], 'annotations': [], 'categories': []}), 'lists no images'),
])
def test_unusable_annotation_file(sample_copy, tmp_path, content, words):
    ann = sample_copy / 'annotations' / 'instances_train2017.json'
    ann.write_text(content)
    with pytest.raises(MissingInputError, match=re.escape(words)) as info:
        run_train(QUICKSTART, work_dir=str(tmp_path / 'run'), cfg_options=_options(sample_copy))
    assert str(ann) in str(info.value)


def test_configured_classes_the_annotation_file_lacks_are_warned(sample_copy, tmp_path):
    """mmdet maps the configured class names it finds to labels in order:
    ('human', 'car') over a file without 'human' makes every car label 0."""
    import uuid
    from mmengine.logging import MMLogger
    from ghost_mm.runner import annotation_warnings, check_inputs, load_config

    def config(classes):
        return load_config(QUICKSTART, _options(
            sample_copy, **{'train_dataloader.dataset.metainfo': dict(classes=classes)}))
    ann = f'{sample_copy}/annotations/instances_train2017.json'
    (shifting,) = annotation_warnings(config(('human', 'car')), loaders=('train_dataloader',))
    assert "configured classes ['human']" in shifting and ann in shifting
    assert "'car'" in shifting and "'person'" in shifting  # both lists named
    (subset,) = annotation_warnings(config(('person', 'car')), loaders=('train_dataloader',))
    assert 'are not in the configured classes' in subset and 'and 68 more' in subset
    assert annotation_warnings(load_config(QUICKSTART, _options(sample_copy))) == []  # COCO's own
    # mmdet numbers labels in the file's order, names them in the configured one
    order, _ = annotation_warnings(config(('car', 'person')), loaders=('train_dataloader',))
    assert 'not in the order' in order and '"car" would name the objects of "person"' in order
    assert "('person', 'car')" in order
    log_file = tmp_path / 'check.log'
    MMLogger.get_instance(f'test-{uuid.uuid4().hex}', log_file=str(log_file))
    check_inputs(config(('human', 'car')), loaders=('train_dataloader',))
    assert "configured classes ['human']" in log_file.read_text()


def test_areas_larger_than_their_boxes_are_warned(sample_copy):
    from ghost_mm.runner import annotation_warnings, load_config
    ann = sample_copy / 'annotations/instances_train2017.json'
    cfg = load_config(QUICKSTART, _options(sample_copy))
    assert annotation_warnings(cfg, loaders=('train_dataloader',)) == []  # real COCO areas
    content = json.loads(ann.read_text())
    for a in content['annotations'][:3]:
        a['area'] = 640 * 480  # the whole image, as a hand-made file might say
    ann.write_text(json.dumps(content))
    (warning,) = annotation_warnings(cfg, loaders=('train_dataloader',))
    assert f'3 of {len(content["annotations"])} annotations' in warning and str(ann) in warning


def test_missing_images_are_all_listed_before_anything_runs(sample_copy, tmp_path):
    gone = sorted((sample_copy / 'train2017').glob('*.jpg'))[:2]
    for path in gone:
        path.unlink()
    with pytest.raises(MissingInputError) as info:
        run_train(QUICKSTART, work_dir=str(tmp_path / 'run'), cfg_options=_options(sample_copy))
    message = str(info.value)
    assert '2 of 8 images listed in' in message and 'SkippingLoadImageFromFile' in message
    assert all(path.name in message for path in gone)
    assert not (tmp_path / 'run').exists()  # nothing ran


def test_missing_images_only_warned_when_skipping_is_configured(sample_copy, tmp_path):
    from ghost_mm.runner import annotation_warnings, load_config, missing_inputs
    (sample_copy / 'train2017' / BROKEN).unlink()
    cfg = load_config(QUICKSTART, _options(sample_copy, **{
        'train_dataloader.dataset.pipeline.0.type': 'SkippingLoadImageFromFile'}))
    assert missing_inputs(cfg, loaders=('train_dataloader',)) == []
    (warning,) = annotation_warnings(cfg, loaders=('train_dataloader',))
    assert '1 of 8 images' in warning and BROKEN in warning and 'will skip them' in warning


def _break_two(root):
    """One image of the sample deleted, one overwritten with junk; their names."""
    names = sorted(p.name for p in (root / 'train2017').glob('*.jpg'))
    (root / 'train2017' / names[0]).unlink()
    (root / 'train2017' / names[1]).write_bytes(b'not a jpeg')
    return names[:2]


def _without(ann, names, out):
    """``ann`` without the images ``names`` and their objects, written to ``out``."""
    content = json.loads(ann.read_text())
    drop = {i['id'] for i in content['images'] if i['file_name'] in names}
    content['images'] = [i for i in content['images'] if i['id'] not in drop]
    content['annotations'] = [a for a in content['annotations'] if a['image_id'] not in drop]
    out.write_text(json.dumps(content))
    return out


def test_skipped_images_are_left_out_of_testing_and_its_metric(repo_root, sample_copy, tmp_path,
                                                                trained):
    """tools/test.py with SkippingLoadImageFromFile over a copy with a missing
    and a corrupt image scores what it scores over an annotation file without
    them, on the intact sample: the metric is over the images that exist."""
    from ghost_mm.runner import run_test
    checkpoint = trained(QUICKSTART)
    bad = _break_two(sample_copy)
    ann = sample_copy / 'annotations' / 'instances_train2017.json'
    work = tmp_path / 'skipping'
    skipping = run_test(QUICKSTART, checkpoint, work_dir=str(work), cfg_options={
        'test_dataloader.dataset.data_root': f'{sample_copy}/',
        'test_dataloader.dataset.pipeline.0.type': 'SkippingLoadImageFromFile',
        'test_evaluator.ann_file': str(ann)})
    reference = run_test(QUICKSTART, checkpoint, work_dir=str(tmp_path / 'reference'),
                         cfg_options={
        'test_dataloader.dataset.ann_file': str(_without(ann, bad, tmp_path / 'six.json')),
        'test_evaluator.ann_file': str(tmp_path / 'six.json')})
    assert reference['coco/bbox_mAP'] > 0.3  # a trained model, not two zeros
    assert skipping == reference
    log = next(work.glob('*/*.log')).read_text()
    assert f'skipping 2 of 8 images of {ann}' in log
    assert f'{bad[0]} (missing)' in log and f'{bad[1]} (not decodable)' in log
    listing = (work / 'skipped_images' / 'test_dataloader_instances_train2017.skipped.txt')
    assert listing.read_text().split('\n')[:2] == [f'{bad[0]}\tmissing',
                                                   f'{bad[1]}\tnot decodable']
    assert len(json.loads(ann.read_text())['images']) == 8  # the user's file untouched


@pytest.mark.slow
def test_skipped_images_are_left_out_of_validation(sample_copy, tmp_path):
    bad = _break_two(sample_copy)
    skip = 'SkippingLoadImageFromFile'
    runner = run_train(QUICKSTART, work_dir=str(tmp_path / 'run'), cfg_options=_options(
        sample_copy, **{'train_dataloader.dataset.pipeline.0.type': skip,
                        'val_dataloader.dataset.pipeline.0.type': skip,
                        'train_cfg.val_interval': 1}))
    assert runner.iter == 1
    log = next((tmp_path / 'run').glob('*/*.log')).read_text()
    assert 'val_dataloader: skipping 2 of 8 images' in log and 'Iter(val) [6/6]' in log
    assert all(name in log for name in bad)
