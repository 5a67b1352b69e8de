"""Static checks of the tutorial notebooks (executing them is CI's ``pytest --nbmake tutorials/``).

Each notebook must be committed with its outputs and without errors, stay under 1 MB, use the
``python3`` kernel, assert something, and be listed in ``tutorials/README.md``; links between the
notebooks must point to files that exist.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parent.parent / "tutorials"
NOTEBOOKS = sorted(TUTORIALS.glob("*.ipynb"))
README = TUTORIALS / "README.md"


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def test_there_are_tutorials():
    assert NOTEBOOKS, f"no notebooks found in {TUTORIALS}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_small_valid_and_uses_python3(path):
    size = path.stat().st_size
    assert size < 1_000_000, f"{path.name} is {size:,} bytes; keep notebooks under 1 MB (smaller figures)"
    nb = _load(path)
    assert nb["nbformat"] == 4
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert re.match(r"\d\d_[a-z0-9_]+\.ipynb$", path.name), f"{path.name}: name it NN_topic.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_executed_and_without_errors(path):
    cells = [c for c in _load(path)["cells"] if c["cell_type"] == "code" and _source(c).strip()]
    assert cells, f"{path.name} has no code"
    counts = [c.get("execution_count") for c in cells]
    assert None not in counts, f"{path.name}: cell {counts.index(None)} was not executed; commit it with outputs"
    assert counts == sorted(counts), f"{path.name}: cells were executed out of order {counts}; run it top to bottom"
    for c in cells:
        for out in c.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name}: a cell failed: {out.get('ename')}: {out.get('evalue')}"
    assert any(c.get("outputs") for c in cells), f"{path.name} has no outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_asserts_its_claims(path):
    code = "\n".join(_source(c) for c in _load(path)["cells"] if c["cell_type"] == "code")
    assert re.search(r"^\s*assert\b", code, re.M), f"{path.name} asserts nothing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_links_between_notebooks_exist(path):
    text = "\n".join(_source(c) for c in _load(path)["cells"] if c["cell_type"] == "markdown")
    for target in re.findall(r"\]\(([^)#\s]+\.ipynb)", text):
        assert (TUTORIALS / target).exists(), f"{path.name} links to {target}, which does not exist"


def test_readme_lists_every_notebook_in_order():
    text = README.read_text(encoding="utf-8")
    linked = re.findall(r"\]\(([^)#\s]+\.ipynb)\)", text)
    for target in linked:
        assert (TUTORIALS / target).exists(), f"README links to {target}, which does not exist"
    missing = [p.name for p in NOTEBOOKS if p.name not in linked]
    assert not missing, f"README.md does not list {missing}"
    assert linked == sorted(linked), f"README lists the notebooks out of order: {linked}"
