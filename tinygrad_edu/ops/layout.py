"""Rearranging elements: flip, roll, rotate, repeat, tile, move axes, pad by mode, split, and
NumPy's ``atleast_nd``, composed from the ops of :mod:`.shape` (index, reshape, permute, expand,
join).

Each is exact as a composition and so inherits its derivative: an index sends the gradient back
to the places it read (adding where it read one place twice: ``repeat``, ``pad`` by edge or
reflection), ``expand`` sums it (``tile``), ``permute`` and ``reshape`` move it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.ops.reduce import normalize_axis
from tinygrad_edu.ops.shape import concatenate, normalize_pad
from tinygrad_edu.tensor import Tensor

_host = backend.xp("cpu")  # host NumPy, for index arithmetic on shapes


def _axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    a = normalize_axis(axis, ndim, op)
    return tuple(range(ndim)) if a is None else (a,) if isinstance(a, int) else a


def _along(axis: int, index: Any) -> tuple:
    return (slice(None),) * axis + (index,)


def _take(x: Tensor, axis: int, index: Any) -> Tensor:
    """``x`` indexed along one axis by host integers (moved to ``x``'s device)."""
    return x[_along(axis, backend.to_device(_host.asarray(index, dtype=_host.int64), x.device))]


def flip(x: Tensor, axis: Any = None) -> Tensor:
    """The elements in reverse order along ``axis`` (all axes when None)."""
    axes = _axes(axis, x.ndim, "flip")
    if not axes:
        return x[()]
    return x[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))]


def fliplr(x: Tensor) -> Tensor:
    if x.ndim < 2:
        raise ValueError(f"fliplr: needs at least two axes, got shape {x.shape}")
    return flip(x, 1)


def flipud(x: Tensor) -> Tensor:
    if x.ndim < 1:
        raise ValueError("flipud: needs at least one axis, got a 0-d tensor")
    return flip(x, 0)


def roll(x: Tensor, shift: Any, axis: Any = None) -> Tensor:
    """Elements shifted by ``shift`` places along ``axis``, wrapping around (``numpy.roll``);
    without ``axis`` the flattened tensor is rolled."""
    if axis is None:
        return roll(x.reshape(-1), shift, 0).reshape(x.shape)
    shifts = (shift,) if isinstance(shift, int) else tuple(shift)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if len(shifts) == 1 and len(axes) > 1:
        shifts = shifts * len(axes)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: {len(shifts)} shifts for {len(axes)} axes")
    total: dict[int, int] = {}
    for s, a in zip(shifts, axes):
        a = normalize_axis(a, x.ndim, "roll")
        total[a] = total.get(a, 0) + int(s)
    for a, s in total.items():
        n = x.shape[a]
        k = s % n if n else 0
        if k:
            x = concatenate([x[_along(a, slice(n - k, None))], x[_along(a, slice(0, n - k))]], a)
    return x


