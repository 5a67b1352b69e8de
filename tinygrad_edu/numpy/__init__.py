"""A NumPy-like namespace whose functions also differentiate: ``autograd.numpy`` for tinygrad_edu.

Course code written for HIPS autograd ports by changing its import lines::

    import tinygrad_edu.numpy as np            # was: import autograd.numpy as np
    import tinygrad_edu.numpy.random as npr    # was: import autograd.numpy.random as npr
    from tinygrad_edu.func import grad, elementwise_grad, jacobian, hessian   # was: from autograd import ...

Each function here calls the Tensor op when one of its arguments is a Tensor (as it is inside
``grad``), so the derivative is recorded, and plain NumPy otherwise, so the same code also runs
on ordinary arrays. Any other NumPy name (``np.linalg``, ``np.allclose``, dtypes, constants) is
NumPy's own; such a function refuses a Tensor that requires grad rather than silently dropping
its derivative.

Differences from NumPy: ``size`` of a list of arrays of different shapes counts the arrays (the
object-array behaviour of NumPy < 1.24 that the course's network code relies on, for example
``np.size(P) - 1`` hidden layers); ``dot`` of a Tensor supports the shapes ``numpy.dot`` does.
"""

from __future__ import annotations

import functools
import types
from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.numpy import random
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
    "log2",
    "log10",
    "sqrt",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sinh",
    "cosh",
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
    "ravel",
    "transpose",
    "swapaxes",
    "expand_dims",
    "squeeze",
    "concatenate",
    "stack",
    "hstack",
    "vstack",
    "size",
    "shape",
    "ndim",
    "isnan",
    "isfinite",
]


# --------------------------------------------------------------------------- helpers


def _has_tensor(*objs: Any) -> bool:
    """True when any argument is a Tensor, or a list/tuple holding one (at any depth)."""
    todo = list(objs)
    while todo:
        o = todo.pop()
        if isinstance(o, Tensor):
            return True
        if isinstance(o, (list, tuple)):
            todo.extend(o)
    return False


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
full_like = _like("full_like")
zeros = _np.zeros
ones = _np.ones
full = _np.full
empty = _np.empty
linspace = _np.linspace
arange = _np.arange
eye = _np.eye
identity = _np.identity


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


_LN2, _LN10 = float(_np.log(2.0)), float(_np.log(10.0))

exp = _unary("exp", Tensor.exp, "e**x")
log = _unary("log", Tensor.log, "the natural logarithm")
log1p = _unary("log1p", Tensor.log1p, "log(1 + x), accurate for small x")
log2 = _unary("log2", lambda x: x.log() * (1.0 / _LN2), "log(x) / log(2)")
log10 = _unary("log10", lambda x: x.log() * (1.0 / _LN10), "log(x) / log(10)")
sqrt = _unary("sqrt", Tensor.sqrt, "x**0.5")
sin = _unary("sin", Tensor.sin, "sin x")
cos = _unary("cos", Tensor.cos, "cos x")
tan = _unary("tan", lambda x: x.sin() / x.cos(), "sin x / cos x")
tanh = _unary("tanh", Tensor.tanh, "tanh x")
sinh = _unary("sinh", lambda x: (x.exp() - (-x).exp()) * 0.5, "(e**x - e**-x) / 2")
cosh = _unary("cosh", lambda x: (x.exp() + (-x).exp()) * 0.5, "(e**x + e**-x) / 2")
abs = _unary("abs", Tensor.abs, "|x|")  # noqa: A001  (NumPy's name)
absolute = _unary("absolute", Tensor.abs, "|x|")
sign = _unary("sign", Tensor.sign, "-1, 0 or 1 (a constant)")
negative = _unary("negative", Tensor.neg, "-x")
square = _unary("square", Tensor.square, "x**2")
reciprocal = _unary("reciprocal", Tensor.reciprocal, "1 / x")
isnan = _unary("isnan", Tensor.isnan, "a boolean mask")
isfinite = _unary("isfinite", Tensor.isfinite, "a boolean mask")


def _binary(name: str, op: Any, formula: str):
    np_fn = getattr(_np, name)

    def fn(x: Any, y: Any, *args: Any, **kw: Any) -> Any:
        x, y = _tensor(x), _tensor(y)
        if isinstance(x, Tensor) or isinstance(y, Tensor):
            if args or kw:
                raise TypeError(f"tinygrad_edu.numpy.{name}: extra arguments are not supported for Tensors")
            return op(x, y)
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


def ravel(a: Any) -> Any:
    """The values as a 1-D array (C order)."""
    a = _tensor(a)
    return a.reshape(-1) if isinstance(a, Tensor) else _np.ravel(a)


def transpose(a: Any, axes: Any = None) -> Any:
    """``numpy.transpose``: reverse the axes, or put them in the order ``axes``."""
    a = _tensor(a)
    if isinstance(a, Tensor):
        return a.T if axes is None else a.permute(*axes)
    return _np.transpose(a, axes)


def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    a = _tensor(a)
    return a.swapaxes(axis1, axis2) if isinstance(a, Tensor) else _np.swapaxes(a, axis1, axis2)


def expand_dims(a: Any, axis: int) -> Any:
    a = _tensor(a)
    return a.unsqueeze(axis) if isinstance(a, Tensor) else _np.expand_dims(a, axis)


def squeeze(a: Any, axis: Any = None) -> Any:
    a = _tensor(a)
    return a.squeeze(axis) if isinstance(a, Tensor) else _np.squeeze(a, axis)


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


# --------------------------------------------------------------------------- everything else


def _guarded(name: str, np_fn: Any) -> Any:
    @functools.wraps(np_fn)
    def fn(*args: Any, **kw: Any) -> Any:
        todo = list(args) + list(kw.values())
        while todo:
            o = todo.pop()
            if isinstance(o, Tensor) and o.requires_grad:
                raise TypeError(
                    f"tinygrad_edu.numpy.{name} has no derivative rule, and its argument is a Tensor that "
                    "requires grad: NumPy would silently drop the derivative. Write it with the functions "
                    "of tinygrad_edu.numpy or Tensor methods, or pass .detach() if no derivative is wanted."
                )
            if isinstance(o, (list, tuple)):
                todo.extend(o)
        return np_fn(*args, **kw)

    return fn


def __getattr__(name: str) -> Any:
    """NumPy's other names: constants, dtypes and submodules as they are, functions guarded."""
    try:
        obj = getattr(_np, name)
    except AttributeError:
        raise AttributeError(f"module 'tinygrad_edu.numpy' has no attribute {name!r} (nor has NumPy)") from None
    if isinstance(obj, (type, types.ModuleType)) or not callable(obj):
        return obj
    return _guarded(name, obj)
