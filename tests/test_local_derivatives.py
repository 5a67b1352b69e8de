"""Every op declares its local derivative once, in ``local``; the player, labels and docs read it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import tinygrad_edu.ops
from tinygrad_edu import derivative_text
from tinygrad_edu.autograd import Function


def op_classes() -> list[type[Function]]:
    """Every Function subclass defined in any module of tinygrad_edu.ops (new modules included)."""
    found = []
    for info in pkgutil.iter_modules(tinygrad_edu.ops.__path__):
        module = importlib.import_module(f"tinygrad_edu.ops.{info.name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Function) and obj.__module__ == module.__name__:
                found.append(obj)
    return found


def test_the_ops_are_found():
    names = {c.__name__ for c in op_classes()}
    assert {"Add", "Mul", "TanhOp", "MatMul", "Sum", "Reshape"} <= names
    assert len(names) > 40


@pytest.mark.parametrize("cls", op_classes(), ids=lambda c: c.__name__)
def test_every_op_declares_its_local_derivative(cls):
    assert cls.local, (
        f"{cls.__module__}.{cls.__name__} declares no local derivative: add a class attribute, e.g. "
        'local = "dy/dx = cos x" (see tinygrad_edu/ops/__init__.py)'
    )
    entries = derivative_text.parse(cls.__name__, cls.local)
    params = list(inspect.signature(cls.forward).parameters.values())[1:]
    named = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    varargs = any(p.kind is p.VAR_POSITIONAL for p in params)
    assert len(entries) == 1 or len(entries) == len(named) or (varargs and len(entries) > len(named)), (
        f"{cls.__name__}: {len(entries)} entries in local for {len(named)} inputs"
    )
    assert derivative_text.docstring_line(entries) in inspect.getdoc(cls), "the docstring shows it"


def test_the_docstrings_no_longer_repeat_the_rule_on_their_first_line():
    repeats = [c.__name__ for c in op_classes() if "    dL/d" in (c.__doc__ or "").splitlines()[0]]
    assert not repeats, f"rule written twice (docstring and local): {repeats}"


def test_the_player_has_no_table_of_rules():
    from tinygrad_edu.viz import steps

    assert not hasattr(steps, "LOCAL") and not hasattr(steps, "RULES")
    assert "split(" not in inspect.getsource(steps), "no parsing of docstrings"


def test_rename_is_one_pass_and_keeps_subscripts():
    assert derivative_text.rename("y * (dL/dy - sum_j dL/dy_j y_j)", {"y": "p", "x": "a"}) == (
        "p * (dL/dp - sum_j dL/dp_j p_j)"
    )
    assert derivative_text.rename("-x/y^2", {"x": "y", "y": "x"}) == "-y/x^2"
    assert derivative_text.rename("max(x, 0) exp e^x", {"x": "h1"}) == "max(h1, 0) exp e^h1"


def test_graph_labels_show_the_declared_derivative():
    from tinygrad_edu import Tensor
    from tinygrad_edu.viz import draw_graph

    x = Tensor([0.5], requires_grad=True)
    g = draw_graph(x.tanh().sin(), show_derivatives=True)
    (tanh,) = g.find("TanhOp")
    (sin,) = g.find("Sin")
    assert tanh.lines[1:] == ["dy/dx = 1 - y^2"] and sin.lines[1:] == ["dy/dx = cos x"]
    (plain,) = draw_graph(x.tanh()).find("TanhOp")
    assert plain.lines == ["TanhOp"]
