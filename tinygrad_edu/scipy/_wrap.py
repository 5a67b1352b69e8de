"""What the SciPy namespaces share: finding Tensors among the arguments, and the declared table
(differentiable / value-only / refused) of :mod:`tinygrad_edu.numpy._table`, so that SciPy's
other functions refuse a derivative they would silently drop."""

from __future__ import annotations

from typing import Any

from tinygrad_edu.numpy import _table
from tinygrad_edu.tensor import Tensor

has_tensor = _table.has_tensor  # the same test as the NumPy namespace's


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


class Namespace(_table.Namespace):
    """The declared table of a SciPy module (see :mod:`tinygrad_edu.numpy._table`): its other
    functions refuse a Tensor that requires grad, or pass values through (``VALUE_ONLY``)."""

    def getattr(self, name: str) -> Any:
        try:
            return super().getattr(name)
        except AttributeError:
            raise AttributeError(
                f"module {self.qualname!r} has no attribute {name!r} (nor has {self.np_module.__name__})"
            ) from None


def distribution_args(name: str, values: dict[str, Any], positive: tuple[str, ...] = ()) -> dict[str, Tensor]:
    """The arguments of a distribution's function as Tensors that broadcast together; those named
    in ``positive`` (scales, shapes, degrees of freedom) must be positive."""
    names = list(values)
    tensors = dict(zip(names, as_tensors(*values.values())))
    try:
        next(iter(tensors.values())).xp.broadcast_shapes(*(t.shape for t in tensors.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {tuple(t.shape)}" for k, t in tensors.items())
        raise ValueError(f"{name}: {shapes} do not broadcast together") from None
    for key in positive:
        t = tensors[key]
        if t.size and bool((t.data <= 0).any()):
            raise ValueError(f"{name}: {key} must be positive, got a minimum of {float(t.data.min())}")
    return tensors


def constant(name: str, **params: Any) -> None:
    """Parameters without a derivative rule (no closed form, none in HIPS autograd either)."""
    for key, val in params.items():
        if isinstance(val, Tensor) and val.requires_grad:
            raise TypeError(
                f"{name}: no derivative with respect to {key} (it has no closed form; HIPS autograd has "
                f"none either); pass {key} as a constant ({key}.detach())"
            )
