"""PaddleClas .pdparams and MindCV .ckpt GhostNet files convert without the
foreign frameworks and reproduce what those frameworks computed.

The fixtures (tests/fixtures/foreign_weights, README there) are 0.5x models
written by PaddlePaddle 3.0.0 / MindSpore 2.10.0 themselves, with the levels
and logits the frameworks computed from them on a stored input."""
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import REPO
from convert_checkpoint import main as convert_main
from ghost_mm.weights import CheckpointError, convert_ghostnet_checkpoint, read_state_dict
from ghost_mm.weights.foreign.mindspore_ckpt import _message_class, read_mindspore_ckpt
from ghost_mm.weights.foreign.pdparams import NAME_TABLE_KEY, read_pdparams
from ghost_mm.models.ghostnet import GhostNet, GhostNetClassifier

FIXTURES = os.path.join(REPO, 'tests/fixtures/foreign_weights')
PADDLE = os.path.join(FIXTURES, 'paddleclas_ghostnet_x0_5.pdparams')
MINDCV = os.path.join(FIXTURES, 'mindcv_ghostnet_050.ckpt')
FILES = {'paddleclas_ghostnet_x0_5': PADDLE, 'mindcv_ghostnet_050': MINDCV}


def _expected(name):
    return np.load(os.path.join(FIXTURES, f'{name}.expected.npz'))


def _input():
    return torch.from_numpy(np.load(os.path.join(FIXTURES, 'input.npy')))


def _assert_levels(backbone_file, name):
    model = GhostNet(0.5, out_indices=tuple(range(6)),
                     init_cfg=dict(type='Pretrained', checkpoint=str(backbone_file)))
    model.init_weights()
    with torch.no_grad():
        levels = model.eval()(_input())
    expected = _expected(name)
    for i, level in enumerate(levels):
        want = expected[f'level{i}']
        assert level.shape == want.shape, i
        assert np.abs(level.numpy() - want).max() <= 1e-4, f'level {i}'


def _write_ckpt(path, arrays):
    """A MindSpore checkpoint as MindSpore writes one (a message per entry)."""
    message = _message_class()
    with open(path, 'wb') as f:
        for tag, array in arrays.items():
            checkpoint = message()
            value = checkpoint.value.add()
            value.tag = tag
            value.tensor.dims.extend(array.shape)
            value.tensor.tensor_type = {np.dtype('float32'): 'Float32',
                                        np.dtype('int32'): 'Int32'}[array.dtype]
            value.tensor.tensor_content = array.tobytes()
            f.write(checkpoint.SerializeToString())


def _write_pdparams(path, arrays):
    with open(path, 'wb') as f:
        pickle.dump(arrays, f, protocol=4)


@pytest.mark.parametrize('name', sorted(FILES))
def test_converted_file_reproduces_the_framework_at_all_levels(tmp_path, name, capsys):
    dst = tmp_path / 'converted.pth'
    convert_main([FILES[name], str(dst)])
    assert 'GhostNet v1 0.5x' in capsys.readouterr().out
    meta = torch.load(dst, weights_only=True)['meta']
    assert meta['widen_factor'] == 0.5 and meta['source_format'] == read_state_dict(
        FILES[name])[0]
    _assert_levels(dst, name)
    # the file itself loads as pretrained weights too, without converting
    _assert_levels(FILES[name], name)


@pytest.mark.parametrize('name', sorted(FILES))
def test_classifier_logits_match_the_framework(name):
    """The head as the framework's: PaddleClas' fc_0 conv+BN folded into the
    official conv_head, fc_1 transposed; MindCV's conv_head/Dense as they are."""
    _, state_dict = read_state_dict(FILES[name])
    head = ('conv_head.', 'classifier.')
    model = GhostNetClassifier(0.5, num_classes=10)
    result = model.load_state_dict({(k if k.startswith(head) else f'backbone.{k}'): v
                                    for k, v in state_dict.items()}, strict=False)
    assert not result.unexpected_keys
    assert all(k.endswith('num_batches_tracked') for k in result.missing_keys)
    with torch.no_grad():
        logits = model.eval()(_input())
    want = _expected(name)['logits']
    assert np.abs(logits.numpy() - want).max() <= 1e-4
    assert logits.argmax().item() == want.argmax()


def test_keep_head_writes_an_mmpretrain_classifier(tmp_path):
    state_dict, width, version = convert_ghostnet_checkpoint(PADDLE, tmp_path / 'cls.pth',
                                                             keep_head=True)
    assert (width, version) == (0.5, 'v1')
    assert state_dict['head.layers.1.fc.weight'].shape == (10, 1280)
    assert torch.load(tmp_path / 'cls.pth', weights_only=True)['meta']['num_classes'] == 10


def test_paddle_parameter_names_are_read_too(tmp_path):
    """Files keyed by Paddle's parameter names (conv1_weights, conv1_bn_scale,
    ..._se_1_weights, fc_1_offset): renamed with the fixture's own name table,
    which Paddle wrote."""
    arrays = read_pdparams(PADDLE)
    table = arrays.pop(NAME_TABLE_KEY)
    assert set(table) == set(arrays)
    renamed = tmp_path / 'by_parameter_names.pdparams'
    _write_pdparams(renamed, {table[k]: v for k, v in arrays.items()})
    dst = tmp_path / 'converted.pth'
    convert_ghostnet_checkpoint(renamed, dst)
    _assert_levels(dst, 'paddleclas_ghostnet_x0_5')


