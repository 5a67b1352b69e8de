"""Exponential decay g'(x) = -gamma g(x), g(0) = g0, solved with a neural network.

The trial solution g(x) = g0 + x N(x) meets the initial condition for any weights, so the
loss is only the equation's residual at the collocation points x_i,

    r_i = g'(x_i) + gamma g(x_i),        L = (1/n) sum_i r_i^2,

where g'(x_i) for all points comes from one call of physics.input_grad. Training: a short Adam
warm-up, then Levenberg-Marquardt steps. The error is measured against g0 exp(-gamma x) on a
fine grid.

    python examples/ode_decay.py --out figures
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


def solve(
    gamma: float = 2.0,
    g0: float = 10.0,
    n_points: int = 20,
    hidden: int = 10,
    adam_steps: int = 500,
    lm_steps: int = 200,
    seed: int = 0,
    n_test: int = 1001,
    verbose: bool = False,
) -> dict:
    """Train the trial solution on [0, 1]; returns the trained model, errors and timings."""
    tg.manual_seed(seed)
    net = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, 1))
    g = physics.initial_value_trial(net, g0)
    x = physics.uniform_grid(0.0, 1.0, n_points, requires_grad=True)

    def residual():
        gx = g(x)
        return physics.input_grad(gx, x) + gamma * gx

    fit = fit_residual(residual, list(g.parameters()), adam_steps, lm_steps, log_every=100 if verbose else 0)
    result = compare_on_interval(g, lambda x: g0 * np.exp(-gamma * x), 0.0, 1.0, n_test)
    return dict(model=g, **result, **fit)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="folder for the plot (default: figures)")
    parser.add_argument("--gamma", type=float, default=2.0)
    parser.add_argument("--g0", type=float, default=10.0)
    parser.add_argument("--points", type=int, default=20, help="collocation points on [0, 1]")
    parser.add_argument("--hidden", type=int, default=10, help="hidden units")
    parser.add_argument("--adam-steps", type=int, default=500)
    parser.add_argument("--lm-steps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = solve(
        args.gamma, args.g0, args.points, args.hidden, args.adam_steps, args.lm_steps, args.seed, verbose=True
    )
    path = output_path(args.out, "ode_decay.png")
    plot_1d(
        path,
        result["x"],
        result["predicted"],
        result["exact"],
        f"g' = -{args.gamma} g, g(0) = {args.g0}",
        labels=("g",),
    )
    print(f"max abs error on {len(result['x'])} test points: {result['max_error']:.2e}")
    print(f"training time: {result['seconds']:.2f} s (CPU {result['cpu_seconds']:.2f} s)    plot: {path}")
    return result


if __name__ == "__main__":
    main()
