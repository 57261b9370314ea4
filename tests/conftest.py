import os
import sys

import pytest
import torch

import ghost_mm  # noqa: F401  (registers GhostNet, quiets pkg_resources)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'tools'))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture
def repo_root(monkeypatch):
    """Run from the checkout's root, as the README's commands do."""
    monkeypatch.chdir(REPO)
    return REPO
