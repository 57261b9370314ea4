"""Where an artifact's time goes (``--profile``): each runtime's own
per-layer counters summed by layer type, for each real-time config and its
toolbox default, fp32 and int8, network only (the real-time image, resized
as the config resizes it; no pre- or post-processing in Python). Untrained
weights with each model's own initialisation, as the latency table
(:func:`~ghost_mm.benchmark.realtime.initialised`).

OpenVINO: its ``PERF_COUNT`` counters. It names each layer's implementation
(``exec_type``): ``ref_*`` is its reference one (a plain loop, e.g. a Concat
it cannot do in place), ``jit_*`` and ``brgconv_*`` its optimised kernels.
onnxruntime: its session profiler's per-node kernel times, by ONNX op type
(after its graph fusions: e.g. ``QLinearConv``, ``FusedConv``)."""
import collections
import json
import os

import torch

from .realtime import (REALTIME_IMAGE, REALTIME_RUNTIMES, export_or_say, initialised,
                       realtime_configs)

PROFILE_RUNS = 20


def summarise(runs):
    """``runs``: one list of OpenVINO ``ProfilingInfo`` per inference. Returns
    ``{layer type: {'ms': mean ms per inference, 'exec_types': {name: layers}}}``
    (executed layers only), largest first."""
    ms, kinds = collections.Counter(), collections.defaultdict(collections.Counter)
    for infos in runs:
        for info in infos:
            if info.status != info.Status.EXECUTED:
                continue
            ms[info.node_type] += info.real_time.total_seconds() * 1e3 / len(runs)
            kinds[info.node_type][info.exec_type] += 1
    return {kind: {'ms': value, 'exec_types': {name: count // len(runs)
                                               for name, count in kinds[kind].items()}}
            for kind, value in ms.most_common()}


def _network(artifact, backend, image):
    """``artifact``'s network file for ``backend`` and ``image`` as its
    network input (the runtime's own preprocessing)."""
    from ghost_mm.runtime import read_meta
    from ghost_mm.runtime.artifact import model_file
    from ghost_mm.runtime.preprocess import prepare
    batch, _ = prepare(image, read_meta(artifact, backend)['preprocess'])
    return os.path.join(artifact, model_file(backend)), batch


def layer_times(artifact, image, threads=2, runs=PROFILE_RUNS):
    """:func:`summarise` of ``runs`` inferences of ``artifact``'s network
    (compiled for ``image``'s network input, latency hint) after 5 warm-up
    inferences."""
    import openvino as ov
    network, batch = _network(artifact, 'openvino', image)
    core = ov.Core()
    model = core.read_model(network)
    model.reshape({0: ov.PartialShape(list(batch.shape))})
    request = core.compile_model(model, 'CPU', {
        'PERF_COUNT': True, 'INFERENCE_NUM_THREADS': threads, 'PERFORMANCE_HINT': 'LATENCY',
        'INFERENCE_PRECISION_HINT': 'f32'}).create_infer_request()
    for _ in range(5):
        request.infer({0: batch})
    profiles = []
    for _ in range(runs):
        request.infer({0: batch})
        profiles.append(request.get_profiling_info())
    return summarise(profiles)


def node_times(artifact, image, threads=2, runs=PROFILE_RUNS):
    """onnxruntime's :func:`layer_times`: its session profiler's kernel time
    per node, summed by op type over the last ``runs`` of ``runs`` + 5
    inferences (the first 5 warm up); ``exec_types`` counts the nodes per
    execution provider."""
    import onnxruntime as ort
    network, batch = _network(artifact, 'onnxruntime', image)
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.enable_profiling = True
    options.profile_file_prefix = os.path.join(artifact, 'profile')
    session = ort.InferenceSession(network, options, providers=['CPUExecutionProvider'])
    name = session.get_inputs()[0].name
    for _ in range(5 + runs):
        session.run(None, {name: batch})
    with open(session.end_profiling()) as f:
        return summarise_trace(json.load(f), runs)


def summarise_trace(events, runs):
    """:func:`summarise` for onnxruntime's profile ``events`` (its Chrome
    trace): the node kernel times of the last ``runs`` ``model_run`` spans,
    as mean ms per inference by op type, largest first; ``exec_types``
    counts the nodes per execution provider."""
    start = sorted(e['ts'] for e in events if e['name'] == 'model_run')[-runs]
    ms, kinds = collections.Counter(), collections.defaultdict(collections.Counter)
    for event in events:
        if event.get('cat') == 'Node' and event['name'].endswith('_kernel_time') \
                and event['ts'] >= start:
            op = event['args']['op_name']
            ms[op] += event['dur'] / 1e3 / runs
            kinds[op][event['args'].get('provider', '?')] += 1
    return {op: {'ms': value, 'exec_types': {name: count // runs
                                             for name, count in kinds[op].items()}}
            for op, value in ms.most_common()}


PROFILERS = {'openvino': layer_times, 'onnxruntime': node_times}
# (row name, backend, int8) of the latency table's runtimes that have a
# profiler, OpenVINO's first: e.g. ('OpenVINO int8', 'openvino', True)
PROFILED = [(suffix.lstrip(', '), backend, int8) for backend in PROFILERS
            for suffix, (kind, int8, _) in REALTIME_RUNTIMES.items() if kind == backend]


def profile_rows(workdir, threads=2, only=None, log=print):
    """``{title: {'<config> <runtime> fp32|int8': layer times}}`` for each
    real-time config and its default, exported by tools/deploy.py's function,
    on each of ``PROFILED``."""
    import cv2
    image = cv2.imread(REALTIME_IMAGE)
    tables = {}
    for title, _, configs in realtime_configs(only):
        rows = {}
        for name, config in configs.items():
            checkpoint = os.path.join(workdir, f'{len(tables)}-{len(rows)}.pth')
            torch.save({'state_dict': initialised(config).state_dict()}, checkpoint)
            for runtime, backend, int8 in PROFILED:
                artifact = f'{checkpoint[:-4]}-{backend}-{int8}'
                label = f'{name} {runtime}'
                if export_or_say(config, checkpoint, artifact, backend, int8, label, log):
                    rows[label] = PROFILERS[backend](artifact, image, threads)
        tables[title] = rows
    return tables


def profile_markdown(tables, top=6):
    """One table per real-time title: each row's total and its ``top`` most
    costly layer types, with how many of those layers ran a reference
    (``ref_*``) implementation."""
    lines = []
    for title, rows in tables.items():
        lines += [f'**{title}** (network only, ms per inference by layer type; "ref": '
                  'OpenVINO layers on its reference implementation)', '',
                  '| artifact | total | most costly layer types |', '|---|---:|---|']
        for name, kinds in rows.items():
            parts = []
            for kind, row in list(kinds.items())[:top]:
                refs = sum(n for e, n in row['exec_types'].items() if e.startswith('ref'))
                parts.append(f'{kind} {row["ms"]:.1f}' + (f' ({refs} ref)' if refs else ''))
            total = sum(row['ms'] for row in kinds.values())
            lines.append(f'| `{name}` | {total:.1f} | {", ".join(parts)} |')
        lines.append('')
    return '\n'.join(lines)
