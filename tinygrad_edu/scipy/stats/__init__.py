"""``scipy.stats`` with derivatives: ``from tinygrad_edu.scipy.stats import norm``."""

from tinygrad_edu import backend
from tinygrad_edu.scipy._wrap import guarded_getattr
from tinygrad_edu.scipy.stats import norm

DIFFERENTIABLE = ("norm",)
__all__ = ["norm"]

__getattr__ = guarded_getattr("tinygrad_edu.scipy.stats", backend.scipy_module("stats"))
