"""``scipy.stats`` with derivatives: ``from tinygrad_edu.scipy.stats import norm`` (and ``t``, ``gamma``,
``beta``, ``chi2``, ``poisson``, ``dirichlet``, ``multivariate_normal``: HIPS autograd's list)."""

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.scipy._wrap import Namespace
from tinygrad_edu.scipy.stats import beta, chi2, dirichlet, gamma, multivariate_normal, norm, poisson, t

DIFFERENTIABLE = frozenset()  # the functions are in the distribution modules (norm.DIFFERENTIABLE)
VALUE_ONLY = frozenset()
__all__ = ["beta", "chi2", "dirichlet", "gamma", "multivariate_normal", "norm", "poisson", "t"]

_NAMESPACE = Namespace("tinygrad_edu.scipy.stats", backend.scipy_module("stats"), value_only=VALUE_ONLY)


def __getattr__(name: str) -> Any:
    """SciPy's other ``stats`` names (distributions as SciPy's objects), functions refused."""
    return _NAMESPACE.getattr(name)
