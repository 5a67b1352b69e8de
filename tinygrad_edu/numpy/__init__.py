"""A NumPy-like namespace whose functions also differentiate: ``autograd.numpy`` for tinygrad_edu.

Course code written for HIPS autograd ports by changing its import lines::

    import tinygrad_edu.numpy as np            # was: import autograd.numpy as np
    import tinygrad_edu.numpy.random as npr    # was: import autograd.numpy.random as npr
    from tinygrad_edu.func import grad, elementwise_grad, jacobian, hessian   # was: from autograd import ...

Every public name here, and in the submodules (``linalg``, ``fft``, ``random``, and NumPy's
others: ``emath``, ``ma``, ``lib``, ``polynomial``, ...), is of one declared kind (the table is
in :mod:`tinygrad_edu.numpy._table`):

- **differentiable** (``DIFFERENTIABLE`` below): called with a Tensor (as inside ``grad``) it runs
  Tensor ops, so the derivative is recorded; called with plain arrays it is NumPy's function.
  This includes the index helpers ``r_`` and ``c_``.
- **value-only** (``VALUE_ONLY``): no derivative to take (indices, booleans, shapes, rounded
  values), so NumPy's function runs on the values and returns a plain NumPy result, as in
  HIPS autograd: ``argmax``, ``argsort``, ``sign``, ``floor``, ``round``, ``allclose``,
  comparisons, ``shape``, ``ndim``, ``size``, ...
- **refused** (every other NumPy function, e.g. ``histogram``, ``np.linalg.lstsq``): given a Tensor
  that requires grad while grad mode is on, it raises a ``TypeError`` naming the function and
  pointing to ``.detach()``, instead of silently dropping the derivative. On plain arrays,
  detached tensors or under ``no_grad`` it is NumPy's own function.

Constants and dtypes are NumPy's own (``np.float64 is numpy.float64``); a dtype constructor or
any other route that would read the values of a Tensor that requires grad (``np.float64(t)``,
``numpy.asarray(t)``, ``float(t)``) meets the Tensor's own refusal. NumPy's functions and ufuncs
called directly on a Tensor (``numpy.exp(t)``, ``ndarray % t``) dispatch to this table too.

Differences from NumPy: ``size`` of a list of arrays of different shapes counts the arrays (the
object-array behaviour of NumPy < 1.24 that the course's network code relies on, for example
``np.size(P) - 1`` hidden layers); ``dot`` of a Tensor supports the shapes ``numpy.dot`` does.
"""

# How to add a differentiable function (issue 15 and later):
#  1. Write it here (or in the submodule file, e.g. linalg.py) with Tensor ops or an op of
#     tinygrad_edu/ops/, falling back to NumPy's function when no argument is a Tensor (see
#     _unary/_binary/_reduction below). Never call a NumPy function with a Tensor inside its
#     arguments: NumPy would hand it back to this table (Tensor.__array_function__).
#  2. Add its name to DIFFERENTIABLE and __all__ (a function of _maths.py, _shapes.py or _real.py: to
#     that module's __all__, which is added to both); take it out of REFUSED if it is there.
#  3. Register a derivative test: a case in GRAD_CASES of tests/test_numpy_namespace.py (checked
#     against finite differences, first and second order), or, when a test elsewhere already
#     checks its derivative, an entry "name": "tests/test_x.py::test_name" in TESTED_ELSEWHERE.
#     test_every_differentiable_name_has_a_derivative_test fails until one of the two exists.
# A function without a derivative but useful on traced values goes into VALUE_ONLY instead.

from __future__ import annotations

import functools
from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.numpy import _index, _table, fft, linalg, random
from tinygrad_edu.ops import functions as _F
from tinygrad_edu.ops import shape as _S
from tinygrad_edu.tensor import Tensor

_np = backend.xp("cpu")  # host NumPy, obtained through the backend as the engine's rule asks

pi = _np.pi
e = _np.e
inf = _np.inf
nan = _np.nan
newaxis = None
float64 = _np.float64
float32 = _np.float32
float16 = _np.float16
int64 = _np.int64
int32 = _np.int32
bool_ = _np.bool_
ndarray = _np.ndarray

