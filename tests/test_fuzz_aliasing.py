"""Differential fuzzing of the engine's mechanics: aliasing and threads.

Aliasing: a random program of ``test_fuzz`` is run forward; then one of its values is changed in
place through an alias (``.detach()``, a slice or a transpose made under ``no_grad()``, or the
value itself under ``no_grad()``), and the gradient is asked for. The same is done in PyTorch.
The engine must either raise its "modified in place" error or give the gradients of the program
as it ran (PyTorch's, which are PyTorch's gradients without the change where PyTorch raises).
Both happen where PyTorch does otherwise: a rule here may read a value that PyTorch's twin does
not save (refusing more, never wrong), and a composite op here (``gelu`` is built from ``erf``
and products) may have saved copies where PyTorch's fused op saved the changed input.

Profiles as in ``test_fuzz`` (``pytest -m slow`` runs the long aliasing search).

Threads: several random programs run at once in several threads, each computing its value,
gradient and Hessian-vector product repeatedly (with ``no_grad()`` passes in between), and each
result must equal, bit for bit, the same program's result computed alone.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from test_fuzz import CI, LONG, draw_program, engine_derivatives, run_engine, torch_module

ROUTES = ("detach", "slice", "transpose", "itself")


def _mutate(lib_no_grad: Any, v: Any, route: str) -> None:
    """Change ``v``'s memory in place through an alias (the same code for both engines)."""
    if route == "detach":
        v.detach().mul_(1.25)
        return
    with lib_no_grad():
        if route == "slice":
            v[0:1].mul_(1.25)
        elif route == "transpose":
            v.transpose(0, -1).mul_(1.25)
        else:
            v.mul_(1.25)


def _route_fits(route: str, shape: tuple[int, ...]) -> bool:
    if route == "slice":
        return len(shape) >= 1 and shape[0] >= 1
    if route == "transpose":
        return len(shape) >= 2
    return True


def _run(values_and_leaves: Any, w: Any, k: int, route: str, no_grad: Any, mul: Any) -> tuple[str, Any]:
    """Build L = sum(w * out), change value k, back-propagate; ('ok', grads) or ('raised', error)."""
    out, leaves, values = values_and_leaves
    loss = mul(out, w).sum()
    _mutate(no_grad, values[k], route)
    try:
        loss.backward()
    except RuntimeError as e:
        return "raised", e
    return "ok", [None if x.grad is None else np.array(x.grad.detach().numpy()) for x in leaves]


def _engine_values(steps):
    from test_fuzz import OPS  # the table with the network ops registered

    values, leaves = [], []
    for s in steps:
        if s.op == "leaf":
            t = tg.Tensor(s.params["value"].copy(), requires_grad=True)
            leaves.append(t)
        else:
            t = OPS[s.op].engine(*[values[i] for i in s.args], **s.params)
        values.append(t)
    return values[-1], leaves, values


def _torch_values(steps):
    from test_fuzz import OPS

    torch = torch_module()
    values, leaves = [], []
    for s in steps:
        if s.op == "leaf":
            t = torch.tensor(s.params["value"].copy(), dtype=torch.float64, requires_grad=True)
            leaves.append(t)
        else:
            t = OPS[s.op].torch(*[values[i] for i in s.args], **s.params)
        values.append(t)
    return values[-1], leaves, values


def _torch_reference(steps, w) -> list:
    """PyTorch's gradients of the program without any change: what a right answer must equal."""
    out, leaves, _ = _torch_values(steps)
    (out * torch_module().from_numpy(w)).sum().backward()
    return [None if x.grad is None else x.grad.numpy() for x in leaves]


