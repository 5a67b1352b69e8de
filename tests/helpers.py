"""Shared helpers of the op tests: input generators, the finite-difference check and the
PyTorch oracle.

Inputs are drawn away from kinks (|x|, relu, max ties) so that central differences are valid:
``grid`` values sit on k/4 + 1/8 and ``grid0`` values on k/4, so an element of one never equals
an element of the other, nor zero, nor a clip bound that is a multiple of 1/4.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import tinygrad_edu as tg
from tinygrad_edu import Tensor

# Modest example counts: the op suite must stay well under a minute on two shared cores.
# TG_HYPOTHESIS_EXAMPLES=500 runs a deeper search (by hand or in a nightly job).
SETTINGS = settings(
    max_examples=int(os.environ.get("TG_HYPOTHESIS_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Finite differences in float64 are good to ~1e-9 here; these are tighter than gradcheck's defaults.
FD_ATOL = 1e-6
FD_RTOL = 1e-5


def draw(domain: str, shape: Sequence[int], rng: np.random.Generator) -> np.ndarray:
    """A float64 array of ``shape`` from a named domain."""
    shape = tuple(shape)
    if domain == "real":
        return rng.uniform(-2.0, 2.0, shape)
    if domain == "pos":
        return rng.uniform(0.3, 2.5, shape)
    if domain == "gt-1":
        return rng.uniform(-0.7, 2.0, shape)
    if domain == "unit":  # inside (-1, 1), for atanh-like and stability-sensitive cases
        return rng.uniform(-0.9, 0.9, shape)
    if domain == "grid":  # k/4 + 1/8: never 0, never a multiple of 1/4
        return rng.integers(-8, 8, shape) * 0.25 + 0.125
    if domain == "grid0":  # k/4: never equal to a "grid" value
        return rng.integers(-8, 9, shape) * 0.25 + 0.0
    if domain == "distinct":  # all elements different by at least 0.1 (no max/min ties)
        n = int(np.prod(shape, dtype=np.int64))
        return (rng.permutation(n) * 0.1 - 0.05 * n).reshape(shape)
    raise ValueError(f"unknown domain {domain!r}")


def tensors(arrays: Sequence[np.ndarray], device: str = "cpu", requires_grad: bool = True) -> list[Tensor]:
    """float64 leaves on ``device`` from host arrays."""
    return [Tensor(np.array(a, dtype=np.float64), requires_grad=requires_grad, device=device) for a in arrays]


def assert_close(actual, expected, rtol: float = 1e-12, atol: float = 1e-12, what: str = "") -> None:
    """Compare a Tensor (or array) with a NumPy array, shapes included."""
    a = actual.detach().numpy() if isinstance(actual, Tensor) else np.asarray(actual)
    e = np.asarray(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape}, expected {e.shape}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=what)


def check_forward(
    fn: Callable, np_fn: Callable, arrays: Sequence[np.ndarray], device: str, rtol: float = 1e-12, atol: float = 1e-12
) -> Tensor:
    """``fn`` on tensors against ``np_fn`` on the arrays; the result keeps float64."""
    out = fn(*tensors(arrays, device, requires_grad=False))
    expected = np_fn(*[np.array(a) for a in arrays])
    assert_close(out, expected, rtol, atol, what="forward")
    assert out.dtype == np.float64, f"forward turned float64 into {out.dtype}"
    return out


def check_fd(
    fn: Callable,
    arrays: Sequence[np.ndarray],
    device: str,
    rng: np.random.Generator,
    atol: float = FD_ATOL,
    rtol: float = FD_RTOL,
) -> None:
    """Backward against central differences (float64) for every input.

    The output is projected on fixed random weights, ``sum(w * fn(x))``: one backward pass per
    check, and a wrong element of the Jacobian still shows (the weights are generic).
    """
    xs = tensors(arrays, device)
    with tg.no_grad():
        out_shape = fn(*xs).shape
    w = Tensor(rng.standard_normal(out_shape), device=device)
    assert tg.gradcheck(lambda *a: (fn(*a) * w).sum(), xs, eps=1e-6, atol=atol, rtol=rtol)


def torch_or_skip():
    """The PyTorch module, or a skip saying why (the twin comparisons need it)."""
    return pytest.importorskip("torch", reason="PyTorch is the oracle for these twin tests; pip install torch")


def check_torch(
    fn: Callable,
    torch_fn: Callable,
    arrays: Sequence[np.ndarray],
    device: str,
    rng: np.random.Generator,
    rtol: float = 1e-9,
    atol: float = 1e-12,
) -> None:
    """Forward values and input gradients against PyTorch in float64, for the same dL/dy."""
    torch = torch_or_skip()
    xs = tensors(arrays, device)
    ts = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = fn(*xs)
    tout = torch_fn(*ts)
    assert_close(out, tout.detach().numpy(), rtol, atol, what="forward vs torch")
    g = rng.standard_normal(tuple(tout.shape))
    out.backward(Tensor(g, device=device))
    tout.backward(torch.tensor(g))
    for i, (x, t) in enumerate(zip(xs, ts)):
        if t.grad is None:
            assert x.grad is None or np.all(x.grad.numpy() == 0), f"input {i}: torch gives no gradient"
            continue
        assert x.grad is not None, f"input {i}: no gradient, torch has one"
        assert_close(x.grad, t.grad.numpy(), rtol, atol, what=f"grad of input {i} vs torch")


# ----------------------------------------------------------------------------- headless Chromium

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # Debian's package (apt install chromium)
# Without the networking switches Chromium tries to reach Google's hosts at every start, which a
# closed network refuses (and which a test that counts requests must not see).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def launch_chromium(pw, profile_dir, **options):
    """A headless Chromium browser context (Playwright's ``pw``) with a fresh profile in ``profile_dir``."""
    return pw.chromium.launch_persistent_context(
        str(profile_dir), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, **options
    )
