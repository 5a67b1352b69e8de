"""Rules of the engine's source code, checked on its syntax tree.

- Only ``backend.py`` may import NumPy or CuPy: every other engine module (the tensor, the ops,
  autograd, nn, optim, the function transforms, the NumPy/SciPy namespaces, physics, metrics and
  the training loop) gets its array library from there, so that the same code runs on the CPU and
  the GPU. File readers, plots and the scikit-learn glue work on host arrays and may import NumPy.
- No function of ``autograd.py`` calls itself: the graph walks are iterative, so a graph of any
  depth works without RecursionError.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tinygrad_edu

PACKAGE = Path(tinygrad_edu.__file__).resolve().parent
ENGINE = [
    "tensor.py",
    "autograd.py",
    "anomaly.py",
    "creation.py",
    "gradcheck.py",
    "linalg.py",
    "special.py",
    "extend.py",
    "func.py",
    "physics.py",
    "metrics.py",
    "train.py",
    "callbacks.py",
    "models.py",
    "ops",
    "nn",
    "optim",
    "numpy",
    "scipy",
]
FORBIDDEN = ("numpy", "cupy", "cupyx")


def engine_modules() -> list[Path]:
    """Every Python file of the engine's modules and packages that exist."""
    files: list[Path] = []
    for name in ENGINE:
        path = PACKAGE / name
        if path.is_dir():
            files.extend(sorted(path.rglob("*.py")))
        elif path.is_file():
            files.append(path)
    return files


def array_library_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import of NumPy or CuPy, at any depth (inside functions too)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in (
            "__import__",
            "import_module",
        ):
            names = [a.value for a in node.args[:1] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        else:
            continue
        found += [(node.lineno, n) for n in names if n.split(".")[0] in FORBIDDEN]
    return found


def test_the_engine_modules_exist():
    files = {p.name for p in engine_modules()}
    assert {"tensor.py", "autograd.py", "creation.py", "gradcheck.py", "arithmetic.py"} <= files


@pytest.mark.parametrize("path", engine_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_engine_module_does_not_import_numpy_or_cupy(path):
    bad = array_library_imports(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    assert not bad, (
        f"{path.relative_to(PACKAGE)} imports {', '.join(f'{m} (line {n})' for n, m in bad)}; "
        "engine code must get its array library from tinygrad_edu.backend (self.xp, t.xp, backend.*)"
    )


def test_backend_is_where_numpy_lives():
    assert "numpy" in {m for _, m in array_library_imports(ast.parse((PACKAGE / "backend.py").read_text()))}


def test_the_import_checker_sees_every_form():
    source = "import numpy as np\nfrom cupy import ndarray\ndef f():\n    import cupyx.scipy\n    __import__('numpy')\n"
    assert [m for _, m in array_library_imports(ast.parse(source))] == ["numpy", "cupy", "cupyx.scipy", "numpy"]
    assert array_library_imports(ast.parse("from tinygrad_edu import backend\nimport numbers\n")) == []


def recursive_functions(tree: ast.AST) -> list[str]:
    """Functions (and methods) whose body calls their own name, ``f(...)`` or ``self.f(...)``/``cls.f(...)``."""
    out = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if node is fn or not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Name) and f.id == fn.name:
                out.append(fn.name)
                break
            if (
                isinstance(f, ast.Attribute)
                and f.attr == fn.name
                and isinstance(f.value, ast.Name)
                and (f.value.id in ("self", "cls"))
            ):
                out.append(fn.name)
                break
    return out


def test_no_function_in_autograd_is_recursive():
    tree = ast.parse((PACKAGE / "autograd.py").read_text(encoding="utf-8"))
    assert recursive_functions(tree) == [], "graph walks must be iterative (a 200,000-node graph must work)"


def test_the_recursion_checker_finds_recursion():
    source = (
        "def walk(t):\n    for p in t.inputs:\n        walk(p)\n"
        "class A:\n    def visit(self, n):\n        return self.visit(n - 1)\n"
        "def fine(x):\n    return other(x)\n"
    )
    assert recursive_functions(ast.parse(source)) == ["walk", "visit"]
