"""``tinygrad_edu.scipy`` (``special``, ``stats.norm``), ``tinygrad_edu.special`` and the special
Tensor methods: forward against SciPy, backward against central differences in float64, both
against PyTorch (``torch.special``, ``torch.distributions.Normal``), second derivatives with
``gradgradcheck``, over hypothesis-drawn shapes (broadcasting, 0-d and empty included).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
import tinygrad_edu.scipy.special as sp
from helpers import SETTINGS, assert_close, check_fd, check_torch, tensors, torch_or_skip
from tinygrad_edu import Tensor
from tinygrad_edu.scipy.stats import norm

seeds = st.integers(0, 2**32 - 1)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
triple_shapes = hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, min_side=1, max_side=3)


def _torch(path):
    def call(*xs):
        obj = torch_or_skip()
        for part in path.split("."):
            obj = getattr(obj, part)
        return obj(*xs)

    return call


DOMAINS = {
    "real": lambda rng, s: rng.uniform(-2.5, 2.5, s),
    "pos": lambda rng, s: rng.uniform(0.4, 4.0, s),
    "prob": lambda rng, s: rng.uniform(0.05, 0.95, s),
    "unit": lambda rng, s: rng.uniform(-0.9, 0.9, s),
    "lgamma": lambda rng, s: rng.integers(-3, 4, s) + rng.uniform(0.2, 0.8, s),  # 0.2 or more from the poles
    "nonzero": lambda rng, s: rng.uniform(0.3, 3.0, s) * rng.choice([-1.0, 1.0], s),  # away from the kink of |x|
}

# name: (tinygrad_edu on a Tensor, SciPy, PyTorch, domain)
UNARY = {
    "erf": (sp.erf, scipy.special.erf, _torch("special.erf"), "real"),
    "erfc": (sp.erfc, scipy.special.erfc, _torch("special.erfc"), "real"),
    "erfinv": (sp.erfinv, scipy.special.erfinv, _torch("special.erfinv"), "unit"),
    "erfcinv": (sp.erfcinv, scipy.special.erfcinv, lambda t: _torch("special.erfinv")(1.0 - t), "prob"),
    "expit": (sp.expit, scipy.special.expit, _torch("special.expit"), "real"),
    "logit": (sp.logit, scipy.special.logit, _torch("special.logit"), "prob"),
    "gammaln": (sp.gammaln, scipy.special.gammaln, _torch("special.gammaln"), "lgamma"),
    "digamma": (sp.digamma, scipy.special.digamma, _torch("special.digamma"), "lgamma"),
    "psi": (sp.psi, scipy.special.psi, _torch("special.psi"), "pos"),
    "polygamma1": (lambda x: sp.polygamma(1, x), lambda a: scipy.special.polygamma(1, a), None, "pos"),
    "polygamma3": (lambda x: sp.polygamma(3, x), lambda a: scipy.special.polygamma(3, a), None, "pos"),
    "ndtr": (sp.ndtr, scipy.special.ndtr, _torch("special.ndtr"), "real"),
    "log_ndtr": (sp.log_ndtr, scipy.special.log_ndtr, _torch("special.log_ndtr"), "real"),
    "ndtri": (sp.ndtri, scipy.special.ndtri, _torch("special.ndtri"), "prob"),
    "method-erfc": (Tensor.erfc, scipy.special.erfc, lambda t: t.erfc(), "real"),
    "method-logit": (Tensor.logit, scipy.special.logit, lambda t: t.logit(), "prob"),
    "method-lgamma": (Tensor.lgamma, scipy.special.gammaln, lambda t: t.lgamma(), "lgamma"),
    "method-digamma": (Tensor.digamma, scipy.special.digamma, lambda t: t.digamma(), "pos"),
    "method-polygamma2": (lambda x: x.polygamma(2), lambda a: scipy.special.polygamma(2, a), None, "pos"),
    "torch-special-gammaln": (tg.special.gammaln, scipy.special.gammaln, _torch("special.gammaln"), "pos"),
    "torch-special-log_ndtr": (tg.special.log_ndtr, scipy.special.log_ndtr, _torch("special.log_ndtr"), "real"),
}
UNARY.update(
    {
        "gamma": (sp.gamma, scipy.special.gamma, None, "lgamma"),
        "rgamma": (sp.rgamma, scipy.special.rgamma, None, "lgamma"),
        "j0": (sp.j0, scipy.special.j0, None, "real"),
        "j1": (sp.j1, scipy.special.j1, None, "real"),
        "y0": (sp.y0, scipy.special.y0, None, "pos"),
        "y1": (sp.y1, scipy.special.y1, None, "pos"),
        "jn": (lambda x: sp.jn(3, x), lambda a: scipy.special.jn(3, a), None, "real"),
        "yn": (lambda x: sp.yn(2, x), lambda a: scipy.special.yn(2, a), None, "pos"),
        "i0": (sp.i0, scipy.special.i0, _torch("special.i0"), "real"),
        "i1": (sp.i1, scipy.special.i1, _torch("special.i1"), "real"),
        "iv": (lambda x: sp.iv(1.5, x), lambda a: scipy.special.iv(1.5, a), None, "pos"),
        "ive": (lambda x: sp.ive(2, x), lambda a: scipy.special.ive(2, a), None, "nonzero"),
        "multigammaln": (
            lambda x: sp.multigammaln(x + 1.5, 3),
            lambda a: scipy.special.multigammaln(a + 1.5, 3),
            lambda t: _torch("special.multigammaln")(t + 1.5, 3),
            "pos",
        ),
    }
)
for _n in (1, 2):  # polygamma of order n is in torch as torch.special.polygamma(n, x)
    UNARY[f"polygamma{_n}-torch"] = (
        lambda x, n=_n: sp.polygamma(n, x),
        lambda a, n=_n: scipy.special.polygamma(n, a),
        lambda t, n=_n: _torch("special.polygamma")(n, t),
        "pos",
    )


@pytest.mark.parametrize("name", list(UNARY))
@SETTINGS
@given(shape=shapes, seed=seeds)
def test_special_forward_vs_scipy_and_backward_vs_finite_differences(name, shape, seed, device):
    fn, sp_fn, _, domain = UNARY[name]
    rng = np.random.default_rng(seed)
    a = DOMAINS[domain](rng, shape)
    out = fn(Tensor(a, device=device))
    assert out.dtype == np.float64
    assert_close(out, sp_fn(a), rtol=1e-12, atol=1e-13, what=f"{name} forward vs SciPy")
    if a.size:
        check_fd(fn, [a], device, rng, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", [n for n, v in UNARY.items() if v[2] is not None])
@SETTINGS
@given(shape=shapes, seed=seeds)
def test_special_against_torch(name, shape, seed, device):
    fn, _, torch_fn, domain = UNARY[name]
    rng = np.random.default_rng(seed)
    check_torch(fn, torch_fn, [DOMAINS[domain](rng, shape)], device, rng, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", list(UNARY))
def test_special_second_derivatives(name, device):
    fn, _, _, domain = UNARY[name]
    rng = np.random.default_rng(7)
    (x,) = tensors([DOMAINS[domain](rng, (2, 3))], device)
    assert tg.gradgradcheck(fn, [x], eps=1e-6, atol=1e-5, rtol=1e-4)


# functions of several arguments: (tinygrad_edu, SciPy, PyTorch or None, domains); differentiated in
# every argument that is not a constant (betainc's and gammainc's parameters are constants)
_A = np.array([0.7, 1.5, 2.5])
SEVERAL = {
    "beta": (sp.beta, scipy.special.beta, None, ("pos", "pos")),
    "betaln": (sp.betaln, scipy.special.betaln, None, ("pos", "pos")),
    "betainc": (lambda x: sp.betainc(_A, 2.0, x), lambda x: scipy.special.betainc(_A, 2.0, x), None, ("prob",)),
    "gammainc": (
        lambda x: sp.gammainc(_A, x),
        lambda x: scipy.special.gammainc(_A, x),
        lambda t: _torch("special.gammainc")(_torch("tensor")(_A), t),
        ("pos",),
    ),
    "gammaincc": (
        lambda x: sp.gammaincc(_A, x),
        lambda x: scipy.special.gammaincc(_A, x),
        lambda t: _torch("special.gammaincc")(_torch("tensor")(_A), t),
        ("pos",),
    ),
}


@pytest.mark.parametrize("name", list(SEVERAL))
@SETTINGS
@given(seed=seeds, n=st.integers(0, 3))
def test_special_of_several_arguments(name, seed, n, device):
    fn, sp_fn, torch_fn, domains = SEVERAL[name]
    rng = np.random.default_rng(seed)
    pairs = [((3,), (3,)), ((2, 1), (3,)), ((), (3,)), ((3,), ())]  # broadcasting, 0-d included
    shapes = pairs[n] if len(domains) == 2 else [(3,)]  # the others broadcast against _A, of shape (3,)
    arrays = [DOMAINS[d](rng, s) for d, s in zip(domains, shapes)]
    assert_close(fn(*tensors(arrays, device, False)), sp_fn(*arrays), rtol=1e-12, what=f"{name} vs SciPy")
    check_fd(fn, arrays, device, rng)
    assert tg.gradgradcheck(fn, tensors(arrays, device))
    if torch_fn is not None:
        check_torch(fn, torch_fn, arrays, device, rng, rtol=1e-9)


def test_incomplete_functions_refuse_a_derivative_in_their_parameters():
    a = Tensor(np.array([1.5]), requires_grad=True)
    with pytest.raises(TypeError, match="gammainc: no derivative with respect to a"):
        sp.gammainc(a, np.array([0.5]))
    with pytest.raises(TypeError, match="betainc: no derivative with respect to b"):
        sp.betainc(1.0, a, np.array([0.5]))
    with pytest.raises(TypeError, match="jn: the order v is not differentiated"):
        sp.jn(a, np.array([0.5]))
    with pytest.raises(ValueError, match="multigammaln: a must be greater than"):
        sp.multigammaln(Tensor(np.array([0.7])), 3)


def test_plain_arrays_get_scipys_own_functions():
    a = np.array([0.2, 0.7])
    for name in ("erf", "erfc", "expit", "logit", "gammaln", "digamma", "psi", "ndtri"):
        out = getattr(sp, name)(a)
        assert isinstance(out, np.ndarray)
        np.testing.assert_array_equal(out, getattr(scipy.special, name)(a))
    assert sp.logsumexp(a) == scipy.special.logsumexp(a)
    assert isinstance(sp.erf(0.5), float)
    np.testing.assert_array_equal(norm.logcdf(a, 1.0, 2.0), scipy.stats.norm.logcdf(a, 1.0, 2.0))


# --------------------------------------------------------------------------- logsumexp


LSE_CASES = [
    ((3, 4), None, False),
    ((3, 4), 0, False),
    ((3, 4), -1, True),
    ((2, 3, 4), (0, 2), False),
    ((2, 3, 4), (1,), True),
    ((), None, False),
    ((0, 3), 1, False),
]


@pytest.mark.parametrize(("shape", "axis", "keepdims"), LSE_CASES)
def test_logsumexp_vs_scipy_fd_and_torch(shape, axis, keepdims, device):
    rng = np.random.default_rng(1)
    a = rng.normal(0, 3, shape)
    fn = lambda x: sp.logsumexp(x, axis=axis, keepdims=keepdims)  # noqa: E731
    assert_close(fn(Tensor(a, device=device)), scipy.special.logsumexp(a, axis=axis, keepdims=keepdims))
    if a.size:
        check_fd(fn, [a], device, rng)
        assert tg.gradgradcheck(fn, tensors([a], device))
        dim = tuple(range(len(shape))) if axis is None else axis
        check_torch(fn, lambda t: t.logsumexp(dim, keepdims), [a], device, rng)


@SETTINGS
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, min_side=1, max_side=3), seed=seeds
)
def test_logsumexp_with_weights_b_differentiates_in_both(shapes, seed, device):
    a_shape = shapes.result_shape  # b broadcasts to a
    b_shape = shapes.input_shapes[1]
    rng = np.random.default_rng(seed)
    a, b = rng.normal(0, 2, a_shape), rng.uniform(0.2, 2.0, b_shape)
    axis = int(rng.integers(0, len(a_shape)))
    fn = lambda x, w: sp.logsumexp(x, axis=axis, b=w)  # noqa: E731
    assert_close(fn(*tensors([a, b], device, False)), scipy.special.logsumexp(a, axis=axis, b=b))
    check_fd(fn, [a, b], device, rng)
    # a constant b, as autograd allows: its derivative in a is the b-weighted softmax
    x = Tensor(a, requires_grad=True, device=device)
    sp.logsumexp(x, axis=axis, b=b).sum().backward()
    w = b * np.exp(a - scipy.special.logsumexp(a, axis=axis, b=b, keepdims=True))
    assert_close(x.grad, np.broadcast_to(w, a.shape), rtol=1e-12)


def test_logsumexp_does_not_overflow_and_handles_minus_infinity():
    x = Tensor(np.array([1000.0, 1000.0, -np.inf]), requires_grad=True)
    y = sp.logsumexp(x)
    y.backward()
    assert_close(y, np.array(1000.0 + np.log(2.0)))
    assert_close(x.grad, np.array([0.5, 0.5, 0.0]))


# --------------------------------------------------------------------------- scipy.stats.norm


def _log_ndtr(z):
    return torch_or_skip().special.log_ndtr(z)


NORM = {
    "pdf": (norm.pdf, scipy.stats.norm.pdf, lambda d, t: d.log_prob(t).exp()),
    "logpdf": (norm.logpdf, scipy.stats.norm.logpdf, lambda d, t: d.log_prob(t)),
    "cdf": (norm.cdf, scipy.stats.norm.cdf, lambda d, t: d.cdf(t)),
    # log of Normal.cdf loses digits in the tails; torch.special.log_ndtr of z is PyTorch's accurate twin
    "logcdf": (norm.logcdf, scipy.stats.norm.logcdf, lambda d, t: _log_ndtr((t - d.loc) / d.scale)),
    "sf": (norm.sf, scipy.stats.norm.sf, lambda d, t: 1.0 - d.cdf(t)),
    "logsf": (norm.logsf, scipy.stats.norm.logsf, lambda d, t: _log_ndtr((d.loc - t) / d.scale)),
    "ppf": (norm.ppf, scipy.stats.norm.ppf, lambda d, q: d.icdf(q)),
    "isf": (norm.isf, scipy.stats.norm.isf, lambda d, q: d.icdf(1.0 - q)),
}


def _norm_arrays(name, shapes, rng):
    sx, sl, ss = shapes
    x = rng.uniform(0.05, 0.95, sx) if name in ("ppf", "isf") else rng.uniform(-3, 3, sx)
    return [x, rng.uniform(-1, 1, sl), rng.uniform(0.5, 2.0, ss)]


@pytest.mark.parametrize("name", list(NORM))
@SETTINGS
@given(shapes=triple_shapes, seed=seeds)
def test_norm_vs_scipy_and_finite_differences_in_x_loc_scale(name, shapes, seed, device):
    fn, sp_fn, _ = NORM[name]
    rng = np.random.default_rng(seed)
    arrays = _norm_arrays(name, shapes.input_shapes, rng)
    out = fn(*tensors(arrays, device, False))
    assert out.shape == shapes.result_shape
    assert_close(out, sp_fn(*arrays), rtol=1e-11, atol=1e-13, what=f"norm.{name} vs SciPy")
    check_fd(fn, arrays, device, rng)


@pytest.mark.parametrize("name", list(NORM))
@SETTINGS
@given(shapes=triple_shapes, seed=seeds)
def test_norm_against_torch_distributions_normal(name, shapes, seed, device):
    torch = torch_or_skip()
    fn, _, torch_fn = NORM[name]
    rng = np.random.default_rng(seed)
    arrays = _norm_arrays(name, shapes.input_shapes, rng)

    def twin(x, loc, scale):
        return torch_fn(torch.distributions.Normal(loc, scale, validate_args=False), x)

    check_torch(fn, twin, arrays, device, rng, rtol=1e-8, atol=1e-11)


@pytest.mark.parametrize("name", list(NORM))
def test_norm_second_derivatives_in_all_three_arguments(name, device):
    rng = np.random.default_rng(3)
    xs = tensors(_norm_arrays(name, [(3,), (1,), (3,)], rng), device)
    assert tg.gradgradcheck(NORM[name][0], xs)


def test_norm_log_functions_stay_finite_in_the_tails():
    x = Tensor(np.array([-40.0, 40.0]), requires_grad=True)
    y = norm.logcdf(x)
    y.sum().backward()
    assert_close(y, scipy.stats.norm.logcdf(x.detach().numpy()), rtol=1e-12)
    # d/dx log Phi(x) = phi(x) / Phi(x), about -x for x -> -inf (Mills ratio), 0 for x -> +inf
    assert abs(x.grad.numpy()[0] - 40.02498) < 1e-4 and 0 <= x.grad.numpy()[1] < 1e-300


def test_autograd_semantics_closed_forms():
    """Values from the maths, as HIPS autograd's rules give them."""
    x = Tensor(1.3, requires_grad=True)
    (g,) = tg.autograd.grad(sp.gammaln(x), x, create_graph=True)
    assert_close(g, scipy.special.digamma(1.3))
    (h,) = tg.autograd.grad(g, x)
    assert_close(h, scipy.special.polygamma(1, 1.3))
    loc, scale = Tensor(0.5, requires_grad=True), Tensor(2.0, requires_grad=True)
    norm.logpdf(Tensor(1.7), loc, scale).backward()
    z = (1.7 - 0.5) / 2.0
    assert_close(loc.grad, np.array(z / 2.0))
    assert_close(scale.grad, np.array((z * z - 1.0) / 2.0))