# The names defined here; the submodules' own __all__ are added below, after their import.
__all__ = [
    "pi",
    "e",
    "inf",
    "nan",
    "newaxis",
    "float64",
    "float32",
    "float16",
    "int64",
    "int32",
    "bool_",
    "ndarray",
    "random",
    "linalg",
    "fft",
    "r_",
    "c_",
    "array",
    "asarray",
    "zeros",
    "ones",
    "full",
    "empty",
    "zeros_like",
    "ones_like",
    "full_like",
    "linspace",
    "arange",
    "eye",
    "identity",
    "exp",
    "log",
    "log1p",
    "sqrt",
    "sin",
    "cos",
    "tan",
    "tanh",
    "abs",
    "absolute",
    "sign",
    "negative",
    "add",
    "subtract",
    "multiply",
    "divide",
    "true_divide",
    "power",
    "square",
    "reciprocal",
    "sum",
    "mean",
    "max",
    "min",
    "amax",
    "amin",
    "var",
    "std",
    "maximum",
    "minimum",
    "clip",
    "where",
    "dot",
    "matmul",
    "outer",
    "reshape",
    "transpose",
    "concatenate",
    "stack",
    "hstack",
    "vstack",
    "size",
    "shape",
    "ndim",
    "isnan",
    "isfinite",
    "argmax",
    "argmin",
    "argsort",
    "floor",
    "ceil",
    "round",
    "around",
    "allclose",
    "isclose",
]

# The declared table (see the module docstring and tinygrad_edu/numpy/_table.py).
# The functions defined here; the submodules' are added below, after their import.
DIFFERENTIABLE = frozenset(
    """array asarray full full_like linspace r_ c_ exp log log1p log2 log10 sqrt sin cos tan tanh
    sinh cosh abs absolute negative square reciprocal add subtract multiply divide true_divide power
    maximum minimum clip where sum mean var std max min amax amin dot matmul outer reshape ravel
    transpose swapaxes expand_dims squeeze concatenate stack hstack vstack""".split()
)
# No derivative to take: NumPy's function on the values, a plain result (HIPS autograd's list).
VALUE_ONLY = frozenset(
    """ndim shape size iscomplexobj isrealobj result_type zeros_like ones_like empty_like floor ceil
    round rint around fix trunc all any argmax argmin argpartition argsort argwhere nonzero
    flatnonzero count_nonzero searchsorted sign signbit floor_divide logical_and logical_or
    logical_not logical_xor isfinite isinf isnan isneginf isposinf allclose isclose array_equal
    array_equiv greater greater_equal less less_equal equal not_equal iscomplex isreal isscalar
    nanargmax nanargmin lexsort unravel_index ravel_multi_index ix_ isin digitize
    broadcast_shapes shares_memory may_share_memory can_cast min_scalar_type promote_types
    issubdtype isdtype array_repr array_str array2string iterable isfortran angle""".split()
)
_ISSUE_15 = "its derivative rule is not written yet (issue 15 adds it)"
# Refused with a reason more precise than "no derivative rule"; every other function is refused too.
REFUSED = {
    **dict.fromkeys(
        """cov corrcoef median percentile quantile nansum nanmean cbrt piecewise""".split(),
        _ISSUE_15,
    ),
    "arange": "its values are start + k * step; write start + step * np.arange(n) with a number n",
}


# --------------------------------------------------------------------------- helpers


_has_tensor = _table.has_tensor


def _first_tensor(objs: Any) -> Tensor:
    todo = list(objs)
    while todo:
        o = todo.pop(0)
        if isinstance(o, Tensor):
            return o
        if isinstance(o, (list, tuple)):
            todo[:0] = list(o)
    raise TypeError("no tensor among the arguments")


