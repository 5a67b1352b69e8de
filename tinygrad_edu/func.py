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

__all__ = [
    "grad",
    "value_and_grad",
    "grad_and_aux",
    "elementwise_grad",
    "jacobian",
    "hessian",
    "hvp",
    "jvp",
    "make_vjp",
    "vjp",
    "checkpoint",
    "flat_grad",
    "parameter_hvp",
    "parameter_hessian",
    "residual_jacobian",
    "unflatten_like",
    "primitive",
    "defvjp",
]


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
    elif isinstance(value, bool):
        raise TypeError(f"{what} is the boolean {value!r}; derivatives are taken with respect to numbers")
    elif isinstance(value, (float, int)):  # an integer is differentiated as a float, as in HIPS autograd
        return "float"
    elif backend.is_array(value):
        dt, kind = value.dtype, "array"
    else:
        raise TypeError(
            f"{what} is a {type(value).__name__}; expected a Tensor, a NumPy array, a number, or a "
            "list/tuple/dict of them"
        )
    if not (backend.is_floating(dt) or dt.kind in "iu"):
        raise TypeError(
            f"{what} has dtype {dt}; derivatives are taken with respect to real numbers: floating-point "
            "arrays, or integer arrays (which are converted to float64)"
        )
    return kind


def _as_leaf(value: Any, kind: str) -> Tensor:
    """A tensor to differentiate with respect to: a fresh leaf, or an identity of a traced tensor."""
    if not backend.is_floating(backend.dtype(getattr(value, "dtype", type(value)))):
        # integers (3, np.array([[4, 5, 6]]).T) are differentiated as float64, as in HIPS autograd
        value = value.to(dtype="float64") if kind == "tensor" else Tensor(value, dtype="float64")
        return value.detach().requires_grad_(True)
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

    def __init__(
        self, name: str, f: Callable, argnum: Argnum, args: tuple, kwargs: dict, has_aux: bool = False
    ) -> None:
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
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError(f"{name}: the function must return a pair (value, aux), got a {type(out).__name__}")
            out, self.aux = out
        self.out_type = type(out).__name__
        outs, self.out_treedef = _flatten(out)  # one array, or a list/tuple/dict of arrays
        if not outs:
            raise ValueError(
                f"{name}: the function returned an empty {self.out_type}: there is nothing to differentiate"
            )
        like = self.leaves[0]
        self.outs = [o if isinstance(o, Tensor) else Tensor(o, dtype=like.dtype, device=like.device) for o in outs]
        self.y = self.outs[0]
        self.value_kind = "tensor" if "tensor" in self.kinds else "float" if set(self.kinds) == {"float"} else "array"

    def check_single(self) -> None:
        """The transforms of a scalar or elementwise function need one output array."""
        if self.out_treedef is not None:
            raise TypeError(
                f"{self.name}: the function returned a {self.out_type}; it must return one array "
                "(a Tensor, a NumPy array or a number); jacobian, jvp and make_vjp take several"
            )

    def decide_nesting(self, *extra: Any) -> None:
        """Record the backward pass only when the result must stay differentiable (see module doc)."""
        self.nested = self.outer_grad and _depends_on_others([*self.outs, *extra], self.own)

    def vjp(
        self,
        y: Tensor | Sequence[Tensor],
        seed: Tensor | Sequence[Tensor] | None,
        create_graph: bool,
        targets: Sequence[Tensor] | None = None,
    ) -> list[Tensor]:
        """``sum_k seed_k^T dy_k/dx`` for each leaf (zeros where no ``y_k`` depends on it)."""
        targets = self.leaves if targets is None else targets
        ys, seeds = ([y], [seed]) if isinstance(y, Tensor) else (list(y), list(seed))
        pairs = [(yk, sk) for yk, sk in zip(ys, seeds) if yk.requires_grad]
        grads: tuple = (None,) * len(targets)
        if pairs:
            ys, seeds = zip(*pairs)
            grads = autograd.grad(
                list(ys),
                targets,
                grad_outputs=list(seeds),
                retain_graph=True,
                create_graph=create_graph,
                allow_unused=True,
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
        return _unflatten(self.out_treedef, [self.convert(o, self.value_kind) for o in self.outs])

    def outputs_like(self, ts: Sequence[Tensor]) -> Any:
        """Tensors, one per output array, in the structure and form of the function's value."""
        return _unflatten(self.out_treedef, [self.convert(t, self.value_kind) for t in ts])


def _zeros(like: Tensor, shape: tuple | None = None) -> Tensor:
    shape = like.shape if shape is None else shape
    return Tensor._make(like.xp.zeros(shape, dtype=like.dtype), like.device)


def _like_leaves(tr: _Trace, v: Any, what: str, against: Sequence[Tensor] | None = None) -> list[Tensor]:
    """The vector ``v`` (same structure as the argument, or as the output) as tensors beside it."""
    against, whose = (tr.leaves, "argument") if against is None else (against, "output")
    values, treedef = _flatten(v)
    if len(values) != len(against):
        raise ValueError(f"{tr.name}: {what} holds {len(values)} array(s) but the {whose} holds {len(against)}")
    out = []
    for val, leaf in zip(values, against):
        t = val if isinstance(val, Tensor) else Tensor(val, dtype=leaf.dtype, device=leaf.device)
        if tuple(t.shape) != tuple(leaf.shape):
            raise ValueError(
                f"{tr.name}: {what} has shape {tuple(t.shape)} but the {whose} has shape "
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
        tr.check_single()
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
            tr.check_single()
            tr.decide_nesting()
            with set_grad_enabled(tr.nested):
                seed = Tensor._make(tr.y.xp.ones_like(tr.y.data), tr.y.device)
                return tr.pack(tr.vjp(tr.y, seed, tr.nested))

    return wrapper


def _jacobian_of(tr: _Trace, y: Tensor) -> list[Tensor]:
    """``dy/dx`` for each leaf x, of shape ``y.shape + x.shape``: one backward pass per element of y."""
    m = y.size
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
    return jac


def jacobian(f: Callable, argnum: Argnum = 0) -> Callable:
    """The Jacobian ``J[i..., j...] = dy[i...]/dx[j...]``, of shape ``f(x).shape + x.shape``.

    One backward pass per output element (reverse mode, like HIPS autograd and ``torch.func.jacrev``).
    When ``f`` returns a tuple, list or dict of arrays, the result has that structure, holding
    the Jacobian of each output (itself with the structure of argument ``argnum``), as ``jacrev``.
    """

    @_named("jacobian", f, argnum)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _Trace("jacobian", f, argnum, args, kwargs) as tr:
            tr.decide_nesting()
            with set_grad_enabled(tr.nested):
                return _unflatten(tr.out_treedef, [tr.pack(_jacobian_of(tr, y)) for y in tr.outs])

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
            tr.check_single()
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
    is ``J v``. ``v`` has the structure of argument ``argnum``; ``J v`` the structure and shapes
    of ``f(x)`` (one array, or a tuple, list or dict of them).
    """

    @_named("jvp", f, argnum)
    def wrapper(*args_and_v: Any, **kwargs: Any) -> tuple[Any, Any]:
        if len(args_and_v) < 2:
            raise TypeError("jvp: call it as jvp(f)(*args, v): the arguments of f, then the tangent v")
        *args, v = args_and_v
        with _Trace("jvp", f, argnum, tuple(args), kwargs) as tr:
            vs = _like_leaves(tr, v, "v")
            tr.decide_nesting(*vs)
            with enable_grad():
                us = [_zeros(y).requires_grad_(True) for y in tr.outs]
            tr.own.update(id(u) for u in us)
            tr.fresh.extend(us)
            w = tr.vjp(tr.outs, us, True)  # J^T u, recorded as a function of u
            with set_grad_enabled(tr.nested):
                jvs = tr.vjp(w, vs, tr.nested, targets=us)  # d(v . J^T u)/du = J v (zeros where w is constant)
                return tr.value(), tr.outputs_like(jvs)

    return wrapper


def grad_and_aux(f: Callable, argnum: Argnum = 0) -> Callable:
    """For ``f`` returning ``(value, aux)``: a function returning ``(df/dx, aux)``, as HIPS autograd.

    ``value`` must be a scalar; ``aux`` (anything: a loss's parts, predictions, a dict of
    metrics) comes back as computed, Tensors in it turned into what the argument came in as.
    """

    @_named("grad_and_aux", f, argnum)
    def wrapper(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        with _Trace("grad_and_aux", f, argnum, args, kwargs, has_aux=True) as tr:
            tr.check_single()
            tr.check_scalar("return (a scalar value, aux)")
            tr.decide_nesting()
            with set_grad_enabled(tr.nested):
                grads = tr.pack(tr.vjp(tr.y, None, tr.nested))
                aux_leaves, aux_def = _flatten(tr.aux)
                aux = [tr.convert(a, tr.value_kind) if isinstance(a, Tensor) else a for a in aux_leaves]
                return grads, _unflatten(aux_def, aux)

    return wrapper


def make_vjp(f: Callable, argnum: Argnum = 0) -> Callable:
    """``make_vjp(f)(*args) -> (vjp, f(x))``: one forward pass, then ``vjp(g) = g^T df/dx`` on demand.

    The vector-Jacobian product of HIPS autograd: ``g`` has the structure and shapes of ``f(x)``
    (one array, or a tuple, list or dict of them); the result has the structure of argument
    ``argnum``. ``vjp`` may be called many times (the forward graph is kept while it lives).
    """

    @_named("make_vjp", f, argnum)
    def wrapper(*args: Any, **kwargs: Any) -> tuple[Callable, Any]:
        tr = _Trace("make_vjp", f, argnum, args, kwargs)
        tr.close()  # the leaves are variables of vjp_fn's backward passes only
        tr.decide_nesting()
        ans = tr.value()

        def vjp_fn(g: Any) -> Any:
            gs = _like_leaves(tr, g, "the cotangent g", against=tr.outs)
            for t in tr.fresh:
                t.requires_grad = True
            try:
                tr.decide_nesting(*gs)
                with set_grad_enabled(tr.nested):
                    return tr.pack(tr.vjp(tr.outs, gs, tr.nested))
            finally:
                tr.close()

        vjp_fn.__name__ = vjp_fn.__qualname__ = f"vjp_of_{getattr(f, '__name__', 'f')}"
        return vjp_fn, ans

    return wrapper


def vjp(f: Callable, *primals: Any) -> tuple[Any, Callable]:
    """JAX's form: ``vjp(f, *primals) -> (f(*primals), vjp_fn)``; ``vjp_fn(g)`` is a tuple holding
    ``g^T df/dx_i`` for every primal (as ``jax.vjp`` and ``torch.func.vjp``)."""
    if not primals:
        raise TypeError("vjp: call it as vjp(f, *primals), with at least one primal")
    vjp_fn, ans = make_vjp(f, tuple(range(len(primals))))(*primals)
    return ans, vjp_fn


def checkpoint(f: Callable) -> Callable:
    """``f`` with its intermediate values forgotten: recomputed during the backward pass.

    ``checkpoint(f)(*tensors)`` gives the value of ``f`` and the same derivatives, of every
    order, but the graph keeps only the inputs of ``f`` instead of every value computed inside
    it: memory traded for one more forward pass (``torch.utils.checkpoint``). ``f`` takes
    Tensors and returns one Tensor; a tensor that requires grad must reach ``f`` as an argument,
    except the parameters of an ``nn.Module`` ``f``, which are passed for it.
    """
    from tinygrad_edu.ops.checkpoint import Checkpoint

    params = list(f.parameters()) if callable(getattr(f, "parameters", None)) else []

    @_named("checkpoint", f, "all")
    def wrapper(*args: Any) -> Any:
        if not args or not all(isinstance(a, Tensor) for a in args):
            raise TypeError(
                "checkpoint: call it with Tensors only, checkpoint(f)(x, W, ...): a number or array "
                "is a constant that f can close over instead"
            )
        n = len(args)
        return Checkpoint.apply(*args, *params, fn=lambda *ts: f(*ts[:n]))

    return wrapper


# --------------------------------------------------------------------------- parameter curvature
# The same derivatives for a loss already computed from a model's weights (a Tensor, not a
# function): the gradient, Hessian-vector products and the Hessian of ``L(theta)`` with the
# parameters ``theta`` flattened and joined in order (:func:`tinygrad_edu.nn.utils.parameters_to_vector`).


def _params(params: Tensor | Sequence[Tensor], name: str) -> list[Tensor]:
    params = [params] if isinstance(params, Tensor) else list(params)
    if not params:
        raise ValueError(f"{name}: no parameters given")
    return params


def flat_grad(loss: Tensor, params: Tensor | Sequence[Tensor], *, create_graph: bool = False) -> Tensor:
    """``dL/dtheta`` for all parameters, flattened and joined into one vector of length P.

    The vector is laid out as ``parameters_to_vector(params)``; a parameter the loss does not
    depend on gets zeros.
    """
    from tinygrad_edu.nn.utils import parameters_to_vector

    params = _params(params, "flat_grad")
    if not loss.requires_grad:
        return parameters_to_vector(_zeros(p) for p in params)
    grads = autograd.grad(loss, params, retain_graph=True, create_graph=create_graph, allow_unused=True)
    return parameters_to_vector(_zeros(p) if g is None else g for p, g in zip(params, grads))


def parameter_hvp(loss: Tensor, params: Tensor | Sequence[Tensor], v: Tensor) -> Tensor:
    """``H v`` with ``H = d^2L/dtheta^2``, without forming ``H`` (Pearlmutter's trick).

    ``H v = d/dtheta (g . v)`` with ``g = dL/dtheta``: two backward passes, whatever P. ``v`` is
    a flat vector of length P (the parameters in order, as :func:`flat_grad`). :func:`hvp` is
    the same for a function of its argument.
    """
    params = _params(params, "parameter_hvp")
    P = sum(p.size for p in params)
    if not isinstance(v, Tensor) or tuple(v.shape) != (P,):
        raise ValueError(f"parameter_hvp: v must be a Tensor of shape ({P},), got {getattr(v, 'shape', v)}")
    g = flat_grad(loss, params, create_graph=True)
    return flat_grad((g * v.detach()).sum(), params)


def parameter_hessian(loss: Tensor, params: Tensor | Sequence[Tensor]) -> Tensor:
    """The full Hessian ``H[i, j] = d^2L/dtheta_i dtheta_j`` of a scalar loss, shape (P, P).

    Row ``i`` is the gradient of ``g_i = dL/dtheta_i``: one backward pass per parameter, so
    only for small models (P up to a few thousand). :func:`hessian` is the same for a function.
    """
    params = _params(params, "parameter_hessian")
    if loss.size != 1:
        raise ValueError(f"parameter_hessian: the loss must be a scalar, got shape {tuple(loss.shape)}")
    g = flat_grad(loss, params, create_graph=True)
    return stack([flat_grad(g[i], params) for i in range(g.shape[0])], 0)


def residual_jacobian(residuals: Tensor, params: Tensor | Sequence[Tensor]) -> Tensor:
    """``J[k, i] = dr_k/dtheta_i`` of a residual vector, shape (m, P): one backward pass per residual.

    For a least-squares loss ``L = sum_k r_k^2``, ``2 J^T J`` is the Gauss-Newton approximation
    of the Hessian and ``2 J^T r`` the gradient: the pieces of a Levenberg-Marquardt step.
    """
    params = _params(params, "residual_jacobian")
    r = residuals.reshape(-1)
    return stack([flat_grad(r[k], params) for k in range(r.shape[0])], 0)


def unflatten_like(vector: Tensor, params: Sequence[Tensor]) -> list[Tensor]:
    """Cut a flat vector of length P back into tensors shaped like ``params`` (for Newton steps)."""
    params = _params(params, "unflatten_like")
    P = sum(p.size for p in params)
    if tuple(vector.shape) != (P,):
        raise ValueError(f"unflatten_like: vector has shape {tuple(vector.shape)}, the parameters need ({P},)")
    out, start = [], 0
    for p in params:
        out.append(vector[start : start + p.size].reshape(p.shape))
        start += p.size
    return out


from tinygrad_edu.extend import defvjp, primitive  # noqa: E402  (re-exported: a new differentiable function)
