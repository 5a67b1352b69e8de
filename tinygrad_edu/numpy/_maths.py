"""The NumPy functions of issue 15 (elementwise maths, products, running totals, sorting and
selection) for :mod:`tinygrad_edu.numpy`, with NumPy's signatures.

As everywhere in the namespace: with a Tensor among the arguments the Tensor op runs and the
derivative is recorded (the rules are in ``tinygrad_edu/ops/elementwise.py``, ``products.py``,
``einsum.py`` and ``sorting.py``); with plain arrays NumPy runs.
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.numpy import _binary, _has_tensor, _lift, _no_tensor_kwargs, _tensor, _unary
from tinygrad_edu.ops import einsum as _E
from tinygrad_edu.ops import products as _P
from tinygrad_edu.ops import sorting as _O
from tinygrad_edu.tensor import Tensor

_np = backend.xp("cpu")
_NO = object()  # "not given", where NumPy's own default is a private sentinel

# --------------------------------------------------------------------------- elementwise

expm1 = _unary("expm1", Tensor.expm1, "e**x - 1, accurate for small x")
exp2 = _unary("exp2", Tensor.exp2, "2**x")
log2 = _unary("log2", Tensor.log2, "the base-2 logarithm")
log10 = _unary("log10", Tensor.log10, "the base-10 logarithm")
arcsin = _unary("arcsin", Tensor.arcsin, "d/dx = 1 / sqrt(1 - x**2), inf at +-1")
arccos = _unary("arccos", Tensor.arccos, "d/dx = -1 / sqrt(1 - x**2), -inf at +-1")
arctan = _unary("arctan", Tensor.arctan, "d/dx = 1 / (1 + x**2)")
sinh = _unary("sinh", Tensor.sinh, "d/dx = cosh x")
cosh = _unary("cosh", Tensor.cosh, "d/dx = sinh x")
arcsinh = _unary("arcsinh", Tensor.arcsinh, "d/dx = 1 / sqrt(x**2 + 1)")
arccosh = _unary("arccosh", Tensor.arccosh, "d/dx = 1 / sqrt(x**2 - 1), inf at 1")
arctanh = _unary("arctanh", Tensor.arctanh, "d/dx = 1 / (1 - x**2)")
deg2rad = _unary("deg2rad", Tensor.deg2rad, "x pi / 180")
rad2deg = _unary("rad2deg", Tensor.rad2deg, "x 180 / pi")
radians = _unary("radians", Tensor.deg2rad, "x pi / 180")
degrees = _unary("degrees", Tensor.rad2deg, "x 180 / pi")
sinc = _unary("sinc", Tensor.sinc, "sin(pi x) / (pi x); the derivative at 0 is 0 (PyTorch's rule)")
fabs = _unary("fabs", Tensor.abs, "|x|; the derivative at 0 is 0 (PyTorch's rule)")

arctan2 = _binary("arctan2", lambda x, y: _lift(x, y).arctan2(y), "the angle of (x2, x1); NaN derivative at the origin")
hypot = _binary("hypot", lambda x, y: _lift(x, y).hypot(y), "sqrt(x**2 + y**2); NaN derivative at the origin")
fmax = _binary("fmax", lambda x, y: _lift(x, y).fmax(y), "the larger, NaN ignored; ties send the gradient to x")
fmin = _binary("fmin", lambda x, y: _lift(x, y).fmin(y), "the smaller, NaN ignored; ties send the gradient to x")
mod = _binary("mod", lambda x, y: _lift(x, y).remainder(y), "x - floor(x / y) y; d/dy = -floor(x / y)")
remainder = _binary("remainder", lambda x, y: _lift(x, y).remainder(y), "x - floor(x / y) y")
fmod = _binary("fmod", lambda x, y: _lift(x, y).fmod(y), "x - trunc(x / y) y; d/dy = -trunc(x / y)")
logaddexp = _binary("logaddexp", lambda x, y: _lift(x, y).logaddexp(y), "log(e**x + e**y)")
logaddexp2 = _binary("logaddexp2", lambda x, y: _lift(x, y).logaddexp2(y), "log2(2**x + 2**y)")


def nan_to_num(x: Any, copy: bool = True, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None):
    """``numpy.nan_to_num``; for Tensors the gradient is 0 where a value was replaced (PyTorch's rule)."""
    x = _tensor(x)
    if isinstance(x, Tensor):
        return x.nan_to_num(nan, posinf, neginf)
    return _np.nan_to_num(x, copy=copy, nan=nan, posinf=posinf, neginf=neginf)


# --------------------------------------------------------------------------- products and running totals


def prod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, **kw: Any) -> Any:
    """``numpy.prod``; for Tensors exact derivatives also with one or several zeros (as PyTorch)."""
    a = _tensor(a)
    if isinstance(a, Tensor):
        _no_tensor_kwargs("prod", dtype=dtype, out=out, **kw)
        return a.prod(axis, keepdims)
    return _np.prod(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, **kw)