# --------------------------------------------------------------------------- errors and the namespace


def test_bad_inputs_are_explained():
    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    with pytest.raises(ValueError, match=r"norm.pdf: scale must be positive"):
        norm.pdf(x, 0.0, -1.0)
    with pytest.raises(ValueError, match=r"norm.cdf: x \(2,\), loc \(3,\) and scale \(\) do not broadcast"):
        norm.cdf(x, np.zeros(3))
    with pytest.raises(ValueError, match="polygamma: the order n must be a non-negative integer, got -1"):
        sp.polygamma(-1, x)
    with pytest.raises(TypeError, match="polygamma: the order n must be a non-negative integer, got 1.5"):
        x.polygamma(1.5)
    with pytest.raises(ValueError, match=r"logsumexp: b of shape \(3,\) must broadcast to the shape \(2,\)"):
        sp.logsumexp(x, b=np.ones(3))
    with pytest.raises(TypeError, match="return_sign"):
        sp.logsumexp(x, return_sign=True)
    with pytest.raises(ValueError, match="logsumexp: axis 2 is out of range"):
        sp.logsumexp(x, axis=2)


def test_scipy_names_without_a_rule_refuse_a_tensor_that_requires_grad():
    x = Tensor(np.array([1.5, 2.5]), requires_grad=True)
    with pytest.raises(TypeError, match=r"tinygrad_edu.scipy.special.zeta refuses a Tensor that requires grad"):
        sp.zeta(x, 2.0)
    np.testing.assert_array_equal(sp.zeta(x.detach(), 2.0), scipy.special.zeta([1.5, 2.5], 2.0))
    assert sp.gamma(3.0) == 2.0
    with pytest.raises(AttributeError, match="no attribute 'no_such_function'"):
        sp.no_such_function  # noqa: B018


