"""The bad-input catalogue, state: optimizers, schedulers and modules under bad values.

Each case gets a clear error naming the argument or key, and leaves the object as it was (no
half-applied step, no half-loaded state dict), or behaves as PyTorch does.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, nn, optim
from tinygrad_edu.optim import lr_scheduler


def _params(n: int = 2) -> list[nn.Parameter]:
    return [nn.Parameter(np.arange(3.0) + i) for i in range(n)]


def _snapshot(opt: optim.Optimizer) -> tuple:
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    state = {
        id(p): {k: (v.detach().numpy().copy() if isinstance(v, Tensor) else v) for k, v in st.items()}
        for p, st in opt.state.items()
    }
    return groups, state


def _trained_adam() -> tuple[optim.Adam, list[nn.Parameter]]:
    ps = _params()
    opt = optim.Adam(ps, lr=0.01)
    for p in ps:
        p.grad = Tensor(np.ones(3))
    opt.step()
    return opt, ps


# ----------------------------------------------------------------------------- Optimizer.load_state_dict


@pytest.mark.parametrize(
    "change, error, match",
    [
        ({"lr": -0.01}, ValueError, r"parameter group 0: Adam: invalid learning rate \(lr\) -0.01"),
        ({"lr": float("nan")}, ValueError, r"invalid learning rate \(lr\) nan"),
        ({"betas": (2, 3)}, ValueError, r"invalid beta parameter at index 0 \(betas\[0\]\) 2"),
        ({"betas": [0.9]}, ValueError, r"betas must be a pair"),
        ({"eps": float("inf")}, ValueError, r"invalid eps inf"),
        ({"weight_decay": "0.1"}, ValueError, r"weight_decay must be a number"),
        ({"amsgrad": "yes"}, TypeError, r"amsgrad must be True or False"),
    ],
    ids=["lr -0.01", "lr nan", "betas (2, 3)", "betas short", "eps inf", "weight_decay str", "amsgrad str"],
)
def test_optimizer_load_state_dict_validates_like_the_constructor(change, error, match):
    """(was: lr=-0.01 and betas=(2, 3) accepted, to blow up or climb at the next step)"""
    opt, _ = _trained_adam()
    sd = opt.state_dict()
    sd["param_groups"][0].update(change)
    before = _snapshot(opt)
    with pytest.raises(error, match=match):
        opt.load_state_dict(sd)
    after = _snapshot(opt)
    assert after[0] == before[0]  # hyper-parameters untouched
    assert after[1].keys() == before[1].keys()


def test_sgd_load_state_dict_refuses_nesterov_without_momentum():
    opt = optim.SGD(_params(), lr=0.1, momentum=0.9, nesterov=True)
    sd = opt.state_dict()
    sd["param_groups"][0]["momentum"] = 0.0
    with pytest.raises(ValueError, match="nesterov momentum requires a momentum > 0"):
        opt.load_state_dict(sd)
    assert opt.param_groups[0]["momentum"] == 0.9


@pytest.mark.parametrize(
    "value, match",
    [
        (np.ones(3, dtype=complex), r"state 'exp_avg' of parameter 0 has dtype complex128"),
        (np.array(["a", "b", "c"]), r"state 'exp_avg' of parameter 0 has dtype <U1"),
        (1 + 2j, r"state 'exp_avg' of parameter 0 is complex"),
        (np.ones(4), r"state 'exp_avg' of parameter 0 has shape \(4,\), the parameter has \(3,\)"),
    ],
    ids=["complex array", "strings", "complex number", "shape"],
)
def test_optimizer_state_values_are_checked_and_named(value, match):
    opt, ps = _trained_adam()
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"] = value
    kept = opt.state[ps[0]]["exp_avg"].detach().numpy().copy()
    with pytest.raises((TypeError, ValueError), match=match):
        opt.load_state_dict(sd)
    np.testing.assert_array_equal(opt.state[ps[0]]["exp_avg"].detach().numpy(), kept)


def test_a_valid_state_dict_still_round_trips_into_the_same_group_objects():
    opt, _ = _trained_adam()
    group = opt.param_groups[0]
    sd = opt.state_dict()
    sd["param_groups"][0]["lr"] = 0.5
    opt.load_state_dict(sd)
    assert opt.param_groups[0] is group and group["lr"] == 0.5


# ----------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("lr", [np.float32(0.1), np.float64(0.1), np.int64(1)], ids=["float32", "float64", "int64"])
def test_numpy_scalar_hyper_parameters_are_accepted(lr):
    """(was: 'lr must be a number, got np.float32(0.1)')"""
    p = nn.Parameter(np.ones(2))
    opt = optim.Adam([p], lr=lr, betas=(np.float32(0.9), np.float32(0.999)))
    assert type(opt.param_groups[0]["lr"]) in (float, int) and opt.param_groups[0]["lr"] == lr
    p.grad = Tensor(np.ones(2))
    opt.step()
    assert p.detach().numpy()[0] < 1.0


@pytest.mark.parametrize(
    "lr", [True, np.bool_(True), "0.1", None, Tensor(0.1)], ids=["bool", "np.bool_", "str", "None", "Tensor"]
)
def test_non_numbers_as_lr_are_refused(lr):
    with pytest.raises(ValueError, match=r"learning rate \(lr\) must be a number"):
        optim.SGD(_params(), lr=lr)


# ----------------------------------------------------------------------------- step


def test_step_checks_every_gradient_before_changing_any_parameter():
    """(was: the first parameter updated, then a RuntimeError for the second: a half-applied step)"""
    ps = _params()
    opt = optim.SGD(ps, lr=0.1, momentum=0.9)
    ps[0].grad = Tensor(np.ones(3))
    ps[1].grad = Tensor(np.ones(4))
    with pytest.raises(RuntimeError, match=r"gradient of parameter 1 .* has shape \(4,\); nothing was updated"):
        opt.step()
    np.testing.assert_array_equal(ps[0].detach().numpy(), np.arange(3.0))
    assert opt.state == {}  # no momentum buffer created either


def test_step_refuses_a_complex_or_integer_gradient():
    ps = _params()
    opt = optim.Adam(ps, lr=0.1)
    ps[0].grad = Tensor(np.ones(3))
    ps[1].grad = Tensor._make(np.ones(3, dtype=np.int64), "cpu")
    with pytest.raises(RuntimeError, match=r"parameter 1 .* has dtype int64; it must be real floating"):
        opt.step()
    np.testing.assert_array_equal(ps[0].detach().numpy(), np.arange(3.0))


def test_step_check_finite_refuses_nan_before_any_update():
    ps = _params()
    opt = optim.SGD(ps, lr=0.1)
    ps[0].grad = Tensor(np.ones(3))
    ps[1].grad = Tensor(np.array([1.0, np.nan, 1.0]))
    with pytest.raises(RuntimeError, match=r"parameter 1 .* holds NaN or infinity; nothing was updated"):
        opt.step(check_finite=True)
    np.testing.assert_array_equal(ps[0].detach().numpy(), np.arange(3.0))
    opt.step()  # not asked: NaN goes through, as in PyTorch
    assert np.isnan(ps[1].detach().numpy()[1])


# ----------------------------------------------------------------------------- schedulers and layers


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda o: lr_scheduler.ExponentialLR(o, gamma=float("nan")), r"ExponentialLR: invalid gamma nan"),
        (lambda o: lr_scheduler.ExponentialLR(o, gamma=-1), r"ExponentialLR: invalid gamma -1, it must be > 0"),
        (lambda o: lr_scheduler.ExponentialLR(o, gamma=0.0), r"ExponentialLR: invalid gamma 0.0"),
        (lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=float("inf")), r"StepLR: invalid gamma inf"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=float("nan")), r"invalid eta_min nan"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=float("nan")), r"ReduceLROnPlateau: invalid factor"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=-0.5), r"invalid factor -0.5, it must be in \(0, 1\)"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=-1), r"patience must be a non-negative integer"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=float("nan")), r"invalid min_lr nan"),
    ],
    ids=[
        "exp nan",
        "exp -1",
        "exp 0",
        "step inf",
        "cosine eta_min",
        "plateau nan",
        "plateau -0.5",
        "plateau patience",
        "plateau min_lr",
    ],
)
def test_schedulers_refuse_bad_factors(make, match):
    opt = optim.SGD(_params(), lr=0.1)
    with pytest.raises(ValueError, match=match):
        make(opt)
    assert opt.param_groups[0]["lr"] == 0.1


def test_a_schedule_that_gives_nan_is_refused_and_the_rate_kept():
    opt = optim.SGD(_params(), lr=0.1)
    sched = lr_scheduler.LambdaLR(opt, lambda epoch: 1.0 if epoch < 2 else float("nan"))
    sched.step()
    with pytest.raises(ValueError, match=r"LambdaLR: the learning rate of group 0 became nan at epoch 2"):
        sched.step()
    assert opt.param_groups[0]["lr"] == 0.1


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: nn.BatchNorm1d(3, eps=float("nan")), r"BatchNorm1d: eps must be a finite positive number, got nan"),
        (lambda: nn.BatchNorm2d(3, eps=float("inf")), r"BatchNorm2d: eps must be a finite positive number, got inf"),
        (lambda: nn.BatchNorm1d(3, eps=0.0), r"eps must be a finite positive number, got 0.0"),
        (lambda: nn.BatchNorm1d(3, momentum=float("nan")), r"momentum must be in \[0, 1\] or None"),
        (lambda: nn.LeakyReLU(float("nan")), r"LeakyReLU: negative_slope must be a finite number"),
        (lambda: nn.ELU(alpha=float("inf")), r"ELU: alpha must be a finite number"),
        (lambda: nn.Softplus(beta=0), r"Softplus: beta must not be zero"),
        (lambda: nn.Dropout(float("nan")), r"Dropout: probability p must be in \[0, 1\]"),
    ],
    ids=[
        "bn eps nan",
        "bn2d eps inf",
        "bn eps 0",
        "bn momentum nan",
        "leaky nan",
        "elu inf",
        "softplus 0",
        "dropout nan",
    ],
)
def test_layers_refuse_non_finite_settings(make, match):
    """(was: BatchNorm1d(eps=nan) accepted: every output NaN)"""
    with pytest.raises(ValueError, match=match):
        make()


def test_batch_norm_eps_as_a_numpy_scalar_is_accepted():
    assert nn.BatchNorm1d(3, eps=np.float32(1e-3)).eps == np.float32(1e-3)


# ----------------------------------------------------------------------------- module attributes


def test_assigning_a_plain_tensor_over_a_parameter_is_a_type_error():
    """(was: accepted, and the weight silently vanished from parameters() and state_dict())"""
    layer = nn.Linear(2, 3)
    w = layer.weight
    with pytest.raises(TypeError, match=r"cannot assign 'Tensor' as parameter 'weight' of Linear .*nn.Parameter"):
        layer.weight = Tensor(np.zeros((3, 2)))
    assert layer.weight is w and len(list(layer.parameters())) == 2
    layer.weight = nn.Parameter(np.zeros((3, 2)))  # a Parameter is fine, as in PyTorch
    assert set(layer.state_dict()) == {"weight", "bias"}
    layer.bias = None  # so is None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_torch_agrees_that_a_tensor_over_a_parameter_is_a_type_error():
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle for this convention")
    with pytest.raises(TypeError):
        torch.nn.Linear(2, 3).weight = torch.zeros(3, 2)


def test_assigning_a_non_module_over_a_submodule_or_a_non_tensor_over_a_buffer():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.bn = nn.BatchNorm1d(2)

    net = Net()
    with pytest.raises(TypeError, match=r"cannot assign 'int' as child module 'fc' of Net \(Module or None"):
        net.fc = 3
    with pytest.raises(TypeError, match=r"cannot assign 'ndarray' as buffer 'running_mean' of BatchNorm1d"):
        net.bn.running_mean = np.zeros(2)
    assert isinstance(net.fc, nn.Linear) and len(net.state_dict()) == 7


# ----------------------------------------------------------------------------- Module.load_state_dict


def _pair() -> nn.Sequential:
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))


def test_load_state_dict_swapping_two_aliased_weights():
    """(was: the first copy overwrote the array the second value shares: the same weights twice)"""
    model = _pair()
    w0, w1 = model[0].weight.detach().numpy().copy(), model[1].weight.detach().numpy().copy()
    sd = model.state_dict()  # tensors sharing the model's arrays
    sd["0.weight"], sd["1.weight"] = sd["1.weight"], sd["0.weight"]
    model.load_state_dict(sd)
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), w1)
    np.testing.assert_array_equal(model[1].weight.detach().numpy(), w0)


def test_load_state_dict_with_a_view_of_another_weight():
    model = _pair()
    w0 = model[0].weight.detach().numpy().copy()
    sd = model.state_dict()
    sd["1.weight"] = model[0].weight.data.T  # a transposed view of the weight written first
    sd["0.weight"] = Tensor(np.zeros((3, 3)))
    model.load_state_dict(sd)
    np.testing.assert_array_equal(model[1].weight.detach().numpy(), w0.T)


@pytest.mark.parametrize(
    "value, match",
    [
        (np.ones((3, 3), dtype=complex), r"0.weight: the value is complex \(complex128\)"),
        (Tensor._make(np.ones((3, 3), dtype=np.complex64), "cpu"), r"0.weight: the value is complex"),
        ([["a"] * 3] * 3, r"0.weight: cannot convert a list to float64"),
        ({"w": 1}, r"0.weight: cannot convert a dict"),
    ],
    ids=["complex array", "complex tensor", "strings", "dict"],
)
def test_load_state_dict_refuses_bad_values_naming_the_key(value, match):
    model = _pair()
    before = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    sd = {k: v.detach().numpy().copy() * 0 for k, v in model.state_dict().items()}
    sd["0.weight"] = value
    with pytest.raises(RuntimeError, match=match):
        model.load_state_dict(sd)
    for k, v in model.state_dict().items():  # nothing was half-loaded
        np.testing.assert_array_equal(v.detach().numpy(), before[k])


def test_nan_weights_in_a_state_dict_load_as_in_pytorch():
    model = _pair()
    sd = model.state_dict()
    sd = {k: Tensor(np.full(v.shape, math.nan)) for k, v in sd.items()}
    model.load_state_dict(sd)
    assert np.isnan(model[0].weight.detach().numpy()).all()


def test_load_state_dict_of_a_list_is_a_type_error():
    model = _pair()
    with pytest.raises(TypeError, match=r"Sequential.load_state_dict: expected a dict of name -> tensor, got a list"):
        model.load_state_dict(list(model.state_dict().values()))
