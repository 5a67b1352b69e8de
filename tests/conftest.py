"""Shared fixtures: the test suite runs on every available backend.

``device`` is ``"cpu"`` always and also ``"cuda"`` when CuPy and a GPU are present; on a
machine without one the CUDA cases are skipped with the reason.
"""

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import backend

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


@pytest.fixture(params=DEVICES)
def device(request):
    if request.param == "cuda" and not backend.cuda_available():
        pytest.skip(f"CUDA backend: {backend.cuda_unavailable_reason()}")
    return request.param


@pytest.fixture(autouse=True)
def _reset_state():
    """Each test starts with float64 as the default dtype and recording on."""
    tg.set_default_dtype(np.float64)
    tg.manual_seed(0)
    yield
    tg.set_default_dtype(np.float64)
    assert tg.is_grad_enabled(), "a test left no_grad() switched on"


def to_numpy(x):
    """A host array from a Tensor or an array on any device."""
    return x.detach().numpy() if isinstance(x, tg.Tensor) else backend.to_numpy(x)