def test_import_lines_of_autograd_scipy_port():
    import tinygrad_edu.scipy as tscipy
    import tinygrad_edu.scipy.stats.norm as norm_module
    from tinygrad_edu.scipy.special import logsumexp

    assert norm_module is norm and tscipy.stats.norm is norm and logsumexp is sp.logsumexp
    assert set(sp.DIFFERENTIABLE) >= {"logsumexp", "expit", "logit", "erf", "erfc", "gammaln", "digamma", "psi"}
    assert set(norm.DIFFERENTIABLE) >= {"pdf", "logpdf", "cdf", "logcdf"}


def test_a_gaussian_fit_by_gradient_descent_with_the_ported_code():
    """autograd-style code: maximize the likelihood of data over (mu, log sigma)."""
    import tinygrad_edu.numpy as tnp
    from tinygrad_edu.func import grad

    data = np.random.default_rng(0).normal(1.5, 0.7, 400)

    def nll(p):
        return -tnp.sum(norm.logpdf(data, p[0], tnp.exp(p[1]))) / data.size

    p = np.array([0.0, 0.0])
    for _ in range(300):
        p = p - 0.5 * grad(nll)(p)
    assert abs(p[0] - data.mean()) < 1e-6 and abs(np.exp(p[1]) - data.std()) < 1e-6


