"""Per-op cost: a chain of (multiply, add, tanh) on 32x32 float64 arrays, forward and backward.

Four ways in one process, measured in turn: this engine, the same chain by hand in NumPy (the
floor of the array work), PyTorch on the CPU when it is installed, and the smallest Python engine
of the same design (``floor_engine.py``: no checks at all), the floor of any engine in Python.

    python benchmarks/bench_core.py [--links 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import floor_engine  # noqa: E402
import tinygrad_edu as tg  # noqa: E402
from common import fmt_time, interleaved_rounds, machine, ratio_spread, recorded  # noqa: E402


def engine_chain(x0, w, b, links):
    def run():
        x = x0
        for _ in range(links):
            x = (x * w + b).tanh()
        x.sum().backward()
        w.grad = b.grad = x0.grad = None

    return run


def numpy_chain(x0, w, b, links):
    """Forward storing each tanh output, then the chain rule by hand."""

    def run():
        ys, x = [], x0
        for _ in range(links):
            x = np.tanh(x * w + b)
            ys.append(x)
        g = np.ones_like(x)
        gw = np.zeros_like(w)
        gb = np.zeros_like(b)
        for i in range(links - 1, -1, -1):
            y = ys[i]
            gz = g * (1 - y * y)
            prev = ys[i - 1] if i else x0
            gw += gz * prev
            gb += gz
            g = gz * w
        return g, gw, gb

    return run


def torch_chain(torch, x0, w, b, links):
    def run():
        x = x0
        for _ in range(links):
            x = torch.tanh(x * w + b)
        x.sum().backward()
        w.grad = b.grad = x0.grad = None

    return run


def main(argv=None) -> list[tuple[str, float]]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--links", type=int, default=100)
    p.add_argument("--rounds", type=int, default=7)
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    x0, w, b = (rng.normal(size=(32, 32)) * 0.5 for _ in range(3))
    fns = {
        "tinygrad_edu": engine_chain(*(tg.Tensor(a, requires_grad=True) for a in (x0, w, b)), args.links),
        "numpy (by hand)": numpy_chain(x0, w, b, args.links),
        "python floor": floor_engine.chain(x0, w, b, args.links),
    }
    try:
        import torch

        torch.set_num_threads(1)
        fns["pytorch"] = torch_chain(torch, *(torch.tensor(a, requires_grad=True) for a in (x0, w, b)), args.links)
    except ImportError:
        pass
    samples = interleaved_rounds(fns, rounds=args.rounds, number=5)
    times = {k: statistics.median(v) for k, v in samples.items()}
    print(f"op chain (mul, add, tanh) on 32x32 float64, {args.links} links, forward + backward; {machine()}")
    print(f"medians of {args.rounds} interleaved rounds; ratios per round as median (min-max)")
    print(f"{'implementation':<18}{'per link':>12}{'vs numpy':>22}{'vs torch':>22}")
    for name, t in times.items():
        vs_np = ratio_spread(samples[name], samples["numpy (by hand)"])
        vs_t = ratio_spread(samples[name], samples["pytorch"]) if "pytorch" in samples else "-"
        print(f"{name:<18}{fmt_time(t / args.links):>12}{vs_np:>22}{vs_t:>22}")
    return list(times.items())


if __name__ == "__main__":
    with recorded("bench_core"):
        main()
