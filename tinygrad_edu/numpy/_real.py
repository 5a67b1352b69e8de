"""NumPy's functions of complex numbers, on real values, and ``numpy.gradient``, for
:mod:`tinygrad_edu.numpy`.

The engine's values are real (a complex Tensor is refused), so ``real``, ``conj``, ``conjugate``
and ``real_if_close`` are the identity (derivative 1) and ``imag`` is zero (derivative 0), which
is what HIPS autograd's rules give for a real argument. ``gradient`` (finite differences of an
array of samples) is linear in the samples, so it is written with differentiable slicing.
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.numpy import _table, _tensor
from tinygrad_edu.ops import shape as _S
from tinygrad_edu.tensor import Tensor

_np = backend.xp("cpu")

__all__ = ["real", "imag", "conj", "conjugate", "real_if_close", "gradient"]


def _identity(name: str):
    np_fn = getattr(_np, name)

    def fn(x: Any, *args: Any, **kw: Any) -> Any:
        x = _tensor(x)
        return x if isinstance(x, Tensor) else np_fn(x, *args, **kw)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}``: for a real Tensor its own values (the derivative is 1)."
    return fn


real = _identity("real")
conj = _identity("conj")
conjugate = _identity("conjugate")
real_if_close = _identity("real_if_close")


def imag(x: Any) -> Any:
    """``numpy.imag``: for a real Tensor zeros of its shape (the derivative is 0)."""
    x = _tensor(x)
    return x * 0.0 if isinstance(x, Tensor) else _np.imag(x)


def _difference(f: Tensor, axis: int, h: float) -> Tensor:
    """Central differences inside, one-sided at the two ends (NumPy's ``edge_order=1``)."""
    n = f.shape[axis]
    if n < 2:
        raise ValueError(f"gradient: axis {axis} has {n} sample(s); at least 2 are needed (edge_order=1)")

    def part(start: int, stop: int | None) -> Tensor:
        index = [slice(None)] * f.ndim
        index[axis] = slice(start, stop)
        return f[tuple(index)]

    first = (part(1, 2) - part(0, 1)) / h
    last = (part(n - 1, n) - part(n - 2, n - 1)) / h
    inside = [(part(2, None) - part(0, n - 2)) / (2.0 * h)] if n > 2 else []
    return _S.concatenate([first, *inside, last], axis)


def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """``numpy.gradient`` with uniform spacings (numbers in ``varargs``) and ``edge_order=1``;
    differentiable for Tensors (it is linear in ``f``). One array per axis, in a list when there
    are several, as NumPy."""
    f = _tensor(f)
    if not isinstance(f, Tensor):
        return _np.gradient(f, *varargs, axis=axis, edge_order=edge_order)
    if edge_order != 1 or any(isinstance(v, Tensor) or _np.ndim(v) for v in varargs):
        raise _table.refusal(
            "tinygrad_edu.numpy.gradient with edge_order=2 or sample coordinates",
            "only uniform spacings (numbers) with edge_order=1 are differentiated",
        )
    axes = list(range(f.ndim)) if axis is None else [axis] if isinstance(axis, int) else list(axis)
    axes = [a % f.ndim for a in axes]
    spacing = list(varargs) or [1.0]
    if len(spacing) == 1:
        spacing = spacing * len(axes)
    if len(spacing) != len(axes):
        raise TypeError(f"gradient: {len(spacing)} spacings given for {len(axes)} axes")
    out = [_difference(f, a, float(h)) for a, h in zip(axes, spacing)]
    return out[0] if len(out) == 1 else out
