"""Poisson's equation in one dimension, -u''(x) = f(x) on [0, 1], u(0) = u(1) = 0.

With the source f(x) = (3x + x^2) exp(x) the exact solution is u(x) = x (1 - x) exp(x). The
trial solution u(x) = x (1 - x) N(x) (physics.interval_trial with zero boundary values) meets
the Dirichlet conditions for any weights; the loss is the mean squared residual

    r_i = u''(x_i) + f(x_i),

with u'' for all collocation points from physics.laplacian (two backward passes in all).
Training: a short Adam warm-up, then Levenberg-Marquardt steps.

    python examples/poisson_1d.py --out figures
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import tinygrad_edu as tg  # noqa: E402
from pinn_utils import Timer, levenberg_marquardt, output_path, plot_1d, train_adam  # noqa: E402
from tinygrad_edu import nn, no_grad, physics  # noqa: E402


def source(x: tg.Tensor) -> tg.Tensor:
    """f(x) = (3x + x^2) exp(x)."""
    return (3.0 * x + x * x) * x.exp()


def exact_solution(x: np.ndarray) -> np.ndarray:
    return x * (1.0 - x) * np.exp(x)


def solve(
    n_points: int = 30,
    hidden: int = 10,
    adam_steps: int = 500,
    lm_steps: int = 200,
    seed: int = 0,
    n_test: int = 1001,
    verbose: bool = False,
) -> dict:
    """Train the trial solution; returns the trained model, errors and timings."""
    tg.manual_seed(seed)
    net = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, 1))
    u = physics.interval_trial(net, 0.0, 1.0, 0.0, 0.0)
    x = physics.uniform_grid(0.0, 1.0, n_points, requires_grad=True)
    f = source(x.detach()).reshape(-1)

    def residual():
        return physics.laplacian(u(x), x) + f

    def loss():
        return (residual() ** 2).mean()

    log = 100 if verbose else 0
    with Timer() as timer:
        adam_history = train_adam(loss, u.parameters(), adam_steps, lr=1e-2, lr_final=1e-3, log_every=log)
        lm_history = levenberg_marquardt(residual, u.parameters(), lm_steps, log_every=log // 5)
    x_test = np.linspace(0.0, 1.0, n_test)
    with no_grad():
        predicted = u(tg.Tensor(x_test.reshape(-1, 1))).numpy().ravel()
    exact = exact_solution(x_test)
    return dict(
        model=u,
        x=x_test,
        predicted=predicted,
        exact=exact,
        max_error=float(np.abs(predicted - exact).max()),
        seconds=timer.seconds,
        cpu_seconds=timer.cpu_seconds,
        history=adam_history + lm_history,
    )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="folder for the plot (default: figures)")
    parser.add_argument("--points", type=int, default=30, help="collocation points on [0, 1]")
    parser.add_argument("--hidden", type=int, default=10, help="hidden units")
    parser.add_argument("--adam-steps", type=int, default=500)
    parser.add_argument("--lm-steps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = solve(args.points, args.hidden, args.adam_steps, args.lm_steps, args.seed, verbose=True)
    path = output_path(args.out, "poisson_1d.png")
    plot_1d(path, result["x"], result["predicted"], result["exact"], "-u'' = (3x + x^2) exp(x), u(0) = u(1) = 0")
    print(f"max abs error on {len(result['x'])} test points: {result['max_error']:.2e}")
    print(f"training time: {result['seconds']:.2f} s (CPU {result['cpu_seconds']:.2f} s)    plot: {path}")
    return result


if __name__ == "__main__":
    main()
