"""Products and running totals: ``prod``, ``cumsum``, ``cumprod``, and the products of two
tensors built from differentiable ops: ``outer``, ``kron``, ``cross``, ``vdot``, ``average``.

The derivative of a product with respect to one factor is the product of all the *other*
factors. Dividing the product by the factor gives it only when no factor is zero; the rules here
compute it without dividing when there are zeros, so that one zero and several zeros give the
exact derivative (PyTorch's results).
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu.autograd import Function
from tinygrad_edu.ops.reduce import _keepdims_shape
from tinygrad_edu.ops.shape import stack
from tinygrad_edu.ops.unary import Where
from tinygrad_edu.tensor import Tensor


def _reverse(x: Tensor, axis: int) -> Tensor:
    """x reversed along ``axis`` (a slice with step -1)."""
    return x[(slice(None),) * axis + (slice(None, None, -1),)]


def _exclusive_cumprod(x: Tensor, axis: int) -> Tensor:
    """prod_{j < k} x_j at k along ``axis`` (1 at k = 0): the running product shifted by one."""
    head = x[(slice(None),) * axis + (slice(None, -1),)]
    shifted = head.pad(tuple((1, 0) if i == axis else (0, 0) for i in range(x.ndim)), value=1.0)
    return Cumprod.apply(shifted, axis=axis)


class Prod(Function):
    """y = product of x over ``axis``.

    Without zeros the product of the others is y / x_k. With zeros it is the product of the
    running products to the left and to the right of k: the one zero gets the product of the
    others, every other element 0; with two zeros or more every element gets 0.
    """

    local = "dL/dx_k = dL/dy * prod_{j != k} x_j"

    def forward(self, x):
        return x.prod(axis=self.axis, keepdims=self.keepdims)

    def backward(self, g):
        x = self.inputs[0]
        shape = _keepdims_shape(x.shape, self.axis)
        g = g.reshape(shape).expand(*x.shape)
        if x.size == 0:
            return g
        if (x.data != 0).all():
            return g * self.output.reshape(shape).expand(*x.shape) / x
        return g * _others_product(x, self.axis)


def _others_product(x: Tensor, axis: Any) -> Tensor:
    """prod_{j != k} x_j over the axes ``axis`` for every k, written without division."""
    axes = tuple(range(x.ndim)) if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
    rest = tuple(i for i in range(x.ndim) if i not in axes)
    order = rest + axes
    moved = x.permute(*order) if x.ndim else x.reshape(1)
    flat = moved.reshape(tuple(x.shape[i] for i in rest) + (-1,))
    last = flat.ndim - 1
    others = _exclusive_cumprod(flat, last) * _reverse(_exclusive_cumprod(_reverse(flat, last), last), last)
    others = others.reshape(moved.shape)
    if not x.ndim:
        return others.reshape(())
    inverse = [0] * len(order)
    for i, a in enumerate(order):
        inverse[a] = i
    return others.permute(*inverse)


class Cumsum(Function):
    """y_k = sum_{j <= k} x_j along ``axis``."""

    local = "dL/dx_k = sum_{i >= k} dL/dy_i (a reversed running sum)"

    def forward(self, x):
        return self.xp.cumsum(x, axis=self.axis)

    def backward(self, g):
        return _reverse(Cumsum.apply(_reverse(g, self.axis), axis=self.axis), self.axis)


class Cumprod(Function):
    """y_k = prod_{j <= k} x_j along ``axis``.

    Without zeros that is (sum_{i >= k} dL/dy_i y_i) / x_k. With zeros it is computed without
    division: row k of an n x n table holds the running product of x with x_k set to 1
    (n^2 memory along the axis, only when a zero is present).
    """

    local = "dL/dx_k = sum_{i >= k} dL/dy_i prod_{j <= i, j != k} x_j"

    def forward(self, x):
        return self.xp.cumprod(x, axis=self.axis)

    def backward(self, g):
        x, a = self.inputs[0], self.axis
        if x.size == 0:
            return g
        if (x.data != 0).all():
            return _reverse(Cumsum.apply(_reverse(g * self.output, a), axis=a), a) / x
        xp, n = self.xp, x.shape[a]
        moved = x.swapaxes(a, -1).unsqueeze(-2)  # (..., 1, n): one row per k
        eye = xp.eye(n, dtype=bool)
        rows = Where.apply(self.const(xp.ones((), dtype=x.dtype)), moved, cond=eye)  # (..., n, n)
        upper = self.const(xp.triu(xp.ones((n, n), dtype=x.dtype)))  # i >= k
        table = Cumprod.apply(rows, axis=rows.ndim - 1) * upper
        d = (table * g.swapaxes(a, -1).unsqueeze(-2)).sum(-1)
        return d.swapaxes(a, -1)


# ----------------------------------------------------------------------------- products of two tensors


def outer(a: Tensor, b: Tensor) -> Tensor:
    """``out[i, j] = a[i] b[j]`` of the flattened inputs (``numpy.outer``, ``torch.outer``)."""
    return a.reshape(-1, 1) * b.reshape(1, -1)


def kron(a: Tensor, b: Tensor) -> Tensor:
    """The Kronecker product (``numpy.kron``): block (i, j) is ``a[i, j] * b``, in any number of axes.

    Written as a broadcast product a[i, 1, j, 1] b[1, k, 1, l] reshaped to (i k, j l), so its
    derivative is that of the product.
    """
    nd = max(a.ndim, b.ndim)
    a = a.reshape((1,) * (nd - a.ndim) + a.shape)
    b = b.reshape((1,) * (nd - b.ndim) + b.shape)
    prod = a.reshape(tuple(v for n in a.shape for v in (n, 1))) * b.reshape(tuple(v for n in b.shape for v in (1, n)))
    return prod.reshape(tuple(m * n for m, n in zip(a.shape, b.shape)))


def _moveaxis(t: Tensor, src: int, dst: int) -> Tensor:
    order = list(range(t.ndim))
    order.insert(dst % t.ndim, order.pop(src % t.ndim))
    return t.permute(*order) if order != list(range(t.ndim)) else t


def cross(a: Tensor, b: Tensor, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None) -> Tensor:
    """The cross product of 3-vectors along an axis (``numpy.cross``), broadcast over the others.

    A 2-vector is taken as (x, y, 0); two of them give the z component alone, as NumPy does.
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    for name, t, ax in (("a", a, axisa), ("b", b, axisb)):
        if t.ndim == 0 or not -t.ndim <= ax < t.ndim or t.shape[ax] not in (2, 3):
            raise ValueError(f"cross: {name} of shape {t.shape} needs 2 or 3 components along axis {ax}")
    u, v = _moveaxis(a, axisa, -1), _moveaxis(b, axisb, -1)
    ux, uy, vx, vy = u[..., 0], u[..., 1], v[..., 0], v[..., 1]
    z = ux * vy - uy * vx
    if u.shape[-1] == 2 and v.shape[-1] == 2:
        return z
    zero = z * 0.0  # the missing third component of a 2-vector (keeps the broadcast shape)
    uz = u[..., 2] if u.shape[-1] == 3 else zero
    vz = v[..., 2] if v.shape[-1] == 3 else zero
    out = stack_last([uy * vz - uz * vy, uz * vx - ux * vz, z])
    if not -out.ndim <= axisc < out.ndim:
        raise ValueError(f"cross: axisc {axisc} is out of range for a result of {out.ndim} axes")
    return _moveaxis(out, -1, axisc)


