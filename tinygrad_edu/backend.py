"""The array layer: the only module of the engine that touches NumPy or CuPy.

A tensor lives on a *device*: ``"cpu"`` means its data is a NumPy array, ``"cuda"`` a CuPy
array. Every op asks this module for the array library of its inputs (``xp``) and calls that,
so the same op code runs on both. This module also holds the default dtype and the random
generator, the engine's only process-wide state, as in PyTorch (grad mode and anomaly detection
are per thread, in ``autograd``).
"""

from __future__ import annotations

import contextlib
import types
from typing import Any

import numpy as np

try:  # CuPy is optional: `pip install tinygrad-edu[gpu]`
    import cupy as _cupy
except Exception:  # ImportError, or a CuPy that cannot find its CUDA libraries
    _cupy = None

Array = Any  # a numpy.ndarray or a cupy.ndarray
DEVICES = ("cpu", "cuda")

_default_dtype = np.dtype(np.float64)


# --------------------------------------------------------------------------- devices


def cuda_available() -> bool:
    """True when CuPy is installed and a GPU answers."""
    if _cupy is None:
        return False
    try:
        return _cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def cuda_unavailable_reason() -> str:
    """Why ``device="cuda"`` cannot be used here, in words."""
    if _cupy is None:
        return "CuPy is not installed; install it with `pip install tinygrad-edu[gpu]`"
    return "CuPy is installed but no CUDA GPU answers on this machine"


def check_device(device: str) -> str:
    """Normalize a device name and fail plainly when it cannot be used."""
    device = str(device)
    if device.startswith("cuda"):  # accept "cuda:0" as PyTorch users write it
        device = "cuda"
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; expected 'cpu' or 'cuda'")
    if device == "cuda" and not cuda_available():
        raise RuntimeError(f"device 'cuda' requested but {cuda_unavailable_reason()}")
    return device


ARRAY_MODULES = {"cpu": np, "cuda": _cupy}


def xp(device: str) -> types.ModuleType:
    """The array library for a device: NumPy for ``"cpu"``, CuPy for ``"cuda"``."""
    return ARRAY_MODULES[device]


def device_of(array: Array) -> str:
    """The device an array lives on."""
    if isinstance(array, np.ndarray):
        return "cpu"
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return "cuda"
    return "cpu"


def is_array(obj: Any) -> bool:
    """True for a NumPy or CuPy array (0-d included) or a NumPy scalar."""
    if isinstance(obj, (np.ndarray, np.generic)):
        return True
    return _cupy is not None and isinstance(obj, _cupy.ndarray)


def is_number_scalar(obj: Any) -> bool:
    """True for a NumPy scalar number (``np.float64(2.0)``, ``np.int64(3)``, ``np.bool_``)."""
    return isinstance(obj, np.generic) and obj.dtype.kind in "biuf"


def to_device(array: Array, device: str) -> Array:
    """Copy an array to a device (no copy when it is already there)."""
    if device == "cpu":
        return to_numpy(array)
    return _cupy.asarray(array)


