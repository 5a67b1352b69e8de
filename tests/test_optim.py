"""Optimizers and learning-rate schedules against torch.optim, step for step, in float64."""

import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.optim import lr_scheduler

try:
    import torch
except ImportError:  # the oracle tests skip; the others still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed; pip install .[test]")

RNG = np.random.default_rng(1234)
X = RNG.standard_normal((16, 4))
Y = RNG.standard_normal((16, 3))
W0 = RNG.standard_normal((3, 4)) * 0.5
B0 = RNG.standard_normal(3) * 0.5


def _loss_ours(w, b):
    z = tg.Tensor(X) @ w.T + b
    return ((z.tanh() - tg.Tensor(Y)) ** 2).mean() + (w**4).sum() * 0.01


def _loss_torch(w, b):
    z = torch.tensor(X) @ w.T + b
    return ((z.tanh() - torch.tensor(Y)) ** 2).mean() + (w**4).sum() * 0.01


def _run_pair(our_cls, torch_cls, kwargs, steps=100, groups=False, torch_kwargs=None):
    """Run both optimizers on the same problem; return the two final (w, b) pairs."""
    w, b = nn.Parameter(W0.copy()), nn.Parameter(B0.copy())
    tw = torch.tensor(W0.copy(), requires_grad=True)
    tb = torch.tensor(B0.copy(), requires_grad=True)
    tkw = kwargs if torch_kwargs is None else torch_kwargs
    if groups:  # two groups, the bias with its own learning rate
        ours = our_cls([{"params": [w]}, {"params": [b], "lr": kwargs["lr"] * 0.5}], **kwargs)
        theirs = torch_cls([{"params": [tw]}, {"params": [tb], "lr": kwargs["lr"] * 0.5}], **tkw)
    else:
        ours, theirs = our_cls([w, b], **kwargs), torch_cls([tw, tb], **tkw)
    for _ in range(steps):
        ours.zero_grad()
        _loss_ours(w, b).backward()
        ours.step()
        theirs.zero_grad()
        _loss_torch(tw, tb).backward()
        theirs.step()
    return (w.detach().numpy(), b.detach().numpy()), (tw.detach().numpy(), tb.detach().numpy())


