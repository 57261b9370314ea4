"""The README's "Train on your own COCO-format data", run as written: the
example config copied, its marked lines changed, on a small dataset with
custom class names and category ids."""
import json
import os
import shutil

import pytest
from mmengine.config import Config

from conftest import REPO

EXAMPLE = os.path.join(REPO, 'configs', 'retinanet_ghostnet_own-coco.py')
CUSTOM = {'animal': (7, 'critter')}  # supercategory -> (our id, our name)
OTHER = (3, 'thing')


def make_own_dataset(root):
    """samples/coco's train images under other folder/file names, their
    objects relabelled to two custom classes with ids 3 and 7."""
    with open(os.path.join(REPO, 'samples/coco/annotations/instances_train2017.json')) as f:
        coco = json.load(f)
    kind = {c['id']: CUSTOM.get(c['supercategory'], OTHER) for c in coco['categories']}
    os.makedirs(root / 'annotations')
    shutil.copytree(os.path.join(REPO, 'samples/coco/train2017'), root / 'pictures')
    for ann in coco['annotations']:
        ann['category_id'] = kind[ann['category_id']][0]
    coco['categories'] = [{'id': 3, 'name': 'thing', 'supercategory': 'x'},
                          {'id': 7, 'name': 'critter', 'supercategory': 'x'}]
    for name in ('train.json', 'val.json'):
        with open(root / 'annotations' / name, 'w') as f:
            json.dump(coco, f)


@pytest.mark.slow
def test_readme_own_data_recipe_trains_and_tests(tmp_path, monkeypatch):
    from ghost_mm.runner import run_test, run_train
    make_own_dataset(tmp_path / 'my_dataset')
    # what the README tells a user to do: copy, change the marked lines
    text = open(EXAMPLE).read()
    for old, new in (("'./retinanet_ghostnet-1.0x_coco.py'",
                      repr(os.path.join(REPO, 'configs', 'retinanet_ghostnet-1.0x_coco.py'))),
                     ("'data/my_dataset/'", repr(f'{tmp_path}/my_dataset/')),
                     ("'images/'", "'pictures/'"),
                     ("('human', 'car')", "('thing', 'critter')")):
        assert old in text, old
        text = text.replace(old, new)
    (tmp_path / 'my_dataset.py').write_text(text)
    # ... and the README's from-scratch settings, short and small for a CPU
    quick = Config.fromfile(os.path.join(REPO, 'configs/quickstart/retinanet_ghostnet_coco-sample.py'))
    (tmp_path / 'short.py').write_text(f'''
_base_ = './my_dataset.py'
model = dict(backbone=dict(init_cfg=None, frozen_stages=-1, norm_eval=False),
             test_cfg=dict(score_thr=0.0))  # 20 iterations: keep the low scores too
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        sampler=dict(type='InfiniteSampler', shuffle=True),
                        dataset=dict(pipeline={quick.train_pipeline!r}))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline={quick.test_pipeline!r}))
test_dataloader = val_dataloader
optim_wrapper = dict(_delete_=True, optimizer=dict(type='AdamW', lr=5e-4))
auto_scale_lr = dict(enable=False)
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=20, val_interval=20)
param_scheduler = []
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=20))
log_processor = dict(by_epoch=False)
''')
    monkeypatch.chdir(tmp_path)
    runner = run_train('short.py', str(tmp_path / 'work'))
    assert runner.model.bbox_head.num_classes == 2
    log = open(next((tmp_path / 'work').glob('*/*.log'))).read()
    for warning in ('are not categories of', 'are not in the configured', 'not in the order'):
        assert warning not in log
    metrics = run_test('short.py', str(tmp_path / 'work' / 'iter_20.pth'),
                       str(tmp_path / 'test'), out=str(tmp_path / 'results'))
    assert 'coco/bbox_mAP' in metrics
    results = json.load(open(tmp_path / 'results.bbox.json'))
    # mmdet's labels 0, 1 written back as the file's own category ids
    assert results and {r['category_id'] for r in results} <= {3, 7}
