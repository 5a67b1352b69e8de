"""Reductions over axes: sum, max, and the softmax family.

The gradient of a reduction is spread back over the axes it removed: every element of a sum
gets the full output gradient; only the maximal elements of a max get theirs.
"""

from __future__ import annotations

from collections.abc import Sequence

from tinygrad_edu.autograd import Function
from tinygrad_edu.ops.unary import LocalSlope, Where


def normalize_axis(axis: int | Sequence[int] | None, ndim: int, op: str) -> int | tuple[int, ...] | None:
    """Check ``axis`` against ``ndim`` and make it non-negative (a tuple stays a sorted tuple)."""
    if axis is None:
        return None
    many = not isinstance(axis, int)
    axes = tuple(axis) if many else (axis,)
    out = []
    for a in axes:
        if not isinstance(a, int) or not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} axes")
        out.append(a % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(out)) if many else out[0]


def count(shape: tuple[int, ...], axis: int | tuple[int, ...] | None) -> int:
    """How many elements each output of a reduction over ``axis`` sums."""
    axes = range(len(shape)) if axis is None else (axis,) if isinstance(axis, int) else axis
    n = 1
    for a in axes:
        n *= shape[a] if shape else 1
    return n


def _keepdims_shape(shape: tuple[int, ...], axis) -> tuple[int, ...]:
    axes = range(len(shape)) if axis is None else (axis,) if isinstance(axis, int) else axis
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Function):
    """y = sum of x over ``axis``."""

    local = "dL/dx = dL/dy copied along the summed axes"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x):
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, g):
        x = self.inputs[0]
        if not self.keepdims:
            g = g.reshape(_keepdims_shape(x.shape, self.axis))
        return g.expand(*x.shape)


class Max(Function):
    """y = max of x over ``axis``.

    PyTorch's conventions (``amax``, and ``max()`` of the whole tensor): ties share dL/dy evenly;
    where the maximum is NaN, dL/dy goes to the NaN elements (shared evenly), so the finite ones
    get 0, not NaN. (PyTorch's ``amax`` over an axis gives NaN to a whole row holding a NaN; its
    ``max(dim)`` and ``max()`` give it to the NaN, as here.)
    """

    local = "dL/dx = dL/dy at the maximal elements (shared on ties), else 0"

    def forward(self, x):
        if count(x.shape, self.axis) == 0:  # an empty tensor is fine as long as each max has elements
            raise ValueError(f"max: the reduced axes of shape {x.shape} are empty, so the maximum has no value")
        return x.max(axis=self.axis, keepdims=self.keepdims)

    def backward(self, g):
        x = self.inputs[0]
        shape = _keepdims_shape(x.shape, self.axis)
        y = self.output.data.reshape(shape)
        hit = x.data == y
        if (y != y).any():  # a NaN maximum: the NaN elements of its row are the maximal ones
            hit |= (x.data != x.data) & (y != y)
        share = hit.astype(g.dtype)
        share /= share.sum(axis=self.axis, keepdims=True)
        return LocalSlope.apply(g.reshape(shape).expand(*x.shape), x, slope=share)


class Std(Function):
    """s = sqrt(v), the standard deviation from the variance v.

    PyTorch's convention at zero spread (all values equal, or a single one): s = 0 and the
    gradient is 0 there, not the infinite 1/(2s) times 0 = NaN of a plain square root.
    """

    local = "ds/dv = 1 / (2 s), and 0 where s = 0"

    def forward(self, v):
        return self.xp.sqrt(v)

    def backward(self, g):
        s = self.output
        zero = s.data == 0
        if not zero.any():
            return g / (s * 2.0)
        safe = Where.apply(self.const(self.xp.ones_like(s.data)), s, cond=zero)  # 1 where s = 0
        return Where.apply(self.const(self.xp.zeros_like(s.data)), g / (safe * 2.0), cond=zero)


class SoftmaxOp(Function):
    """y_i = e^(x_i) / sum_j e^(x_j)."""

    local = "dL/dx = y * (dL/dy - sum_j dL/dy_j y_j)"

    def forward(self, x):
        if x.size == 0:  # nothing to normalise (numpy's max refuses empty axes)
            return self.xp.zeros_like(x)
        e = self.xp.exp(x - x.max(axis=self.axis, keepdims=True))
        return e / e.sum(axis=self.axis, keepdims=True)

    def backward(self, g):
        y = self.output
        return y * (g - (g * y).sum(self.axis, keepdims=True))


class LogSoftmaxOp(Function):
    """y_i = x_i - log sum_j e^(x_j)."""

    local = "dL/dx = dL/dy - softmax(x) * sum_j dL/dy_j"

    def forward(self, x):
        if x.size == 0:
            return self.xp.zeros_like(x)
        shifted = x - x.max(axis=self.axis, keepdims=True)
        return shifted - self.xp.log(self.xp.exp(shifted).sum(axis=self.axis, keepdims=True))

    def backward(self, g):
        return g - self.output.exp() * g.sum(self.axis, keepdims=True)
