"""Timing and memory of callables: the shared input, interleaved latencies
(every model runs once per round, in turn) and the peak resident-memory
growth of one forward, in a fresh subprocess per model."""
import os
import subprocess
import sys
import time

import torch

from .paths import ROOT


def inputs(size, channels_last):
    x = torch.randn(1, 3, *size, generator=torch.Generator().manual_seed(0))
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def latencies(models, size, rounds, warmup=2, repeats=1):
    """{name: [seconds per call]} with the models run in turn each round,
    ``repeats`` calls in a row each (so that small inputs are timed with the
    model's weights in cache, as when it runs on its own)."""
    built = {name: (build(), inputs(size, cl)) for name, (build, cl) in models.items()}
    times = {name: [] for name in built}
    with torch.inference_mode():
        for _ in range(warmup):
            for model, x in built.values():
                model(x)
        for _ in range(rounds):
            for name, (model, x) in built.items():
                for _ in range(repeats):
                    start = time.perf_counter()
                    model(x)
                    times[name].append(time.perf_counter() - start)
    return times


def rss_mb():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2 ** 20


def peak_rss_growth(model, x):
    """Largest resident-memory growth (MB) seen during one forward, sampled
    every 0.5 ms by a thread (the kernel's high-water mark is useless here:
    importing torch already sets it higher than a forward reaches)."""
    import threading
    base, peak, done = rss_mb(), [0.0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb() - base)
            time.sleep(0.0005)

    thread = threading.Thread(target=sample)
    thread.start()
    with torch.inference_mode():
        model(x)
    done.set()
    thread.join()
    return max(peak[0], rss_mb() - base)


def peak_memory_mb(name, size, threads, keep_freed=False):
    """Peak resident-memory growth (MB) over one forward, in a fresh process:
    the backbone ``name`` of ghost_mm.benchmark.backbones.MODELS."""
    code = ('import sys, torch; sys.argv=["x"]; '
            f'torch.set_num_threads({threads}); '
            'from ghost_mm.benchmark import backbones as b, timing as t; '
            + ('from ghost_mm.deploy import keep_freed_memory; keep_freed_memory(); '
               if keep_freed else '') +
            f'build, cl = b.MODELS[{name!r}]; m = build(); x = t.inputs({size!r}, cl); '
            'print(t.peak_rss_growth(m, x))')
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])
