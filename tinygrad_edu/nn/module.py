"""Modules: the building blocks of networks, as in PyTorch's ``torch.nn.Module``.

A module holds parameters (tensors that the optimizer changes) and other modules, and maps
inputs to outputs in ``forward``. Parameters and submodules are found by looking at the
module's attributes, including lists, tuples and dicts of them, so no registration is needed::

    class Net(Module):
        def __init__(self):
            super().__init__()
            self.hidden = Linear(64, 100)
            self.out = Linear(100, 10)

        def forward(self, x):
            return self.out(self.hidden(x).relu())
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from tinygrad_edu import backend
from tinygrad_edu.tensor import Tensor


class Parameter(Tensor):
    """A tensor that is a learnable parameter of a module: it always requires grad.

    ``Parameter(data)`` shares the array of ``data`` when it is already a tensor or array.
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = backend.xp("cpu").zeros((0,), dtype=backend.get_default_dtype())
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


def _flatten_members(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    """Parameters and modules inside ``value``, looking into lists, tuples and dicts (iteratively)."""
    stack = [(name, value)]
    while stack:
        key, v = stack.pop()
        if isinstance(v, (Parameter, Module)):
            yield key, v
        elif isinstance(v, (list, tuple)):
            stack.extend((f"{key}.{i}", item) for i, item in reversed(list(enumerate(v))))
        elif isinstance(v, dict):
            stack.extend((f"{key}.{k}", item) for k, item in reversed(list(v.items())))


class Module:
    """Base class of all layers and networks: subclasses set attributes and define ``forward``.

    Call a module like a function: ``model(x)`` runs ``model.forward(x)``.
    """

    # class-level defaults, so a subclass that forgets super().__init__() still works
    training: bool = True
    _buffer_names: tuple[str, ...] | list[str] = ()

    def __init__(self) -> None:
        self.training = True
        self._buffer_names: list[str] = []

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        """Refuse, as PyTorch does, a value that would silently drop a parameter, a submodule or a buffer.

        ``layer.weight = Tensor(...)`` would leave ``parameters()`` and ``state_dict()`` without
        the weight; assign a ``Parameter`` (or None), or copy into it with ``layer.weight.data[...] = ...``.
        """
        old = self.__dict__.get(name)
        if old is not None and value is not None:
            kind = (
                "parameter"
                if isinstance(old, Parameter) and not isinstance(value, Parameter)
                else "child module"
                if isinstance(old, Module) and not isinstance(value, Module)
                else "buffer"
                if name in self.__dict__.get("_buffer_names", ()) and not isinstance(value, Tensor)
                else None
            )
            if kind is not None:
                need = {"parameter": "Parameter", "child module": "Module", "buffer": "Tensor"}[kind]
                raise TypeError(
                    f"cannot assign {type(value).__name__!r} as {kind} {name!r} of {type(self).__name__} "
                    f"({need} or None expected)"
                    + ("; wrap it: nn.Parameter(tensor)" if kind == "parameter" and isinstance(value, Tensor) else "")
                )
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ members

    def _members(self) -> Iterator[tuple[str, Any]]:
        """(name, parameter or module) for each direct member, in attribute order."""
        for key, value in vars(self).items():
            if key.startswith("_") and not isinstance(value, (Parameter, Module, list, tuple, dict)):
                continue
            yield from _flatten_members(key, value)

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        """Keep ``tensor`` as a state (saved in ``state_dict``, moved by ``to``) that is not learned."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        if "_buffer_names" not in vars(self):
            self._buffer_names = []
        setattr(self, name, tensor)
        if name not in self._buffer_names:
            self._buffer_names.append(name)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct submodules with their names."""
        seen: set[int] = set()
        for name, m in self._members():
            if isinstance(m, Module) and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and all modules inside it, depth first, each once."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield name, m
            kids = [(f"{name}.{k}" if name else k, c) for k, c in m.named_children()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Each parameter once, with its dotted name such as ``"0.weight"`` or ``"hidden.bias"``."""
        seen: set[int] = set()
        mods = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for mname, m in mods:
            for name, p in m._members():
                if isinstance(p, Parameter) and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mname}.{name}" if mname else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters, for an optimizer: ``optim.SGD(model.parameters(), lr=0.1)``."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        for mname, m in self.named_modules(prefix):
            for name in m._buffer_names:
                b = getattr(m, name)
                if b is not None:
                    yield (f"{mname}.{name}" if mname else name), b

    def buffers(self) -> Iterator[Tensor]:
        for _, b in self.named_buffers():
            yield b

    # ------------------------------------------------------------------ modes and housekeeping

    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch norm uses batch statistics); returns self."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of all parameters (``grad = None``, or zeros)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = Tensor._make(p.xp.zeros_like(p.data), p.device)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze (True) all parameters."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, device: str | None = None, dtype: Any = None) -> Module:
        """Move parameters and buffers to ``device`` and/or cast floating ones to ``dtype``, in place.

        The parameter objects stay the same, so an optimizer made before keeps working.
        """
        if device is not None:
            device = backend.check_device(device)
        tensors = list(self.parameters()) + list(self.buffers())
        for t in tensors:
            for target in (t, t.grad):
                if target is None:
                    continue
                data = target.data
                if dtype is not None and backend.is_floating(data.dtype):
                    data = data.astype(backend.dtype(dtype))
                if device is not None and device != target.device:
                    data = backend.to_device(data, device)
                    target.device = device
                if data is not target.data:
                    target.data = data
                    target._bump()
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self) -> Module:
        return self.to("cuda")

    def double(self) -> Module:
        return self.to(dtype="float64")

    def float(self) -> Module:
        return self.to(dtype="float32")

    def apply(self, fn: Any) -> Module:
        """Call ``fn(m)`` on every submodule and on self (e.g. to initialize weights)."""
        for m in reversed(list(self.modules())):
            fn(m)
        return self

    def num_parameters(self) -> int:
        """The number of learned numbers."""
        return sum(p.size for p in self.parameters())

    # ------------------------------------------------------------------ state

    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Parameters and buffers by name (tensors sharing the module's arrays)."""
        out: OrderedDict[str, Tensor] = OrderedDict()
        for mname, m in self.named_modules():
            for name, p in m._members():
                if isinstance(p, Parameter):
                    out[f"{mname}.{name}" if mname else name] = p.detach()
            for name in m._buffer_names:
                b = getattr(m, name)
                if b is not None:
                    out[f"{mname}.{name}" if mname else name] = b.detach()
        return out

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> _IncompatibleKeys:
        """Copy values into the parameters and buffers, in place, matching by name.

        With ``strict=True`` missing and unexpected keys are an error; a key whose shape differs
        is always an error. All problems are named in one message. Returns
        ``(missing_keys, unexpected_keys)`` as PyTorch does.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(
                f"{type(self).__name__}.load_state_dict: expected a dict of name -> tensor, "
                f"got a {type(state_dict).__name__}"
            )
        own = OrderedDict()
        for mname, m in self.named_modules():
            for name, p in m._members():
                if isinstance(p, Parameter):
                    own.setdefault(f"{mname}.{name}" if mname else name, p)
            for name in m._buffer_names:
                if getattr(m, name) is not None:
                    own[f"{mname}.{name}" if mname else name] = getattr(m, name)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        values, problems = self._converted_values(own, state_dict)
        if strict:
            if missing:
                problems.insert(0, "missing key(s) in state_dict: " + ", ".join(repr(k) for k in missing))
            if unexpected:
                problems.insert(
                    1 if missing else 0, "unexpected key(s) in state_dict: " + ", ".join(repr(k) for k in unexpected)
                )
        if problems:
            raise RuntimeError(f"error(s) in loading state_dict for {type(self).__name__}:\n  " + "\n  ".join(problems))
        for k, arr in values.items():
            t = own[k]
            t.data[...] = arr
            t._bump()
        return _IncompatibleKeys(missing, unexpected)

    @staticmethod
    def _converted_values(own: dict[str, Tensor], state_dict: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Each value as an array of its target's dtype and device, and the problems found, each naming its key.

        A value that shares memory with any of the module's tensors (a state dict whose weights
        were swapped, or aliased) is copied first, so that writing one weight cannot change another
        value before it is read.
        """
        values: dict[str, Any] = {}
        problems = []
        targets = [(t.device, t.data) for t in own.values()]
        for k, t in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            src = v.data if isinstance(v, Tensor) else v
            src_dtype = getattr(src, "dtype", None)
            if getattr(src_dtype, "kind", None) == "c" or isinstance(src, complex):
                problems.append(f"{k}: the value is complex ({src_dtype or 'complex'}); the model holds {t.dtype}")
                continue
            try:
                arr = backend.asarray(src, t.dtype, t.device)
            except (TypeError, ValueError) as e:
                problems.append(f"{k}: cannot convert a {type(v).__name__} to {t.dtype} ({e})")
                continue
            if tuple(arr.shape) != tuple(t.shape):
                problems.append(
                    f"size mismatch for {k}: copying a value of shape {tuple(arr.shape)}, "
                    f"the parameter in the model has shape {tuple(t.shape)}"
                )
            elif any(dev == t.device and t.xp.may_share_memory(arr, d) for dev, d in targets):
                arr = arr.copy()
            values[k] = arr
        return values, problems

    # ------------------------------------------------------------------ display

    def extra_repr(self) -> str:
        """The arguments shown inside the parentheses of ``repr``; layers override it."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self.named_children():
            body = repr(child).replace("\n", "\n  ")  # module trees are shallow: plain recursion
            lines.append(f"({name}): {body}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}({extra}" if extra else f"{type(self).__name__}("
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied one after another: ``Sequential(Linear(64, 100), ReLU(), Linear(100, 10))``.

    Indexable (``model[0]``, slices give a new ``Sequential``), iterable, and ``len()`` works.
    Parameters are named by position: ``"0.weight"``, ``"2.bias"``.
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (OrderedDict, dict)):
            self._names = [str(k) for k in modules[0]]
            self._layers = list(modules[0].values())
        else:
            self._names = [str(i) for i in range(len(modules))]
            self._layers = list(modules)
        for i, m in enumerate(self._layers):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {i} is a {type(m).__name__}, not a Module")

    def _members(self) -> Iterator[tuple[str, Any]]:
        yield from zip(self._names, self._layers)

    def forward(self, x: Any) -> Any:
        for m in self._layers:
            x = m(x)
        return x

    def append(self, module: Module) -> Sequential:
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: expected a Module, got {type(module).__name__}")
        self._names.append(str(len(self._layers)))
        self._layers.append(module)
        return self

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(*self._layers[index])
        return self._layers[index]

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers)


class ModuleList(Module):
    """A list of modules whose parameters the parent module sees; it has no ``forward``."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self._layers: list[Module] = []
        for m in modules:
            self.append(m)

    def _members(self) -> Iterator[tuple[str, Any]]:
        yield from ((str(i), m) for i, m in enumerate(self._layers))

    def append(self, module: Module) -> ModuleList:
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList.append: expected a Module, got {type(module).__name__}")
        self._layers.append(module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(self._layers[index])
        return self._layers[index]

    def __setitem__(self, index: int, module: Module) -> None:
        self._layers[index] = module

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers)
