"""Linear algebra (``tinygrad_edu.linalg``, ``tinygrad_edu.numpy.linalg``): forward against NumPy,
backward against central differences in float64 and against PyTorch's ``torch.linalg``, second
derivatives with ``gradgradcheck``, over hypothesis-drawn batch shapes (empty batches included).

Matrices are drawn well-conditioned (A = B B^T + n I, or with separated eigen/singular values)
so that central differences are accurate. eigh and cholesky read one triangle of A, so their
functions symmetrize first: f(X) = eigh((X + X^T) / 2), as in PyTorch's own tests.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.numpy as tnp
from helpers import SETTINGS, assert_close, torch_or_skip
from tinygrad_edu import Tensor
from tinygrad_edu import linalg as L

seeds = st.integers(0, 2**32 - 1)
batches = st.lists(st.integers(0, 2), min_size=0, max_size=2).map(tuple)
FEW = settings(SETTINGS, max_examples=max(3, SETTINGS.max_examples // 5))


# ----------------------------------------------------------------------------- inputs


def spd(rng, batch, n):
    b = rng.standard_normal(batch + (n, n))
    return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)


def orthogonal(rng, batch, n):
    q, r = np.linalg.qr(rng.standard_normal(batch + (n, n)))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def separated(rng, batch, m, n):
    """A matrix with singular values 1, 1.7, 2.4, ... (well separated), random singular vectors."""
    k = min(m, n)
    s = 1.0 + 0.7 * np.arange(k)[::-1] + rng.uniform(0, 0.1, batch + (k,))
    u = orthogonal(rng, batch, m)[..., :k]
    v = orthogonal(rng, batch, n)[..., :k]
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


def sym_separated(rng, batch, n):
    w = 0.8 * np.arange(n) - 1.0 + rng.uniform(0, 0.1, batch + (n,))
    q = orthogonal(rng, batch, n)
    return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)


def sym(x):
    return (x + x.mT) * 0.5


def tsym(x):
    return (x + x.transpose(-1, -2)) * 0.5


# ----------------------------------------------------------------------------- checks


def weights(outs, rng):
    return [rng.standard_normal(o.shape) for o in outs]


def as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def check_all(fn, np_fn, torch_fn, arrays, device, rng, rtol=1e-9, atol=1e-10, fd_atol=1e-6):
    """Forward vs NumPy, backward vs central differences and vs PyTorch (float64)."""
    xs = [Tensor(a, requires_grad=True, device=device) for a in arrays]
    outs = as_tuple(fn(*xs))
    if np_fn is not None:
        for o, e in zip(outs, as_tuple(np_fn(*arrays))):
            assert_close(o, e, rtol, atol, what="forward vs numpy")
    ws = [Tensor(w, device=device) for w in weights(outs, rng)]

    def scalar(*a):
        return sum(((o * w).sum() for o, w in zip(as_tuple(fn(*a)), ws)), Tensor(0.0, device=device))

    assert tg.gradcheck(scalar, xs, eps=1e-6, atol=fd_atol, rtol=1e-5)
    if torch_fn is None:
        return
    torch = torch_or_skip()
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    touts = as_tuple(torch_fn(*ts))
    for o, t in zip(outs, touts):
        assert_close(o, t.detach().numpy(), rtol, atol, what="forward vs torch")
    sum((t * torch.tensor(w.detach().numpy())).sum() for t, w in zip(touts, ws)).backward()
    scalar(*xs).backward()
    for i, (x, t) in enumerate(zip(xs, ts)):
        if t.grad is None:  # torch treats the output as constant (the count of non-zeros)
            assert np.all(x.grad.numpy() == 0), f"input {i}: torch has no gradient"
            continue
        assert_close(x.grad, t.grad.numpy(), 1e-7, 1e-9, what=f"grad of input {i} vs torch")


def check_second(fn, arrays, device):
    xs = [Tensor(a, requires_grad=True, device=device) for a in arrays]
    assert tg.gradgradcheck(lambda *a: fn(*a), xs, atol=1e-5, rtol=1e-4)


# ----------------------------------------------------------------------------- the cases


def _t():
    return torch_or_skip()


CASES = {
    "inv": (
        lambda r, b, n: [spd(r, b, n)],
        L.inv,
        np.linalg.inv,
        lambda a: _t().linalg.inv(a),
    ),
    "det": (
        lambda r, b, n: [spd(r, b, n) / n],
        L.det,
        np.linalg.det,
        lambda a: _t().linalg.det(a),
    ),
    "det_general": (  # not symmetric, any sign
        lambda r, b, n: [r.standard_normal(b + (n, n)) + 2 * n * np.eye(n) * r.choice([-1, 1])],
        L.det,
        np.linalg.det,
        lambda a: _t().linalg.det(a),
    ),
    "slogdet": (
        lambda r, b, n: [r.standard_normal(b + (n, n)) - 2 * n * np.eye(n)],
        lambda a: L.slogdet(a),
        lambda a: tuple(np.linalg.slogdet(a)),
        lambda a: tuple(_t().linalg.slogdet(a)),
    ),
    "solve": (
        lambda r, b, n: [spd(r, b, n), r.standard_normal(b + (n, 2))],
        L.solve,
        np.linalg.solve,
        lambda a, c: _t().linalg.solve(a, c),
    ),
    "solve_vector_broadcast": (
        lambda r, b, n: [spd(r, b, n), r.standard_normal((n,))],
        L.solve,
        np.linalg.solve,
        lambda a, c: _t().linalg.solve(a, c),
    ),
    "solve_batch_broadcast": (
        lambda r, b, n: [spd(r, (), n), r.standard_normal(b + (n, 3))],
        L.solve,
        np.linalg.solve,
        lambda a, c: _t().linalg.solve(a, c),
    ),
    "cholesky": (
        lambda r, b, n: [spd(r, b, n)],
        lambda a: L.cholesky(sym(a)),
        np.linalg.cholesky,
        lambda a: _t().linalg.cholesky(tsym(a)),
    ),
    "cholesky_upper": (
        lambda r, b, n: [spd(r, b, n)],
        lambda a: L.cholesky(sym(a), upper=True),
        lambda a: np.linalg.cholesky(a, upper=True),
        lambda a: _t().linalg.cholesky(tsym(a), upper=True),
    ),
    "eigh": (  # eigenvector signs are arbitrary: V * V is not
        lambda r, b, n: [sym_separated(r, b, n)],
        lambda a: (lambda w, v: (w, v * v))(*L.eigh(sym(a))),
        lambda a: (lambda w, v: (w, v * v))(*np.linalg.eigh(a)),
        lambda a: (lambda w, v: (w, v * v))(*_t().linalg.eigh(tsym(a))),
    ),
    "eigvalsh": (
        lambda r, b, n: [sym_separated(r, b, n)],
        lambda a: L.eigvalsh(sym(a)),
        np.linalg.eigvalsh,
        lambda a: _t().linalg.eigvalsh(tsym(a)),
    ),
    "matrix_power": (
        lambda r, b, n: [spd(r, b, n) / (2 * n)],
        lambda a: L.matrix_power(a, 3),
        lambda a: np.linalg.matrix_power(a, 3),
        lambda a: _t().linalg.matrix_power(a, 3),
    ),
    "matrix_power_negative": (
        lambda r, b, n: [spd(r, b, n) / (2 * n)],
        lambda a: L.matrix_power(a, -2),
        lambda a: np.linalg.matrix_power(a, -2),
        lambda a: _t().linalg.matrix_power(a, -2),
    ),
}

RECT_CASES = {
    "svd": (
        lambda r, b, m, n: [separated(r, b, m, n)],
        lambda a: (lambda u, s, vh: (u * u, s, vh * vh))(*L.svd(a, full_matrices=False)),
        lambda a: (lambda u, s, vh: (u * u, s, vh * vh))(*np.linalg.svd(a, full_matrices=False)),
        lambda a: (lambda u, s, vh: (u * u, s, vh * vh))(*_t().linalg.svd(a, full_matrices=False)),
    ),
    "svdvals": (
        lambda r, b, m, n: [r.standard_normal(b + (m, n))],
        L.svdvals,
        lambda a: np.linalg.svd(a, compute_uv=False),
        lambda a: _t().linalg.svdvals(a),
    ),
    "qr": (
        lambda r, b, m, n: [separated(r, b, m, n)],
        L.qr,
        np.linalg.qr,
        lambda a: tuple(_t().linalg.qr(a)),
    ),
    "pinv": (
        lambda r, b, m, n: [separated(r, b, m, n)],
        L.pinv,
        np.linalg.pinv,
        lambda a: _t().linalg.pinv(a),
    ),
}


@SETTINGS
@given(name=st.sampled_from(sorted(CASES)), batch=batches, n=st.integers(0, 4), seed=seeds)
def test_square_ops(name, batch, n, seed, device):
    make, fn, np_fn, torch_fn = CASES[name]
    rng = np.random.default_rng(seed)
    check_all(fn, np_fn, torch_fn, make(rng, batch, n), device, rng)


@SETTINGS
@given(name=st.sampled_from(sorted(RECT_CASES)), batch=batches, m=st.integers(0, 4), n=st.integers(0, 4), seed=seeds)
def test_rectangular_ops(name, batch, m, n, seed, device):
    make, fn, np_fn, torch_fn = RECT_CASES[name]
    rng = np.random.default_rng(seed)
    check_all(fn, np_fn, torch_fn, make(rng, batch, m, n), device, rng)


@FEW
@given(name=st.sampled_from(sorted(CASES)), batch=st.sampled_from([(), (2,)]), n=st.integers(1, 3), seed=seeds)
def test_square_ops_second_derivatives(name, batch, n, seed, device):
    make, fn, _, _ = CASES[name]
    rng = np.random.default_rng(seed)
    check_second(lambda *a: as_tuple(fn(*a))[-1], make(rng, batch, n), device)


@FEW
@given(name=st.sampled_from(sorted(RECT_CASES)), m=st.integers(1, 3), n=st.integers(1, 3), seed=seeds)
def test_rectangular_ops_second_derivatives(name, m, n, seed, device):
    make, fn, _, _ = RECT_CASES[name]
    rng = np.random.default_rng(seed)
    w = [rng.standard_normal(o.shape) for o in as_tuple(fn(Tensor(make(rng, (), m, n)[0])))]
    arrays = make(rng, (), m, n)

    def f(a):
        return sum((o * Tensor(c, device=device)).sum() for o, c in zip(as_tuple(fn(a)), w))

    check_second(f, arrays, device)


def test_empty_and_zero_size_matrices(device):
    a = Tensor(np.zeros((0, 0)), requires_grad=True, device=device)
    assert L.det(a).item() == 1.0  # the empty product, as NumPy
    L.det(a).backward()
    assert a.grad.shape == (0, 0)
    assert L.inv(a).shape == (0, 0)
    b = Tensor(np.zeros((0, 3, 3)), requires_grad=True, device=device)
    L.inv(b).sum().backward()
    assert b.grad.shape == (0, 3, 3)


# ----------------------------------------------------------------------------- norms

VECTOR_ORDS = [None, 2, 1, 3, 0.5, -1.5, float("inf"), -float("inf"), 0]
MATRIX_ORDS = [None, "fro", "nuc", 2, -2, 1, -1, float("inf"), -float("inf")]


def distinct_nonzero(rng, shape):
    """Values with different, non-zero magnitudes (no ties for max |x|, no kink of |x|)."""
    n = int(np.prod(shape, dtype=np.int64))
    mags = (rng.permutation(n) + 1.0) * (0.5 / max(n, 1)) + 0.1
    return (mags * rng.choice([-1.0, 1.0], n)).reshape(shape)


@SETTINGS
@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple),
    ord=st.sampled_from(VECTOR_ORDS),
    data=st.data(),
    keepdims=st.booleans(),
    seed=seeds,
)
def test_vector_norms(shape, ord, data, keepdims, seed, device):
    torch = torch_or_skip()
    rng = np.random.default_rng(seed)
    x = distinct_nonzero(rng, shape)
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    if axis is None and ord is not None:
        x, axis_ = x.reshape(-1), None
    else:
        axis_ = axis

    def fn(t):
        return L.norm(t, ord, axis_, keepdims)

    def torch_fn(t):
        return torch.linalg.norm(t, ord, axis_, keepdims)

    check_all(fn, lambda a: np.linalg.norm(a, ord, axis_, keepdims), torch_fn, [x], device, rng)
    ns = tnp.linalg.norm(Tensor(x, device=device), ord, axis_, keepdims)
    assert_close(ns, np.linalg.norm(x, ord, axis_, keepdims), 1e-12, 1e-12, what="tinygrad_edu.numpy.linalg.norm")


@SETTINGS
@given(
    shape=st.lists(st.integers(1, 3), min_size=2, max_size=3).map(tuple),
    ord=st.sampled_from(MATRIX_ORDS),
    data=st.data(),
    keepdims=st.booleans(),
    seed=seeds,
)
def test_matrix_norms(shape, ord, data, keepdims, seed, device):
    torch = torch_or_skip()
    rng = np.random.default_rng(seed)
    nd = len(shape)
    axes = tuple(data.draw(st.permutations(list(range(-nd, 0))))[:2]) if nd > 2 or data.draw(st.booleans()) else None
    x = separated(rng, (), *shape) if nd == 2 else rng.standard_normal(shape) + 2.0 * rng.choice([-1, 1], shape)
    if axes is None and nd > 2:
        axes = (0, 1)

    def fn(t):
        return L.norm(t, ord, axes, keepdims)

    check_all(
        fn,
        lambda a: np.linalg.norm(a, ord, axes, keepdims),
        lambda t: torch.linalg.norm(t, ord, axes, keepdims),
        [x],
        device,
        rng,
        fd_atol=1e-5,
    )


@pytest.mark.parametrize("ord", [None, 2, 1, 3, 0.5, float("inf")])
def test_norm_of_a_zero_vector_has_zero_gradient_as_pytorch(ord, device):
    torch = torch_or_skip()
    x = Tensor(np.zeros((2, 3)), requires_grad=True, device=device)
    L.vector_norm(x, 2 if ord is None else ord, dim=-1).sum().backward()
    t = torch.zeros((2, 3), dtype=torch.float64, requires_grad=True)
    torch.linalg.vector_norm(t, 2 if ord is None else ord, dim=-1).sum().backward()
    assert_close(x.grad, t.grad.numpy(), what=f"ord={ord}")
    assert np.all(x.grad.numpy() == 0)


def test_norm_with_a_zero_element(device):
    """p < 1: a zero element contributes 0 (not 0 * inf); the others get the usual derivative."""
    torch = torch_or_skip()
    v = np.array([0.0, 1.5, -0.5])
    x = Tensor(v, requires_grad=True, device=device)
    L.vector_norm(x, 0.5).backward()
    t = torch.tensor(v, requires_grad=True)
    torch.linalg.vector_norm(t, 0.5).backward()
    assert_close(x.grad, t.grad.numpy(), 1e-12, 1e-12)


# ----------------------------------------------------------------------------- conventions and errors


def test_eigh_gradient_is_symmetric_and_eigenvalues_differentiate_at_repeats(device):
    a = Tensor(np.eye(3) * 2.0, requires_grad=True, device=device)
    L.eigvalsh(a).sum().backward()  # d trace / dA = I, even though all eigenvalues are equal
    assert_close(a.grad, np.eye(3), 1e-12, 1e-12)
    rng = np.random.default_rng(0)
    b = Tensor(sym_separated(rng, (), 4), requires_grad=True, device=device)
    w, v = L.eigh(b)
    (v * v * Tensor(rng.standard_normal((4, 4)), device=device)).sum().backward()
    assert_close(b.grad, b.grad.numpy().T, 1e-12, 1e-12, what="symmetric")


def test_eigenvectors_at_a_repeated_eigenvalue_refuse_to_differentiate(device):
    a = Tensor(np.diag([1.0, 1.0, 3.0]), requires_grad=True, device=device)
    w, v = L.eigh(a)
    with pytest.raises(ValueError, match=r"eigh: the derivative of the eigenvectors does not exist at a repeated"):
        v.sum().backward()


def test_svd_and_qr_refuse_what_has_no_derivative(device):
    a = Tensor(np.ones((3, 2)), requires_grad=True, device=device)
    with pytest.raises(ValueError, match=r"svd: full_matrices=True on a 3 x 2 matrix"):
        L.svd(a)
    with pytest.raises(ValueError, match=r"qr: mode='complete' on a 3 x 2 matrix"):
        L.qr(a, mode="complete")
    with tg.no_grad():  # values only: fine
        u, s, vh = L.svd(a)
        q, r = L.qr(a, mode="complete")
    assert u.shape == (3, 3) and q.shape == (3, 3)
    assert_close(tnp.linalg.svd(a.detach())[0].abs(), np.abs(np.linalg.svd(np.ones((3, 2)))[0]), 1e-12, 1e-12)


def test_bad_inputs_name_the_op_and_shape(device):
    with pytest.raises(ValueError, match=r"inv: expected square matrices \(\.\.\., n, n\), got shape \(2, 3\)"):
        L.inv(Tensor(np.ones((2, 3)), device=device))
    with pytest.raises(ValueError, match=r"det: expected a matrix .* got shape \(3,\)"):
        L.det(Tensor(np.ones(3), device=device))
    with pytest.raises(np.linalg.LinAlgError, match=r"Inv: .*[Ss]ingular"):
        L.inv(Tensor(np.ones((2, 2)), device=device))
    with pytest.raises(ValueError, match=r"solve: A of shape \(2, 2\) and B of shape \(3, 1\) do not fit"):
        L.solve(Tensor(np.eye(2), device=device), Tensor(np.ones((3, 1)), device=device))
    with pytest.raises(ValueError, match=r"matrix_norm: ord must be"):
        L.matrix_norm(Tensor(np.eye(2), device=device), 3)
    with pytest.raises(TypeError, match=r"matrix_power: the exponent must be an int"):
        L.matrix_power(Tensor(np.eye(2), device=device), 1.5)


def test_matrix_power_zero_is_the_identity(device):
    a = Tensor(np.arange(8.0).reshape(2, 2, 2), device=device)
    assert_close(L.matrix_power(a, 0), np.broadcast_to(np.eye(2), (2, 2, 2)), 0, 0)


# ----------------------------------------------------------------------------- the NumPy namespace


def test_numpy_linalg_differentiates_like_hips_autograd():
    from tinygrad_edu.func import grad

    rng = np.random.default_rng(1)
    a = spd(rng, (), 3)
    b = rng.standard_normal(3)
    g = grad(lambda m: tnp.linalg.slogdet(m)[1])(a)
    np.testing.assert_allclose(g, np.linalg.inv(a).T, rtol=1e-12)
    g = grad(lambda m: tnp.sum(tnp.linalg.solve(m, b)))(a)
    x = np.linalg.solve(a, b)
    np.testing.assert_allclose(g, -np.outer(np.linalg.solve(a.T, np.ones(3)), x), rtol=1e-10)
    g = grad(lambda m: tnp.linalg.det(m))(a)
    np.testing.assert_allclose(g, np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-10)
    assert tnp.linalg.qr(Tensor(a), mode="r").shape == (3, 3)
    assert tnp.linalg.svd(Tensor(a), compute_uv=False).shape == (3,)


def test_numpy_linalg_solve_follows_numpy_for_batched_vectors():
    rng = np.random.default_rng(2)
    a, b = spd(rng, (2,), 3), rng.standard_normal((2, 3, 1))
    assert_close(tnp.linalg.solve(Tensor(a), Tensor(b)), np.linalg.solve(a, b))
    assert_close(tnp.linalg.solve(Tensor(a), Tensor(b[0, :, 0])), np.linalg.solve(a, b[0, :, 0]))


def test_numpy_linalg_refuses_what_it_cannot_differentiate():
    x = Tensor(np.eye(3), requires_grad=True)
    with pytest.raises(
        TypeError,
        match=r"numpy.linalg.eig refuses a Tensor that requires grad: the eigenvalues of a general matrix",
    ):
        tnp.linalg.eig(x)
    assert tnp.linalg.eig(np.eye(2))[0].tolist() == [1.0, 1.0]


def test_tensor_methods_match_pytorch(device):
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    a = spd(rng, (2,), 3)
    cases = [
        (lambda t: t.inverse(), lambda t: t.inverse()),
        (lambda t: t.det(), lambda t: t.det()),
        (lambda t: t.slogdet()[1], lambda t: t.slogdet()[1]),
        (lambda t: sym(t).cholesky(), lambda t: torch.linalg.cholesky(tsym(t))),
        (lambda t: t.pinverse(), lambda t: t.pinverse()),
        (lambda t: t.matrix_power(-2), lambda t: t.matrix_power(-2)),
        (lambda t: t.norm(), lambda t: t.norm()),
        (lambda t: t.norm(3, dim=1, keepdim=True), lambda t: t.norm(3, dim=1, keepdim=True)),
        (lambda t: t.norm("fro", dim=(1, 2)), lambda t: t.norm("fro", dim=(1, 2))),
        (lambda t: t.norm("nuc", dim=(1, 2)), lambda t: t.norm("nuc", dim=(1, 2))),
    ]
    for fn, torch_fn in cases:
        check_all(fn, None, torch_fn, [a], device, rng)


_R = np.random.default_rng(7)
_A = spd(_R, (), 3)
_B = _R.standard_normal((3, 2))
_W = _R.standard_normal((3, 3))


def _symm(x):
    return (x + tnp.swapaxes(x, -1, -2)) * 0.5


# name -> f(x) for a 3 x 3 x: the same code runs on NumPy arrays and on Tensors (as inside grad)
NUMPY_LINALG = {
    "inv": lambda x: tnp.linalg.inv(x),
    "pinv": lambda x: tnp.linalg.pinv(x[:, :2]),
    "det": lambda x: tnp.linalg.det(x),
    "slogdet": lambda x: tnp.linalg.slogdet(x)[1],
    "solve": lambda x: tnp.linalg.solve(x, _B) + tnp.linalg.solve(x, _B[:, 0])[:, None],
    "cholesky": lambda x: tnp.linalg.cholesky(_symm(x)),
    "eigh": lambda x: tnp.linalg.eigh(_symm(x))[0].sum() + (tnp.linalg.eigh(_symm(x))[1] ** 2 * _W).sum(),
    "eigvalsh": lambda x: tnp.linalg.eigvalsh(_symm(x)),
    "svd": lambda x: tnp.linalg.svd(x, compute_uv=False) + (tnp.linalg.svd(x)[0] ** 2 * _W).sum(),
    "qr": lambda x: tnp.linalg.qr(x)[1] + tnp.linalg.qr(x, mode="r"),
    "matrix_power": lambda x: tnp.linalg.matrix_power(x / 4.0, 3) + tnp.linalg.matrix_power(x, -1),
    "norm": lambda x: tnp.linalg.norm(x, "nuc") + tnp.linalg.norm(x, 3, axis=0),
}


@pytest.mark.parametrize("name", sorted(NUMPY_LINALG))
def test_numpy_linalg_functions(name):
    """``tinygrad_edu.numpy.linalg``: NumPy's values on arrays, the same on Tensors, and first and
    second derivatives against central differences."""
    f = NUMPY_LINALG[name]
    expected = f(_A.copy())
    assert isinstance(expected, np.ndarray | np.floating)
    t = Tensor(_A.copy(), requires_grad=True)
    out = f(t)
    assert isinstance(out, Tensor) and out.requires_grad
    assert_close(out.detach(), expected, 1e-10, 1e-12)
    assert tg.gradcheck(f, [t], atol=1e-6, rtol=1e-5)
    assert tg.gradgradcheck(f, [t], atol=1e-5, rtol=1e-4)


def test_second_derivative_of_eigenvalues_at_a_repeated_one_refuses(device):
    """Found by the fuzzer ([leaf(3, 4, 1), eigvalsh(x x^T + 4 I)]): a rank-one update keeps an
    eigenvalue repeated; the first derivative exists (V diag(g) V^T), the second needs the
    eigenvectors' derivative, which does not: an error that says so, not infinities."""
    x = Tensor(np.random.default_rng(0).standard_normal((4, 1)), requires_grad=True, device=device)
    a = x @ x.mT + Tensor(4 * np.eye(4), device=device)
    w = L.eigvalsh(a)
    (g,) = tg.autograd.grad(w.sum() + (w * w).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 2 * (1 + 2 * w.detach().numpy()[-1]) * x.detach().numpy())
    with pytest.raises(ValueError, match="eigh: the derivative of the eigenvectors does not exist"):
        g.sum().backward()


def test_singular_vectors_of_a_rank_deficient_rectangular_matrix_refuse(device):
    a = Tensor(np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]), requires_grad=True, device=device)
    u, s, vh = L.svd(a, full_matrices=False)
    with pytest.raises(ValueError, match=r"svd: the singular vectors of a rank-deficient 3 x 2 matrix"):
        (u * u).sum().backward()
    b = Tensor(a.detach().numpy(), requires_grad=True, device=device)
    L.svdvals(b)[0].backward()  # the largest singular value alone: u1 v1^T, defined here
    assert_close(b.grad, np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]), 0, 1e-15)
