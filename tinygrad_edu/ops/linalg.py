"""Linear algebra: inverse, determinant, solve, Cholesky, eigh, SVD, QR, pseudo-inverse and
vector norms, each a :class:`Function` on (stacks of) matrices.

The forward calls the backend's ``xp.linalg`` (NumPy or CuPy). Every derivative rule is written
with Tensor ops, most of them with these very ops (``inv``'s rule uses ``inv``), so that
Hessians work. Notation: ``A`` the input matrix, ``G`` the adjoint of the output (dL/dY),
``^T`` the transpose of the last two axes, leading axes are a batch.

Ops with several results (eigh: w and V; svd: U, S and V^T; qr: Q and R) return them packed
into one array, which :mod:`tinygrad_edu.linalg` slices apart again; their rule receives the
adjoints packed the same way (zeros for a result that the loss does not use).
"""

from __future__ import annotations

from tinygrad_edu import backend
from tinygrad_edu.autograd import Function
from tinygrad_edu.ops.shape import concatenate
from tinygrad_edu.tensor import Tensor

_host = backend.xp("cpu")  # host NumPy, for shape arithmetic


def _eye(like: Tensor, n: int) -> Tensor:
    """The n x n identity as a constant tensor beside ``like``."""
    return Tensor._make(like.xp.eye(n, dtype=like.dtype), like.device)


def _diag_embed(v: Tensor) -> Tensor:
    """A stack of diagonal matrices with ``v[..., i]`` on the diagonal."""
    return v.unsqueeze(-1) * _eye(v, v.shape[-1])


def _skew(x: Tensor) -> Tensor:
    return x - x.mT


def _refuse_repeated(gaps: Tensor, op: str, what: str) -> None:
    """The rules of eigh and svd divide by the gaps between values: refuse a zero gap."""
    n = gaps.shape[-1]
    if ((gaps.data == 0) & ~gaps.xp.eye(n, dtype=bool)).any():
        raise ValueError(
            f"{op}: the derivative of the {what} does not exist at a repeated value (its vectors are "
            "not unique there); a loss of the values alone is differentiable, or perturb the matrix"
        )


# Each op is its own Function class with its forward and derivative side by side (the project's
# style, for students): ops of the same form repeat a few lines on purpose, so that each reads alone.
class Inv(Function):
    """Y = A^-1, the inverse."""

    local = "dL/dA = -Y^T dL/dY Y^T"
    reads_inputs = False  # its rule reads only its output

    def forward(self, a):
        return self.xp.linalg.inv(a)

    def backward(self, g):
        y = self.output
        return -(y.mT @ g @ y.mT)


class Det(Function):
    """y = det A. The derivative is Jacobi's formula (A must be invertible for the rule)."""

    local = "dy/dA = y A^-T"

    def forward(self, a):
        return self.xp.linalg.det(a)

    def backward(self, g):
        (a,) = self.inputs
        y = self.output
        return (g * y).unsqueeze(-1).unsqueeze(-1) * Inv.apply(a).mT


class LogAbsDet(Function):
    """y = log |det A| (the second result of ``slogdet``)."""

    local = "dy/dA = A^-T"

    def forward(self, a):
        return self.xp.linalg.slogdet(a)[1]

    def backward(self, g):
        (a,) = self.inputs
        return g.unsqueeze(-1).unsqueeze(-1) * Inv.apply(a).mT


class Solve(Function):
    """X = A^-1 B (B a stack of matrices, batch axes broadcast): the solution of A X = B."""

    local = ("dL/dA = -(A^-T dL/dX) X^T", "dL/dB = A^-T dL/dX")

    def forward(self, a, b):
        batch = _host.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = self.xp.broadcast_to(a, batch + a.shape[-2:])
        b = self.xp.broadcast_to(b, batch + b.shape[-2:])
        return self.xp.linalg.solve(a, b)

    def backward(self, g):
        a, b = self.inputs
        gb = Solve.apply(a.mT, g)
        ga = -(gb @ self.output.mT) if self.needs_input_grad[0] else None
        return (ga.sum_to(a.shape) if ga is not None else None), (
            gb.sum_to(b.shape) if self.needs_input_grad[1] else None
        )


class Cholesky(Function):
    """C = cholesky(A), A = C C^T with C lower triangular (the lower triangle of A is read).

    In the rule, Phi(X) is the lower triangle of X with its diagonal halved and
    sym(S) = (S + S^T) / 2 (Murray 2016; the symmetric gradient, as PyTorch and HIPS autograd).
    """

    local = "dL/dA = sym(C^-T Phi(C^T dL/dC) C^-1)"
    reads_inputs = False  # its rule reads only its output

    def forward(self, a):
        return self.xp.linalg.cholesky(a)

    def backward(self, g):
        low = self.output
        n = low.shape[-1]
        phi = Tensor._make(low.xp.tril(low.xp.ones((n, n), dtype=low.dtype)) - 0.5 * low.xp.eye(n), low.device)
        inv_l = Inv.apply(low)
        s = inv_l.mT @ ((low.mT @ g) * phi) @ inv_l
        return (s + s.mT) * 0.5


