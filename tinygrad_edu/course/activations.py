"""The lecture's activation functions, a = f(z), and ``derivate(f)`` for f'(z).

Each works on NumPy arrays (NumPy in, NumPy out) and on Tensors (then the engine records it and
differentiates through it), so the same function serves the forward pass, ``derivate`` and
plotting. To write your own, use ``import tinygrad_edu.numpy as np`` in place of ``autograd.numpy``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_edu.func import elementwise_grad
from tinygrad_edu.tensor import Tensor

__all__ = ["identity", "sigmoid", "softmax", "RELU", "LRELU", "derivate"]

LRELU_SLOPE = 1e-3  # the lecture's leaky slope ``delta = 10e-4``


def identity(X: Any) -> Any:
    """f(z) = z."""
    return X


def sigmoid(X: Any) -> Any:
    """f(z) = 1 / (1 + exp(-z)), computed without overflow for large |z| (no warning, no error)."""
    if isinstance(X, Tensor):
        return X.sigmoid()
    X = np.asarray(X, dtype=np.float64)
    # exp(-logaddexp(0, -z)) = 1 / (1 + exp(-z)) and never overflows.
    return np.exp(-np.logaddexp(0.0, -X))


def softmax(X: Any) -> Any:
    """Row-wise f(z)_k = exp(z_k) / sum_j exp(z_j), shifted by the row maximum for stability."""
    if isinstance(X, Tensor):
        return X.softmax(axis=-1)
    X = np.asarray(X, dtype=np.float64)
    e = np.exp(X - np.max(X, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def RELU(X: Any) -> Any:
    """f(z) = max(z, 0)."""
    if isinstance(X, Tensor):
        return X.relu()
    X = np.asarray(X, dtype=np.float64)
    return np.where(X > 0, X, 0.0)


def LRELU(X: Any) -> Any:
    """Leaky ReLU: f(z) = z for z > 0, and 1e-3 z otherwise (the lecture's slope)."""
    if isinstance(X, Tensor):
        return X.leaky_relu(LRELU_SLOPE)
    X = np.asarray(X, dtype=np.float64)
    return np.where(X > 0, X, LRELU_SLOPE * X)


def derivate(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The elementwise derivative f'(z) of an activation, from the engine's automatic differentiation.

    ``derivate(sigmoid)(z)`` is sigma(z) (1 - sigma(z)), evaluated at z (not at sigma(z)). For a
    function that mixes elements (softmax) it is sum_i d f_i / d z_j, as HIPS autograd's
    ``elementwise_grad``; for softmax that sum is 0, so use the Jacobian there instead.
    """
    if not callable(func):
        raise TypeError(f"derivate: expected an activation function, got {type(func).__name__}")
    d = elementwise_grad(func)

    def derivative(X: Any) -> Any:
        if not isinstance(X, Tensor):
            X = np.asarray(X, dtype=np.float64)
        return d(X)

    derivative.__name__ = f"derivate({getattr(func, '__name__', 'func')})"
    derivative.__doc__ = f"Elementwise derivative of {getattr(func, '__name__', 'func')}, by automatic differentiation."
    return derivative
