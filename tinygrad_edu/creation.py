"""Factories: tensors filled with constants, ranges and random numbers."""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.ops.shape import shape_arg
from tinygrad_edu.tensor import Tensor


def _finish(data: Any, device: str, requires_grad: bool) -> Tensor:
    t = Tensor._make(data, device)
    return t.requires_grad_(True) if requires_grad else t


def _dtype(dtype: Any) -> Any:
    return backend.get_default_dtype() if dtype is None else backend.dtype(dtype)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, device: str | None = None) -> Tensor:
    """A tensor from data (``torch.tensor``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def zeros(*shape: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    device = backend.check_device(device)
    return _finish(backend.xp(device).zeros(shape_arg(shape), dtype=_dtype(dtype)), device, requires_grad)


def ones(*shape: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    device = backend.check_device(device)
    return _finish(backend.xp(device).ones(shape_arg(shape), dtype=_dtype(dtype)), device, requires_grad)


def full(shape: Any, fill_value: float, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    device = backend.check_device(device)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _finish(backend.xp(device).full(shape, fill_value, dtype=_dtype(dtype)), device, requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros(*t.shape, dtype=dtype or t.dtype, device=t.device, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return ones(*t.shape, dtype=dtype or t.dtype, device=t.device, requires_grad=requires_grad)


def arange(
    start: float,
    stop: float | None = None,
    step: float = 1,
    dtype: Any = None,
    device: str = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` to ``stop`` (excluded) by ``step``; integers stay integers."""
    device = backend.check_device(device)
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError("arange: step must not be zero")
    if dtype is None and any(isinstance(v, float) for v in (start, stop, step)):
        dtype = backend.get_default_dtype()
    return _finish(backend.xp(device).arange(start, stop, step, dtype=dtype), device, requires_grad)


def linspace(
    start: float, stop: float, num: int = 50, dtype: Any = None, device: str = "cpu", requires_grad: bool = False
) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop``, both included."""
    device = backend.check_device(device)
    if num < 0:
        raise ValueError(f"linspace: num must be >= 0, got {num}")
    return _finish(backend.xp(device).linspace(start, stop, num, dtype=_dtype(dtype)), device, requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    device = backend.check_device(device)
    return _finish(backend.xp(device).eye(n, m, dtype=_dtype(dtype)), device, requires_grad)


def randn(*shape: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """Standard normal random numbers from the generator seeded by ``manual_seed``."""
    device = backend.check_device(device)
    return _finish(backend.random("normal", shape_arg(shape), _dtype(dtype), device), device, requires_grad)


def rand(*shape: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """Uniform random numbers in [0, 1) from the generator seeded by ``manual_seed``."""
    device = backend.check_device(device)
    return _finish(backend.random("uniform", shape_arg(shape), _dtype(dtype), device), device, requires_grad)


def randint(low: int, high: int, size: Any, device: str = "cpu") -> Tensor:
    """Random integers in [low, high)."""
    device = backend.check_device(device)
    size = (size,) if isinstance(size, int) else tuple(size)
    return Tensor._make(backend.random("integers", size, None, device, low=low, high=high), device)