def _lift(x: Any, like: Tensor) -> Tensor:
    """A Tensor from a Tensor, an array, a number or a nested list holding tensors."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (list, tuple)) and _has_tensor(x):
        return array(x)
    return like._lift(x)


def _tensor(x: Any) -> Any:
    """A list that holds tensors becomes one stacked Tensor; anything else is returned as is."""
    if isinstance(x, (list, tuple)) and _has_tensor(x):
        return array(x)
    return x


def _is_number(x: Any) -> bool:
    return type(x) in (int, float)


def _no_tensor_kwargs(name: str, **kw: Any) -> None:
    for key, val in kw.items():
        if val is not None:
            raise TypeError(f"tinygrad_edu.numpy.{name}: the argument {key}= is not supported for Tensors")


# --------------------------------------------------------------------------- creation


def array(obj: Any, dtype: Any = None, **kw: Any) -> Any:
    """``numpy.array``; a (nested) list holding tensors becomes one stacked, differentiable Tensor."""
    if isinstance(obj, Tensor):
        return obj if dtype is None else obj.astype(dtype)
    if isinstance(obj, (list, tuple)) and _has_tensor(obj):
        like = _first_tensor(obj)
        items = [_lift(o, like) for o in obj]
        out = _S.stack(items, 0) if items else _np.array(obj)
        return out if dtype is None else out.astype(dtype)
    return _np.array(obj, dtype=dtype, **kw)


def asarray(obj: Any, dtype: Any = None, **kw: Any) -> Any:
    """``numpy.asarray``; Tensors pass through, lists holding tensors are stacked."""
    if isinstance(obj, Tensor) or (isinstance(obj, (list, tuple)) and _has_tensor(obj)):
        return array(obj, dtype)
    return _np.asarray(obj, dtype=dtype, **kw)


def _like(name: str):
    np_fn = getattr(_np, name)

    @functools.wraps(np_fn)
    def fn(a: Any, *args: Any, **kw: Any) -> Any:
        """A constant NumPy array shaped like ``a`` (a Tensor's values are read, not traced)."""
        if isinstance(a, Tensor):
            a = a.data if a.device == "cpu" else backend.to_numpy(a.data)
        return np_fn(a, *args, **kw)

    fn.__doc__ = f"``numpy.{name}``: a constant array, also for a Tensor argument (it carries no gradient)."
    return fn


zeros_like = _like("zeros_like")
ones_like = _like("ones_like")


def full(shape: Any, fill_value: Any, dtype: Any = None, **kw: Any) -> Any:
    """``numpy.full``; a Tensor ``fill_value`` is broadcast to ``shape`` (the gradient sums back)."""
    fill_value = _tensor(fill_value)
    if not isinstance(fill_value, Tensor):
        return _np.full(shape, fill_value, dtype=dtype, **kw)
    _no_tensor_kwargs("full", **kw)
    out = fill_value.broadcast_to((shape,) if isinstance(shape, int) else tuple(shape))
    return out if dtype is None else out.astype(dtype)


def full_like(a: Any, fill_value: Any, dtype: Any = None, **kw: Any) -> Any:
    """``numpy.full_like``: the shape of ``a`` (its values are not read), filled with ``fill_value``."""
    fill_value = _tensor(fill_value)
    if not isinstance(fill_value, Tensor):
        return _np.full_like(_table.values(a), fill_value, dtype=dtype, **kw)
    return full(shape(a), fill_value, dtype=dtype, **kw)


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False, **kw: Any) -> Any:
    """``numpy.linspace``; with a Tensor ``start`` or ``stop`` the points are
    ``start (1 - w_k) + stop w_k`` with ``w_k = k / (num - 1)`` (``k / num`` without the endpoint)."""
    start, stop = _tensor(start), _tensor(stop)
    if not (isinstance(start, Tensor) or isinstance(stop, Tensor)):
        return _np.linspace(start, stop, num, endpoint=endpoint, retstep=retstep, **kw)
    _no_tensor_kwargs("linspace", **{k: v for k, v in kw.items() if not (k == "axis" and v == 0)})
    like = start if isinstance(start, Tensor) else stop
    start, stop = _lift(start, like), _lift(stop, like)
    div = (num - 1 if endpoint else num) or 1
    w = _np.arange(num, dtype=like.dtype) / div
    w = _lift(w.reshape((num,) + (1,) * max(start.ndim, stop.ndim)), like)
    out = start * (1.0 - w) + stop * w
    return (out, (stop - start) / div) if retstep else out


# --------------------------------------------------------------------------- elementwise maths


