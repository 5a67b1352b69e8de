"""Functional transforms: derivatives as functions, in the style of HIPS autograd and JAX.

``grad(f)`` is a new function that returns df/dx where ``f`` returns a number::

    >>> from tinygrad_edu.func import grad
    >>> import tinygrad_edu.numpy as np
    >>> f = lambda x: np.sin(x) * x**2
    >>> round(grad(grad(grad(f)))(1.0), 10)   # f'''(1) = 5 cos 1 - 6 sin 1; any order works
    -2.3473143795

The transforms take NumPy arrays and Python floats as well as Tensors, and give back what they
were given (NumPy in, NumPy out; Tensor in, Tensor out), so code written for
``import autograd.numpy as np; from autograd import grad`` ports by changing its import lines.

How they work: the argument ``x`` (``argnum`` picks it; it may also be a list, tuple or dict of
arrays such as the weights ``P = [W1, W2]``) becomes a fresh leaf tensor that requires grad,
``f`` runs once forward, and :func:`tinygrad_edu.autograd.grad` runs the backward pass.

Nesting: when the output of ``f`` also depends on tensors that require grad other than the
leaves made here (``x`` itself came from an outer transform, or ``f`` closes over a network's
weights), the backward pass is recorded (``create_graph=True``) and the result is a Tensor that
the outer transform or a later ``backward()`` differentiates again. Otherwise nothing is
recorded and the result is detached. A Tensor argument that requires grad is first passed
through an identity op, so that ``f`` is differentiated with respect to this argument only and
not through other uses of the same tensor (JAX's "perturbation confusion").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tinygrad_edu import autograd, backend
from tinygrad_edu.autograd import enable_grad, is_grad_enabled, set_grad_enabled
from tinygrad_edu.ops.shape import Reshape, stack
from tinygrad_edu.tensor import Tensor

Argnum = int | Sequence[int]

__all__ = ["grad", "value_and_grad", "elementwise_grad", "jacobian", "hessian", "hvp", "jvp"]


# --------------------------------------------------------------------------- argument trees


def _flatten(tree: Any) -> tuple[list[Any], Any]:
    """The arrays in a nest of lists, tuples and dicts, and a description to rebuild it."""
    if isinstance(tree, (list, tuple)):
        leaves, defs = [], []
        for item in tree:
            sub, d = _flatten(item)
            leaves.extend(sub)
            defs.append((d, len(sub)))
        return leaves, (type(tree), defs)
    if isinstance(tree, dict):
        leaves, defs = [], []
        for key, item in tree.items():
            sub, d = _flatten(item)
            leaves.extend(sub)
            defs.append((key, d, len(sub)))
        return leaves, (dict, defs)
    return [tree], None


def _unflatten(treedef: Any, leaves: Sequence[Any]) -> Any:
    """Inverse of :func:`_flatten`: the same nest, holding ``leaves``."""
    if treedef is None:
        return leaves[0]
    kind, defs = treedef
    out, start = [], 0
    if kind is dict:
        for key, d, n in defs:
            out.append((key, _unflatten(d, leaves[start : start + n])))
            start += n
        return dict(out)
    for d, n in defs:
        out.append(_unflatten(d, leaves[start : start + n]))
        start += n
    return tuple(out) if kind is tuple else list(out)


# --------------------------------------------------------------------------- the shared machinery


def _kind(value: Any, what: str) -> str:
    """How a value came in, so its derivative goes back the same way: tensor, array or float."""
    if isinstance(value, Tensor):
        dt, kind = value.dtype, "tensor"
    elif isinstance(value, float):
        return "float"
    elif backend.is_array(value):
        dt, kind = value.dtype, "array"
    elif isinstance(value, (bool, int)):
        raise TypeError(
            f"{what} is the integer {value!r}; derivatives are taken with respect to floats "
            f"(write {float(value)!r} instead of {value!r})"
        )
    else:
        raise TypeError(
            f"{what} is a {type(value).__name__}; expected a Tensor, a NumPy array, a float, or a "
            "list/tuple/dict of them"
        )
    if not backend.is_floating(dt):
        raise TypeError(
            f"{what} has dtype {dt}; derivatives are taken with respect to floating-point arrays "
            "(convert it first, e.g. x.astype(float))"
        )
    return kind


def _as_leaf(value: Any, kind: str) -> Tensor:
    """A tensor to differentiate with respect to: a fresh leaf, or an identity of a traced tensor."""
    if kind != "tensor":
        return Tensor(value, requires_grad=True)
    if value.requires_grad:  # inside an outer transform: stay connected to it, but as a new node
        return Reshape.apply(value, shape=value.shape)
    return value.detach().requires_grad_(True)


def _depends_on_others(roots: Sequence[Any], own: set[int]) -> bool:
    """True when a tensor in ``roots`` was computed from a leaf that requires grad not in ``own``.

    Iterative walk of the recorded graph; it stops at the first such leaf.
    """
    stack_ = [r for r in roots if isinstance(r, Tensor) and r.requires_grad]
    seen: set[int] = set()
    while stack_:
        t = stack_.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t._ctx is None:
            if id(t) not in own:
                return True
            continue
        for p in t._ctx.inputs or ():
            if p.requires_grad and id(p) not in seen:
                stack_.append(p)
    return False


def _check_argnums(name: str, argnum: Argnum, nargs: int) -> list[int]:
    """``argnum`` as a list of non-negative indices into the positional arguments."""
    nums = [argnum] if isinstance(argnum, int) else list(argnum)
    out = []
    for a in nums:
        if not isinstance(a, int) or isinstance(a, bool) or not -nargs <= a < nargs:
            raise ValueError(
                f"{name}: argnum={argnum!r} is out of range: the function was called with {nargs} "
                f"positional argument(s), so argnum must lie in 0..{nargs - 1}"
            )
        out.append(a % nargs)
    return out


class _Trace:
    """One evaluation of ``f`` with the chosen argument(s) replaced by leaves."""

    def __init__(self, name: str, f: Callable, argnum: Argnum, args: tuple, kwargs: dict) -> None:
        self.name = name
        if not args:
            raise TypeError(f"{name}: the function was called without positional arguments to differentiate")
        single = isinstance(argnum, int)
        norm = _check_argnums(name, argnum, len(args))
        primal = args[norm[0]] if single else tuple(args[a] for a in norm)
        values, self.treedef = _flatten(primal)
        if not values:
            raise ValueError(f"{name}: argument {argnum} holds no arrays to differentiate")
        self.kinds = [
            _kind(v, f"{name}: argument {argnum}" + (f", array {i}," if len(values) > 1 else ""))
            for i, v in enumerate(values)
        ]
        self.outer_grad = is_grad_enabled()
        with enable_grad():
            self.leaves = [_as_leaf(v, k) for v, k in zip(values, self.kinds)]
            self.fresh = [t for t in self.leaves if t._ctx is None]
            self.own = {id(t) for t in self.fresh}
            tree = _unflatten(self.treedef, self.leaves)
            new_args = list(args)
            if single:
                new_args[norm[0]] = tree
            else:
                for a, t in zip(norm, tree):
                    new_args[a] = t
            out = f(*new_args, **kwargs)
        if isinstance(out, (list, tuple, dict)):
            raise TypeError(
                f"{name}: the function returned a {type(out).__name__}; it must return one array "
                "(a Tensor, a NumPy array or a number)"
            )
        like = self.leaves[0]
        self.y = out if isinstance(out, Tensor) else Tensor(out, dtype=like.dtype, device=like.device)
        self.value_kind = "tensor" if "tensor" in self.kinds else "float" if set(self.kinds) == {"float"} else "array"

    def decide_nesting(self, *extra: Any) -> None:
        """Record the backward pass only when the result must stay differentiable (see module doc)."""
        self.nested = self.outer_grad and _depends_on_others([self.y, *extra], self.own)

    def vjp(
        self, y: Tensor, seed: Tensor | None, create_graph: bool, targets: Sequence[Tensor] | None = None
    ) -> list[Tensor]:
        """``seed^T dy/dx`` for each leaf (zeros where ``y`` does not depend on it)."""
        targets = self.leaves if targets is None else targets
        grads: tuple = (None,) * len(targets)
        if y.requires_grad:
            grads = autograd.grad(
                y, targets, grad_outputs=seed, retain_graph=True, create_graph=create_graph, allow_unused=True
            )
        return [g if g is not None else _zeros(t) for g, t in zip(grads, targets)]

    def check_scalar(self, hint: str) -> None:
        if self.y.size != 1:
            raise TypeError(
                f"{self.name}: the function must return a scalar, but it returned an array of shape "
                f"{tuple(self.y.shape)}; {hint}"
            )

    def __enter__(self) -> _Trace:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Retire the leaves made here: they were variables of this transform only.

        A result that stays differentiable still holds them in its graph; an outer transform or
        a later ``backward()`` must neither count them as its own variables nor accumulate into
        them, so they stop requiring grad once the transform has returned.
        """
        for t in self.fresh:
            t.requires_grad = False

    def convert(self, t: Tensor, kind: str) -> Any:
        """A result in the form its input came in: Tensor, NumPy array (scalar when 0-d) or float."""
        if self.nested:
            return t
        data = t.data
        if not getattr(data.flags, "writeable", True):  # a broadcast view made by a backward rule
            data = data.copy()
        if kind == "tensor":
            return Tensor._make(data, t.device)
        if kind == "float" and t.ndim == 0:
            return float(data)
        return data[()] if t.ndim == 0 else data

    def pack(self, grads: Sequence[Tensor]) -> Any:
        return _unflatten(self.treedef, [self.convert(g, k) for g, k in zip(grads, self.kinds)])

    def value(self) -> Any:
        return self.convert(self.y, self.value_kind)


