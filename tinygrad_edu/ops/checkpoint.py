"""Gradient checkpointing: a function whose inner values are recomputed instead of stored.

The graph of ``y = f(x_1, ..., x_n)`` normally keeps every intermediate value of ``f`` until the
backward pass. As one :class:`Checkpoint` node it keeps only ``x_1, ..., x_n``; the backward rule
runs ``f`` again, this time recording, and differentiates that small graph. The cost is one more
forward pass of ``f``; the saving is all of its intermediate values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tinygrad_edu import autograd, backend
from tinygrad_edu.autograd import Function, enable_grad, is_grad_enabled, no_grad
from tinygrad_edu.tensor import Tensor


def _outside_leaf(y: Tensor, allowed: Sequence[Tensor]) -> Tensor | None:
    """A leaf that requires grad, reached from ``y`` without passing through ``allowed`` (iterative)."""
    stop = {id(t) for t in allowed}
    todo, seen = [y], set()
    while todo:
        t = todo.pop()
        if id(t) in seen or id(t) in stop or not t.requires_grad:
            continue
        seen.add(id(t))
        if t._ctx is None:
            return t
        todo.extend(t._ctx.inputs or ())
    return None


class Checkpoint(Function):
    """y = f(x_1, ..., x_n), with f's intermediate values recomputed in the backward pass.

    dL/dx_i = (dy/dx_i)^T dL/dy, from a second, recorded run of f. When the backward pass itself
    records (``create_graph=True``), f runs again on the original inputs, so that the gradient
    is a function of them and differentiates again (second and higher derivatives). f must be
    deterministic: a dropout inside it would draw a different mask the second time.
    """

    local = "dL/dx_i = (dy/dx_i)^T dL/dy, from a second, recorded run of f"

    fn: Callable[..., Tensor]

    def forward(self, *arrays):
        device = backend.device_of(arrays[0])
        with no_grad():
            out = self.fn(*[Tensor._make(a, device) for a in arrays])
        if not isinstance(out, Tensor):
            raise TypeError(f"checkpoint: the function must return one Tensor, got a {type(out).__name__}")
        return out.data

    def backward(self, g):
        inputs = self.inputs
        create = is_grad_enabled()  # the backward pass records exactly when create_graph=True
        with enable_grad():
            copies = inputs if create else [t.detach().requires_grad_(t.requires_grad) for t in inputs]
            y = self.fn(*copies)
        targets = list({id(t): t for t in (*copies, *inputs) if t.requires_grad}.values())
        stray = _outside_leaf(y, targets)
        if stray is not None:
            raise RuntimeError(
                f"checkpoint: the function uses a tensor of shape {tuple(stray.shape)} that requires grad but "
                "is not one of its arguments, so its gradient would be lost. Pass it as an argument, "
                "checkpoint(f)(x, W), or checkpoint an nn.Module (its parameters are passed for you)."
            )
        if not y.requires_grad:
            return (None,) * len(inputs)
        found = dict(zip(map(id, targets), autograd.grad(y, targets, g, create_graph=create, allow_unused=True)))
        out = []
        for t, c in zip(inputs, copies):  # the copy's gradient where f used the copy, else the original's
            gc = found.get(id(c))
            out.append(gc if gc is not None else found.get(id(t)))
        return tuple(out)
