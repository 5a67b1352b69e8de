"""Adam and AdamW (``torch.optim.Adam``, ``torch.optim.AdamW``)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from tinygrad_edu.optim.optimizer import Optimizer, check_beta, check_nonneg
from tinygrad_edu.tensor import Tensor


class Adam(Optimizer):
    """Adam with PyTorch's rule (the lecture's Adam with rho = beta1, rho2 = beta2):

        g = grad + lambda theta                  (weight_decay: L2 added to the gradient)
        m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g * g;   t = t + 1
        v_max = max(v_max, v)                    (amsgrad: use v_max instead of v)
        theta <- theta - eta / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Unlike the lecture's code, the moments persist across epochs and t counts steps.
    """

    _decoupled = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize),
        )

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        name = type(self).__name__
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        check_beta("beta parameter at index 0 (betas[0])", betas[0], name)
        check_beta("beta parameter at index 1 (betas[1])", betas[1], name)
        check_nonneg("eps", group["eps"], name)
        check_nonneg("weight_decay", group["weight_decay"], name)

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = p.xp
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        if "exp_avg" not in state:
            state["step"] = 0
            state["exp_avg"] = self._buffer(p)
            state["exp_avg_sq"] = self._buffer(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = self._buffer(p)
        state["step"] += 1
        step = state["step"]
        if wd != 0:
            if self._decoupled:  # AdamW: shrink the weights, leave the gradient alone
                p.data *= 1.0 - lr * wd
            else:
                grad = grad + wd * p.data
        m, v = state["exp_avg"].data, state["exp_avg_sq"].data
        tmp = xp.multiply(grad, 1.0 - beta1)  # the one temporary of this update
        m *= beta1
        m += tmp
        xp.multiply(grad, grad, out=tmp)
        tmp *= 1.0 - beta2
        v *= beta2
        v += tmp
        if group["amsgrad"]:
            vmax = state["max_exp_avg_sq"].data
            xp.maximum(vmax, v, out=vmax)
            v = vmax
        step_size = lr / (1.0 - beta1**step)
        xp.sqrt(v, out=tmp)
        tmp /= math.sqrt(1.0 - beta2**step)
        tmp += eps
        xp.divide(m, tmp, out=tmp)
        tmp *= step_size
        p.data -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): theta <- theta (1 - eta lambda)
    before the Adam step, instead of adding lambda theta to the gradient. Default lambda = 0.01."""

    _decoupled = True

    # PyTorch's explicit signature, written out on purpose (as in the other optimizers): students read
    # the names and defaults here, and a misspelled keyword fails at the call.
    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
