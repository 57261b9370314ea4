"""The real-time latency table divides like by like: each of our rows by the
toolbox default's row of the same form (runtime and precision), never by
another form; a form the default lacks gets no ratio."""
from ghost_mm.benchmark.realtime import DEFAULT, like_for_like
from ghost_mm.benchmark.report import realtime_markdown


def _row(ms):
    return dict(min_ms=ms, median_ms=ms, params_m=4.0, gflops=0.5)


def test_realtime_ratios_divide_the_same_form():
    ours, default = 'ssdlite_ghostnet-1.3x_coco-320', 'ssdlite_mobilenetv2' + DEFAULT
    rows = {ours: _row(40.0), f'{ours}, deploy form': _row(30.0),
            f'{ours}, OpenVINO int8': _row(9.0), f'{ours}, ncnn fp32': _row(12.0),
            default: _row(50.0), f'{default}, deploy form': _row(20.0),
            f'{default}, OpenVINO int8': _row(10.0)}
    like_for_like(rows, [ours, default])
    assert rows[ours]['x_default'] == 40.0 / 50.0
    assert rows[f'{ours}, deploy form']['x_default'] == 30.0 / 20.0  # not over eager 50
    assert rows[f'{ours}, OpenVINO int8']['x_default'] == 0.9
    assert rows[f'{ours}, ncnn fp32']['x_default'] is None  # the default has no ncnn row
    assert rows[default]['x_default'] == 1.0
    assert (rows[f'{ours}, OpenVINO int8']['model'], rows[f'{ours}, OpenVINO int8']['form']) == \
        (ours, ', OpenVINO int8')
    table = realtime_markdown({'SSDLite 320x320': rows}, threads=2)
    assert '|  | OpenVINO int8 |  |  | 9.0 | 0.90 |' in table
    assert '|  | ncnn fp32 |  |  | 12.0 | — |' in table
    assert '| `ssdlite_mobilenetv2 (default)` | eager | 4.00M | 0.50 | 50.0 | 1.00 |' in table
