"""BackwardPlayer: the self-contained page, and stepping through it in a real headless Chromium."""

import html
import json
import os
import re

import numpy as np
import pytest

from helpers import CHROMIUM, launch_chromium
from tinygrad_edu import Tensor
from tinygrad_edu.viz import BackwardPlayer, available_renderers


def neuron():
    w = Tensor(0.5, requires_grad=True, name="w")
    x = Tensor(2.0, name="x")
    b = Tensor(-0.3, requires_grad=True, name="b")
    z = w * x + b
    z.name = "z"
    y = z.tanh()
    y.name = "y"
    return w, x, b, z, y


DZ = 1 - np.tanh(0.7) ** 2


def test_steps_data_seed_then_one_step_per_frame():
    w, x, b, z, y = neuron()
    p = BackwardPlayer(y)
    steps = p.steps()
    assert len(steps) == len(p.frames) + 1 == 4
    g = p.graph
    assert steps[0]["current"] == g.node_id(y) and steps[0]["adjoint"] == "dL/dy = 1"
    assert [s["current"] for s in steps[1:]] == [g.node_id(y._ctx), g.node_id(z._ctx), g.node_id(z._ctx.inputs[0]._ctx)]
    assert steps[1]["adjoint"] == "dL/dy = 1" and steps[2]["adjoint"] == f"dL/dz = {DZ:.4g}"
    assert "dL/dz = dL/dy * (1 - y^2)" in steps[1]["detail"]
    assert steps[1]["receiving"] == [g.node_id(z)]
    assert steps[1]["edges"] == [
        f"e{i}" for i, e in enumerate(g.edges) if (e.tail, e.head) == (g.node_id(z), g.node_id(y._ctx))
    ]
    assert steps[0]["changed"] == {g.node_id(y): "1"}
    assert steps[1]["changed"] == {g.node_id(z): f"{DZ:.4g}"}
    assert g.node_id(w) not in steps[2]["changed"]  # each step lists only what it changes
    assert steps[3]["changed"] == {g.node_id(w): f"{2 * DZ:.4g}"}


def test_page_is_self_contained(tmp_path):
    *_, y = neuron()
    page = BackwardPlayer(y).save(tmp_path / "player.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(link|img|iframe)\b", page)
    assert not re.search(r"""\b(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing fetched
    assert "<script src" not in page and "@import" not in page
    assert page.count("<svg") == 1
    data = re.search(r'<script type="application/json" id="tg-steps">(.*?)</script>', page, re.S).group(1)
    assert len(json.loads(data)) == 4


def test_jupyter_repr_is_an_iframe_holding_the_page():
    *_, y = neuron()
    p = BackwardPlayer(y)
    out = p._repr_html_()
    assert out.startswith("<iframe srcdoc=")
    doc = html.unescape(re.search(r'srcdoc="(.*?)" style', out, re.S).group(1))
    assert doc == p.html()
    assert "3 steps" in repr(p)


# ----------------------------------------------------------------------------- real browser

playwright = pytest.importorskip(
    "playwright.sync_api", reason="the browser test needs playwright (pip install 'tinygrad-edu[test]')"
)
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="Chromium is not installed (apt install chromium)"
)


@pytest.fixture
def browser_page(tmp_path):
    with playwright.sync_playwright() as pw:
        ctx = launch_chromium(pw, tmp_path / "profile")
        try:
            page = ctx.new_page()
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            yield page, requests, errors
        finally:
            ctx.close()


def state(page):
    return {
        "step": page.get_attribute("#tg-player", "data-step"),
        "current": page.get_attribute("#tg-player", "data-current"),
        "highlighted": page.eval_on_selector_all(".tg-graph g.tg-current", "els => els.map(e => e.id)"),
        "receiving": page.eval_on_selector_all(".tg-graph g.tg-receiving", "els => els.map(e => e.id)"),
        "adjoint": page.text_content("#tg-adjoint"),
    }


def row(page, node_id):
    return page.text_content(f'table.tg-adj tr[data-node="{node_id}"] td.tg-value')


@needs_chromium
@pytest.mark.parametrize("renderer", sorted(set(available_renderers()) & {"dot", "python"}))
def test_stepping_in_headless_chromium(browser_page, tmp_path, renderer):
    page, requests, errors = browser_page
    w, x, b, z, y = neuron()
    p = BackwardPlayer(y, renderer=renderer, interval_ms=50)
    g = p.graph
    url = p.save(tmp_path / "player.html").resolve().as_uri()
    page.goto(url)
    s = state(page)
    assert s["step"] == "0" and s["current"] == g.node_id(y) and s["highlighted"] == [g.node_id(y)]
    assert s["adjoint"] == "dL/dy = 1"
    assert row(page, g.node_id(w)) == "—"

    page.click("#tg-next")  # the engine visits tanh: dL/dy flows in, dL/dz goes out
    s = state(page)
    assert s["step"] == "1" and s["highlighted"] == [g.node_id(y._ctx)] == [s["current"]]
    assert s["receiving"] == [g.node_id(z)]
    assert s["adjoint"] == "dL/dy = 1"
    assert "dL/dz = dL/dy * (1 - y^2)" in page.text_content("#tg-detail")
    assert row(page, g.node_id(z)) == f"{DZ:.4g}"

    page.click("#tg-next")  # add: its adjoint is now the one computed at the previous step
    s = state(page)
    assert s["highlighted"] == [g.node_id(z._ctx)] and s["adjoint"] == f"dL/dz = {DZ:.4g}"
    assert sorted(s["receiving"]) == sorted([g.node_id(z._ctx.inputs[0]), g.node_id(b)])
    assert row(page, g.node_id(b)) == f"{DZ:.4g}" and row(page, g.node_id(w)) == "—"

    page.keyboard.press("ArrowLeft")
    assert state(page)["step"] == "1"
    page.click("#tg-last")
    assert state(page)["step"] == "3"
    assert row(page, g.node_id(w)) == f"{2 * DZ:.4g}"
    assert page.is_disabled("#tg-next")

    page.click("#tg-first")
    page.click("#tg-play")  # plays to the end by itself
    page.wait_for_function("document.getElementById('tg-player').dataset.step === '3'")
    assert page.text_content("#tg-play").endswith("play")
    page.fill("#tg-slider", "2")  # the slider
    assert state(page)["step"] == "2"

    assert requests == [url] and errors == []


HOSTILE = ["<!--<script>", "</script><script>document.title='pwned'</script>", "a & b \"'", "]]><x>"]


@needs_chromium
def test_any_tensor_name_or_title_keeps_the_page_working(browser_page, tmp_path):
    page, requests, errors = browser_page
    a = Tensor([1.0, 2.0], requires_grad=True, name=HOSTILE[0])
    b = Tensor([3.0, -1.0], requires_grad=True, name=HOSTILE[1])
    c = a * b
    c.name = HOSTILE[2]
    loss = c.tanh().sum()
    loss.name = HOSTILE[3]
    p = BackwardPlayer(loss, title="<!-- a title </script>", interval_ms=50)
    page.goto(p.save(tmp_path / "player.html").resolve().as_uri())
    assert page.title() == "<!-- a title </script>"
    assert state(page)["step"] == "0"  # the script ran
    page.click("#tg-next")
    assert state(page)["step"] == "1"
    names = page.eval_on_selector_all("table.tg-adj tr[data-node] td:first-child", "els => els.map(e => e.textContent)")
    assert set(HOSTILE) <= set(names)
    assert errors == []


def deep_net_loss():
    """A 3-layer network's loss: a graph taller than a 1200x900 window."""
    from tinygrad_edu import nn
    from tinygrad_edu.nn import functional as F

    rng = np.random.default_rng(0)
    layers = [nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 1)]
    net = nn.Sequential(*layers)
    x = Tensor(rng.normal(size=(5, 3)), name="x")
    y = Tensor(rng.normal(size=(5, 1)), name="y")
    return F.mse_loss(net(x), y), net


