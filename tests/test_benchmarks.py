"""The benchmark suite compares like with like: the three implementations of a training step
(engine, hand-written NumPy, PyTorch) follow the same trajectory from the same weights."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))
from networks import make_steps  # noqa: E402


def _loss(value):
    return float(value.item() if hasattr(value, "item") else value)


@pytest.mark.parametrize("sizes,batch", [((64, 100, 30, 10), 32), ((784, 512, 512, 10), 16)])
def test_engine_and_hand_written_numpy_take_the_same_steps(sizes, batch):
    steps = make_steps(sizes, batch, np.float64, None)
    engine = [_loss(steps["tinygrad_edu"]()) for _ in range(5)]
    hand = [_loss(steps["numpy (by hand)"]()) for _ in range(5)]
    np.testing.assert_allclose(engine, hand, rtol=1e-10)
    assert engine[-1] < engine[0]  # the steps really train


def test_engine_and_pytorch_take_the_same_steps():
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here; install the [test] extra")
    steps = make_steps((64, 100, 30, 10), 32, np.float64, torch)
    engine = [_loss(steps["tinygrad_edu"]()) for _ in range(5)]
    theirs = [_loss(steps["pytorch"]()) for _ in range(5)]
    np.testing.assert_allclose(engine, theirs, rtol=1e-10)


def test_the_op_chain_computes_the_same_gradients_every_way():
    """bench_core times the same computation each way: the engine's gradients, the hand-written
    NumPy chain's and the Python floor engine's agree."""
    import bench_core
    import floor_engine
    import tinygrad_edu as tg

    rng = np.random.default_rng(1)
    x0, w, b = (rng.normal(size=(4, 5)) * 0.5 for _ in range(3))
    leaves = [tg.Tensor(a, requires_grad=True) for a in (x0, w, b)]
    x = leaves[0]
    for _ in range(6):
        x = (x * leaves[1] + leaves[2]).tanh()
    x.sum().backward()
    engine = [t.grad.detach().numpy() for t in (leaves[1], leaves[2], leaves[0])]
    gx, gw, gb = bench_core.numpy_chain(x0, w, b, 6)()
    floor = [g.data for g in floor_engine.chain(x0, w, b, 6)()]
    for got in ([gw, gb, gx], floor):
        for a, e in zip(got, engine):
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-14)
