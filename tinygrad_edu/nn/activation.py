"""Activation functions as modules, for ``Sequential``: z -> a = f(z)."""

from __future__ import annotations

import numbers
from typing import Any

from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.module import Module
from tinygrad_edu.tensor import Tensor


def _check_finite(owner: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not abs(value) < float("inf"):
        raise ValueError(f"{owner}: {name} must be a finite number, got {value!r}")


class Sigmoid(Module):
    """a = 1 / (1 + e^-z);  f'(z) = a (1 - a)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Tanh(Module):
    """a = tanh z;  f'(z) = 1 - a^2."""

    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class ReLU(Module):
    """a = max(z, 0);  f'(z) = [z > 0]."""

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class LeakyReLU(Module):
    """a = z if z > 0 else negative_slope * z."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        _check_finite("LeakyReLU", "negative_slope", negative_slope)
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return x.leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """a = z if z > 0 else alpha (e^z - 1)."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        _check_finite("ELU", "alpha", alpha)
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        return x.elu(self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class GELU(Module):
    """a = z Phi(z), Phi the standard normal CDF (``approximate="tanh"`` for the tanh formula)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return x.gelu(self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """a = log(1 + e^(beta z)) / beta, a smooth ReLU."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        _check_finite("Softplus", "beta", beta)
        _check_finite("Softplus", "threshold", threshold)
        if beta == 0:
            raise ValueError("Softplus: beta must not be zero (it divides)")
        self.beta = beta
        self.threshold = threshold

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """a_i = e^(z_i) / sum_j e^(z_j) along ``dim`` (the lecture's output layer for classes)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return x.softmax(self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """a_i = z_i - log sum_j e^(z_j) along ``dim``; pair it with ``nll_loss``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return x.log_softmax(self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
