"""The computation graph of a tensor as a picture: one box per tensor, one oval per op.

``draw_graph(loss)`` walks the graph from ``loss`` back to the leaves (iteratively, in the order
of the engine's :func:`~tinygrad_edu.autograd.topological_order`; also after ``loss.backward()``
freed it) and returns a :class:`Graph`:
nodes and edges you can inspect, DOT text in ``.source``, inline SVG in Jupyter and
``.save("g.svg" | "g.png" | "g.dot")``. Tensors are named from the model's parameters
(``0.weight``, as ``model.named_parameters()`` gives them), from ``Tensor.name`` and otherwise
by their node id (``t3``), the same names the step-through player uses.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_edu import backend, derivative_text
from tinygrad_edu.autograd import Function
from tinygrad_edu.fileio import atomic_write
from tinygrad_edu.tensor import Tensor

# colours of the node kinds (also used by the pure-Python renderer and the player's legend)
FILL = {
    "param": "#cfe8ff",  # a leaf that requires grad: a weight, a bias, an input variable
    "const": "#f2f2f2",  # a leaf that does not: data, a number
    "output": "#ffe0b3",  # the tensor the graph was drawn from
    "tensor": "#ffffff",  # an intermediate value
    "op": "#e6e6e6",
    "module": "#d9f2d9",
}


@dataclass
class GraphNode:
    """One node of the picture: a tensor, an op, or a collapsed module."""

    id: str
    kind: str  # "tensor", "op" or "module"
    name: str  # tensor name, op name (MatMul) or module name
    lines: list[str]  # the label, line by line
    role: str  # fill colour key in FILL: param, const, output, tensor, op, module
    shape: tuple[int, ...] | None = None

    @property
    def label(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class GraphEdge:
    """An arrow in the direction of the forward computation: input -> op -> output."""

    tail: str
    head: str


@dataclass
class _Walk:
    """The graph seen from ``roots``: every tensor and op with its node id and display name."""

    tensors: list[Tensor] = field(default_factory=list)  # inputs before outputs
    ops: list[tuple[Function, Tensor | None]] = field(default_factory=list)  # (node, its output; None if freed)
    ids: dict[int, str] = field(default_factory=dict)  # id(tensor) or id(fn) -> node id
    names: dict[int, str] = field(default_factory=dict)  # id(tensor) -> display name
    param_names: dict[int, str] = field(default_factory=dict)  # id(tensor) -> parameter name
    roots: list[Tensor] = field(default_factory=list)
    op_inputs: dict[int, list[Tensor]] = field(default_factory=dict)  # id(fn) -> its live input tensors
    sources: dict[int, list[str]] = field(default_factory=dict)  # id(fn) -> node ids of its inputs


def _named_parameters(params: Mapping[str, Tensor] | None, model: Any) -> dict[str, Tensor]:
    named: dict[str, Tensor] = {}
    if model is not None:
        if not hasattr(model, "named_parameters"):
            raise TypeError(f"draw_graph: model= needs a named_parameters() method; got {type(model).__name__}")
        named.update(dict(model.named_parameters()))
    if params is not None:
        named.update(dict(params))
    for k, v in named.items():
        if not isinstance(v, Tensor):
            raise TypeError(f"draw_graph: parameter {k!r} is a {type(v).__name__}, not a Tensor")
    return named


def _nodes(roots: Sequence[Tensor]) -> list[Function]:
    """Every node that ``roots`` depend on, each after the nodes of its inputs (no recursion).

    The order of the engine's :func:`~tinygrad_edu.autograd.topological_order`, but through
    freed nodes too (:meth:`~tinygrad_edu.autograd.Function.graph_inputs`).
    """
    order: list[Function] = []
    visited: set[int] = set()
    stack = [(r._ctx, False) for r in roots if r._ctx is not None]
    while stack:
        fn, inputs_done = stack.pop()
        if inputs_done:
            order.append(fn)
            continue
        if id(fn) in visited:
            continue
        visited.add(id(fn))
        stack.append((fn, True))
        for p in fn.graph_inputs():
            node = p if isinstance(p, Function) else p._ctx
            if node is not None and id(node) not in visited:
                stack.append((node, False))
    return order


def walk(roots: Tensor | Sequence[Tensor], params: Mapping[str, Tensor] | None = None, model: Any = None) -> _Walk:
    """Number every tensor (``t0, t1, ...``) and op (``f0, f1, ...``) reachable from ``roots``.

    No recursion, so graphs of any depth can be drawn. A graph that ``backward()`` has freed is
    drawn too (as torchviz does): its ops and leaves are kept, and the intermediate tensors
    that nothing else holds any more are left out (their arrows come from the op that made them).
    """
    if isinstance(roots, Tensor):
        roots = [roots]
    elif isinstance(roots, (list, tuple)):
        roots = list(roots)
    else:
        raise TypeError(f"draw_graph: expected a Tensor or a list of Tensors, got {type(roots).__name__}, not a Tensor")
    for i, r in enumerate(roots):
        if not isinstance(r, Tensor):
            raise TypeError(f"draw_graph: output {i} is a {type(r).__name__}, not a Tensor")
    w = _Walk(roots=roots)
    for name, t in _named_parameters(params, model).items():
        w.param_names.setdefault(id(t), name)

    def add_tensor(t: Tensor) -> None:
        if id(t) in w.ids:
            return
        w.ids[id(t)] = f"t{len(w.tensors)}"
        w.tensors.append(t)
        w.names[id(t)] = w.param_names.get(id(t)) or t.name or w.ids[id(t)]

    for fn in _nodes(roots):
        inputs: list[Tensor] = []  # the input tensors still alive
        sources: list[str] = []  # the node ids its arrows come from
        for p in fn.graph_inputs():
            if isinstance(p, Function):  # a computed input freed by backward(): its op, or it if alive
                p_out = p._out()
                if p_out is None or id(p_out) not in w.ids:
                    sources.append(w.ids[id(p)])
                    continue
                p = p_out
            add_tensor(p)  # a leaf (a computed input came earlier in the order)
            inputs.append(p)
            sources.append(w.ids[id(p)])
        w.ids[id(fn)] = f"f{len(w.ops)}"
        out = fn._out()
        w.ops.append((fn, out))
        w.op_inputs[id(fn)] = inputs
        w.sources[id(fn)] = sources
        if out is not None:
            add_tensor(out)
    for r in roots:  # a leaf root (nothing computed) is a graph of one node
        add_tensor(r)
    return w


# ----------------------------------------------------------------------------- labels


def _cap(line: str, max_chars: int) -> str:
    return line if len(line) <= max_chars else line[: max(max_chars - 1, 1)] + "…"


def array_text(data: Any, max_elements: int = 8, max_chars: int = 40, max_lines: int = 4) -> list[str]:
    """The values of a small array, or ``mean / min / max`` of a large one, as capped lines."""
    a = backend.to_numpy(data)
    if a.size == 0:
        return ["(empty)"]
    if a.size > max_elements:
        if a.dtype.kind not in "fciub":
            return [f"{a.size} elements"]
        x = a.astype(np.float64)
        return [_cap(f"mean {x.mean():.4g} min {x.min():.4g} max {x.max():.4g}", max_chars)]
    fmt = {"float_kind": lambda v: f"{v:.4g}", "complex_kind": lambda v: f"{v:.3g}"}
    text = np.array2string(a, separator=", ", max_line_width=max_chars, formatter=fmt)
    lines = [_cap(s.strip(), max_chars) for s in text.splitlines()]
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + ["…"]
    return lines


def _op_label(fn: Function) -> str:
    """The op's name and its parameters (``SubConst(c=2)``, ``Sum(axis=1)``); no arrays."""
    extra = []
    for k, v in fn.params.items():
        if v is None or v is False or backend.is_array(v) or not isinstance(v, (bool, int, float, str, tuple)):
            continue  # keepdims=False is the default; arrays and objects do not fit in a label
        extra.append(f"{k}={v:g}" if type(v) is float else f"{k}={v}")
    return f"{fn.name}({', '.join(extra)})" if extra else fn.name


