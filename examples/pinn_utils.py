"""Shared pieces of the differential-equation examples: the two training loops, and the plots.

Two ways to fit the weights theta of a trial solution to the equation's residuals r(theta):

* ``train_adam``: Adam on the mean squared residual, with a learning rate that decays
  geometrically from ``lr`` to ``lr_final``. Cheap steps, but slow to reach high accuracy.
* ``levenberg_marquardt``: Gauss-Newton steps ``(J^T J + mu D) delta = J^T r`` with the
  Jacobian ``J = dr/dtheta`` from :func:`tinygrad_edu.func.residual_jacobian`, and the
  damping ``mu`` lowered after a good step and raised after a bad one. For small networks and a
  few hundred residuals it reaches errors that Adam needs minutes for.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import time
from collections.abc import Callable, Sequence

import numpy as np

from tinygrad_edu import Tensor, func, no_grad, optim

try:  # OpenBLAS threads thrash on a busy machine and gain nothing on these small solves
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
    threadpool_limits = None


def _one_blas_thread():
    return threadpool_limits(1) if threadpool_limits is not None else contextlib.nullcontext()


def train_adam(
    loss_fn: Callable[[], Tensor],
    params: Sequence[Tensor],
    steps: int,
    lr: float = 1e-2,
    lr_final: float = 1e-4,
    log_every: int = 0,
) -> list[float]:
    """Minimize ``loss_fn()`` with Adam for ``steps`` steps; returns the loss of every step."""
    params = list(params)
    opt = optim.Adam(params, lr=lr)
    decay = (lr_final / lr) ** (1.0 / max(steps, 1))
    history = []
    with _one_blas_thread():  # these matrices are too small to gain from threads
        for k in range(steps):
            _adam_step(opt, loss_fn, history)
            opt.param_groups[0]["lr"] *= decay
            if log_every and (k % log_every == 0 or k == steps - 1):
                print(f"  adam step {k:6d}  loss {history[-1]:.3e}")
    return history


def _adam_step(opt: optim.Adam, loss_fn: Callable[[], Tensor], history: list[float]) -> None:
    opt.zero_grad()
    loss = loss_fn()
    loss.backward()
    opt.step()
    history.append(loss.item())


def _flat(params: Sequence[Tensor]) -> np.ndarray:
    return np.concatenate([p.detach().numpy().ravel() for p in params])


def _set_flat(params: Sequence[Tensor], vector: np.ndarray) -> None:
    with no_grad():
        for p, piece in zip(params, func.unflatten_like(Tensor(vector, dtype=params[0].dtype), params)):
            p.copy_(piece)


def levenberg_marquardt(
    residual_fn: Callable[[], Tensor],
    params: Sequence[Tensor],
    steps: int,
    mu: float = 1e-2,
    tol: float = 1e-20,
    log_every: int = 0,
) -> list[float]:
    """Minimize ``sum(residual_fn()**2)`` by damped Gauss-Newton steps; returns the mean squared residual per step.

    Marquardt's scaling ``D = diag(J^T J)`` makes the damping independent of each weight's scale.
    """
    with _one_blas_thread():  # small matrices: threads only cost here
        return _levenberg_marquardt(residual_fn, list(params), steps, mu, tol, log_every)


def _levenberg_marquardt(
    residual_fn: Callable[[], Tensor], params: list[Tensor], steps: int, mu: float, tol: float, log_every: int
) -> list[float]:
    history = []
    for k in range(steps):
        r = residual_fn().reshape(-1)
        J = func.residual_jacobian(r, params).detach().numpy()
        rn = r.detach().numpy()
        cost = float(rn @ rn)
        A, g = J.T @ J, J.T @ rn
        D = np.diag(A) + 1e-12
        start = _flat(params)
        while True:
            delta = np.linalg.solve(A + mu * np.diag(D), g)
            _set_flat(params, start - delta)
            rn_new = residual_fn().detach().numpy().ravel()
            new = float(rn_new @ rn_new)
            if new < cost:
                mu = max(mu / 3.0, 1e-15)
                break
            mu *= 4.0
            if mu > 1e12:  # no descent direction left: we are at a minimum to round-off
                _set_flat(params, start)
                new = cost
                break
        history.append(new / rn.size)
        if log_every and (k % log_every == 0 or k == steps - 1):
            print(f"  LM step {k:5d}  mean squared residual {history[-1]:.3e}  mu {mu:.1e}")
        if new < tol or mu > 1e12:
            break
    return history


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds`` (wall clock) and ``t.cpu_seconds`` (this process's CPU time).

    On a shared machine the wall-clock time includes waiting for other programs; the CPU time
    does not.
    """

    def __enter__(self) -> Timer:
        self.start, self.cpu_start = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
        self.cpu_seconds = time.process_time() - self.cpu_start


