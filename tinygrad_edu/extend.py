"""A new differentiable function with its own derivative rule, as HIPS autograd's ``primitive``
and ``defvjp`` (``autograd.extend``)::

    import numpy
    import tinygrad_edu.numpy as np
    from tinygrad_edu.func import defvjp, grad, primitive

    @primitive
    def logsumexp(x):                       # plain NumPy on arrays: no derivative recorded inside
        m = numpy.max(x)
        return m + numpy.log(numpy.sum(numpy.exp(x - m)))

    # the vector-Jacobian product: given the answer and the arguments, a function of dL/dy
    defvjp(logsumexp, lambda ans, x: lambda g: g * np.exp(x - ans))

    grad(logsumexp)(numpy.array([1.0, 2.0, 3.0]))   # the softmax

The function itself runs on arrays (what it computes inside is not recorded); the rule is what
the backward pass uses. Write the rule with :mod:`tinygrad_edu.numpy` functions (they act on
Tensors) and derivatives of every order work; a rule in plain NumPy gives first derivatives.
Check a new rule with :func:`tinygrad_edu.gradcheck` and :func:`tinygrad_edu.gradgradcheck`.

The other way to write an op is to subclass :class:`tinygrad_edu.autograd.Function`, as the
engine's own ops do (``torch.autograd.Function`` is the PyTorch twin): ``forward`` on arrays,
``backward`` with Tensor ops; see ``docs/transforms.md``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.autograd import Function, is_grad_enabled
from tinygrad_edu.tensor import Tensor

__all__ = ["primitive", "defvjp"]


def _nested_grad_tensor(obj: Any) -> bool:
    todo = [obj]
    while todo:
        o = todo.pop()
        if isinstance(o, Tensor) and o.requires_grad:
            return True
        if isinstance(o, (list, tuple)):
            todo.extend(o)
        elif isinstance(o, dict):
            todo.extend(o.values())
    return False


def primitive(fun: Callable) -> Callable:
    """Make ``fun`` (a function of arrays returning one array) a differentiable function.

    Called without Tensors it is ``fun`` itself. Called with Tensors among its positional
    arguments, it runs ``fun`` on their arrays and records one node whose derivative rules are
    those given with :func:`defvjp`.
    """

    @functools.wraps(fun)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if _nested_grad_tensor([a for i, a in enumerate(args) if i not in positions] + list(kwargs.values())):
            raise TypeError(
                f"{wrapped.__name__}: a Tensor that requires grad is inside a list, tuple, dict or keyword "
                "argument; a primitive differentiates only with respect to its positional Tensor arguments"
            )
        if not positions:
            return fun(*args, **kwargs)
        tensors = [args[i] for i in positions]
        return _Primitive.apply(*tensors, prim=wrapped, positions=positions, args=args, kwargs=kwargs)

    wrapped.fun = fun
    wrapped.vjps = {}
    return wrapped


def defvjp(fun: Callable, *vjpmakers: Callable | None, argnums: Any = None) -> None:
    """Give a primitive its derivative rules, one per positional argument (``None``: no rule).

    Each ``vjpmaker(ans, *args, **kwargs)`` returns a function ``g -> dL/d(argument)``, where
    ``g = dL/dy`` has the shape of ``ans``. ``argnums`` says which arguments the rules are for
    (default 0, 1, ...). A rule may return a gradient of the broadcast shape; it is summed back.
    """
    if not hasattr(fun, "vjps"):
        raise TypeError(f"defvjp: {getattr(fun, '__name__', fun)!r} is not a primitive; wrap it with primitive first")
    argnums = range(len(vjpmakers)) if argnums is None else argnums
    for k, maker in zip(argnums, vjpmakers):
        if maker is not None:
            fun.vjps[k] = maker


class _Primitive(Function):
    """y = fun(..., x_k, ...), a student's function of arrays;  dL/dx_k = vjp_k(ans, *args)(dL/dy).

    The rules come from :func:`defvjp`. While the backward pass records (``create_graph``) they
    get the graph's own tensors, so a rule written with differentiable functions differentiates
    again; otherwise they get detached tensors.
    """

    prim: Callable
    positions: list[int]
    args: tuple
    kwargs: dict

    @property
    def name(self) -> str:
        return self.prim.__name__

    def _call_args(self, values: Any) -> list[Any]:
        args = list(self.args)
        for p, v in zip(self.positions, values):
            args[p] = v
        return args

    def forward(self, *arrays):
        ans = self.prim.fun(*self._call_args(arrays), **self.kwargs)
        if isinstance(ans, (tuple, list, dict)):
            raise TypeError(f"{self.name}: a primitive must return one array, got a {type(ans).__name__}")
        ans = self.xp.asarray(ans)
        if not backend.is_floating(ans.dtype):
            raise TypeError(f"{self.name}: a primitive must return floating-point values, got {ans.dtype}")
        return ans

    def backward(self, g):
        create = is_grad_enabled()
        inputs = self.inputs if create else [t.detach() for t in self.inputs]
        ans = self.output if create else self.output.detach()
        args = self._call_args(inputs)
        out = []
        for k, (p, x) in enumerate(zip(self.positions, self.inputs)):
            if not self.needs_input_grad[k]:
                out.append(None)
                continue
            maker = self.prim.vjps.get(p)
            if maker is None:
                raise NotImplementedError(
                    f"{self.name}: no derivative rule for positional argument {p}; give one with "
                    f"defvjp({self.name}, ...) (argnums=[{p}])"
                )
            out.append(self._fit(maker(ans, *args, **self.kwargs)(g), x, p))
        return tuple(out)

    def _fit(self, gk: Any, x: Tensor, p: int) -> Tensor:
        """The rule's result as a Tensor of the argument's shape (summed over broadcast axes)."""
        gk = gk if isinstance(gk, Tensor) else x._lift(gk)
        if gk.shape == x.shape:
            return gk
        try:
            full = tuple(x.xp.broadcast_shapes(x.shape, gk.shape))
        except ValueError:
            full = None
        if full != tuple(gk.shape):
            raise ValueError(
                f"{self.name}: the derivative rule for argument {p} returned shape {tuple(gk.shape)}, "
                f"but the argument has shape {tuple(x.shape)}"
            )
        return gk.sum_to(x.shape)