@needs_chromium
def test_the_visited_node_stays_in_view(browser_page, tmp_path):
    page, requests, errors = browser_page
    page.set_viewport_size({"width": 1200, "height": 900})
    loss, net = deep_net_loss()
    p = BackwardPlayer(loss, model=net, renderer="python", interval_ms=50)
    page.goto(p.save(tmp_path / "player.html").resolve().as_uri())
    n_steps = len(p.frames) + 1
    graph_height = page.eval_on_selector(".tg-graph svg", "e => e.getBoundingClientRect().height")
    assert graph_height > 900, "the test needs a graph taller than the window"
    for k in range(n_steps):
        box = page.evaluate(
            """() => {
              const pane = document.querySelector('.tg-graph').getBoundingClientRect();
              const n = document.querySelector('.tg-graph g.tg-current').getBoundingClientRect();
              return {pane: [pane.top, pane.bottom], node: [n.top, n.bottom], win: window.innerHeight};
            }"""
        )
        top, bottom = box["node"]
        assert box["pane"][0] <= top and bottom <= box["pane"][1], f"step {k}: the visited node is outside the pane"
        assert 0 <= top and bottom <= box["win"], f"step {k}: the visited node is below the fold"
        if k < n_steps - 1:
            page.click("#tg-next")
    assert page.evaluate("window.scrollY") == 0  # the page itself did not have to scroll
    # the ops visited before the last step are dashed (rebuilt from the steps, not stored per step)
    assert page.locator(".tg-graph g.tg-visited").count() == n_steps - 2
    assert errors == []


def test_step_numbers_agree_between_player_and_frames():
    *_, y = neuron()
    p = BackwardPlayer(y)
    steps = p.steps()
    assert steps[0]["title"].startswith("start")  # step 0: the seed
    for k in range(1, len(steps)):
        assert steps[k]["title"].startswith(f"step {k}: ")
        assert p.frames[k - 1].index == k and str(p.frames[k - 1]).startswith(f"step {k}: ")


@needs_chromium
def test_the_example_player_a_student_opens_first(browser_page, tmp_path):
    """examples/backward_player.py (the README's way to a stepping player): names as in tutorial 1."""
    import importlib.util
    import math
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "examples" / "backward_player.py"
    spec = importlib.util.spec_from_file_location("backward_player", script)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    path = example.main(["--no-open", "--out", str(tmp_path / "bp.html")])
    page, requests, errors = browser_page
    page.goto(path.resolve().as_uri())
    names = page.eval_on_selector_all("table.tg-adj tr[data-node] td:first-child", "els => els.map(e => e.textContent)")
    assert {"x", "y", "w", "b", "z", "a", "C"} <= set(names)
    page.click("#tg-last")
    a = 1 / (1 + math.exp(-(-0.8 * 1.5 + 0.4)))
    delta = (a - 1.0) * a * (1 - a)  # the lecture's delta for this neuron
    rows = dict(
        zip(
            names,
            page.eval_on_selector_all("table.tg-adj tr[data-node] td.tg-value", "els => els.map(e => e.textContent)"),
        )
    )
    assert float(rows["w"]) == pytest.approx(delta * 1.5, rel=1e-3) and float(rows["b"]) == pytest.approx(
        delta, rel=1e-3
    )
    assert errors == []
