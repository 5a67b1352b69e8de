"""The distributions of ``tinygrad_edu.scipy.stats`` besides ``norm`` (HIPS autograd's list: t, gamma,
beta, chi2, poisson, dirichlet, multivariate_normal): values against SciPy, every differentiable
argument against central differences and ``gradgradcheck``, log-densities against
``torch.distributions``, and the edges of the supports.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from helpers import SETTINGS, assert_close, check_fd, check_torch, tensors, torch_or_skip
from tinygrad_edu import Tensor
from tinygrad_edu.scipy import stats
from tinygrad_edu.scipy.stats import beta, chi2, dirichlet, gamma, poisson, t
from tinygrad_edu.scipy.stats import multivariate_normal as mvn

seeds = st.integers(0, 2**32 - 1)
# each case draws only values (its shapes are fixed): a few seeds suffice; TG_HYPOTHESIS_EXAMPLES deepens it
FEW = settings(SETTINGS, max_examples=int(os.environ.get("TG_HYPOTHESIS_EXAMPLES", "6")))
K = np.array([0.0, 2.0, 5.0, 1.0])  # Poisson counts


def _pos(rng, shape, lo=0.5, hi=3.0):
    return rng.uniform(lo, hi, shape)


def _spd(c):
    """A positive-definite matrix from any square c (differentiable when c is a Tensor)."""
    return c @ c.T + 0.5 * np.eye(c.shape[0])


def _dist(name):
    return lambda *a: getattr(torch_or_skip().distributions, name)(*a, validate_args=False)


# name: (ours, SciPy, inputs from rng, PyTorch twin or None)
CASES = {
    "t.logpdf": (
        t.logpdf,
        ss.t.logpdf,
        lambda r: [r.normal(size=4), _pos(r, 4, 1.5, 6), r.normal(size=1), _pos(r, 1)],
        lambda x, df, loc, s: _dist("StudentT")(df, loc, s).log_prob(x),
    ),
    "t.pdf": (t.pdf, ss.t.pdf, lambda r: [r.normal(size=4), _pos(r, 4, 1.5, 6), r.normal(size=()), _pos(r, ())], None),
    "t.cdf": (
        lambda x, loc, s: t.cdf(x, 3.5, loc, s),
        lambda x, loc, s: ss.t.cdf(x, 3.5, loc, s),
        lambda r: [r.normal(size=4), r.normal(size=()), _pos(r, ())],
        None,
    ),
    "t.logcdf": (
        lambda x, loc: t.logcdf(x, 2.5, loc),
        lambda x, loc: ss.t.logcdf(x, 2.5, loc),
        lambda r: [r.normal(size=(2, 3)), r.normal(size=3)],
        None,
    ),
    "gamma.logpdf": (
        gamma.logpdf,
        ss.gamma.logpdf,
        lambda r: [_pos(r, 4, 0.5, 4), _pos(r, 4, 0.7, 3), np.zeros(()), _pos(r, ())],
        lambda x, a, loc, s: _dist("Gamma")(a, 1.0 / s).log_prob(x - loc),
    ),
    "gamma.pdf": (gamma.pdf, ss.gamma.pdf, lambda r: [_pos(r, 4), _pos(r, 1, 0.7, 3)], None),
    "gamma.cdf": (
        lambda x, s: gamma.cdf(x, 2.2, 0.0, s),
        lambda x, s: ss.gamma.cdf(x, 2.2, 0.0, s),
        lambda r: [_pos(r, 4), _pos(r, ())],
        None,
    ),
    "beta.logpdf": (
        beta.logpdf,
        ss.beta.logpdf,
        lambda r: [r.uniform(0.1, 0.9, 4), _pos(r, 4, 0.7, 3), _pos(r, 1, 0.7, 3)],
        lambda x, a, b: _dist("Beta")(a, b).log_prob(x),
    ),
    "beta.pdf": (beta.pdf, ss.beta.pdf, lambda r: [r.uniform(0.1, 0.9, 3), _pos(r, 3), _pos(r, ())], None),
    "beta.cdf": (
        lambda x: beta.cdf(x, 2.0, 3.0),
        lambda x: ss.beta.cdf(x, 2.0, 3.0),
        lambda r: [r.uniform(0.1, 0.9, 4)],
        None,
    ),
    "chi2.logpdf": (
        chi2.logpdf,
        ss.chi2.logpdf,
        lambda r: [_pos(r, 4), _pos(r, 4, 1.0, 5)],
        lambda x, df: _dist("Chi2")(df).log_prob(x),
    ),
    "chi2.pdf": (chi2.pdf, ss.chi2.pdf, lambda r: [_pos(r, 4), _pos(r, ())], None),
    "chi2.cdf": (lambda x: chi2.cdf(x, 3.0), lambda x: ss.chi2.cdf(x, 3.0), lambda r: [_pos(r, 4)], None),
    "poisson.logpmf": (
        lambda mu: poisson.logpmf(K, mu),
        lambda mu: ss.poisson.logpmf(K, mu),
        lambda r: [_pos(r, 4)],
        lambda mu: _dist("Poisson")(mu).log_prob(torch_or_skip().tensor(K)),
    ),
    "poisson.pmf": (lambda mu: poisson.pmf(K, mu), lambda mu: ss.poisson.pmf(K, mu), lambda r: [_pos(r, ())], None),
    "poisson.cdf": (
        lambda mu: poisson.cdf(K + 0.5, mu),
        lambda mu: ss.poisson.cdf(K + 0.5, mu),
        lambda r: [_pos(r, 4)],
        None,
    ),
    "dirichlet.logpdf": (
        dirichlet.logpdf,
        ss.dirichlet.logpdf,
        lambda r: [np.array([0.2, 0.3, 0.5]), _pos(r, 3)],
        lambda x, a: _dist("Dirichlet")(a).log_prob(x),
    ),
    "dirichlet.pdf": (dirichlet.pdf, ss.dirichlet.pdf, lambda r: [np.array([0.6, 0.1, 0.3]), _pos(r, 3)], None),
    "multivariate_normal.logpdf": (
        lambda x, m, c: mvn.logpdf(x, m, _spd(c)),
        lambda x, m, c: ss.multivariate_normal.logpdf(x, m, _spd(c)),
        lambda r: [r.normal(size=(4, 3)), r.normal(size=3), r.normal(size=(3, 3))],
        lambda x, m, c: _dist("MultivariateNormal")(m, _spd_torch(c)).log_prob(x),
    ),
    "multivariate_normal.pdf": (
        lambda x, m, c: mvn.pdf(x, m, _spd(c)),
        lambda x, m, c: ss.multivariate_normal.pdf(x, m, _spd(c)),
        lambda r: [r.normal(size=3), r.normal(size=3), r.normal(size=(3, 3))],
        None,
    ),
    "multivariate_normal.entropy": (
        lambda c: mvn.entropy(None, _spd(c)),
        lambda c: ss.multivariate_normal.entropy(None, _spd(c)),
        lambda r: [r.normal(size=(3, 3))],
        lambda c: _dist("MultivariateNormal")(torch_or_skip().zeros(3, dtype=c.dtype), _spd_torch(c)).entropy(),
    ),
}


def _spd_torch(c):
    return c @ c.T + 0.5 * torch_or_skip().eye(c.shape[0], dtype=c.dtype)


@pytest.mark.parametrize("name", list(CASES))
@FEW
@given(seed=seeds)
def test_distribution_vs_scipy_finite_differences_and_second_order(name, seed, device):
    fn, sp_fn, draw, _ = CASES[name]
    rng = np.random.default_rng(seed)
    arrays = draw(rng)
    assert_close(fn(*tensors(arrays, device, False)), sp_fn(*arrays), rtol=1e-11, atol=1e-13, what=name)
    check_fd(fn, arrays, device, rng)
    assert tg.gradgradcheck(fn, tensors(arrays, device), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c[3] is not None])
@FEW
@given(seed=seeds)
def test_distribution_against_torch(name, seed, device):
    fn, _, draw, torch_fn = CASES[name]
    rng = np.random.default_rng(seed)
    check_torch(fn, torch_fn, draw(rng), device, rng, rtol=1e-9, atol=1e-11)


def test_outside_the_support_the_log_density_is_minus_infinity_and_gradients_stay_finite():
    x = Tensor(np.array([-1.0, 0.5, 2.0]), requires_grad=True)
    a = Tensor(np.array(2.0), requires_grad=True)
    y = gamma.logpdf(x, a) + beta.logpdf(x * 0.5, 2.0, 3.0).exp()
    np.testing.assert_array_equal(np.isinf(y.detach().numpy()), [True, False, False])
    y.exp().sum().backward()
    assert np.isfinite(x.grad.numpy()).all() and np.isfinite(a.grad.numpy())
    assert_close(beta.cdf(Tensor(np.array([-0.5, 1.5])), 2.0, 3.0), np.array([0.0, 1.0]))
    assert_close(poisson.logpmf(np.array([-1.0, 1.5]), Tensor(np.array(2.0))), np.array([-np.inf, -np.inf]))


def test_parameters_without_a_rule_and_bad_arguments_are_explained():
    df = Tensor(np.array(3.0), requires_grad=True)
    with pytest.raises(TypeError, match="t.cdf: no derivative with respect to df"):
        t.cdf(np.array([0.5]), df)
    with pytest.raises(TypeError, match="beta.cdf: no derivative with respect to a"):
        beta.cdf(np.array([0.5]), df, 2.0)
    with pytest.raises(TypeError, match="poisson.logpmf: no derivative with respect to k"):
        poisson.logpmf(df, 2.0)
    with pytest.raises(ValueError, match="gamma.logpdf: scale must be positive"):
        gamma.logpdf(df, 2.0, 0.0, -1.0)
    with pytest.raises(ValueError, match=r"t.logpdf: x \(2,\), df \(3,\).*do not broadcast"):
        t.logpdf(Tensor(np.zeros(2)), np.ones(3))
    with pytest.raises(ValueError, match="multivariate_normal.logpdf: cov must be positive definite"):
        mvn.logpdf(Tensor(np.zeros(2)), None, -np.eye(2))  # det = +1, but not positive definite
    with pytest.raises(ValueError, match="dirichlet.logpdf: alpha must be 1-D"):
        dirichlet.logpdf(Tensor(np.ones(3) / 3), np.ones(2))


def test_import_lines_of_autograd_scipy_stats_port():
    import tinygrad_edu.scipy.stats.multivariate_normal as m
    from tinygrad_edu.scipy.stats import norm

    assert m is mvn and stats.t is t and norm.DIFFERENTIABLE
    assert np.all(t.pdf(np.array([0.0, 1.0]), 3.0) == ss.t.pdf([0.0, 1.0], 3.0))  # plain arrays: SciPy's own


# qualified name -> the test that checks its derivative (docs/gen_coverage.py links it on the coverage page)
DERIVATIVE_TESTS = {
    f"stats.{name}": "tests/test_scipy_stats.py::test_distribution_vs_scipy_finite_differences_and_second_order"
    for name in CASES
}
MODULES = {"t": t, "gamma": gamma, "beta": beta, "chi2": chi2, "poisson": poisson, "dirichlet": dirichlet}


def test_every_differentiable_distribution_function_has_a_derivative_test():
    declared = {f"stats.{m}.{n}" for m, mod in MODULES.items() for n in mod.DIFFERENTIABLE}
    declared |= {f"stats.multivariate_normal.{n}" for n in mvn.DIFFERENTIABLE}
    assert declared == set(DERIVATIVE_TESTS)
