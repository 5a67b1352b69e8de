"""The backward pass, frame by frame, as the engine runs it.

``backward_steps(loss)`` runs the real backward pass (:func:`~tinygrad_edu.autograd.run_backward`)
with an observer that records one :class:`Frame` per node it visits, in the engine's order
(reverse topological: a node is visited once all its consumers have sent their gradient, so its
adjoint ``dL/dz`` is complete). A frame holds the op, the adjoint of its output and the pieces
it was summed from (one per consumer), the local derivative of the op for each input, the
gradient sent to each input with the chain-rule product in words (``dL/dz = dL/da * (1 - a^2)``),
and the adjoint accumulated so far for every tensor.

The user's graph is left as it was: the pass keeps the graph (``retain_graph=True``) and writes
no ``.grad``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tinygrad_edu import autograd
from tinygrad_edu.autograd import Function
from tinygrad_edu.tensor import Tensor
from tinygrad_edu.viz.graph import array_text, walk

# Local derivative of the output z with respect to each input, for elementwise ops: the
# gradient sent back is dL/dx = dL/dz * (this). {x}, {y}: the inputs' names, {z}: the output's.
LOCAL: dict[str, tuple[str, ...]] = {
    "Add": ("1", "1"),
    "Sub": ("1", "-1"),
    "AddConst": ("1",),
    "MulConst": ("{c}",),
    "RSubConst": ("-1",),
    "Mul": ("{y}", "{x}"),
    "Div": ("1/{y}", "-{x}/{y}^2"),
    "Neg": ("-1",),
    "Pow": ("{y} {x}^({y}-1)", "{z} log({x})"),
    "Exp": ("{z}",),
    "Log": ("1/{x}",),
    "Log1p": ("1/(1 + {x})",),
    "Sqrt": ("1/(2 {z})",),
    "Abs": ("sign({x})",),
    "Sin": ("cos({x})",),
    "Cos": ("-sin({x})",),
    "Tanh": ("1 - {z}^2",),
    "Sigmoid": ("{z} (1 - {z})",),
    "Erf": ("2/sqrt(pi) e^(-{x}^2)",),
    "ReLU": ("[{x} > 0]",),
    "LeakyReLU": ("(1 if {x} > 0 else {slope})",),
    "ELU": ("(1 if {x} > 0 else {z} + {alpha})",),
    "Softplus": ("sigmoid({x})",),
    "Maximum": ("[{x} > {y}]", "[{y} > {x}]"),
    "Minimum": ("[{x} < {y}]", "[{y} < {x}]"),
    "Clip": ("[{low} <= {x} <= {high}]",),
    "Where": ("[cond]", "[not cond]"),
    "Clone": ("1",),
    "Cast": ("1",),
    "ToDevice": ("1",),
}
# Ops that are not elementwise: the whole rule for each input, with {g} = dL/dz.
RULES: dict[str, tuple[str, ...]] = {
    "MatMul": ("{g} @ {y}^T", "{x}^T @ {g}"),
    "Sum": ("{g} copied along the summed axes",),
    "Max": ("{g} at the maximal elements of {x}, 0 elsewhere",),
    "Softmax": ("{z} * ({g} - sum({g} * {z}))",),
    "LogSoftmax": ("{g} - softmax({x}) * sum({g})",),
    "Reshape": ("{g} reshaped back to {xshape}",),
    "Permute": ("{g} with the axes permuted back",),
    "Expand": ("{g} summed over the broadcast axes",),
    "SumTo": ("{g} broadcast back to {xshape}",),
    "GetItem": ("{g} scattered into zeros of shape {xshape}",),
    "IndexAdd": ("{g} at the indexed places",),
    "Pad": ("the middle part of {g}",),
    "Linear": ("{g} @ {y}", "({g})^T @ {x}", "{g} summed over the batch"),
    "SoftmaxCrossEntropy": ("{g} * (softmax({x}) - target), / n for the mean",),
}


def _docstring_rule(fn: Function) -> str:
    """The derivative written in the op's docstring (``y = ... .    dL/dx = ...``)."""
    doc = (type(fn).__doc__ or "").strip().splitlines()
    first = doc[0] if doc else ""
    parts = [p.strip() for p in first.split("    ") if p.strip()]
    rule = next((p for p in parts if "dL/" in p), None)
    return rule or (first or f"{fn.name}.backward (no formula documented)")


@dataclass
class Frame:
    """One visit of the backward pass to one op node (see :func:`backward_steps`)."""

    index: int  # the step number: 1 for the first node visited (step 0, in the player, is the seed dL/dL = 1)
    op: str  # the op's name, e.g. "Tanh"
    op_id: str  # its node id in draw_graph(loss), e.g. "f2"
    fn: Function
    output: Tensor
    output_id: str
    output_name: str
    grad_output: Tensor  # dL/d(output): complete when the engine visits the node
    grad_output_parts: list[tuple[str, Tensor]]  # (op id of the consumer, its contribution); [] for the root
    inputs: list[Tensor]
    input_ids: list[str]
    input_names: list[str]
    local_derivatives: list[str | None]  # d output / d input, in words (None: no gradient wanted)
    chain_rule: list[str | None]  # "dL/dz = dL/da * (1 - a^2)" for each input
    input_grads: list[Tensor | None]  # the gradient sent to each input
    adjoints: dict[str, Tensor] = field(default_factory=dict)  # node id -> dL/d(tensor) so far

    def __str__(self) -> str:
        g = " ".join(array_text(self.grad_output.data, 8, 60))
        lines = [
            f"step {self.index}: {self.op} ({self.op_id}) -> {self.output_name} ({self.output_id})",
            f"  dL/d{self.output_name} = {g}",
        ]
        if len(self.grad_output_parts) > 1:
            lines.append("    summed from " + " + ".join(f"the part from {k}" for k, _ in self.grad_output_parts))
        for name, local, chain, gi in zip(self.input_names, self.local_derivatives, self.chain_rule, self.input_grads):
            if chain is None:
                continue
            if local is not None:
                lines.append(f"  local derivative d{self.output_name}/d{name} = {local}")
            lines.append(f"  {chain} = {' '.join(array_text(gi.data, 8, 60))}")
        return "\n".join(lines)