def _zeros(like: Tensor, shape: tuple | None = None) -> Tensor:
    shape = like.shape if shape is None else shape
    return Tensor._make(like.xp.zeros(shape, dtype=like.dtype), like.device)


def _like_leaves(tr: _Trace, v: Any, what: str) -> list[Tensor]:
    """The vector ``v`` (same structure as the argument) as tensors beside the leaves."""
    values, treedef = _flatten(v)
    if len(values) != len(tr.leaves):
        raise ValueError(f"{tr.name}: {what} holds {len(values)} array(s) but the argument holds {len(tr.leaves)}")
    out = []
    for val, leaf in zip(values, tr.leaves):
        t = val if isinstance(val, Tensor) else Tensor(val, dtype=leaf.dtype, device=leaf.device)
        if tuple(t.shape) != tuple(leaf.shape):
            raise ValueError(
                f"{tr.name}: {what} has shape {tuple(t.shape)} but the argument has shape "
                f"{tuple(leaf.shape)}; they must match"
            )
        out.append(t)
    return out


def _named(transform: str, f: Callable, argnum: Argnum) -> Callable[[Callable], Callable]:
    """Give the returned function a readable name and docstring, as autograd does."""
    fname = getattr(f, "__name__", type(f).__name__)

    def deco(g: Callable) -> Callable:
        g.__name__ = f"{transform}_of_{fname}"
        g.__qualname__ = g.__name__
        g.__doc__ = f"The {transform} of {fname} with respect to positional argument {argnum}."
        g.__wrapped__ = f
        return g

    return deco


