"""Adagrad (``torch.optim.Adagrad``) and the lecture's Adagrad with momentum."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tinygrad_edu.optim.optimizer import Optimizer, check_beta, check_nonneg
from tinygrad_edu.tensor import Tensor


class Adagrad(Optimizer):
    """Adagrad: each element's step shrinks with the sum of its squared gradients.

    g = grad + lambda theta;   t = t + 1;   eta_t = eta / (1 + (t - 1) lr_decay)
    G = G + g * g              (G starts at initial_accumulator_value)
    theta <- theta - eta_t g / (sqrt(G) + eps)
    """

    # PyTorch's explicit signature, written out on purpose (as in the other optimizers): students read
    # the names and defaults here, and a misspelled keyword fails at the call.
    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
                maximize=maximize,
            ),
        )

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        for k in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_nonneg(k, group[k], type(self).__name__)

    def _accumulate(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> tuple[Any, Any]:
        """Add g*g into the sum; return (g, sqrt(G) + eps) as a fresh array."""
        if "sum" not in state:
            state["step"] = 0
            state["sum"] = self._buffer(p, group["initial_accumulator_value"])
        state["step"] += 1
        g = grad + group["weight_decay"] * p.data if group["weight_decay"] != 0 else grad
        s = state["sum"].data
        tmp = g * g
        s += tmp
        xp = p.xp
        xp.sqrt(s, out=tmp)
        tmp += group["eps"]
        return g, tmp

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        g, std = self._accumulate(p, grad, state, group)
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        p.xp.divide(g, std, out=std)
        std *= clr
        p.data -= std


class AdagradMomentum(Adagrad):
    """The lecture's Adagrad with momentum: the Adagrad-scaled step, accumulated with momentum.

        g = grad + lambda theta;   t = t + 1;   eta_t = eta / (1 + (t - 1) lr_decay)
        G = G + g * g             (G starts at initial_accumulator_value)
        v = mu v + eta_t g / (sqrt(G) + eps)        (v starts at zero)
        theta <- theta - v

    The step count t starts at 1, so the first step uses eta itself (as Adagrad's, and PyTorch's).

    The lecture's code accumulates the outer product g g^T and keeps its diagonal per *row*;
    this is the per-element version its formula intends. PyTorch has no twin of this rule.
    ``eps`` defaults to 1e-8 as in the lecture (its ``delta``).
    """

    # PyTorch's explicit signature, written out on purpose (as in the other optimizers): students read
    # the names and defaults here, and a misspelled keyword fails at the call.
    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        momentum: float = 0.9,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-8,
        *,
        maximize: bool = False,
    ) -> None:
        Optimizer.__init__(
            self,
            params,
            dict(
                lr=lr,
                momentum=momentum,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
                maximize=maximize,
            ),
        )

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        check_beta("momentum", group["momentum"], "AdagradMomentum")

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        g, std = self._accumulate(p, grad, state, group)
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = self._buffer(p)
        v = state["momentum_buffer"].data
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        p.xp.divide(g, std, out=std)
        std *= clr
        v *= group["momentum"]
        v += std
        p.data -= v
