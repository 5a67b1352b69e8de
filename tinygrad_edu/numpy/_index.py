"""``np.r_`` and ``np.c_`` of ``tinygrad_edu.numpy``: differentiable when an item is a Tensor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_edu.numpy._table import _walk
from tinygrad_edu.ops.shape import concatenate
from tinygrad_edu.tensor import Tensor


class Concatenator:
    """``r_[a, b, ...]`` joins along the first axis (numbers and 1-D arrays as rows of one
    vector); ``c_[a, b, ...]`` along the last, 1-D arrays becoming columns. With a Tensor among
    the items the join is the differentiable ``concatenate``; otherwise it is NumPy's own."""

    def __init__(self, name: str, np_obj: Any, array: Callable[[Any], Any], column: bool) -> None:
        self.name, self.np_obj, self.array, self.column = name, np_obj, array, column

    def __getitem__(self, key: Any) -> Any:
        items = key if isinstance(key, tuple) else (key,)
        if not any(isinstance(o, Tensor) for o in _walk(items)):
            return self.np_obj[key]
        if any(isinstance(k, (slice, str)) for k in items):
            raise TypeError(
                f"tinygrad_edu.numpy.{self.name}[...] with a Tensor takes arrays and numbers only (no slices "
                "or directive strings); write it with np.concatenate, np.stack or np.linspace"
            )
        like = next(o for o in _walk(items) if isinstance(o, Tensor))
        parts = [like._lift(self.array(o) if isinstance(o, (list, tuple)) else o) for o in items]
        if self.column:  # at least 2-D; a 1-D array becomes a column, a number a 1x1 matrix
            parts = [p.reshape(-1, 1) if p.ndim < 2 else p for p in parts]
            return concatenate(parts, -1)
        return concatenate([p.reshape(1) if p.ndim == 0 else p for p in parts], 0)

    def __len__(self) -> int:
        return 0
