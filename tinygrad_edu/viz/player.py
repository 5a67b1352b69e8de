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

import html
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tinygrad_edu.fileio import atomic_write
from tinygrad_edu.tensor import Tensor
from tinygrad_edu.viz.graph import Graph, array_text, draw_graph
from tinygrad_edu.viz.steps import Frame, backward_steps

_CSS = """
body { font-family: Helvetica, Arial, sans-serif; margin: 12px; color: #222; }
.tg-player { display: flex; flex-direction: column; gap: 8px; }
.tg-controls { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.tg-controls button { font-size: 14px; padding: 3px 12px; }
.tg-controls input[type=range] { flex: 1; min-width: 160px; }
.tg-main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(300px, 2fr); gap: 14px; align-items: start; }
/* Both panes fit the window and scroll on their own, so the controls, the graph and the numbers
   stay in sight together; the graph pane follows the node being visited. */
.tg-graph, .tg-panel { max-height: calc(100vh - 130px); overflow: auto; }
.tg-graph { border: 1px solid #ddd; padding: 4px; }
.tg-graph svg { display: block; max-width: 100%; height: auto; }
.tg-panel { font-size: 13px; }
.tg-panel h3 { margin: 4px 0 6px 0; font-size: 15px; }
.tg-panel pre { background: #f7f7f7; padding: 6px; margin: 4px 0; white-space: pre-wrap; font-size: 12.5px; }
.tg-adjoint { font-weight: bold; }
table.tg-adj { border-collapse: collapse; font-size: 12px; margin-top: 6px; }
table.tg-adj td, table.tg-adj th { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
table.tg-adj tr.tg-changed td { background: #e7f6e7; }
table.tg-adj tr.tg-current-row td { background: #fde2e2; }
.tg-graph g.node.tg-current > :is(ellipse, polygon, path, rect) { stroke: #d62728; stroke-width: 4px; }
.tg-graph g.node.tg-output > :is(ellipse, polygon, path, rect) { stroke: #d62728; stroke-width: 2.5px; }
.tg-graph g.node.tg-receiving > :is(ellipse, polygon, path, rect) { stroke: #2ca02c; stroke-width: 3px; }
.tg-graph g.node.tg-visited > :is(ellipse, polygon, path, rect) { stroke-dasharray: 2, 2; }
.tg-graph g.edge.tg-flow > path { stroke: #2ca02c; stroke-width: 2.5px; }
.tg-graph g.edge.tg-flow > polygon { fill: #2ca02c; stroke: #2ca02c; }
.tg-legend { font-size: 12px; color: #555; }
"""