# --------------------------------------------------------------------------- the registry of derivative tests

_UNARY_TEST = "tests/test_scipy.py::test_special_forward_vs_scipy_and_backward_vs_finite_differences"
# qualified name -> the test that checks its derivative (docs/gen_coverage.py links it on the coverage page)
DERIVATIVE_TESTS = {
    **{f"special.{n}": _UNARY_TEST for n in sorted(sp.DIFFERENTIABLE) if n in UNARY},
    "special.polygamma": _UNARY_TEST,
    **{f"special.{n}": "tests/test_scipy.py::test_special_of_several_arguments" for n in SEVERAL},
    "special.logsumexp": "tests/test_scipy.py::test_logsumexp_vs_scipy_fd_and_torch",
    **{
        f"stats.norm.{n}": "tests/test_scipy.py::test_norm_vs_scipy_and_finite_differences_in_x_loc_scale" for n in NORM
    },
}


def test_every_differentiable_scipy_name_has_a_derivative_test():
    declared = {f"special.{n}" for n in sp.DIFFERENTIABLE} | {f"stats.norm.{n}" for n in norm.DIFFERENTIABLE}
    assert declared == set(DERIVATIVE_TESTS)
    assert {n for n in UNARY if n in sp.DIFFERENTIABLE} | {"polygamma", "logsumexp"} | set(SEVERAL) == set(
        sp.DIFFERENTIABLE
    )
    assert set(NORM) == set(norm.DIFFERENTIABLE)
