"""Reverse-mode automatic differentiation: the graph, its nodes and the backward pass.

Every op is a :class:`Function`. Calling ``SomeOp.apply(x, y)`` computes the forward value on
raw arrays and, when a gradient is wanted, remembers the inputs in a new node of the
computation graph; the output tensor points to that node (``out.grad_fn``).

``loss.backward()`` then visits the nodes from the loss back to the leaves, each one after every
node that used its output: highest first, a node's height being one more than its inputs'
nodes'. At each node it hands the adjoint of the output, ``dL/dy``, to the op's
``backward``, which returns ``dL/dx = dL/dy * dy/dx`` for each input (the chain rule), and adds
these into the adjoints of the inputs. Because every ``backward`` is written with Tensor ops,
running it while recording (``create_graph=True``) builds the graph of the derivative itself,
so derivatives of any order come for free.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import weakref
from collections.abc import Callable, Sequence
from heapq import heappop, heappush
from typing import Any

from tinygrad_edu import backend, derivative_text
from tinygrad_edu.tensor import Tensor, storage_of

_new = object.__new__
_ARRAY_MODULES = backend.ARRAY_MODULES


class _Mode(threading.local):
    """The engine's switches: recording on or off, and anomaly detection.

    One set per thread, as in PyTorch: a thread that evaluates under ``no_grad()`` does not stop
    another thread from recording. Each thread starts from the defaults below.
    """

    def __init__(self) -> None:  # run once in each thread that uses the switches
        # set on the instance, not the class: a thread's own attributes are found fastest
        self.grad_enabled = True
        self.detect_anomaly = False
        # under detect_anomaly, while a backward rule runs: where its ops come from (they are
        # checked as that rule's result, so that a NaN is blamed on the rule and not on a Div in it)
        self.anomaly_origin: str | None = None


_mode = _Mode()


def is_grad_enabled() -> bool:
    """True when new ops are recorded for the backward pass."""
    return _mode.grad_enabled


class _ModeSwitch(contextlib.ContextDecorator):
    def _recreate_cm(self) -> _ModeSwitch:
        # As a decorator, a fresh copy per call: the same decorated function may run in several
        # threads at once, and each must restore its own thread's previous mode.
        return copy.copy(self)


class set_grad_enabled(_ModeSwitch):
    """Switch recording on or off for a block, in this thread (a context manager and a decorator)."""

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


class Function:
    """One node of the computation graph: an op with its forward and its derivative.

    Subclasses define ``forward(self, *arrays) -> array`` on raw backend arrays, using
    ``self.xp`` (NumPy or CuPy), and ``backward(self, grad) -> Tensor | tuple`` written with
    Tensor ops, returning ``dL/dx`` for each input (``None`` where an input gets no gradient).
    Inputs are in ``self.inputs``; the output is ``self.output``; ``self.needs_input_grad``
    tells which input gradients are wanted, so a rule may skip the others.

    Keyword arguments of ``apply`` are the op's parameters: each becomes an attribute of the
    node (``MulConst.apply(x, c=2.0)`` gives ``self.c``), and ``self.params`` lists them (graph
    labels show them). A value that one node hands to another (the convolution's columns)
    travels as such a parameter and is declared as a class attribute with a comment.
    """

    inputs: tuple[Tensor, ...] | None
    released: tuple[Tensor | Function, ...] = ()  # the graph's shape after the inputs were freed
    adjoint: Tensor | None = None  # dL/d output, kept when the backward pass retains the graph
    needs_input_grad: Sequence[bool] = ()  # set before each call of backward
    requires: tuple[bool, ...] = ()  # which inputs required grad when the op ran
    height = 0  # 1 + the highest height among the inputs' nodes; 0 when all inputs are leaves
    created_at: str | None = None
    _out_version = 0  # the version of the output's memory when made (nonzero only for a view)
    out_device: str | None = None  # set by the one op that moves data between devices
    xp = backend.ARRAY_MODULES["cpu"]  # the array library of the inputs: NumPy unless set per node

    # The engine's own ops are tested for the shapes of their gradients (tests/, the fuzzer); an op
    # written anywhere else, a student's say, has every gradient's shape checked as it runs.
    checks_grad_shapes = True
    # Whether the rule reads the inputs' values (most do). Those that read only their shapes (sums,
    # reshapes, slices) let an input change in place before the backward pass, as PyTorch does.
    reads_inputs = True
    _versions: Sequence[int] = ()  # the inputs' versions when the op ran, when it reads them
    _params: dict[str, Any] = {}  # the keyword arguments of apply (read through .params); never mutated

    # The op's local derivative, declared once: the step-through player, the graph labels and the
    # docs read it (tinygrad_edu.derivative_text). One string per input, in the op's own symbols:
    # "dy/dx = cos x" (times dL/dy in the chain rule) or, when the rule is no product, the whole
    # rule "dL/dX = dL/dZ @ W^T"; a single string stands for every input.
    local: str | tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.checks_grad_shapes = not cls.__module__.startswith("tinygrad_edu.")
        if "local" in cls.__dict__:  # checked here, so that a malformed one fails at import
            entries = derivative_text.parse(cls.__name__, cls.local)
            cls.__doc__ = (cls.__doc__ or cls.__name__).rstrip() + "\n\n    " + derivative_text.docstring_line(entries)

    def forward(self, *xs: Any) -> Any:
        raise NotImplementedError

    def reads_input(self, i: int) -> bool:
        """Whether the rule reads input ``i``'s value for the gradients in ``needs_input_grad``.

        True unless an op knows better: ``x * y`` reads y only for dL/dx. An input changed in
        place since the forward pass is an error only where it is read (as PyTorch saves only
        what the wanted gradients need).
        """
        return True

    def backward(self, grad: Tensor) -> Tensor | tuple[Tensor | None, ...] | None:
        raise NotImplementedError(f"{type(self).__name__} has no derivative rule")

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def params(self) -> dict[str, Any]:
        """The op's parameters: the keyword arguments ``apply`` was called with (``c``, ``axis``)."""
        return dict(self._params)

    @property
    def output(self) -> Tensor:
        """The tensor this node produced (alive while the backward pass runs).

        A rule that reads its output (exp, sqrt, tanh, softmax, ...) would silently give a wrong
        derivative if the output had been changed in place since, so that is an error here.
        """
        out = self._out()
        if out is not None and out._vc.value != self._out_version:
            raise RuntimeError(
                f"{self.name}: its output of shape {tuple(out.shape)} was modified in place (through it or a "
                f"tensor sharing its memory) after it was computed (version {self._out_version} -> "
                f"{out._version}), but its derivative needs the original value. "
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
            fn._params = params
        x = inputs[0]
        device = x.device
        if device != "cpu":
            fn.xp = _ARRAY_MODULES[device]
        try:
            if len(inputs) == 1:  # the usual cases first, without a loop
                data = fn.forward(x.data)
            elif len(inputs) == 2 and inputs[1].device == device:
                data = fn.forward(x.data, inputs[1].data)
            elif len(inputs) == 3 and inputs[1].device == device and inputs[2].device == device:
                data = fn.forward(x.data, inputs[1].data, inputs[2].data)
            else:
                data = fn.forward(*_arrays_on(device, inputs, cls.__name__))
        except (ValueError, TypeError, IndexError) as e:
            if str(e).startswith(cls.__name__):
                raise
            shapes = " and ".join(str(tuple(t.shape)) for t in inputs)
            raise type(e)(f"{cls.__name__}: {e} (input shapes {shapes})") from None
        if data.ndim == 0:  # NumPy turns 0-d results into scalars; keep them arrays
            data = fn.xp.asarray(data)
        out = Tensor._make(data, fn.out_device or device)
        if data.base is not None:  # a view (reshape, slicing, transpose, ...), maybe of an input
            _share_counter(fn, out, inputs)
        mode = _mode
        if mode.detect_anomaly:
            anomaly.note_origin(fn, data, inputs)
        if mode.grad_enabled:
            for t in inputs:
                if t.requires_grad:
                    _record(fn, out, inputs)
                    break
        return out

    def release(self, grad_output: Tensor, keep_inputs: bool = False) -> None:
        """Called by the backward pass once this node's rule has run.

        With ``keep_inputs`` (``retain_graph=True``) the node keeps its inputs, so that the graph
        can be run through again, and remembers the adjoint of its output (``self.adjoint``) for
        pictures. Otherwise it frees its saved tensors, so memory falls during the backward
        pass and a second backward raises, but keeps the graph's shape for pictures
        (:meth:`graph_inputs`).
        """
        if keep_inputs:
            self.adjoint = grad_output
        else:
            inputs = self.inputs
            if len(inputs) == 2:  # spelled out for the usual ops: this runs at every node
                self.released = (inputs[0]._ctx or inputs[0], inputs[1]._ctx or inputs[1])
            elif len(inputs) == 1:
                self.released = (inputs[0]._ctx or inputs[0],)
            else:
                self.released = tuple([p._ctx or p for p in inputs])
            self.inputs = None

    def graph_inputs(self) -> tuple[Tensor | Function, ...]:
        """The inputs as drawn: the tensors, or after a backward pass freed them, each leaf
        tensor and, for a computed input, the node that computed it."""
        return self.inputs if self.inputs is not None else self.released

    def const(self, array: Any) -> Tensor:
        """A constant tensor (no gradient flows into it) on this node's device."""
        return Tensor._make(array, self.inputs[0].device)

    def __repr__(self) -> str:
        return f"<{self.name}>"


def _refuse_complex(fn: Function, dtype: Any, inputs: Sequence[Tensor]) -> None:
    shapes = ", ".join(f"{tuple(t.shape)} {t.dtype}" for t in inputs)
    raise TypeError(
        f"{fn.name}: its result would be {dtype} and require grad (inputs {shapes}), but "
        "tinygrad_edu does not differentiate complex values. Work with the real and imaginary parts "
        "as real tensors, or .detach() the inputs if no gradient is wanted."
    )


def _arrays_on(device: str, inputs: Sequence[Tensor], op: str) -> list[Any]:
    """The arrays of ``inputs``, which must all be on ``device``."""
    for t in inputs:
        if t.device != device:
            raise RuntimeError(
                f"{op}: tensors on different devices ({device} and {t.device}); move them with .to(device) first"
            )
    return [t.data for t in inputs]


def _share_counter(fn: Function, out: Tensor, inputs: Sequence[Tensor]) -> None:
    """Give an output that views an input's memory that input's version counter."""
    storage = storage_of(out.data)
    for t in inputs:
        if storage_of(t.data) is storage:
            vc = out._vc = t._counter()
            fn._out_version = vc.value
            return


def _record(fn: Function, out: Tensor, inputs: tuple[Tensor, ...]) -> None:
    """Make ``fn`` the node that computed ``out``: an edge of the graph from ``out`` back to its inputs.

    The node keeps what its rule will need: the inputs, which of them want a gradient, their
    versions (to catch a later in-place change), and its height, one more than its highest
    input's node (0 when every input is a leaf), by which the backward pass orders the nodes.
    """
    data = out.data
    if data.dtype.kind == "c":  # only reached when an input requires grad, so it is real
        _refuse_complex(fn, data.dtype, inputs)
    fn.inputs = inputs
    if len(inputs) == 2:  # spelled out: one- and two-input ops are most of every graph
        x, y = inputs
        hx = -1 if x._ctx is None else x._ctx.height
        hy = -1 if y._ctx is None else y._ctx.height
        fn.height = 1 + (hx if hx > hy else hy)
        fn.requires = (x.requires_grad, y.requires_grad)
        if fn.reads_inputs:
            fn._versions = (x._vc.value, y._vc.value)
    elif len(inputs) == 1:
        x = inputs[0]
        fn.height = 0 if x._ctx is None else x._ctx.height + 1
        fn.requires = (True,)  # we are here because an input requires grad
        if fn.reads_inputs:
            fn._versions = (x._vc.value,)
    else:  # three or more (a layer's x, W, b): one loop, no list per field
        height, requires, versions = -1, [], []
        for t in inputs:
            if t._ctx is not None and t._ctx.height > height:
                height = t._ctx.height
            requires.append(t.requires_grad)
            versions.append(t._vc.value)
        fn.height = height + 1
        fn.requires = tuple(requires)
        if fn.reads_inputs:
            fn._versions = tuple(versions)
    fn._out = weakref.ref(out)
    out.requires_grad = True
    out._ctx = fn


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
        stack.append((t, True))
        for p in _inputs_of(t._ctx):
            if p._ctx is not None and p not in visited:
                stack.append((p, False))
    return order


class Adjoints:
    """The adjoint dL/dt of every tensor the backward pass has reached, summed over t's uses,
    and the computed tensors among them that wait for their node's rule, highest node first.

    A tensor used by several ops receives a gradient from each, and they are added. Outside
    ``create_graph`` the sum is not recorded, so arrays are added directly: in place into a sum
    this pass allocated itself, never into an array that a rule or the caller may still hold.
    """

    def __init__(self, create_graph: bool) -> None:
        self.grads: dict[Tensor, Tensor] = {}  # tensors hash by identity: they are the keys
        self.owned: set[Tensor] = set()  # sums allocated here, safe to add into in place
        self.create_graph = create_graph
        # A node's height is above those of the nodes of its inputs, so taking the highest waiting
        # tensor first visits each node after every node that used its output (a topological
        # order, found on the way). The count breaks ties in the order of arrival.
        self.waiting: list[tuple[int, int, Tensor]] = []  # a heap of (-height, count, tensor)
        self.count = 0

    def add(self, t: Tensor, g: Tensor) -> None:
        dt = t.data.dtype
        if g.data.dtype is not dt and g.data.dtype != dt:  # float32 x * float64 y: dL/dx is float32
            g = g.to(dtype=dt)  # as in PyTorch, a gradient has the dtype of its tensor
        grads = self.grads
        prev = grads.get(t)
        if prev is not None:
            grads[t] = self.sum(prev, g)
            return
        grads[t] = g
        if t._ctx is not None:  # a computed tensor: its node's rule runs once every use has sent its part
            self.count += 1
            heappush(self.waiting, (-t._ctx.height, self.count, t))

    def sum(self, a: Tensor, b: Tensor) -> Tensor:
        if self.create_graph:
            return a + b  # recorded, so that the sum can be differentiated again
        if a in self.owned:
            a.data += b.data
            return a
        total = Tensor._make(a.data + b.data, a.device)
        self.owned.add(total)
        return total

    def pop(self) -> tuple[Tensor, Tensor]:
        """The highest waiting tensor and its adjoint, now complete (every op that used it has sent
        its part); from now on the adjoint may be shared, so it is never added into."""
        t = heappop(self.waiting)[2]
        g = self.grads.pop(t)
        if self.owned:
            self.owned.discard(g)
        return t, g


def _wanted_inputs(roots: Sequence[Tensor], targets: set[Tensor] | None) -> Callable[[Function], Sequence[bool]] | None:
    """For each node, which of its inputs must get a gradient.

    For ``backward()`` those that required grad when the op ran (``fn.requires``); for
    ``autograd.grad`` only those that are a target or lead to one (the rest of the graph is not
    walked).
    """
    if targets is None:
        return None  # every node's own record: fn.requires
    leads = set(targets)  # the targets and the tensors computed from them
    needs: dict[Function, list[bool]] = {}
    for t in topological_order(roots):  # inputs come first in the order, so one pass finds every path
        need = [p in leads for p in t._ctx.inputs]
        if True in need:
            leads.add(t)
            needs[t._ctx] = need
    return lambda fn: needs.get(fn, ())


def _inputs_of(fn: Function) -> tuple[Tensor, ...]:
    """``fn``'s inputs, or the error that says its graph was freed by an earlier backward pass."""
    if fn.inputs is None:
        raise RuntimeError(
            f"Trying to backward through the graph a second time (through {fn.name}): its "
            "saved values were freed by the first backward. Pass retain_graph=True to the "
            "first backward() if you need to go through the graph again."
        )
    return fn.inputs


def _call_rule(fn: Function, g: Tensor, need: list[bool], anomaly: bool) -> tuple[Tensor | None, ...]:
    """Run ``fn``'s backward rule on the adjoint ``g`` and refuse results that would be wrong."""
    inputs = fn.inputs if fn.inputs is not None else _inputs_of(fn)
    fn.needs_input_grad = need
    for p, v in zip(inputs, fn._versions):  # empty for rules that read no input values
        if p._vc.value != v:  # changed in place since the forward pass: the rule would use new values
            _raise_modified(fn)
            break
    in_grads = run_rule(fn, g) if anomaly else fn.backward(g)
    if type(in_grads) is not tuple:
        in_grads = (in_grads,)
    if fn.checks_grad_shapes:  # ops written outside the engine (the engine's own are tested)
        for p, gp, wanted in zip(inputs, in_grads, need):
            if wanted and gp is not None and gp.data.shape != p.data.shape:
                _raise_bad_grad_shape(fn, inputs, p, gp)
    return in_grads


def _raise_modified(fn: Function) -> None:
    for i, (t, v) in enumerate(zip(fn.inputs, fn._versions)):
        if t._version != v and fn.reads_input(i):
            named = f" ({t.name!r})" if t.name else ""
            raise RuntimeError(
                f"{fn.name}: input {i}{named} of shape {tuple(t.shape)} was modified in place (through it or a "
                f"tensor sharing its memory: a view, .detach(), a state_dict() entry) after it was used "
                f"(version {v} -> {t._version}); the backward pass needs its old value. "
                "Use an out-of-place op (x = x + y instead of x += y) or .clone() it first."
            )


def _raise_bad_grad_shape(fn: Function, inputs: Sequence[Tensor], p: Tensor, gp: Tensor) -> None:
    k = next(i for i, t in enumerate(inputs) if t is p)
    raise RuntimeError(
        f"{fn.name}.backward returned a gradient of shape {tuple(gp.shape)} for input {k}, which has "
        f"shape {tuple(p.shape)}; a gradient must have the shape of its input (sum over broadcast axes "
        "with .sum_to(shape))"
    )


def _own(g: Tensor, handed_out: set[int], create_graph: bool = False) -> Tensor:
    """A gradient with a writable array of its own, for a leaf's ``.grad``: detached, or under
    ``create_graph`` still part of the graph.

    One array can reach several leaves (``x + y`` hands the same gradient to both) or be the
    caller's ``gradient``, or a view of either; copy it then, so that changing one ``.grad`` in
    place (weight decay, clipping) never changes another, as in PyTorch.
    """
    data = g.data
    if id(data) in handed_out or data.base is not None:  # shared, or a view (broadcast views are read-only)
        if create_graph:
            g = g.clone()  # a recorded copy: the derivative of .grad still flows back through it
            handed_out.add(id(g.data))
            return g
        data = data.copy()
    handed_out.add(id(data))
    return g if create_graph else Tensor._make(data, g.device)


def _deliver(
    adjoints: Adjoints, found: dict[Tensor, Tensor], targets: set[Tensor] | None, root_grads: Sequence[Tensor]
) -> dict[int, Tensor]:
    """Hand the leaves their gradients: into ``.grad``, or, with ``targets``, back to the caller.

    What is left in ``adjoints`` after the loop are the leaves, in the order they were reached.
    """
    create_graph = adjoints.create_graph
    handed_out = {id(g.data) for g in root_grads}  # the caller's arrays are not ours to give
    if adjoints.owned:
        adjoints.owned.difference_update(adjoints.grads.values())
    for leaf, g in adjoints.grads.items():
        if targets is None:
            if leaf.requires_grad:
                own = _own(g, handed_out, create_graph)
                leaf.grad = own if leaf.grad is None else adjoints.sum(leaf.grad, own)
        elif leaf in targets:
            found[leaf] = g
    # hand out arrays of their own, as .grad gets
    return {id(t): g if create_graph else _own(g, handed_out) for t, g in found.items()}


def run_backward(
    roots: Sequence[Tensor],
    root_grads: Sequence[Tensor],
    *,
    targets: Sequence[Tensor] | None = None,
    retain_graph: bool = False,
    create_graph: bool = False,
    observer: Callable[..., None] | None = None,
) -> dict[int, Tensor]:
    """The backward pass: send the adjoints from ``roots`` back to the leaves (the chain rule).

    Without ``targets``, gradients are added into ``.grad`` of every leaf that requires grad
    (``Tensor.backward``). With ``targets``, nothing is written; their gradients are returned
    by ``id`` (``autograd.grad``), and only the part of the graph that leads to them is walked.
    ``observer(tensor, grad, fn, input_grads)`` is called at every node, for the step-through
    player.
    """
    targets = None if targets is None else set(targets)
    wanted = _wanted_inputs(roots, targets)
    adjoints = Adjoints(create_graph)
    for r, g in zip(roots, root_grads):
        adjoints.add(r, g)
    found: dict[Tensor, Tensor] = {}  # the targets' gradients
    anomaly = _mode.detect_anomaly
    with set_grad_enabled(create_graph):  # record the backward pass itself for higher derivatives
        while adjoints.waiting:
            t, g = adjoints.pop()  # the highest waiting t and dL/dt, complete: every op that used t was visited
            if targets is not None and t in targets:
                found[t] = g
            fn = t._ctx
            need = fn.requires if wanted is None else wanted(fn)
            if True not in need:
                continue
            in_grads = _call_rule(fn, g, need, anomaly)  # the chain rule: dL/dx = dL/dt * dt/dx
            if observer is not None:
                observer(t, g, fn, in_grads)
            for x, gx, wanted_x in zip(fn.inputs, in_grads, need):
                if gx is not None and wanted_x:
                    adjoints.add(x, gx)
            fn.release(g, keep_inputs=retain_graph)
        return _deliver(adjoints, found, targets, root_grads)


def seed_grad(t: Tensor, g: Any, what: str) -> Tensor:
    """The seed ``dL/dt`` a backward pass from ``t`` starts with: ones for a one-element ``t``, else
    ``g`` (checked: ``t`` must require grad and ``g`` must have its shape). ``what`` names the caller."""
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
        return Tensor._make(t.xp.ones(t.data.shape, t.data.dtype), t.device)
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
    g = seed_grad(tensor, gradient, "backward()")
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
    root_grads = [seed_grad(o, g, "grad()") for o, g in zip(outputs, grad_outputs)]
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


# anomaly detection lives in its own module (it builds on _mode); its public names stay here too
from tinygrad_edu import anomaly  # noqa: E402
from tinygrad_edu.anomaly import AnomalyError, detect_anomaly, run_rule  # noqa: E402, F401
