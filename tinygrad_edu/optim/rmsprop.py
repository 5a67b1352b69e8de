"""RMSprop (``torch.optim.RMSprop``): steps scaled by a running mean of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tinygrad_edu.optim.optimizer import Optimizer, check_nonneg
from tinygrad_edu.tensor import Tensor


class RMSprop(Optimizer):
    """RMSprop with PyTorch's rule (the lecture's ``RMS_prop`` with rho = alpha):

    g = grad + lambda theta
    s = alpha s + (1 - alpha) g * g
    centered: m = alpha m + (1 - alpha) g and the denominator uses s - m^2
    d = sqrt(s [- m^2]) + eps
    momentum mu > 0:  b = mu b + g / d;  theta <- theta - eta b
    else:             theta <- theta - eta g / d
    """

    # PyTorch's explicit signature, written out on purpose (as in the other optimizers): students read
    # the names and defaults here, and a misspelled keyword fails at the call.
    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
                maximize=maximize,
            ),
        )

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        for k in ("alpha", "eps", "weight_decay", "momentum"):
            check_nonneg(k, group[k], "RMSprop")

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = p.xp
        alpha, mu = group["alpha"], group["momentum"]
        if "square_avg" not in state:
            state["step"] = 0
            state["square_avg"] = self._buffer(p)
            if mu > 0:
                state["momentum_buffer"] = self._buffer(p)
            if group["centered"]:
                state["grad_avg"] = self._buffer(p)
        state["step"] += 1
        g = grad + group["weight_decay"] * p.data if group["weight_decay"] != 0 else grad
        sq = state["square_avg"].data
        tmp = g * g
        tmp *= 1.0 - alpha
        sq *= alpha
        sq += tmp
        if group["centered"]:
            ga = state["grad_avg"].data
            xp.subtract(g, ga, out=tmp)
            tmp *= 1.0 - alpha
            ga += tmp
            xp.multiply(ga, ga, out=tmp)
            xp.subtract(sq, tmp, out=tmp)
            xp.sqrt(tmp, out=tmp)
        else:
            xp.sqrt(sq, out=tmp)
        tmp += group["eps"]
        xp.divide(g, tmp, out=tmp)
        if mu > 0:
            buf = state["momentum_buffer"].data
            buf *= mu
            buf += tmp
            xp.multiply(buf, group["lr"], out=tmp)
        else:
            tmp *= group["lr"]
        p.data -= tmp
