"""Forward and backward pass of the course CNN on a batch of 64 images: this engine against
PyTorch on the CPU, in the same process, measured in turn and repeated (median times).

    python benchmarks/bench_cnn.py                 # the default CNN (16 and 32 channels)
    python benchmarks/bench_cnn.py --channels 32 64 --rounds 15
    python benchmarks/bench_cnn.py --threads 1     # one thread each (a loaded, shared machine)

The network is ``tinygrad_edu.models.cnn`` (Conv-ReLU-MaxPool twice, then Linear-ReLU-Linear)
and PyTorch's twin holds the same weights; one step is zero_grad, forward, cross-entropy and
backward, in float32. Target: the engine within 2x of PyTorch.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.nn.functional as F  # noqa: E402
from common import fmt_time, interleaved, machine, recorded  # noqa: E402
from tinygrad_edu import models, nn  # noqa: E402
from train_cnn import limit_blas_threads  # noqa: E402


def torch_twin(model: nn.Sequential, torch):
    """The same network in PyTorch, with the engine's weights copied in."""
    layers = []
    for m in model:
        if isinstance(m, nn.Conv2d):
            layers.append(
                torch.nn.Conv2d(
                    m.in_channels,
                    m.out_channels,
                    m.kernel_size,
                    m.stride,
                    m.padding,
                    m.dilation,
                    m.groups,
                    bias=m.bias is not None,
                )
            )
        elif isinstance(m, nn.Linear):
            layers.append(torch.nn.Linear(m.in_features, m.out_features, bias=m.bias is not None))
        elif isinstance(m, nn.MaxPool2d):
            layers.append(torch.nn.MaxPool2d(m.kernel_size, m.stride, m.padding, m.dilation))
        elif isinstance(m, nn.BatchNorm2d):
            layers.append(torch.nn.BatchNorm2d(m.num_features))
        elif isinstance(m, nn.Flatten):
            layers.append(torch.nn.Flatten())
        elif isinstance(m, nn.ReLU):
            layers.append(torch.nn.ReLU())
        else:
            raise TypeError(f"no PyTorch twin for {type(m).__name__}")
    twin = torch.nn.Sequential(*layers)
    with torch.no_grad():
        for (_, p), (_, q) in zip(model.named_parameters(), twin.named_parameters()):
            q.copy_(torch.from_numpy(p.detach().numpy()))
    return twin


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--channels", type=int, nargs="+", default=[16, 32])
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=9, help="interleaved rounds; the median is reported")
    ap.add_argument("--number", type=int, default=5, help="steps per round")
    ap.add_argument(
        "--threads", type=int, default=None, help="threads for NumPy's BLAS and PyTorch (default: all cores)"
    )
    args = ap.parse_args(argv)
    if args.threads is not None:
        limit_blas_threads(args.threads)
    threads = args.threads or os.cpu_count()

    tg.manual_seed(0)
    tg.set_default_dtype(np.float32)
    model = models.cnn(channels=args.channels, hidden=args.hidden)
    rng = np.random.default_rng(0)
    x = rng.random((args.batch_size, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, args.batch_size)
    xt = tg.Tensor(x)

    def engine_step():
        model.zero_grad()
        F.cross_entropy(model(xt), y).backward()

    fns = {"tinygrad_edu": engine_step}
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed: timing the engine alone")
    if torch is not None:
        torch.set_num_threads(threads)
        twin = torch_twin(model, torch)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def torch_step():
            twin.zero_grad()
            torch.nn.functional.cross_entropy(twin(tx), ty).backward()

        # the same network: the same loss before timing anything
        with tg.no_grad():
            ours = F.cross_entropy(model(xt), y).item()
        theirs = torch.nn.functional.cross_entropy(twin(tx), ty).item()
        if abs(ours - theirs) > 1e-4 * max(1.0, abs(theirs)):
            raise AssertionError(f"the twins disagree: loss {ours} vs {theirs}")
        fns["pytorch"] = torch_step

    times = interleaved(fns, rounds=args.rounds, number=args.number)
    print(f"machine: {machine()}" + (f", PyTorch {torch.__version__}, {threads} threads" if torch else ""))
    print(f"model: {model!r}".replace("\n", "\n  "))
    print(f"forward + backward, batch {args.batch_size}, float32, median of {args.rounds} rounds x {args.number} steps")
    for name, t in times.items():
        print(f"  {name:14s} {fmt_time(t)}")
    if "pytorch" in times:
        print(f"  ratio engine / PyTorch: {times['tinygrad_edu'] / times['pytorch']:.2f} (target <= 2)")
    return times


if __name__ == "__main__":
    with recorded("bench_cnn"):
        main()
