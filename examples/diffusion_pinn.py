"""The diffusion equation u_t = u_xx on [0, 1] x [0, T] as a physics-informed network.

Initial condition u(x, 0) = sin(pi x), boundaries u(0, t) = u(1, t) = 0; the exact solution is
u(x, t) = exp(-pi^2 t) sin(pi x). The trial solution (physics.heat_trial, the course's form)

    u(x, t) = (1 - t) sin(pi x) + x (1 - x) t N(x, t)

meets both conditions for any weights, and the loss is the mean squared residual of the equation
at all collocation points at once,

    r_i = u_t(x_i, t_i) - u_xx(x_i, t_i),

with u_t and u_xx from physics.input_grad: one backward pass for the gradient (u_x, u_t) of all
points, a second one through it for u_xx. Trained with Adam.

    python examples/diffusion_pinn.py --out figures
"""

from __future__ import annotations

import argparse
import math
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import tinygrad_edu as tg  # noqa: E402
from pinn_utils import Timer, output_path, plot_2d, train_adam  # noqa: E402
from tinygrad_edu import nn, no_grad, physics  # noqa: E402


def make_network(hidden: int = 32, layers: int = 2) -> nn.Sequential:
    """N(x, t): 2 inputs, ``layers`` tanh hidden layers of ``hidden`` units, one output."""
    mods = [nn.Linear(2, hidden), nn.Tanh()]
    for _ in range(layers - 1):
        mods += [nn.Linear(hidden, hidden), nn.Tanh()]
    return nn.Sequential(*mods, nn.Linear(hidden, 1))


def initial_condition(x: tg.Tensor) -> tg.Tensor:
    return (math.pi * x).sin()


def residual_loss(u: physics.TrialSolution, points: tg.Tensor) -> tg.Tensor:
    """(1/n) sum_i (u_t - u_xx)^2 over the collocation points (rows (x, t), requires_grad)."""
    value = u(points)
    grad = physics.input_grad(value, points)  # columns u_x, u_t
    u_xx = physics.input_grad(grad[:, 0], points)[:, 0]
    return ((grad[:, 1] - u_xx) ** 2).mean()


def exact_solution(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.exp(-(np.pi**2) * t) * np.sin(np.pi * x)


def solve(
    T: float = 0.5,
    nx: int = 20,
    nt: int = 20,
    hidden: int = 32,
    layers: int = 2,
    steps: int = 3000,
    lr: float = 1e-2,
    lr_final: float = 1e-4,
    seed: int = 0,
    n_test: int = 101,
    verbose: bool = False,
) -> dict:
    """Train on an nx-by-nt grid of [0, 1] x [0, T]; returns the model, the errors and the timings."""
    tg.manual_seed(seed)
    u = physics.heat_trial(make_network(hidden, layers), initial_condition)
    points = physics.uniform_grid([0.0, 0.0], [1.0, T], [nx, nt], requires_grad=True)
    with Timer() as timer:
        history = train_adam(
            lambda: residual_loss(u, points),
            u.parameters(),
            steps,
            lr=lr,
            lr_final=lr_final,
            log_every=500 if verbose else 0,
        )
    test = physics.uniform_grid([0.0, 0.0], [1.0, T], n_test)
    with no_grad():
        predicted = u(test).detach().numpy().reshape(n_test, n_test)
    xt = test.detach().numpy()
    exact = exact_solution(xt[:, 0], xt[:, 1]).reshape(n_test, n_test)
    return dict(
        model=u,
        x=np.linspace(0, 1, n_test),
        t=np.linspace(0, T, n_test),
        predicted=predicted,
        exact=exact,
        max_error=float(np.abs(predicted - exact).max()),
        seconds=timer.seconds,
        cpu_seconds=timer.cpu_seconds,
        seconds_per_step=timer.seconds / max(steps, 1),
        history=history,
    )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="folder for the plot (default: figures)")
    parser.add_argument("--T", type=float, default=0.5, help="final time")
    parser.add_argument("--nx", type=int, default=20, help="collocation points in x")
    parser.add_argument("--nt", type=int, default=20, help="collocation points in t")
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3000, help="Adam steps")
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = solve(
        args.T, args.nx, args.nt, args.hidden, args.layers, args.steps, args.lr, seed=args.seed, verbose=True
    )
    path = output_path(args.out, "diffusion_pinn.png")
    plot_2d(path, result["x"], result["t"], result["predicted"], result["exact"], "u_t = u_xx, network solution")
    print(f"max abs error on a {len(result['x'])}x{len(result['t'])} test grid: {result['max_error']:.2e}")
    print(
        f"training time: {result['seconds']:.2f} s (CPU {result['cpu_seconds']:.2f} s; "
        f"{1e3 * result['seconds_per_step']:.2f} ms per step)    plot: {path}"
    )
    return result


if __name__ == "__main__":
    main()
