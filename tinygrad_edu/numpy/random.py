"""``numpy.random``, so that ``import tinygrad_edu.numpy.random as npr`` replaces
``import autograd.numpy.random as npr``. Random draws are constants (no gradient), so these are
NumPy's own functions, reached through the backend."""

from __future__ import annotations

from typing import Any

from tinygrad_edu import backend

_random = backend.xp("cpu").random

seed = _random.seed
randn = _random.randn
rand = _random.rand
randint = _random.randint
normal = _random.normal
uniform = _random.uniform
choice = _random.choice
permutation = _random.permutation
shuffle = _random.shuffle
default_rng = _random.default_rng
RandomState = _random.RandomState
Generator = _random.Generator

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


def __getattr__(name: str) -> Any:
    """Every other name of ``numpy.random``."""
    try:
        return getattr(_random, name)
    except AttributeError:
        raise AttributeError(f"module 'tinygrad_edu.numpy.random' has no attribute {name!r}") from None
