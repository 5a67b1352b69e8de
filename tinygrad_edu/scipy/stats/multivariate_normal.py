"""``scipy.stats.multivariate_normal``, differentiable in ``x``, ``mean`` and ``cov`` as HIPS
autograd's.

log pdf = -(d log(2 pi) + log det cov + (x - mean)^T cov^-1 (x - mean)) / 2, written with the
differentiable linear algebra of :mod:`tinygrad_edu.numpy.linalg` (``slogdet``, ``solve``), so
every argument differentiates, to any order. ``x`` is one point (d,) or n points (n, d).
"""

from __future__ import annotations

import math
from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.scipy._wrap import as_tensors, has_tensor

_mvn = backend.scipy_module("stats").multivariate_normal
_LOG_2PI = math.log(2.0 * math.pi)

DIFFERENTIABLE = frozenset({"pdf", "logpdf", "entropy"})
VALUE_ONLY: frozenset[str] = frozenset()
__all__ = sorted(DIFFERENTIABLE)


def _logdet(name: str, cov: Any) -> Any:
    from tinygrad_edu.numpy import linalg  # noqa: PLC0415  (the namespace imports this package's siblings)

    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ValueError(f"multivariate_normal.{name}: cov must be a square matrix, got shape {tuple(cov.shape)}")
    if cov.size and float(cov.xp.linalg.eigvalsh(cov.data).min()) <= 0:
        raise ValueError(f"multivariate_normal.{name}: cov must be positive definite (an eigenvalue is <= 0)")
    return linalg.slogdet(cov)[1]


def logpdf(x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False) -> Any:
    """The log-density; differentiable in x, mean and cov (a positive-definite matrix)."""
    if not has_tensor(x, mean, cov):
        return _mvn.logpdf(x, mean, cov, allow_singular=allow_singular)
    from tinygrad_edu.numpy import linalg  # noqa: PLC0415

    if allow_singular:
        raise NotImplementedError("multivariate_normal.logpdf: no derivative for a singular covariance")
    x, mean, cov = as_tensors(x, 0.0 if mean is None else mean, cov)
    logdet = _logdet("logpdf", cov)
    d = cov.shape[0]
    r = x - mean  # (d,) or (n, d)
    solved = linalg.solve(cov, r.T if r.ndim == 2 else r)  # cov^-1 (x - mean), one column per point
    quad = (r.T * solved).sum(0) if r.ndim == 2 else (r * solved).sum()
    return (quad + logdet + d * _LOG_2PI) * -0.5


def pdf(x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False) -> Any:
    """The density, exp(logpdf)."""
    if not has_tensor(x, mean, cov):
        return _mvn.pdf(x, mean, cov, allow_singular=allow_singular)
    return logpdf(x, mean, cov, allow_singular).exp()


def entropy(mean: Any = None, cov: Any = 1) -> Any:
    """(d (1 + log(2 pi)) + log det cov) / 2; differentiable in cov (the mean does not enter)."""
    if not has_tensor(mean, cov):
        return _mvn.entropy(mean, cov)
    (cov,) = as_tensors(cov)
    return (_logdet("entropy", cov) + cov.shape[0] * (1.0 + _LOG_2PI)) * 0.5
