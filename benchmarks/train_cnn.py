"""Train the course CNN on Fashion-MNIST (or MNIST) and report test accuracy against wall time.

    python benchmarks/train_cnn.py                        # Fashion-MNIST, up to 10 epochs in 10 minutes
    python benchmarks/train_cnn.py --dataset mnist --epochs 2
    python benchmarks/train_cnn.py --time-limit 300       # stop before an epoch would end after 5 minutes
    python benchmarks/train_cnn.py --threads 1            # one BLAS thread (a loaded, shared machine)

The model is ``tinygrad_edu.models.cnn()`` (two Conv-ReLU-MaxPool blocks of 16 and 32 channels,
then Linear(1568, 128)-ReLU-Linear(128, 10)), trained with Adam (lr 1e-3) on mini-batches of 64
in float32, inputs standardized with one mean and standard deviation over all training pixels (as
``tinygrad-edu train --model cnn``, whose default is ``--scaling global``). After each
epoch it prints the test accuracy, the time since the start (data loading included) and the
machine's load average, so that a figure measured on a shared machine can be read for what it is.
The target of the issue: at least 90% test accuracy on Fashion-MNIST within 10 minutes on two
CPU cores.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import data, models, optim


def limit_blas_threads(n: int) -> None:
    """Cap NumPy's BLAS threads. On a loaded machine a multi-threaded BLAS whose threads wait
    for each other can be ten times slower than one thread, so measure both ways there."""
    try:
        import threadpoolctl
    except ImportError:
        print("threadpoolctl is not installed: set OPENBLAS_NUM_THREADS before starting Python instead")
        return
    threadpoolctl.threadpool_limits(n, user_api="blas")


def evaluate(model, X: np.ndarray, y: np.ndarray, batch_size: int = 1000) -> float:
    """Per-sample accuracy (arg-max of the logits), in evaluation mode and without recording."""
    model.eval()
    correct = 0
    with tg.no_grad():
        for i in range(0, len(X), batch_size):
            logits = model(tg.Tensor(X[i : i + batch_size]))
            correct += int((logits.detach().numpy().argmax(1) == y[i : i + batch_size]).sum())
    model.train()
    return correct / len(X)


def main(argv: list[str] | None = None) -> float:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", choices=["fashion-mnist", "mnist"], default="fashion-mnist")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--channels", type=int, nargs="+", default=[16, 32])
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--time-limit", type=float, default=600.0, help="seconds; stop before an epoch that would end after it"
    )
    ap.add_argument("--threads", type=int, default=None, help="BLAS threads (default: the library's, all cores)")
    args = ap.parse_args(argv)
    if args.threads is not None:
        limit_blas_threads(args.threads)

    start = time.perf_counter()
    load = data.load_fashion_mnist if args.dataset == "fashion-mnist" else data.load_mnist
    X_train, y_train = load(split="train", flatten=False)
    X_test, y_test = load(split="test", flatten=False)
    mean, std = float(X_train.mean()), float(X_train.std())
    X_train = ((X_train - mean) / std).astype(np.float32)[:, None]
    X_test = ((X_test - mean) / std).astype(np.float32)[:, None]

    tg.manual_seed(args.seed)
    tg.set_default_dtype(np.float32)
    model = models.cnn(channels=args.channels, hidden=args.hidden)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    rng = np.random.default_rng(args.seed)
    sys.path.insert(0, os.path.dirname(__file__))
    from common import machine

    print(f"machine: {machine()}")
    print(f"date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC")
    print(f"{args.dataset}: {len(X_train)} training and {len(X_test)} test images; {os.cpu_count()} CPU cores")
    print(model)

    acc = 0.0
    epoch_start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(X_train))
        total, batches = 0.0, 0
        for i in range(0, len(order), args.batch_size):
            idx = order[i : i + args.batch_size]
            loss = F.cross_entropy(model(tg.Tensor(X_train[idx])), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        acc = evaluate(model, X_test, y_test)
        elapsed = time.perf_counter() - start
        load1, load5, _ = os.getloadavg()
        print(
            f"epoch {epoch}: train loss {total / batches:.4f}, test accuracy {acc:.2%}, "
            f"{elapsed:.0f} s since start, load average {load1:.1f} (1 min) {load5:.1f} (5 min)",
            flush=True,
        )
        epoch_time, epoch_start = time.perf_counter() - epoch_start, time.perf_counter()
        if epoch < args.epochs and elapsed + epoch_time > args.time_limit:
            print(f"stopping: another epoch (about {epoch_time:.0f} s) would end after {args.time_limit:.0f} s")
            break
    return acc


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from common import recorded

    with recorded("train_cnn"):
        accuracy = main()
    sys.exit(0 if accuracy >= 0.0 else 1)