def _unary(name: str, tensor_fn: Any, formula: str):
    np_fn = getattr(_np, name)

    def fn(x: Any, *args: Any, **kw: Any) -> Any:
        x = _tensor(x)
        if isinstance(x, Tensor):
            if args or kw:
                raise TypeError(f"tinygrad_edu.numpy.{name}: extra arguments are not supported for Tensors")
            return tensor_fn(x)
        return np_fn(x, *args, **kw)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}``, differentiable for Tensors: {formula}."
    return fn


exp = _unary("exp", Tensor.exp, "e**x")
log = _unary("log", Tensor.log, "the natural logarithm")
log1p = _unary("log1p", Tensor.log1p, "log(1 + x), accurate for small x")
sqrt = _unary("sqrt", Tensor.sqrt, "x**0.5")
sin = _unary("sin", Tensor.sin, "sin x")
cos = _unary("cos", Tensor.cos, "cos x")
tan = _unary("tan", lambda x: x.sin() / x.cos(), "sin x / cos x")
tanh = _unary("tanh", Tensor.tanh, "tanh x")
abs = _unary("abs", Tensor.abs, "|x|")  # noqa: A001  (NumPy's name)
absolute = _unary("absolute", Tensor.abs, "|x|")
negative = _unary("negative", Tensor.neg, "-x")
square = _unary("square", Tensor.square, "x**2")
reciprocal = _unary("reciprocal", Tensor.reciprocal, "1 / x")


def _binary(name: str, op: Any, formula: str):
    np_fn = getattr(_np, name)

    def fn(x: Any, y: Any, *args: Any, **kw: Any) -> Any:
        x, y = _tensor(x), _tensor(y)
        if isinstance(x, Tensor) or isinstance(y, Tensor):
            if args or kw:
                raise TypeError(f"tinygrad_edu.numpy.{name}: extra arguments are not supported for Tensors")
            like = x if isinstance(x, Tensor) else y
            # arrays become tensors, so that NumPy never evaluates `ndarray + Tensor` itself
            return op(x if _is_number(x) else _lift(x, like), y if _is_number(y) else _lift(y, like))
        return np_fn(x, y, *args, **kw)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}``, differentiable for Tensors: {formula}."
    return fn


add = _binary("add", lambda x, y: x + y, "x + y")
subtract = _binary("subtract", lambda x, y: x - y, "x - y")
multiply = _binary("multiply", lambda x, y: x * y, "x * y")
divide = _binary("divide", lambda x, y: x / y, "x / y")
true_divide = divide
power = _binary("power", lambda x, y: x**y, "x**y")
maximum = _binary("maximum", _F.maximum, "the larger of x and y; the gradient goes to it")
minimum = _binary("minimum", _F.minimum, "the smaller of x and y; the gradient goes to it")


def clip(a: Any, a_min: Any = None, a_max: Any = None, **kw: Any) -> Any:
    """``numpy.clip``; for Tensors the gradient passes where no bound is active."""
    a = _tensor(a)
    if isinstance(a, Tensor):
        return a.clip(a_min, a_max)
    return _np.clip(a, a_min, a_max, **kw)


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """``numpy.where(condition, x, y)``; differentiable in ``x`` and ``y`` when either is a Tensor."""
    if x is None and y is None:
        cond = condition.data if isinstance(condition, Tensor) else condition
        return _np.where(backend.to_numpy(cond))
    x, y = _tensor(x), _tensor(y)
    if _has_tensor(condition, x, y):
        if not isinstance(x, Tensor) and not isinstance(y, Tensor):
            x = _lift(x, condition)
        return _F.where(condition, x, y)
    return _np.where(condition, x, y)


# --------------------------------------------------------------------------- reductions


def _reduction(name: str, formula: str):
    np_fn = getattr(_np, name)

    def fn(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, **kw: Any) -> Any:
        a = _tensor(a)
        if isinstance(a, Tensor):
            _no_tensor_kwargs(name, dtype=dtype, out=out, **kw)
            return getattr(a, name)(axis, keepdims)
        return np_fn(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, **kw)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}`` over ``axis`` (int, tuple or None), differentiable for Tensors: {formula}."
    return fn


