"""Ops that move values around without changing them: reshape, permute, broadcast, index,
pad, join, copy and cast.

Their derivatives move the gradient back the same way: reshape it back, permute it back,
sum it over broadcast axes, scatter it into the indexed places.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.autograd import Function
from tinygrad_edu.tensor import Tensor

# ----------------------------------------------------------------------------- argument checks


def shape_arg(args: tuple) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def resolve_shape(shape: tuple[int, ...], old: tuple[int, ...], op: str) -> tuple[int, ...]:
    """Fill in one -1 and check that the number of elements is kept."""
    n = 1
    for s in old:
        n *= s
    if shape.count(-1) > 1:
        raise ValueError(f"{op}: only one axis may be -1, got {shape}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or n % known:
            raise ValueError(f"{op}: cannot reshape a tensor of shape {old} ({n} elements) into {shape}")
        shape = tuple(n // known if s == -1 else s for s in shape)
    elif known != n:
        raise ValueError(f"{op}: cannot reshape a tensor of shape {old} ({n} elements) into {shape}")
    return shape


def check_permutation(axes: tuple[int, ...], ndim: int) -> tuple[int, ...]:
    norm = tuple(a % ndim if ndim else a for a in axes)
    if sorted(norm) != list(range(ndim)):
        raise ValueError(f"permute: {axes} is not a permutation of the {ndim} axes")
    return norm


def check_broadcast(old: tuple[int, ...], new: tuple[int, ...], op: str) -> tuple[int, ...]:
    ok = len(new) >= len(old) and all(o in (1, n) for o, n in zip(old[::-1], new[::-1]))
    if not ok:
        raise ValueError(f"{op}: cannot broadcast shape {old} to {new}")
    return new


def normalize_pad(pad_width: Any, ndim: int) -> tuple[tuple[int, int], ...]:
    """``numpy.pad``'s forms: an int, one (before, after) pair, or one pair per axis."""
    if isinstance(pad_width, int):
        pairs = ((pad_width, pad_width),) * ndim
    else:
        pw = tuple(tuple(p) if isinstance(p, (tuple, list)) else p for p in pad_width)
        if len(pw) == 2 and all(isinstance(p, int) for p in pw):
            pairs = (pw,) * ndim
        else:
            pairs = pw
    if len(pairs) != ndim or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise ValueError(f"pad: pad_width {pad_width} does not give one (before, after) >= 0 per axis of {ndim}")
    return tuple((int(a), int(b)) for a, b in pairs)


def to_index(index: Any) -> Any:
    """Replace tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _is_basic(index: Any) -> bool:
    """Basic indexing (ints, slices, None, ...) selects each element at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in parts)


# ----------------------------------------------------------------------------- ops


# Each op is its own Function class with its forward and derivative side by side (the project's
# style, for students): ops of the same form repeat a few lines on purpose, so that each reads alone.
class Reshape(Function):
    """y = x with a new shape."""

    local = "dL/dx = dL/dy reshaped back"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, g):
        return g.reshape(self.inputs[0].shape)


class Permute(Function):
    """y = x with its axes reordered."""

    local = "dL/dx = dL/dy with the inverse order of axes"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, g):
        inverse = [0] * len(self.axes)
        for i, a in enumerate(self.axes):
            inverse[a] = i
        return g.permute(*inverse)


class Expand(Function):
    """y = x broadcast to a larger shape."""

    local = "dL/dx = dL/dy summed over the broadcast axes"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x):
        return self.xp.broadcast_to(x, self.shape)

    def backward(self, g):
        return g.sum_to(self.inputs[0].shape)


class SumTo(Function):
    """y = x summed down to a shape it broadcasts to."""

    local = "dL/dx = dL/dy broadcast back"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x):
        lead = x.ndim - len(self.shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(self.shape) if s == 1 and x.shape[lead + i] != 1
        )
        return x.sum(axis=axes, keepdims=True).reshape(self.shape) if axes else x.reshape(self.shape)

    def backward(self, g):
        return g.expand(*self.inputs[0].shape)


