"""Generate ``docs/autograd-coverage.md``: HIPS autograd's NumPy/SciPy surface and its status here.

    python docs/gen_coverage.py                          # rewrite the page
    python docs/gen_coverage.py --check                  # exit 1 when the page is out of date
    python docs/gen_coverage.py --extract DIR/autograd   # rewrite docs/autograd_surface.json

The surface (``docs/autograd_surface.json``) is read from autograd's own source: every function
given a derivative rule (``defvjp``, ``defvjp_argnum(s)``, ``defjvp``, ``def_linear``) in
``numpy/numpy_vjps.py``, ``numpy/numpy_jvps.py``, ``numpy/linalg.py``, ``numpy/fft.py`` and
``scipy/...``, the functions ``numpy_wrapper.py`` builds from them, and its ``nograd_functions``.
The status of each name is read from the namespaces' declared tables (``DIFFERENTIABLE``,
``VALUE_ONLY``, ``REFUSED``: :mod:`tinygrad_edu.numpy._table`), and the test that checks each
derivative from the registries of the tests (``GRAD_CASES``/``TESTED_ELSEWHERE`` in
``tests/test_numpy_namespace.py``, ``DERIVATIVE_TESTS`` in ``tests/test_scipy*.py``).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SURFACE = ROOT / "docs" / "autograd_surface.json"
PAGE = ROOT / "docs" / "autograd-coverage.md"

# --------------------------------------------------------------------------- reading autograd's source

RULE_CALLS = {"defvjp", "defvjp_argnum", "defvjp_argnums", "defjvp", "defjvp_argnum", "defjvp_argnums", "def_linear"}
# autograd's internal names for NumPy's functions
ALIASES = {
    "_primitive_mean": "mean",
    "_primitive_var": "var",
    "_primitive_std": "std",
    "_primitive_norm": "norm",
    "concatenate_args": "concatenate",
    "array_from_args": "array",
    "_array_from_scalar_or_array": "array",
}
FILES = {
    "numpy/numpy_vjps.py": "numpy",
    "numpy/numpy_jvps.py": "numpy",
    "numpy/linalg.py": "numpy.linalg",
    "numpy/fft.py": "numpy.fft",
    "scipy/special.py": "scipy.special",
    "scipy/linalg.py": "scipy.linalg",
    "scipy/signal.py": "scipy.signal",
    "scipy/integrate.py": "scipy.integrate",
}
# numpy_wrapper.py writes these in Python from differentiable primitives
WRAPPER_BUILT = ["concatenate", "vstack", "row_stack", "hstack", "column_stack", "array", "select", "stack", "append"]


def _rules(path: Path) -> dict[str, bool]:
    """name -> True when some rule of it is not None (False: declared without a derivative)."""
    out: dict[str, bool] = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in RULE_CALLS and node.args):
            continue
        target = node.args[0]
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
        if name is None:
            continue
        name = ALIASES.get(name, name)
        rules = node.args[1:] or [None]
        has_rule = node.func.id == "def_linear" or any(
            not (isinstance(r, ast.Constant) and r.value is None) for r in rules
        )
        out[name] = out.get(name, False) or has_rule
    return out


def _nograd(path: Path) -> list[str]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "nograd_functions":
            return [e.attr for e in node.value.elts]
    return []


def extract(src: Path) -> dict:
    """The surface of the autograd package at ``src`` (the folder holding ``numpy/``, ``scipy/``)."""
    import numpy  # noqa: PLC0415  (only here: the generator reads NumPy's names)

    files = dict(FILES)
    files.update({f"scipy/stats/{p.name}": f"scipy.stats.{p.stem}" for p in sorted((src / "scipy/stats").glob("*.py"))})
    differentiable: dict[str, set[str]] = {}
    no_derivative: dict[str, set[str]] = {}
    for rel, module in files.items():
        if not (src / rel).exists():
            continue
        for name, has_rule in _rules(src / rel).items():
            if name.startswith("_") or not _exists(module, name):
                continue  # autograd's own helpers (untake, make_diagonal, truncate_pad, adjoints)
            (differentiable if has_rule else no_derivative).setdefault(module, set()).add(name)
    differentiable["numpy"] |= {n for n in WRAPPER_BUILT if hasattr(numpy, n)}
    no_derivative.setdefault("numpy", set()).update(_nograd(src / "numpy/numpy_vjps.py"))
    return {
        "source": "HIPS autograd " + _version(src),
        "differentiable": {m: sorted(v) for m, v in sorted(differentiable.items())},
        "no_derivative": {m: sorted(v - differentiable.get(m, set())) for m, v in sorted(no_derivative.items())},
    }


def _exists(module: str, name: str) -> bool:
    """True when the NumPy/SciPy module autograd wraps has this name (in the versions installed)."""
    try:
        obj = importlib.import_module(module)
    except ImportError:  # scipy.stats.t: a distribution object inside scipy.stats
        parent, _, dist = module.rpartition(".")
        obj = getattr(importlib.import_module(parent), dist, None)
    return hasattr(obj, name)


def _version(src: Path) -> str:
    """autograd's version, from the wheel's ``.dist-info`` folder beside the package."""
    for info in sorted(src.parent.glob("autograd-*.dist-info")):
        return info.name.removeprefix("autograd-").removesuffix(".dist-info")
    return "(version unknown)"


# --------------------------------------------------------------------------- the status here

HERE = {  # autograd's module -> the module of tinygrad_edu that stands for it (else tinygrad_edu.<module>)
    "numpy": "tinygrad_edu.numpy",
    "numpy.linalg": "tinygrad_edu.numpy.linalg",
    "numpy.fft": "tinygrad_edu.numpy.fft",
}
STATUS_WORDS = {"differentiable": "differentiable", "value": "pass-through (no derivative)", "refused": "refused"}


def _test_registry() -> dict[str, str]:
    """Qualified name (``numpy.linalg.norm``, ``scipy.special.erf``) -> the test of its derivative."""
    sys.path.insert(0, str(ROOT / "tests"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        numpy_tests = importlib.import_module("test_numpy_namespace")
        scipy_tests = importlib.import_module("test_scipy")
        stats_tests = importlib.import_module("test_scipy_stats")
        linalg_tests = importlib.import_module("test_scipy_linalg_signal")
    case = "tests/test_numpy_namespace.py::test_differentiable_name_matches_numpy_and_finite_differences"
    out = {f"numpy.{name}": f"{case}[{name}]" for name in numpy_tests.GRAD_CASES}
    out.update({f"numpy.{name}": where for name, where in numpy_tests.TESTED_ELSEWHERE.items()})
    for registry in (scipy_tests.DERIVATIVE_TESTS, stats_tests.DERIVATIVE_TESTS, linalg_tests.DERIVATIVE_TESTS):
        out.update({f"scipy.{name}": where for name, where in registry.items()})
    return out


def status(module: str, name: str, tests: dict[str, str]) -> tuple[str, str]:
    """(status, the test that checks the derivative or the reason for a refusal) of one name here."""
    from tinygrad_edu.numpy import _table  # noqa: PLC0415

    here = HERE.get(module, f"tinygrad_edu.{module}")
    try:
        mod = importlib.import_module(here)
    except ImportError:
        parent = here.rpartition(".")[0]
        return "refused", f"not written yet: `{here}` does not exist (`{parent}` refuses it)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kind = _table.kind(mod, name)
    except AttributeError:
        return "absent", f"the installed {module.split('.')[0]} has no `{name}`"
    if kind == "differentiable":
        return kind, tests.get(f"{module}.{name}", "")
    if kind == "refused":
        return kind, getattr(mod, "REFUSED", {}).get(name, _table.NO_RULE)
    return kind, ""


def _cell(kind: str, detail: str) -> str:
    if kind == "differentiable":
        if not detail:
            return "**differentiable, but no derivative test is registered**"
        path, _, test = detail.partition("::")
        return f"[{test}](../{path})"
    return detail


def render(surface: dict, tests: dict[str, str]) -> str:
    """The Markdown page."""
    rows, counts = [], {}
    for module, names in surface["differentiable"].items():
        for name in names:
            kind, detail = status(module, name, tests)
            counts.setdefault(module, {}).setdefault(kind, 0)
            counts[module][kind] += 1
            rows.append(f"| `{module}.{name}` | {STATUS_WORDS.get(kind, kind)} | {_cell(kind, detail)} |")
    nograd = []
    for module, names in surface["no_derivative"].items():
        for name in names:
            kind, detail = status(module, name, tests)
            nograd.append(f"| `{module}.{name}` | {STATUS_WORDS.get(kind, kind)} | {_cell(kind, detail)} |")
    summary = ["| autograd module | " + " | ".join(STATUS_WORDS.values()) + " | absent |", "|---|---|---|---|---|"]
    for module, c in counts.items():
        cols = [str(c.get(k, 0)) for k in (*STATUS_WORDS, "absent")]
        summary.append(f"| `{module}` | " + " | ".join(cols) + " |")
    total = {k: sum(c.get(k, 0) for c in counts.values()) for k in (*STATUS_WORDS, "absent")}
    summary.append("| **all** | " + " | ".join(f"**{v}**" for v in total.values()) + " |")
    return "\n".join(
        [
            "# HIPS autograd's NumPy and SciPy surface in tinygrad_edu",
            "",
            "<!-- Generated by docs/gen_coverage.py from docs/autograd_surface.json and the namespaces' "
            "declared tables; do not edit by hand (tests/test_coverage_page.py fails when it is out of date). -->",
            "",
            f"Every function that {surface['source']} differentiates (it gives it a derivative rule in "
            "`numpy/numpy_vjps.py`, `numpy/numpy_jvps.py`, `numpy/linalg.py`, `numpy/fft.py` or `scipy/...`, "
            "or builds it from such functions), and the status of the same name in `tinygrad_edu.numpy` / "
            "`tinygrad_edu.scipy`: **differentiable** (the linked test checks its derivative against "
            "finite differences), **pass-through** (NumPy's function on the values, no derivative), or "
            "**refused** with the reason (given a Tensor that requires grad, it raises that error instead of "
            "silently dropping the derivative; on plain arrays it is NumPy's or SciPy's function).",
            "",
            "Regenerate with `python docs/gen_coverage.py`. How the namespaces work: [transforms.md](transforms.md).",
            "",
            "## Summary",
            "",
            *summary,
            "",
            "## Differentiable in autograd",
            "",
            "| function | here | derivative test, or why not |",
            "|---|---|---|",
            *rows,
            "",
            "## Without a derivative in autograd (its `nograd_functions`)",
            "",
            "| function | here | note |",
            "|---|---|---|",
            *nograd,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the page is out of date")
    parser.add_argument("--extract", type=Path, help="autograd's package folder: rewrite the surface from it")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.extract:
        SURFACE.write_text(json.dumps(extract(args.extract), indent=1) + "\n")
    page = render(json.loads(SURFACE.read_text()), _test_registry())
    if args.check:
        if PAGE.read_text() != page:
            print(f"{PAGE.relative_to(ROOT)} is out of date: run python docs/gen_coverage.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
