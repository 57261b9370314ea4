"""--resume, load_from and testing a runner checkpoint on torch >= 2.6."""
import pickle
import subprocess
import sys

import pytest
import torch

from ghost_mm.weights import runner_checkpoint_globals
from ghost_mm.models import GhostNet
from ghost_mm.runner import MissingInputError, run_test, run_train

QUICKSTART = 'configs/quickstart/retinanet_ghostnet_coco-sample.py'
# tiny and short: this checks checkpoints, not learning
TINY = {
    'train_dataloader.dataset.pipeline.2.scale': (128, 128),
    'val_dataloader.dataset.pipeline.1.scale': (128, 128),
    'test_dataloader.dataset.pipeline.1.scale': (128, 128),
    'train_cfg.max_iters': 4, 'train_cfg.val_interval': 4,
    'default_hooks.checkpoint.interval': 2,
    'default_hooks.logger.interval': 1,
}


@pytest.mark.slow
def test_resume_and_test_runner_checkpoint(repo_root, tmp_path):
    work_dir = str(tmp_path / 'run')
    runner = run_train(QUICKSTART, work_dir=work_dir, cfg_options=dict(TINY))
    assert runner.iter == 4
    ckpt = tmp_path / 'run' / 'iter_2.pth'
    # what the runner writes is refused by a plain weights_only load ...
    with pytest.raises(pickle.UnpicklingError):
        torch.load(ckpt, weights_only=True)
    # ... and read with the allow-list, weights_only still on, also in a
    # process that has made no HistoryBuffer yet
    code = ('import torch, ghost_mm.weights as c\n'
            'with c.runner_checkpoint_globals():\n'
            f'    assert torch.load({str(ckpt)!r}, weights_only=True)["meta"]["iter"] == 2')
    subprocess.run([sys.executable, '-c', code], check=True)
    with runner_checkpoint_globals():
        state = torch.load(ckpt, weights_only=True)
    assert state['meta']['iter'] == 2 and 'message_hub' in state

    with runner_checkpoint_globals():
        state_after = torch.load(tmp_path / 'run' / 'iter_4.pth', weights_only=True)['state_dict']

    resumed = run_train(QUICKSTART, work_dir=str(tmp_path / 'resumed'), resume=str(ckpt),
                        cfg_options=dict(TINY))
    assert resumed.iter == 4
    log = next((tmp_path / 'resumed').glob('*/*.log')).read_text()
    assert 'resumed epoch: 0, iter: 2' in log

    # the backbone taken out of the whole detector checkpoint
    backbone = GhostNet(1.1, init_cfg=dict(type='Pretrained', prefix='backbone.',
                                           checkpoint=str(tmp_path / 'run' / 'iter_4.pth')))
    backbone.init_weights()
    for key, value in backbone.state_dict().items():
        assert torch.equal(value, state_after['backbone.' + key]), key

    out_prefix = str(tmp_path / 'results' / 'sample')
    metrics = run_test(QUICKSTART, str(tmp_path / 'run' / 'iter_4.pth'),
                       work_dir=str(tmp_path / 'test'), out=out_prefix,
                       show_dir=str(tmp_path / 'show'),
                       cfg_options={'test_dataloader.dataset.pipeline.1.scale': (128, 128),
                                    # 4 iterations score below the default 0.05
                                    'model.test_cfg.score_thr': 0.0})
    assert 0.0 <= metrics['coco/bbox_mAP'] <= 1.0
    assert (tmp_path / 'results' / 'sample.bbox.json').exists()
    assert len(list((tmp_path / 'show').rglob('*.jpg'))) == 8  # drawn test images
    assert (tmp_path / 'run' / 'training_curves.png').stat().st_size > 1000


class _Evil:
    def __reduce__(self):
        return (print, ('pwned',))


class _EvilGetattr:
    def __reduce__(self):  # getattr on something that is not a HistoryBuffer
        return (getattr, (torch.zeros(1), 'numpy'))


@pytest.mark.parametrize('payload', [_Evil(), _EvilGetattr()])
def test_allow_list_keeps_arbitrary_objects_out(tmp_path, payload):
    path = tmp_path / 'evil.pth'
    torch.save({'meta': payload}, path)
    with runner_checkpoint_globals(), pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)


def test_missing_inputs_stop_with_one_message(repo_root, tmp_path):
    with pytest.raises(MissingInputError) as info:
        run_train('configs/retinanet_ghostnet_coco.py', work_dir=str(tmp_path),
              cfg_options={'train_dataloader.dataset.data_root': str(tmp_path / 'nococo/')})
    message = str(info.value)
    assert 'nococo' in message and 'instances_train2017.json' in message
    assert 'checkpoints/ghostnet_1.1x.pth' in message
    assert 'tools/convert_checkpoint.py' in message
    with pytest.raises(MissingInputError, match='checkpoint not found'):
        run_test(QUICKSTART, str(tmp_path / 'none.pth'))
