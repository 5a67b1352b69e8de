"""Long runs: no memory growth over many training steps, very deep graphs, interrupted training and
atomic checkpoints.

The 20,000-step and RSS profiles are marked ``slow`` (``pytest -m slow tests/test_long_runs.py``);
a 1,000-step version with the same assertion runs in every CI run.

Memory is measured with ``tracemalloc`` (every Python and NumPy allocation), after a full
``gc.collect()``, which also empties CPython's free lists, so that a number is the memory really
held and not blocks cached for reuse.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import tracemalloc
import weakref

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import Tensor, nn, optim
from tinygrad_edu import serialization as ser
from tinygrad_edu.callbacks import LambdaCallback, ModelCheckpoint
from tinygrad_edu.train import fit

# ----------------------------------------------------------------------------------- memory over steps


def _traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def _rss() -> int | None:
    """Resident set size in bytes (Linux), or None elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _train_and_measure(steps: int, warmup: int = 200, samples: int = 10) -> tuple[int, np.ndarray, np.ndarray]:
    """Train a small classifier for ``steps`` steps; tracemalloc and RSS at ``samples`` points after warm-up."""
    tracemalloc.start()
    try:
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
        opt = optim.Adam(model.parameters(), lr=1e-3)
        rng = np.random.default_rng(0)
        X = Tensor(rng.standard_normal((64, 8)))
        y = Tensor(rng.integers(0, 3, 64))
        traced = np.zeros(samples, dtype=np.int64)  # allocated before the baseline: filling it costs nothing
        rss = np.zeros(samples, dtype=np.int64)
        losses = np.zeros(2)

        def step() -> float:
            loss = F.cross_entropy(model(X), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss.item()

        losses[0] = step()
        for _ in range(warmup - 1):
            step()
        base = _traced()
        every = steps // samples
        for i in range(1, steps + 1):
            last = step()
            if i % every == 0:
                traced[i // every - 1] = _traced()
                rss[i // every - 1] = _rss() or 0
        losses[1] = last
        assert losses[1] < losses[0], "the network must actually train"
        return base, traced, rss
    finally:
        tracemalloc.stop()


def _assert_flat(base: int, traced: np.ndarray) -> None:
    growth = traced.max() / base - 1.0
    assert growth <= 0.05, f"memory grew by {growth:.1%} after warm-up: baseline {base} B, samples {traced.tolist()}"


def test_memory_flat_over_1000_steps():
    base, traced, _ = _train_and_measure(1000)
    _assert_flat(base, traced)


@pytest.mark.slow
def test_memory_flat_over_20000_steps():
    base, traced, rss = _train_and_measure(20_000, warmup=1000, samples=20)
    _assert_flat(base, traced)
    if rss[0]:  # the process as the OS sees it, too (allocator caches included)
        growth = rss.max() / rss[0] - 1.0
        assert growth <= 0.05, f"RSS grew by {growth:.1%}: {rss.tolist()}"


# ----------------------------------------------------------------------------------- deep graphs


def _deep_chain(n: int) -> tuple[Tensor, Tensor, weakref.ref]:
    """y = (((x + 0.5) a) + 0.5) a ... with n ops; dy/dx = a^(n/2)."""
    x = Tensor(1.0, requires_grad=True)
    y = x
    middle = None
    for i in range(n):
        y = y * 1.000001 if i % 2 else y + 0.5
        if i == n // 2:
            middle = weakref.ref(y)
    return x, y, middle


def _check_deep_graph(n: int, measure: bool) -> None:
    if measure:
        tracemalloc.start()
    try:
        base = _traced() if measure else 0
        x, y, middle = _deep_chain(n)
        held = _traced() if measure else 0
        assert middle() is not None, "the graph keeps its intermediates until backward"
        y.backward()  # a recursive walk would raise RecursionError long before this depth
        np.testing.assert_allclose(x.grad.item(), 1.000001 ** (n // 2), rtol=1e-9)
        assert middle() is None, "backward must free the graph (the intermediates die while y lives)"
        with pytest.raises(RuntimeError, match="second time"):
            y.backward()
        del y
        if measure:
            after = _traced()
            assert held - base > 100 * n, "the graph should have cost memory while it was held"
            assert after - base < 0.01 * (held - base), (
                f"graph memory not freed: baseline {base} B, with the graph {held} B, after backward {after} B"
            )
    finally:
        if measure:
            tracemalloc.stop()


def test_200000_op_graph_backpropagates_and_is_freed():
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # the default: the walk must not depend on it
    try:
        _check_deep_graph(200_000, measure=False)
    finally:
        sys.setrecursionlimit(old)


def test_deep_graph_memory_returns_to_baseline():
    _check_deep_graph(20_000, measure=True)


@pytest.mark.slow
def test_200000_op_graph_memory_returns_to_baseline():
    _check_deep_graph(200_000, measure=True)


def test_deep_graph_second_derivative():
    """create_graph through a 20,000-op chain: d2/dx2 of x^2 chained with affine maps."""
    x = Tensor(0.7, requires_grad=True)
    y = x * x
    for _ in range(10_000):
        y = (y + 0.25) * 0.9999
    (g,) = tg.autograd.grad(y, x, create_graph=True)
    (h,) = tg.autograd.grad(g, x)
    scale = 0.9999**10_000
    np.testing.assert_allclose(g.item(), 2 * 0.7 * scale, rtol=1e-9)
    np.testing.assert_allclose(h.item(), 2 * scale, rtol=1e-9)


# ----------------------------------------------------------------------------------- interrupted training


def _setup(seed: int = 0):
    tg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((96, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    return model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9), X, y


def _snapshot(model) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def _assert_usable(model, X, y) -> None:
    """Predicts finite values, and trains on: a further epoch lowers the loss."""
    out = model(Tensor(X))
    assert np.isfinite(out.detach().numpy()).all()
    before = F.cross_entropy(model(Tensor(X)), y).item()
    fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=3, batch_size=16, progress=False)
    after = F.cross_entropy(model(Tensor(X)), y).item()
    assert after < before


def _stop_at(step_to_stop: int, exc: type[BaseException]):
    def on_batch_end(step, loss):
        if step == step_to_stop:
            raise exc("boom")

    return LambdaCallback(on_batch_end=on_batch_end)


def _recorder(states: list, model):
    return LambdaCallback(on_epoch_end=lambda epoch, logs: states.append(_snapshot(model)))


@pytest.mark.parametrize("where", ["callback", "loss"])
def test_ctrl_c_leaves_model_and_checkpoint_usable(tmp_path, where):
    model, opt, X, y = _setup()
    path = tmp_path / "ckpt.npz"
    states: list = []
    calls = [0]

    def loss_fn(out, target):
        calls[0] += 1
        if where == "loss" and calls[0] == 15:  # the 3rd batch of epoch 3 (6 batches per epoch)
            raise KeyboardInterrupt
        return F.cross_entropy(out, target)

    callbacks = [ModelCheckpoint(path, monitor="loss", save_best_only=False), _recorder(states, model)]
    if where == "callback":
        callbacks.append(_stop_at(15, KeyboardInterrupt))
    history = fit(model, loss_fn, opt, (X, y), epochs=10, batch_size=16, callbacks=callbacks, progress=False)
    assert history.interrupted and len(history) == 2, history.stop_reason
    assert "interrupted" in history.stop_reason
    assert len(states) == 2
    saved = tg.load(path)
    for k, v in states[-1].items():
        np.testing.assert_array_equal(
            saved[k].detach().numpy(), v, err_msg="the checkpoint holds the last finished epoch"
        )
    fresh = _setup(seed=1)[0]
    fresh.load_state_dict(saved)
    _assert_usable(fresh, X, y)
    _assert_usable(model, X, y)


def test_exception_mid_epoch_propagates_and_leaves_model_usable(tmp_path):
    model, opt, X, y = _setup()
    path = tmp_path / "ckpt.npz"
    with pytest.raises(RuntimeError, match="boom"):
        fit(
            model,
            "cross_entropy",
            opt,
            (X, y),
            epochs=5,
            batch_size=16,
            progress=False,
            callbacks=[ModelCheckpoint(path, monitor="loss", save_best_only=False), _stop_at(9, RuntimeError)],
        )
    # the error is the user's to see; the weights after step 9 are consistent numbers
    assert all(np.isfinite(p.detach().numpy()).all() for p in model.parameters())
    model.load_state_dict(tg.load(path))
    _assert_usable(model, X, y)


def test_ctrl_c_during_a_checkpoint_save_keeps_the_previous_one(tmp_path, monkeypatch):
    model, opt, X, y = _setup()
    path = tmp_path / "ckpt.npz"
    states: list = []
    real_replace = os.replace
    saves = [0]

    def replace(src, dst):
        saves[0] += 1
        if saves[0] == 3:  # the save after epoch 3 is cut short, before its rename
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(ser.os, "replace", replace)
    history = fit(
        model,
        "cross_entropy",
        opt,
        (X, y),
        epochs=6,
        batch_size=16,
        progress=False,
        callbacks=[_recorder(states, model), ModelCheckpoint(path, monitor="loss", save_best_only=False)],
    )
    assert history.interrupted
    saved = tg.load(path)
    for k, v in states[1].items():  # epoch 2's weights, the last complete save
        np.testing.assert_array_equal(saved[k].detach().numpy(), v)
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"], "the half-written temporary file is removed"


# ----------------------------------------------------------------------------------- atomic saving


def test_interrupted_save_leaves_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "w.npz"
    tg.save({"w": np.arange(5.0)}, path)
    before = path.read_bytes()

    def half_then_interrupt(f, **arrays):
        f.write(b"PK\x03\x04 partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(ser.np, "savez", half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        tg.save({"w": np.zeros(1000)}, path)
    assert path.read_bytes() == before
    np.testing.assert_array_equal(np.asarray(tg.load(path)["w"]), np.arange(5.0))
    assert [p.name for p in tmp_path.iterdir()] == ["w.npz"]


def test_process_killed_during_save_leaves_old_file_intact(tmp_path):
    """A real crash: the child process dies (os._exit) half-way through writing the new archive."""
    path = tmp_path / "w.npz"
    tg.save({"w": np.arange(5.0)}, path)
    child = textwrap.dedent(
        f"""
        import os, numpy as np
        import tinygrad_edu as tg
        from tinygrad_edu import serialization as ser
        real = np.savez
        def savez_then_die(f, **arrays):
            real(f, **arrays)
            f.flush()
            f.truncate(f.tell() // 2)
            os._exit(3)  # no cleanup, no finally: like a power cut or kill -9
        ser.np.savez = savez_then_die
        tg.save({{"w": np.ones(100_000)}}, {str(path)!r})
        """
    )
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr
    np.testing.assert_array_equal(np.asarray(tg.load(path)["w"]), np.arange(5.0))
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "w.npz"]
    # only the hidden temporary file of fileio.atomic_write may be left behind (a kill -9 runs no cleanup)
    assert all(name.startswith(".w.npz.") and name.endswith(".part") for name in leftovers), leftovers
