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
from pinn_utils import compare_on_interval, fit_residual, output_path, plot_1d  # noqa: E402
from tinygrad_edu import nn, physics  # noqa: E402


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

    fit = fit_residual(residual, list(u.parameters()), adam_steps, lm_steps, log_every=100 if verbose else 0)
    result = compare_on_interval(u, exact_solution, 0.0, 1.0, n_test)
    return dict(model=u, **result, **fit)


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
