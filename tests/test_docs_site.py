"""The course website: it builds offline with warnings as errors, and every page works in a real browser.

The site is built once per test session with MkDocs (``mkdocs build --strict``, the command the
README gives), served from a local HTTP server, and every page is opened in headless Chromium:
no console error, no failed request, nothing fetched from outside, no link to a page that does
not exist. In tutorial 1 the step-through player is stepped inside the page.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
import zlib
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest

from helpers import CHROMIUM, launch_chromium

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("mkdocs", reason="building the site needs the docs extra (pip install -e '.[docs]')")
pytest.importorskip("mkdocstrings", reason="building the site needs the docs extra (pip install -e '.[docs]')")
pytest.importorskip("mkdocs_jupyter", reason="building the site needs the docs extra (pip install -e '.[docs]')")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    return out


def pages(site: Path) -> list[str]:
    """The site's pages as URL paths ('/', '/training/', ...)."""
    found = []
    for index in sorted(site.rglob("index.html")):
        rel = index.parent.relative_to(site).as_posix()
        if rel.startswith(("assets", "search")):
            continue
        found.append("/" if rel == "." else f"/{rel}/")
    return found


def test_every_tutorial_and_guide_is_a_page(site):
    found = set(pages(site))
    tutorials = sorted(p.stem for p in (ROOT / "tutorials").glob("*.ipynb"))
    assert len(tutorials) == 12
    for name in tutorials:
        assert f"/tutorials/{name}/" in found, name
    for guide in ("training", "physics", "course", "sklearn", "reliability"):
        assert f"/{guide}/" in found, guide
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "Set up and run" in home  # the README is the home page
    # a notebook page holds its outputs, not only its code
    t1 = (site / "tutorials" / "01_chain_rule" / "index.html").read_text(encoding="utf-8")
    assert "tg-player" in t1 and "<svg" in t1


def _inventory_names(site: Path) -> set[str]:
    """The object names in mkdocstrings' inventory (objects.inv, Sphinx's format)."""
    raw = (site / "objects.inv").read_bytes()
    body = raw.split(b"\n", 4)[4]  # four header lines, then zlib
    return {line.split(" ", 1)[0] for line in zlib.decompress(body).decode().splitlines()}


def test_api_reference_has_every_public_name(site):
    import importlib

    names = _inventory_names(site)
    modules = [
        "tinygrad_edu.autograd",
        "tinygrad_edu.func",
        "tinygrad_edu.nn",
        "tinygrad_edu.nn.functional",
        "tinygrad_edu.nn.init",
        "tinygrad_edu.nn.utils",
        "tinygrad_edu.optim",
        "tinygrad_edu.optim.lr_scheduler",
        "tinygrad_edu.data",
        "tinygrad_edu.train",
        "tinygrad_edu.physics",
        "tinygrad_edu.viz",
        "tinygrad_edu.course",
        "tinygrad_edu.sklearn",
    ]
    missing = []
    for mod_name in modules:
        mod = importlib.import_module(mod_name)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if isinstance(obj, type(os)):  # a submodule: documented on its own page
                continue
            home = f"{getattr(obj, '__module__', mod_name)}.{getattr(obj, '__qualname__', name)}"
            if f"{mod_name}.{name}" not in names and home not in names:  # listed where used or where defined
                missing.append(f"{mod_name}.{name}")
    assert "tinygrad_edu.tensor.Tensor" in names and "tinygrad_edu.tensor.Tensor.backward" in names
    assert not missing, f"public names without a reference entry: {missing}"


# ----------------------------------------------------------------------------- a real browser

playwright = pytest.importorskip(
    "playwright.sync_api", reason="the browser test needs playwright (pip install 'tinygrad-edu[test]')"
)
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="Chromium is not installed (apt install chromium)"
)


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with playwright.sync_playwright() as pw:
        ctx = launch_chromium(pw, tmp_path_factory.mktemp("profile"), viewport={"width": 1200, "height": 900})
        try:
            yield ctx
        finally:
            ctx.close()


def _exists(site: Path, url_path: str) -> bool:
    rel = url_path.lstrip("/")
    target = site / rel
    return target.is_file() or (target / "index.html").is_file()


@needs_chromium
def test_every_page_loads_without_errors_or_broken_links(site, server, browser):
    page = browser.new_page()
    problems: list[str] = []
    outside: list[str] = []

    def on_console(msg) -> None:
        if msg.type == "error":
            problems.append(f"console error: {msg.text}")

    def on_failed(request) -> None:
        # a request still running when the test moves on to the next page is aborted: not a fault
        if "ABORTED" not in (request.failure or ""):
            problems.append(f"request failed ({request.failure}): {request.url}")

    def on_response(response) -> None:
        if response.status >= 400:
            problems.append(f"HTTP {response.status}: {response.url}")

    def on_request(request) -> None:
        if urlparse(request.url).scheme in ("http", "https") and not request.url.startswith(server):
            outside.append(request.url)

    page.on("console", on_console)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.on("request", on_request)
    links: dict[str, str] = {}
    visited = pages(site)
    assert len(visited) >= 30  # home, 12 tutorials, the guides, the API reference
    for path in visited:
        before = len(problems)
        page.goto(server + path, wait_until="load")
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            url = urldefrag(href)[0]
            if url.startswith(server):
                links.setdefault(urlparse(url).path, path)
        problems[before:] = [f"{path}: {p}" for p in problems[before:]]
    broken = sorted(f"{target} (linked from {source})" for target, source in links.items() if not _exists(site, target))
    assert not problems, "\n".join(problems)
    assert not broken, f"broken links: {broken}"
    assert not outside, f"pages fetched from outside the site: {sorted(set(outside))[:10]}"
    page.close()


@needs_chromium
def test_maths_is_typeset(server, browser):
    page = browser.new_page()
    page.goto(server + "/tutorials/03_backprop_by_hand/", wait_until="load")
    page.wait_for_selector(".katex", timeout=10_000)
    assert page.locator(".katex").count() > 10
    assert "$$" not in page.inner_text("article")
    page.close()


@needs_chromium
def test_player_steps_inside_tutorial_1(server, browser):
    page = browser.new_page()
    page.goto(server + "/tutorials/01_chain_rule/", wait_until="load")
    frame = None
    for _ in range(50):
        frame = next((f for f in page.frames if f.query_selector("#tg-player")), None)
        if frame:
            break
        page.wait_for_timeout(100)
    assert frame is not None, "no step-through player on the page of tutorial 1"
    player = frame.locator("#tg-player")
    assert player.get_attribute("data-step") == "0"
    first = player.get_attribute("data-current")
    frame.click("#tg-next")
    assert player.get_attribute("data-step") == "1"
    assert player.get_attribute("data-current") != first
    assert frame.locator(".tg-graph g.tg-current").count() == 1
    frame.click("#tg-last")
    last = int(player.get_attribute("data-step"))
    assert last >= 3
    assert re.search(rf"step {last} of {last}\b", frame.inner_text("#tg-step"))
    page.close()
