"""Graphs survive backward: draw_graph(loss) after loss.backward() works (as torchviz), showing
the leaves' .grad; with retain_graph=True every node's adjoint; a second backward still raises."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_edu import Tensor, nn
from tinygrad_edu.viz import draw_graph


def leaves():
    x = Tensor([0.5, -1.0], requires_grad=True, name="x")
    w = Tensor([2.0, 3.0], requires_grad=True, name="w")
    return x, w


def test_draw_after_backward_shows_ops_leaves_and_their_grads():
    x, w = leaves()
    loss = (x * w).tanh().sum()
    before = draw_graph(loss)
    loss.backward()
    after = draw_graph(loss)
    assert [n.name for n in after.nodes.values() if n.kind == "op"] == ["Mul", "TanhOp", "Sum"]
    (xbox,) = after.find("x")
    grad = 2.0 * (1 - np.tanh(1.0) ** 2)  # dL/dx = w (1 - tanh^2(x w)) at x = 0.5, w = 2
    assert any(line.startswith("grad") and f"{grad:.4g}" in line for line in xbox.lines), xbox.lines
    assert not any(line.startswith("grad") for line in before.find("x")[0].lines)
    # the freed intermediates are left out; their arrows come from the op that made them
    mul, tanh, total = (after.find(k)[0].id for k in ("Mul", "TanhOp", "Sum"))
    assert mul in after.predecessors(tanh) and tanh in after.predecessors(total)
    assert sorted(after.predecessors(mul)) == sorted([after.find("x")[0].id, after.find("w")[0].id])
    assert after.find("loss") == [] and len(after.find(after.nodes[after.successors(total)[0]].name)) == 1
    assert "digraph" in after.source


def test_an_intermediate_the_user_holds_is_still_drawn():
    x, w = leaves()
    h = x * w
    h.name = "h"
    loss = h.tanh().sum()
    loss.backward()
    g = draw_graph(loss)
    (hbox,) = g.find("h")
    assert g.predecessors(hbox.id) == [g.find("Mul")[0].id]
    assert g.successors(hbox.id) == [g.find("TanhOp")[0].id]


def test_retain_graph_shows_every_adjoint():
    x, w = leaves()
    h = x * w
    h.name = "h"
    loss = h.tanh().sum()
    loss.backward(retain_graph=True)
    (hbox,) = draw_graph(loss).find("h")
    dh = 1 - np.tanh(np.array([1.0, -3.0])) ** 2
    grad_line = next(line for line in hbox.lines if line.startswith("grad"))
    assert f"{dh[0]:.4g}" in grad_line and f"{dh[1]:.4g}" in grad_line


def test_a_second_backward_still_raises_the_clear_error():
    x, w = leaves()
    loss = (x * w).sum()
    loss.backward()
    draw_graph(loss)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_a_model_graph_collapses_after_backward():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    loss = model(Tensor(np.ones((2, 3)))).sum()
    loss.backward()
    g = draw_graph(loss, model=model, collapse_modules=True)
    boxes = [n.name for n in g.nodes.values() if n.kind == "module"]
    assert boxes == ["0", "2"]
