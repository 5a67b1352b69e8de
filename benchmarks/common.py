"""Timing helpers shared by the benchmark scripts: interleaved repeats, medians, ratios."""

from __future__ import annotations

import contextlib
import datetime
import io
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


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
    """Median times of several implementations, measured in turn so that load affects all alike."""
    return {k: statistics.median(v) for k, v in interleaved_rounds(fns, rounds, number).items()}


def ratio_spread(a: list[float], b: list[float]) -> str:
    """The ratio a/b per round, as 'median (min-max)': how much the machine moved it."""
    r = sorted(x / y for x, y in zip(a, b))
    return f"{statistics.median(r):.2f}x ({r[0]:.2f}-{r[-1]:.2f})"


def interleaved_rounds(
    fns: dict[str, Callable[[], object]], rounds: int = 7, number: int = 20
) -> dict[str, list[float]]:
    """The time per call of several implementations in each round, measured in turn.

    The order rotates every round: a library whose worker threads keep spinning after it returns
    (PyTorch's) would otherwise always slow down the same neighbour. Ratios are taken round by
    round (both measured under the same load), and their spread shows how noisy the machine was.
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
    return samples


def machine() -> str:
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


RESULTS = Path(__file__).resolve().parent / "results"


class _Tee(io.TextIOBase):
    def __init__(self, stream: Any) -> None:
        self.stream, self.parts = stream, []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


@contextlib.contextmanager
def recorded(script: str, argv: list[str] | None = None) -> Iterator[None]:
    """Print as usual and keep a copy in ``benchmarks/results/<script>.txt``, headed by the date,
    the machine and the command: the one source of the figures that README.md and docs/ quote
    (``python benchmarks/figures.py`` copies them there; a test checks the copies).

    The copy is written only when the script finishes: an interrupted run leaves the last one.
    """
    argv = sys.argv[1:] if argv is None else argv
    load = os.getloadavg()[0]  # on a shared machine the times grow with the load: say what it was
    tee = _Tee(sys.stdout)
    sys.stdout = tee
    try:
        yield
    finally:
        sys.stdout = tee.stream
    command = " ".join(["python", f"benchmarks/{script}.py", *argv])
    load = f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    header = f"$ {command}\n# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d} UTC, {machine()}; {load}\n"
    RESULTS.mkdir(exist_ok=True)
    tmp = RESULTS / f".{script}.txt.tmp"
    tmp.write_text(header + "".join(tee.parts).rstrip("\n") + "\n", encoding="utf-8")
    os.replace(tmp, RESULTS / f"{script}.txt")