def cumsum(a: Any, axis: int | None = None, dtype: Any = None, out: Any = None) -> Any:
    """``numpy.cumsum`` (``axis=None``: of the flattened values); dL/dx is a reversed running sum."""
    a = _tensor(a)
    if isinstance(a, Tensor):
        _no_tensor_kwargs("cumsum", dtype=dtype, out=out)
        return a.cumsum(axis)
    return _np.cumsum(a, axis=axis, dtype=dtype, out=out)


def cumprod(a: Any, axis: int | None = None, dtype: Any = None, out: Any = None) -> Any:
    """``numpy.cumprod``; for Tensors exact derivatives also with zeros."""
    a = _tensor(a)
    if isinstance(a, Tensor):
        _no_tensor_kwargs("cumprod", dtype=dtype, out=out)
        return a.cumprod(axis)
    return _np.cumprod(a, axis=axis, dtype=dtype, out=out)


def einsum(*operands: Any, out: Any = None, optimize: Any = False, **kw: Any) -> Any:
    """``numpy.einsum``, every form NumPy accepts; differentiable in every Tensor operand."""
    if not _has_tensor(operands):
        return _np.einsum(*operands, out=out, optimize=optimize, **kw)
    _no_tensor_kwargs("einsum", out=out, **kw)
    return _E.einsum(*[_tensor(o) if isinstance(o, (list, tuple)) and _has_tensor(o) else o for o in operands])


def _pair(a: Any, b: Any) -> tuple[Tensor, Tensor] | None:
    a, b = _tensor(a), _tensor(b)
    if not (isinstance(a, Tensor) or isinstance(b, Tensor)):
        return None
    like = a if isinstance(a, Tensor) else b
    return _lift(a, like), _lift(b, like)


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """``numpy.tensordot``: sum of products over ``axes`` (an int N, or a pair of axis lists)."""
    pair = _pair(a, b)
    return _np.tensordot(a, b, axes) if pair is None else _E.tensordot(*pair, axes)


def inner(a: Any, b: Any) -> Any:
    """``numpy.inner``: the sum of products over the last axes."""
    pair = _pair(a, b)
    return _np.inner(a, b) if pair is None else _E.inner(*pair)


def kron(a: Any, b: Any) -> Any:
    """``numpy.kron``: the Kronecker product."""
    pair = _pair(a, b)
    return _np.kron(a, b) if pair is None else _P.kron(*pair)


def vdot(a: Any, b: Any) -> Any:
    """``numpy.vdot`` for real numbers: the dot product of the flattened inputs."""
    pair = _pair(a, b)
    return _np.vdot(a, b) if pair is None else _P.vdot(*pair)


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None) -> Any:
    """``numpy.cross``: the cross product of 3-vectors (or 2-vectors) along an axis."""
    pair = _pair(a, b)
    if pair is None:
        return _np.cross(a, b, axisa, axisb, axisc, axis)
    return _P.cross(*pair, axisa, axisb, axisc, axis)


def average(a: Any, axis: Any = None, weights: Any = None, returned: bool = False, *, keepdims: Any = _NO) -> Any:
    """``numpy.average``: ``sum(w a) / sum(w)``, differentiable in ``a`` and in ``weights``."""
    a, weights = _tensor(a), _tensor(weights)
    if not (isinstance(a, Tensor) or isinstance(weights, Tensor)):
        kw = {} if keepdims is _NO else {"keepdims": keepdims}
        return _np.average(a, axis=axis, weights=weights, returned=returned, **kw)
    like = a if isinstance(a, Tensor) else weights
    w = None if weights is None else _lift(weights, like)
    return _P.average(_lift(a, like), axis, w, returned, bool(keepdims) if keepdims is not _NO else False)


