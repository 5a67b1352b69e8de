"""Shrinking a graph too large to read: long chains become one node, far-away nodes one more.

:func:`~tinygrad_edu.viz.draw_graph` calls :func:`summarize` when a graph has more than
``max_nodes`` nodes (after collapsing modules, where a model names them) and says so in a
warning. What stays is what a student looks at first: the nodes nearest the output.
"""

from __future__ import annotations

from collections import deque

from tinygrad_edu.viz.graph import GraphEdge, GraphNode, _cap


def _links(nodes: list[GraphNode], edges: list[GraphEdge]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    pred: dict[str, list[str]] = {n.id: [] for n in nodes}
    succ: dict[str, list[str]] = {n.id: [] for n in nodes}
    for e in edges:
        succ[e.tail].append(e.head)
        pred[e.head].append(e.tail)
    return pred, succ


def _merge(
    nodes: list[GraphNode], edges: list[GraphEdge], into: dict[str, str], boxes: list[GraphNode]
) -> tuple[list[GraphNode], list[GraphEdge]]:
    """Replace the nodes in ``into`` by the boxes they map to; edges inside a box disappear."""
    kept = [n for n in nodes if n.id not in into] + boxes
    moved = (GraphEdge(into.get(e.tail, e.tail), into.get(e.head, e.head)) for e in edges)
    return kept, list(dict.fromkeys(e for e in moved if e.tail != e.head))


def elide_chains(
    nodes: list[GraphNode], edges: list[GraphEdge], keep: set[str], min_length: int = 3, max_chars: int = 40
) -> tuple[list[GraphNode], list[GraphEdge]]:
    """Draw every run of ``min_length`` or more nodes that follow one another (one way in, one
    way out) as one box naming the ops it holds."""
    pred, succ = _links(nodes, edges)
    by_id = {n.id: n for n in nodes}

    def inner(v: str) -> bool:
        return v not in keep and len(pred[v]) == 1 and len(succ[v]) == 1

    into: dict[str, str] = {}
    boxes = []
    for n in nodes:
        v = n.id
        if not inner(v) or (inner(pred[v][0]) and succ[pred[v][0]] == [v]):
            continue  # not in a run, or not its first node
        run = [v]
        while inner(succ[run[-1]][0]) and pred[succ[run[-1]][0]] == [run[-1]]:
            run.append(succ[run[-1]][0])
        if len(run) < min_length:
            continue
        ops = list(dict.fromkeys(by_id[u].name for u in run if by_id[u].kind == "op"))
        box = GraphNode(
            f"chain_{v}", "module", "chain", [f"... {len(run)} nodes ...", _cap(", ".join(ops), max_chars)], "module"
        )
        boxes.append(box)
        into.update(dict.fromkeys(run, box.id))
    return _merge(nodes, edges, into, boxes)


def keep_nearest(
    nodes: list[GraphNode], edges: list[GraphEdge], roots: set[str], max_nodes: int
) -> tuple[list[GraphNode], list[GraphEdge]]:
    """Keep the ``max_nodes - 1`` nodes nearest the roots (against the arrows); the rest become one box."""
    pred, _ = _links(nodes, edges)
    seen: dict[str, None] = {}
    todo = deque(r for r in roots if r in pred)
    while todo and len(seen) < max_nodes - 1:
        v = todo.popleft()
        if v in seen:
            continue
        seen[v] = None
        todo.extend(pred[v])
    rest = [n.id for n in nodes if n.id not in seen]
    if not rest:
        return nodes, edges
    box = GraphNode("elided", "module", "elided", [f"... {len(rest)} earlier nodes ..."], "module")
    return _merge(nodes, edges, dict.fromkeys(rest, box.id), [box])


def summarize(
    nodes: list[GraphNode], edges: list[GraphEdge], roots: set[str], max_nodes: int, max_chars: int = 40
) -> tuple[list[GraphNode], list[GraphEdge]]:
    """At most ``max_nodes`` nodes: chains elided first, then the nodes farthest from the roots."""
    if len(nodes) > max_nodes:
        nodes, edges = elide_chains(nodes, edges, roots, max_chars=max_chars)
    if len(nodes) > max_nodes:
        nodes, edges = keep_nearest(nodes, edges, roots, max_nodes)
    return nodes, edges
