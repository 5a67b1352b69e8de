"""The diffusion-equation network (examples/diffusion_pinn.py): time per Adam training step, three ways.

* engine: the residual u_t - u_xx of all collocation points at once, with physics.input_grad
  (two backward passes with create_graph=True), then loss.backward() and Adam;
* PyTorch (CPU): the same network, weights, points and loss with torch.autograd.grad
  (create_graph=True) and torch.optim.Adam;
* point by point: the course's HIPS-autograd code, ported to tinygrad_edu.func: for each point a
  jacobian and a hessian of the trial solution, summed in a Python loop, and func.grad of that
  cost with respect to the weights. It is timed on a subset of the points and scaled to all of
  them (its cost is linear in the number of points).

The three losses are checked to agree before timing.

    python benchmarks/bench_pinn.py [--grid 20 20] [--hidden 32] [--subset 8]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, str(ROOT / "examples"))
import tinygrad_edu as tg  # noqa: E402
from common import fmt_time, machine, recorded  # noqa: E402
from diffusion_pinn import make_network, residual_loss  # noqa: E402
from tinygrad_edu import func, optim, physics  # noqa: E402


def engine_step(net, points):
    u = physics.heat_trial(net, lambda x: (math.pi * x).sin())
    opt = optim.Adam(list(net.parameters()), lr=1e-3)

    def step():
        opt.zero_grad()
        loss = residual_loss(u, points)
        loss.backward()
        opt.step()
        return loss

    return step


def torch_step(torch, weights, points_np, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    layers = []
    for i, (W, b) in enumerate(weights):
        lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
        layers += [lin] if i == len(weights) - 1 else [lin, torch.nn.Tanh()]
    net = torch.nn.Sequential(*layers)
    X = torch.tensor(points_np, requires_grad=True)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def loss_fn():
        x, t = X[:, 0:1], X[:, 1:2]
        u = (1 - t) * torch.sin(math.pi * x) + x * (1 - x) * t * net(X)
        (g,) = torch.autograd.grad(u, X, torch.ones_like(u), create_graph=True)
        (gg,) = torch.autograd.grad(g[:, 0], X, torch.ones_like(g[:, 0]), create_graph=True)
        return ((g[:, 1] - gg[:, 0]) ** 2).mean()

    def step():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        return loss

    return step


def blas_threads(threads):
    """NumPy's BLAS limited to ``threads`` threads (OpenBLAS threads thrash on a busy machine)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(threads)


def torch_threads(torch, threads):
    @contextlib.contextmanager
    def ctx():
        old = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            yield
        finally:
            torch.set_num_threads(old)

    return ctx()


def measure(impls, rounds, number):
    """Median wall and CPU time per call of each ``(step, context)``, measured in turn, round after round."""
    wall = {k: [] for k in impls}
    cpu = {k: [] for k in impls}
    for r in range(rounds + 1):
        for name, (step, context) in impls.items():
            with context():
                step()
                t0, c0 = time.perf_counter(), time.process_time()
                for _ in range(number):
                    step()
                if r:  # round 0 warms up
                    wall[name].append((time.perf_counter() - t0) / number)
                    cpu[name].append((time.process_time() - c0) / number)
    return {k: statistics.median(v) for k, v in wall.items()}, {k: statistics.median(v) for k, v in cpu.items()}


