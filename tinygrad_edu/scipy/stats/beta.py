"""``scipy.stats.beta`` (shapes ``a``, ``b``), differentiable as HIPS autograd's.

With z = (x - loc) / scale in (0, 1): log-density (a - 1) log z + (b - 1) log(1 - z) - log B(a, b)
- log(scale), written with differentiable ops (every argument differentiates); -inf outside. The
distribution function is betainc(a, b, z) (:class:`~tinygrad_edu.ops.gamma.Betainc`),
differentiable in x, loc and scale (a and b constants).
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.ops import functions as _F
from tinygrad_edu.ops import gamma as _G
from tinygrad_edu.scipy._wrap import constant, distribution_args, has_tensor
from tinygrad_edu.scipy.stats._support import on_support

_beta = backend.scipy_module("stats").beta

DIFFERENTIABLE = frozenset({"pdf", "logpdf", "cdf"})
VALUE_ONLY: frozenset[str] = frozenset()
__all__ = sorted(DIFFERENTIABLE)


def _args(name: str, x: Any, a: Any, b: Any, loc: Any, scale: Any) -> dict:
    values = {"x": x, "a": a, "b": b, "loc": loc, "scale": scale}
    return distribution_args(name, values, positive=("a", "b", "scale"))


def logpdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The log-density; differentiable in x, a, b, loc and scale."""
    if not has_tensor(x, a, b, loc, scale):
        return _beta.logpdf(x, a, b, loc, scale)
    t = _args("beta.logpdf", x, a, b, loc, scale)
    z = (t["x"] - t["loc"]) / t["scale"]

    def inside(zs):
        return (t["a"] - 1.0) * zs.log() + (t["b"] - 1.0) * (-zs).log1p()

    core = on_support((z > 0) & (z < 1), z, 0.5, inside, -float("inf"))
    return core - _G.Betaln.apply(t["a"], t["b"]) - t["scale"].log()


def pdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The density, exp(logpdf)."""
    if not has_tensor(x, a, b, loc, scale):
        return _beta.pdf(x, a, b, loc, scale)
    return logpdf(x, a, b, loc, scale).exp()


def cdf(x: Any, a: Any, b: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """I_z(a, b); 0 below the support and 1 above it."""
    if not has_tensor(x, a, b, loc, scale):
        return _beta.cdf(x, a, b, loc, scale)
    constant("beta.cdf", a=a, b=b)
    t = _args("beta.cdf", x, a, b, loc, scale)
    z = (t["x"] - t["loc"]) / t["scale"]
    inner = on_support((z > 0) & (z < 1), z, 0.5, lambda zs: _G.Betainc.apply(t["a"], t["b"], zs), 0.0)
    return _F.where(z >= 1, 1.0, inner)
