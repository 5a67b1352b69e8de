"""The benchmark suite: every row runs the same work three ways in one process, in turn and
repeated, and prints median times and ratios as a Markdown table.

    python benchmarks/run_all.py            # all CPU rows (about two minutes)
    python benchmarks/run_all.py --quick    # fewer repeats
    python benchmarks/run_all.py --gpu      # adds the GPU row when CuPy, a GPU and CUDA PyTorch are present

Columns: this engine's median time per training step, the hand-written NumPy network's (the
lecture's equations; see networks.py), PyTorch's on the CPU, and the ratios.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tracemalloc
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import bench_core  # noqa: E402
import tinygrad_edu as tg  # noqa: E402
from common import fmt_time, interleaved, interleaved_rounds, machine, ratio_spread, recorded  # noqa: E402
from networks import TorchMLP, init_weights, make_steps  # noqa: E402

DIGITS = (64, 100, 30, 10)
LARGE = (784, 512, 512, 10)


def _torch(threads: int):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def peak_memory(step) -> int:
    """Peak bytes allocated (tracemalloc sees NumPy's buffers) during one training step."""
    step()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    step()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def row(label: str, steps: dict, rounds: int, number: int) -> None:
    samples = interleaved_rounds(steps, rounds=rounds, number=number)
    e, n, t = samples["tinygrad_edu"], samples["numpy (by hand)"], samples.get("pytorch")
    med = statistics.median
    cells = [label, fmt_time(med(e)), fmt_time(med(n)), fmt_time(med(t)) if t else "-", ratio_spread(e, n)]
    print("| " + " | ".join(cells + [ratio_spread(e, t) if t else "-"]) + " |", flush=True)


def gpu_row(torch, rounds: int) -> None:
    if not tg.cuda_available() or torch is None or not torch.cuda.is_available():
        print("GPU row skipped: it needs CuPy with a GPU and PyTorch with CUDA")
        return
    import cupy

    engine = make_steps(LARGE, 1024, np.float32, None, device="cuda")["tinygrad_edu"]
    net = TorchMLP(torch, init_weights(LARGE, np.float32))
    net.model.cuda()
    net.opt = torch.optim.Adam(net.model.parameters(), lr=1e-3)
    x = torch.randn(1024, 784, device="cuda")
    y = torch.randint(0, 10, (1024,), device="cuda")

    def synced(step, sync):
        return lambda: (step(), sync())

    times = interleaved(
        {
            "cupy": synced(engine, cupy.cuda.Device().synchronize),
            "torch": synced(lambda: net.step(x, y), torch.cuda.synchronize),
        },
        rounds=rounds,
        number=10,
    )
    a, b = times["cupy"], times["torch"]
    print(f"| 784-512-512-10, batch 1024, float32, GPU | {fmt_time(a)} (CuPy) | - | {fmt_time(b)} | - | {a / b:.2f}x |")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="tinygrad_edu benchmark suite")
    p.add_argument("--quick", action="store_true", help="fewer repeats")
    p.add_argument("--gpu", action="store_true", help="add the GPU row (CuPy against PyTorch CUDA)")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="PyTorch CPU threads")
    p.add_argument("--runs", type=int, default=1, help="repeat the tables (ratios move from run to run)")
    args = p.parse_args(argv)
    torch = _torch(args.threads)
    rounds = 5 if args.quick else 9
    print(f"Machine: {machine()}; PyTorch {torch.__version__ if torch else 'not installed'}")
    for run in range(args.runs):
        print(f"\nRun {run + 1} of {args.runs}." if args.runs > 1 else "")
        tables(torch, rounds, args.gpu)
    print()
    print("Peak memory of one training step (tracemalloc), engine against NumPy by hand:")
    for sizes, batch in ((DIGITS, 1797), (LARGE, 1024)):
        steps = make_steps(sizes, batch, np.float64, None)
        e, n = peak_memory(steps["tinygrad_edu"]), peak_memory(steps["numpy (by hand)"])
        name = "-".join(map(str, sizes))
        print(f"  {name} batch {batch}: engine {e / 2**20:.1f} MiB, NumPy {n / 2**20:.1f} MiB, ratio {e / n:.2f}x")


def tables(torch: Any, rounds: int, gpu: bool) -> None:
    """The training-step table and the op chain, once."""
    print(f"Medians of {rounds} interleaved rounds; ratios per round as median (min-max).")
    print("| workload (one training step) | engine | NumPy by hand | PyTorch | engine/NumPy | engine/PyTorch |")
    print("|---|---|---|---|---|---|")
    row("digits 64-100-30-10, Adam, batch 32", make_steps(DIGITS, 32, np.float64, torch), rounds, 50)
    row("digits, full batch (1,797)", make_steps(DIGITS, 1797, np.float64, torch), rounds, 5)
    for batch in (128, 1024):
        for dt in (np.float64, np.float32):
            label = f"784-512-512-10, batch {batch}, {np.dtype(dt).name}"
            row(label, make_steps(LARGE, batch, dt, torch), max(3, rounds // 2), 3 if batch == 1024 else 10)
    if gpu:
        gpu_row(torch, rounds)
    print()
    bench_core.main(["--links", "100", "--rounds", str(rounds)])


if __name__ == "__main__":
    with recorded("run_all"):
        main()