def _shape_text(t: Tensor) -> str:
    shape = "(" + ", ".join(str(s) for s in t.shape) + ("," if t.ndim == 1 else "") + ")"
    return f"{shape} {t.dtype}"


# ----------------------------------------------------------------------------- the graph


class Graph:
    """A drawn computation graph: ``nodes``, ``edges``, DOT ``source``, and ways to show it.

    Displays inline in Jupyter (SVG). ``save(path)`` writes ``.svg``, ``.png`` or ``.dot``;
    ``pipe(format)`` returns the bytes. ``renderer`` is ``"auto"`` (system Graphviz ``dot``,
    else the WebAssembly Graphviz from PyPI, else the pure-Python layout), or one of
    ``"dot"``, ``"wasm"``, ``"python"``; see :func:`~tinygrad_edu.viz.available_renderers`.
    """

    def __init__(
        self,
        nodes: Iterable[GraphNode],
        edges: Iterable[GraphEdge],
        rankdir: str = "TB",
        ids: Mapping[int, str] | None = None,
        renderer: str = "auto",
    ) -> None:
        self.nodes: dict[str, GraphNode] = {n.id: n for n in nodes}
        self.edges: list[GraphEdge] = list(dict.fromkeys(edges))
        if rankdir not in ("TB", "LR", "BT", "RL"):
            raise ValueError(f"draw_graph: rankdir must be 'TB', 'LR', 'BT' or 'RL', got {rankdir!r}")
        self.rankdir = rankdir
        self.renderer = renderer
        self._ids = dict(ids or {})

    def node_id(self, obj: Tensor | Function) -> str:
        """The node id of a tensor or an op of this graph (``KeyError`` when it is not drawn)."""
        try:
            return self._ids[id(obj)]
        except KeyError:
            raise KeyError(f"{obj!r} is not a node of this graph") from None

    def find(self, name: str) -> list[GraphNode]:
        """The nodes called ``name`` (a tensor name, an op name such as ``"Tanh"``, a module)."""
        return [n for n in self.nodes.values() if n.name == name]

    def predecessors(self, node_id: str) -> list[str]:
        return [e.tail for e in self.edges if e.head == node_id]

    def successors(self, node_id: str) -> list[str]:
        return [e.head for e in self.edges if e.tail == node_id]

    # ------------------------------------------------------------------ DOT

    @property
    def source(self) -> str:
        """The graph in Graphviz's DOT language."""
        out = [
            "digraph tinygrad_edu {",
            f'\tgraph [rankdir={self.rankdir} nodesep=0.3 ranksep=0.35 bgcolor="transparent"]',
            '\tnode [fontname="Helvetica,Arial,sans-serif" fontsize=11 penwidth=1.2]',
            '\tedge [arrowsize=0.7 color="#555555"]',
        ]
        for n in self.nodes.values():
            label = _dot_quote("\n".join(n.lines))
            if n.kind == "op":
                shape = "shape=ellipse style=filled"
            elif n.kind == "module":
                shape = "shape=box3d style=filled"
            else:
                shape = 'shape=box style="rounded,filled' + (',dashed"' if n.role == "const" else '"')
            out.append(f'\t{n.id} [id="{n.id}" label={label} {shape} fillcolor="{FILL[n.role]}"]')
        for i, e in enumerate(self.edges):
            out.append(f'\t{e.tail} -> {e.head} [id="e{i}"]')
        out.append("}")
        return "\n".join(out) + "\n"

    # ------------------------------------------------------------------ output

    def pipe(self, format: str = "svg", renderer: str | None = None) -> bytes:
        """The picture as bytes: ``"svg"``, ``"png"`` or ``"dot"``."""
        from tinygrad_edu.viz import render

        return render.render(self, format, renderer or self.renderer)

    def svg(self, renderer: str | None = None) -> str:
        """The picture as SVG text, without the XML prolog (ready to embed in HTML)."""
        text = self.pipe("svg", renderer).decode("utf-8")
        start = text.find("<svg")
        return text[start:] if start >= 0 else text

    def save(self, path: str | os.PathLike, format: str | None = None, renderer: str | None = None) -> Path:
        """Write the picture to ``path`` (format from the suffix: .svg, .png, .dot); atomically."""
        path = Path(path)
        fmt = (format or path.suffix.lstrip(".") or "svg").lower()
        if fmt == "gv":
            fmt = "dot"
        data = self.source.encode("utf-8") if fmt == "dot" else self.pipe(fmt, renderer)
        atomic_write(path, data, parents=True)
        return path

    def to_graphviz(self) -> Any:
        """The same graph as a ``graphviz.Source`` (needs the ``graphviz`` Python package)."""
        import graphviz

        return graphviz.Source(self.source)

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        bundle = {"image/svg+xml": self.svg(), "text/plain": repr(self)}
        return {k: v for k, v in bundle.items() if (not include or k in include) and not (exclude and k in exclude)}

    def __repr__(self) -> str:
        ops = sum(n.kind == "op" for n in self.nodes.values())
        return f"<Graph: {len(self.nodes) - ops} tensors/modules, {ops} ops, {len(self.edges)} edges>"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