CASES = [
    (optim.SGD, "SGD", dict(lr=0.1)),
    (optim.SGD, "SGD", dict(lr=0.05, momentum=0.9)),
    (optim.SGD, "SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    (optim.SGD, "SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    (optim.SGD, "SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1)),
    (optim.SGD, "SGD", dict(lr=0.05, momentum=0.5, maximize=False, weight_decay=0.01, nesterov=True)),
    (optim.Adagrad, "Adagrad", dict(lr=0.1)),
    (optim.Adagrad, "Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
    (optim.Adagrad, "Adagrad", dict(lr=0.1, eps=1e-6)),
    (optim.RMSprop, "RMSprop", dict(lr=0.01)),
    (optim.RMSprop, "RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.9)),
    (optim.RMSprop, "RMSprop", dict(lr=0.01, centered=True)),
    (optim.RMSprop, "RMSprop", dict(lr=0.005, centered=True, momentum=0.8, weight_decay=0.05, eps=1e-6)),
    (optim.Adam, "Adam", dict(lr=0.01)),
    (optim.Adam, "Adam", dict(lr=0.01, amsgrad=True)),
    (optim.Adam, "Adam", dict(lr=0.01, weight_decay=0.1, betas=(0.8, 0.99), eps=1e-6)),
    (optim.Adam, "Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    (optim.AdamW, "AdamW", dict(lr=0.01)),
    (optim.AdamW, "AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]


@needs_torch
@pytest.mark.parametrize("cls,torch_name,kwargs", CASES, ids=[f"{c[1]}-{c[2]}" for c in CASES])
def test_matches_torch_for_100_steps(cls, torch_name, kwargs):
    ours, theirs = _run_pair(cls, getattr(torch.optim, torch_name), kwargs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
    assert not np.allclose(ours[0], W0)  # the parameters did move


@needs_torch
@pytest.mark.parametrize("cls,torch_name,kwargs", [CASES[1], CASES[7], CASES[12], CASES[16]])
def test_param_groups_with_own_learning_rates_match_torch(cls, torch_name, kwargs):
    ours, theirs = _run_pair(cls, getattr(torch.optim, torch_name), kwargs, steps=30, groups=True)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


@needs_torch
def test_maximize_matches_torch():
    ours, theirs = _run_pair(optim.Adam, torch.optim.Adam, dict(lr=0.01, maximize=True), steps=20)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


ADAM_FLAT_CASES = [
    (optim.Adam, dict(lr=0.01)),
    (optim.Adam, dict(lr=0.01, amsgrad=True, maximize=True)),
    (optim.Adam, dict(lr=0.01, weight_decay=0.1, betas=(0.8, 0.99), eps=1e-6)),
    (optim.AdamW, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]


@pytest.mark.parametrize("cls,kwargs", ADAM_FLAT_CASES, ids=[f"{c[0].__name__}-{c[1]}" for c in ADAM_FLAT_CASES])
def test_adam_updates_a_group_at_once_exactly_as_each_parameter_alone(cls, kwargs):
    """Adam updates a group's parameters as one flat array: bit for bit the per-parameter rule
    (each parameter in an optimizer of its own), also after a state dict is loaded and, one
    parameter having missed steps, when the group falls back to one parameter at a time."""
    rng = np.random.default_rng(7)
    shapes = [(3, 4), (3,), (2, 2)]
    start = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(12)]
    together = [nn.Parameter(a.copy()) for a in start]
    alone = [nn.Parameter(a.copy()) for a in start]
    opt = cls(together, **kwargs)
    singles = [cls([p], **kwargs) for p in alone]
    for step, gs in enumerate(grads):
        for i, (p, q, g) in enumerate(zip(together, alone, gs)):
            missing = step == 6 and i == 1  # a parameter without a gradient: from now on steps differ
            p.grad = None if missing else tg.Tensor(g.copy())
            q.grad = None if missing else tg.Tensor(g.copy())
        if step == 3:  # a state dict loaded in between: the moments are copied into new arrays
            opt.load_state_dict(opt.state_dict())
        opt.step()
        for o in singles:
            o.step()
        for p, q, o in zip(together, alone, singles):
            np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
            for key, value in o.state[q].items():
                mine = opt.state[p][key]
                np.testing.assert_array_equal(getattr(mine, "data", mine), getattr(value, "data", value))
                assert getattr(mine, "shape", ()) == getattr(value, "shape", ())
        # the group was updated as one array: its parameters' moments are views of one buffer
        # (the loaded copies too, from the next step on)
        assert _root(opt.state[together[0]]["exp_avg"].data) is _root(opt.state[together[2]]["exp_avg"].data)


def _root(a):
    """The array that owns ``a``'s memory."""
    while a.base is not None:
        a = a.base
    return a


def test_adam_updates_large_parameters_one_by_one():
    """Flat moments only for small groups (beyond, the flat arrays fall out of the cache)."""
    ps = [nn.Parameter(RNG.standard_normal((200, 100))), nn.Parameter(RNG.standard_normal((200, 100)))]
    opt = optim.Adam(ps, lr=0.1)
    for p in ps:
        p.grad = tg.Tensor(np.ones(p.shape))
    opt.step()
    assert _root(opt.state[ps[0]]["exp_avg"].data) is not _root(opt.state[ps[1]]["exp_avg"].data)
    np.testing.assert_allclose(opt.state[ps[1]]["exp_avg"].data, 0.1)


def test_a_subclass_of_adam_with_its_own_update_rule_gets_it_called():
    calls = []

    class LoggedAdam(optim.Adam):
        def _update(self, p, grad, state, group):
            calls.append(p)
            super()._update(p, grad, state, group)

    w, b = nn.Parameter(W0.copy()), nn.Parameter(B0.copy())
    opt = LoggedAdam([w, b], lr=0.1)
    _loss_ours(w, b).backward()
    opt.step()
    assert calls == [w, b]


def test_adam_group_with_mixed_dtypes_updates_each_parameter_in_its_own_dtype():
    w, b = nn.Parameter(W0.astype(np.float32)), nn.Parameter(B0.copy())
    opt = optim.Adam([w, b], lr=0.1)
    _loss_ours(w, b).backward()
    opt.step()
    assert opt.state[w]["exp_avg"].dtype == np.float32 and opt.state[b]["exp_avg"].dtype == np.float64
    assert w.dtype == np.float32 and not np.array_equal(w.detach().numpy(), W0.astype(np.float32))


def test_adagrad_momentum_follows_its_formula():
    """The lecture's rule, v = mu v + eta g / (sqrt(G) + eps), theta -= v, against NumPy."""
    w = nn.Parameter(W0.copy())
    b = nn.Parameter(B0.copy())
    opt = optim.AdagradMomentum([w, b], lr=0.05, momentum=0.9)
    ref = [W0.copy(), B0.copy()]
    G = [np.zeros_like(r) for r in ref]
    V = [np.zeros_like(r) for r in ref]
    for _ in range(50):
        opt.zero_grad()
        _loss_ours(w, b).backward()
        grads = [w.grad.numpy().copy(), b.grad.numpy().copy()]
        # the reference is evaluated at the same point as ours
        np.testing.assert_allclose(w.detach().numpy(), ref[0], atol=1e-12)
        opt.step()
        for i, g in enumerate(grads):
            G[i] += g * g
            V[i] = 0.9 * V[i] + 0.05 * g / (np.sqrt(G[i]) + 1e-8)
            ref[i] = ref[i] - V[i]
    np.testing.assert_allclose(w.detach().numpy(), ref[0], atol=1e-12)
    np.testing.assert_allclose(b.detach().numpy(), ref[1], atol=1e-12)


def test_sgd_is_the_lecture_update_rule():
    """theta <- theta - eta dC/dtheta for plain SGD."""
    w = nn.Parameter(W0.copy())
    b = nn.Parameter(B0.copy())
    _loss_ours(w, b).backward()
    g = w.grad.numpy().copy()
    optim.SGD([w, b], lr=0.3).step()
    np.testing.assert_allclose(w.detach().numpy(), W0 - 0.3 * g, atol=1e-15)


def test_step_does_not_touch_gradient_array_and_bumps_version():
    w = nn.Parameter(W0.copy())
    b = nn.Parameter(B0.copy())
    opt = optim.Adam([w, b], lr=0.1, weight_decay=0.5)
    _loss_ours(w, b).backward()
    g_before = w.grad.numpy().copy()
    v = w._version
    opt.step()
    np.testing.assert_array_equal(w.grad.numpy(), g_before)
    assert w._version == v + 1


def test_parameters_without_grad_are_skipped():
    w = nn.Parameter(W0.copy())
    b = nn.Parameter(B0.copy())
    opt = optim.SGD([w, b], lr=0.1, momentum=0.9)
    (w.sum()).backward()
    opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), B0)
    assert b not in opt.state or not opt.state[b]


def test_step_with_closure_returns_loss():
    w = nn.Parameter(W0.copy())
    b = nn.Parameter(B0.copy())
    opt = optim.SGD([w, b], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = _loss_ours(w, b)
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert isinstance(loss, tg.Tensor) and loss.item() > 0


@pytest.mark.parametrize(
    "make,word",
    [
        (lambda p: optim.SGD(p, lr=-0.1), "lr"),
        (lambda p: optim.SGD(p, lr=0.1, momentum=-1), "momentum"),
        (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), "weight_decay"),
        (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "nesterov"),
        (lambda p: optim.Adam(p, lr=0.1, betas=(1.0, 0.9)), "betas[0]"),
        (lambda p: optim.Adam(p, lr=0.1, betas=(0.9, -0.1)), "betas[1]"),
        (lambda p: optim.Adam(p, eps=-1.0), "eps"),
        (lambda p: optim.AdamW(p, lr=-1.0), "lr"),
        (lambda p: optim.Adagrad(p, lr_decay=-1.0), "lr_decay"),
        (lambda p: optim.RMSprop(p, alpha=-0.5), "alpha"),
        (lambda p: optim.AdagradMomentum(p, momentum=1.5), "momentum"),
    ],
)
def test_invalid_hyperparameters_name_the_argument(make, word):
    with pytest.raises(ValueError, match=word.replace("[", r"\[").replace("]", r"\]")):
        make([nn.Parameter(W0.copy())])


def test_bad_params_are_rejected():
    with pytest.raises(TypeError, match="single"):
        optim.SGD(nn.Parameter(W0.copy()), lr=0.1)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    p = nn.Parameter(W0.copy())
    with pytest.raises(ValueError, match="more than one"):
        optim.SGD([p, p], lr=0.1)


def test_state_dict_layout_like_torch_and_roundtrip():
    w, b = nn.Parameter(W0.copy()), nn.Parameter(B0.copy())
    opt = optim.Adam([w, b], lr=0.01, amsgrad=True)
    for _ in range(3):
        opt.zero_grad()
        _loss_ours(w, b).backward()
        opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sd["param_groups"][0]["params"] == [0, 1]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert sd["state"][0]["step"] == 3
    # a fresh optimizer on copies continues exactly as the original
    w2, b2 = nn.Parameter(w.detach().numpy().copy()), nn.Parameter(b.detach().numpy().copy())
    opt2 = optim.Adam([w2, b2], lr=0.5)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.01 and opt2.param_groups[0]["amsgrad"] is True
    for o, (pw, pb) in ((opt, (w, b)), (opt2, (w2, b2))):
        for _ in range(3):
            o.zero_grad()
            _loss_ours(pw, pb).backward()
            o.step()
    np.testing.assert_array_equal(w.detach().numpy(), w2.detach().numpy())
    # loaded buffers are copies, not shared with the source optimizer
    assert opt2.state[w2]["exp_avg"].data is not opt.state[w]["exp_avg"].data


def test_load_state_dict_mismatch_errors():
    w, b = nn.Parameter(W0.copy()), nn.Parameter(B0.copy())
    opt = optim.SGD([w, b], lr=0.1, momentum=0.9)
    _loss_ours(w, b).backward()
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="parameters"):
        optim.SGD([w], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="groups"):
        optim.SGD([{"params": [w]}, {"params": [b]}], lr=0.1).load_state_dict(sd)


# --------------------------------------------------------------------------- schedules


def _schedule_pair(ours_factory, torch_factory, epochs=50, metric=None, two_groups=True):
    p = nn.Parameter(W0.copy())
    q = nn.Parameter(B0.copy())
    tp, tq = torch.tensor(W0.copy(), requires_grad=True), torch.tensor(B0.copy(), requires_grad=True)
    if two_groups:
        o = optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.3}], lr=0.1, momentum=0.9)
        t = torch.optim.SGD([{"params": [tp]}, {"params": [tq], "lr": 0.3}], lr=0.1, momentum=0.9)
    else:
        o, t = optim.SGD([p, q], lr=0.1), torch.optim.SGD([tp, tq], lr=0.1)
    so, st = ours_factory(o), torch_factory(t)
    ours, theirs = [so.get_last_lr()], [st.get_last_lr()]
    for e in range(epochs):
        o.step()
        t.step()
        if metric is None:
            so.step()
            st.step()
        else:
            so.step(metric(e))
            st.step(metric(e))
        ours.append(so.get_last_lr())
        theirs.append(st.get_last_lr())
        assert [g["lr"] for g in o.param_groups] == ours[-1]
    return np.array(ours, dtype=float), np.array(theirs, dtype=float)


SCHEDULES = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.93)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),
    ("CosineAnnealingLR", dict(T_max=50)),
]


