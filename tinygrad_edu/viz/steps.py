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

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tinygrad_edu import autograd, derivative_text
from tinygrad_edu.autograd import Function
from tinygrad_edu.tensor import Tensor
from tinygrad_edu.viz.graph import array_text, walk


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
    # node id -> the new dL/d(tensor) of each input this step sent a gradient to
    changed: dict[str, Tensor] = field(default_factory=dict)
    previous: Frame | None = field(default=None, repr=False)  # the step before (None for step 1)
    seed: tuple[str, Tensor] | None = field(default=None, repr=False)  # (loss id, dL/dL) on step 1

    @property
    def adjoints(self) -> dict[str, Tensor]:
        """Node id -> ``dL/d(tensor)`` accumulated up to and including this step.

        Built on demand from the changes of the steps so far, so that the frames of a graph of n
        nodes take memory in proportion to n, not n².
        """
        chain = []
        f: Frame | None = self
        while f is not None:
            chain.append(f)
            f = f.previous
        out = dict([chain[-1].seed]) if chain[-1].seed is not None else {}
        for f in reversed(chain):
            out.update(f.changed)
        return out

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


def _simplify_powers(text: str) -> str:
    """``x^(2-1)`` as ``x``, ``x^(3-1)`` as ``x^2``: what a number put in for ``p`` leaves."""
    text = re.sub(r"\^\((-?\d+(?:\.\d+)?)-1\)", lambda m: f"^{float(m.group(1)) - 1:g}", text)
    return re.sub(r"\^1(?![\d.])", "", text)


def _describe(
    fn: Function, out_name: str, in_names: list[str], inputs: list[Tensor], out: Tensor, need: tuple[bool, ...]
) -> tuple[list[str | None], list[str | None]]:
    """Local derivatives and chain-rule texts for each input of ``fn``, from the op's ``local``.

    The op's symbols are replaced by the tensors' names in this graph, its number parameters
    (``c``, ``slope``) by their values.
    """
    entries = derivative_text.parse(fn.name, fn.local)
    names = derivative_text.scalar_params(fn.params)
    for k, name in enumerate(in_names):
        e = derivative_text.entry_for(entries, k)
        if e is not None:
            names[e.input] = name
    out_symbol = derivative_text.output_symbol(entries)
    if out_symbol is not None:
        names[out_symbol] = out_name
    g = f"dL/d{out_name}"
    locals_: list[str | None] = []
    chains: list[str | None] = []
    for k, (name, t) in enumerate(zip(in_names, inputs)):
        e = derivative_text.entry_for(entries, k) if need[k] else None
        local = None
        if not need[k]:
            rule = None
        elif e is None:
            rule = f"dL/d{name} = by {fn.name}'s backward rule (it declares no local derivative)"
        elif e.is_rule:
            rule = f"dL/d{name} = " + derivative_text.rename(e.expr, {**names, "k": str(k)})
        else:
            local = _simplify_powers(derivative_text.rename(e.expr, names))
            simple = local.replace(".", "").replace("_", "").isalnum() or local.startswith(("[", "("))
            product = {"1": g, "-1": f"-{g}"}.get(local, f"{g} * {local}" if simple else f"{g} * ({local})")
            rule = f"dL/d{name} = {product}"
            if tuple(t.shape) != tuple(out.shape):
                rule += f", summed to shape {tuple(t.shape)}"
        locals_.append(local)
        chains.append(rule)
    return locals_, chains


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
    seed = autograd.seed_grad(loss, gradient, "backward_steps()")
    w = walk(loss, params, model)
    leaves = [t for t in w.tensors if t.is_leaf and t.requires_grad]
    recorder = _Recorder(w, w.ids[id(loss)], seed)
    if leaves and loss._ctx is not None:
        autograd.run_backward(
            [loss], [seed], targets=leaves, retain_graph=True, create_graph=create_graph, observer=recorder
        )
    return recorder.frames


class _Recorder:
    """The observer of :func:`backward_steps`: one :class:`Frame` per op node the engine visits.

    It keeps each tensor's adjoint summed so far and the parts it was summed from (which op sent
    which term), so that a frame shows the chain rule of its step and what changed.
    """

    def __init__(self, w: Any, root_id: str, seed: Tensor) -> None:
        self.w, self.root_id, self.seed = w, root_id, seed
        self.adjoints: dict[str, Tensor] = {root_id: seed}
        self.parts: dict[str, list[tuple[str, Tensor]]] = {}
        self.frames: list[Frame] = []

    def _send(self, fn: Function, in_ids: list[str], in_grads: tuple) -> tuple[list[Tensor | None], dict[str, Tensor]]:
        """Add the op's input gradients to the adjoints; return what it sent and what changed."""
        sent: list[Tensor | None] = []
        changed: dict[str, Tensor] = {}
        for pid, gp, wanted in zip(in_ids, in_grads, fn.needs_input_grad):
            gp = gp if wanted else None
            sent.append(gp)
            if gp is not None:
                self.adjoints[pid] = changed[pid] = gp if pid not in self.adjoints else self.adjoints[pid] + gp
                self.parts.setdefault(pid, []).append((self.w.ids[id(fn)], gp))
        return sent, changed

    def __call__(self, t: Tensor, g: Tensor, fn: Function, in_grads: tuple) -> None:
        w, frames = self.w, self.frames
        inputs = list(fn.inputs)
        in_ids = [w.ids[id(p)] for p in inputs]
        in_names = [w.names[id(p)] for p in inputs]
        out_id = w.ids[id(t)]
        locals_, chains = _describe(fn, w.names[id(t)], in_names, inputs, t, fn.needs_input_grad)
        sent, changed = self._send(fn, in_ids, in_grads)
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
                grad_output_parts=list(self.parts.get(out_id, [])),
                inputs=inputs,
                input_ids=in_ids,
                input_names=in_names,
                local_derivatives=locals_,
                chain_rule=chains,
                input_grads=sent,
                changed=changed,
                previous=frames[-1] if frames else None,
                seed=None if frames else (self.root_id, self.seed),
            )
        )


def format_steps(frames: list[Frame]) -> str:
    """All frames as text, one block per step (what the player shows, for a terminal)."""
    return "\n".join(str(f) for f in frames)
