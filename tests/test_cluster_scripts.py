"""tools/dist_test.sh, slurm_train.sh and slurm_test.sh: the commands they
start (srun's options as mmdet's scripts pass them), and a Slurm job of two
CPU tasks training for real (srun stood in for by a script that starts the
tasks with the variables srun sets)."""
import os
import stat
import subprocess
import sys

import pytest

from ghost_mm.runner import slurm_process_env

QUICKSTART = 'configs/quickstart/retinanet_ghostnet_coco-sample.py'


def _script(folder, name, body):
    path = folder / name
    path.write_text('#!/usr/bin/env bash\n' + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def _recorded(tmp_path, command, **env):
    """Run ``command`` with srun (and PYTHON) replaced by a recorder; the
    arguments it was called with, one list per call."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / 'calls'
    recorder = f'printf "%s\\n" "$(basename "$0")" "$@" >> {log}; echo --- >> {log}\n'
    _script(bin_dir, 'srun', recorder)
    python = _script(bin_dir, 'python', recorder)
    result = subprocess.run(command, env={**os.environ, 'PATH': f'{bin_dir}:{os.environ["PATH"]}',
                                          'PYTHON': str(python), **env},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [call.strip('\n').split('\n') for call in log.read_text().split('---\n') if call]


def test_slurm_train_passes_mmdets_srun_options(repo_root, tmp_path):
    calls = _recorded(tmp_path, ['bash', 'tools/slurm_train.sh', 'gpu', 'ghost', QUICKSTART,
                                 'work_dirs/x', '--amp'],
                      GPUS='16', GPUS_PER_NODE='8', CPUS_PER_TASK='4', SRUN_ARGS='--qos=low -t 60')
    assert calls == [['srun', '-p', 'gpu', '--job-name=ghost', '--ntasks=16',
                      '--ntasks-per-node=8', '--gres=gpu:8', '--cpus-per-task=4',
                      '--kill-on-bad-exit=1', '--qos=low', '-t', '60',
                      str(tmp_path / 'bin' / 'python'), '-u', f'{repo_root}/tools/train.py',
                      QUICKSTART, '--work-dir=work_dirs/x', '--launcher=slurm', '--amp']]


def test_slurm_test_on_cpu_nodes_asks_for_no_gpu(repo_root, tmp_path):
    calls = _recorded(tmp_path, ['bash', 'tools/slurm_test.sh', 'cpu', 'eval', QUICKSTART,
                                 'ckpt.pth', '--tta'], GPUS='2', GPUS_PER_NODE='0')
    assert calls == [['srun', '-p', 'cpu', '--job-name=eval', '--ntasks=2', '--cpus-per-task=5',
                      '--kill-on-bad-exit=1', str(tmp_path / 'bin' / 'python'), '-u',
                      f'{repo_root}/tools/test.py', QUICKSTART, 'ckpt.pth', '--launcher=slurm',
                      '--tta']]


def test_dist_test_starts_torchrun_on_test_py(repo_root, tmp_path):
    calls = _recorded(tmp_path, ['bash', 'tools/dist_test.sh', QUICKSTART, 'ckpt.pth', '4',
                                 '--out', 'r'], PORT='29601')
    assert calls == [['python', '-m', 'torch.distributed.run', '--nnodes=1', '--node_rank=0',
                      '--master_addr=127.0.0.1', '--master_port=29601', '--nproc_per_node=4',
                      f'{repo_root}/tools/test.py', QUICKSTART, 'ckpt.pth', '--launcher',
                      'pytorch', '--out', 'r']]


@pytest.mark.parametrize('script', ['slurm_train.sh', 'slurm_test.sh', 'dist_test.sh'])
def test_cluster_scripts_name_what_is_missing(repo_root, script):
    result = subprocess.run(['bash', f'tools/{script}'], capture_output=True, text=True)
    assert result.returncode != 0 and f'usage: {script}' in result.stderr


def test_slurm_task_variables_become_torch_distributed_ones(tmp_path, monkeypatch):
    _script(tmp_path, 'scontrol', 'echo node-a; echo node-b\n')
    monkeypatch.setenv('PATH', f'{tmp_path}:{os.environ["PATH"]}')
    slurm = {'SLURM_PROCID': '3', 'SLURM_NTASKS': '4', 'SLURM_LOCALID': '1',
             'SLURM_NODELIST': 'node-[a-b]'}
    assert slurm_process_env(slurm) == {'RANK': '3', 'WORLD_SIZE': '4', 'LOCAL_RANK': '1',
                                        'MASTER_PORT': '29500', 'MASTER_ADDR': 'node-a'}
    kept = slurm_process_env({**slurm, 'MASTER_ADDR': '10.0.0.9', 'MASTER_PORT': '1234'})
    assert (kept['MASTER_ADDR'], kept['MASTER_PORT']) == ('10.0.0.9', '1234')
    with pytest.raises(RuntimeError, match='SLURM_PROCID, SLURM_NODELIST not set'):
        slurm_process_env({'SLURM_NTASKS': '2'})


@pytest.mark.slow
def test_slurm_train_trains_with_two_cpu_tasks(repo_root, tmp_path):
    """srun stood in for: it starts --ntasks copies of the command with the
    variables Slurm gives each task; the tasks meet through gloo as ranks of
    one job and write the checkpoint once."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    _script(bin_dir, 'scontrol', 'echo 127.0.0.1\n')
    _script(bin_dir, 'srun', '''n=1; args=()
# srun's own options come before the command, which starts at the interpreter
for a in "$@"; do
  if [ ${#args[@]} -gt 0 ] || [ "$a" = "$PYTHON" ]; then args+=("$a")
  elif [ "${a#--ntasks=}" != "$a" ]; then n=${a#--ntasks=}; fi
done
pids=(); for ((i = 0; i < n; i++)); do
  SLURM_PROCID=$i SLURM_LOCALID=$i SLURM_NTASKS=$n SLURM_NODELIST=localhost "${args[@]}" & pids+=($!)
done
status=0; for p in "${pids[@]}"; do wait "$p" || status=1; done; exit $status
''')
    env = {**os.environ, 'PATH': f'{bin_dir}:{os.environ["PATH"]}', 'PYTHON': sys.executable,
           'GPUS': '2', 'GPUS_PER_NODE': '0', 'MASTER_PORT': '29519', 'OMP_NUM_THREADS': '1'}
    result = subprocess.run(
        ['bash', 'tools/slurm_train.sh', 'cpu', 'ghost', QUICKSTART, str(tmp_path / 'work'),
         '--cfg-options', 'train_dataloader.dataset.pipeline.2.scale=(128,128)',
         'train_cfg.max_iters=2', 'train_cfg.val_interval=100',
         'default_hooks.checkpoint.interval=2', 'train_dataloader.batch_size=2'],
        env=env, capture_output=True, text=True, timeout=600)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert (tmp_path / 'work' / 'iter_2.pth').exists()
