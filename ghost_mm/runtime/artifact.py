"""The deployed artifact: a folder with the network file(s) and ``deploy.json``.

This module is the one place that names the artifact's files and fields; the
exporter (``ghost_mm.export``) writes what it reads here. It imports nothing
from torch or OpenMMLab.
"""
import json
import os.path as osp

# 1: resize only; 2: adds preprocess.pad (the test pipeline's Pad); 3:
# segmentors give seg_logits (the runtime resizes, then argmax). An artifact
# records the lowest version that reads it, so older runtimes refuse only what
# they would get wrong.
FORMAT_VERSION = 3
META_FILE = 'deploy.json'
BACKENDS = {'onnxruntime': 'model.onnx', 'openvino': 'model.xml', 'ncnn': 'model.ncnn.param'}
# files a backend needs beside its network file
COMPANIONS = {'openvino': ('model.bin',), 'ncnn': ('model.ncnn.bin',)}
TASKS = ('detection', 'segmentation')


class ArtifactError(ValueError):
    """A deployed folder that cannot be used here; the message says why."""


def model_file(backend):
    if backend not in BACKENDS:
        raise ArtifactError(f'backend {backend!r} is not supported; use one of '
                            f'{", ".join(BACKENDS)}')
    return BACKENDS[backend]


def read_meta(folder, backend=None):
    """``deploy.json`` of ``folder``, checked: known format version and task,
    the network file present, and (if given) made for ``backend``."""
    path = osp.join(folder, META_FILE)
    if not osp.isfile(path):
        raise ArtifactError(f'{folder} is not a deployed model: {META_FILE} not found '
                            f'(write one with tools/deploy.py)')
    try:
        with open(path) as f:
            meta = json.load(f)
    except (OSError, json.JSONDecodeError) as err:
        raise ArtifactError(f'{path} is not readable JSON: {err}') from err
    version = meta.get('format_version')
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ArtifactError(f'{path} has format_version {version!r}; this ghost_mm reads '
                            f'format {FORMAT_VERSION} and older: re-export it with this '
                            f'version, or update ghost_mm')
    if meta.get('task') not in TASKS:
        raise ArtifactError(f'{path}: task {meta.get("task")!r} is not one of {TASKS}')
    if backend is not None and meta.get('backend') != backend:
        raise ArtifactError(f'{folder} was made for backend {meta.get("backend")!r}, not '
                            f'{backend!r}: export it again with --backend {backend}')
    for name in (model_file(meta.get('backend')),) + COMPANIONS.get(meta['backend'], ()):
        if not osp.isfile(osp.join(folder, name)):
            raise ArtifactError(f'{folder}: {name} is missing ({META_FILE} names backend '
                                f'{meta["backend"]!r}, which needs it)')
    if meta['backend'] == 'ncnn' and 'ncnn' not in meta:
        raise ArtifactError(f'{path}: an ncnn artifact without its "ncnn" section (input '
                            f'size, outputs, post-processing): export it again')
    return meta


def write_meta(folder, meta):
    version = 3 if meta['task'] == 'segmentation' else \
        2 if (meta.get('preprocess') or {}).get('pad') else 1
    with open(osp.join(folder, META_FILE), 'w') as f:
        json.dump({'format_version': version, **meta}, f, indent=2)
