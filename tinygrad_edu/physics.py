"""Derivatives with respect to inputs, for solving differential equations with neural networks.

A physics-informed loss contains derivatives of the network's output ``u(x)`` with respect to
its *inputs* ``x`` (``u_t``, ``u_xx``, ...), and is then differentiated again with respect to
the weights. The course's reference code does this point by point in Python loops; here every
helper works on all ``n`` collocation points at once, with one backward pass per derivative.

**The one assumption.** The points are independent: row ``p`` of the output depends only on row
``p`` of the input. Then ``d/dx_p sum_q u(x_q) = du/dx (x_p)``, so the gradient of the *sum*
over points gives every point's gradient in one backward pass. This holds for every layer that
acts row by row (linear layers, elementwise activations, dropout in eval mode), and fails for
layers that couple the rows of a batch, such as batch normalization in training mode; with those
the results are not per-point derivatives.

All derivative helpers use :func:`tinygrad_edu.autograd.grad` with ``create_graph=True`` by
default, so their results can be differentiated again, with respect to ``x`` (second
derivatives) or to the weights (training). The module also holds the collocation grids, the
trial solutions that satisfy boundary or initial conditions by construction. The curvature of a
loss with respect to the parameters (Hessian-vector products, the full Hessian) lives beside the
other transforms in :mod:`tinygrad_edu.func` (``flat_grad``, ``parameter_hvp``,
``parameter_hessian``, ``residual_jacobian``, ``unflatten_like``); the old names here
(``hessian``, ``jacobian``, ``hessian_diag`` and the curvature helpers) still work and warn.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from tinygrad_edu import autograd, backend, func
from tinygrad_edu.creation import linspace, ones_like, zeros_like
from tinygrad_edu.ops.shape import stack
from tinygrad_edu.tensor import Tensor

__all__ = [
    "input_grad",
    "divergence",
    "laplacian",
    "pointwise_hessian_diag",
    "pointwise_hessian",
    "pointwise_jacobian",
    "uniform_grid",
    "random_points",
    "split_boundary",
    "boundary_points",
    "TrialSolution",
    "dirichlet_trial",
    "initial_value_trial",
    "interval_trial",
    "heat_trial",
]

Bounds = float | Sequence[float]

# ============================================================================ input derivatives


def _check_points(x: Tensor, what: str) -> int:
    """The number of points ``n`` of ``x`` (shape (n,) or (n, d)), with clear errors."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{what}: x must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (1, 2):
        raise ValueError(f"{what}: x must have shape (n,) or (n, d) (one row per point), got {tuple(x.shape)}")
    if not x.requires_grad:
        raise RuntimeError(
            f"{what}: x (shape {tuple(x.shape)}) does not require grad; create the collocation points "
            "with requires_grad=True before passing them through the network"
        )
    return x.shape[0]


def _field(u: Tensor, n: int, what: str, name: str = "u") -> Tensor:
    """Check that ``u`` holds one scalar per point: shape (n,) or (n, 1)."""
    if not isinstance(u, Tensor):
        raise TypeError(f"{what}: {name} must be a Tensor, got {type(u).__name__}")
    if tuple(u.shape) not in ((n,), (n, 1)):
        raise ValueError(
            f"{what}: {name} must hold one scalar per point, shape ({n},) or ({n}, 1), got {tuple(u.shape)}"
        )
    return u


def _vector_field(F: Tensor, n: int, what: str) -> Tensor:
    if not isinstance(F, Tensor):
        raise TypeError(f"{what}: F must be a Tensor, got {type(F).__name__}")
    if F.ndim == 1:
        F = F.reshape(n, 1) if F.shape[0] == n else F
    if F.ndim != 2 or F.shape[0] != n:
        raise ValueError(f"{what}: F must have shape ({n}, m) (one vector per point), got {tuple(F.shape)}")
    return F


