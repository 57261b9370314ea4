"""CPU latency benchmark of GhostNet backbones and whole detectors
(tools/benchmark.py parses its flags and calls :func:`run`).

One room per concern: ``timing`` (inputs, interleaved latencies, peak
memory), ``backbones`` (the backbone models and runtimes), ``detectors``
(RetinaNet network, ``--config``, end to end), ``realtime`` (the real-time
configs), ``ghost_everywhere`` (whole RetinaNet, Ghost FPN+head),
``report`` (printing, markdown, plot). Here: one function per section, each
returning its ``{label: rows}`` and printing its table.
"""
import json
import os
import statistics
import sys

import torch

from . import report
from .backbones import SIZES, size_rows
from .detectors import END_TO_END, config_latencies, detector_latencies, end_to_end_latencies
from .ghost_everywhere import ghost_everywhere_markdown, ghost_everywhere_rows
from .paths import ROOT
from .profile import profile_markdown, profile_rows
from .realtime import realtime_rows
from .serving import serving_artifacts, serving_markdown, serving_rows, soak, soak_clip

__all__ = ['SIZES', 'run']


def backbone_section(args):
    """Each backbone size of ``args.sizes``."""
    results = {}
    for label, size in SIZES.items():
        if label not in args.sizes:
            continue
        small = size == (224, 224)
        rounds = args.rounds * (5 if small else 1)
        # interleaving 12 models evicts each one's weights from the CPU caches
        # between its calls; at 224x224 that doubled some models' times
        repeats = 3 if small else 1
        rows = size_rows(size, rounds, repeats, args.runtimes, args.no_memory, args.threads,
                         args.keep_freed_memory)
        results[label] = rows
        report.print_backbones(label, size, rows, rounds, repeats, args.runtimes)
    return results


def _min_median(times):
    return {name: dict(min_ms=min(ts) * 1e3, median_ms=statistics.median(ts) * 1e3)
            for name, ts in times.items()}


def detector_section(args):
    rows = _min_median(detector_latencies(max(2, args.rounds // 2)))
    report.print_networks('\nRetinaNet at 800x1333 (network tensors, no NMS)', rows)
    return {'detectors 800x1333': rows}


def config_section(args):
    times = config_latencies(args.config, tuple(args.shape), max(3, args.rounds))
    label = f'{os.path.basename(args.config)} {args.shape[0]}x{args.shape[1]}'
    rows = _min_median(times)
    report.print_networks(f'\n{label} (network tensors, no post-processing)', rows)
    return {label: rows}


def realtime_section(args):
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        tables = realtime_rows(max(3, args.rounds), tmp, only=args.realtime_only)
    results = {}
    for title, rows in tables.items():
        results[f'real-time {title}'] = rows
        report.print_realtime(title, rows)
    if args.markdown:
        report.write_between_markers(args.markdown, report.realtime_markdown(tables, args.threads))
    return results


def profile_section(args):
    """--profile: OpenVINO's per-layer-type time of each real-time config
    and its default (fp32, int8)."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        tables = profile_rows(tmp, args.threads, only=args.realtime_only)
    table = profile_markdown(tables)
    print(f'\n{table}')
    if args.markdown:
        report.write_between_markers(args.markdown, table, 'profile')
    return {f'OpenVINO layer times {title}': rows for title, rows in tables.items()}


def ghost_everywhere_section(args):
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        rows = ghost_everywhere_rows(max(3, args.rounds), tmp)
    table = ghost_everywhere_markdown(rows, args.threads)
    report.print_ghost_everywhere(table)
    if args.markdown:
        report.write_between_markers(args.markdown, table)
    return {'ghost everywhere 800x1333': rows}


def serving_section(args):
    """--serving (images/s, like-for-like ratios), --soak N and --soak-clip
    FRAMES (memory)."""
    import tempfile
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        artifacts = serving_artifacts(tmp)
        rows = ratios = soak_rows = clip_rows = None
        if args.serving:
            rows, ratios = serving_rows(args.threads, max(3, args.rounds // 2), artifacts)
            results['serving'] = dict(rows=rows, ratios=ratios)
        if args.soak:
            soak_rows = soak(artifacts, args.threads, args.soak)
            results['soak'] = soak_rows
        if args.soak_clip:
            clip_rows = soak_clip(artifacts, args.threads, args.soak_clip, tmp)
            results['soak clip'] = clip_rows
    table = serving_markdown(rows, ratios, args.threads, soak_rows, clip_rows)
    print(f'\nA deployed RetinaNet quick start (320 px) serving images\n{table}')
    if args.markdown and rows:  # the page's table holds the images/s rows
        report.write_between_markers(args.markdown, table)
    return results


def end_to_end_section(args):
    import tempfile
    if not os.path.isfile(args.checkpoint):
        sys.exit(f'--end-to-end: checkpoint not found: {args.checkpoint} (make demo writes '
                 f'work_dirs/quickstart/iter_100.pth, or give --checkpoint)')
    results = {}
    for label, config in END_TO_END.items():
        with tempfile.TemporaryDirectory() as tmp:
            times = end_to_end_latencies(os.path.join(ROOT, config), args.checkpoint,
                                         max(3, args.rounds), tmp)
        rows = _min_median(times)
        results[f'RetinaNet end to end {label}'] = rows
        report.print_end_to_end(label, rows)
    return results


SECTIONS = (  # flag (attribute of the parsed arguments) -> section, in the order they run
    ('detectors', detector_section),
    ('config', config_section),
    ('realtime', realtime_section),
    ('profile', profile_section),
    ('ghost_everywhere', ghost_everywhere_section),
    ('serving', serving_section),
    ('end_to_end', end_to_end_section),
)


def run(args):
    """The benchmark for tools/benchmark.py's parsed ``args``: the backbone
    sizes, then each section whose flag is given; writes ``args.json`` and
    ``args.plot`` if given. Returns the results ``{label: rows}``."""
    torch.set_num_threads(args.threads)
    if args.keep_freed_memory:
        from ghost_mm.deploy import keep_freed_memory
        if not keep_freed_memory():
            sys.exit('--keep-freed-memory needs glibc')
    print(f'torch {torch.__version__}, {args.threads} threads, batch 1, fp32, CPU'
          + (', freed memory kept (all models)' if args.keep_freed_memory else ''))

    results = backbone_section(args)
    for flag, section in SECTIONS:
        if getattr(args, flag) or (flag == 'serving' and (args.soak or args.soak_clip)):
            results.update(section(args))

    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(threads=args.threads, torch=torch.__version__,
                           keep_freed_memory=args.keep_freed_memory, results=results),
                      f, indent=1)
    if args.plot:
        report.plot(results, args.plot, args.threads)
    return results
