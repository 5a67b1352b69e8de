"""``numpy.linalg`` with derivatives: NumPy's names and signatures, ``autograd.numpy.linalg``'s role.

A function here computes with the Tensor ops of :mod:`tinygrad_edu.linalg` when its matrix is a
Tensor (as inside ``grad``), and is NumPy's own otherwise. NumPy's other ``linalg`` names are
declared value-only or refused below (see :mod:`tinygrad_edu.numpy._table`): a refused one given a
Tensor that requires grad raises rather than silently dropping its derivative.

Differences from NumPy for Tensors: ``slogdet``, ``eigh``, ``svd`` and ``qr`` return plain tuples;
``svd(..., hermitian=True)`` computes the general SVD (same values); ``qr(mode="raw")`` is refused.
"""

from __future__ import annotations

from typing import Any

import tinygrad_edu.numpy as _tnp
from tinygrad_edu import backend
from tinygrad_edu import linalg as _tl
from tinygrad_edu.numpy import _table
from tinygrad_edu.ops import matrix as _matrix
from tinygrad_edu.tensor import Tensor

_npl = backend.xp("cpu").linalg
LinAlgError = _npl.LinAlgError

DIFFERENTIABLE = frozenset(
    """inv pinv det slogdet solve norm cholesky eigh eigvalsh svd qr matrix_power vector_norm matrix_norm
    svdvals matrix_transpose trace diagonal multi_dot outer matmul cross vecdot""".split()
)
VALUE_ONLY = frozenset({"matrix_rank"})
REFUSED = {
    **dict.fromkeys(
        """lstsq tensorsolve tensorinv""".split(),
        "its derivative rule is not written yet (tinygrad_edu.linalg and the functions of "
        "tinygrad_edu.numpy may have it under another name)",
    ),
    **dict.fromkeys(["eig", "eigvals"], "the eigenvalues of a general matrix are complex; use eigh for symmetric ones"),
}

__all__ = [
    "LinAlgError",
    "inv",
    "pinv",
    "det",
    "slogdet",
    "solve",
    "norm",
    "cholesky",
    "eigh",
    "eigvalsh",
    "svd",
    "qr",
    "matrix_power",
    "vector_norm",
    "matrix_norm",
    "svdvals",
    "matrix_transpose",
    "trace",
    "diagonal",
    "multi_dot",
    "outer",
    "matmul",
    "cross",
    "vecdot",
]


# A one-line local name for the namespace's converter, as _shapes.py's _t (on purpose: short calls).
def _tensor(a: Any) -> Any:
    """A Tensor for a Tensor or a list holding tensors; anything else as it is."""
    return _tnp._tensor(a)


def inv(a: Any) -> Any:
    """``numpy.linalg.inv``; for Tensors dL/dA = -A^-T G A^-T."""
    a = _tensor(a)
    return _tl.inv(a) if isinstance(a, Tensor) else _npl.inv(a)


def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Any:
    """``numpy.linalg.pinv``; differentiable for Tensors where the rank does not change."""
    a = _tensor(a)
    if isinstance(a, Tensor):
        return _tl.pinv(a, rtol if rcond is None else rcond, hermitian)
    kw = {k: v for k, v in (("rcond", rcond), ("rtol", rtol)) if v is not None}
    return _npl.pinv(a, hermitian=hermitian, **kw)


def det(a: Any) -> Any:
    """``numpy.linalg.det``; for Tensors dL/dA = G det(A) A^-T."""
    a = _tensor(a)
    return _tl.det(a) if isinstance(a, Tensor) else _npl.det(a)


def slogdet(a: Any) -> Any:
    """``numpy.linalg.slogdet``: (sign, log|det A|); for Tensors d log|det A| / dA = A^-T."""
    a = _tensor(a)
    return _tl.slogdet(a) if isinstance(a, Tensor) else _npl.slogdet(a)


def solve(a: Any, b: Any) -> Any:
    """``numpy.linalg.solve``: X with A X = B; B is a vector only when it is 1-D (NumPy 2's rule)."""
    a, b = _tensor(a), _tensor(b)
    if not (isinstance(a, Tensor) or isinstance(b, Tensor)):
        return _npl.solve(a, b)
    like = a if isinstance(a, Tensor) else b
    a, b = like._lift(a), like._lift(b)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"solve: expected square matrices (..., n, n) for a, got shape {a.shape}")
    if b.ndim == 1:
        return _tl.solve_matrices(a, b.unsqueeze(-1), "solve").squeeze(-1)
    return _tl.solve_matrices(a, b, "solve")


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """``numpy.linalg.norm``: vector norms (any number, inf, -inf, 0) over one axis, matrix norms
    ('fro', 'nuc', 2, -2, 1, -1, inf, -inf) over two; a zero vector's gradient is 0 (PyTorch's)."""
    x = _tensor(x)
    if not isinstance(x, Tensor):
        return _npl.norm(x, ord, axis, keepdims)
    return _tl.norm(x, ord, axis, keepdims)


def cholesky(a: Any, /, *, upper: bool = False) -> Any:
    """``numpy.linalg.cholesky``; the gradient is symmetric (see ``ops.linalg.Cholesky``)."""
    a = _tensor(a)
    return _tl.cholesky(a, upper=upper) if isinstance(a, Tensor) else _npl.cholesky(a, upper=upper)


