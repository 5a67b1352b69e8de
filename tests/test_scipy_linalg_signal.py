"""``tinygrad_edu.scipy.linalg`` (solve_triangular, solve_banded, sqrtm) and ``tinygrad_edu.scipy.signal``
(convolve): against SciPy, central differences, second derivatives and PyTorch's twins."""

from __future__ import annotations

import os

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.signal as ssig
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from helpers import SETTINGS, assert_close, check_fd, check_torch, tensors, torch_or_skip
from tinygrad_edu import Tensor
from tinygrad_edu.scipy import linalg, signal

seeds = st.integers(0, 2**32 - 1)
# each case draws only values (its shapes are fixed): a few seeds suffice; TG_HYPOTHESIS_EXAMPLES deepens it
FEW = settings(SETTINGS, max_examples=int(os.environ.get("TG_HYPOTHESIS_EXAMPLES", "6")))
EYE3 = np.eye(3)


def _well_conditioned(rng, n=4):
    return rng.normal(size=(n, n)) + 4.0 * np.eye(n)


def _banded(rng, lo=2, up=1, n=5):
    ab = rng.normal(size=(lo + up + 1, n))
    ab[up] += 5.0  # a dominant main diagonal
    return ab


# name: (ours, SciPy, inputs from rng)
CASES = {
    "solve_triangular-lower": (
        lambda a, b: linalg.solve_triangular(a, b, lower=True),
        lambda a, b: sla.solve_triangular(a, b, lower=True),
        lambda r: [_well_conditioned(r), r.normal(size=(4, 2))],
    ),
    "solve_triangular-upper-T": (
        lambda a, b: linalg.solve_triangular(a, b, trans="T"),
        lambda a, b: sla.solve_triangular(a, b, trans="T"),
        lambda r: [_well_conditioned(r), r.normal(size=4)],
    ),
    "solve_triangular-unit": (
        lambda a, b: linalg.solve_triangular(a, b, lower=True, unit_diagonal=True),
        lambda a, b: sla.solve_triangular(a, b, lower=True, unit_diagonal=True),
        lambda r: [0.3 * r.normal(size=(3, 3)), r.normal(size=3)],
    ),
    "solve_banded": (
        lambda ab, b: linalg.solve_banded((2, 1), ab, b),
        lambda ab, b: sla.solve_banded((2, 1), ab, b),
        lambda r: [_banded(r), r.normal(size=(5, 2))],
    ),
    "sqrtm": (
        lambda c: linalg.sqrtm(c @ c.T + EYE3),
        lambda c: sla.sqrtm(c @ c.T + EYE3),
        lambda r: [r.normal(size=(3, 3))],
    ),
    "solve_sylvester": (
        lambda a, b, q: linalg.solve_sylvester(a, b, q),
        lambda a, b, q: sla.solve_sylvester(a, b, q),
        lambda r: [_well_conditioned(r, 3), _well_conditioned(r, 2), r.normal(size=(3, 2))],
    ),
}
for _mode in ("full", "valid", "same"):
    for _sa, _sb in (((7,), (3,)), ((3,), (5,)), ((4, 5), (2, 3)), ((2, 2), (3, 4))):
        CASES[f"convolve-{_mode}-{_sa}-{_sb}"] = (
            lambda x, y, m=_mode: signal.convolve(x, y, m),
            lambda x, y, m=_mode: ssig.convolve(x, y, m),
            lambda r, sa=_sa, sb=_sb: [r.normal(size=sa), r.normal(size=sb)],
        )
del CASES["convolve-valid-(2, 2)-(3, 4)"]  # not valid in SciPy either (shown below)


@pytest.mark.parametrize("name", list(CASES))
@FEW
@given(seed=seeds)
def test_vs_scipy_finite_differences_and_second_order(name, seed, device):
    fn, sp_fn, draw = CASES[name]
    rng = np.random.default_rng(seed)
    arrays = draw(rng)
    assert_close(fn(*tensors(arrays, device, False)), sp_fn(*arrays), rtol=1e-9, atol=1e-12, what=name)
    check_fd(fn, arrays, device, rng)
    assert tg.gradgradcheck(fn, tensors(arrays, device), atol=1e-5, rtol=1e-4)


def test_solve_triangular_and_convolve_against_torch(device):
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    check_torch(
        lambda a, b: linalg.solve_triangular(a, b, lower=True),
        lambda a, b: torch.linalg.solve_triangular(a, b, upper=False),
        [_well_conditioned(rng), rng.normal(size=(4, 3))],
        device,
        rng,
    )

    def torch_full(x, k):  # conv1d is a correlation: flip the kernel, pad by its length - 1
        return torch.nn.functional.conv1d(x.view(1, 1, -1), k.flip(0).view(1, 1, -1), padding=k.numel() - 1).view(-1)

    check_torch(lambda x, k: signal.convolve(x, k), torch_full, [rng.normal(size=8), rng.normal(size=3)], device, rng)


def test_the_unread_triangle_gets_no_gradient():
    a = Tensor(_well_conditioned(np.random.default_rng(1)), requires_grad=True)
    linalg.solve_triangular(a, np.ones(4), lower=True).sum().backward()
    assert np.all(np.triu(a.grad.numpy(), 1) == 0) and np.any(np.tril(a.grad.numpy()) != 0)


def test_bad_inputs_are_explained():
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(TypeError, match="sqrtm of a non-symmetric matrix refuses"):
        linalg.sqrtm(x + Tensor(np.triu(np.ones((2, 2)), 1)))
    with pytest.raises(ValueError, match="sqrtm: the matrix has a negative eigenvalue"):
        linalg.sqrtm(-x - Tensor(np.eye(2)))
    with pytest.raises(ValueError, match="solve_triangular: trans must be"):
        linalg.solve_triangular(x, np.ones(2), trans=5)
    with pytest.raises(ValueError, match=r"solve_banded: ab must have shape \(4, n\)"):
        linalg.solve_banded((2, 1), x, np.ones(2))
    with pytest.raises(ValueError, match="convolve: for mode 'valid' one array must be at least as large"):
        signal.convolve(Tensor(np.ones((2, 2))), np.ones((3, 1)), "valid")
    with pytest.raises(ValueError, match="valid"):
        ssig.convolve(np.ones((2, 2)), np.ones((3, 1)), "valid")
    with pytest.raises(ValueError, match="convolve: in1 and in2 must have the same number of axes"):
        signal.convolve(x, np.ones(3))
    with pytest.raises(TypeError, match="tinygrad_edu.scipy.linalg.expm refuses"):
        linalg.expm(x)
    with pytest.raises(ValueError, match=r"solve_sylvester: a must be \(n, n\)"):
        linalg.solve_sylvester(x, np.eye(3), np.ones((2, 2)))
    from tinygrad_edu.scipy import integrate

    with pytest.raises(TypeError, match="odeint refuses a Tensor that requires grad: SciPy's adaptive solver"):
        integrate.odeint(lambda y, t: -y, x[0], np.linspace(0, 1, 3))


# qualified name -> the test that checks its derivative (docs/gen_coverage.py links it on the coverage page)
_TEST = "tests/test_scipy_linalg_signal.py::test_vs_scipy_finite_differences_and_second_order"
DERIVATIVE_TESTS = {f"linalg.{n}": _TEST for n in linalg.DIFFERENTIABLE} | {"signal.convolve": _TEST}


def test_every_differentiable_name_is_in_the_cases():
    tested = {name.split("-")[0] for name in CASES}
    assert tested == set(linalg.DIFFERENTIABLE) | set(signal.DIFFERENTIABLE)
