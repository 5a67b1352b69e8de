"""``scipy.stats.chi2`` with ``df`` degrees of freedom: the gamma distribution of shape df/2 and
scale 2 (:mod:`tinygrad_edu.scipy.stats.gamma`), differentiable in x, df (log-density), loc and scale."""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.scipy._wrap import as_tensors, constant, has_tensor
from tinygrad_edu.scipy.stats import gamma as _gamma_dist

_chi2 = backend.scipy_module("stats").chi2

DIFFERENTIABLE = frozenset({"pdf", "logpdf", "cdf"})
VALUE_ONLY: frozenset[str] = frozenset()
__all__ = sorted(DIFFERENTIABLE)


def _as_gamma(x: Any, df: Any, loc: Any, scale: Any) -> tuple:
    x, df, loc, scale = as_tensors(x, df, loc, scale)
    return x, df * 0.5, loc, scale * 2.0


def logpdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """(df/2 - 1) log z - z/2 - (df/2) log 2 - lgamma(df/2) - log(scale), z = (x - loc) / scale."""
    if not has_tensor(x, df, loc, scale):
        return _chi2.logpdf(x, df, loc, scale)
    return _gamma_dist.logpdf(*_as_gamma(x, df, loc, scale))


def pdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The density, exp(logpdf)."""
    if not has_tensor(x, df, loc, scale):
        return _chi2.pdf(x, df, loc, scale)
    return _gamma_dist.pdf(*_as_gamma(x, df, loc, scale))


def cdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(df/2, z/2); differentiable in x, loc and scale (df a constant)."""
    if not has_tensor(x, df, loc, scale):
        return _chi2.cdf(x, df, loc, scale)
    constant("chi2.cdf", df=df)
    return _gamma_dist.cdf(*_as_gamma(x, df, loc, scale))
