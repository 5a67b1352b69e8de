"""Matrix structure: diagonals, traces and triangles, composed from indexing and ``where``.

Each is exact as a composition, so it inherits its derivative from the ops it is made of:

- ``diagonal``: y_i = x[i, i + k], an index; the gradient goes back onto the diagonal.
- ``diag``: a vector onto the k-th diagonal of a zero matrix (scatter), or ``diagonal``.
- ``trace``: the sum of ``diagonal``; its gradient is the identity (shifted by ``offset``).
- ``tril`` / ``triu``: ``where(mask, x, 0)``; the gradient is the same triangle of dL/dy.
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu.ops.functions import where
from tinygrad_edu.ops.reduce import normalize_axis
from tinygrad_edu.ops.shape import IndexAdd
from tinygrad_edu.tensor import Tensor


def _diagonal_index(n1: int, n2: int, offset: int, xp: Any) -> tuple[Any, Any]:
    """Rows and columns of the ``offset``-th diagonal of an n1 x n2 matrix."""
    length = max(0, min(n1 + min(offset, 0), n2 - max(offset, 0)))
    rows = xp.arange(length) + max(-offset, 0)
    return rows, rows + offset


def diagonal(x: Tensor, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The ``offset``-th diagonal of the matrices in axes (``axis1``, ``axis2``), as the last axis
    of the result (``numpy.diagonal``; PyTorch's ``dim1``, ``dim2``)."""
    if x.ndim < 2:
        raise ValueError(f"diagonal: needs at least two axes, got shape {x.shape}")
    a1, a2 = (normalize_axis(a, x.ndim, "diagonal") for a in (axis1, axis2))
    if a1 == a2:
        raise ValueError(f"diagonal: axis1 and axis2 must differ, got {axis1} and {axis2}")
    rest = [i for i in range(x.ndim) if i not in (a1, a2)]
    moved = x.permute(*rest, a1, a2)
    rows, cols = _diagonal_index(x.shape[a1], x.shape[a2], int(offset), x.xp)
    return moved[(Ellipsis, rows, cols)]


def diag(x: Tensor, k: int = 0) -> Tensor:
    """``numpy.diag``: a 1-D ``x`` placed on the k-th diagonal of a square zero matrix, or the
    k-th diagonal of a 2-D ``x``."""
    if x.ndim == 2:
        return diagonal(x, k, 0, 1)
    if x.ndim != 1:
        raise ValueError(f"diag: the input must be 1-D or 2-D, got shape {x.shape}")
    n = x.shape[0] + abs(k)
    rows, cols = _diagonal_index(n, n, int(k), x.xp)
    return IndexAdd.apply(x, index=(rows, cols), shape=(n, n))


def trace(x: Tensor, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The sum along a diagonal (``numpy.trace``); for stacks, one trace per matrix."""
    return diagonal(x, offset, axis1, axis2).sum(-1)


def _triangle(x: Tensor, k: int, lower: bool, op: str) -> Tensor:
    if x.ndim < 1:
        raise ValueError(f"{op}: needs at least one axis, got a 0-d tensor")
    n, m = (x.shape[-2], x.shape[-1]) if x.ndim >= 2 else (x.shape[-1], x.shape[-1])
    mask = x.xp.tri(n, m, k, dtype=bool) if lower else ~x.xp.tri(n, m, k - 1, dtype=bool)
    return where(Tensor._make(mask, x.device), x, 0.0)


def tril(x: Tensor, k: int = 0) -> Tensor:
    """The lower triangle (on and below the k-th diagonal), zeros above (``numpy.tril``)."""
    return _triangle(x, int(k), True, "tril")


def triu(x: Tensor, k: int = 0) -> Tensor:
    """The upper triangle (on and above the k-th diagonal), zeros below (``numpy.triu``)."""
    return _triangle(x, int(k), False, "triu")
