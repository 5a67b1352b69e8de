"""Timing helpers shared by the benchmark scripts: interleaved repeats, medians, ratios."""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], repeats: int = 15, number: int = 20, warmup: int = 3) -> float:
    """Median over ``repeats`` of the mean time of ``number`` calls, in seconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def interleaved(fns: dict[str, Callable[[], object]], rounds: int = 7, number: int = 20) -> dict[str, float]:
    """Median times of several implementations, measured in turn so that load affects all alike.

    The order rotates every round: a library whose worker threads keep spinning after it returns
    (PyTorch's) would otherwise always slow down the same neighbour.
    """
    for fn in fns.values():
        for _ in range(3):
            fn()
    names = list(fns)
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            fn = fns[name]
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            samples[name].append((time.perf_counter() - t0) / number)
    return {k: statistics.median(v) for k, v in samples.items()}


def machine() -> str:
    import os

    import numpy as np

    try:
        import threadpoolctl

        blas = ", ".join(f"{d['internal_api']} {d.get('version')}" for d in threadpoolctl.threadpool_info())
    except Exception:
        blas = "?"
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {np.__version__} ({blas})"
    )


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e3:.2f} ms"