# ----------------------------------------------------------------------------- modules


def _module_of_params(w: _Walk) -> dict[int, str]:
    """id(tensor) -> module name, for every parameter whose name has a module prefix."""
    return {pid: name.rsplit(".", 1)[0] for pid, name in w.param_names.items() if "." in name}


def _module_groups(w: _Walk) -> dict[str, str]:
    """node id -> module name for the ops and tensors that a collapsed module box swallows.

    An op belongs to module M when one of its direct inputs is a parameter of M or a value
    computed from M's parameters alone (``W.T``); ops on activations only (a ReLU between two
    layers) belong to no module. A tensor is inside M when it is a parameter of M, or made by an
    op of M and used only by ops of M.
    """
    owner = _module_of_params(w)  # id(tensor) -> module, grows with parameter-only values
    group: dict[str, str] = {}
    consumers: dict[int, set[str]] = {}
    for fn, out in w.ops:
        inputs = w.op_inputs[id(fn)]
        mods = {owner.get(id(p)) for p in inputs if p.requires_grad or p._ctx is not None}
        mods.discard(None)
        direct = [owner[id(p)] for p in inputs if id(p) in owner]
        if direct:
            group[w.ids[id(fn)]] = direct[0]
            # a number (a one-element constant) keeps a value parameter-only; data does not
            if (
                len(mods) == 1
                and all(id(p) in owner or (p.is_leaf and not p.requires_grad and p.size == 1) for p in inputs)
                and out is not None
            ):
                owner[id(out)] = direct[0]  # computed from M's parameters alone
        for p in inputs:
            consumers.setdefault(id(p), set()).add(w.ids[id(fn)])
    root_ids = {id(r) for r in w.roots}
    for fn, out in w.ops:
        m = group.get(w.ids[id(fn)])
        if out is None:
            continue
        users = consumers.get(id(out), set())
        if m and users and id(out) not in root_ids and all(group.get(u) == m for u in users):
            group[w.ids[id(out)]] = m
    for pid, m in _module_of_params(w).items():
        if pid in w.ids and all(group.get(u) == m for u in consumers.get(pid, ())):
            group[w.ids[pid]] = m
    return group


