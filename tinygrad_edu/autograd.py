"""Reverse-mode automatic differentiation: the graph, its nodes and the backward pass.

Every op is a :class:`Function`. Calling ``SomeOp.apply(x, y)`` computes the forward value on
raw arrays and, when a gradient is wanted, remembers the inputs in a new node of the
computation graph; the output tensor points to that node (``out.grad_fn``).

``loss.backward()`` then visits the nodes from the loss back to the leaves in reverse
topological order. At each node it hands the adjoint of the output, ``dL/dy``, to the op's
``backward``, which returns ``dL/dx = dL/dy * dy/dx`` for each input (the chain rule), and adds
these into the adjoints of the inputs. Because every ``backward`` is written with Tensor ops,
running it while recording (``create_graph=True``) builds the graph of the derivative itself,
so derivatives of any order come for free.
"""

from __future__ import annotations

import contextlib
import os
import traceback
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from tinygrad_edu import backend
from tinygrad_edu.tensor import Tensor

_new = object.__new__
_ARRAY_MODULES = backend.ARRAY_MODULES


class _Mode:
    """The engine's switches: recording on or off, and anomaly detection."""

    grad_enabled = True
    detect_anomaly = False
    # under detect_anomaly, while a backward rule runs: where its ops come from (they are checked
    # as that rule's result, so that a NaN is blamed on the rule and not on a Div inside it)
    anomaly_origin: str | None = None


_mode = _Mode()


def is_grad_enabled() -> bool:
    """True when new ops are recorded for the backward pass."""
    return _mode.grad_enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Switch recording on or off for a block (a context manager and a decorator)."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)

    def __enter__(self) -> None:
        self.prev = _mode.grad_enabled
        _mode.grad_enabled = self.mode

    def __exit__(self, *exc: Any) -> None:
        _mode.grad_enabled = self.prev


class no_grad(set_grad_enabled):
    """Record nothing inside the block: for evaluation and for updating weights."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record inside the block even within ``no_grad``."""

    def __init__(self) -> None:
        super().__init__(True)


class AnomalyError(FloatingPointError):
    """A NaN or infinity appeared; raised under :func:`detect_anomaly`."""


class detect_anomaly(contextlib.ContextDecorator):
    """Raise at the first NaN or infinity made by a forward op or a backward rule.

    The error names the op, the shapes of its inputs and the line of user code that created the
    op. Off by default; when off it costs one attribute test per op.
    """

    def __enter__(self) -> None:
        self.prev = _mode.detect_anomaly
        _mode.detect_anomaly = True

    def __exit__(self, *exc: Any) -> None:
        _mode.detect_anomaly = self.prev


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _user_frame() -> str:
    """The innermost stack frame outside this package, as 'file:line in function: code'."""
    # By the package's own directory, not by its name: a checkout may live in .../tinygrad_edu/tests.
    for frame in reversed(traceback.extract_stack()[:-1]):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f"{frame.filename}:{frame.lineno} in {frame.name}: {frame.line}"
    return "<unknown>"