def stack_last(parts: list[Tensor]) -> Tensor:
    """Broadcast the parts together and stack them along a new last axis."""
    shape = parts[0].xp.broadcast_shapes(*(p.shape for p in parts))
    return stack([p.expand(*shape) for p in parts], -1)


def vdot(a: Tensor, b: Tensor) -> Tensor:
    """The dot product of the flattened inputs (``numpy.vdot`` for real numbers)."""
    if a.size != b.size:
        raise ValueError(f"vdot: shapes {a.shape} and {b.shape} have different sizes ({a.size} and {b.size})")
    return (a.reshape(-1) * b.reshape(-1)).sum()


def average(
    a: Tensor, axis: Any = None, weights: Tensor | None = None, returned: bool = False, keepdims: bool = False
) -> Any:
    """The weighted mean ``sum(w a) / sum(w)`` over ``axis`` (``numpy.average``), differentiable in
    ``a`` and in ``weights``; ``returned=True`` also gives ``sum(w)`` broadcast to the result."""
    if weights is None:
        avg = a.mean(axis, keepdims)
        if not returned:
            return avg
        return avg, Tensor._make(a.xp.full(avg.shape, a.size / max(avg.size, 1), dtype=avg.dtype), a.device)
    w = weights
    if w.shape != a.shape:
        if axis is None:
            raise TypeError(f"average: weights {w.shape} differ from a {a.shape}, so axis must be given")
        if w.ndim != 1 or not isinstance(axis, int):
            raise TypeError(f"average: 1-D weights {w.shape} need a single int axis (got {axis!r})")
        if not -a.ndim <= axis < a.ndim or w.shape[0] != a.shape[axis]:
            raise ValueError(f"average: weights of length {w.shape[0]} do not match axis {axis} of {a.shape}")
        w = w.reshape(tuple(-1 if i == axis % a.ndim else 1 for i in range(a.ndim)))
    scl = w.expand(*a.shape).sum(axis, keepdims) if w.shape != a.shape else w.sum(axis, keepdims)
    if (scl.data == 0).any():
        raise ZeroDivisionError("average: the weights sum to zero, so they cannot be normalized")
    avg = (a * w).sum(axis, keepdims) / scl
    return (avg, scl.expand(*avg.shape)) if returned else avg
