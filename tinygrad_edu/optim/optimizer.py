"""The optimizer base class: parameter groups, per-parameter state, and their state dicts.

An optimizer changes parameters in place from their ``.grad``:

    opt.zero_grad(); loss.backward(); opt.step()

``param_groups`` is a list of dicts, each holding ``"params"`` (a list of tensors) and that
group's hyper-parameters (``"lr"``, ...), as in PyTorch, so that groups can have their own
learning rates and schedules can change them between steps.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Iterable
from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.tensor import Tensor


def check_nonneg(name: str, value: Any, owner: str) -> None:
    """Raise a ValueError naming the argument when a hyper-parameter is negative or not a number.

    Any real number is accepted, NumPy scalars included (``lr=np.float32(0.1)``); booleans are not.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{owner}: {name} must be a number, got {value!r}")
    if not 0 <= value < float("inf"):  # written so that NaN fails too
        raise ValueError(f"{owner}: invalid {name} {value!r}, it must be a finite number >= 0")


def _plain(value: Any) -> Any:
    """NumPy scalars (``np.float32(0.1)``) as Python numbers, inside tuples too; anything else unchanged.

    Hyper-parameters then print, save and compute as plain floats whatever the caller passed.
    """
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and type(value) not in (int, float):
        return int(value) if isinstance(value, numbers.Integral) else float(value)
    return value


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
            group[k] = _plain(param_group.get(k, v))
        for k, v in param_group.items():
            if k != "params":
                group[k] = _plain(v)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Validate a group's hyper-parameters (subclasses add their own checks)."""
        check_nonneg("learning rate (lr)", group["lr"], type(self).__name__)
        for flag in ("maximize", "nesterov", "amsgrad", "centered"):
            if flag in group and not isinstance(group[flag], bool):
                raise TypeError(f"{type(self).__name__}: {flag} must be True or False, got {group[flag]!r}")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of all parameters (set them to None, or to zeros)."""
        for g in self.param_groups:
            for p in g["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = Tensor._make(p.xp.zeros_like(p.data), p.device)

    def step(self, closure: Callable[[], Any] | None = None, *, check_finite: bool = False) -> Any:
        """One update of every parameter that has a gradient. ``closure`` re-evaluates the loss.

        Every gradient is checked (shape, dtype, device, and with ``check_finite=True`` NaN or
        infinity) before any parameter changes: a bad gradient never leaves a half-applied step.
        """
        loss = None
        if closure is not None:
            from tinygrad_edu.autograd import enable_grad

            with enable_grad():
                loss = closure()
        todo = [(group, [p for p in group["params"] if p.grad is not None]) for group in self.param_groups]
        i = 0
        for _, params in todo:
            for p in params:
                self._check_grad(i, p, check_finite)
                i += 1
        with no_grad():
            for group, params in todo:
                if params:
                    self._update_group(params, group)
        return loss

    def _check_grad(self, i: int, p: Tensor, check_finite: bool) -> None:
        """Raise a RuntimeError naming the parameter when its gradient cannot be applied."""
        g = p.grad
        if g.data.shape == p.data.shape and g.data.dtype.kind == "f" and g.device == p.device and not check_finite:
            return  # all is well (the common case, tested first: this runs for every parameter at every step)
        if g.shape != p.shape:
            problem = f"has shape {tuple(g.shape)}"
        elif not backend.is_floating(g.dtype) or getattr(g.dtype, "kind", "f") == "c":
            problem = f"has dtype {g.dtype}; it must be real floating"
        elif g.device != p.device:
            problem = f"is on {g.device!r}, the parameter on {p.device!r}"
        elif check_finite and not backend.isfinite_all(g.data):
            problem = "holds NaN or infinity"
        else:
            return
        raise RuntimeError(
            f"{type(self).__name__}.step: the gradient of parameter {i} (shape {tuple(p.shape)}, {p.dtype}) "
            f"{problem}; nothing was updated"
        )

    def _update_group(self, params: list[Tensor], group: dict[str, Any]) -> None:
        """Update the parameters of one group that have a gradient, one ``_update`` each.

        A subclass may update them all at once instead (Adam does, on one flat array).
        """
        state = self.state
        maximize = group.get("maximize", False)
        for p in params:
            st = state.get(p)
            if st is None:
                st = state[p] = {}
            grad = p.grad.data
            if maximize:
                grad = -grad
            self._update(p, grad, st, group)
            p._bump()  # the parameter changed in place: graphs that saved it are stale

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
        """Restore hyper-parameters and buffers saved by :meth:`state_dict` (values are copied).

        Everything is checked first, the hyper-parameters as the constructor checks them: a bad
        state dict raises and leaves the optimizer as it was.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{name}.load_state_dict: expected keys 'state' and 'param_groups', got {got}")
        saved = state_dict["param_groups"]
        if not isinstance(saved, (list, tuple)) or len(saved) != len(self.param_groups):
            count = len(saved) if isinstance(saved, (list, tuple)) else type(saved).__name__
            raise ValueError(
                f"{name}.load_state_dict: the saved state has {count} parameter groups, "
                f"this optimizer has {len(self.param_groups)}"
            )
        by_index: dict[int, Tensor] = {}
        groups = []
        for i, (g, s) in enumerate(zip(self.param_groups, saved)):
            ids = [int(v) for v in s["params"]]
            if len(ids) != len(g["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: group {i} has {len(g['params'])} parameters, "
                    f"the saved group has {len(ids)}"
                )
            by_index.update(zip(ids, g["params"]))
            groups.append(self._loaded_group(i, g, s))
        new_state: dict[Tensor, dict[str, Any]] = {}
        for k, st in state_dict["state"].items():
            p = by_index.get(int(k))
            if p is None:
                raise ValueError(f"{name}.load_state_dict: state for unknown parameter index {k}")
            new_state[p] = {key: self._loaded_value(k, key, v, p) for key, v in st.items()}
        self.state = new_state
        for g, new in zip(self.param_groups, groups):
            g.update(new)  # the same dict objects: schedulers and callers holding a group see the change

    def _loaded_group(self, i: int, g: dict[str, Any], s: dict[str, Any]) -> dict[str, Any]:
        """The group's hyper-parameters after loading ``s``, validated as the constructor does."""
        new = dict(g)
        for k, v in s.items():
            if k != "params":
                new[k] = _plain(tuple(v) if isinstance(v, list) and isinstance(g.get(k), tuple) else v)
        try:
            self._check_group(new)
        except (ValueError, TypeError) as e:
            raise type(e)(f"{type(self).__name__}.load_state_dict: parameter group {i}: {e}") from None
        return new

    def _loaded_value(self, k: Any, key: str, v: Any, p: Tensor) -> Any:
        """One state entry, copied: arrays as tensors shaped like ``p``, 0-d arrays as numbers."""
        name = type(self).__name__
        where = f"{name}.load_state_dict: state {key!r} of parameter {k}"
        if not (isinstance(v, Tensor) or backend.is_array(v)):
            if isinstance(v, complex):
                raise TypeError(f"{where} is complex ({v!r}); optimizer state is real")
            return copy.deepcopy(v)
        arr = v.data if isinstance(v, Tensor) else v
        kind = getattr(arr.dtype, "kind", "?")
        if kind not in "biuf":
            raise TypeError(f"{where} has dtype {arr.dtype}; optimizer state is real numbers")
        if arr.ndim == 0:  # counters such as "step" are numbers
            return arr.item()
        if tuple(arr.shape) != tuple(p.shape):
            raise ValueError(f"{where} has shape {tuple(arr.shape)}, the parameter has {tuple(p.shape)}")
        return Tensor._make(backend.asarray(arr, p.dtype, p.device).copy(), p.device)

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
