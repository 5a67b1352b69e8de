"""An op class (a graph node) never shares its name with an nn module (a layer): ``nn.Tanh`` is
the layer, ``TanhOp`` the node it records, so a student never confuses the two."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import tinygrad_edu.nn
import tinygrad_edu.ops
from tinygrad_edu.autograd import Function


def classes_in(package, base=None) -> dict[str, type]:
    found = {}
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and obj.__module__ == module.__name__ and (base is None or issubclass(obj, base)):
                found[name] = obj
    return found


def test_no_op_shares_a_name_with_an_nn_class():
    ops = classes_in(tinygrad_edu.ops, Function)
    layers = classes_in(tinygrad_edu.nn)
    assert len(ops) > 40 and "Linear" in layers and "Tanh" in layers
    shared = sorted(set(ops) & set(layers))
    assert not shared, f"op classes named like nn classes (rename the op to <Name>Op): {shared}"


def test_the_renamed_ops_are_the_layers_ops():
    from tinygrad_edu import Tensor, nn

    x = Tensor([[0.5, -1.0]], requires_grad=True)
    assert nn.Tanh()(x).grad_fn.name == "TanhOp"
    assert nn.Linear(2, 3)(x).grad_fn.name == "LinearOp"
    assert nn.ReLU()(x).grad_fn.name == "ReLUOp"