# --------------------------------------------------------------------------- the transforms


def _value_and_grad(name: str, f: Callable, argnum: Argnum, args: tuple, kwargs: dict) -> tuple[Any, Any]:
    with _Trace(name, f, argnum, args, kwargs) as tr:
        tr.check_scalar("use elementwise_grad for the derivative of each output element or jacobian for all of them")
        tr.decide_nesting()
        with set_grad_enabled(tr.nested):
            grads = tr.vjp(tr.y, None, tr.nested)
            return tr.value(), tr.pack(grads)


def value_and_grad(f: Callable, argnum: Argnum = 0) -> Callable:
    """A function returning ``(f(x), df/dx)`` from one forward and one backward pass.

    ``f`` must return a scalar. The gradient has the structure of argument ``argnum``.
    """

    @_named("value_and_grad", f, argnum)
    def wrapper(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        return _value_and_grad("value_and_grad", f, argnum, args, kwargs)

    return wrapper


def grad(f: Callable, argnum: Argnum = 0) -> Callable:
    """The gradient of a scalar function, ``df/dx``, as a function with the arguments of ``f``.

    ``argnum`` picks the argument (an int, or a tuple of ints for several); that argument may be
    an array, a float, or a list/tuple/dict of arrays (then the gradient is one too). Nests to any
    order: ``grad(grad(f))`` is the second derivative.
    """

    @_named("grad", f, argnum)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _value_and_grad("grad", f, argnum, args, kwargs)[1]

    return wrapper


def elementwise_grad(f: Callable, argnum: Argnum = 0) -> Callable:
    """The sum over output elements of their gradients, ``sum_i dy_i/dx``, in one backward pass.

    When each ``y_i`` depends only on ``x_i`` (an elementwise function, or a network applied to
    each point of a grid separately) this is the vector of derivatives ``dy_i/dx_i``.
    """

    @_named("elementwise_grad", f, argnum)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _Trace("elementwise_grad", f, argnum, args, kwargs) as tr:
            tr.decide_nesting()
            with set_grad_enabled(tr.nested):
                seed = Tensor._make(tr.y.xp.ones_like(tr.y.data), tr.y.device)
                return tr.pack(tr.vjp(tr.y, seed, tr.nested))

    return wrapper


def jacobian(f: Callable, argnum: Argnum = 0) -> Callable:
    """The Jacobian ``J[i..., j...] = dy[i...]/dx[j...]``, of shape ``f(x).shape + x.shape``.

    One backward pass per output element (reverse mode, like HIPS autograd and ``torch.func.jacrev``).
    """

    @_named("jacobian", f, argnum)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _Trace("jacobian", f, argnum, args, kwargs) as tr:
            tr.decide_nesting()
            y, m = tr.y, tr.y.size
            with set_grad_enabled(tr.nested):
                rows: list[list[Tensor]] = [[] for _ in tr.leaves]
                for i in range(m):
                    e = y.xp.zeros(m, dtype=y.dtype)
                    e[i] = 1
                    seed = Tensor._make(e.reshape(y.shape), y.device)
                    for r, g in zip(rows, tr.vjp(y, seed, tr.nested)):
                        r.append(g)
                jac = []
                for r, leaf in zip(rows, tr.leaves):
                    shape = tuple(y.shape) + tuple(leaf.shape)
                    jac.append(stack(r, 0).reshape(shape) if r else _zeros(leaf, shape))
                return tr.pack(jac)

    return wrapper


def hessian(f: Callable, argnum: Argnum = 0) -> Callable:
    """The Hessian ``H[i, j] = d^2 f / dx_i dx_j`` of a scalar function: the Jacobian of its gradient.

    Its shape is ``x.shape + x.shape``. Argument ``argnum`` must be a single array.
    """
    inner = grad(f, argnum)
    jac = jacobian(inner, argnum)

    @_named("hessian", f, argnum)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        (a,) = _check_argnums("hessian", argnum, len(args)) if isinstance(argnum, int) else (None,)
        if a is None or isinstance(args[a], (list, tuple, dict)):
            raise TypeError(
                f"hessian: argument {argnum} must be a single array; for a list of arrays take "
                "jacobian(grad(f)) of each one, or use hvp for Hessian-vector products"
            )
        return jac(*args, **kwargs)

    return wrapper


def hvp(f: Callable, argnum: Argnum = 0) -> Callable:
    """The Hessian-vector product ``H v`` of a scalar function, as ``hvp(f)(*args, v)``.

    Two backward passes, ``H v = d/dx (df/dx . v)``, without forming ``H``: the cost of two
    gradients, whatever the size of ``x``. ``v`` has the structure of argument ``argnum``.
    """

    @_named("hvp", f, argnum)
    def wrapper(*args_and_v: Any, **kwargs: Any) -> Any:
        if len(args_and_v) < 2:
            raise TypeError("hvp: call it as hvp(f)(*args, v): the arguments of f, then the vector v")
        *args, v = args_and_v
        with _Trace("hvp", f, argnum, tuple(args), kwargs) as tr:
            tr.check_scalar("hvp needs a scalar function")
            vs = _like_leaves(tr, v, "v")
            tr.decide_nesting(*vs)
            g = tr.vjp(tr.y, None, True)  # recorded: it is differentiated again
            with set_grad_enabled(True):
                gv = None
                for gi, vi in zip(g, vs):
                    term = (gi * vi).sum()
                    gv = term if gv is None else gv + term
            with set_grad_enabled(tr.nested):
                return tr.pack(tr.vjp(gv, None, tr.nested))

    return wrapper


def jvp(f: Callable, argnum: Argnum = 0) -> Callable:
    """The Jacobian-vector product, as ``jvp(f)(*args, v) -> (f(x), J v)`` (forward-mode's result).

    Built from two reverse passes (the "double-vjp trick"): with a dummy ``u`` of the output's
    shape, ``w(u) = J^T u`` is linear in ``u``, so the gradient of ``w . v`` with respect to ``u``
    is ``J v``. ``v`` has the structure of argument ``argnum``; ``J v`` the shape of ``f(x)``.
    """

    @_named("jvp", f, argnum)
    def wrapper(*args_and_v: Any, **kwargs: Any) -> tuple[Any, Any]:
        if len(args_and_v) < 2:
            raise TypeError("jvp: call it as jvp(f)(*args, v): the arguments of f, then the tangent v")
        *args, v = args_and_v
        with _Trace("jvp", f, argnum, tuple(args), kwargs) as tr:
            vs = _like_leaves(tr, v, "v")
            tr.decide_nesting(*vs)
            y = tr.y
            with enable_grad():
                u = _zeros(y).requires_grad_(True)
            tr.own.add(id(u))
            tr.fresh.append(u)
            w = tr.vjp(y, u, True)  # J^T u, recorded as a function of u
            pairs = [(wi, vi) for wi, vi in zip(w, vs) if wi.requires_grad]
            with set_grad_enabled(tr.nested):
                if pairs:
                    outs, seeds = zip(*pairs)
                    (jv,) = autograd.grad(
                        list(outs),
                        [u],
                        grad_outputs=list(seeds),
                        retain_graph=True,
                        create_graph=tr.nested,
                        allow_unused=True,
                    )
                else:
                    jv = None
                jv = _zeros(y) if jv is None else jv
                return tr.value(), tr.convert(jv, tr.value_kind)

    return wrapper