def fit_residual(
    residual: Callable[[], Tensor], params: Sequence[Tensor], adam_steps: int, lm_steps: int, log_every: int = 0
) -> dict:
    """Adam on the mean squared residual, then Levenberg-Marquardt; the history and the timings."""
    with Timer() as timer:
        history = train_adam(
            lambda: (residual() ** 2).mean(), params, adam_steps, lr=1e-2, lr_final=1e-3, log_every=log_every
        )
        history += levenberg_marquardt(residual, params, lm_steps, log_every=log_every // 5)
    return dict(history=history, seconds=timer.seconds, cpu_seconds=timer.cpu_seconds)


def compare_on_interval(
    model: Callable[[Tensor], Tensor], exact: Callable[[np.ndarray], np.ndarray], low: float, high: float, n_test: int
) -> dict:
    """The trained model against the exact solution on ``n_test`` points of [low, high]."""
    x = np.linspace(low, high, n_test)
    with no_grad():
        predicted = model(Tensor(x.reshape(-1, 1))).detach().numpy()
    expected = exact(x)
    predicted = predicted.reshape(expected.shape)
    return dict(x=x, predicted=predicted, exact=expected, max_error=float(np.abs(predicted - expected).max()))


def output_path(out: str | os.PathLike, name: str) -> pathlib.Path:
    folder = pathlib.Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def save_figure(fig, path: pathlib.Path) -> None:
    """Write the PNG atomically: to a temporary name first, then rename."""
    tmp = path.with_name(path.name + ".tmp.png")
    fig.savefig(tmp, dpi=120, bbox_inches="tight")
    os.replace(tmp, path)


def plot_1d(
    path: pathlib.Path,
    x: np.ndarray,
    predicted: np.ndarray,
    exact: np.ndarray,
    title: str,
    labels: Sequence[str] = ("u",),
    xlabel: str = "x",
) -> None:
    """Solution against the analytic one (left) and the absolute error (right); columns are components."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    predicted, exact = predicted.reshape(len(x), -1), exact.reshape(len(x), -1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for j, label in enumerate(labels):
        ax1.plot(x, exact[:, j], "k-", lw=3, alpha=0.3, label=f"{label} exact")
        ax1.plot(x, predicted[:, j], "--", label=f"{label} network")
        ax2.semilogy(x, np.abs(predicted[:, j] - exact[:, j]) + 1e-17, label=label)
    ax1.set(xlabel=xlabel, title=title)
    ax1.legend()
    ax2.set(xlabel=xlabel, title="absolute error")
    ax2.legend()
    save_figure(fig, path)
    plt.close(fig)


def plot_2d(
    path: pathlib.Path, x: np.ndarray, t: np.ndarray, predicted: np.ndarray, exact: np.ndarray, title: str
) -> None:
    """Heat maps of the solution u(x, t) and of the error, on a grid of len(x) by len(t)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    extent = (t[0], t[-1], x[0], x[-1])
    im1 = ax1.imshow(predicted, origin="lower", aspect="auto", extent=extent)
    ax1.set(xlabel="t", ylabel="x", title=title)
    fig.colorbar(im1, ax=ax1)
    im2 = ax2.imshow(np.abs(predicted - exact), origin="lower", aspect="auto", extent=extent, cmap="magma")
    ax2.set(xlabel="t", ylabel="x", title="absolute error")
    fig.colorbar(im2, ax=ax2)
    save_figure(fig, path)
    plt.close(fig)