class Eigh(Function):
    """w, V = eigh(A) for symmetric A, packed as one array [w; V] of shape (..., n + 1, n).

    In the rule E_ij = w_j - w_i and skew(X) = (X - X^T) / 2: the symmetric gradient
    (PyTorch's). When the loss uses the eigenvectors, the rule divides by
    the gaps between eigenvalues: at a repeated eigenvalue the eigenvectors are not unique and
    have no derivative, and the rule says so instead of returning infinities. When the loss uses
    the eigenvalues only (dL/dV = 0) the term is skipped and repeated eigenvalues are fine.
    """

    local = "dL/dA = V (diag(dL/dw) + skew(V^T dL/dV) / E) V^T"
    reads_inputs = False  # its rule reads only its output

    def forward(self, a):
        w, v = self.xp.linalg.eigh(a, UPLO=self.uplo)
        return self.xp.concatenate([w[..., None, :], v], axis=-2)

    def backward(self, g):
        out = self.output
        w, v = out[..., 0, :], out[..., 1:, :]
        gw, gv = g[..., 0, :], g[..., 1:, :]
        inner = _diag_embed(gw)
        if gv.data.any():
            n = w.shape[-1]
            gaps = w.unsqueeze(-2) - w.unsqueeze(-1)
            _refuse_repeated(gaps, "eigh", "eigenvectors")
            inner = inner + _skew(v.mT @ gv) * 0.5 / (gaps + _eye(w, n))
        return v @ inner @ v.mT


class SVD(Function):
    """U, S, V^T = svd(A) (reduced: k = min(m, n)), packed flat as [U, S, V^T] on the last axis.

    In the rule (Townsend 2016, as PyTorch and HIPS autograd) E_ij = S_j^2 - S_i^2 and
    skew(X) = X - X^T; a tall A (m > n) adds (I - U U^T) dL/dU S^-1 V^T, a wide one (m < n)
    U S^-1 dL/dV^T (I - V V^T). When the loss uses S only, dL/dA = U diag(dL/dS) V^T. The vectors'
    terms divide by gaps between singular values and by S: at a repeated singular value the rule
    refuses (no derivative).
    """

    local = "dL/dA = U [(skew(U^T dL/dU) S + S skew(V^T dL/dV)) / E + diag(dL/dS)] V^T"
    reads_inputs = False  # its rule reads its output and only the shape of its input

    def forward(self, a):
        u, s, vh = self.xp.linalg.svd(a, full_matrices=False)
        batch = a.shape[:-2]
        flat = [u.reshape(batch + (u.shape[-2] * u.shape[-1],)), s, vh.reshape(batch + (vh.shape[-2] * vh.shape[-1],))]
        return self.xp.concatenate(flat, axis=-1)

    def backward(self, g):
        (a,) = self.inputs
        u, s, vh = unpack_svd(self.output, a.shape)
        gu, gs, gvh = unpack_svd(g, a.shape)
        if not (gu.data.any() or gvh.data.any()):
            return (u * gs.unsqueeze(-2)) @ vh
        m, n = a.shape[-2:]
        k = s.shape[-1]
        v, gv = vh.mT, gvh.mT
        s2 = s * s
        gaps = s2.unsqueeze(-2) - s2.unsqueeze(-1)
        _refuse_repeated(gaps, "svd", "singular vectors")
        inner = (_skew(u.mT @ gu) * s.unsqueeze(-2) + s.unsqueeze(-1) * _skew(v.mT @ gv)) / (gaps + _eye(s, k))
        inner = inner + _diag_embed(gs)
        if m != n and (s.data == 0).any():
            raise ValueError(
                f"svd: the singular vectors of a rank-deficient {m} x {n} matrix (a zero singular value) "
                "have no derivative; a loss of the singular values alone is differentiable"
            )
        if m > k:
            gu_s = gu / s.unsqueeze(-2)
            return (u @ inner + gu_s - u @ (u.mT @ gu_s)) @ vh
        if n > k:
            gv_s = (gv / s.unsqueeze(-2)).mT
            return u @ (inner @ vh + gv_s - (gv_s @ v) @ vh)
        return u @ inner @ vh


def unpack_svd(packed: Tensor, shape: tuple[int, ...]) -> tuple[Tensor, Tensor, Tensor]:
    """U, S, V^T of a matrix of ``shape`` out of :class:`SVD`'s packed output."""
    batch, (m, n) = tuple(shape[:-2]), shape[-2:]
    k = min(m, n)
    u = packed[..., : m * k].reshape(batch + (m, k))
    s = packed[..., m * k : m * k + k]
    vh = packed[..., m * k + k :].reshape(batch + (k, n))
    return u, s, vh


