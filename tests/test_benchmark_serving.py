"""tools/benchmark.py --serving / --soak / --soak-clip: the pieces that do not
time anything (the timings themselves are not tests)."""
import numpy as np
import pytest
from helpers import read_video

from ghost_mm.benchmark.serving import (KINDS, memory_growth, serving_ratios, soak_clip,
                                        varied_images, write_clip)
from ghost_mm.runtime.preprocess import prepare

# the RetinaNet quick start's deploy.json preprocess (320 px, keep ratio)
POLICY = {'resize': {'scale': [320, 320], 'keep_ratio': True}}


def test_varied_images_differ_in_network_size():
    images = varied_images(POLICY, count=12)
    sizes = {prepare(image, POLICY)[0].shape for image in images}
    assert len(images) == len(sizes) == 12


def test_ratios_divide_rows_of_one_runtime_and_way():
    rows = {}
    for b, backend in enumerate(('onnxruntime', 'openvino')):
        for m, how in enumerate(('one at a time', 'predict_many, throughput mode')):
            for k, kind in enumerate(KINDS):
                rows[f'{backend}, {how}, {kind}'] = {'images_per_s': 10 + 100 * b + 10 * m + k}
    ratios = serving_ratios(rows)
    assert ratios['openvino, one at a time: sizes first met / one size'] == 111 / 110
    assert ratios['onnxruntime, predict_many, throughput mode: sizes first met / the same '
                  'sizes met before'] == 21 / 22
    assert ratios['openvino, one size: predict_many / one at a time'] == 120 / 110


def test_write_clip_writes_every_frame_at_its_size(tmp_path, repo_root):
    path = write_clip(str(tmp_path / 'clip.avi'), 40, size=(160, 120))
    frames, _ = read_video(path)
    assert len(frames) == 40 and frames[0].shape == (120, 160, 3)
    assert not np.array_equal(frames[0], frames[39])  # the camera pans


def test_soak_clip_refuses_a_short_clip(tmp_path):
    with pytest.raises(ValueError, match='--soak-clip 20: give 300 frames or more'):
        soak_clip({}, 2, 20, str(tmp_path))


@pytest.mark.parametrize('flag, value', [('--soak', '50'), ('--soak-clip', '20')])
def test_tool_refuses_a_short_soak_before_exporting(flag, value, capsys):
    from benchmark import main
    with pytest.raises(SystemExit):
        main([flag, value, '--sizes'])
    assert f'{flag} {value}: give' in capsys.readouterr().err


def test_memory_growth_counts_from_the_end_of_warm_up():
    samples = [(100, 900.0), (200, 1000.0), (300, 1040.0), (400, 1020.0)]
    row = memory_growth(samples, warm_until=150)  # the first 100 predictions warm up
    assert (row['rss_after_warmup_mb'], row['rss_end_mb'], row['rss_max_mb']) == \
        (1000.0, 1020.0, 1040.0)
    assert abs(row['growth'] - 0.02) < 1e-12