def input_grad(u: Tensor, x: Tensor, *, create_graph: bool = True) -> Tensor:
    """The gradient of a scalar field with respect to the input, one row per point.

    ``u`` has shape (n,) or (n, 1) and was computed from the points ``x`` of shape (n, d) (or
    (n,)); the result has the shape of ``x``, row ``p`` being ``grad_x u(x_p)``. It is computed
    as the gradient of ``sum_p u(x_p)``, which equals the per-point gradients because the points
    are independent (see the module's docstring). With ``create_graph=True`` (the default) the
    result can be differentiated again. Where ``u`` does not depend on ``x`` the result is zero.
    """
    n = _check_points(x, "input_grad")
    _field(u, n, "input_grad")
    if not u.requires_grad:  # a constant: e.g. the derivative of a function linear in x
        return zeros_like(x)
    (g,) = autograd.grad(
        u, x, grad_outputs=ones_like(u), retain_graph=True, create_graph=create_graph, allow_unused=True
    )
    return zeros_like(x) if g is None else g


def _columns(x: Tensor) -> int:
    return 1 if x.ndim == 1 else x.shape[1]


def _col(t: Tensor, i: int) -> Tensor:
    return t if t.ndim == 1 else t[:, i]


def divergence(F: Tensor, x: Tensor, *, create_graph: bool = True) -> Tensor:
    """``div F = sum_i dF_i/dx_i`` per point: ``F`` of shape (n, d) made from ``x`` (n, d); returns (n,).

    One backward pass per component ``i``.
    """
    n = _check_points(x, "divergence")
    F = _vector_field(F, n, "divergence")
    d = _columns(x)
    if F.shape[1] != d:
        raise ValueError(f"divergence: F has {F.shape[1]} components but x has {d} coordinates; they must match")
    total = None
    for i in range(d):
        term = _col(input_grad(F[:, i], x, create_graph=create_graph), i)
        total = term if total is None else total + term
    return total


def laplacian(u: Tensor, x: Tensor, *, create_graph: bool = True) -> Tensor:
    """``nabla^2 u = sum_i d^2u/dx_i^2`` per point: ``u`` (n,) or (n, 1), ``x`` (n, d); returns (n,)."""
    n = _check_points(x, "laplacian")
    _field(u, n, "laplacian")
    g = input_grad(u, x, create_graph=True)
    return divergence(g.reshape(n, -1), x, create_graph=create_graph)


def pointwise_hessian_diag(u: Tensor, x: Tensor, *, create_graph: bool = True) -> Tensor:
    """The diagonal ``d^2u/dx_i^2`` per point, shape (n, d) (the unmixed second derivatives)."""
    n = _check_points(x, "pointwise_hessian_diag")
    _field(u, n, "pointwise_hessian_diag")
    g = input_grad(u, x, create_graph=True).reshape(n, -1)
    cols = [_col(input_grad(g[:, i], x, create_graph=create_graph), i) for i in range(g.shape[1])]
    return stack(cols, axis=1)


def pointwise_hessian(u: Tensor, x: Tensor, *, create_graph: bool = True) -> Tensor:
    """The Hessian ``H[p, i, j] = d^2u/dx_i dx_j`` at every point ``x_p``, shape (n, d, d).

    Per collocation point, from one field ``u`` over all points (the curvature of a loss with
    respect to the weights is :func:`tinygrad_edu.func.parameter_hessian`).
    """
    n = _check_points(x, "pointwise_hessian")
    _field(u, n, "pointwise_hessian")
    return pointwise_jacobian(input_grad(u, x, create_graph=True).reshape(n, -1), x, create_graph=create_graph)


def pointwise_jacobian(F: Tensor, x: Tensor, *, create_graph: bool = True) -> Tensor:
    """The Jacobian ``J[p, j, i] = dF_j/dx_i`` of a vector field at every point, shape (n, m, d).

    ``F`` has shape (n, m) (or (n,), read as m = 1) and was made from ``x`` of shape (n, d).
    One backward pass per output component ``j``.
    """
    n = _check_points(x, "pointwise_jacobian")
    F = _vector_field(F, n, "pointwise_jacobian")
    rows = [input_grad(F[:, j], x, create_graph=create_graph).reshape(n, -1) for j in range(F.shape[1])]
    return stack(rows, axis=1)