def _module_types(model: Any) -> dict[str, str]:
    if model is None or not hasattr(model, "named_modules"):
        return {}
    return {name: type(m).__name__ for name, m in model.named_modules()}


# ----------------------------------------------------------------------------- draw_graph


def draw_graph(
    output: Tensor | Sequence[Tensor],
    show_values: bool = True,
    show_grads: bool = True,
    params: Mapping[str, Tensor] | None = None,
    model: Any = None,
    collapse_modules: bool = False,
    show_constants: bool = True,
    max_elements: int = 8,
    max_chars: int = 40,
    rankdir: str = "TB",
    renderer: str = "auto",
    show_derivatives: bool = False,
    max_nodes: int | None = 1500,
) -> Graph:
    """The computation graph that made ``output``: one box per tensor, one oval per op.

    A tensor box shows its name, shape and dtype, its value and its ``.grad`` when it has at
    most ``max_elements`` elements (else ``mean / min / max``), each line capped at
    ``max_chars``. Names come from ``model.named_parameters()`` or ``params``
    (``{"0.weight": W}``, as torchviz), then ``Tensor.name``, else the node id (``t3``).
    ``collapse_modules=True`` (with ``model`` or dotted ``params`` names) draws each module as
    one box. Leaves that require grad are blue, constants grey and dashed, ``output`` orange.
    Arrows follow the forward computation (input -> op -> output); backward runs against them.
    ``show_derivatives=True`` writes under each op the local derivative it declares (``local``).
    A graph of more than ``max_nodes`` nodes is summarized, with a warning: modules collapsed
    (when a model names them), long chains drawn as one box each, and then the nodes farthest
    from the output as one box (``max_nodes=None`` draws every node).
    """
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 2):
        raise ValueError(f"draw_graph: max_nodes must be an integer >= 2 or None, got {max_nodes!r}")
    if max_elements < 0 or max_chars < 4:
        raise ValueError(f"draw_graph: need max_elements >= 0 and max_chars >= 4, got {max_elements}, {max_chars}")
    w = walk(output, params, model)
    nodes, hidden = _tensor_nodes(w, show_values, show_grads, show_constants, max_elements, max_chars)
    edges: list[GraphEdge] = []
    for fn, out in w.ops:
        fid = w.ids[id(fn)]
        lines = [_cap(_op_label(fn), max_chars)]
        if show_derivatives:
            lines += [_cap(str(e), max_chars) for e in derivative_text.parse(fn.name, fn.local)]
        nodes.append(GraphNode(fid, "op", fn.name, lines, "op"))
        edges += [GraphEdge(src, fid) for src in w.sources[id(fn)] if src not in hidden]
        if out is not None:
            edges.append(GraphEdge(fid, w.ids[id(out)]))
    if collapse_modules:
        nodes, edges = _collapse(w, nodes, edges, _module_types(model), max_chars)
    if max_nodes is not None and len(nodes) > max_nodes:
        nodes, edges = _summarize(w, nodes, edges, model, collapse_modules, max_nodes, max_chars)
    return Graph(nodes, edges, rankdir, w.ids, renderer)


