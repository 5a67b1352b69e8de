"""A step-through backward pass as one self-contained HTML page.

``BackwardPlayer(loss)`` draws the graph of ``loss`` (SVG, inline), records the backward pass
with :func:`~tinygrad_edu.viz.backward_steps`, and writes a page with previous / next / play
buttons, a slider and the arrow keys. At each step the node the engine visits is outlined in
red, the inputs it sends gradients to in green, and the panel shows the adjoint flowing in, the
local derivative, the chain-rule product and the adjoint accumulated so far for every tensor.
Everything (SVG, CSS, JavaScript, the numbers) is in the page: nothing is fetched when it is
viewed. In Jupyter the player shows inline (in an ``<iframe srcdoc>``, so that several players
on one page do not meet).
"""

from __future__ import annotations

import functools
import html
import json
import os
import string
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from tinygrad_edu.fileio import atomic_write
from tinygrad_edu.tensor import Tensor
from tinygrad_edu.viz.graph import Graph, array_text, draw_graph
from tinygrad_edu.viz.steps import Frame, backward_steps

_TEMPLATES = resources.files("tinygrad_edu.viz") / "templates"


@functools.cache
def _template(name: str) -> str:
    """A file of the page (HTML, CSS, JavaScript), shipped as package data in ``viz/templates``."""
    return (_TEMPLATES / name).read_text(encoding="utf-8")


def _text(t: Tensor | None, max_elements: int) -> str:
    return "" if t is None else " ".join(array_text(t.data, max_elements, 70, max_lines=6))


def _script_json(obj: Any) -> str:
    """JSON that is safe inside a <script> element whatever the names hold (``</script>``, ``<!--``)."""
    return json.dumps(obj).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class BackwardPlayer:
    """Step through the backward pass of ``loss`` in a browser or a notebook.

    ``BackwardPlayer(loss).save("backward.html")`` writes the page; in Jupyter the player shows
    itself. ``frames`` are the recorded :class:`~tinygrad_edu.viz.Frame` objects and ``graph``
    the drawn :class:`~tinygrad_edu.viz.Graph`; ``params``/``model`` name the parameters as in
    :func:`~tinygrad_edu.viz.draw_graph`. ``create_graph=True`` steps a pass that records
    itself (for higher derivatives). A graph of more than ``max_nodes`` nodes is drawn
    summarized (see ``draw_graph``); the steps still cover every node, and the page grows in
    proportion to the graph.
    """

    def __init__(
        self,
        loss: Tensor,
        gradient: Any = None,
        create_graph: bool = False,
        params: Mapping[str, Tensor] | None = None,
        model: Any = None,
        renderer: str = "auto",
        max_elements: int = 8,
        interval_ms: int = 1200,
        title: str = "Backward pass, step by step",
        max_nodes: int | None = 1500,
    ) -> None:
        self.frames: list[Frame] = backward_steps(loss, gradient, create_graph, params, model)
        self.graph: Graph = draw_graph(
            loss,
            show_values=True,
            show_grads=False,
            params=params,
            model=model,
            max_elements=max_elements,
            renderer=renderer,
            max_nodes=max_nodes,
        )
        self.root_id = self.graph.node_id(loss)
        self.root_name = self.graph.nodes[self.root_id].name
        self.seed = self.frames[0].grad_output if self.frames else None
        self.max_elements = max_elements
        self.interval_ms = int(interval_ms)
        self.title = title

    def steps(self) -> list[dict[str, Any]]:
        """What each step of the page shows (step 0 is the seed ``dL/dL = 1``), as plain data.

        Each step lists only what changes at it (``changed``: the new adjoints of the tensors it
        sends gradients to); the page rebuilds the adjoints so far and the ops already visited
        from the steps before, so that its size grows with the graph, not with its square.
        """
        m = self.max_elements
        names = {v: n.name for v, n in self.graph.nodes.items()}
        seed = _text(self.seed, m) if self.seed is not None else "1"
        out = [
            {
                "current": self.root_id,
                "output": None,
                "receiving": [],
                "edges": [],
                "title": f"start: the seed dL/d{self.root_name}",
                "adjoint": f"dL/d{self.root_name} = {seed}",
                "detail": "The backward pass starts at the loss with dL/dL = 1, then visits every op from the "
                "output back to the leaves, each one once all its consumers have sent their gradient.",
                "changed": {self.root_id: seed},
            }
        ]
        edge_ids = {(e.tail, e.head): f"e{i}" for i, e in enumerate(self.graph.edges)}
        for f in self.frames:
            receiving = [pid for pid, g in zip(f.input_ids, f.input_grads) if g is not None]
            detail = []
            if len(f.grad_output_parts) > 1:
                pieces = " + ".join(f"[from {names.get(op, op)} {op}: {_text(g, m)}]" for op, g in f.grad_output_parts)
                detail.append(f"dL/d{f.output_name} is the sum over its consumers: {pieces}")
            for name, local, chain, g in zip(f.input_names, f.local_derivatives, f.chain_rule, f.input_grads):
                if chain is None:
                    detail.append(f"{name}: no gradient needed (a constant)")
                    continue
                if local is not None:
                    detail.append(f"local derivative  d{f.output_name}/d{name} = {local}")
                detail.append(f"{chain}\n    = {_text(g, m)}")
            out.append(
                {
                    "current": f.op_id,
                    "output": f.output_id,
                    "receiving": receiving,
                    "edges": [edge_ids[(pid, f.op_id)] for pid in receiving if (pid, f.op_id) in edge_ids],
                    "title": f"step {f.index}: {f.op} ({f.op_id}) made {f.output_name}",
                    "adjoint": f"dL/d{f.output_name} = {_text(f.grad_output, m)}",
                    "detail": "\n".join(detail),
                    "changed": {k: _text(v, m) for k, v in f.changed.items()},
                }
            )
        return out

    def html(self) -> str:
        """The whole page as one string (no external resources)."""
        data = _script_json(self.steps())
        rows = "".join(
            f'<tr data-node="{v}"><td>{html.escape(n.name)}</td><td>{v}</td><td>{html.escape(str(n.shape))}</td>'
            f'<td class="tg-value">—</td></tr>'
            for v, n in self.graph.nodes.items()
            if n.kind == "tensor"
        )
        return string.Template(_template("player.html")).substitute(
            title=html.escape(self.title),
            css=_template("player.css"),
            js=_template("player.js"),
            interval=self.interval_ms,
            svg=self.graph.svg(),
            rows=rows,
            data=data,
        )

    def save(self, path: str | os.PathLike) -> Path:
        """Write the page to ``path`` (atomically) and return the path."""
        path = Path(path)
        atomic_write(path, self.html().encode("utf-8"), parents=True)
        return path

    def _repr_html_(self) -> str:
        doc = html.escape(self.html(), quote=True)
        return (
            f'<iframe srcdoc="{doc}" style="width:100%;height:720px;border:1px solid #ddd" '
            f'title="{html.escape(self.title)}"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<BackwardPlayer: {len(self.frames)} steps over {len(self.graph.nodes)} nodes>"