_JS = """
(function () {
  const root = document.getElementById("tg-player");
  const steps = JSON.parse(document.getElementById("tg-steps").textContent);
  const slider = document.getElementById("tg-slider");
  const playButton = document.getElementById("tg-play");
  let k = 0, timer = null;
  slider.max = steps.length - 1;
  function el(id) { return document.getElementById(id); }
  function node(id) { return root.querySelector('.tg-graph g[id="' + id + '"]'); }
  function mark(ids, cls) { ids.forEach(function (id) { const n = node(id); if (n) n.classList.add(cls); }); }
  function show(i) {
    k = Math.max(0, Math.min(steps.length - 1, i));
    const s = steps[k];
    root.querySelectorAll(".tg-current, .tg-output, .tg-receiving, .tg-visited, .tg-flow").forEach(function (n) {
      n.classList.remove("tg-current", "tg-output", "tg-receiving", "tg-visited", "tg-flow");
    });
    const adjoints = {}, visited = [];
    for (let i = 0; i <= k; i++) {
      Object.assign(adjoints, steps[i].changed);
      if (i > 0 && i < k) visited.push(steps[i].current);
    }
    mark(visited, "tg-visited");
    mark([s.current], "tg-current");
    if (s.output) mark([s.output], "tg-output");
    mark(s.receiving, "tg-receiving");
    mark(s.edges, "tg-flow");
    root.dataset.step = String(k);
    root.dataset.current = s.current;
    el("tg-step").textContent = "step " + k + " of " + (steps.length - 1);
    el("tg-title").textContent = s.title;
    el("tg-adjoint").textContent = s.adjoint;
    el("tg-detail").textContent = s.detail;
    document.querySelectorAll("table.tg-adj tr[data-node]").forEach(function (row) {
      const id = row.dataset.node;
      row.querySelector("td.tg-value").textContent = (id in adjoints) ? adjoints[id] : "\u2014";
      row.classList.toggle("tg-changed", s.receiving.indexOf(id) >= 0);
      row.classList.toggle("tg-current-row", id === s.output || id === s.current);
    });
    slider.value = String(k);
    el("tg-prev").disabled = k === 0;
    el("tg-next").disabled = k === steps.length - 1;
    follow(node(s.current));
  }
  // Scroll the graph pane (only it: not the page around a notebook's frame) so that the visited
  // node is in the middle of the pane whenever it is near an edge or out of sight.
  function follow(n) {
    if (!n) return;
    const pane = root.querySelector(".tg-graph");
    const p = pane.getBoundingClientRect(), r = n.getBoundingClientRect(), margin = 24;
    if (r.top < p.top + margin || r.bottom > p.bottom - margin) {
      pane.scrollTop += (r.top + r.bottom) / 2 - (p.top + p.bottom) / 2;
    }
    if (r.left < p.left + margin || r.right > p.right - margin) {
      pane.scrollLeft += (r.left + r.right) / 2 - (p.left + p.right) / 2;
    }
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; } playButton.textContent = "\u25b6 play"; }
  el("tg-prev").addEventListener("click", function () { stop(); show(k - 1); });
  el("tg-next").addEventListener("click", function () { stop(); show(k + 1); });
  el("tg-first").addEventListener("click", function () { stop(); show(0); });
  el("tg-last").addEventListener("click", function () { stop(); show(steps.length - 1); });
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  playButton.addEventListener("click", function () {
    if (timer) { stop(); return; }
    if (k === steps.length - 1) show(0);
    playButton.textContent = "\u275a\u275a pause";
    timer = setInterval(function () { show(k + 1); if (k >= steps.length - 1) stop(); }, INTERVAL);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "ArrowRight") { stop(); show(k + 1); }
    else if (e.key === "ArrowLeft") { stop(); show(k - 1); }
  });
  show(0);
})();
"""


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
        js = _JS.replace("INTERVAL", str(self.interval_ms))
        title = html.escape(self.title)
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{_CSS}</style></head>
<body>
<div class="tg-player" id="tg-player" data-step="0">
<h2 style="margin:0;font-size:18px">{title}</h2>
<div class="tg-controls">
<button id="tg-first" title="first step">|&#x25C0;</button>
<button id="tg-prev" title="previous step (left arrow)">&#x25C0; prev</button>
<button id="tg-play" title="play / pause">&#x25B6; play</button>
<button id="tg-next" title="next step (right arrow)">next &#x25B6;</button>
<button id="tg-last" title="last step">&#x25B6;|</button>
<input type="range" id="tg-slider" min="0" max="0" step="1" value="0" aria-label="step">
<span id="tg-step"></span>
</div>
<div class="tg-legend">red: the op the engine visits and the tensor it made; green: the inputs it sends
gradients to (along the green arrows, against the forward direction); dashed: ops already visited.</div>
<div class="tg-main">
<div class="tg-graph">{self.graph.svg()}</div>
<div class="tg-panel">
<h3 id="tg-title"></h3>
<div id="tg-adjoint" class="tg-adjoint"></div>
<pre id="tg-detail"></pre>
<table class="tg-adj"><tr><th>tensor</th><th>node</th><th>shape</th><th>adjoint dL/d(tensor) so far</th></tr>
{rows}</table>
</div></div></div>
<script type="application/json" id="tg-steps">{data}</script>
<script>{js}</script>
</body></html>
"""

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
