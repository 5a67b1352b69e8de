"""The engine's switches are per thread, as PyTorch's grad mode: threads that train separate
models, or evaluate under ``no_grad()`` while another trains, do not disturb each other."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, autograd, nn, optim


def _model(seed: int) -> nn.Module:
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
    with tg.no_grad():
        for p in model.parameters():
            p.copy_(rng.normal(0.0, 0.5, p.shape))
    return model


def _train(model: nn.Module, seed: int, steps: int, start: threading.Barrier | None = None) -> list[np.ndarray]:
    """Adam on a fixed regression problem, with an evaluation under no_grad() every few steps."""
    rng = np.random.default_rng(100 + seed)
    X = Tensor(rng.normal(size=(32, 3)))
    y = Tensor(np.sin(X.detach().numpy().sum(axis=1, keepdims=True)))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    if start is not None:
        start.wait()  # both threads begin together, so that their steps interleave
    for step in range(steps):
        loss = ((model(X) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 3 == 0:
            with tg.no_grad():
                model(X[:4])
    return [p.detach().numpy().copy() for p in model.parameters()]


def test_two_threads_train_two_models_exactly_as_alone():
    steps = 300
    alone = [_train(_model(s), s, steps) for s in (1, 2)]
    results: dict[int, list[np.ndarray]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(s: int) -> None:
        try:
            results[s] = _train(_model(s), s, steps, start)
        except BaseException as e:  # reported below, with the thread's traceback
            errors.append(e)

    threads = [threading.Thread(target=run, args=(s,)) for s in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for s, ref in zip((1, 2), alone):
        for a, b in zip(results[s], ref):
            np.testing.assert_array_equal(a, b)  # to the last bit
    assert tg.is_grad_enabled()


def _in_other_thread(fn):
    """Run ``fn`` in a new thread and return its result (or raise its error here)."""
    out: list = []

    def run():
        try:
            out.append(("ok", fn()))
        except BaseException as e:
            out.append(("err", e))

    t = threading.Thread(target=run)
    t.start()
    t.join()
    kind, value = out[0]
    if kind == "err":
        raise value
    return value


def test_no_grad_in_one_thread_leaves_the_other_recording():
    entered, release = threading.Event(), threading.Event()

    def evaluate():
        with tg.no_grad():
            entered.set()
            release.wait()
            return tg.is_grad_enabled()

    t_result: list = []
    t = threading.Thread(target=lambda: t_result.append(evaluate()))
    t.start()
    entered.wait()
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()  # recorded here while the other thread is inside no_grad()
    release.set()
    t.join()
    assert t_result == [False]
    assert y.requires_grad
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    # and a new thread starts recording even when this one is inside no_grad()
    with tg.no_grad():
        assert _in_other_thread(tg.is_grad_enabled) is True
        assert not tg.is_grad_enabled()


def test_a_no_grad_decorator_used_by_two_threads_at_once_restores_each():
    # one thread calls it while recording, the other under no_grad(): each must get its own
    # mode back (a decorator that kept one saved mode for both would give one the other's)
    inside = threading.Barrier(2)

    @tg.no_grad()
    def evaluate():
        inside.wait()  # both threads are inside the same decorated function now
        return tg.is_grad_enabled()

    seen: dict[str, tuple[bool, bool]] = {}

    def recording():
        seen["recording"] = (evaluate(), tg.is_grad_enabled())

    def not_recording():
        with tg.no_grad():
            seen["no_grad"] = (evaluate(), tg.is_grad_enabled())

    threads = [threading.Thread(target=recording), threading.Thread(target=not_recording)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"recording": (False, True), "no_grad": (False, False)}


@pytest.mark.filterwarnings("ignore:invalid value encountered in log:RuntimeWarning")
def test_anomaly_mode_is_per_thread():
    def nan_op():
        x = Tensor([-1.0], requires_grad=True)
        return x.log().isnan().all().item()

    with autograd.detect_anomaly():
        with pytest.raises(autograd.AnomalyError):
            nan_op()
        assert _in_other_thread(nan_op) is True  # the other thread does not detect anomalies


def test_estimators_under_joblib_threading_backend():
    pytest.importorskip("sklearn", reason="the estimators need scikit-learn (extra 'sklearn')")
    from joblib import parallel_backend
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import cross_val_score

    from tinygrad_edu.sklearn import MLPClassifier, MLPRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y_cls = (X[:, 0] + X[:, 1] > 0).astype(int)
    y_reg = X @ np.array([1.0, -2.0, 0.5, 0.0])
    for est, y in (
        (MLPClassifier(hidden_layer_sizes=(8,), epochs=20, learning_rate=1e-2, random_state=0), y_cls),
        (MLPRegressor(hidden_layer_sizes=(8,), epochs=20, learning_rate=1e-2, random_state=0), y_reg),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            serial = cross_val_score(est, X, y, cv=4, n_jobs=1)
            with parallel_backend("threading"):
                threaded = cross_val_score(est, X, y, cv=4, n_jobs=2)
        np.testing.assert_array_equal(threaded, serial)  # same folds, same seeds: the same scores
    assert tg.is_grad_enabled()


@pytest.mark.filterwarnings("ignore:invalid value encountered in log:RuntimeWarning")
def test_a_detect_anomaly_decorator_used_by_two_threads_at_once_restores_each():
    inside = threading.Barrier(2)

    @autograd.detect_anomaly()
    def traced():
        inside.wait()
        return autograd._mode.detect_anomaly

    seen: dict[str, tuple[bool, bool]] = {}

    def plain():
        seen["plain"] = (traced(), autograd._mode.detect_anomaly)

    def detecting():
        with autograd.detect_anomaly():
            seen["detecting"] = (traced(), autograd._mode.detect_anomaly)

    threads = [threading.Thread(target=plain), threading.Thread(target=detecting)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"plain": (True, False), "detecting": (True, True)}
