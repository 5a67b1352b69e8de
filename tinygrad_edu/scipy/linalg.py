"""``scipy.linalg`` with derivatives: HIPS autograd's ``solve_triangular``, ``solve_banded``,
``solve_sylvester`` and ``sqrtm``, written with the differentiable linear algebra of :mod:`tinygrad_edu.numpy.linalg`
(``solve``, ``eigh``) and differentiable indexing, so derivatives of every order work.

``sqrtm`` differentiates a symmetric matrix (through ``eigh``: the square root of each
eigenvalue); for a non-symmetric one it refuses, saying why. SciPy's other ``linalg`` functions
refuse a Tensor that requires grad.
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.numpy import _table
from tinygrad_edu.scipy._wrap import Namespace, as_tensors, has_tensor
from tinygrad_edu.tensor import Tensor

_sla = backend.scipy_module("linalg")
_np = backend.xp("cpu")

DIFFERENTIABLE = frozenset({"solve_triangular", "solve_banded", "sqrtm", "solve_sylvester"})
VALUE_ONLY: frozenset[str] = frozenset()
__all__ = sorted(DIFFERENTIABLE)


def _const(host: Any, like: Tensor) -> Tensor:
    """A constant made on the host (a mask, an identity), on the device of ``like``."""
    return Tensor(host, device=like.device)


def _npla():
    from tinygrad_edu.numpy import linalg  # noqa: PLC0415  (the namespace imports this package's siblings)

    return linalg


def solve_triangular(
    a: Any, b: Any, trans: Any = 0, lower: bool = False, unit_diagonal: bool = False, **kw: Any
) -> Any:
    """x with T x = b, T the lower (``lower=True``) or upper triangle of ``a`` (its transpose for
    ``trans`` 1 or "T"); the other triangle of ``a`` is not read and gets no gradient."""
    if not has_tensor(a, b):
        return _sla.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal, **kw)
    a, b = as_tensors(a, b)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"solve_triangular: a must be a square matrix, got shape {tuple(a.shape)}")
    keep = _np.tril(_np.ones(a.shape, dtype=bool), -1 if unit_diagonal else 0)
    keep = keep if lower else keep.T
    t = a * _const(keep.astype(a.dtype), a)
    if unit_diagonal:
        t = t + _const(_np.eye(a.shape[0], dtype=a.dtype), a)
    if trans in (1, "T", "C", 2):
        t = t.T
    elif trans not in (0, "N"):
        raise ValueError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")
    return _npla().solve(t, b)


def solve_banded(l_and_u: tuple[int, int], ab: Any, b: Any, **kw: Any) -> Any:
    """x with A x = b, A given in banded storage: ``A[i, j] = ab[u + i - j, j]`` for the ``l``
    sub- and ``u`` super-diagonals (zeros elsewhere); differentiable in ``ab`` and ``b``."""
    if not has_tensor(ab, b):
        return _sla.solve_banded(l_and_u, ab, b, **kw)
    ab, b = as_tensors(ab, b)
    lo, up = (int(v) for v in l_and_u)
    n = ab.shape[1]
    if ab.ndim != 2 or ab.shape[0] != lo + up + 1:
        raise ValueError(f"solve_banded: ab must have shape ({lo + up + 1}, n) for (l, u) = {(lo, up)}, got {ab.shape}")
    i, j = _np.meshgrid(_np.arange(n), _np.arange(n), indexing="ij")
    row = up + i - j
    inside = (row >= 0) & (row <= lo + up)
    flat = _np.where(inside, row, 0) * n + j  # where A[i, j] lives in ab, flattened
    dense = ab.reshape(-1)[ab.xp.asarray(flat)] * _const(inside.astype(ab.dtype), ab)
    return _npla().solve(dense, b)


def sqrtm(A: Any, disp: bool = True, blocksize: int = 64) -> Any:
    """The principal square root X of A (X @ X = A). For a Tensor A must be symmetric with
    eigenvalues >= 0: X = V diag(sqrt(w)) V^T from ``eigh``, differentiable (for distinct
    eigenvalues, as every eigenvector derivative)."""
    if not has_tensor(A):
        return _sla.sqrtm(A, disp=disp, blocksize=blocksize)
    (A,) = as_tensors(A)
    data = backend.to_numpy(A.data)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or not _np.allclose(data, data.T):
        raise _table.refusal(
            "tinygrad_edu.scipy.linalg.sqrtm of a non-symmetric matrix",
            "only a symmetric matrix's square root is differentiated (through eigh)",
        )
    w, v = _npla().eigh(A)
    if float(w.data.min()) < 0:
        raise ValueError(
            f"sqrtm: the matrix has a negative eigenvalue ({float(w.data.min()):.3g}); its root is complex"
        )
    return (v * w.sqrt()) @ v.T


def solve_sylvester(a: Any, b: Any, q: Any) -> Any:
    """X with A X + X B = Q, differentiable in all three: for an n x m X the n m linear equations
    (A kron I + I kron B^T) vec(X) = vec(Q) (row-major vec) solved with the differentiable ``solve``."""
    if not has_tensor(a, b, q):
        return _sla.solve_sylvester(a, b, q)
    from tinygrad_edu import numpy as tnp  # noqa: PLC0415

    a, b, q = as_tensors(a, b, q)
    n, m = q.shape if q.ndim == 2 else (None, None)
    if a.shape != (n, n) or b.shape != (m, m):
        raise ValueError(
            f"solve_sylvester: a must be (n, n), b (m, m) and q (n, m); got {tuple(a.shape)}, "
            f"{tuple(b.shape)} and {tuple(q.shape)}"
        )
    eye_n, eye_m = _const(_np.eye(n, dtype=a.dtype), a), _const(_np.eye(m, dtype=a.dtype), a)
    k = tnp.kron(a, eye_m) + tnp.kron(eye_n, b.T)
    return _npla().solve(k, q.reshape(-1)).reshape(n, m)


_NAMESPACE = Namespace("tinygrad_edu.scipy.linalg", _sla, value_only=VALUE_ONLY)


def __getattr__(name: str) -> Any:
    """SciPy's other ``linalg`` names, as the table declares them."""
    return _NAMESPACE.getattr(name)