def moveaxis(x: Tensor, source: Any, destination: Any) -> Tensor:
    """Axes ``source`` moved to positions ``destination``, the others keeping their order."""
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source} and destination {destination} differ in length")
    src = tuple(normalize_axis(a, x.ndim, "moveaxis") for a in src)
    dst = tuple(normalize_axis(a, x.ndim, "moveaxis") for a in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"moveaxis: repeated axis in {source} or {destination}")
    order = [i for i in range(x.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return x.permute(*order)


def rollaxis(x: Tensor, axis: int, start: int = 0) -> Tensor:
    """``numpy.rollaxis``: move ``axis`` until it lies before position ``start``."""
    axis = normalize_axis(axis, x.ndim, "rollaxis")
    if not -x.ndim <= start <= x.ndim:
        raise ValueError(f"rollaxis: start {start} out of range for {x.ndim} axes")
    if start < 0:
        start += x.ndim
    if axis < start:
        start -= 1
    order = [i for i in range(x.ndim) if i != axis]
    order.insert(start, axis)
    return x.permute(*order)


def rot90(x: Tensor, k: int = 1, axes: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``, from the first towards the second."""
    if len(axes) != 2:
        raise ValueError(f"rot90: axes must be two axes, got {axes}")
    a0, a1 = (normalize_axis(a, x.ndim, "rot90") for a in axes)
    if a0 == a1:
        raise ValueError(f"rot90: the two axes must differ, got {axes}")
    k %= 4
    if k == 0:
        return x[()]
    if k == 2:
        return flip(flip(x, a0), a1)
    if k == 1:
        return flip(x, a1).swapaxes(a0, a1)
    return flip(x.swapaxes(a0, a1), a1)


def repeat(x: Tensor, repeats: Any, axis: int | None = None) -> Tensor:
    """Each element repeated ``repeats`` times along ``axis`` (``numpy.repeat``, PyTorch's
    ``repeat_interleave``); ``repeats`` an int or one count per element; no axis: flattened."""
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = normalize_axis(axis, x.ndim, "repeat")
    n = x.shape[axis]
    counts = _host.asarray(repeats.numpy() if isinstance(repeats, Tensor) else repeats)
    if counts.size == 0:
        counts = counts.astype(_host.int64)
    if counts.dtype.kind not in "iu" or (counts.ndim == 1 and counts.shape[0] != n) or counts.ndim > 1:
        raise ValueError(f"repeat: repeats must be an int or {n} ints (axis {axis} of {x.shape}), got {repeats}")
    if (counts < 0).any():
        raise ValueError(f"repeat: repeats must not be negative, got {repeats}")
    return _take(x, axis, _host.repeat(_host.arange(n), counts))


def tile(x: Tensor, reps: Any) -> Tensor:
    """``x`` repeated as whole blocks ``reps`` times along each axis (``numpy.tile``)."""
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: reps must not be negative, got {reps}")
    nd = max(x.ndim, len(reps))
    shape = (1,) * (nd - x.ndim) + tuple(x.shape)
    reps = (1,) * (nd - len(reps)) + reps
    interleaved = tuple(d for s in shape for d in (1, s))
    expanded = tuple(d for r, s in zip(reps, shape) for d in (r, s))
    return x.reshape(interleaved).expand(*expanded).reshape(tuple(r * s for r, s in zip(reps, shape)))


_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def pad(x: Tensor, pad_width: Any, mode: str = "constant", constant_values: Any = 0.0) -> Tensor:
    """``numpy.pad`` with ``mode`` ``"constant"``, ``"edge"``, ``"reflect"``, ``"symmetric"`` or
    ``"wrap"``: the other modes read each border element from a place inside, so they are an
    index whose gradient adds up at the places read. ``constant_values`` as NumPy's: a number, a
    (before, after) pair, or one pair per axis (later axes fill the corners, as in NumPy)."""
    if mode == "constant":
        return _pad_constant(x, normalize_pad(pad_width, x.ndim), constant_values)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}, got {mode!r}")
    widths = normalize_pad(pad_width, x.ndim)
    for axis, (before, after) in enumerate(widths):
        n = x.shape[axis]
        if before or after:
            if n == 0:
                raise ValueError(f"pad: mode {mode!r} cannot pad the empty axis {axis} of {x.shape}")
            x = _take(x, axis, _host.pad(_host.arange(n), (before, after), mode=mode))
    return x


def _pad_constant(x: Tensor, widths: tuple[tuple[int, int], ...], constant_values: Any) -> Tensor:
    try:
        values = _host.broadcast_to(_host.asarray(constant_values, dtype=float), (x.ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: constant_values {constant_values} does not give one (before, after) pair per axis of {x.shape}"
        ) from None
    if values.size == 0 or (values == values.flat[0]).all():  # one value: the Pad op
        return x.pad(widths, float(values.flat[0]) if values.size else 0.0)
    for axis, ((before, after), (v_before, v_after)) in enumerate(zip(widths, values)):
        parts = []
        for width, value in ((before, v_before), (0, None), (after, v_after)):
            if value is None:
                parts.append(x)
            elif width:
                shape = x.shape[:axis] + (width,) + x.shape[axis + 1 :]
                parts.append(Tensor._make(x.xp.full(shape, value, dtype=x.dtype), x.device))
        x = concatenate(parts, axis) if len(parts) > 1 else x
    return x


def atleast(x: Tensor, ndim: int) -> Tensor:
    """``numpy.atleast_1d/2d/3d``: a 0-d tensor becomes (1,), (1, 1), (1, 1, 1); a vector a row
    (1, N) or (1, N, 1); a matrix (M, N, 1)."""
    if x.ndim >= ndim:
        return x
    if ndim == 3 and x.ndim == 2:
        return x.reshape(x.shape + (1,))
    if x.ndim == 0:
        return x.reshape((1,) * ndim)
    return x.reshape((1,) + tuple(x.shape) + ((1,) if ndim == 3 else ()))


def array_split(x: Tensor, indices_or_sections: Any, axis: int = 0, equal: bool = False) -> list[Tensor]:
    """``numpy.array_split`` (``equal=True``: ``numpy.split``, which needs equal parts): an int
    N gives N parts, the first ``n % N`` one longer; a list gives the cut points."""
    axis = normalize_axis(axis, x.ndim, "split") if x.ndim else None
    if axis is None:
        raise ValueError("split: a 0-d tensor cannot be split")
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        parts = indices_or_sections
        if parts <= 0:
            raise ValueError(f"split: the number of sections must be positive, got {parts}")
        if equal and n % parts:
            raise ValueError(f"split: axis {axis} of length {n} does not divide into {parts} equal parts")
        size, extra = divmod(n, parts)
        cuts = [i * size + min(i, extra) for i in range(parts + 1)]
    else:
        cuts = [0] + [int(i) for i in indices_or_sections] + [n]
    return [x[_along(axis, slice(a, b))] for a, b in zip(cuts[:-1], cuts[1:])]
