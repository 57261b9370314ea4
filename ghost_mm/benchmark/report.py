"""What the benchmark prints for each section, the markdown table written
between markers, and the latency bar chart."""
import os
import sys

from .backbones import MNV2, OURS, OURS_ORT, OURS_V3, RUNTIME_MODELS, SIZES, TIMM, TIMM_V3
from .detectors import E2E_IMAGE, E2E_REFERENCE, E2E_RUNTIMES
from .realtime import DEFAULT, REALTIME_IMAGE


def print_backbones(label, size, rows, rounds, repeats, runtimes):
    """One backbone size's table and its ratios (the runtimes' with ``runtimes``)."""
    small = size == (224, 224)
    print(f'\n{label} ({rounds} interleaved rounds'
          + (f', {repeats} calls in a row per model per round)' if repeats > 1 else ')'))
    print(f'{"model":46s} {"min ms":>8s} {"median":>8s} {"params M":>8s} '
          f'{"GFLOPs":>7s} {"GMAC/s":>7s} {"peak MB":>8s}')
    for name, r in rows.items():
        print(f'{name:46s} {r["min_ms"]:8.1f} {r["median_ms"]:8.1f} {r["params_m"]:8.2f} '
              f'{r["gflops"]:7.2f} {r["gmac_per_s"]:7.1f} {r.get("peak_mb", float("nan")):8.0f}')
    ours = rows[OURS]['min_ms']
    print(f'ratio deployed 1.0x / timm ghostnet_100: {ours / rows[TIMM]["min_ms"]:.2f} '
          f'(target <= 0.75)')
    print(f'ratio deployed 1.0x / mmdet MobileNetV2: {ours / rows[MNV2]["min_ms"]:.2f}'
          + (' (target <= 0.3)' if size != (224, 224) else ''))
    print(f'ratio onnxruntime 1.0x / deployed 1.0x: '
          f'{rows[OURS_ORT]["min_ms"] / ours:.2f} (target < 1)')
    print(f'ratio V3 deployed 1.0x / timm ghostnetv3_100 re-parameterised: '
          f'{rows[OURS_V3]["min_ms"] / rows[TIMM_V3]["min_ms"]:.2f}')
    if runtimes:
        for name in RUNTIME_MODELS:
            print(f'ratio {name[len("ghost_mm GhostNet 1.0x "):]} / deployed 1.0x: '
                  f'{rows[name]["min_ms"] / ours:.2f}')
        best = min((n for n in RUNTIME_MODELS if 'int8' in n), key=lambda n: rows[n]['min_ms'])
        print(f'best int8 ({best[len("ghost_mm GhostNet 1.0x "):]}) / deployed 1.0x: '
              f'{rows[best]["min_ms"] / ours:.2f}'
              + (' (targets: OpenVINO fp32 <= 0.6, best int8 <= 0.35)' if not small else ''))


def print_networks(title, rows):
    """``title``, then min and median ms of each network (--detectors, --config)."""
    print(title)
    for name, r in rows.items():
        print(f'{name:46s} {r["min_ms"]:8.1f} {r["median_ms"]:8.1f}')


def _x_default(row):
    return '—' if row.get('x_default') is None else f'{row["x_default"]:.2f}'


def print_realtime(title, rows):
    print(f'\n{title}: image array in, boxes / label map out (untrained weights; '
          f'{os.path.basename(REALTIME_IMAGE)}); x default: over the default\'s same form')
    print(f'{"model":62s} {"min ms":>8s} {"median":>8s} {"params M":>8s} {"GFLOPs":>7s} '
          f'{"x default":>9s}')
    for name, r in rows.items():
        print(f'{name:62s} {r["min_ms"]:8.1f} {r["median_ms"]:8.1f} '
              f'{r["params_m"]:8.2f} {r["gflops"]:7.2f} {_x_default(r):>9s}')


def realtime_markdown(tables, threads):
    """docs/realtime.md's latency table: every config and its toolbox
    default in each form, the ratio dividing like by like."""
    lines = [f'| model | form | params | GFLOPs | ms ({threads} threads, min) | '
             f'× default, same form |', '|---|---|---|---|---|---|']
    for title, rows in tables.items():
        lines.append(f'| **{title}** | | | | | |')
        for r in rows.values():
            first = r['form'] == ', eager'  # the model's counts on its first row
            model = f'`{r["model"].replace(DEFAULT, " (default)")}`' if first else ''
            params = f'{r["params_m"]:.2f}M' if first else ''
            gflops = f'{r["gflops"]:.2f}' if first else ''
            lines.append(f'| {model} | {r["form"][2:]} | {params} | {gflops} | '
                         f'{r["min_ms"]:.1f} | {_x_default(r)} |')
    return '\n'.join(lines) + '\n'


def print_ghost_everywhere(table):
    print(f'\nWhole RetinaNet at 800x1333, image array in, boxes out (untrained weights; '
          f'{os.path.basename(REALTIME_IMAGE)}), min ms over interleaved rounds\n' + table)


def print_end_to_end(label, rows):
    reference = rows[E2E_REFERENCE]['min_ms']
    print(f'\nRetinaNet-GhostNet 1.1x end to end at {label} (image decoded in, boxes out; '
          f'{os.path.basename(E2E_IMAGE)})')
    for name, r in rows.items():
        print(f'{name:46s} {r["min_ms"]:8.1f} {r["median_ms"]:8.1f}   '
              f'{r["min_ms"] / reference:.2f}x of {E2E_REFERENCE}')
    best = min(E2E_RUNTIMES, key=lambda n: rows[n]['min_ms'])
    print(f'best runtime ({best}) / {E2E_REFERENCE}: {rows[best]["min_ms"] / reference:.2f}'
          + (' (target <= 0.5)' if label == '800x1333' else ''))


def write_between_markers(path, table, name='table'):
    with open(path) as f:
        text = f.read()
    start, end = f'<!-- {name} -->\n', f'<!-- /{name} -->'
    if start not in text or end not in text:
        sys.exit(f'--markdown: {path} has no "<!-- {name} -->" ... "<!-- /{name} -->" lines')
    head, rest = text.split(start, 1)
    with open(path, 'w') as f:
        f.write(head + start + table + end + rest.split(end, 1)[1])


def plot(results, path, threads):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    sizes = [label for label in SIZES if label in results]
    fig, axes = plt.subplots(1, len(sizes), figsize=(13, 5), squeeze=False)
    axes = axes[0]
    for ax, label in zip(axes, sizes):
        rows = results[label]
        names = list(rows)
        ax.barh(names, [rows[n]['min_ms'] for n in names],
                color=['tab:green' if n.startswith('ghost_mm') else 'tab:gray' for n in names])
        ax.set_title(f'{label}, batch 1, {threads} CPU threads')
        ax.set_xlabel('latency, ms (min over rounds)')
        ax.invert_yaxis()
    for ax in axes[1:]:
        ax.set_yticklabels([])
    fig.tight_layout()
    fig.savefig(path, dpi=100)