class GetItem(Function):
    """y = x[index]."""

    local = "dL/dx = zeros with dL/dy added at the indexed places"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x):
        return x[self.index]

    def backward(self, g):
        return IndexAdd.apply(g, index=self.index, shape=self.inputs[0].shape)


class IndexAdd(Function):
    """y = zeros(shape) with x added at ``index``."""

    local = "dL/dx = dL/dy[index]"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x):
        out = self.xp.zeros(self.shape, dtype=x.dtype)
        if _is_basic(self.index):
            out[self.index] = x
        else:
            backend.scatter_add(out, self.index, x)
        return out

    def backward(self, g):
        return g[self.index]


class Pad(Function):
    """y = x surrounded by a constant."""

    local = "dL/dx = the middle part of dL/dy"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x):
        return self.xp.pad(x, self.pad_width, constant_values=self.value)

    def backward(self, g):
        return g[tuple(slice(a, g.shape[i] - b) for i, (a, b) in enumerate(self.pad_width))]


class Concatenate(Function):
    """y = the inputs joined along ``axis``."""

    local = "dL/dx_k = the k-th piece of dL/dy"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, *xs):
        return self.xp.concatenate(xs, axis=self.axis)

    def backward(self, g):
        out, start = [], 0
        for x, need in zip(self.inputs, self.needs_input_grad):
            stop = start + x.shape[self.axis]
            index = (slice(None),) * self.axis + (slice(start, stop),)
            out.append(g[index] if need else None)
            start = stop
        return tuple(out)


class Clone(Function):
    """y = a copy of x."""

    local = "dy/dx = 1"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return g


class Cast(Function):
    """y = x in another dtype."""

    local = "dL/dx = dL/dy cast back"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, g):
        return g.to(dtype=self.inputs[0].dtype)


class ToDevice(Function):
    """y = x copied to another device."""

    local = "dL/dx = dL/dy copied back"

    reads_inputs = False  # its rule uses only the inputs' shapes, not their values

    def forward(self, x):
        self.out_device = self.device
        return backend.to_device(x, self.device)

    def backward(self, g):
        return g.to(self.inputs[0].device)


# ----------------------------------------------------------------------------- compositions


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``numpy.concatenate``, ``torch.cat``)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate: need at least one tensor")
    ndim = tensors[0].ndim
    if ndim == 0:
        raise ValueError("concatenate: zero-dimensional tensors cannot be concatenated; use stack")
    if not -ndim <= axis < ndim:
        raise ValueError(f"concatenate: axis {axis} out of range for {ndim} axes")
    axis %= ndim
    for i, t in enumerate(tensors):
        if t.ndim != ndim or any(a != b for j, (a, b) in enumerate(zip(t.shape, tensors[0].shape)) if j != axis):
            raise ValueError(
                f"concatenate: tensor {i} has shape {t.shape}, which does not match "
                f"{tensors[0].shape} outside axis {axis}"
            )
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors of the same shape along a new axis."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: need at least one tensor")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: tensor {i} has shape {t.shape}, expected {tensors[0].shape}")
    n = tensors[0].ndim + 1
    if not -n <= axis < n:
        raise ValueError(f"stack: axis {axis} out of range for {n} axes")
    return concatenate([t.unsqueeze(axis % n) for t in tensors], axis % n)


def split(x: Tensor, size_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """Pieces of ``x`` along ``axis``: of equal ``size`` (an int), or of the listed sizes."""
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"split: axis {axis} out of range for shape {x.shape}")
    axis %= x.ndim
    n = x.shape[axis]
    if isinstance(size_or_sections, int):
        if size_or_sections <= 0:
            raise ValueError(f"split: size must be positive, got {size_or_sections}")
        sizes = [size_or_sections] * (n // size_or_sections) + ([n % size_or_sections] if n % size_or_sections else [])
    else:
        sizes = list(size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} add up to {sum(sizes)}, not {n} (axis {axis} of {x.shape})")
    out, start = [], 0
    for s in sizes:
        out.append(x[(slice(None),) * axis + (slice(start, start + s),)])
        start += s
    return out