# ============================================================================ collocation points


def _box(low: Bounds, high: Bounds, what: str) -> tuple[list[float], list[float]]:
    lo = [float(v) for v in low] if isinstance(low, (list, tuple)) else None
    hi = [float(v) for v in high] if isinstance(high, (list, tuple)) else None
    d = len(lo) if lo is not None else len(hi) if hi is not None else 1
    lo = lo if lo is not None else [float(low)] * d
    hi = hi if hi is not None else [float(high)] * d
    if len(lo) != len(hi):
        raise ValueError(f"{what}: low has {len(lo)} coordinates but high has {len(hi)}")
    for i, (a, b) in enumerate(zip(lo, hi)):
        if not a < b:
            raise ValueError(f"{what}: low must be below high in every coordinate, got {a} >= {b} in coordinate {i}")
    return lo, hi


def _finish(points: Tensor, dtype: Any, device: str, requires_grad: bool) -> Tensor:
    out = Tensor._make(points.data, "cpu").to(device=device, dtype=dtype or backend.get_default_dtype())
    out = out.detach()
    return out.requires_grad_(True) if requires_grad else out


def uniform_grid(
    low: Bounds,
    high: Bounds,
    n: int | Sequence[int],
    *,
    dtype: Any = None,
    device: str = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """All points of a regular grid over the box ``[low, high]`` (ends included), shape (N, d).

    ``low``/``high`` are numbers (an interval, d = 1) or one number per coordinate; ``n`` is the
    number of points per coordinate (one int for all). The first coordinate varies slowest, as
    ``numpy.meshgrid(..., indexing="ij")``: reshape a column to ``n`` to get the grid back.
    """
    lo, hi = _box(low, high, "uniform_grid")
    d = len(lo)
    counts = [int(n)] * d if isinstance(n, int) else [int(v) for v in n]
    if len(counts) != d or min(counts) < 2:
        raise ValueError(f"uniform_grid: n must give at least 2 points for each of the {d} coordinates, got {n}")
    axes = []
    for i, (a, b, k) in enumerate(zip(lo, hi, counts)):
        shape = [1] * d
        shape[i] = k
        axes.append(linspace(a, b, k, dtype="float64").reshape(shape).expand(*counts).reshape(-1))
    return _finish(stack(axes, axis=1), dtype, device, requires_grad)


def random_points(
    low: Bounds,
    high: Bounds,
    n: int,
    *,
    method: str = "uniform",
    seed: int | None = None,
    dtype: Any = None,
    device: str = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """``n`` random points in the box ``[low, high]``, shape (n, d).

    ``method="uniform"`` draws independent uniform points; ``"latin"`` draws a Latin hypercube
    sample (each coordinate's range cut into ``n`` equal strata, one point per stratum), which
    covers the box more evenly. ``seed`` gives a reproducible draw of its own; without it the
    generator seeded by ``manual_seed`` is used.
    """
    lo, hi = _box(low, high, "random_points")
    if int(n) < 1:
        raise ValueError(f"random_points: n must be at least 1, got {n}")
    n, d = int(n), len(lo)
    gen = backend.generator(seed)
    u = Tensor._make(backend.random("uniform", (n, d), "float64", "cpu", generator=gen), "cpu")
    if method == "latin":
        strata = stack([Tensor(backend.permutation(n, gen), dtype="float64") for _ in range(d)], axis=1)
        u = (strata + u) * (1.0 / n)
    elif method != "uniform":
        raise ValueError(f"random_points: method must be 'uniform' or 'latin', got {method!r}")
    low_t, span = Tensor(lo, dtype="float64"), Tensor([b - a for a, b in zip(lo, hi)], dtype="float64")
    return _finish(low_t + u * span, dtype, device, requires_grad)


def split_boundary(
    points: Tensor, low: Bounds, high: Bounds, *, atol: float = 1e-9, requires_grad: bool = False
) -> tuple[Tensor, Tensor]:
    """Split points of shape (N, d) into those inside the box ``[low, high]`` and those on its boundary.

    A point is on the boundary when some coordinate is within ``atol`` of ``low`` or ``high``.
    Returns ``(interior, boundary)``, new leaves (``requires_grad`` as asked).
    """
    if not isinstance(points, Tensor) or points.ndim != 2:
        raise ValueError(
            f"split_boundary: points must be a Tensor of shape (N, d), got {getattr(points, 'shape', points)}"
        )
    lo, hi = _box(low, high, "split_boundary")
    if len(lo) != points.shape[1]:
        raise ValueError(f"split_boundary: the box has {len(lo)} coordinates but the points have {points.shape[1]}")
    p = points.detach()
    lo_t = Tensor(lo, dtype=p.dtype, device=p.device)
    hi_t = Tensor(hi, dtype=p.dtype, device=p.device)
    on_boundary = ((p <= lo_t + atol) | (p >= hi_t - atol)).any(axis=1)
    parts = []
    for mask in (~on_boundary, on_boundary):
        part = Tensor._make(p.data[mask.data], p.device)
        parts.append(part.requires_grad_(True) if requires_grad else part)
    return parts[0], parts[1]


# The same grid arguments as uniform_grid on purpose: the boundary points are its boundary.
def boundary_points(
    low: Bounds,
    high: Bounds,
    n: int | Sequence[int],
    *,
    dtype: Any = None,
    device: str = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """The points of ``uniform_grid(low, high, n)`` that lie on the boundary of the box, shape (M, d)."""
    grid = uniform_grid(low, high, n, dtype=dtype, device=device)
    return split_boundary(grid, low, high, requires_grad=requires_grad)[1]


# ============================================================================ trial solutions


class TrialSolution:
    """A trial solution ``u(x) = B(x) + D(x) N(x)`` that meets its conditions by construction.

    ``B`` takes the prescribed values on the boundary (or at the initial time), ``D`` vanishes
    there, and ``N`` is the network, so ``u`` satisfies the conditions whatever the weights and
    training only has to reduce the residual of the equation. Calling it maps points (n, d) to
    values (n, m); ``parameters()`` are the network's, for the optimizer.
    """

    def __init__(
        self,
        net: Callable[[Tensor], Tensor],
        boundary: Callable[[Tensor], Any],
        distance: Callable[[Tensor], Any],
        formula: str = "B(x) + D(x) N(x)",
    ) -> None:
        self.net, self.boundary, self.distance, self.formula = net, boundary, distance, formula

    def __call__(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor) or x.ndim != 2:
            raise ValueError(f"TrialSolution: x must be a Tensor of shape (n, d), got {getattr(x, 'shape', x)}")
        out = self.net(x)
        if out.ndim == 1:
            out = out.reshape(-1, 1)
        return self.boundary(x) + self.distance(x) * out

    def parameters(self) -> list[Tensor]:
        if not hasattr(self.net, "parameters"):
            raise TypeError(f"TrialSolution: the network ({type(self.net).__name__}) has no parameters() method")
        return list(self.net.parameters())

    def __repr__(self) -> str:
        return f"TrialSolution(u = {self.formula}, N = {self.net!r})"


def dirichlet_trial(
    boundary_fn: Callable[[Tensor], Any], distance_fn: Callable[[Tensor], Any], net: Callable[[Tensor], Tensor]
) -> TrialSolution:
    """``u(x) = boundary_fn(x) + distance_fn(x) N(x)``: the general form (see :class:`TrialSolution`).

    ``boundary_fn`` must equal the boundary values on the boundary and ``distance_fn`` must be
    zero there (and nonzero inside); both take (n, d) and return (n, 1), (n, m) or a number.
    """
    return TrialSolution(net, boundary_fn, distance_fn)


def _row(values: float | Sequence[float], like: Tensor) -> Tensor:
    vals = list(values) if isinstance(values, (list, tuple)) else [values]
    return Tensor([float(v) for v in vals], dtype=like.dtype, device=like.device).reshape(1, -1)


def initial_value_trial(net: Callable[[Tensor], Tensor], g0: float | Sequence[float], x0: float = 0.0) -> TrialSolution:
    """``g(x) = g0 + (x - x0) N(x)`` for an initial-value problem ``g(x0) = g0`` (the course's form).

    ``x`` has shape (n, 1); ``g0`` is a number, or one number per component for a system
    (then ``N`` has as many outputs).
    """
    return TrialSolution(net, lambda x: _row(g0, x), lambda x: x - x0, f"{g0} + (x - {x0}) N(x)")


def interval_trial(net: Callable[[Tensor], Tensor], a: float, b: float, ua: float, ub: float) -> TrialSolution:
    """``u(x) = ua (b - x)/(b - a) + ub (x - a)/(b - a) + (x - a)(b - x) N(x)`` for ``u(a) = ua``, ``u(b) = ub``.

    The straight line through the two boundary values plus a correction that vanishes at both
    ends; ``x`` has shape (n, 1).
    """
    if not a < b:
        raise ValueError(f"interval_trial: need a < b, got a={a}, b={b}")
    L = b - a
    return TrialSolution(
        net,
        lambda x: (b - x) * (ua / L) + (x - a) * (ub / L),
        lambda x: (x - a) * (b - x),
        f"{ua} (b - x)/L + {ub} (x - a)/L + (x - {a})({b} - x) N(x)",
    )


def heat_trial(
    net: Callable[[Tensor], Tensor], u0: Callable[[Tensor], Tensor], a: float = 0.0, b: float = 1.0
) -> TrialSolution:
    """``u(x, t) = (1 - t) u0(x) + (x - a)(b - x) t N(x, t)``: the course's form for ``u_t = u_xx``.

    Points are rows ``(x, t)`` of shape (n, 2). At ``t = 0`` it equals ``u0(x)``; at ``x = a`` and
    ``x = b`` it is ``(1 - t) u0``, zero for the usual ``u0(a) = u0(b) = 0``. ``u0`` maps an (n, 1)
    column of ``x`` to (n, 1) values, written with Tensor ops.
    """

    def boundary(p: Tensor) -> Tensor:
        return (1.0 - p[:, 1:2]) * u0(p[:, 0:1])

    def distance(p: Tensor) -> Tensor:
        x, t = p[:, 0:1], p[:, 1:2]
        return (x - a) * (b - x) * t

    return TrialSolution(net, boundary, distance, f"(1 - t) u0(x) + (x - {a})({b} - x) t N(x, t)")


# ============================================================================ old names
# Kept so that course code written against earlier versions still runs; each emits a
# DeprecationWarning with the name to use instead.


def _renamed(old: str, new: str, fn: Callable) -> Callable:
    def alias(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(f"physics.{old} is deprecated: use {new}", DeprecationWarning, stacklevel=2)
        return fn(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old
    alias.__doc__ = f"Deprecated alias of :func:`{new}` (same arguments, same result)."
    return alias


hessian = _renamed("hessian", "tinygrad_edu.physics.pointwise_hessian", pointwise_hessian)
jacobian = _renamed("jacobian", "tinygrad_edu.physics.pointwise_jacobian", pointwise_jacobian)
hessian_diag = _renamed("hessian_diag", "tinygrad_edu.physics.pointwise_hessian_diag", pointwise_hessian_diag)
flat_grad = _renamed("flat_grad", "tinygrad_edu.func.flat_grad", func.flat_grad)
hessian_vector_product = _renamed("hessian_vector_product", "tinygrad_edu.func.parameter_hvp", func.parameter_hvp)
parameter_hessian = _renamed("parameter_hessian", "tinygrad_edu.func.parameter_hessian", func.parameter_hessian)
residual_jacobian = _renamed("residual_jacobian", "tinygrad_edu.func.residual_jacobian", func.residual_jacobian)
unflatten_like = _renamed("unflatten_like", "tinygrad_edu.func.unflatten_like", func.unflatten_like)
