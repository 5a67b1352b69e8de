"""detect_anomaly(): the first NaN or infinity names the op, the shapes and the user's line.

Off by default and free when off: no stack is inspected and no node remembers where it was made.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Tensor, anomaly, autograd
from tinygrad_edu.autograd import AnomalyError, detect_anomaly


def test_off_by_default():
    x = Tensor([-1.0, 2.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        y = x.log()
    assert math.isnan(y.detach().numpy()[0]), "without detect_anomaly a NaN is an ordinary value"
    assert y.grad_fn.created_at is None


def test_free_when_off(monkeypatch):
    """No stack walk and no finiteness check happen when anomaly detection is off."""

    def forbidden(*args, **kwargs):
        raise AssertionError("anomaly work done while detect_anomaly is off")

    monkeypatch.setattr(anomaly, "user_frame", forbidden)
    monkeypatch.setattr(anomaly, "check_finite", forbidden)
    x = Tensor(np.array([0.0, 1.0]), requires_grad=True)
    with np.errstate(divide="ignore"):
        y = x.sqrt()
        (y * y.exp()).sum().backward()
    assert np.isinf(x.grad.numpy()[0])
    assert y.grad_fn.created_at is None


def test_forward_nan_names_op_shape_and_line(device):
    x = Tensor([[1.0, -1.0, 2.0]], requires_grad=True, device=device)
    with detect_anomaly(), np.errstate(invalid="ignore"), pytest.raises(AnomalyError) as info:
        line = inspect.currentframe().f_lineno + 1
        x.log()
    message = str(info.value)
    assert "Log" in message and "forward" in message
    assert "(1, 3)" in message, "the input shape must be named"
    assert f"{__file__}:{line}" in message, "the user's file and line must be named"
    assert isinstance(info.value, FloatingPointError), "AnomalyError is a FloatingPointError"


def test_forward_nan_line_is_the_users():
    x = Tensor([1.0, -2.0], requires_grad=True)
    with detect_anomaly(), np.errstate(invalid="ignore"), pytest.raises(AnomalyError) as info:
        line = inspect.currentframe().f_lineno + 1
        x.sqrt()
    assert f"{__file__}:{line}" in str(info.value)
    assert "Sqrt" in str(info.value)


def test_backward_inf_names_the_rule_not_its_inner_ops():
    """sqrt at 0 is finite, its derivative 1/(2 sqrt x) is not: the Sqrt rule is blamed."""
    x = Tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly(), np.errstate(divide="ignore"):
        line = inspect.currentframe().f_lineno + 1
        y = x.sqrt()
        loss = (y * 3.0).sum()
        with pytest.raises(AnomalyError) as info:
            loss.backward()
    message = str(info.value)
    assert message.startswith("Sqrt backward"), message
    assert "(2,)" in message
    assert f"{__file__}:{line}" in message, "the op's creation line, not the line of backward()"


def test_backward_nan_through_autograd_grad():
    x = Tensor([1.0, 0.0], requires_grad=True)
    with detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        line = inspect.currentframe().f_lineno + 1
        y = x.abs().sqrt()
        with pytest.raises(AnomalyError, match=r"Sqrt backward") as info:
            autograd.grad(y.sum(), x)
    assert f"{__file__}:{line}" in str(info.value)


def test_second_derivative_anomaly_points_into_the_first_rule():
    """A NaN in the backward pass of a backward pass names the rule that made the op."""
    x = Tensor([0.5, 0.0], requires_grad=True)
    with detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        y = (x * x * x).sum()  # y' = 3x^2 is fine; build it with create_graph and take sqrt
        (g,) = autograd.grad(y, x, create_graph=True)
        z = g.sqrt().sum()  # sqrt(3x^2) is finite at 0, its derivative is not
        with pytest.raises(AnomalyError, match="Sqrt backward"):
            z.backward()


def test_nan_in_input_data_is_caught_at_first_op():
    data = Tensor([1.0, float("nan")])
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"Mul forward.*\(2,\)"):
        data * Tensor([1.0, 1.0])


def test_integer_results_are_not_checked():
    with detect_anomaly():
        out = Tensor(np.array([1, 2, 3])) + Tensor(np.array([4, 5, 6]))
    assert out.tolist() == [5, 7, 9]


def test_finite_values_pass_and_record_the_line():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with detect_anomaly():
        line = inspect.currentframe().f_lineno + 1
        y = x.exp()
        y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]))
    assert y.grad_fn is not None and f"{__file__}:{line}" in y.grad_fn.created_at


def test_state_restored_after_error_nesting_and_as_decorator():
    x = Tensor([-1.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        with pytest.raises(AnomalyError), detect_anomaly():
            with detect_anomaly():
                pass
            x.log()  # the outer context is still on after the inner one closed
        assert not autograd._mode.detect_anomaly, "leaving by an exception switches it off again"
        assert autograd._mode.anomaly_origin is None

        @detect_anomaly()
        def f(t):
            return t.log()

        with pytest.raises(AnomalyError):
            f(x)
        assert not autograd._mode.detect_anomaly
        assert math.isnan(x.log().item())


def test_training_loss_nan_is_found_where_it_starts():
    """The course's typical failure: log of a probability that reached 0 (no epsilon)."""
    tg.manual_seed(0)
    w = Tensor([[50.0], [-50.0]], requires_grad=True)
    x = Tensor([[1.0, 0.0], [0.0, 1.0]])
    t = Tensor([[1.0], [1.0]])
    with detect_anomaly(), np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        p = (x @ w).sigmoid()
        with pytest.raises(AnomalyError) as info:
            line = inspect.currentframe().f_lineno + 1
            loss = -(t * p.log() + (1 - t) * (1 - p).log()).mean()
            loss.backward()
    message = str(info.value)
    assert "Log forward" in message and "(2, 1)" in message
    assert f"{__file__}:{line}" in message


def test_user_code_in_a_folder_named_like_the_package(tmp_path):
    """Regression: user frames were told apart by the substring "tinygrad_edu" in the path, so a
    checkout at .../tinygrad_edu/tests/ (CI's layout) reported '<unknown>' instead of the user's line."""
    user_file = tmp_path / "tinygrad_edu" / "tests" / "user_code.py"
    source = "import tinygrad_edu as tg\nx = tg.Tensor([-1.0])\ny = x.log()\n"
    namespace: dict = {}
    with detect_anomaly(), np.errstate(invalid="ignore"), pytest.raises(AnomalyError) as info:
        exec(compile(source, str(user_file), "exec"), namespace)
    assert f"{user_file}:3" in str(info.value)
