"""Sorting and selection: ``sort``, ``partition``, ``take``, ``take_along_axis``, ``diff``,
``select`` and ``choose``, all built on differentiable indexing.

Sorting permutes the values; its derivative sends each output gradient back to the element it
came from. So every op here first finds, without gradient, *which* elements to pick (``argsort``,
``argpartition``, the indices given), then picks them with an index whose derivative scatters the
gradient back (repeated picks accumulate). Ties go to the element the index names, as in PyTorch.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from tinygrad_edu.ops.functions import where
from tinygrad_edu.ops.shape import concatenate, stack
from tinygrad_edu.tensor import Tensor


class SortResult(NamedTuple):
    """``Tensor.sort``'s result, as ``torch.sort``'s: the sorted values and where they came from."""

    values: Tensor
    indices: Tensor


def _axis(axis: int, ndim: int, op: str) -> int:
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor with {ndim} axes")
    return axis % max(ndim, 1)


def _indices(indices: Any, x: Tensor, op: str) -> Any:
    """Integer indices as an array of ``x``'s library."""
    data = indices.data if isinstance(indices, Tensor) else x.xp.asarray(indices)
    if data.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers, got {data.dtype}")
    return data


def take_along_axis(x: Tensor, indices: Any, axis: int | None) -> Tensor:
    """``out[..., k, ...] = x[..., indices[..., k, ...], ...]`` along ``axis`` (``numpy.take_along_axis``,
    ``torch.take_along_dim``); the other axes broadcast. ``axis=None`` works on the flattened x."""
    idx = _indices(indices, x, "take_along_axis")
    if axis is None:
        if idx.ndim != 1:
            raise ValueError(f"take_along_axis: with axis=None the indices must be 1-D, got shape {idx.shape}")
        return x.reshape(-1)[idx]
    axis = _axis(axis, x.ndim, "take_along_axis")
    if idx.ndim != x.ndim:
        raise ValueError(f"take_along_axis: indices of shape {idx.shape} need as many axes as x {x.shape}")
    index = tuple(
        idx if d == axis else x.xp.arange(n).reshape(tuple(-1 if e == d else 1 for e in range(x.ndim)))
        for d, n in enumerate(x.shape)
    )
    return x[index]


def argsort(x: Tensor, axis: int | None = -1, descending: bool = False) -> Tensor:
    """The stable order that sorts ``x`` along ``axis`` (``None``: flattened; NaN last, or first
    when descending), as an int64 tensor (no gradient)."""
    xp = x.xp
    if x.ndim == 0:
        return Tensor._make(xp.zeros((), dtype="int64"), x.device)
    data, a = (x.data.reshape(-1), 0) if axis is None else (x.data, _axis(axis, x.ndim, "argsort"))
    if not descending:
        return Tensor._make(xp.argsort(data, axis=a, kind="stable"), x.device)
    # stable and descending: sort the reversed values, then reverse the order (equal values keep theirs)
    order = xp.argsort(xp.flip(data, axis=a), axis=a, kind="stable")
    return Tensor._make(xp.flip(data.shape[a] - 1 - order, axis=a), x.device)


def sort(x: Tensor, axis: int | None = -1, descending: bool = False) -> SortResult:
    """The values of ``x`` sorted along ``axis`` (``axis=None``: flattened), and their indices.

    dL/dx: each output gradient goes back to the element it came from (ties: to the element
    the stable order picked, as PyTorch).
    """
    if axis is None:
        x, axis = x.reshape(-1), 0
    order = argsort(x, axis, descending)
    if x.ndim == 0:  # torch.sort of a 0-d tensor: the tensor itself
        return SortResult(x * 1.0, order)
    return SortResult(take_along_axis(x, order, axis), order)


def partition(x: Tensor, kth: Any, axis: int | None = -1) -> Tensor:
    """``numpy.partition``: the k-th element(s) in sorted place, smaller ones before, larger after."""
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = _axis(axis, x.ndim, "partition")
    if x.ndim == 0:
        raise ValueError("partition: a 0-d array cannot be partitioned")
    try:
        order = x.xp.argpartition(x.data, kth, axis=axis)
    except ValueError as e:
        raise ValueError(f"partition: kth={kth!r} does not fit axis {axis} of shape {x.shape}: {e}") from None
    return take_along_axis(x, order, axis)


def take(x: Tensor, indices: Any, axis: int | None = None, mode: str = "raise") -> Tensor:
    """``numpy.take``: elements of the flattened ``x`` (``axis=None``) or slices along ``axis``;
    ``mode`` ``"wrap"`` or ``"clip"`` maps out-of-range indices back in."""
    idx = _indices(indices, x, "take")
    flat = x.reshape(-1) if axis is None else x
    axis = 0 if axis is None else _axis(axis, x.ndim, "take")
    n = flat.shape[axis] if flat.ndim else 1
    if mode == "wrap":
        idx = idx % n if n else idx
    elif mode == "clip":
        idx = idx.clip(0, n - 1) if n else idx
    elif mode != "raise":
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        raise IndexError(f"take: an index is out of range for axis {axis} of size {n} (shape {x.shape})")
    return flat[(slice(None),) * axis + (idx,)]


def diff(x: Tensor, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
    """The n-th forward difference ``out[i] = x[i + 1] - x[i]`` along ``axis`` (``numpy.diff``),
    optionally after joining ``prepend`` and ``append`` (broadcast across the other axes)."""
    if n < 0:
        raise ValueError(f"diff: order n must be non-negative, got {n}")
    if n == 0:
        return x
    if x.ndim == 0:
        raise ValueError("diff: needs at least one axis, got a 0-d array")
    axis = _axis(axis, x.ndim, "diff")
    parts = []
    for extra in (prepend, x, append):
        if extra is None:
            continue
        e = x._lift(extra)
        if e.ndim == 0:
            e = e.expand(*(1 if d == axis else s for d, s in enumerate(x.shape)))
        parts.append(e)
    out = concatenate(parts, axis) if len(parts) > 1 else x
    head = (slice(None),) * axis
    for _ in range(n):
        out = out[head + (slice(1, None),)] - out[head + (slice(None, -1),)]
    return out


def select(condlist: list[Any], choicelist: list[Any], default: Any = 0) -> Tensor:
    """``numpy.select``: element by element, the choice of the first condition that holds, else
    ``default``; differentiable in the choices and the default."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: {len(condlist)} conditions but {len(choicelist)} choices")
    like = next(c for c in [*choicelist, default] if isinstance(c, Tensor))
    out = like._lift(default)
    for cond, choice in zip(reversed(condlist), reversed(choicelist)):
        out = where(cond, like._lift(choice), out)
    return out


def choose(a: Any, choices: list[Any], mode: str = "raise") -> Tensor:
    """``numpy.choose``: ``out[i] = choices[a[i]][i]``, all broadcast together; differentiable in
    the choices (``a`` holds integer indices)."""
    like = next(c for c in choices if isinstance(c, Tensor))
    ts = [like._lift(c) for c in choices]
    idx = _indices(a, like, "choose")
    shape = like.xp.broadcast_shapes(idx.shape, *(t.shape for t in ts))
    n = len(ts)
    if mode == "wrap":
        idx = idx % n
    elif mode == "clip":
        idx = idx.clip(0, n - 1)
    elif mode != "raise":
        raise ValueError(f"choose: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise ValueError(f"choose: an index is outside [0, {n}) for {n} choices")
    stacked = stack([t.expand(*shape) for t in ts], 0)
    picks = like.xp.broadcast_to(idx, shape)[None]
    return take_along_axis(stacked, picks, 0)[0]
