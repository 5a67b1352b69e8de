"""The optimizer base class: parameter groups, per-parameter state, and their state dicts.

An optimizer changes parameters in place from their ``.grad``:

    opt.zero_grad(); loss.backward(); opt.step()

``param_groups`` is a list of dicts, each holding ``"params"`` (a list of tensors) and that
group's hyper-parameters (``"lr"``, ...), as in PyTorch, so that groups can have their own
learning rates and schedules can change them between steps.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.tensor import Tensor


def check_nonneg(name: str, value: Any, owner: str) -> None:
    """Raise a ValueError naming the argument when a hyper-parameter is negative or not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{owner}: {name} must be a number, got {value!r}")
    if not 0 <= value < float("inf"):  # written so that NaN fails too
        raise ValueError(f"{owner}: invalid {name} {value!r}, it must be a finite number >= 0")


def check_beta(name: str, value: Any, owner: str) -> None:
    """Raise a ValueError unless 0 <= value < 1."""
    check_nonneg(name, value, owner)
    if not value < 1.0:
        raise ValueError(f"{owner}: invalid {name} {value!r}, it must be in [0, 1)")


class Optimizer:
    """Base class: subclasses implement ``_update(p, grad, state, group)`` for one parameter.

    ``state`` maps each parameter (the tensor itself) to a dict of its buffers.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of tensors or of dicts, got a single "
                "Tensor; pass [tensor] or model.parameters()"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (missing ones take the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"add_param_group: expected a dict, got {type(param_group).__name__}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: parameter {i} is a {type(p).__name__}, not a Tensor")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__}: parameter {i} is not a leaf tensor; optimize leaves only")
            if not backend.is_floating(p.dtype):
                raise TypeError(f"{type(self).__name__}: parameter {i} has dtype {p.dtype}; it must be floating")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or any(id(p) in seen for p in params):
            raise ValueError(f"{type(self).__name__}: some parameters appear in more than one place")
        group = {"params": params}
        for k, v in self.defaults.items():
            group[k] = param_group.get(k, v)
        for k, v in param_group.items():
            if k != "params":
                group[k] = v
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Validate a group's hyper-parameters (subclasses add their own checks)."""
        check_nonneg("learning rate (lr)", group["lr"], type(self).__name__)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of all parameters (set them to None, or to zeros)."""
        for g in self.param_groups:
            for p in g["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = Tensor._make(p.xp.zeros_like(p.data), p.device)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient. ``closure`` re-evaluates the loss."""
        loss = None
        if closure is not None:
            from tinygrad_edu.autograd import enable_grad

            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    if p.grad.shape != p.shape:
                        raise RuntimeError(
                            f"{type(self).__name__}: gradient of shape {tuple(p.grad.shape)} for a parameter "
                            f"of shape {tuple(p.shape)}"
                        )
                    state = self.state.setdefault(p, {})
                    grad = p.grad.data
                    if group.get("maximize", False):
                        grad = -grad
                    self._update(p, grad, state, group)
                    p._bump()  # the parameter changed in place: graphs that saved it are stale
        return loss

    def _update(self, p: Tensor, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ state dicts

    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {name: tensor or number}}, "param_groups": [...]}`` as PyTorch.

        Parameters are numbered in the order of the groups; groups list their indices.
        """
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                if p in self.state and self.state[p]:
                    state[index[id(p)]] = {
                        k: (v.detach() if isinstance(v, Tensor) else v) for k, v in self.state[p].items()
                    }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and buffers saved by :meth:`state_dict` (values are copied)."""
        name = type(self).__name__
        if "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError(
                f"{name}.load_state_dict: expected keys 'state' and 'param_groups', got {sorted(state_dict)}"
            )
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the saved state has {len(saved)} parameter groups, "
                f"this optimizer has {len(self.param_groups)}"
            )
        by_index: dict[int, Tensor] = {}
        for i, (g, s) in enumerate(zip(self.param_groups, saved)):
            ids = [int(v) for v in s["params"]]
            if len(ids) != len(g["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: group {i} has {len(g['params'])} parameters, "
                    f"the saved group has {len(ids)}"
                )
            by_index.update(zip(ids, g["params"]))
        new_state: dict[Tensor, dict[str, Any]] = {}
        for k, st in state_dict["state"].items():
            p = by_index.get(int(k))
            if p is None:
                raise ValueError(f"{name}.load_state_dict: state for unknown parameter index {k}")
            entry = {}
            for key, v in st.items():
                if isinstance(v, Tensor) or backend.is_array(v):
                    arr = v.data if isinstance(v, Tensor) else v
                    if arr.ndim == 0:  # counters such as "step" are numbers
                        entry[key] = arr.item()
                        continue
                    if tuple(arr.shape) != tuple(p.shape):
                        raise ValueError(
                            f"{name}.load_state_dict: state {key!r} of parameter {k} has shape "
                            f"{tuple(arr.shape)}, the parameter has {tuple(p.shape)}"
                        )
                    entry[key] = Tensor._make(backend.asarray(arr, p.dtype, p.device).copy(), p.device)
                else:
                    entry[key] = copy.deepcopy(v)
            new_state[p] = entry
        self.state = new_state
        for g, s in zip(self.param_groups, saved):
            for k, v in s.items():
                if k != "params":
                    g[k] = tuple(v) if isinstance(v, list) and isinstance(g.get(k), tuple) else v

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        lines.append(")")
        return "\n".join(lines)

    @staticmethod
    def _buffer(p: Tensor, fill: float = 0.0) -> Tensor:
        """A state buffer shaped like ``p`` (a tensor so state dicts hold tensors, as PyTorch)."""
        data = p.xp.zeros_like(p.data)
        if fill:
            data += fill
        return Tensor._make(data, p.device)