@needs_torch
@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=[f"{n}-{k}" for n, k in SCHEDULES])
def test_schedule_matches_torch_for_50_epochs(name, kwargs):
    ours, theirs = _schedule_pair(
        lambda o: getattr(lr_scheduler, name)(o, **kwargs),
        lambda t: getattr(torch.optim.lr_scheduler, name)(t, **kwargs),
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert len(set(ours[:, 0])) > 1  # the rate did change


@needs_torch
def test_lambda_lr_matches_torch():
    fns = [lambda e: 1.0 / (1.0 + 0.1 * e), lambda e: 0.95**e]
    ours, theirs = _schedule_pair(
        lambda o: lr_scheduler.LambdaLR(o, fns), lambda t: torch.optim.lr_scheduler.LambdaLR(t, fns)
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    ours, theirs = _schedule_pair(
        lambda o: lr_scheduler.LambdaLR(o, fns[0]), lambda t: torch.optim.lr_scheduler.LambdaLR(t, fns[0])
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@needs_torch
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(patience=2),
        dict(patience=3, factor=0.5, cooldown=2, min_lr=0.01),
        dict(mode="max", patience=1, threshold=0.05, threshold_mode="abs", factor=0.3),
        dict(mode="max", patience=0, min_lr=[0.02, 0.05]),
    ],
)
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    def metric(e):  # falls, then plateaus with noise, then falls again
        return (10.0 / (1 + e) if e < 10 else 1.0 + 0.01 * math.sin(e)) - (0.02 * (e - 30) if e > 30 else 0.0)

    ours, theirs = _schedule_pair(
        lambda o: lr_scheduler.ReduceLROnPlateau(o, **kwargs),
        lambda t: torch.optim.lr_scheduler.ReduceLROnPlateau(t, **kwargs),
        metric=metric,
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert len(set(ours[:, 0])) > 1


def test_schedule_errors():
    o = optim.SGD([nn.Parameter(W0.copy())], lr=0.1)
    with pytest.raises(ValueError, match="step_size"):
        lr_scheduler.StepLR(o, step_size=0)
    with pytest.raises(ValueError, match="T_max"):
        lr_scheduler.CosineAnnealingLR(o, T_max=0)
    with pytest.raises(ValueError, match="factor"):
        lr_scheduler.ReduceLROnPlateau(o, factor=1.5)
    with pytest.raises(TypeError, match="not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=2)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(o, step_size=2, last_epoch=3)


def test_scheduler_state_dict_roundtrip():
    o = optim.SGD([nn.Parameter(W0.copy())], lr=0.1)
    s = lr_scheduler.StepLR(o, step_size=2, gamma=0.5)
    for _ in range(5):
        o.step()
        s.step()
    sd = s.state_dict()
    o2 = optim.SGD([nn.Parameter(W0.copy())], lr=0.1)
    s2 = lr_scheduler.StepLR(o2, step_size=2, gamma=0.5)
    s2.load_state_dict(sd)
    assert s2.last_epoch == 5 and s2.get_last_lr() == s.get_last_lr()


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "AdagradMomentum", "RMSprop", "Adam", "AdamW"])
def test_optimizers_run_on_every_device_with_the_same_result(device, name):
    kwargs = {"lr": 0.01} if name != "SGD" else {"lr": 0.01, "momentum": 0.9}
    results = []
    for dev in ("cpu", device):
        model = nn.Linear(4, 3)
        model.load_state_dict({"weight": W0, "bias": B0})
        model.to(dev)
        opt = getattr(optim, name)(model.parameters(), **kwargs)
        for _ in range(5):
            opt.zero_grad()
            _loss_ours(model.weight.cpu(), model.bias.cpu()).backward()
            opt.step()
        assert model.weight.device == dev and opt.state[model.weight]
        results.append(model.weight.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)
