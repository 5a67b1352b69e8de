"""What the SciPy namespaces share: finding Tensors among the arguments, and refusing a
derivative that SciPy would silently drop."""

from __future__ import annotations

import functools
import types
from typing import Any

from tinygrad_edu.tensor import Tensor


def has_tensor(*objs: Any) -> bool:
    """True when any argument is a Tensor, or a list/tuple holding one (at any depth)."""
    todo = list(objs)
    while todo:
        o = todo.pop()
        if isinstance(o, Tensor):
            return True
        if isinstance(o, (list, tuple)):
            todo.extend(o)
    return False


def as_tensors(*objs: Any) -> list[Tensor]:
    """Every argument as a Tensor beside the first Tensor among them (numbers and arrays become
    constants; a list holding tensors is stacked, as ``tinygrad_edu.numpy.array`` does)."""
    from tinygrad_edu import numpy as tnp  # the namespace imports this package's siblings

    objs = [tnp.array(o) if isinstance(o, (list, tuple)) and has_tensor(o) else o for o in objs]
    like = next(o for o in objs if isinstance(o, Tensor))
    return [like._lift(o) for o in objs]


def refuse_extra(name: str, **kw: Any) -> None:
    """Options that the Tensor version does not take must be left at their defaults."""
    for key, val in kw.items():
        if val is not None:
            raise TypeError(f"{name}: the option {key}={val!r} is not supported for Tensors")


def guarded_getattr(namespace: str, lib: types.ModuleType):
    """A module ``__getattr__``: SciPy's other names, functions refusing a Tensor that requires grad."""

    def getattr_(name: str) -> Any:
        try:
            obj = getattr(lib, name)
        except AttributeError:
            raise AttributeError(f"module {namespace!r} has no attribute {name!r} (nor has {lib.__name__})") from None
        if isinstance(obj, (type, types.ModuleType)) or not callable(obj):
            return obj

        @functools.wraps(obj)
        def fn(*args: Any, **kw: Any) -> Any:
            todo = list(args) + list(kw.values())
            while todo:
                o = todo.pop()
                if isinstance(o, Tensor) and o.requires_grad:
                    raise TypeError(
                        f"{namespace}.{name} has no derivative rule here, and its argument is a Tensor that "
                        f"requires grad: SciPy would silently drop the derivative. The differentiable names "
                        f"are listed in {namespace}.DIFFERENTIABLE; pass .detach() if no derivative is wanted."
                    )
                if isinstance(o, (list, tuple)):
                    todo.extend(o)
            args = [o.numpy() if isinstance(o, Tensor) else o for o in args]
            kw = {k: v.numpy() if isinstance(v, Tensor) else v for k, v in kw.items()}
            return obj(*args, **kw)

        return fn

    return getattr_
