"""``scipy.stats.t``, Student's t distribution, differentiable as HIPS autograd's.

With z = (x - loc) / scale: log-density lgamma((df+1)/2) - lgamma(df/2) - log(df pi)/2 - log(scale)
- (df+1)/2 log(1 + z^2/df), written with differentiable ops (so every argument, df included,
differentiates, to any order); the distribution function is the op
:class:`~tinygrad_edu.ops.special.Stdtr`, differentiable in x, loc and scale (df a constant).
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.ops import special as _S
from tinygrad_edu.scipy._wrap import constant, distribution_args, has_tensor
from tinygrad_edu.scipy.stats._support import LOG_PI

_t = backend.scipy_module("stats").t

DIFFERENTIABLE = frozenset({"pdf", "logpdf", "cdf", "logcdf"})
VALUE_ONLY: frozenset[str] = frozenset()
__all__ = sorted(DIFFERENTIABLE)


def logpdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The log-density; differentiable in x, df, loc and scale."""
    if not has_tensor(x, df, loc, scale):
        return _t.logpdf(x, df, loc, scale)
    a = distribution_args("t.logpdf", {"x": x, "df": df, "loc": loc, "scale": scale}, positive=("df", "scale"))
    z, df = (a["x"] - a["loc"]) / a["scale"], a["df"]
    half = (df + 1.0) * 0.5
    return (
        half.lgamma() - (df * 0.5).lgamma() - (df.log() + LOG_PI) * 0.5 - a["scale"].log() - (z * z / df).log1p() * half
    )


# The same form as gamma.pdf/cdf on purpose: each distribution is its own module, as in SciPy.
def pdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The density, exp(logpdf)."""
    if not has_tensor(x, df, loc, scale):
        return _t.pdf(x, df, loc, scale)
    return logpdf(x, df, loc, scale).exp()


def cdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The distribution function; differentiable in x, loc and scale (df a constant)."""
    if not has_tensor(x, df, loc, scale):
        return _t.cdf(x, df, loc, scale)
    constant("t.cdf", df=df)
    a = distribution_args("t.cdf", {"x": x, "df": df, "loc": loc, "scale": scale}, positive=("df", "scale"))
    return _S.Stdtr.apply(a["df"], (a["x"] - a["loc"]) / a["scale"])


def logcdf(x: Any, df: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log cdf; differentiable in x, loc and scale."""
    if not has_tensor(x, df, loc, scale):
        return _t.logcdf(x, df, loc, scale)
    return cdf(x, df, loc, scale).log()