class Function:
    """One node of the computation graph: an op with its forward and its derivative.

    Subclasses define ``forward(self, *arrays) -> array`` on raw backend arrays, using
    ``self.xp`` (NumPy or CuPy), and ``backward(self, grad) -> Tensor | tuple`` written with
    Tensor ops, returning ``dL/dx`` for each input (``None`` where an input gets no gradient).
    Inputs are in ``self.inputs``; the output is ``self.output``; ``self.needs_input_grad``
    tells which input gradients are wanted, so a rule may skip the others.
    """

    inputs: tuple[Tensor, ...] | None
    needs_input_grad: Sequence[bool] = ()  # set before each call of backward
    created_at: str | None = None
    out_device: str | None = None  # set by the one op that moves data between devices
    xp = backend.ARRAY_MODULES["cpu"]  # the array library of the inputs: NumPy unless set per node

    # The engine's own ops are tested for the shapes of their gradients (tests/, the fuzzer); an op
    # written anywhere else, a student's say, has every gradient's shape checked as it runs.
    checks_grad_shapes = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.checks_grad_shapes = not cls.__module__.startswith("tinygrad_edu.")

    def forward(self, *xs: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad: Tensor) -> Tensor | tuple[Tensor | None, ...] | None:
        raise NotImplementedError(f"{type(self).__name__} has no derivative rule")

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def output(self) -> Tensor:
        """The tensor this node produced (alive while the backward pass runs).

        A rule that reads its output (exp, sqrt, tanh, softmax, ...) would silently give a wrong
        derivative if the output had been changed in place since, so that is an error here.
        """
        out = self._out()
        if out is not None and out._version:
            raise RuntimeError(
                f"{self.name}: its output of shape {tuple(out.shape)} was modified in place after it was "
                f"computed (version 0 -> {out._version}), but its derivative needs the original value. "
                "Use an out-of-place op or .clone() the output before changing it."
            )
        return out

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Tensor:
        """Run the op forward on ``inputs`` and, when recording, add a node to the graph."""
        # This runs for every op, so it does as little as it can: it decides the speed of
        # small networks.
        fn = _new(cls)
        if params:
            fn.__dict__.update(params)
        x = inputs[0]
        device = x.device
        if len(inputs) == 1:
            arrays = (x.data,)
        else:
            for t in inputs:
                if t.device != device:
                    raise RuntimeError(
                        f"{cls.__name__}: tensors on different devices ({device} and {t.device}); "
                        "move them with .to(device) first"
                    )
            arrays = [t.data for t in inputs]
        if device != "cpu":
            fn.xp = _ARRAY_MODULES[device]
        try:
            data = fn.forward(*arrays)
        except (ValueError, TypeError, IndexError) as e:
            if str(e).startswith(cls.__name__):
                raise
            shapes = " and ".join(str(tuple(t.shape)) for t in inputs)
            raise type(e)(f"{cls.__name__}: {e} (input shapes {shapes})") from None
        if not data.shape:  # NumPy turns 0-d results into scalars; keep them arrays
            data = fn.xp.asarray(data)
        out = _new(Tensor)
        out.data = data
        out.device = fn.out_device or device
        out.grad = out._ctx = out.name = None
        out.requires_grad = False
        out._version = 0
        mode = _mode
        if mode.detect_anomaly:
            if mode.anomaly_origin is None:
                fn.created_at = _user_frame()
                _check_finite(data, fn, "forward", inputs)
            else:
                fn.created_at = mode.anomaly_origin
        if mode.grad_enabled:
            for t in inputs:
                if t.requires_grad:
                    out.requires_grad = True
                    out._ctx = fn
                    fn.inputs = inputs
                    fn._versions = [i._version for i in inputs]
                    fn._out = weakref.ref(out)
                    break
        return out

    def const(self, array: Any) -> Tensor:
        """A constant tensor (no gradient flows into it) on this node's device."""
        return Tensor._make(array, self.inputs[0].device)

    def __repr__(self) -> str:
        return f"<{self.name}>"


def _check_finite(array: Any, fn: Function, phase: str, inputs: Sequence[Tensor]) -> None:
    if not backend.is_floating(array.dtype) or backend.isfinite_all(array):
        return
    shapes = ", ".join(str(tuple(t.shape)) for t in inputs if t is not None)
    where = fn.created_at or "<unknown>"
    what = "output" if phase == "forward" else "gradient"
    raise AnomalyError(
        f"{fn.name} {phase} produced NaN or infinity in its {what} (input shapes {shapes}); "
        f"the op was created at {where}"
    )


# --------------------------------------------------------------------------- graph walks


def topological_order(roots: Sequence[Tensor]) -> list[Tensor]:
    """All non-leaf tensors that ``roots`` depend on, each after its inputs (no recursion)."""
    order: list[Tensor] = []
    visited: set[Tensor] = set()  # tensors hash by identity, so they can be members directly
    stack = [(r, False) for r in roots if r._ctx is not None]
    while stack:
        t, inputs_done = stack.pop()
        if inputs_done:
            order.append(t)
            continue
        if t in visited:
            continue
        visited.add(t)
        fn = t._ctx
        if fn.inputs is None:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (through {fn.name}): its "
                "saved values were freed by the first backward. Pass retain_graph=True to the "
                "first backward() if you need to go through the graph again."
            )
        stack.append((t, True))
        for p in fn.inputs:
            if p._ctx is not None and p not in visited:
                stack.append((p, False))
    return order


