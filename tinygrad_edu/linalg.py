"""``torch.linalg`` for tinygrad_edu: differentiable linear algebra on Tensors, PyTorch's names.

Every function takes a matrix or a stack of matrices (leading axes are a batch) and is
differentiable, to any order, through the rules in :mod:`tinygrad_edu.ops.linalg`. NumPy's
names and signatures are in :mod:`tinygrad_edu.numpy.linalg`.

Where a derivative does not exist the functions say so rather than return infinities: the
eigenvectors (singular vectors) at a repeated eigenvalue (singular value), and ``svd`` /
``qr`` with ``full_matrices=True`` / ``mode="complete"`` on a non-square matrix, whose extra
vectors are arbitrary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tinygrad_edu import autograd
from tinygrad_edu.ops import linalg as _L
from tinygrad_edu.ops.reduce import normalize_axis
from tinygrad_edu.tensor import Tensor

# Names shared with tinygrad_edu.numpy.linalg on purpose: torch.linalg and numpy.linalg share them
# too; each namespace lists its own (they differ: vector_norm here, multi_dot there).
__all__ = [
    "inv",
    "pinv",
    "det",
    "slogdet",
    "solve",
    "norm",
    "vector_norm",
    "matrix_norm",
    "cholesky",
    "eigh",
    "eigvalsh",
    "svd",
    "svdvals",
    "qr",
    "matrix_power",
]

_INF = float("inf")


def _tensor(a: Any) -> Tensor:
    return a if isinstance(a, Tensor) else Tensor(a)


def _matrix(a: Any, op: str) -> Tensor:
    a = _tensor(a)
    if a.ndim < 2:
        raise ValueError(f"{op}: expected a matrix or a stack of matrices (..., m, n), got shape {a.shape}")
    return a


def _square(a: Any, op: str) -> Tensor:
    a = _matrix(a, op)
    if a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{op}: expected square matrices (..., n, n), got shape {a.shape}")
    return a


def _recording(a: Tensor) -> bool:
    return a.requires_grad and autograd.is_grad_enabled()


def inv(A: Any) -> Tensor:
    """The inverse ``A^-1``; its derivative is ``-A^-T G A^-T``."""
    return _L.Inv.apply(_square(A, "inv"))


def pinv(A: Any, rtol: float | None = None, hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse; singular values below ``rtol`` times the largest are
    cut off (NumPy's default ``1e-15``). Differentiable where the rank does not change.
    ``hermitian`` is accepted for NumPy's signature: the result is the same matrix."""
    A = _matrix(A, "pinv")
    return _L.Pinv.apply(A, rcond=1e-15 if rtol is None else rtol)


def det(A: Any) -> Tensor:
    """The determinant; its derivative is ``G det(A) A^-T`` (A invertible)."""
    return _L.Det.apply(_square(A, "det"))


def slogdet(A: Any) -> tuple[Tensor, Tensor]:
    """``(sign, log|det A|)``: the sign is a constant, ``log|det A|`` has derivative ``G A^-T``."""
    A = _square(A, "slogdet")
    sign = Tensor._make(A.xp.asarray(A.xp.linalg.slogdet(A.data)[0]), A.device)
    return sign, _L.LogAbsDet.apply(A)


def solve_matrices(A: Tensor, B: Tensor, op: str) -> Tensor:
    """``A^-1 B`` for a stack of square ``A`` and a stack of matrices ``B`` (batches broadcast)."""
    if B.ndim < 2 or B.shape[-2] != A.shape[-1]:
        raise ValueError(f"{op}: A of shape {A.shape} and B of shape {B.shape} do not fit (A X = B)")
    return _L.Solve.apply(A, B)


def solve(A: Any, B: Any, *, left: bool = True) -> Tensor:
    """The solution X of ``A X = B`` (``X A = B`` with ``left=False``), PyTorch's rule for when B
    is a (batch of) vector(s): B of shape (n,), or of A's shape without its last axis."""
    A = _square(A, "solve")
    B = A._lift(B)
    if not left:
        return solve(A.mT, B.mT).mT
    if B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1]):
        return solve_matrices(A, B.unsqueeze(-1), "solve").squeeze(-1)
    return solve_matrices(A, B, "solve")


