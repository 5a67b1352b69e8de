"""``torch.special`` for tinygrad_edu: special functions of Tensors, with PyTorch's names.

Each is an op with its derivative rule (``tinygrad_edu/ops/special.py`` and ``ops/normal.py``);
the same functions are Tensor methods where PyTorch has one (``x.erfc()``, ``x.logit()``,
``x.lgamma()``, ``x.digamma()``, ``x.polygamma(n)``). For SciPy's names and for NumPy arrays
use :mod:`tinygrad_edu.scipy.special`.
"""

from __future__ import annotations

from tinygrad_edu.ops import normal as _N
from tinygrad_edu.ops import reduce as _R
from tinygrad_edu.ops import special as _S
from tinygrad_edu.tensor import Tensor

__all__ = [
    "erf",
    "erfc",
    "erfinv",
    "expit",
    "logit",
    "gammaln",
    "digamma",
    "psi",
    "polygamma",
    "logsumexp",
    "ndtr",
    "log_ndtr",
    "ndtri",
]


def erf(input: Tensor) -> Tensor:
    """erf(x) = 2/sqrt(pi) int_0^x e^(-t^2) dt."""
    return input.erf()


def erfc(input: Tensor) -> Tensor:
    """1 - erf(x), accurate where erf(x) is close to 1."""
    return input.erfc()


def erfinv(input: Tensor) -> Tensor:
    """The inverse of erf on (-1, 1)."""
    return _S.Erfinv.apply(input)


def expit(input: Tensor) -> Tensor:
    """The logistic sigmoid 1 / (1 + e^-x)."""
    return input.sigmoid()


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)); with ``eps`` the input is first clamped to [eps, 1 - eps]."""
    return input.logit(eps)


def gammaln(input: Tensor) -> Tensor:
    """log |Gamma(x)| (``torch.lgamma``)."""
    return input.lgamma()


def digamma(input: Tensor) -> Tensor:
    """psi(x) = d/dx log Gamma(x)."""
    return input.digamma()


psi = digamma


def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of digamma."""
    return input.polygamma(n)


def logsumexp(input: Tensor, dim: int | tuple[int, ...], keepdim: bool = False) -> Tensor:
    """log sum e^x over ``dim``, without overflow; its gradient is the softmax."""
    axis = _R.normalize_axis(tuple(dim) if isinstance(dim, list) else dim, input.ndim, "logsumexp")
    return _S.LogSumExp.apply(input, axis=axis, keepdims=bool(keepdim))


def ndtr(input: Tensor) -> Tensor:
    """Phi(x), the standard normal distribution function."""
    return _N.NormCdf.apply(input, input._lift(0.0), input._lift(1.0))


def log_ndtr(input: Tensor) -> Tensor:
    """log Phi(x), accurate far in the lower tail."""
    return _N.NormLogCdf.apply(input, input._lift(0.0), input._lift(1.0))


def ndtri(input: Tensor) -> Tensor:
    """Phi^-1(q), the standard normal quantile."""
    return _S.Ndtri.apply(input)
