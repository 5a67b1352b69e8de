"""The ops that take several tensors, as functions: ``where``, ``maximum``, ``minimum``,
``concatenate``, ``stack``, and ``one_hot``."""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.ops.shape import concatenate, stack  # noqa: F401  (re-exported)
from tinygrad_edu.ops.unary import Where
from tinygrad_edu.tensor import Tensor


def _as_tensor(x: Any, like: Tensor | None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if like is not None:
        return like._lift(x)
    return Tensor(x)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """``x`` where ``condition`` holds, else ``y``; differentiable in ``x`` and ``y``."""
    like = x if isinstance(x, Tensor) else y if isinstance(y, Tensor) else None
    x, y = _as_tensor(x, like), _as_tensor(y, like)
    cond = condition.data if isinstance(condition, Tensor) else x.xp.asarray(condition)
    if cond.dtype != bool:
        raise TypeError(f"where: condition must be a boolean tensor, got {cond.dtype}")
    try:
        backend.xp(x.device).broadcast_shapes(cond.shape, x.shape, y.shape)
    except ValueError:
        raise ValueError(
            f"where: condition {cond.shape}, x {x.shape} and y {y.shape} do not broadcast together"
        ) from None
    return Where.apply(x, y, cond=cond)


def maximum(x: Any, y: Any) -> Tensor:
    """Elementwise maximum; the gradient goes to the larger input."""
    x = _as_tensor(x, y if isinstance(y, Tensor) else None)
    return x.maximum(y)


def minimum(x: Any, y: Any) -> Tensor:
    """Elementwise minimum; the gradient goes to the smaller input."""
    x = _as_tensor(x, y if isinstance(y, Tensor) else None)
    return x.minimum(y)


def one_hot(labels: Any, num_classes: int = -1) -> Tensor:
    """Integer class labels of shape (n,) as a float matrix of shape (n, num_classes)."""
    data = labels.data if isinstance(labels, Tensor) else labels
    device = (
        labels.device if isinstance(labels, Tensor) else backend.device_of(data) if backend.is_array(data) else "cpu"
    )
    lib = backend.xp(device)
    data = lib.asarray(data)
    if data.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got {data.dtype}")
    if num_classes < 0:
        num_classes = int(data.max()) + 1 if data.size else 0
    if data.size and (int(data.min()) < 0 or int(data.max()) >= num_classes):
        raise ValueError(
            f"one_hot: labels must lie in [0, {num_classes}), got values from {int(data.min())} to {int(data.max())}"
        )
    out = lib.zeros(data.shape + (num_classes,), dtype=backend.get_default_dtype())
    lib.put_along_axis(out, data[..., None], 1.0, axis=-1)
    return Tensor._make(out, device)