def cholesky(A: Any, *, upper: bool = False) -> Tensor:
    """L with ``A = L L^T`` (lower; ``upper=True``: ``L^T``) for symmetric positive-definite A."""
    L = _L.Cholesky.apply(_square(A, "cholesky"))
    return L.mT if upper else L


def eigh(A: Any, UPLO: str = "L") -> tuple[Tensor, Tensor]:
    """Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix, from its lower
    (``UPLO="L"``) or upper triangle. The gradient is symmetric (see :class:`~.ops.linalg.Eigh`)."""
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    out = _L.Eigh.apply(_square(A, "eigh"), uplo=UPLO)
    return out[..., 0, :], out[..., 1:, :]


def eigvalsh(A: Any, UPLO: str = "L") -> Tensor:
    """The eigenvalues of a symmetric matrix (ascending); differentiable at repeated ones too."""
    return eigh(A, UPLO)[0]


def svd(A: Any, full_matrices: bool = True) -> tuple[Tensor, Tensor, Tensor]:
    """``U, S, V^T`` with ``A = U diag(S) V^T``, S descending.

    ``full_matrices=True`` (PyTorch's and NumPy's default) on a non-square matrix adds arbitrary
    orthonormal columns, which have no derivative: recording it raises; pass ``False``.
    """
    A = _matrix(A, "svd")
    m, n = A.shape[-2:]
    if full_matrices and m != n:
        if _recording(A):
            raise ValueError(
                f"svd: full_matrices=True on a {m} x {n} matrix adds arbitrary singular vectors, which "
                "have no derivative; pass full_matrices=False"
            )
        u, s, vh = A.xp.linalg.svd(A.data, full_matrices=True)
        return tuple(Tensor._make(x, A.device) for x in (u, s, vh))  # type: ignore[return-value]
    return _L.unpack_svd(_L.SVD.apply(A), A.shape)


def svdvals(A: Any) -> Tensor:
    """The singular values, descending; derivative ``U diag(G) V^T``."""
    A = _matrix(A, "svdvals")
    return _L.unpack_svd(_L.SVD.apply(A), A.shape)[1]


def qr(A: Any, mode: str = "reduced") -> tuple[Tensor, Tensor]:
    """``Q, R`` with ``A = Q R``; ``mode`` ``"reduced"``, ``"complete"`` or ``"r"`` (then Q is
    empty, as in PyTorch). ``"complete"`` on a tall matrix has no derivative: recording it raises."""
    A = _matrix(A, "qr")
    m, n = A.shape[-2:]
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    if mode == "complete" and m > n:
        if _recording(A):
            raise ValueError(
                f"qr: mode='complete' on a {m} x {n} matrix adds arbitrary columns to Q, which have no "
                "derivative; use mode='reduced'"
            )
        q, r = A.xp.linalg.qr(A.data, mode="complete")
        return Tensor._make(q, A.device), Tensor._make(r, A.device)
    q, r = _L.unpack_qr(_L.QR.apply(A), A.shape)
    if mode == "r":
        return Tensor._make(A.xp.zeros((0,), dtype=r.dtype), A.device), r
    return q, r


def matrix_power(A: Any, n: int) -> Tensor:
    """``A^n`` by repeated squaring; negative ``n`` uses ``inv(A)``, ``n = 0`` the identity."""
    A = _square(A, "matrix_power")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"matrix_power: the exponent must be an int, got {type(n).__name__}")
    if n == 0:
        eye = A.xp.broadcast_to(A.xp.eye(A.shape[-1], dtype=A.dtype), A.shape)
        return Tensor._make(eye.copy(), A.device)
    base, n = (inv(A), -n) if n < 0 else (A, n)
    out = None
    while n:
        if n & 1:
            out = base if out is None else out @ base
        n >>= 1
        if n:
            base = base @ base
    return out


# ----------------------------------------------------------------------------------- norms


