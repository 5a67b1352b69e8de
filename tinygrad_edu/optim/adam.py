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
        self._flat: dict[int, _FlatMoments] = {}  # per parameter group (by id): its moments as flat arrays

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
        if "exp_avg" not in state:
            state["step"] = 0
            state["exp_avg"] = self._buffer(p)
            state["exp_avg_sq"] = self._buffer(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = self._buffer(p)
        state["step"] += 1
        lr, wd = group["lr"], group["weight_decay"]
        if wd != 0:
            if self._decoupled:  # AdamW: shrink the weights, leave the gradient alone
                p.data *= 1.0 - lr * wd
            else:
                grad = grad + wd * p.data
        m, v = state["exp_avg"].data, state["exp_avg_sq"].data
        vmax = state["max_exp_avg_sq"].data if group["amsgrad"] else None
        p.data -= _adam_step(p.xp, grad, m, v, vmax, state["step"], group, p.xp.empty_like(grad))

    def _update_group(self, params: list[Tensor], group: dict[str, Any]) -> None:
        """All the group's parameters at once, as one flat array (PyTorch's "foreach" idea): the
        same arithmetic as :meth:`_update`, element by element, in 13 array operations in all
        instead of 13 per parameter, which is most of the time on small networks. Large groups
        (over ``_FLAT_MAX_BYTES``) are updated one parameter at a time."""
        flat = self._flat.get(id(group))
        if flat is None or not flat.holds(params, self.state, group["amsgrad"]):
            flat = _FlatMoments.build(self, params, group)
            if flat is None:  # large, of mixed dtypes or devices, or at different steps
                return super()._update_group(params, group)
            self._flat[id(group)] = flat
        xp, g = params[0].xp, flat.grad
        xp.concatenate([p.grad.data.reshape(-1) for p in params], out=g)
        if group["maximize"]:
            xp.negative(g, out=g)
        lr, wd = group["lr"], group["weight_decay"]
        if wd != 0:
            if self._decoupled:
                for p in params:
                    p.data *= 1.0 - lr * wd
            else:
                g += wd * xp.concatenate([p.data.reshape(-1) for p in params])
        flat.step += 1
        for st in flat.states:
            st["step"] = flat.step
        _adam_step(xp, g, flat.m, flat.v, flat.vmax, flat.step, group, flat.tmp)
        for p, delta in zip(params, flat.tmp_views):
            p.data -= delta
            p._bump()  # the parameter changed in place: graphs that saved it are stale


def _adam_step(xp: Any, grad: Any, m: Any, v: Any, vmax: Any, step: int, group: dict[str, Any], tmp: Any) -> Any:
    """Update the moments m, v (and v_max) in place; return, in ``tmp``, the step to subtract:
    eta / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps), the denominator as PyTorch computes it."""
    beta1, beta2 = group["betas"]
    xp.multiply(grad, 1.0 - beta1, out=tmp)
    m *= beta1
    m += tmp
    xp.multiply(grad, grad, out=tmp)
    tmp *= 1.0 - beta2
    v *= beta2
    v += tmp
    if vmax is not None:  # amsgrad
        xp.maximum(vmax, v, out=vmax)
        v = vmax
    xp.sqrt(v, out=tmp)
    tmp /= math.sqrt(1.0 - beta2**step)
    tmp += group["eps"]
    xp.divide(m, tmp, out=tmp)
    tmp *= group["lr"] / (1.0 - beta1**step)
    return tmp


# Above this size the flat arrays fall out of the cache between their 13 passes and one update
# per parameter is faster (measured: digits 64-100-30-10, 79 KB, 47 us flat against 69 us one by
# one; 784-512-512-10 in float32, 2.7 MB, 2.3 ms against 1.8 ms; even at about 300 KB).
_FLAT_MAX_BYTES = 256 * 1024


class _FlatMoments:
    """Adam's moments of a group's parameters as one flat array each, the parameters' state
    tensors being views of it (so ``state`` and state dicts read as usual)."""

    def __init__(self, params: list[Tensor], states: list[dict[str, Any]], size: int, amsgrad: bool) -> None:
        p0 = params[0]
        xp, dtype = p0.xp, p0.data.dtype
        self.params, self.states, self.dtype, self.step = list(params), states, dtype, states[0].get("step", 0)
        self.m, self.v, self.grad, self.tmp = (xp.zeros(size, dtype) for _ in range(4))
        self.vmax = xp.zeros(size, dtype) if amsgrad else None
        self.keys = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
        self.views: list[tuple[Any, ...]] = []  # per parameter: its views of m, v (and vmax)
        self.tmp_views = []
        start = 0
        for p, st in zip(params, states):
            shape, end = p.data.shape, start + p.data.size
            views = tuple(a[start:end].reshape(shape) for a in (self.m, self.v, self.vmax) if a is not None)
            for key, view in zip(self.keys, views):
                if key in st:
                    view[...] = st[key].data  # the moments so far (a loaded state dict)
                    st[key].data = view
                else:
                    st[key] = Tensor._make(view, p.device)
            st["step"] = self.step
            self.views.append(views)
            self.tmp_views.append(self.tmp[start:end].reshape(shape))
            start = end

    @classmethod
    def build(cls, opt: Adam, params: list[Tensor], group: dict[str, Any]) -> _FlatMoments | None:
        """The flat moments of ``params``, or None when they cannot share one array."""
        if type(opt)._update is not Adam._update:  # a subclass with its own rule: it runs per parameter
            return None
        if len(params) < 2 or sum(p.data.nbytes for p in params) > _FLAT_MAX_BYTES:
            return None
        p0 = params[0]
        dtype, device = p0.data.dtype, p0.device
        states = [opt.state.setdefault(p, {}) for p in params]
        steps = {st.get("step", 0) for st in states}
        amsgrad = group["amsgrad"]
        if len(steps) > 1:
            return None
        for p, st in zip(params, states):
            if p.device != device or p.data.dtype != dtype or p.grad.data.dtype != dtype:
                return None
            if steps != {0} and (("max_exp_avg_sq" in st) != amsgrad or "exp_avg" not in st):
                return None  # amsgrad switched on or off along the way: each parameter on its own
        return cls(params, states, sum(p.data.size for p in params), amsgrad)

    def holds(self, params: list[Tensor], state: dict[Tensor, dict[str, Any]], amsgrad: bool) -> bool:
        """Whether these flat arrays are still the moments of ``params`` (same parameters, dtypes,
        step and state tensors: a loaded state dict or a changed group builds new ones)."""
        if len(params) != len(self.params) or amsgrad != (self.vmax is not None):
            return False
        dtype, step, keys = self.dtype, self.step, self.keys
        for p, q, st, views in zip(params, self.params, self.states, self.views):
            if p is not q or state.get(p) is not st or st["step"] != step:
                return False
            if p.data.dtype != dtype or p.grad.data.dtype != dtype:
                return False
            if st[keys[0]].data is not views[0] or st[keys[1]].data is not views[1]:
                return False
            if len(keys) > 2 and st[keys[2]].data is not views[2]:
                return False
        return True


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