def _backward_for_anomaly(fn: Function, g: Tensor) -> Any:
    """Run ``fn``'s backward rule under detect_anomaly: its result is checked by the caller."""
    prev = _mode.anomaly_origin
    _mode.anomaly_origin = f"the backward rule of {fn.name} (itself created at {fn.created_at or '<unknown>'})"
    try:
        return fn.backward(g)
    finally:
        _mode.anomaly_origin = prev


def _raise_modified(fn: Function) -> None:
    for i, (t, v) in enumerate(zip(fn.inputs, fn._versions)):
        if t._version != v:
            raise RuntimeError(
                f"{fn.name}: input {i} of shape {tuple(t.shape)} was modified in place after it "
                f"was used (version {v} -> {t._version}); the backward pass needs its old value. "
                "Use an out-of-place op (x = x + y instead of x += y) or .clone() it first."
            )


def _raise_bad_grad_shape(fn: Function, inputs: Sequence[Tensor], p: Tensor, gp: Tensor) -> None:
    k = next(i for i, t in enumerate(inputs) if t is p)
    raise RuntimeError(
        f"{fn.name}.backward returned a gradient of shape {tuple(gp.shape)} for input {k}, which has "
        f"shape {tuple(p.shape)}; a gradient must have the shape of its input (sum over broadcast axes "
        "with .sum_to(shape))"
    )


def _own(g: Tensor, handed_out: set[int]) -> Tensor:
    """A detached gradient with a writable array of its own, for a leaf's ``.grad``.

    One array can reach several leaves (``x + y`` hands the same gradient to both) or be the
    caller's ``gradient``, or a view of either; copy it then, so that changing one ``.grad`` in
    place (weight decay, clipping) never changes another, as in PyTorch.
    """
    data = g.data
    if id(data) in handed_out or data.base is not None:  # shared, or a view (broadcast views are read-only)
        data = data.copy()
    handed_out.add(id(data))
    return Tensor._make(data, g.device)


def run_backward(
    roots: Sequence[Tensor],
    root_grads: Sequence[Tensor],
    *,
    targets: Sequence[Tensor] | None = None,
    retain_graph: bool = False,
    create_graph: bool = False,
    observer: Callable[..., None] | None = None,
) -> dict[int, Tensor]:
    """The backward pass: propagate adjoints from ``roots`` to the leaves.

    Without ``targets``, gradients are added into ``.grad`` of every leaf that requires grad
    (``Tensor.backward``). With ``targets``, nothing is written; their gradients are returned
    by ``id`` (``autograd.grad``), and only the part of the graph that leads to them is walked.
    ``observer(tensor, grad, fn, input_grads)`` is called at every node, for the step-through
    player.
    """

    # Tensors hash by identity, so they serve as keys directly (faster than their id()).
    owned: set[Tensor] = set()  # sums this pass allocated, which it may add into in place

    def accumulate(a: Tensor | None, b: Tensor) -> Tensor:
        # A tensor used several times gets the sum of the gradients from each use. Outside
        # create_graph the sum need not be recorded, so add the arrays directly.
        if a is None:
            return b
        if create_graph:
            return a + b
        if a in owned:
            a.data += b.data
            return a
        total = Tensor._make(a.data + b.data, a.device)
        owned.add(total)
        return total

    order = topological_order(roots)
    target_set = None if targets is None else set(targets)
    if target_set is None:
        needed = None
    else:  # a tensor is needed when it is a target or leads to one; inputs come first in order
        needed = set(target_set)
        for t in order:
            if any(p in needed for p in t._ctx.inputs):
                needed.add(t)
    grads: dict[Tensor, Tensor] = {}  # the adjoint dL/dt of every tensor reached so far
    leaves: dict[Tensor, None] = {}  # leaves reached, in order
    for r, g in zip(roots, root_grads):
        grads[r] = accumulate(grads.get(r), g)
        if r._ctx is None:
            leaves[r] = None
    found: dict[int, Tensor] = {}

    anomaly = _mode.detect_anomaly
    with set_grad_enabled(create_graph):
        for i in range(len(order) - 1, -1, -1):
            t = order[i]
            order[i] = None  # release our reference as we go, so memory falls during backward
            g = grads.pop(t, None)
            if g is None:
                continue
            if owned:
                owned.discard(g)  # from here on g may be shared: never add into it in place
            if target_set is not None and t in target_set:
                found[id(t)] = g
            fn = t._ctx
            inputs = fn.inputs
            if needed is None:
                need = [p.requires_grad for p in inputs]
            else:
                need = [p in needed for p in inputs]
            if True not in need:
                continue
            fn.needs_input_grad = need
            if anomaly:
                in_grads = _backward_for_anomaly(fn, g)
            else:
                in_grads = fn.backward(g)  # the chain rule: dL/dx = dL/dt * dt/dx, for each input x
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            if observer is not None:
                observer(t, g, fn, in_grads)
            check_shapes = fn.checks_grad_shapes
            for p, gp, wanted, version in zip(inputs, in_grads, need, fn._versions):
                if p._version != version:  # changed in place since the forward pass: the rule used new values
                    _raise_modified(fn)
                if gp is None or not wanted:
                    continue
                if check_shapes and gp.data.shape != p.data.shape:  # forgot to sum over broadcast axes, say
                    _raise_bad_grad_shape(fn, inputs, p, gp)
                if anomaly:
                    _check_finite(gp.data, fn, "backward", inputs)
                prev = grads.get(p)
                if prev is None:  # the first gradient to reach p
                    grads[p] = gp
                    if p._ctx is None:
                        leaves[p] = None
                else:
                    grads[p] = accumulate(prev, gp)
            if not retain_graph:
                fn.inputs = None  # free the saved tensors; a second backward raises
        handed_out = {id(g.data) for g in root_grads}  # the caller's arrays are not ours to give
        for p in leaves:
            g = grads.pop(p, None)
            if g is None:
                continue
            owned.discard(g)
            if target_set is None:
                if p.requires_grad:
                    p.grad = accumulate(p.grad, g if create_graph else _own(g, handed_out))
            elif p in target_set:
                found[id(p)] = g
    if not create_graph:  # hand out arrays of their own, as .grad gets
        for key, g in found.items():
            found[key] = _own(g, handed_out)
    return found