def _axes(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    if dim is None:
        return tuple(range(ndim))
    a = normalize_axis(dim, ndim, op)
    return (a,) if isinstance(a, int) else tuple(a)


def _keep(y: Tensor, shape: tuple[int, ...], axes: Sequence[int]) -> Tensor:
    return y.reshape(tuple(1 if i in axes else s for i, s in enumerate(shape)))


def vector_norm(x: Any, ord: float = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
    """``(sum |x_i|^ord)^(1/ord)`` over ``dim`` (all axes when None); ``ord`` any number,
    ``inf``/``-inf`` (max/min of |x|), 0 (count of non-zeros). A zero vector's gradient is 0."""
    x = _tensor(x)
    if isinstance(ord, str):
        raise ValueError(f"vector_norm: ord must be a number, got {ord!r}")
    axes = _axes(dim, x.ndim, "vector_norm")
    rest = [i for i in range(x.ndim) if i not in axes]
    flat = x.permute(*rest, *axes).reshape(tuple(x.shape[i] for i in rest) + (-1,)) if x.ndim else x.reshape(1)
    if flat.shape[-1] == 0 and ord in (_INF, -_INF):
        raise ValueError(f"vector_norm: ord={ord} of an empty vector (shape {x.shape}) is undefined")
    if ord == _INF:
        y = flat.abs().max(-1)
    elif ord == -_INF:
        y = flat.abs().min(-1)
    else:
        y = _L.VectorNorm.apply(flat, p=float(ord))
    return _keep(y, x.shape, axes) if keepdim else y


def _svd_norm(A: Tensor, ord: Any, r: int, c: int) -> Tensor:
    rest = [i for i in range(A.ndim) if i not in (r, c)]
    s = svdvals(A.permute(*rest, r, c))
    return s.sum(-1) if ord == "nuc" else s.max(-1) if ord == 2 else s.min(-1)


def matrix_norm(A: Any, ord: Any = "fro", dim: tuple[int, int] = (-2, -1), keepdim: bool = False) -> Tensor:
    """Matrix norms over the two axes ``dim``: ``"fro"``, ``"nuc"`` (sum of singular values),
    2 / -2 (largest / smallest singular value), 1 / -1 (max / min column sum of |A|),
    inf / -inf (max / min row sum of |A|)."""
    A = _matrix(A, "matrix_norm")
    if len(dim) != 2:
        raise ValueError(f"matrix_norm: dim must name two axes, got {dim}")
    r, c = (normalize_axis(d, A.ndim, "matrix_norm") for d in dim)
    if r == c:
        raise ValueError(f"matrix_norm: dim must name two different axes, got {dim}")
    axes = (r, c)
    if ord == "fro":
        return vector_norm(A, 2, axes, keepdim)
    if ord in ("nuc", 2, -2):
        y = _svd_norm(A, ord, r, c)
        return _keep(y, A.shape, axes) if keepdim else y
    if ord not in (1, -1, _INF, -_INF):
        raise ValueError(f"matrix_norm: ord must be 'fro', 'nuc', 2, -2, 1, -1, inf or -inf, got {ord!r}")
    summed, picked = (r, c) if ord in (1, -1) else (c, r)
    s = A.abs().sum(summed, keepdims=True)
    y = s.max(picked, keepdims=True) if ord > 0 else s.min(picked, keepdims=True)
    return y if keepdim else y.squeeze(axes)


def norm(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False) -> Tensor:
    """``torch.linalg.norm``: a vector norm when ``dim`` is an int or A is 1-D, a matrix norm when
    ``dim`` is a pair or A is 2-D; with ``ord=None`` and ``dim=None``, the 2-norm of all elements."""
    A = _tensor(A)
    if dim is None and ord is None:
        return vector_norm(A, 2, None, keepdim)
    if dim is None:
        if A.ndim not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} without dim needs a 1-D or 2-D input, got shape {A.shape}")
        dim = (0,) if A.ndim == 1 else (0, 1)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) == 1:
        return vector_norm(A, 2 if ord is None else ord, dims, keepdim)
    if len(dims) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim)
    raise ValueError(f"norm: dim must be an int or a pair of axes, got {dim}")
