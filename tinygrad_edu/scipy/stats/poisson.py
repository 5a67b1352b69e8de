"""``scipy.stats.poisson`` (mean ``mu``), differentiable in ``mu`` as HIPS autograd's (the count
``k`` is an integer: a constant).

log pmf = k log mu - mu - lgamma(k + 1) for integer k >= 0 (-inf elsewhere); the distribution
function is Q(floor(k) + 1, mu) (``gammaincc``), whose derivative in mu is -pmf(floor(k), mu).
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.ops import functions as _F
from tinygrad_edu.ops import gamma as _G
from tinygrad_edu.scipy._wrap import constant, distribution_args, has_tensor

_poisson = backend.scipy_module("stats").poisson

DIFFERENTIABLE = frozenset({"pmf", "logpmf", "cdf"})
VALUE_ONLY: frozenset[str] = frozenset()
__all__ = sorted(DIFFERENTIABLE)


def _args(name: str, k: Any, mu: Any, loc: Any) -> tuple:
    constant(name, k=k, loc=loc)
    t = distribution_args(name, {"k": k, "mu": mu, "loc": loc}, positive=("mu",))
    return (t["k"] - t["loc"]).detach(), t["mu"]


def logpmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """k log mu - mu - lgamma(k + 1); differentiable in mu."""
    if not has_tensor(k, mu, loc):
        return _poisson.logpmf(k, mu, loc)
    k, mu = _args("poisson.logpmf", k, mu, loc)
    count = (k.data >= 0) & (k.xp.floor(k.data) == k.data)  # the support: whole numbers from 0
    ks = _F.where(count, k, 0.0)
    return _F.where(count, ks * mu.log() - mu - (ks + 1.0).lgamma(), -float("inf"))


def pmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """mu^k e^-mu / k!; differentiable in mu."""
    if not has_tensor(k, mu, loc):
        return _poisson.pmf(k, mu, loc)
    return logpmf(k, mu, loc).exp()


def cdf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """Q(floor(k) + 1, mu), the probability of at most k events; differentiable in mu."""
    if not has_tensor(k, mu, loc):
        return _poisson.cdf(k, mu, loc)
    k, mu = _args("poisson.cdf", k, mu, loc)
    some = k.data >= 0
    a = _F.where(some, k.xp.floor(k.data) + 1.0, 1.0)
    return _F.where(some, _G.Gammainc.apply(a.detach(), mu, upper=True), 0.0)
