"""The lecture's update rules ("schedulers"): ``change = scheduler.update_change(gradient)``, then ``W -= change``.

Same names and constructor arguments as the lecture (no defaults). Each works on NumPy arrays
(and CuPy arrays or Tensors: only array operators are used). State is kept per scheduler, so
each weight matrix needs its own copy; :class:`~tinygrad_edu.course.FFNN` makes them.

Two things differ from the lecture's code on purpose (see docs/course.md):

* ``Adam`` counts *steps* for its bias correction and keeps its moments until ``reset()``;
  the original counted epochs and zeroed the moments every epoch (sign descent with one batch).
* ``Adagrad`` / ``AdagradMomentum`` accumulate g * g per element; the original summed the outer
  product g g^T and used its diagonal, which scales whole rows.

``reset()`` forgets all state (moments, accumulated squares, step count): a fresh start.
``legacy=True`` (keyword) gives the original rules and the original ``reset()``, which
:class:`FFNN` with ``legacy=True`` calls after every epoch.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

__all__ = ["Scheduler", "Constant", "Momentum", "Adagrad", "AdagradMomentum", "RMS_prop", "Adam"]

DELTA = 1e-8  # the lecture's guard against division by zero


def _check_eta(eta: Any, owner: str) -> float:
    if isinstance(eta, bool) or not isinstance(eta, Real) or not eta >= 0:
        raise ValueError(f"{owner}: eta must be a non-negative number, got {eta!r}")
    return float(eta)


def _check_rate(name: str, value: Any, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 <= value < 1.0:
        raise ValueError(f"{owner}: {name} must be in [0, 1), got {value!r}")
    return float(value)


class Scheduler:
    """Abstract base: ``update_change(gradient) -> change`` (the caller subtracts it) and ``reset()``."""

    def __init__(self, eta: float, *, legacy: bool = False) -> None:
        self.eta = _check_eta(eta, type(self).__name__)
        self.legacy = bool(legacy)

    def update_change(self, gradient: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__}.update_change: Scheduler is abstract; use Constant, Momentum, Adagrad, "
            "AdagradMomentum, RMS_prop or Adam"
        )

    def reset(self) -> None:
        """Forget the state built up by earlier updates."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args}{', legacy=True' if self.legacy else ''})"

    def _params(self) -> dict[str, Any]:
        return {"eta": self.eta}


class Constant(Scheduler):
    """Plain gradient descent: change = eta g."""

    def __init__(self, eta: float, *, legacy: bool = False) -> None:
        super().__init__(eta, legacy=legacy)

    def update_change(self, gradient: Any) -> Any:
        return self.eta * gradient


class Momentum(Scheduler):
    """Gradient descent with momentum: v <- momentum v + eta g; change = v."""

    def __init__(self, eta: float, momentum: float, *, legacy: bool = False) -> None:
        super().__init__(eta, legacy=legacy)
        self.momentum = _check_rate("momentum", momentum, "Momentum")
        self.change: Any = 0.0

    def update_change(self, gradient: Any) -> Any:
        self.change = self.momentum * self.change + self.eta * gradient
        return self.change

    def reset(self) -> None:
        if not self.legacy:  # the original's reset kept the velocity
            self.change = 0.0

    def _params(self) -> dict[str, Any]:
        return {"eta": self.eta, "momentum": self.momentum}


def _outer_diagonal(gradient: Any) -> Any:
    """The original Adagrad's accumulator: g g^T, of which only the diagonal (row sums of g^2) is used."""
    return gradient @ gradient.T


