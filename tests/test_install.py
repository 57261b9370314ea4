"""What `pip install "ghost_mm[runtime]"` brings into a fresh environment."""
import json
import subprocess
import venv

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow


def test_runtime_extra_brings_no_torch_and_no_openmmlab(tmp_path):
    """The runtime install (tools/infer_deployed.py, ghost_mm.runtime) is one
    command and pulls neither torch nor any mm* package (mmcv cannot even be
    built in a fresh venv), only numpy, OpenCV, the runtimes and pycocotools."""
    venv.create(tmp_path / 'venv', with_pip=True)
    pip = [str(tmp_path / 'venv' / 'bin' / 'python'), '-m', 'pip']
    report = tmp_path / 'report.json'
    run = subprocess.run(pip + ['install', '--quiet', '--dry-run', '--ignore-installed',
                                '--report', str(report), f'{REPO}[runtime]'],
                         capture_output=True, text=True)
    if run.returncode and 'No matching distribution' in run.stderr:
        pytest.skip(f'no package index reachable here: {run.stderr.splitlines()[-1]}')
    assert run.returncode == 0, run.stderr
    names = {item['metadata']['name'].lower().replace('_', '-')
             for item in json.loads(report.read_text())['install']}
    assert {'numpy', 'opencv-python', 'onnxruntime', 'openvino', 'pycocotools'} <= names
    heavy = sorted(n for n in names if n in ('torch', 'torchvision') or n.startswith('mm'))
    assert not heavy, f'the runtime extra pulls {heavy}'