def _spread(name: str, formula: str):
    np_fn = getattr(_np, name)

    def fn(
        a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0, keepdims: bool = False, **kw: Any
    ) -> Any:
        a = _tensor(a)
        if isinstance(a, Tensor):
            _no_tensor_kwargs(name, dtype=dtype, out=out, **kw)
            return getattr(a, name)(axis, keepdims, ddof)
        return np_fn(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, **kw)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}`` over ``axis`` with ``ddof``, differentiable for Tensors: {formula}."
    return fn


sum = _reduction("sum", "the gradient is broadcast back")  # noqa: A001
mean = _reduction("mean", "sum / n")
var = _spread("var", "sum((x - mean)**2) / (n - ddof)")
std = _spread("std", "sqrt(var)")


def _extreme(name: str):
    np_fn = getattr(_np, name)

    def fn(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, **kw: Any) -> Any:
        a = _tensor(a)
        if isinstance(a, Tensor):
            _no_tensor_kwargs(name, out=out, **kw)
            return getattr(a, name)(axis, keepdims)
        return np_fn(a, axis=axis, out=out, keepdims=keepdims, **kw)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}`` over ``axis``; for Tensors the gradient goes to the extreme element(s)."
    return fn


max = _extreme("max")  # noqa: A001
min = _extreme("min")  # noqa: A001
amax, amin = max, min


# --------------------------------------------------------------------------- products


def matmul(a: Any, b: Any) -> Any:
    """``a @ b`` with NumPy's rules (1-D vectors, 2-D matrices, batched stacks)."""
    a, b = _tensor(a), _tensor(b)
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        like = a if isinstance(a, Tensor) else b
        return _lift(a, like).matmul(_lift(b, like))
    return _np.matmul(a, b)


def dot(a: Any, b: Any) -> Any:
    """``numpy.dot``: a product of scalars, the inner product of vectors, the matrix product, and
    for N-D arrays the sum over the last axis of ``a`` and the second-to-last of ``b``."""
    a, b = _tensor(a), _tensor(b)
    if not (isinstance(a, Tensor) or isinstance(b, Tensor)):
        return _np.dot(a, b)
    like = a if isinstance(a, Tensor) else b
    a, b = _lift(a, like), _lift(b, like)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if b.ndim <= 2:
        return a.matmul(b)
    # N-D: move b's contracted axis to the front, contract as a matrix product, restore the shape
    k = b.shape[-2]
    if a.shape[-1] != k:
        raise ValueError(f"dot: shapes {a.shape} and {b.shape} are not aligned ({a.shape[-1]} != {k})")
    order = (b.ndim - 2,) + tuple(i for i in range(b.ndim) if i != b.ndim - 2)
    bm = b.permute(*order).reshape(k, -1)
    out = a.reshape(-1, k).matmul(bm)
    return out.reshape(a.shape[:-1] + b.shape[:-2] + b.shape[-1:])


def outer(a: Any, b: Any) -> Any:
    """``numpy.outer``: ``out[i, j] = a[i] * b[j]`` of the flattened inputs."""
    a, b = _tensor(a), _tensor(b)
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        like = a if isinstance(a, Tensor) else b
        return _lift(a, like).reshape(-1, 1) * _lift(b, like).reshape(1, -1)
    return _np.outer(a, b)


# --------------------------------------------------------------------------- shapes


def reshape(a: Any, newshape: Any = None, order: str = "C", *, shape: Any = None) -> Any:
    """``numpy.reshape`` (C order for Tensors); ``-1`` fills in one axis."""
    newshape = shape if newshape is None else newshape
    a = _tensor(a)
    if isinstance(a, Tensor):
        if order != "C":
            raise ValueError(f"tinygrad_edu.numpy.reshape: only order='C' is supported for Tensors, got {order!r}")
        return a.reshape((newshape,) if isinstance(newshape, int) else tuple(newshape))
    return _np.reshape(a, newshape, order=order)


def transpose(a: Any, axes: Any = None) -> Any:
    """``numpy.transpose``: reverse the axes, or put them in the order ``axes``."""
    a = _tensor(a)
    if isinstance(a, Tensor):
        return a.T if axes is None else a.permute(*axes)
    return _np.transpose(a, axes)