def _describe(
    fn: Function, out_name: str, in_names: list[str], inputs: list[Tensor], out: Tensor, need: tuple[bool, ...]
) -> tuple[list[str | None], list[str | None]]:
    """Local derivatives and chain-rule texts for each input of ``fn``."""
    subs: dict[str, Any] = {k: v for k, v in fn.__dict__.items() if isinstance(v, (int, float, str, tuple))}
    subs.update(z=out_name, g=f"dL/d{out_name}", x=in_names[0], y=in_names[1] if len(in_names) > 1 else "?")
    g = subs["g"]
    locals_: list[str | None] = []
    chains: list[str | None] = []
    for k, (name, t) in enumerate(zip(in_names, inputs)):
        if not need[k]:
            locals_.append(None)
            chains.append(None)
            continue
        subs["xshape"] = tuple(t.shape)
        local = rule = None
        if fn.name == "PowConst":
            p = fn.p
            local = f"{p:g} {name}" if p == 2 else f"{p:g} {name}^{p - 1:g}"
        elif fn.name in LOCAL and k < len(LOCAL[fn.name]):
            local = LOCAL[fn.name][k].format_map(_Default(subs))
        elif fn.name in RULES and k < len(RULES[fn.name]):
            rule = RULES[fn.name][k].format_map(_Default(subs))
        elif fn.name == "Concatenate":
            rule = f"piece {k} of {g} along axis {subs.get('axis', 0)}"
        if local is not None:
            simple = local.replace(".", "").replace("_", "").isalnum() or local.startswith(("[", "("))
            rule = g if local == "1" else f"{g} * {local}" if simple else f"{g} * ({local})"
            if tuple(t.shape) != tuple(out.shape):
                rule += f", summed to shape {tuple(t.shape)}"
        if rule is None:
            rule = f"by {fn.name}'s rule: {_docstring_rule(fn)}"
        locals_.append(local)
        chains.append(f"dL/d{name} = {rule}")
    return locals_, chains


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def backward_steps(
    loss: Tensor,
    gradient: Any = None,
    create_graph: bool = False,
    params: Mapping[str, Tensor] | None = None,
    model: Any = None,
) -> list[Frame]:
    """Run the backward pass of ``loss`` and return one :class:`Frame` per visited op node.

    The frames come in the order the engine visits the nodes. ``gradient`` is ``dL/d loss``
    (needed when ``loss`` is not a scalar). ``create_graph=True`` records the backward pass
    itself, so the adjoints in the frames can be differentiated again (second derivatives);
    ``backward_steps`` of a first derivative (``autograd.grad(..., create_graph=True)``) steps
    through the derivative's own graph. Tensors are named as in :func:`draw_graph` (``params``,
    ``model``, ``Tensor.name``, else the node id). The graph is kept and no ``.grad`` is written.
    """
    if not isinstance(loss, Tensor):
        raise TypeError(f"backward_steps: loss must be a Tensor, got {type(loss).__name__}")
    seed = autograd._root_grad(loss, gradient, "backward_steps()")
    w = walk(loss, params, model)
    leaves = [t for t in w.tensors if t.is_leaf and t.requires_grad]
    root_id = w.ids[id(loss)]
    adjoints: dict[str, Tensor] = {root_id: seed}
    parts: dict[str, list[tuple[str, Tensor]]] = {}
    frames: list[Frame] = []

    def observer(t: Tensor, g: Tensor, fn: Function, in_grads: tuple) -> None:
        need = fn.needs_input_grad
        inputs = list(fn.inputs)
        in_ids = [w.ids[id(p)] for p in inputs]
        in_names = [w.names[id(p)] for p in inputs]
        out_id = w.ids[id(t)]
        locals_, chains = _describe(fn, w.names[id(t)], in_names, inputs, t, need)
        sent: list[Tensor | None] = []
        for pid, gp, wanted in zip(in_ids, in_grads, need):
            gp = gp if wanted else None
            sent.append(gp)
            if gp is not None:
                adjoints[pid] = gp if pid not in adjoints else adjoints[pid] + gp
                parts.setdefault(pid, []).append((w.ids[id(fn)], gp))
        frames.append(
            Frame(
                index=len(frames) + 1,
                op=fn.name,
                op_id=w.ids[id(fn)],
                fn=fn,
                output=t,
                output_id=out_id,
                output_name=w.names[id(t)],
                grad_output=g,
                grad_output_parts=list(parts.get(out_id, [])),
                inputs=inputs,
                input_ids=in_ids,
                input_names=in_names,
                local_derivatives=locals_,
                chain_rule=chains,
                input_grads=sent,
                adjoints=dict(adjoints),
            )
        )

    if leaves and loss._ctx is not None:
        autograd.run_backward(
            [loss], [seed], targets=leaves, retain_graph=True, create_graph=create_graph, observer=observer
        )
    return frames


def format_steps(frames: list[Frame]) -> str:
    """All frames as text, one block per step (what the player shows, for a terminal)."""
    return "\n".join(str(f) for f in frames)
