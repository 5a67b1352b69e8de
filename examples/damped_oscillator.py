"""A damped harmonic oscillator x'' + 2 zeta omega x' + omega^2 x = 0 as a first-order system.

With y = (x, v) the equation is y' = F(y): x' = v, v' = -omega^2 x - 2 zeta omega v, and
x(0) = x0, v(0) = v0. The network N(t) has two outputs, and the trial solution

    y(t) = y0 + t N(t)                       (physics.initial_value_trial with y0 = (x0, v0))

meets both initial conditions. physics.pointwise_jacobian gives dy/dt for both components at all points
(shape (n, 2, 1)); the residual r = y' - F(y) has 2n entries. Training: Adam, then
Levenberg-Marquardt. The error is against the underdamped solution

    x(t) = exp(-zeta omega t) (x0 cos(w t) + (v0 + zeta omega x0) / w sin(w t)),  w = omega sqrt(1 - zeta^2).

    python examples/damped_oscillator.py --out figures
"""

from __future__ import annotations

import argparse
import math
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import tinygrad_edu as tg  # noqa: E402
from pinn_utils import compare_on_interval, fit_residual, output_path, plot_1d  # noqa: E402
from tinygrad_edu import nn, physics  # noqa: E402


def exact_solution(t: np.ndarray, omega: float, zeta: float, x0: float, v0: float) -> np.ndarray:
    """Columns x(t), v(t) of the underdamped oscillator (zeta < 1)."""
    w = omega * math.sqrt(1.0 - zeta**2)
    a, b = x0, (v0 + zeta * omega * x0) / w
    decay = np.exp(-zeta * omega * t)
    x = decay * (a * np.cos(w * t) + b * np.sin(w * t))
    v = -zeta * omega * x + decay * (-a * w * np.sin(w * t) + b * w * np.cos(w * t))
    return np.stack([x, v], axis=1)


def solve(
    omega: float = 2.0,
    zeta: float = 0.1,
    x0: float = 1.0,
    v0: float = 0.0,
    T: float = 2 * math.pi,
    n_points: int = 60,
    hidden: int = 16,
    adam_steps: int = 1000,
    lm_steps: int = 150,
    seed: int = 0,
    n_test: int = 1001,
    verbose: bool = False,
) -> dict:
    """Train on [0, T]; returns the model, the errors and the timings."""
    if not 0 <= zeta < 1:
        raise ValueError(
            f"damped_oscillator: the exact solution here is the underdamped one; need 0 <= zeta < 1, got {zeta}"
        )
    tg.manual_seed(seed)
    net = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 2))
    scaled = lambda t: net(t * (1.0 / T))  # noqa: E731  (inputs in [0, 1] suit tanh units)
    y = physics.initial_value_trial(scaled, [x0, v0])
    t = physics.uniform_grid(0.0, T, n_points, requires_grad=True)

    def residual():
        yt = y(t)
        dy = physics.pointwise_jacobian(yt, t)[:, :, 0]  # (n, 2): x', v'
        x, v = yt[:, 0], yt[:, 1]
        return tg.stack([dy[:, 0] - v, dy[:, 1] + omega**2 * x + 2 * zeta * omega * v], axis=1)

    fit = fit_residual(residual, list(net.parameters()), adam_steps, lm_steps, log_every=200 if verbose else 0)
    result = compare_on_interval(y, lambda t: exact_solution(t, omega, zeta, x0, v0), 0.0, T, n_test)
    result["t"] = result.pop("x")
    return dict(model=y, **result, **fit)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="folder for the plot (default: figures)")
    parser.add_argument("--omega", type=float, default=2.0)
    parser.add_argument("--zeta", type=float, default=0.1)
    parser.add_argument("--T", type=float, default=2 * math.pi)
    parser.add_argument("--points", type=int, default=60)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--adam-steps", type=int, default=1000)
    parser.add_argument("--lm-steps", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = solve(
        args.omega,
        args.zeta,
        T=args.T,
        n_points=args.points,
        hidden=args.hidden,
        adam_steps=args.adam_steps,
        lm_steps=args.lm_steps,
        seed=args.seed,
        verbose=True,
    )
    path = output_path(args.out, "damped_oscillator.png")
    plot_1d(
        path,
        result["t"],
        result["predicted"],
        result["exact"],
        f"damped oscillator, omega = {args.omega}, zeta = {args.zeta}",
        labels=("x", "v"),
        xlabel="t",
    )
    print(f"max abs error (x and v) on {len(result['t'])} test points: {result['max_error']:.2e}")
    print(f"training time: {result['seconds']:.2f} s (CPU {result['cpu_seconds']:.2f} s)    plot: {path}")
    return result


if __name__ == "__main__":
    main()
