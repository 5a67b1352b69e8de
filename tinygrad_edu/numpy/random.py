"""``numpy.random``, so that ``import tinygrad_edu.numpy.random as npr`` replaces
``import autograd.numpy.random as npr``. Random draws are constants (no gradient): these are
NumPy's own functions, reached through the backend. As in the rest of the namespace (see
:mod:`tinygrad_edu.numpy._table`), a function given a Tensor that requires grad (a mean or a
scale to learn, say) refuses it rather than silently dropping its derivative: write
``mu + sigma * npr.randn(n)`` instead of ``npr.normal(mu, sigma, n)``."""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.numpy import _table

_random = backend.xp("cpu").random

DIFFERENTIABLE: frozenset[str] = frozenset()
VALUE_ONLY: frozenset[str] = frozenset()
REFUSED = dict.fromkeys(
    "normal uniform lognormal exponential gamma beta laplace logistic gumbel".split(),
    "a draw's derivative with respect to its parameters is not defined here; reparameterize, "
    "e.g. mu + sigma * npr.randn(n)",
)

__all__ = [
    "seed",
    "randn",
    "rand",
    "randint",
    "normal",
    "uniform",
    "choice",
    "permutation",
    "shuffle",
    "default_rng",
    "RandomState",
    "Generator",
]

_NAMESPACE = _table.Namespace("tinygrad_edu.numpy.random", _random, value_only=VALUE_ONLY, refused=REFUSED)

seed = _NAMESPACE.getattr("seed")
randn = _NAMESPACE.getattr("randn")
rand = _NAMESPACE.getattr("rand")
randint = _NAMESPACE.getattr("randint")
normal = _NAMESPACE.getattr("normal")
uniform = _NAMESPACE.getattr("uniform")
choice = _NAMESPACE.getattr("choice")
permutation = _NAMESPACE.getattr("permutation")
shuffle = _NAMESPACE.getattr("shuffle")
default_rng = _NAMESPACE.getattr("default_rng")
RandomState = _random.RandomState
Generator = _random.Generator


def __getattr__(name: str) -> Any:
    """Every name of ``numpy.random``, as the table declares it."""
    return _NAMESPACE.getattr(name)


def __dir__() -> list[str]:
    return _NAMESPACE.dir(globals())
