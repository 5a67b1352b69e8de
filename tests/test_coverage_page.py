"""docs/autograd-coverage.md is generated (docs/gen_coverage.py) and must match the code: it lists
HIPS autograd's NumPy/SciPy surface (docs/autograd_surface.json) with each name's status here."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_coverage", ROOT / "docs" / "gen_coverage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()
SURFACE = json.loads((ROOT / "docs" / "autograd_surface.json").read_text())


def test_the_page_is_up_to_date():
    page = GEN.render(SURFACE, GEN._test_registry())
    assert (ROOT / "docs" / "autograd-coverage.md").read_text() == page, (
        "docs/autograd-coverage.md is out of date: run python docs/gen_coverage.py"
    )


def test_the_surface_holds_autograds_names_from_the_issue():
    d = SURFACE["differentiable"]
    assert {"prod", "cumsum", "einsum", "tensordot", "kron", "diag", "pad", "sort", "where"} <= set(d["numpy"])
    assert {"inv", "det", "slogdet", "solve", "norm", "cholesky", "eigh", "svd"} <= set(d["numpy.linalg"])
    assert {"logsumexp", "expit", "logit", "erf", "erfc", "gammaln", "digamma", "polygamma", "psi"} <= set(
        d["scipy.special"]
    )
    assert {"pdf", "logpdf", "cdf", "logcdf"} <= set(d["scipy.stats.norm"])
    assert "argmax" in SURFACE["no_derivative"]["numpy"] and "gammasgn" in SURFACE["no_derivative"]["scipy.special"]


def test_every_differentiable_name_links_an_existing_test():
    page = (ROOT / "docs" / "autograd-coverage.md").read_text()
    assert "no derivative test is registered" not in page
    links = re.findall(r"\| differentiable \| \[([\w\[\].\-, ]+?)\]\(\.\./(tests/[\w/]+\.py)\) \|", page)
    rows = [line for line in page.splitlines() if line.startswith("| `") and "| differentiable |" in line]
    assert len(links) == len(rows) > 20
    for test, path in links:
        name = test.split("[")[0]
        tree = ast.parse((ROOT / path).read_text())
        assert name in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}, (path, name)


def test_the_status_follows_the_declared_tables():
    tests = GEN._test_registry()
    assert GEN.status("scipy.special", "erf", tests)[0] == "differentiable"
    assert GEN.status("scipy.special", "gammasgn", tests)[0] == "value"
    assert GEN.status("numpy", "argmax", tests)[0] == "value"
    kind, reason = GEN.status("scipy.stats.t", "pdf", tests)
    assert kind in ("differentiable", "refused") and (kind == "differentiable" or "not written" in reason)