def test_mindspore_training_state_is_dropped(tmp_path):
    arrays = read_mindspore_ckpt(MINDCV)
    arrays.update({'moments.conv_stem.weight': np.zeros((8, 3, 3, 3), np.float32),
                   'learning_rate': np.array([0.1], np.float32),
                   'global_step': np.array([10], np.int32)})
    path = tmp_path / 'with_optimizer.ckpt'
    _write_ckpt(path, arrays)
    dst = tmp_path / 'converted.pth'
    convert_ghostnet_checkpoint(path, dst)
    _assert_levels(dst, 'mindcv_ghostnet_050')


def test_foreign_files_convert_without_the_frameworks(tmp_path):
    """Conversion in a fresh process where importing paddle, mindspore,
    mindcv or ppcls fails."""
    code = (
        'import sys\n'
        'class Block:\n'
        '    def find_spec(self, name, path=None, target=None):\n'
        '        if name.split(".")[0] in ("paddle", "mindspore", "mindcv", "ppcls"):\n'
        '            raise ImportError("blocked: " + name)\n'
        'sys.meta_path.insert(0, Block())\n'
        'from ghost_mm.weights import convert_ghostnet_checkpoint\n'
        f'for src in {[PADDLE, MINDCV]!r}:\n'
        f'    print(convert_ghostnet_checkpoint(src, {str(tmp_path / "x.pth")!r})[1:])\n')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split('\n')[:2] == ["(0.5, 'v1')", "(0.5, 'v1')"]


class _RunsACommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


def _bad_files(tmp_path):
    """(file, words the error must contain) for files that must be refused."""
    marker = tmp_path / 'ran'
    evil = tmp_path / 'evil.pdparams'
    _write_pdparams(evil, {'conv1._conv.weight': _RunsACommand(marker)})
    truncated_pd, truncated_ms = tmp_path / 'cut.pdparams', tmp_path / 'cut.ckpt'
    truncated_pd.write_bytes(open(PADDLE, 'rb').read()[:100000])
    truncated_ms.write_bytes(open(MINDCV, 'rb').read()[:100003])
    other_pd, other_ms = tmp_path / 'mobilenet.pdparams', tmp_path / 'resnet.ckpt'
    _write_pdparams(other_pd, {'conv1_weights_x': np.zeros((8, 3, 3, 3), np.float32),
                               'features.0.weight': np.zeros(3, np.float32)})
    _write_ckpt(other_ms, {'conv1.weight': np.zeros((8, 3, 3, 3), np.float32),
                           'layer1.0.bn1.gamma': np.zeros(8, np.float32)})
    extra = dict(read_pdparams(PADDLE))
    extra['_ghostbottleneck_3.attention.weight'] = np.zeros(4, np.float32)
    extra_pd = tmp_path / 'extra.pdparams'
    _write_pdparams(extra_pd, extra)
    short = read_mindspore_ckpt(MINDCV)
    del short['blocks.3.0.se.conv_reduce.weight']
    short_ms = tmp_path / 'short.ckpt'
    _write_ckpt(short_ms, short)
    unknown = tmp_path / 'weights.bin'
    unknown.write_bytes(b'GGUF' + bytes(64))
    empty = tmp_path / 'empty.ckpt'
    empty.write_bytes(b'')
    return marker, [
        (evil, ['evil.pdparams', 'refused', 'system', 'only arrays and containers']),
        (truncated_pd, ['cut.pdparams', 'truncated']),
        (truncated_ms, ['cut.ckpt', 'truncated']),
        (other_pd, ['mobilenet.pdparams', 'not a GhostNet', 'conv1._conv.weight']),
        (other_ms, ['resnet.ckpt', 'not a GhostNet', 'conv_stem.weight']),
        (extra_pd, ['extra.pdparams', 'maps incompletely', '_ghostbottleneck_3.attention.weight']),
        (short_ms, ['short.ckpt', 'missing keys', 'blocks.3.0.se.conv_reduce.weight']),
        (unknown, ['weights.bin', 'no format', '.pdparams', '.ckpt']),
        (empty, ['empty.ckpt', 'empty']),
    ]


def test_bad_files_are_named_and_nothing_is_written(tmp_path):
    marker, cases = _bad_files(tmp_path)
    for path, words in cases:
        dst = tmp_path / 'out' / 'converted.pth'
        with pytest.raises(CheckpointError) as info:
            convert_ghostnet_checkpoint(path, dst)
        for word in words:
            assert word in str(info.value), (path.name, word, str(info.value))
        assert not dst.exists() and not (tmp_path / 'out').exists()
        with pytest.raises(SystemExit) as tool:  # the tool says it in one line
            convert_main([str(path), str(dst)])
        assert str(path) in str(tool.value.code) and not dst.exists()
    assert not marker.exists()  # the pickled command never ran
