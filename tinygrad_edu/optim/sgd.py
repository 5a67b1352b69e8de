"""Stochastic gradient descent, with momentum and Nesterov momentum (``torch.optim.SGD``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tinygrad_edu.optim.optimizer import Optimizer, check_nonneg
from tinygrad_edu.tensor import Tensor


class SGD(Optimizer):
    """Gradient descent, theta <- theta - eta v, with PyTorch's update rule:

        g = grad + lambda theta                          (weight_decay lambda)
        v = g at the first step, then v = mu v + (1 - dampening) g    (momentum mu)
        step direction: g + mu v (nesterov) or v (momentum) or g (plain)

    With ``momentum=0`` this is the lecture's plain gradient descent theta <- theta - eta g;
    with momentum it is the lecture's momentum rule (eta folded into v differently; see the docs).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
                maximize=maximize,
            ),
        )

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        for k in ("momentum", "dampening", "weight_decay"):
            check_nonneg(k, group[k], "SGD")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: nesterov momentum requires a momentum > 0 and zero dampening")

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
        d = grad + wd * p.data if wd != 0 else grad  # a new array: never write into p.grad
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = Tensor._make(p.xp.array(d, copy=True), p.device)
            else:
                buf.data *= mu
                buf.data += d if group["dampening"] == 0 else (1.0 - group["dampening"]) * d
            d = d + mu * buf.data if group["nesterov"] else buf.data
        p.data -= lr * d
