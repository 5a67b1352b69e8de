"""NumPy's shape, packing and matrix-structure functions for :mod:`tinygrad_edu.numpy`: each is
differentiable when its array is a Tensor (or a list holding tensors) and NumPy's own otherwise.
The Tensor side is in :mod:`tinygrad_edu.ops.layout` and :mod:`tinygrad_edu.ops.matrix`.
"""

from __future__ import annotations

from typing import Any

import tinygrad_edu.numpy as _tnp
from tinygrad_edu import backend
from tinygrad_edu.ops import layout as _lay
from tinygrad_edu.ops import matrix as _mat
from tinygrad_edu.ops import shape as _S
from tinygrad_edu.tensor import Tensor

_np = backend.xp("cpu")

__all__ = [
    "diag",
    "diagonal",
    "trace",
    "tril",
    "triu",
    "split",
    "array_split",
    "hsplit",
    "vsplit",
    "dsplit",
    "append",
    "column_stack",
    "row_stack",
    "dstack",
    "pad",
    "repeat",
    "tile",
    "roll",
    "flip",
    "fliplr",
    "flipud",
    "rot90",
    "moveaxis",
    "rollaxis",
    "swapaxes",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "squeeze",
    "expand_dims",
    "ravel",
    "broadcast_to",
]


def _t(a: Any) -> Any:
    return _tnp._tensor(a)


def _one(name: str, tensor_fn: Any, doc: str):
    """A NumPy function of one array (and plain parameters) that differentiates for Tensors."""
    np_fn = getattr(_np, name)

    def fn(a: Any, *args: Any, **kw: Any) -> Any:
        a = _t(a)
        return tensor_fn(a, *args, **kw) if isinstance(a, Tensor) else np_fn(a, *args, **kw)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}``, differentiable for Tensors: {doc}."
    return fn


diag = _one("diag", _mat.diag, "a vector onto the k-th diagonal, or a matrix's k-th diagonal")
diagonal = _one("diagonal", _mat.diagonal, "the gradient goes back onto the diagonal")
trace = _one("trace", _mat.trace, "the sum of the diagonal; its gradient is the identity")
tril = _one("tril", _mat.tril, "the gradient is the lower triangle of dL/dy")
triu = _one("triu", _mat.triu, "the gradient is the upper triangle of dL/dy")
flip = _one("flip", _lay.flip, "the gradient is flipped back")
fliplr = _one("fliplr", _lay.fliplr, "flip along axis 1")
flipud = _one("flipud", _lay.flipud, "flip along axis 0")
rot90 = _one("rot90", _lay.rot90, "the gradient is rotated back")
moveaxis = _one("moveaxis", _lay.moveaxis, "a permutation of the axes")
rollaxis = _one("rollaxis", _lay.rollaxis, "a permutation of the axes")
tile = _one("tile", _lay.tile, "the gradient sums over the copies")
ravel = _one("ravel", lambda a, order="C": _c_order(a, order, "ravel").reshape(-1), "the values as a 1-D array")
broadcast_to = _one(
    "broadcast_to",
    lambda a, shape: a.expand((shape,) if isinstance(shape, int) else tuple(shape)),
    "the gradient sums over the broadcast axes",
)


def _c_order(a: Tensor, order: str, op: str) -> Tensor:
    if order not in ("C", "K", "A"):
        raise ValueError(f"tinygrad_edu.numpy.{op}: only C order is supported for Tensors, got order={order!r}")
    return a


def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    """``numpy.swapaxes``, differentiable for Tensors."""
    a = _t(a)
    return a.swapaxes(axis1, axis2) if isinstance(a, Tensor) else _np.swapaxes(a, axis1, axis2)


def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    """``numpy.roll``; for Tensors the gradient is rolled back."""
    a = _t(a)
    return _lay.roll(a, shift, axis) if isinstance(a, Tensor) else _np.roll(a, shift, axis)


def repeat(a: Any, repeats: Any, axis: int | None = None) -> Any:
    """``numpy.repeat``; for Tensors the gradient adds up over the copies of each element."""
    a = _t(a)
    return _lay.repeat(a, repeats, axis) if isinstance(a, Tensor) else _np.repeat(a, repeats, axis)


def pad(array: Any, pad_width: Any, mode: str = "constant", **kw: Any) -> Any:
    """``numpy.pad``; for Tensors the modes constant (``constant_values`` as NumPy's), edge,
    reflect, symmetric and wrap, whose gradients add up at the places each border copies."""
    a = _t(array)
    if not isinstance(a, Tensor):
        return _np.pad(a, pad_width, mode, **kw)
    value = kw.pop("constant_values", 0.0)
    if kw:
        raise TypeError(f"tinygrad_edu.numpy.pad: {sorted(kw)} not supported for Tensors (mode {mode!r})")
    return _lay.pad(a, pad_width, mode, value)