class Adagrad(Scheduler):
    """Adagrad: G <- G + g * g (per element); change = eta g / (delta + sqrt(G))."""

    def __init__(self, eta: float, *, legacy: bool = False) -> None:
        super().__init__(eta, legacy=legacy)
        self.G_t: Any = None

    def _scale(self, gradient: Any) -> Any:
        """1 / (delta + sqrt(G)) after adding this gradient."""
        if self.legacy:
            if self.G_t is None:
                self.G_t = 0.0 * _outer_diagonal(gradient)
            self.G_t = self.G_t + _outer_diagonal(gradient)
            diag = self.G_t.diagonal().reshape(self.G_t.shape[0], 1)
            return 1.0 / (DELTA + diag**0.5)
        self.G_t = gradient * gradient if self.G_t is None else self.G_t + gradient * gradient
        return 1.0 / (DELTA + self.G_t**0.5)

    def update_change(self, gradient: Any) -> Any:
        return self.eta * gradient * self._scale(gradient)

    def reset(self) -> None:
        self.G_t = None


class AdagradMomentum(Adagrad):
    """Adagrad with momentum: v <- momentum v + eta g / (delta + sqrt(G)); change = v."""

    def __init__(self, eta: float, momentum: float, *, legacy: bool = False) -> None:
        super().__init__(eta, legacy=legacy)
        self.momentum = _check_rate("momentum", momentum, "AdagradMomentum")
        self.change: Any = 0.0

    def update_change(self, gradient: Any) -> Any:
        self.change = self.momentum * self.change + self.eta * gradient * self._scale(gradient)
        return self.change

    def reset(self) -> None:
        self.G_t = None
        if not self.legacy:
            self.change = 0.0

    def _params(self) -> dict[str, Any]:
        return {"eta": self.eta, "momentum": self.momentum}


class RMS_prop(Scheduler):
    """RMSprop: s <- rho s + (1 - rho) g * g; change = eta g / sqrt(s + delta)."""

    def __init__(self, eta: float, rho: float, *, legacy: bool = False) -> None:
        super().__init__(eta, legacy=legacy)
        self.rho = _check_rate("rho", rho, "RMS_prop")
        self.second: Any = 0.0

    def update_change(self, gradient: Any) -> Any:
        self.second = self.rho * self.second + (1 - self.rho) * gradient * gradient
        return self.eta * gradient / (self.second + DELTA) ** 0.5

    def reset(self) -> None:
        self.second = 0.0

    def _params(self) -> dict[str, Any]:
        return {"eta": self.eta, "rho": self.rho}


class Adam(Scheduler):
    """Adam, with bias correction by the number of steps k taken so far.

    m <- rho m + (1 - rho) g;  s <- rho2 s + (1 - rho2) g * g;  k <- k + 1;
    change = eta m_hat / sqrt(s_hat + delta), with m_hat = m / (1 - rho^k), s_hat = s / (1 - rho2^k).
    """

    def __init__(self, eta: float, rho: float, rho2: float, *, legacy: bool = False) -> None:
        super().__init__(eta, legacy=legacy)
        self.rho = _check_rate("rho", rho, "Adam")
        self.rho2 = _check_rate("rho2", rho2, "Adam")
        self.moment: Any = 0.0
        self.second: Any = 0.0
        self.n_steps = 0  # steps taken since the last reset (fixed rule)
        self.n_epochs = 1  # the original's counter, advanced by reset() (legacy rule)

    def update_change(self, gradient: Any) -> Any:
        self.moment = self.rho * self.moment + (1 - self.rho) * gradient
        self.second = self.rho2 * self.second + (1 - self.rho2) * gradient * gradient
        self.n_steps += 1
        k = self.n_epochs if self.legacy else self.n_steps
        moment_corrected = self.moment / (1 - self.rho**k)
        second_corrected = self.second / (1 - self.rho2**k)
        return self.eta * moment_corrected / (second_corrected + DELTA) ** 0.5

    def reset(self) -> None:
        self.moment = 0.0
        self.second = 0.0
        if self.legacy:
            self.n_epochs += 1  # the original: "reset" once per epoch, bias correction by epochs
        else:
            self.n_steps = 0
            self.n_epochs = 1

    def _params(self) -> dict[str, Any]:
        return {"eta": self.eta, "rho": self.rho, "rho2": self.rho2}