def _root_grad(t: Tensor, g: Any, what: str) -> Tensor:
    if not t.requires_grad:
        raise RuntimeError(
            f"{what}: the tensor of shape {tuple(t.shape)} does not require grad and was not made "
            "from one that does, so there is nothing to differentiate. Create the leaves with "
            "requires_grad=True (and not under no_grad())."
        )
    if g is None:
        if t.size != 1:
            raise RuntimeError(
                f"{what}: the output has shape {tuple(t.shape)}, not a scalar, so the gradient "
                "is ambiguous. Reduce it first (e.g. y.sum().backward()) or pass "
                f"gradient=<a tensor of shape {tuple(t.shape)}> (dL/dy for each element)."
            )
        return Tensor._make(t.xp.ones_like(t.data), t.device)
    g = g if isinstance(g, Tensor) else Tensor(g, dtype=t.dtype, device=t.device)
    if tuple(g.shape) != tuple(t.shape):
        raise RuntimeError(
            f"{what}: gradient has shape {tuple(g.shape)} but the output has shape {tuple(t.shape)}; they must match"
        )
    return g


def backward(
    tensor: Tensor,
    gradient: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Add ``d tensor / d leaf`` (times ``gradient``) into ``.grad`` of every leaf."""
    g = _root_grad(tensor, gradient, "backward()")
    if retain_graph is None:
        retain_graph = create_graph
    run_backward([tensor], [g], retain_graph=retain_graph, create_graph=create_graph)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple (PyTorch's semantics).

    Nothing is written into ``.grad``. With ``create_graph=True`` the results are themselves
    differentiable, which gives second and higher derivatives.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"grad(): inputs[{i}] is a {type(x).__name__}, not a Tensor")
        if not x.requires_grad:
            raise RuntimeError(
                f"grad(): inputs[{i}] (shape {tuple(x.shape)}) does not require grad; create it with requires_grad=True"
            )
    if grad_outputs is None or isinstance(grad_outputs, Tensor) or backend.is_array(grad_outputs):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad(): {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    root_grads = [_root_grad(o, g, "grad()") for o, g in zip(outputs, grad_outputs)]
    if retain_graph is None:
        retain_graph = create_graph
    found = run_backward(outputs, root_grads, targets=inputs, retain_graph=retain_graph, create_graph=create_graph)
    result = []
    for i, x in enumerate(inputs):
        g = found.get(id(x))
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad(): inputs[{i}] (shape {tuple(x.shape)}) was not used to compute the "
                "outputs; pass allow_unused=True to get None for it"
            )
        result.append(g)
    return tuple(result)