def squeeze(a: Any, axis: Any = None) -> Any:
    """``numpy.squeeze``: an axis named in ``axis`` must have length 1 (PyTorch would skip it)."""
    a = _t(a)
    if not isinstance(a, Tensor):
        return _np.squeeze(a, axis)
    if axis is not None:
        for ax in (axis,) if isinstance(axis, int) else axis:
            if not -a.ndim <= ax < a.ndim or a.shape[ax] != 1:
                raise ValueError(f"squeeze: axis {ax} of shape {a.shape} does not have length 1")
    return a.squeeze(axis)


def expand_dims(a: Any, axis: Any) -> Any:
    """``numpy.expand_dims``: new axes of length 1 at the positions ``axis`` (int or tuple)."""
    a = _t(a)
    if not isinstance(a, Tensor):
        return _np.expand_dims(a, axis)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    nd = a.ndim + len(axes)
    pos = sorted(ax % nd if -nd <= ax < nd else nd for ax in axes)
    if pos and (pos[-1] >= nd or len(set(pos)) != len(pos)):
        raise ValueError(f"expand_dims: axis {axis} out of range or repeated for {nd} axes")
    shape, it = [], iter(a.shape)
    for i in range(nd):
        shape.append(1 if i in pos else next(it))
    return a.reshape(tuple(shape))


def _atleast(n: int):
    np_fn = getattr(_np, f"atleast_{n}d")

    def fn(*arys: Any) -> Any:
        if not _tnp._has_tensor(arys):
            return np_fn(*arys)
        like = _tnp._first_tensor(arys)
        out = [_lay.atleast(_tnp._lift(a, like), n) for a in arys]
        return out[0] if len(out) == 1 else out

    fn.__name__ = fn.__qualname__ = f"atleast_{n}d"
    fn.__doc__ = f"``numpy.atleast_{n}d``, differentiable for Tensors (a reshape)."
    return fn


atleast_1d, atleast_2d, atleast_3d = _atleast(1), _atleast(2), _atleast(3)


def _splitter(name: str, axis_of: Any, equal: bool):
    np_fn = getattr(_np, name)

    def fn(ary: Any, indices_or_sections: Any, *args: Any, **kw: Any) -> Any:
        a = _t(ary)
        if not isinstance(a, Tensor):
            return np_fn(a, indices_or_sections, *args, **kw)
        axis = axis_of(a, *args, **kw)
        return _lay.array_split(a, indices_or_sections, axis, equal=equal)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}``, differentiable for Tensors: each part is a slice."
    return fn


def _need(n: int, op: str, axis: int):
    def axis_of(a: Tensor) -> int:
        if a.ndim < n:
            raise ValueError(f"{op}: needs at least {n} axes, got shape {a.shape}")
        return axis

    return axis_of


split = _splitter("split", lambda a, axis=0: axis, True)
array_split = _splitter("array_split", lambda a, axis=0: axis, False)
hsplit = _splitter("hsplit", lambda a: _need(1, "hsplit", 1)(a) if a.ndim > 1 else _need(1, "hsplit", 0)(a), True)
vsplit = _splitter("vsplit", _need(2, "vsplit", 0), True)
dsplit = _splitter("dsplit", _need(3, "dsplit", 2), True)


def _tensors(arrays: Any) -> list[Tensor]:
    like = _tnp._first_tensor(arrays)
    return [_tnp._lift(a, like) for a in arrays]


def append(arr: Any, values: Any, axis: int | None = None) -> Any:
    """``numpy.append``: ``values`` after ``arr`` (both flattened when ``axis`` is None)."""
    if not _tnp._has_tensor(arr, values):
        return _np.append(arr, values, axis)
    a, v = _tensors([arr, values])
    if axis is None:
        return _S.concatenate([a.reshape(-1), v.reshape(-1)], 0)
    return _S.concatenate([a, v], axis)


def column_stack(tup: Any) -> Any:
    """``numpy.column_stack``: 1-D arrays become columns, then join along axis 1."""
    tup = list(tup)
    if not _tnp._has_tensor(tup):
        return _np.column_stack(tup)
    return _S.concatenate([t.reshape(-1, 1) if t.ndim < 2 else t for t in _tensors(tup)], 1)


def row_stack(tup: Any) -> Any:
    """``numpy.row_stack`` (``vstack``): 1-D arrays become rows, then join along axis 0."""
    return _tnp.vstack(tup)


def dstack(tup: Any) -> Any:
    """``numpy.dstack``: each array made at least 3-D, then joined along axis 2."""
    tup = list(tup)
    if not _tnp._has_tensor(tup):
        return _np.dstack(tup)
    return _S.concatenate([_lay.atleast(t, 3) for t in _tensors(tup)], 2)