def _join(name: str, tensor_fn: Any):
    np_fn = getattr(_np, name)

    def fn(arrays: Any, axis: int | None = 0, **kw: Any) -> Any:
        arrays = list(arrays)
        if not _has_tensor(arrays):
            return np_fn(arrays, axis=axis, **kw)
        _no_tensor_kwargs(name, **kw)
        like = _first_tensor(arrays)
        ts = [_lift(x, like) for x in arrays]
        if axis is None:  # NumPy flattens first
            ts, axis = [t.reshape(-1) for t in ts], 0
        return tensor_fn(ts, axis)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}``, differentiable when any of the arrays is a Tensor."
    return fn


concatenate = _join("concatenate", _S.concatenate)
stack = _join("stack", _S.stack)


def hstack(arrays: Any) -> Any:
    """Join along the second axis (the first for 1-D arrays), as ``numpy.hstack``."""
    arrays = list(arrays)
    if not _has_tensor(arrays):
        return _np.hstack(arrays)
    return concatenate(arrays, axis=0 if ndim(_tensor(arrays[0])) == 1 else 1)


def vstack(arrays: Any) -> Any:
    """Join along the first axis, 1-D arrays becoming rows, as ``numpy.vstack``."""
    arrays = list(arrays)
    if not _has_tensor(arrays):
        return _np.vstack(arrays)
    like = _first_tensor(arrays)
    rows = [_lift(x, like) for x in arrays]
    return concatenate([r.reshape(1, -1) if r.ndim < 2 else r for r in rows], axis=0)


# --------------------------------------------------------------------------- sizes


def shape(a: Any) -> tuple[int, ...]:
    return tuple(a.shape) if isinstance(a, Tensor) else _np.shape(a)


def ndim(a: Any) -> int:
    return a.ndim if isinstance(a, Tensor) else _np.ndim(a)


def size(a: Any, axis: int | None = None) -> int:
    """The number of elements (along ``axis``).

    A list of arrays of different shapes (such as a network's weights ``P``) counts as a 1-D
    array of objects, as in NumPy < 1.24 and inside HIPS autograd: ``np.size(P) == len(P)``.
    """
    if isinstance(a, Tensor):
        return a.size if axis is None else a.shape[axis]
    if isinstance(a, (list, tuple)) and a:
        shapes = [
            shape(x) if isinstance(x, Tensor) or backend.is_array(x) or isinstance(x, (list, tuple)) else () for x in a
        ]
        if any(s != shapes[0] for s in shapes):
            if axis not in (None, 0):
                raise ValueError(f"size: axis {axis} out of range for a list of arrays of different shapes")
            return len(a)
        full_shape = (len(a),) + shapes[0]
        if axis is None:
            n = 1
            for d in full_shape:
                n *= d
            return n
        return full_shape[axis]
    return _np.size(a, axis)


# --------------------------------------------------------------------------- index helpers

r_ = _index.Concatenator("r_", _np.r_, array, column=False)
c_ = _index.Concatenator("c_", _np.c_, array, column=True)

# --------------------------------------------------------------------------- issue 15's functions

# Each submodule lists its functions once, in its __all__: they are all differentiable.
from tinygrad_edu.numpy import _maths, _real, _shapes  # noqa: E402  (they use the helpers above)
from tinygrad_edu.numpy._maths import *  # noqa: E402, F403
from tinygrad_edu.numpy._real import *  # noqa: E402, F403
from tinygrad_edu.numpy._shapes import *  # noqa: E402, F403

__all__ += [n for n in _maths.__all__ + _shapes.__all__ + _real.__all__ if n not in __all__]
DIFFERENTIABLE |= frozenset(_maths.__all__ + _shapes.__all__ + _real.__all__)

# --------------------------------------------------------------------------- everything else

_NAMESPACE = _table.Namespace(
    "tinygrad_edu.numpy",
    _np,
    value_only=VALUE_ONLY,
    refused=REFUSED,
    submodules={"linalg": lambda: linalg, "fft": lambda: fft, "random": lambda: random},
)


def __getattr__(name: str) -> Any:
    """NumPy's other names, as the table declares them: value-only, refused, or constants."""
    return _NAMESPACE.getattr(name)


def __dir__() -> list[str]:
    return _NAMESPACE.dir(globals())
