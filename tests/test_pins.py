"""Pins: corners of the losses and optimizers that a plausible one-line bug would change without
failing any other test, each checked against PyTorch or the stated formula."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_edu import Tensor, nn, optim

W0 = np.array([[0.3, -1.2, 0.7], [1.1, 0.4, -0.6]])


def _grad_at(theta: np.ndarray) -> np.ndarray:
    """The gradient of sum(sin(theta) * theta) (any smooth function with varying gradients)."""
    return np.cos(theta) * theta + np.sin(theta)


@pytest.mark.parametrize("lr_decay, weight_decay, init", [(0.5, 0.0, 0.0), (0.25, 0.1, 0.3)])
def test_adagrad_momentum_learning_rate_decay_counts_steps_from_one(lr_decay, weight_decay, init):
    """eta_t = eta / (1 + (t - 1) lr_decay) with t = 1, 2, ...: the first step uses eta itself (the
    docstring's formula, as Adagrad's and PyTorch's); an off-by-one count changes every step."""
    p = nn.Parameter(W0.copy())
    opt = optim.AdagradMomentum(
        [p], lr=0.1, momentum=0.8, lr_decay=lr_decay, weight_decay=weight_decay, initial_accumulator_value=init
    )
    theta, G, v = W0.copy(), np.full_like(W0, init), np.zeros_like(W0)
    for t in range(1, 6):
        p.grad = Tensor(_grad_at(p.detach().numpy()))
        opt.step()
        g = _grad_at(theta) + weight_decay * theta
        G += g * g
        v = 0.8 * v + 0.1 / (1 + (t - 1) * lr_decay) * g / (np.sqrt(G) + 1e-8)
        theta = theta - v
        np.testing.assert_allclose(p.detach().numpy(), theta, rtol=1e-14, atol=1e-15, err_msg=f"step {t}")


@pytest.mark.parametrize(
    "loss, kw, labels",
    [
        ("cross_entropy", {"ignore_index": 1}, [1, 1, 1]),
        ("cross_entropy", {"ignore_index": 1, "label_smoothing": 0.1}, [1, 1, 1]),
        ("cross_entropy", {"ignore_index": 2, "weight": [0.0, 1.0, 1.0, 1.0]}, [0, 2, 0]),
        ("cross_entropy", {"weight": [0.0, 1.0, 1.0, 1.0]}, [0, 0, 0]),
        ("nll_loss", {"ignore_index": 3}, [3, 3, 3]),
        ("nll_loss", {"ignore_index": 2, "weight": [0.0, 1.0, 1.0, 1.0]}, [0, 2, 0]),
    ],
)
def test_a_mean_over_nothing_is_nan_with_pytorchs_gradient(loss, kw, labels):
    """A batch in which no sample counts (all ignored, or all of weight 0): the mean loss is NaN, as
    PyTorch's, and so is the gradient of the samples that count, but the ignored samples get 0, so a
    training step on such a batch does not turn the weights into NaN."""
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle; pip install torch")
    x0 = np.random.default_rng(2).standard_normal((3, 4))
    ours = Tensor(x0.copy(), requires_grad=True)
    theirs = torch.tensor(x0, requires_grad=True)
    ekw = {k: (np.array(v) if k == "weight" else v) for k, v in kw.items()}
    tkw = {k: (torch.tensor(v, dtype=torch.float64) if k == "weight" else v) for k, v in kw.items()}
    from tinygrad_edu.nn import functional as F

    if loss == "nll_loss":
        value = F.nll_loss(ours.log_softmax(1), np.array(labels), **ekw)
        t_value = torch.nn.functional.nll_loss(theirs.log_softmax(1), torch.tensor(labels), **tkw)
    else:
        value = F.cross_entropy(ours, np.array(labels), **ekw)
        t_value = torch.nn.functional.cross_entropy(theirs, torch.tensor(labels), **tkw)
    assert np.isnan(value.item()) and np.isnan(t_value.item())
    value.backward()
    t_value.backward()
    np.testing.assert_array_equal(np.isnan(ours.grad.numpy()), np.isnan(theirs.grad.numpy()))
    np.testing.assert_array_equal(np.nan_to_num(ours.grad.numpy()), np.nan_to_num(theirs.grad.numpy()))


@pytest.mark.parametrize("loss, smoothing", [("cross_entropy", 0.0), ("cross_entropy", 0.2), ("nll_loss", 0.0)])
def test_an_ignored_sample_with_nan_logits_changes_nothing(loss, smoothing):
    """PyTorch skips the samples labelled ignore_index: a NaN or infinity in their logits reaches
    neither the loss nor the gradient of the other samples (NaN * weight 0 would be NaN); the
    ignored row's own gradient is 0."""
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle; pip install torch")
    from tinygrad_edu.nn import functional as F

    x0 = np.random.default_rng(4).standard_normal((3, 4))
    x0[1] = [np.nan, 1.0, np.inf, 0.0]
    labels = np.array([2, 3, 0])
    ours = Tensor(x0.copy(), requires_grad=True)
    theirs = torch.tensor(x0, requires_grad=True)
    if loss == "nll_loss":
        value = F.nll_loss(ours, labels, ignore_index=3)
        t_value = torch.nn.functional.nll_loss(theirs, torch.from_numpy(labels), ignore_index=3)
    else:
        value = F.cross_entropy(ours, labels, ignore_index=3, label_smoothing=smoothing)
        t_value = torch.nn.functional.cross_entropy(
            theirs, torch.from_numpy(labels), ignore_index=3, label_smoothing=smoothing
        )
    value.backward()
    t_value.backward()
    np.testing.assert_allclose(value.item(), t_value.item(), rtol=1e-13)
    counted = labels != 3
    np.testing.assert_allclose(ours.grad.numpy()[counted], theirs.grad.numpy()[counted], rtol=1e-12, atol=1e-15)
    # the ignored row itself gets 0 (PyTorch's fused log-softmax rule gives it NaN, its nll_loss 0)
    np.testing.assert_array_equal(ours.grad.numpy()[~counted], 0.0)