# --------------------------------------------------------------------------- sorting and selection


def sort(a: Any, axis: int | None = -1, kind: Any = None, order: Any = None, *, stable: Any = None) -> Any:
    """``numpy.sort`` (stable for Tensors); each gradient goes back to the element it came from."""
    a = _tensor(a)
    if isinstance(a, Tensor):
        _no_tensor_kwargs("sort", order=order)
        if a.ndim == 0 and axis is not None:
            raise ValueError(f"tinygrad_edu.numpy.sort: axis {axis} is out of range for a 0-d array (use axis=None)")
        return _O.sort(a, axis).values
    return _np.sort(a, axis=axis, kind=kind, order=order, stable=stable)


def partition(a: Any, kth: Any, axis: int | None = -1, kind: str = "introselect", order: Any = None) -> Any:
    """``numpy.partition``; each gradient goes back to the element it came from."""
    a = _tensor(a)
    if isinstance(a, Tensor):
        _no_tensor_kwargs("partition", order=order)
        return _O.partition(a, kth, axis)
    return _np.partition(a, kth, axis=axis, kind=kind, order=order)


def take(a: Any, indices: Any, axis: int | None = None, out: Any = None, mode: str = "raise") -> Any:
    """``numpy.take``; repeated indices add up their gradients."""
    a = _tensor(a)
    if isinstance(a, Tensor):
        _no_tensor_kwargs("take", out=out)
        return _O.take(a, indices, axis, mode)
    return _np.take(a, backend.to_numpy(indices.data) if isinstance(indices, Tensor) else indices, axis, out, mode)


def take_along_axis(arr: Any, indices: Any, axis: int | None = -1) -> Any:
    """``numpy.take_along_axis``; repeated indices add up their gradients."""
    arr = _tensor(arr)
    if isinstance(arr, Tensor):
        return _O.take_along_axis(arr, indices, axis)
    return _np.take_along_axis(arr, backend.to_numpy(indices.data) if isinstance(indices, Tensor) else indices, axis)


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = _NO, append: Any = _NO) -> Any:
    """``numpy.diff``: the n-th forward difference along ``axis``."""
    if _has_tensor(a, prepend, append):
        like = next(x for x in (_tensor(a), _tensor(prepend), _tensor(append)) if isinstance(x, Tensor))
        pre, app = (None if v is _NO else _lift(v, like) for v in (prepend, append))
        return _O.diff(_lift(a, like), n, axis, pre, app)
    kw = {k: v for k, v in (("prepend", prepend), ("append", append)) if v is not _NO}
    return _np.diff(a, n, axis, **kw)


def select(condlist: Any, choicelist: Any, default: Any = 0) -> Any:
    """``numpy.select``: the choice of the first condition that holds; differentiable in the choices."""
    if not _has_tensor(list(choicelist), default):
        conds = [backend.to_numpy(c.data) if isinstance(c, Tensor) else c for c in condlist]
        return _np.select(conds, choicelist, default)
    return _O.select(list(condlist), [_tensor(c) for c in choicelist], _tensor(default))


def choose(a: Any, choices: Any, out: Any = None, mode: str = "raise") -> Any:
    """``numpy.choose``: ``choices[a[i]][i]``; differentiable in the choices."""
    if not _has_tensor(list(choices)):
        idx = backend.to_numpy(a.data) if isinstance(a, Tensor) else a
        return _np.choose(idx, choices, out=out, mode=mode)
    _no_tensor_kwargs("choose", out=out)
    return _O.choose(a, [_tensor(c) for c in choices], mode)


__all__ = [
    "expm1",
    "exp2",
    "log2",
    "log10",
    "arcsin",
    "arccos",
    "arctan",
    "arctan2",
    "hypot",
    "sinh",
    "cosh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "deg2rad",
    "rad2deg",
    "radians",
    "degrees",
    "sinc",
    "fabs",
    "nan_to_num",
    "fmax",
    "fmin",
    "mod",
    "remainder",
    "fmod",
    "logaddexp",
    "logaddexp2",
    "prod",
    "cumsum",
    "cumprod",
    "einsum",
    "tensordot",
    "inner",
    "kron",
    "vdot",
    "cross",
    "average",
    "sort",
    "partition",
    "take",
    "take_along_axis",
    "diff",
    "select",
    "choose",
]