def _tensor_nodes(
    w: _Walk, show_values: bool, show_grads: bool, show_constants: bool, max_elements: int, max_chars: int
) -> tuple[list[GraphNode], set[str]]:
    """A box per tensor (name, shape, value, gradient), and the ids of the constants left out."""
    root_ids = {id(r) for r in w.roots}
    nodes: list[GraphNode] = []
    hidden: set[str] = set()
    for t in w.tensors:
        if t._ctx is None and not t.requires_grad and not show_constants:
            hidden.add(w.ids[id(t)])
            continue
        role = (
            "output"
            if id(t) in root_ids
            else "param"
            if t.is_leaf and t.requires_grad
            else ("const" if t.is_leaf else "tensor")
        )
        lines = [_cap(w.names[id(t)], max_chars), _cap(_shape_text(t), max_chars)]
        if show_values:
            lines += array_text(t.data, max_elements, max_chars)
        grad = t.grad if t._ctx is None else t._ctx.adjoint  # an adjoint is kept under retain_graph
        if show_grads and grad is not None:
            g = array_text(grad.data, max_elements, max_chars - 6)
            lines += ["grad " + g[0]] + ["     " + s for s in g[1:]]
        nodes.append(GraphNode(w.ids[id(t)], "tensor", w.names[id(t)], lines, role, tuple(t.shape)))
    return nodes, hidden


def _summarize(
    w: _Walk,
    nodes: list[GraphNode],
    edges: list[GraphEdge],
    model: Any,
    collapsed: bool,
    max_nodes: int,
    max_chars: int,
) -> tuple[list[GraphNode], list[GraphEdge]]:
    from tinygrad_edu.viz.summary import summarize  # it builds on this module

    n_all, done = len(nodes), []
    if not collapsed and _module_groups(w):
        nodes, edges = _collapse(w, nodes, edges, _module_types(model), max_chars)
        done.append("modules collapsed")
    n_before = len(nodes)
    nodes, edges = summarize(nodes, edges, {w.ids[id(r)] for r in w.roots}, max_nodes, max_chars)
    if len(nodes) < n_before:
        done.append("long chains and the nodes farthest from the output elided")
    warnings.warn(
        f"draw_graph: the graph has {n_all} nodes, more than max_nodes={max_nodes}; it is drawn with "
        f"{len(nodes)} ({', '.join(done)}). Pass max_nodes=None to draw every node.",
        stacklevel=3,
    )
    return nodes, edges


def _collapse(
    w: _Walk, nodes: list[GraphNode], edges: list[GraphEdge], types: Mapping[str, str], max_chars: int
) -> tuple[list[GraphNode], list[GraphEdge]]:
    group = _module_groups(w)
    if not group:
        raise ValueError(
            "draw_graph(collapse_modules=True): no module found; pass model= (with named_parameters()) "
            "or params= with dotted names such as '0.weight'"
        )
    boxes: dict[str, GraphNode] = {}
    kept: list[GraphNode] = []
    for n in nodes:
        m = group.get(n.id)
        if m is None:
            kept.append(n)
            continue
        box_id = "m_" + "".join(c if c.isalnum() else "_" for c in m)
        if box_id not in boxes:
            title = f"{m}: {types[m]}" if m in types else m
            boxes[box_id] = GraphNode(box_id, "module", m, [_cap(title, max_chars)], "module")
            kept.append(boxes[box_id])
        box = boxes[box_id]
        if n.kind == "tensor" and n.role == "param":
            box.lines.append(_cap(f"{n.name.rsplit('.', 1)[-1]} {n.shape}", max_chars))
    # boxes in the order the model lists its parameters (definition order), not the walk's
    rank = {m: i for i, m in enumerate(dict.fromkeys(_module_of_params(w).values()))}
    box_list = sorted(boxes.values(), key=lambda b: rank.get(b.name, len(rank)))
    kept = [n for n in kept if n.kind != "module"] + box_list
    where = {n.id: "m_" + "".join(c if c.isalnum() else "_" for c in group[n.id]) for n in nodes if n.id in group}
    new_edges = []
    for e in edges:
        a, b = where.get(e.tail, e.tail), where.get(e.head, e.head)
        if a != b:
            new_edges.append(GraphEdge(a, b))
    return kept, new_edges