class QR(Function):
    """Q, R = qr(A) (reduced: k = min(m, n)), packed flat as [Q, R] on the last axis.

    The rule for m >= n is Liao et al. 2019's, with copyltu(M) = tril(M) + tril(M, -1)^T.
    For m < n, A = [X | Y] with X square: R = [U | Q^T Y], and X is handled as for m = n with
    dL/dQ + Y dL/dV^T in place of dL/dQ, while dL/dY = Q dL/dV. R must be invertible.
    """

    local = "dL/dA = (dL/dQ + Q copyltu(R dL/dR^T - dL/dQ^T Q)) R^-T"

    def forward(self, a):
        q, r = self.xp.linalg.qr(a, mode="reduced")
        batch = a.shape[:-2]
        flat = [q.reshape(batch + (q.shape[-2] * q.shape[-1],)), r.reshape(batch + (r.shape[-2] * r.shape[-1],))]
        return self.xp.concatenate(flat, axis=-1)

    def backward(self, g):
        (a,) = self.inputs
        q, r = unpack_qr(self.output, a.shape)
        gq, gr = unpack_qr(g, a.shape)
        m, n = a.shape[-2:]
        if m >= n:
            return _qr_tall_backward(q, r, gq, gr)
        y, gu, gv = a[..., m:], gr[..., :m], gr[..., m:]
        gx = _qr_tall_backward(q, r[..., :m], gq + y @ gv.mT, gu)
        return concatenate([gx, q @ gv], axis=-1)


def _qr_tall_backward(q: Tensor, r: Tensor, gq: Tensor, gr: Tensor) -> Tensor:
    n = r.shape[-1]
    m_ = r @ gr.mT - gq.mT @ q
    low = Tensor._make(r.xp.tril(r.xp.ones((n, n), dtype=r.dtype), -1), r.device)
    diag = _eye(r, n)
    lower = m_ * low
    copyltu = lower + m_ * diag + lower.mT
    return (gq + q @ copyltu) @ Inv.apply(r).mT


def unpack_qr(packed: Tensor, shape: tuple[int, ...]) -> tuple[Tensor, Tensor]:
    """Q, R of a matrix of ``shape`` out of :class:`QR`'s packed output."""
    batch, (m, n) = tuple(shape[:-2]), shape[-2:]
    k = min(m, n)
    return packed[..., : m * k].reshape(batch + (m, k)), packed[..., m * k :].reshape(batch + (k, n))


class Pinv(Function):
    """P = A^+, the Moore-Penrose pseudo-inverse.

    The rule (Golub and Pereyra 1973) holds where the rank of A does not change (full rank, or cut
    off by ``rcond`` away from it).
    """

    local = "dL/dA = -P^T dL/dP P^T + (I - A P) dL/dP^T P P^T + P^T P dL/dP^T (I - P A)"

    def forward(self, a):
        # hermitian=True only picks a faster algorithm in NumPy (CuPy has no such switch): the
        # general pseudo-inverse is the same matrix
        return self.xp.linalg.pinv(a, rcond=self.rcond)

    def backward(self, g):
        (a,) = self.inputs
        p = self.output
        m, n = a.shape[-2:]
        gt = g.mT
        out = -(p.mT @ g @ p.mT)
        out = out + (_eye(a, m) - a @ p) @ gt @ (p @ p.mT)
        return out + (p.mT @ p) @ gt @ (_eye(a, n) - p @ a)


class VectorNorm(Function):
    """y = ||x||_p = (sum_i |x_i|^p)^(1/p) over the last axis, for a finite p (0: the count of non-zeros).

    For p = 2 the local derivative is x / y, for p = 1 sign(x). At y = 0 the gradient is 0
    (PyTorch's subgradient), and so is each x_i = 0 term for p < 1.
    p = 0 counts the non-zeros: its gradient is 0. (p = +-inf is max/min of |x|, composed in
    :mod:`tinygrad_edu.linalg`.)
    """

    local = "dy/dx = sign(x) |x|^(p-1) / y^(p-1)"

    def forward(self, x):
        return self.xp.linalg.norm(x, ord=self.p, axis=-1)

    def backward(self, g):
        (x,) = self.inputs
        p = self.p
        g = g.unsqueeze(-1)
        if p == 0:
            return (g * 0.0).expand(*x.shape)
        y = self.output.unsqueeze(-1)
        y_safe = y.where(self.const(y.data != 0), 1.0)
        zero_y = self.const(y.data == 0)
        if p == 1:
            return (g * x.sign()).where(~zero_y, 0.0)
        if p == 2:
            return (g * x / y_safe).where(~zero_y, 0.0)
        nonzero = self.const(x.data != 0)
        a = x.abs().where(nonzero, 1.0)
        return (g * x.sign() * a ** (p - 1.0) / y_safe ** (p - 1.0)).where(~zero_y, 0.0)
