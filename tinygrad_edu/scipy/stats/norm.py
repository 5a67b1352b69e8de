"""``scipy.stats.norm`` with derivatives in ``x``, ``loc`` and ``scale``, as HIPS autograd's.

``from tinygrad_edu.scipy.stats import norm; norm.logpdf(x, loc, scale)``. On Tensors each
function is an op of ``tinygrad_edu/ops/normal.py`` (the survival and quantile functions are
built from them by symmetry); on arrays and numbers it is SciPy's own.
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.ops import normal as _N
from tinygrad_edu.ops import special as _S
from tinygrad_edu.scipy._wrap import as_tensors, has_tensor
from tinygrad_edu.tensor import Tensor

_norm = backend.scipy_module("stats").norm

DIFFERENTIABLE = frozenset({"pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"})
VALUE_ONLY: frozenset[str] = frozenset()
__all__ = sorted(DIFFERENTIABLE)


def _args(name: str, x: Any, loc: Any, scale: Any) -> list[Tensor]:
    """x, loc and scale as Tensors; the scale must be positive and the three must broadcast."""
    x, loc, scale = as_tensors(x, loc, scale)
    try:
        x.xp.broadcast_shapes(x.shape, loc.shape, scale.shape)
    except ValueError:
        raise ValueError(
            f"norm.{name}: x {tuple(x.shape)}, loc {tuple(loc.shape)} and scale {tuple(scale.shape)} "
            "do not broadcast together"
        ) from None
    if bool((scale.data <= 0).any()):
        raise ValueError(f"norm.{name}: scale must be positive, got a minimum of {float(scale.data.min())}")
    return [x, loc, scale]


# Each function states its own fallback to SciPy (no Tensor: SciPy's values) on purpose, as
# the other distributions: the pattern is two lines, and the call reads as the formula.
def pdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The density e^(-z^2/2) / (sqrt(2 pi) scale), z = (x - loc) / scale."""
    if not has_tensor(x, loc, scale):
        return _norm.pdf(x, loc, scale)
    return _N.NormPdf.apply(*_args("pdf", x, loc, scale))


def logpdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The log-density -z^2/2 - log scale - log sqrt(2 pi)."""
    if not has_tensor(x, loc, scale):
        return _norm.logpdf(x, loc, scale)
    return _N.NormLogPdf.apply(*_args("logpdf", x, loc, scale))


def cdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The distribution function Phi(z), the probability of a value <= x."""
    if not has_tensor(x, loc, scale):
        return _norm.cdf(x, loc, scale)
    return _N.NormCdf.apply(*_args("cdf", x, loc, scale))


def logcdf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log Phi(z), accurate far in the lower tail."""
    if not has_tensor(x, loc, scale):
        return _norm.logcdf(x, loc, scale)
    return _N.NormLogCdf.apply(*_args("logcdf", x, loc, scale))


def sf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The survival function 1 - Phi(z) = Phi(-z), computed as the cdf at (-x; -loc, scale)."""
    if not has_tensor(x, loc, scale):
        return _norm.sf(x, loc, scale)
    x, loc, scale = _args("sf", x, loc, scale)
    return _N.NormCdf.apply(-x, -loc, scale)


def logsf(x: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """log(1 - Phi(z)) = log Phi(-z), accurate far in the upper tail."""
    if not has_tensor(x, loc, scale):
        return _norm.logsf(x, loc, scale)
    x, loc, scale = _args("logsf", x, loc, scale)
    return _N.NormLogCdf.apply(-x, -loc, scale)


def ppf(q: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The quantile loc + scale Phi^-1(q), the inverse of the cdf."""
    if not has_tensor(q, loc, scale):
        return _norm.ppf(q, loc, scale)
    q, loc, scale = _args("ppf", q, loc, scale)
    return loc + scale * _S.Ndtri.apply(q)


def isf(q: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
    """The inverse survival function loc - scale Phi^-1(q), the inverse of sf."""
    if not has_tensor(q, loc, scale):
        return _norm.isf(q, loc, scale)
    q, loc, scale = _args("isf", q, loc, scale)
    return loc - scale * _S.Ndtri.apply(q)
