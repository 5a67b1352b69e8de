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

    Without zeros the sum is (sum_{i >= k} dL/dy_i y_i) / x_k. With zeros it is computed without
    dividing by one (see :func:`_cumprod_grad_with_zeros`).
    """

    local = "dL/dx_k = sum_{i >= k} dL/dy_i prod_{j <= i, j != k} x_j"

    def forward(self, x):
        return self.xp.cumprod(x, axis=self.axis)

    def backward(self, g):
        x, a = self.inputs[0], self.axis
        if x.size == 0:
            return g
        if (x.data != 0).all():
            return _reverse_cumsum(g * self.output, a) / x
        return _cumprod_grad_with_zeros(x, g, a)


def _reverse_cumsum(x: Tensor, axis: int) -> Tensor:
    """sum_{i >= k} x_i at k along ``axis``."""
    return _reverse(Cumsum.apply(_reverse(x, axis), axis=axis), axis)


def _cumprod_grad_with_zeros(x: Tensor, g: Tensor, axis: int) -> Tensor:
    """dL/dx of the running product when x has zeros, exactly and without dividing by zero.

    Along each line, let z be the first zero. Before z every x_k is nonzero and the usual
    (sum_{i >= k} dL/dy_i y_i) / x_k holds (y_i = 0 from z on). At z it is sum_{i >= z} dL/dy_i y'_i,
    y' the running product with x_z set to 1. After z every term holds the factor x_z: the
    gradient is x_z times that of the running product of x' (x_z set to 1), the same problem with
    one zero fewer, solved by the next turn of the loop. Written as x_z times (not as 0), the
    result keeps its exact derivative with respect to x_z.
    """
    xp = x.xp
    one = Tensor._make(xp.ones((), dtype=x.dtype), x.device)
    zero = one * 0.0
    live = xp.ones(x.shape, dtype=bool)  # positions whose gradient is not written yet
    cur, scale, out = x, None, None
    while live.any():
        zeros_seen = xp.cumsum(cur.data == 0, axis=axis)
        before = live & (zeros_seen == 0)  # live and before the line's first zero (all live if none)
        first = (cur.data == 0) & (zeros_seen == 1)
        safe = Where.apply(one, cur, cond=cur.data == 0)  # x_k where it is not 0: nothing divides by 0
        part = Where.apply(_reverse_cumsum(g * Cumprod.apply(cur, axis=axis), axis) / safe, zero, cond=before)
        nxt = Where.apply(one, cur, cond=first)  # the first zero set to 1
        if first.any():
            at = _reverse_cumsum(g * Cumprod.apply(nxt, axis=axis), axis)
            part = part + Where.apply(at, zero, cond=first)
        part = part if scale is None else part * scale
        out = part if out is None else out + part
        x_first = (cur * Tensor._make(first.astype(x.dtype), x.device)).sum(axis, keepdims=True)  # x_z (= 0)
        scale = x_first if scale is None else scale * x_first
        live = live & ~before & ~first
        cur = nxt
    return out


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