def pointwise_cost(weights_np):
    """The course's cost: a Python loop over points, jacobian and hessian of g_trial at each one."""

    def network(P, point):
        a = point.reshape(1, 2)
        for i in range(0, len(P), 2):
            a = a @ P[i].T + P[i + 1]
            if i < len(P) - 2:
                a = a.tanh()
        return a.reshape(())

    def g_trial(point, P):
        x, t = point[0], point[1]
        return (1 - t) * (math.pi * x).sin() + x * (1 - x) * t * network(P, point)

    jac, hess = func.jacobian(g_trial), func.hessian(g_trial)

    def cost(P, pts):
        total = 0.0
        for p in pts:
            g_t = jac(p, P)[1]
            g_xx = hess(p, P)[0, 0]
            total = total + (g_t - g_xx) ** 2
        return total / len(pts)

    return cost


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, nargs=2, default=[20, 20], metavar=("NX", "NT"))
    parser.add_argument("--T", type=float, default=0.5)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--subset", type=int, default=8, help="points timed in the point-by-point loop")
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=sorted({1, os.cpu_count() or 1}),
        help="PyTorch thread counts to time (default: 1 and all cores); the fastest is compared",
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the engine's step")
    parser.add_argument("--number", type=int, default=10)
    args = parser.parse_args(argv)
    tg.set_default_dtype("float64")
    tg.manual_seed(0)

    nx, nt = args.grid
    net = make_network(args.hidden, args.layers)
    points = physics.uniform_grid([0.0, 0.0], [1.0, args.T], [nx, nt], requires_grad=True)
    n = points.shape[0]
    linears = [m for m in net if hasattr(m, "weight")]
    weights = [(m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy()) for m in linears]
    P_np = [a for wb in weights for a in wb]

    # The three losses agree (before any step changes the weights).
    ours = residual_loss(physics.heat_trial(net, lambda x: (math.pi * x).sin()), points).item()
    pts_np = points.detach().numpy()
    cost = pointwise_cost(P_np)
    loop_loss = float(cost([tg.Tensor(a) for a in P_np], pts_np[: args.subset]))
    sub = residual_loss(
        physics.heat_trial(net, lambda x: (math.pi * x).sin()), tg.Tensor(pts_np[: args.subset], requires_grad=True)
    ).item()
    assert abs(loop_loss - sub) <= 1e-10 * max(1.0, abs(sub)), (loop_loss, sub)

    step = engine_step(net, points)
    impls = {f"engine-{t}t": (step, lambda t=t: blas_threads(t)) for t in args.threads}
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed: no PyTorch column")
    if torch is not None:
        for threads in args.threads:
            tstep = torch_step(torch, weights, pts_np, threads)
            t_loss = tstep().item()
            assert abs(t_loss - ours) <= 1e-10 * max(1.0, abs(ours)), (t_loss, ours)
            impls[f"pytorch-{threads}t"] = (tstep, lambda t=threads: torch_threads(torch, t))
    times, cpu = measure(impls, args.rounds, args.number)
    engine_names = [k for k in times if k.startswith("engine")]
    torch_names = [k for k in times if k.startswith("pytorch")]
    engine = min(engine_names, key=times.get)

    # The point-by-point loop: func.grad of the looped cost, on a subset, scaled to n points.
    grad_cost = func.grad(cost, 0)
    subset = pts_np[: args.subset]
    samples = []
    with blas_threads(1):
        grad_cost(P_np, subset)  # warm-up
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            grad_cost(P_np, subset)
            samples.append((time.perf_counter() - t0, time.process_time() - c0))
    times["point-by-point"] = statistics.median(w for w, _ in samples) * n / args.subset
    cpu["point-by-point"] = statistics.median(c for _, c in samples) * n / args.subset

    print(
        f"diffusion PINN step: {n} points ({nx}x{nt}), network 2-{'-'.join([str(args.hidden)] * args.layers)}-1 "
        f"tanh, float64, Adam"
    )
    print(f"machine: {machine()}")
    print(f"  {'':15s} {'wall':>12s} {'CPU':>12s}   (median per training step; -Nt: N BLAS/PyTorch threads)")
    for name, t in times.items():
        note = f"  (timed on {args.subset} points, scaled x{n / args.subset:.0f})" if name == "point-by-point" else ""
        print(f"  {name:15s} {fmt_time(t):>12s} {fmt_time(cpu[name]):>12s}{note}")
    if torch_names:
        best = min(torch_names, key=times.get)
        print(
            f"  fastest engine / fastest PyTorch ({engine} / {best}): {times[engine] / times[best]:.2f}  (target <= 1)"
        )
        ce, ct = min(cpu[k] for k in engine_names), min(cpu[k] for k in torch_names)
        print(f"  the same in CPU time (best of each): {ce / ct:.2f}  (less sensitive to other programs)")
    print(f"  point-by-point / fastest engine: {times['point-by-point'] / times[engine]:.0f}x  (target >= 10)")
    if args.profile:
        import cProfile
        import pstats

        with blas_threads(1):
            profiler = cProfile.Profile()
            profiler.runcall(lambda: [step() for _ in range(args.number)])
        print(f"\ncProfile of {args.number} engine steps (1 BLAS thread), by own time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return dict(wall=times, cpu=cpu)


if __name__ == "__main__":
    with recorded("bench_pinn"):
        main()