def eigh(a: Any, UPLO: str = "L") -> Any:
    """``numpy.linalg.eigh``: (w, V); the gradient is symmetric, refused for the eigenvectors at a
    repeated eigenvalue (see ``ops.linalg.Eigh``)."""
    a = _tensor(a)
    return _tl.eigh(a, UPLO) if isinstance(a, Tensor) else _npl.eigh(a, UPLO)


def eigvalsh(a: Any, UPLO: str = "L") -> Any:
    a = _tensor(a)
    return _tl.eigvalsh(a, UPLO) if isinstance(a, Tensor) else _npl.eigvalsh(a, UPLO)


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False) -> Any:
    """``numpy.linalg.svd``; for Tensors differentiable with ``full_matrices=False`` (or square
    matrices), and always with ``compute_uv=False``."""
    a = _tensor(a)
    if not isinstance(a, Tensor):
        return _npl.svd(a, full_matrices, compute_uv, hermitian)
    return _tl.svd(a, full_matrices) if compute_uv else _tl.svdvals(a)


def qr(a: Any, mode: str = "reduced") -> Any:
    """``numpy.linalg.qr``: (Q, R), or R alone for ``mode="r"``."""
    a = _tensor(a)
    if not isinstance(a, Tensor):
        return _npl.qr(a, mode)
    if mode == "raw":
        raise ValueError(
            "tinygrad_edu.numpy.linalg.qr: mode='raw' (Householder reflectors) is not supported for Tensors"
        )
    q, r = _tl.qr(a, mode)
    return r if mode == "r" else (q, r)


def matrix_power(a: Any, n: int) -> Any:
    """``numpy.linalg.matrix_power``: A^n for any integer n (negative: powers of the inverse)."""
    a = _tensor(a)
    return _tl.matrix_power(a, n) if isinstance(a, Tensor) else _npl.matrix_power(a, n)


# ----------------------------------------------------------------- NumPy 2's array-API functions


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:  # noqa: A002
    """``numpy.linalg.vector_norm``: over ``axis`` (all axes when None), any ``ord``."""
    x = _tensor(x)
    if not isinstance(x, Tensor):
        return _npl.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    return _tl.vector_norm(x, ord, axis, keepdims)


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:  # noqa: A002
    """``numpy.linalg.matrix_norm`` over the last two axes."""
    x = _tensor(x)
    if not isinstance(x, Tensor):
        return _npl.matrix_norm(x, keepdims=keepdims, ord=ord)
    return _tl.matrix_norm(x, ord, (-2, -1), keepdims)


def svdvals(x: Any, /) -> Any:
    """``numpy.linalg.svdvals``: the singular values; derivative U diag(G) V^T."""
    x = _tensor(x)
    return _tl.svdvals(x) if isinstance(x, Tensor) else _npl.svdvals(x)


def matrix_transpose(x: Any, /) -> Any:
    """``numpy.linalg.matrix_transpose``: the last two axes swapped."""
    x = _tensor(x)
    return x.mT if isinstance(x, Tensor) else _npl.matrix_transpose(x)


def trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Any:
    """``numpy.linalg.trace``: the trace of the matrices in the last two axes."""
    x = _tensor(x)
    if not isinstance(x, Tensor):
        return _npl.trace(x, offset=offset, dtype=dtype)
    if dtype is not None:
        raise TypeError("tinygrad_edu.numpy.linalg.trace: dtype= is not supported for Tensors")
    return _matrix.trace(x, offset, -2, -1)


def diagonal(x: Any, /, *, offset: int = 0) -> Any:
    """``numpy.linalg.diagonal``: the diagonals of the matrices in the last two axes."""
    x = _tensor(x)
    return _matrix.diagonal(x, offset, -2, -1) if isinstance(x, Tensor) else _npl.diagonal(x, offset=offset)


def multi_dot(arrays: Any, *, out: Any = None) -> Any:
    """``numpy.linalg.multi_dot``: the product of a chain of matrices (1-D ends as vectors)."""
    arrays = list(arrays)
    if not _tnp._has_tensor(arrays):
        return _npl.multi_dot(arrays, out=out)
    if out is not None:
        raise TypeError("tinygrad_edu.numpy.linalg.multi_dot: out= is not supported for Tensors")
    result = arrays[0]
    for a in arrays[1:]:
        result = _tnp.dot(result, a)
    return result


def outer(x1: Any, x2: Any, /) -> Any:
    """``numpy.linalg.outer`` of two vectors."""
    return _tnp.outer(x1, x2)


def matmul(x1: Any, x2: Any, /) -> Any:
    """``numpy.linalg.matmul`` (``x1 @ x2``)."""
    return _tnp.matmul(x1, x2)


def cross(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """``numpy.linalg.cross`` of 3-element vectors along ``axis``."""
    if not _tnp._has_tensor(x1, x2):
        return _npl.cross(x1, x2, axis=axis)
    return _tnp.cross(x1, x2, axis=axis)


def vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """``numpy.linalg.vecdot``: ``sum(x1 * x2)`` along ``axis`` (broadcast)."""
    if not _tnp._has_tensor(x1, x2):
        return _npl.vecdot(x1, x2, axis=axis)
    return _tnp.sum(_tnp.multiply(x1, x2), axis=axis)


_NAMESPACE = _table.Namespace("tinygrad_edu.numpy.linalg", _npl, value_only=VALUE_ONLY, refused=REFUSED)


def __getattr__(name: str) -> Any:
    """NumPy's other ``linalg`` names, as the table declares them."""
    return _NAMESPACE.getattr(name)


def __dir__() -> list[str]:
    return _NAMESPACE.dir(globals())
