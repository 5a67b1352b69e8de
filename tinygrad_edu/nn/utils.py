"""Gradient clipping and the L2 penalty.

Clipping guards against exploding gradients (the lecture's "gradient clipping"): after
``loss.backward()`` and before ``opt.step()``, rescale or cut the gradients.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from tinygrad_edu.ops.shape import concatenate
from tinygrad_edu.tensor import Tensor


def _with_grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in params if p.grad is not None]


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    total = (sum_p ||g_p||^q)^(1/q) over all parameters (q = ``norm_type``, ``inf`` for the max);
    when total > max_norm every g_p becomes g_p * max_norm / (total + 1e-6). Returns ``total``
    (the norm before clipping), as PyTorch.
    """
    if max_norm < 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm}")
    params = _with_grads(parameters)
    if not params:
        return Tensor(0.0)
    xp = params[0].xp
    q = float(norm_type)
    if q == math.inf:
        norms = [xp.abs(p.grad.data).max() if p.grad.size else 0.0 for p in params]
        total = max(float(n) for n in norms)
    elif q <= 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be positive, got {norm_type}")
    else:
        total = sum(float((xp.abs(p.grad.data) ** q).sum()) for p in params) ** (1.0 / q)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}; "
            "set error_if_nonfinite=False to clip anyway"
        )
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p in params:  # a new array: the old gradient may be shared with another tensor
            p.grad = Tensor._make(p.grad.data * coef, p.device)
    return Tensor(total, dtype=params[0].dtype, device=params[0].device)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value]."""
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for p in _with_grads(parameters):
        p.grad = Tensor._make(p.xp.clip(p.grad.data, -clip_value, clip_value), p.device)


def l2_penalty(parameters: Tensor | Iterable[Tensor], lam: float) -> Tensor:
    """The L2 regularization term (lambda / 2) sum_p ||p||^2, differentiable.

    Its gradient is lambda p, the same as ``weight_decay=lam`` in the optimizers: add it to the
    loss (``loss = F.mse_loss(y, t) + l2_penalty(model.parameters(), 1e-3)``) or use
    ``weight_decay``, not both.
    """
    if lam < 0:
        raise ValueError(f"l2_penalty: lam must be >= 0, got {lam}")
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if not params:
        raise ValueError("l2_penalty: no parameters given")
    total = None
    for p in params:
        s = (p * p).sum()
        total = s if total is None else total + s
    return total * (0.5 * lam)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters as one flat vector (differentiable)."""
    return concatenate([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy the values of a flat vector into the parameters, in place."""
    parameters = list(parameters)
    total = sum(p.size for p in parameters)
    if total != vec.size:  # checked first, so that a wrong vector changes nothing
        raise ValueError(f"vector_to_parameters: the vector has {vec.size} values, parameters take {total}")
    start = 0
    for p in parameters:
        p.data[...] = vec.data[start : start + p.size].reshape(p.shape)
        p._bump()
        start += p.size