def check_aliasing(steps, k: int, route: str, rng: np.random.Generator) -> str:
    """Run the program with value ``k`` changed through ``route`` in both engines; returns the outcome."""
    torch = torch_module()
    eng = _engine_values(steps)
    target = eng[2][k]
    assume(target.size > 0 and _route_fits(route, tuple(target.shape)))
    assume(target.data.flags.writeable)  # a broadcast view: NumPy and PyTorch both refuse to write into it
    w = rng.standard_normal(tuple(eng[0].shape))
    try:
        theirs = _run(_torch_values(steps), torch.from_numpy(w), k, route, torch.no_grad, lambda a, b: a * b)
    except RuntimeError:  # PyTorch refused the in-place change itself (a view of an expanded value)
        assume(False)
    ours = _run(eng, tg.Tensor(w), k, route, tg.no_grad, lambda a, b: a * b)
    note(f"engine: {ours[0]}, torch: {theirs[0]}")
    if ours[0] == "raised":
        assert "modified in place" in str(ours[1]), f"the engine raised something else: {ours[1]}"
        return "both raised" if theirs[0] == "raised" else "engine refused more"
    # The engine gave gradients: they must be those of the program as it ran (PyTorch's, without
    # the change). Where PyTorch raised, the engine's rules never read the changed memory: its
    # composite ops (gelu = x * 0.5 * (1 + erf(x / sqrt 2)), say) saved their own copies.
    reference = _torch_reference(steps, w) if theirs[0] == "raised" else theirs[1]
    leaf_shapes = [s.params["value"].shape for s in steps if s.op == "leaf"]
    for i, (a, b) in enumerate(zip(ours[1], reference)):
        a = np.zeros(leaf_shapes[i]) if a is None else a
        b = np.zeros(leaf_shapes[i]) if b is None else b
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-11, err_msg=f"dL/dx{i} ({theirs[0]} in PyTorch)")
    return "both ran" if theirs[0] == "ok" else "engine ran, PyTorch refused"


def _draw_alias_case(data):
    steps, rng = draw_program(data, smooth_only=False)
    k = data.draw(st.integers(0, len(steps) - 1), label="changed value")
    route = data.draw(st.sampled_from(ROUTES), label="route")
    return steps, rng, k, route


@CI
@given(data=st.data())
def test_fuzz_aliasing_against_torch(data):
    pytest.importorskip("torch", reason="PyTorch is the fuzzer's oracle; pip install torch (CI installs it)")
    steps, rng, k, route = _draw_alias_case(data)
    note(f"program: {steps}; change value {k} through {route}")
    check_aliasing(steps, k, route, rng)


@pytest.mark.slow
@LONG
@given(data=st.data())
def test_fuzz_aliasing_against_torch_long(data):
    test_fuzz_aliasing_against_torch.hypothesis.inner_test(data)


def test_aliasing_fuzz_reaches_every_outcome():
    """The aliasing programs are not vacuous: some raise in both engines, some run in both."""
    pytest.importorskip("torch", reason="PyTorch is the fuzzer's oracle; pip install torch (CI installs it)")
    seen: set[str] = set()

    @settings(max_examples=100, deadline=None, database=None)
    @given(data=st.data())
    def collect(data):
        steps, rng, k, route = _draw_alias_case(data)
        seen.add(check_aliasing(steps, k, route, rng))

    collect()
    assert {"both raised", "both ran"} <= seen, seen


# ------------------------------------------------------------------------------------------ threads


def _results(steps, rng_seed: int):
    rng = np.random.default_rng(rng_seed)
    with tg.no_grad():
        shape = run_engine(steps)[0].shape
    w = rng.standard_normal(shape)
    vs = [rng.standard_normal(s.params["value"].shape) for s in steps if s.op == "leaf"]
    out, grads, hvps = engine_derivatives(steps, w, vs)
    return [out, *grads, *hvps]


def _same(a: list, b: list) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        if x is None or y is None:
            assert x is None and y is None
        else:
            np.testing.assert_array_equal(x, y)


@settings(CI, max_examples=max(CI.max_examples // 8, 1))
@given(data=st.data())
def test_fuzz_programs_in_threads_match_alone(data):
    programs = [draw_program(data, smooth_only=False)[0] for _ in range(3)]
    note(f"programs: {programs}")
    alone = [_results(p, i) for i, p in enumerate(programs)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(programs))

    def run(i: int) -> None:
        try:
            start.wait()
            for _ in range(4):
                with tg.no_grad():
                    run_engine(programs[i])  # evaluation passes between the differentiated ones
                _same(_results(programs[i], i), alone[i])
        except BaseException as e:  # reported in the main thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(programs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    assert tg.is_grad_enabled()
