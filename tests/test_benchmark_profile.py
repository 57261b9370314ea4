"""tools/benchmark.py --profile: OpenVINO's per-layer counters and
onnxruntime's profiler trace summed by layer type (the profiling itself
needs exported artifacts: not a test)."""
import datetime
import enum

from ghost_mm.benchmark.profile import profile_markdown, summarise, summarise_trace


class Info:
    """Stands for openvino.ProfilingInfo: the fields summarise reads."""
    Status = enum.Enum('Status', 'NOT_RUN OPTIMIZED_OUT EXECUTED')

    def __init__(self, node_type, exec_type, ms, status='EXECUTED'):
        self.node_type, self.exec_type = node_type, exec_type
        self.real_time = datetime.timedelta(milliseconds=ms)
        self.status = self.Status[status]


def test_layer_times_are_means_per_inference_by_type_largest_first():
    run = [Info('Convolution', 'brgconv_avx512_f32', 3.0), Info('Concat', 'ref_f32', 1.0),
           Info('Concat', 'ref_f32', 2.0), Info('Convolution', 'brgconv_avx512_1x1_f32', 1.0),
           Info('Reshape', 'unknown_f32', 9.0, 'OPTIMIZED_OUT')]
    faster = [Info(i.node_type, i.exec_type, i.real_time.total_seconds() * 500, i.status.name)
              for i in run]
    times = summarise([run, faster])  # the second inference ran twice as fast
    assert list(times) == ['Convolution', 'Concat']  # 3 ms and 2.25 ms; nothing optimised out
    assert abs(times['Convolution']['ms'] - 3.0) < 1e-9
    assert abs(times['Concat']['ms'] - 2.25) < 1e-9
    assert times['Concat']['exec_types'] == {'ref_f32': 2}  # layers per inference
    table = profile_markdown({'SSDLite': {'ours fp32': times}})
    assert '| `ours fp32` | 5.2 | Convolution 3.0, Concat 2.2 (2 ref) |' in table


def test_onnxruntime_trace_counts_the_last_runs_nodes_by_op_type():
    def run(ts, conv_us):  # one model_run span and its node events (and a fence)
        return [{'cat': 'Session', 'name': 'model_run', 'ts': ts, 'dur': 100},
                {'cat': 'Node', 'name': 'conv1_fence_before', 'ts': ts, 'dur': 0,
                 'args': {'op_name': 'QLinearConv'}},
                {'cat': 'Node', 'name': 'conv1_kernel_time', 'ts': ts + 1, 'dur': conv_us,
                 'args': {'op_name': 'QLinearConv', 'provider': 'CPUExecutionProvider'}},
                {'cat': 'Node', 'name': 'cat_kernel_time', 'ts': ts + 2, 'dur': 500,
                 'args': {'op_name': 'QLinearConcat', 'provider': 'CPUExecutionProvider'}}]
    warm_up = run(0, 90000)  # a slow first run: left out
    times = summarise_trace(warm_up + run(1000, 2000) + run(2000, 4000), runs=2)
    assert list(times) == ['QLinearConv', 'QLinearConcat']
    assert abs(times['QLinearConv']['ms'] - 3.0) < 1e-9
    assert abs(times['QLinearConcat']['ms'] - 0.5) < 1e-9
    assert times['QLinearConv']['exec_types'] == {'CPUExecutionProvider': 1}
