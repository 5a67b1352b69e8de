"""``scipy.stats.dirichlet`` (concentrations ``alpha``, of length K), differentiable in ``x`` and
``alpha`` as HIPS autograd's.

log pdf = sum_i (alpha_i - 1) log x_i + lgamma(sum_i alpha_i) - sum_i lgamma(alpha_i), written with
differentiable ops. ``x`` holds a point of the simplex along its first axis (shape (K,) or (K, n)
for n points), as SciPy.
"""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.scipy._wrap import as_tensors, has_tensor

_dirichlet = backend.scipy_module("stats").dirichlet

DIFFERENTIABLE = frozenset({"pdf", "logpdf"})
VALUE_ONLY = frozenset({"rvs"})  # random draws: no derivative
__all__ = sorted(DIFFERENTIABLE)


def logpdf(x: Any, alpha: Any) -> Any:
    """The log-density; differentiable in x and alpha."""
    if not has_tensor(x, alpha):
        return _dirichlet.logpdf(x, alpha)
    x, alpha = as_tensors(x, alpha)
    if alpha.ndim != 1 or x.ndim not in (1, 2) or x.shape[0] != alpha.shape[0]:
        raise ValueError(
            f"dirichlet.logpdf: alpha must be 1-D (K,) and x (K,) or (K, n), got x {tuple(x.shape)} and "
            f"alpha {tuple(alpha.shape)}"
        )
    if bool((alpha.data <= 0).any()) or bool((x.data <= 0).any()):
        raise ValueError("dirichlet.logpdf: alpha and x must be positive")
    a = alpha if x.ndim == 1 else alpha.reshape(-1, 1)
    return ((a - 1.0) * x.log()).sum(0) + alpha.sum().lgamma() - alpha.lgamma().sum()


def pdf(x: Any, alpha: Any) -> Any:
    """The density, exp(logpdf)."""
    if not has_tensor(x, alpha):
        return _dirichlet.pdf(x, alpha)
    return logpdf(x, alpha).exp()


def rvs(*args: Any, **kwargs: Any) -> Any:
    """SciPy's random draws (plain arrays: no derivative)."""
    return _dirichlet.rvs(*args, **kwargs)
