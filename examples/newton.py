"""Newton's method with Hessians from the engine: Rosenbrock's function and logistic regression.

Newton's step solves H delta = g, with g the gradient and H the Hessian of the loss with
respect to the parameters theta, and sets theta <- theta - delta. Near a minimum the error
squares at every step (quadratic convergence), where gradient descent only shrinks it by a
constant factor. Here

* ``func.parameter_hessian`` builds H (one backward pass per parameter, for small problems);
* ``func.parameter_hvp`` gives H v without forming H, which is all that the
  conjugate-gradient solver of "Hessian-free" Newton needs (``newton_cg``).

1. Rosenbrock's function f(a, b) = (1 - a)^2 + 100 (b - a^2)^2 from (-1.2, 1), with a
   backtracking line search; minimum at (1, 1).
2. L2-regularized logistic regression on scikit-learn's breast-cancer data; the result is
   compared with scikit-learn's LogisticRegression, and the engine's Hessian with the closed
   form X^T diag(p (1 - p)) X / n + lambda I.

    python examples/newton.py --out figures
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from collections.abc import Callable, Sequence

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import tinygrad_edu as tg  # noqa: E402
from pinn_utils import _flat, _one_blas_thread, _set_flat, output_path, save_figure  # noqa: E402
from tinygrad_edu import Tensor, func  # noqa: E402


def newton(
    loss_fn: Callable[[], Tensor],
    params: Sequence[Tensor],
    steps: int = 50,
    tol: float = 1e-12,
    line_search: bool = True,
) -> list[float]:
    """Newton's method with a backtracking (Armijo) line search; returns the loss before each step.

    Stops when the gradient's norm falls below ``tol``. Where H is not positive definite (far
    from a minimum) the step falls back to the gradient direction.
    """
    params = list(params)
    history = []
    for _ in range(steps):
        loss = loss_fn()
        gn = func.flat_grad(loss, params).detach().numpy()
        H = func.parameter_hessian(loss, params).detach().numpy()
        history.append(loss.item())
        if np.linalg.norm(gn) < tol:
            break
        with _one_blas_thread():
            try:
                delta = np.linalg.solve(H, gn)
                if gn @ delta <= 0:  # not a descent direction: H is indefinite here
                    delta = gn
            except np.linalg.LinAlgError:
                delta = gn
        start, t = _flat(params), 1.0
        while line_search:
            _set_flat(params, start - t * delta)
            if loss_fn().item() <= history[-1] - 1e-4 * t * (gn @ delta) or t < 1e-10:
                break
            t *= 0.5
        if not line_search:
            _set_flat(params, start - delta)
    return history


def newton_cg(
    loss_fn: Callable[[], Tensor], params: Sequence[Tensor], steps: int = 20, cg_steps: int = 50, tol: float = 1e-10
) -> list[float]:
    """Hessian-free Newton: solve H delta = g by conjugate gradients, using only products H v."""
    params = list(params)
    history = []
    for _ in range(steps):
        loss = loss_fn()
        g = func.flat_grad(loss, params).detach().numpy()
        history.append(loss.item())
        if np.linalg.norm(g) < tol:
            break
        delta, r = np.zeros_like(g), g.copy()
        p, rr = r.copy(), r @ r
        for _ in range(cg_steps):
            Hp = func.parameter_hvp(loss, params, Tensor(p)).detach().numpy()
            alpha = rr / (p @ Hp)
            delta += alpha * p
            r -= alpha * Hp
            rr_new = r @ r
            if np.sqrt(rr_new) < 1e-3 * min(1.0, np.linalg.norm(g)) * np.linalg.norm(g):
                break
            p, rr = r + (rr_new / rr) * p, rr_new
        _set_flat(params, _flat(params) - delta)
    return history


def rosenbrock(theta: Tensor) -> Tensor:
    a, b = theta[0], theta[1]
    return (1.0 - a) ** 2 + 100.0 * (b - a * a) ** 2


def solve_rosenbrock(steps: int = 100) -> dict:
    theta = Tensor([-1.2, 1.0], requires_grad=True)
    history = newton(lambda: rosenbrock(theta), [theta], steps)
    return dict(theta=theta.detach().numpy().copy(), history=history)


def breast_cancer(n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Standardized features and 0/1 labels of scikit-learn's breast-cancer data (the first n rows)."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:n], y[:n]
    return (X - X.mean(0)) / X.std(0), y.astype(float)


def logistic_loss(w: Tensor, b: Tensor, X: Tensor, y: Tensor, lam: float) -> Tensor:
    """(1/n) sum_i [log(1 + exp(z_i)) - y_i z_i] + (lambda/2) |w|^2 with z = X w + b."""
    z = X @ w + b
    return (z.softplus() - y * z).mean() + 0.5 * lam * (w * w).sum()


def solve_logistic(lam: float = 1e-2, n: int | None = None, hessian_free: bool = False, steps: int = 20) -> dict:
    Xn, yn = breast_cancer(n)
    X, y = Tensor(Xn), Tensor(yn)
    w = Tensor(np.zeros(Xn.shape[1]), requires_grad=True)
    b = Tensor(np.zeros(1), requires_grad=True)
    method = newton_cg if hessian_free else newton
    history = method(lambda: logistic_loss(w, b, X, y, lam), [w, b], steps)
    return dict(w=w.detach().numpy().copy(), b=b.detach().numpy().copy(), history=history, X=Xn, y=yn, lam=lam)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="folder for the plot (default: figures)")
    parser.add_argument("--lam", type=float, default=1e-2, help="L2 strength of the logistic regression")
    args = parser.parse_args(argv)
    tg.set_default_dtype("float64")

    ros = solve_rosenbrock()
    print(
        f"Rosenbrock: {len(ros['history'])} Newton steps to theta = {ros['theta']} "
        f"(error {np.abs(ros['theta'] - 1).max():.1e})"
    )
    logi = solve_logistic(args.lam)
    cg = solve_logistic(args.lam, hessian_free=True)
    print(f"logistic regression: {len(logi['history'])} Newton steps, final loss {logi['history'][-1]:.12f}")
    print(f"Hessian-free Newton-CG: {len(cg['history'])} steps, final loss {cg['history'][-1]:.12f}")
    try:
        from sklearn.linear_model import LogisticRegression

        n = len(logi["y"])
        ref = LogisticRegression(C=1.0 / (n * args.lam), tol=1e-12, max_iter=10_000).fit(logi["X"], logi["y"])
        print(f"largest difference from scikit-learn's coefficients: {np.abs(ref.coef_[0] - logi['w']).max():.1e}")
    except ImportError:
        print("scikit-learn is not installed: no comparison")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax1.semilogy(np.maximum(ros["history"], 1e-32), "o-")
    ax1.set(xlabel="Newton step", ylabel="f(theta)", title="Rosenbrock (minimum 0)")
    best = min(logi["history"][-1], cg["history"][-1])
    ax2.semilogy(np.array(logi["history"]) - best + 1e-17, "o-", label="Newton (full Hessian)")
    ax2.semilogy(np.array(cg["history"]) - best + 1e-17, "s--", label="Newton-CG (Hessian-vector products)")
    ax2.set(xlabel="step", ylabel="loss - final loss", title="logistic regression")
    ax2.legend()
    path = output_path(args.out, "newton.png")
    save_figure(fig, path)
    plt.close(fig)
    print(f"plot: {path}")
    return dict(rosenbrock=ros, logistic=logi, newton_cg=cg)


if __name__ == "__main__":
    main()
