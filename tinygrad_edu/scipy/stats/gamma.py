"""``scipy.stats.gamma`` (shape ``a``), differentiable as HIPS autograd's.

With z = (x - loc) / scale > 0: log-density (a - 1) log z - z - lgamma(a) - log(scale), written
with differentiable ops (x, a, loc and scale all differentiate); -inf outside the support. The
distribution function is gammainc(a, z) (:class:`~tinygrad_edu.ops.gamma.Gammainc`), differentiable
in x, loc and scale (a a constant).
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.ops import gamma as _G
from tinygrad_edu.scipy._wrap import constant, distribution_args, has_tensor
from tinygrad_edu.scipy.stats._support import on_support

_gamma = backend.scipy_module("stats").gamma

DIFFERENTIABLE = frozenset({"pdf", "logpdf", "cdf"})
VALUE_ONLY: frozenset[str] = frozenset()
__all__ = sorted(DIFFERENTIABLE)


def logpdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The log-density; differentiable in x, a, loc and scale."""
    if not has_tensor(x, a, loc, scale):
        return _gamma.logpdf(x, a, loc, scale)
    t = distribution_args("gamma.logpdf", {"x": x, "a": a, "loc": loc, "scale": scale}, positive=("a", "scale"))
    z, shape = (t["x"] - t["loc"]) / t["scale"], t["a"]
    core = on_support(z > 0, z, 1.0, lambda zs: (shape - 1.0) * zs.log() - zs, -float("inf"))
    return core - shape.lgamma() - t["scale"].log()


def pdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The density, exp(logpdf)."""
    if not has_tensor(x, a, loc, scale):
        return _gamma.pdf(x, a, loc, scale)
    return logpdf(x, a, loc, scale).exp()


def cdf(x: Any, a: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """P(a, z), the regularized lower incomplete gamma function; 0 below the support."""
    if not has_tensor(x, a, loc, scale):
        return _gamma.cdf(x, a, loc, scale)
    constant("gamma.cdf", a=a)
    t = distribution_args("gamma.cdf", {"x": x, "a": a, "loc": loc, "scale": scale}, positive=("a", "scale"))
    z = (t["x"] - t["loc"]) / t["scale"]
    return on_support(z > 0, z, 1.0, lambda zs: _G.Gammainc.apply(t["a"], zs, upper=False), 0.0)