def to_numpy(array: Array) -> np.ndarray:
    """A host NumPy array from a NumPy or CuPy array."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy.asnumpy(array)
    return np.asarray(array)


# --------------------------------------------------------------------------- dtypes


def get_default_dtype() -> np.dtype:
    """The dtype of tensors made from Python floats (float64 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype of tensors made from Python floats: float64 or float32 (or float16)."""
    global _default_dtype
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"set_default_dtype expects a floating dtype, got {dt}")
    _default_dtype = dt


@contextlib.contextmanager
def default_dtype(dtype: Any):
    """Context manager: a default dtype for the duration of a block."""
    old = _default_dtype
    set_default_dtype(dtype)
    try:
        yield
    finally:
        set_default_dtype(old)


def dtype(obj: Any) -> np.dtype:
    """A NumPy dtype from a name, a type or a dtype (``"float32"``, ``np.float64``...)."""
    return np.dtype(obj)


def is_floating(dt: np.dtype) -> bool:
    return dt.kind in "fc"


def asarray(data: Any, dtype: Any = None, device: str = "cpu") -> Array:
    """An array on ``device`` from Python numbers, nested lists or arrays.

    NumPy's rules apply, except that Python floats take the default dtype: a float list
    becomes float64 (or the default), an int list int64, an array keeps its dtype.
    """
    lib = xp(device)
    if dtype is not None:
        return lib.asarray(data, dtype=np.dtype(dtype))
    if is_array(data):
        return lib.asarray(data)
    arr = np.asarray(data)
    if arr.dtype.kind == "f" and arr.dtype != _default_dtype:
        arr = arr.astype(_default_dtype)
    if arr.dtype.kind in "OUS":
        raise TypeError(f"cannot make a tensor from data of type {type(data).__name__} ({arr.dtype})")
    return arr if device == "cpu" else lib.asarray(arr)


def scalar_array(value: float, like: Array) -> Array:
    """A 0-d array holding a Python number, in the dtype a partner array would give it.

    Python scalars are "weak" as in NumPy 2 and PyTorch: ``float32_tensor * 2.0`` stays float32.
    """
    dt = like.dtype
    if dt.kind not in "fc":
        dt = _default_dtype if isinstance(value, float) else np.result_type(dt, type(value))
    if device_of(like) == "cpu":
        return np.array(value, dtype=dt)
    return _cupy.array(value, dtype=dt)


# --------------------------------------------------------------------------- random numbers

_rng = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed the generator behind ``randn``, ``rand``, weight initialization and dropout."""
    global _rng
    _rng = np.random.default_rng(seed)
    if _cupy is not None:
        with contextlib.suppress(Exception):
            _cupy.random.seed(seed)


def generator(seed: int | None = None) -> np.random.Generator:
    """The global generator, or a fresh one from ``seed``."""
    return _rng if seed is None else np.random.default_rng(seed)


def random(kind: str, shape: tuple, dtype: Any, device: str, **kw: Any) -> Array:
    """Random numbers drawn on the host from the seeded generator, then moved to ``device``.

    Drawing on the host keeps results identical across devices for the same seed.
    """
    gen = kw.pop("generator", None) or _rng
    dt = np.dtype(dtype) if dtype is not None else _default_dtype
    if kind == "normal":
        out = gen.normal(kw.get("mean", 0.0), kw.get("std", 1.0), size=shape)
    elif kind == "uniform":
        out = gen.uniform(kw.get("low", 0.0), kw.get("high", 1.0), size=shape)
    elif kind == "bernoulli":
        out = gen.random(size=shape) < kw["p"]
    elif kind == "integers":
        out = gen.integers(kw["low"], kw["high"], size=shape)
        dt = np.dtype(dtype) if dtype is not None else np.dtype(np.int64)
    else:
        raise ValueError(f"unknown distribution {kind!r}")
    return to_device(np.asarray(out, dtype=dt), device)


def permutation(n: int, gen: np.random.Generator | None = None) -> np.ndarray:
    """A random permutation of ``range(n)`` as a host array."""
    return (gen or _rng).permutation(n)


# --------------------------------------------------------------------------- helpers for ops


def scatter_add(target: Array, index: Any, values: Array) -> None:
    """``target[index] += values`` where repeated indices accumulate (``np.add.at``)."""
    if device_of(target) == "cpu":
        np.add.at(target, index, values)
    else:
        import cupyx

        cupyx.scatter_add(target, index, values)


def erf(array: Array) -> Array:
    """The error function, from SciPy on the CPU and CuPy's SciPy twin on the GPU."""
    if device_of(array) == "cpu":
        from scipy.special import erf as _erf
    else:
        from cupyx.scipy.special import erf as _erf
    return _erf(array)


def expit(array: Array) -> Array:
    """The logistic sigmoid 1 / (1 + e^-x), accurate to the last bit in both tails (SciPy/CuPy)."""
    if device_of(array) == "cpu":
        from scipy.special import expit as _expit
    else:
        from cupyx.scipy.special import expit as _expit
    return _expit(array)


def special(name: str, device: str = "cpu") -> Any:
    """A function of ``scipy.special`` for arrays on ``device`` (``cupyx.scipy.special`` on the GPU)."""
    if device == "cpu":
        import scipy.special as lib
    else:
        import cupyx.scipy.special as lib
    fn = getattr(lib, name, None)
    if fn is None:
        raise NotImplementedError(
            f"scipy.special.{name} has no GPU twin in cupyx.scipy.special; move the tensor to the CPU first"
        )
    return fn


def scipy_module(name: str) -> types.ModuleType:
    """A host SciPy submodule (``"special"``, ``"stats"``), for namespaces that call SciPy on arrays."""
    import importlib

    return importlib.import_module(f"scipy.{name}")


def errstate(**kw: Any):
    """NumPy's floating-point error context (a no-op on CuPy)."""
    return np.errstate(**kw)


def isfinite_all(array: Array) -> bool:
    """True when every element is finite (one host sync on the GPU)."""
    return bool(xp(device_of(array)).isfinite(array).all())


def version_info() -> dict:
    """Versions of the array libraries, for ``tinygrad-edu info``."""
    info = {"numpy": np.__version__, "cupy": None, "cuda": False}
    if _cupy is not None:
        info["cupy"] = _cupy.__version__
        info["cuda"] = cuda_available()
    return info
