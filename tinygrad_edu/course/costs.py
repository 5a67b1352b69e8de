"""The lecture's cost functions: each takes the targets t and returns C(a), a function of the prediction.

Written with ``tinygrad_edu.numpy`` so ``C`` accepts NumPy arrays (returns a float) and Tensors
(returns a scalar Tensor that ``backward()`` differentiates), as the lecture's ``autograd.numpy``
versions do::

    C = CostOLS(t)
    C(a)                      # the value
    grad(C)(a)                # dC/da, from tinygrad_edu.func import grad
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_edu.numpy as tnp
from tinygrad_edu.tensor import Tensor

__all__ = ["CostOLS", "CostLogReg", "CostCrossEntropy"]

EPS = 1e-9  # the lecture's ``10e-10`` inside the logarithms


def _target(target: Any, name: str) -> Any:
    if isinstance(target, Tensor):
        return target
    t = np.asarray(target, dtype=np.float64)
    if t.ndim == 0:
        raise ValueError(f"{name}: target must have a sample axis, got a scalar")
    return t


def _check(X: Any, t: Any, name: str) -> None:
    if tuple(np.shape(X)) != tuple(np.shape(t)):
        raise ValueError(f"{name}: prediction of shape {tuple(np.shape(X))} does not match target {tuple(np.shape(t))}")


def CostOLS(target: Any) -> Callable[[Any], Any]:
    """C(a) = (1/n) sum_i sum_k (t_ik - a_ik)^2, n = number of samples (rows of t)."""
    t = _target(target, "CostOLS")

    def func(X: Any) -> Any:
        _check(X, t, "CostOLS")
        return (1.0 / t.shape[0]) * tnp.sum((X - t) ** 2)

    return func


def CostLogReg(target: Any) -> Callable[[Any], Any]:
    """C(a) = -(1/n) sum [t log(a + 1e-9) + (1 - t) log(1 - a + 1e-9)], binary cross-entropy of probabilities a."""
    t = _target(target, "CostLogReg")

    def func(X: Any) -> Any:
        _check(X, t, "CostLogReg")
        return -(1.0 / t.shape[0]) * tnp.sum(t * tnp.log(X + EPS) + (1 - t) * tnp.log(1 - X + EPS))

    return func


def CostCrossEntropy(target: Any) -> Callable[[Any], Any]:
    """C(a) = -(1/t.size) sum t log(a + 1e-9), one-hot targets t; the lecture divides by t.size (samples x classes)."""
    t = _target(target, "CostCrossEntropy")

    def func(X: Any) -> Any:
        _check(X, t, "CostCrossEntropy")
        return -(1.0 / t.size) * tnp.sum(t * tnp.log(X + EPS))

    return func
