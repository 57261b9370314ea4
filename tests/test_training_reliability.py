"""Resume after SIGKILL, and multi-process training through tools/dist_train.sh."""
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from ghost_mm.weights import runner_checkpoint_globals

QUICKSTART = 'configs/quickstart/retinanet_ghostnet_coco-sample.py'
TINY = [
    'train_dataloader.dataset.pipeline.2.scale=(128,128)',
    'val_dataloader.dataset.pipeline.1.scale=(128,128)',
    'test_dataloader.dataset.pipeline.1.scale=(128,128)',
    'train_cfg.max_iters=6', 'train_cfg.val_interval=100',
    'param_scheduler.1.milestones=[5]',
    'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
    'randomness.seed=0', 'randomness.deterministic=True',
]


def _train_cmd(work_dir, *extra):
    return [sys.executable, 'tools/train.py', QUICKSTART, '--work-dir', str(work_dir),
            *extra, '--cfg-options', *TINY]


def _weights(path):
    with runner_checkpoint_globals():
        return torch.load(path, map_location='cpu', weights_only=True)['state_dict']


@pytest.mark.slow
def test_resume_after_sigkill_matches_uninterrupted_run(repo_root, tmp_path):
    subprocess.run(_train_cmd(tmp_path / 'straight'), check=True, capture_output=True)

    killed = tmp_path / 'killed'
    proc = subprocess.Popen(_train_cmd(killed), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    last = killed / 'last_checkpoint'  # written after the checkpoint itself
    while not (last.exists() and last.read_text().strip().endswith('iter_4.pth')) \
            and proc.poll() is None:
        assert time.time() < deadline, 'no checkpoint within 5 minutes'
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (killed / 'iter_6.pth').exists(), 'the run finished before the kill'

    resumed = subprocess.run(_train_cmd(killed, '--resume'), check=True,
                             capture_output=True, text=True)
    assert 'resumed epoch: 0, iter: 4' in resumed.stdout + resumed.stderr
    straight, after_resume = _weights(tmp_path / 'straight' / 'iter_6.pth'), \
        _weights(killed / 'iter_6.pth')
    assert straight.keys() == after_resume.keys()
    for key in straight:
        assert torch.equal(straight[key], after_resume[key]), key


@pytest.mark.slow
def test_dist_train_two_cpu_processes(repo_root, tmp_path):
    env = dict(os.environ, PORT='29517', PYTHON=sys.executable, OMP_NUM_THREADS='1')
    result = subprocess.run(
        ['bash', 'tools/dist_train.sh', QUICKSTART, '2', '--work-dir', str(tmp_path),
         '--cfg-options', *TINY[:3], 'train_cfg.max_iters=2',
         'default_hooks.checkpoint.interval=2', 'train_dataloader.batch_size=2'],
        env=env, capture_output=True, text=True, timeout=600)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    # mmengine logs the world size as 'GPU number', also for CPU processes
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert (tmp_path / 'iter_2.pth').exists()


def test_a_second_runner_in_the_process_keeps_its_own_log_folder(repo_root, tmp_path):
    """mmengine's visualizer is a named singleton ('visualizer' in mmdet's
    runtime config): without build_runner's fix, the second runner logs into
    the first one's folder (found by tests/test_realtime.py)."""
    from ghost_mm.runner import build_runner, load_config
    runners = [build_runner(load_config(QUICKSTART, None, str(tmp_path / name)))
               for name in ('first', 'second')]
    folders = [r.visualizer._vis_backends['LocalVisBackend']._save_dir for r in runners]
    assert folders[0].startswith(str(tmp_path / 'first'))
    assert folders[1].startswith(str(tmp_path / 'second'))
