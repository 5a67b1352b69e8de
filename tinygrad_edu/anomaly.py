"""Anomaly detection: find the op that made the first NaN or infinity.

Under ``with detect_anomaly():`` every op remembers the line of user code that created it, every
forward result and every gradient a backward rule returns is checked, and the first NaN or
infinity raises :class:`AnomalyError` naming the op, its input shapes and that line (PyTorch's
``torch.autograd.detect_anomaly``). Off by default, and then free: the engine tests one switch.
"""

from __future__ import annotations

import contextlib
import os
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tinygrad_edu import autograd, backend

if TYPE_CHECKING:
    from tinygrad_edu.autograd import Function
    from tinygrad_edu.tensor import Tensor


class AnomalyError(FloatingPointError):
    """A NaN or infinity appeared; raised under :func:`detect_anomaly`."""


class detect_anomaly(contextlib.ContextDecorator):
    """Raise at the first NaN or infinity made by a forward op or a backward rule.

    The error names the op, the shapes of its inputs and the line of user code that created the
    op. Off by default and per thread; when off it costs one attribute test per op.
    """

    def _recreate_cm(self) -> detect_anomaly:
        return type(self)()  # as a decorator, one per call: calls in several threads restore their own

    def __enter__(self) -> None:
        self.prev = autograd._mode.detect_anomaly
        autograd._mode.detect_anomaly = True

    def __exit__(self, *exc: Any) -> None:
        autograd._mode.detect_anomaly = self.prev


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_frame() -> str:
    """The innermost stack frame outside this package, as 'file:line in function: code'."""
    # By the package's own directory, not by its name: a checkout may live in .../tinygrad_edu/tests.
    for frame in reversed(traceback.extract_stack()[:-1]):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f"{frame.filename}:{frame.lineno} in {frame.name}: {frame.line}"
    return "<unknown>"


def note_origin(fn: Function, data: Any, inputs: Sequence[Tensor]) -> None:
    """Remember where ``fn`` was created and check its forward result (called by ``apply``)."""
    origin = autograd._mode.anomaly_origin
    if origin is None:
        fn.created_at = user_frame()
        check_finite(data, fn, "forward", inputs)
    else:  # an op inside a backward rule: its result is checked as that rule's result
        fn.created_at = origin


def check_finite(array: Any, fn: Function, phase: str, inputs: Sequence[Tensor]) -> None:
    """Raise :class:`AnomalyError` when a floating-point ``array`` holds a NaN or an infinity."""
    if not backend.is_floating(array.dtype) or backend.isfinite_all(array):
        return
    shapes = ", ".join(str(tuple(t.shape)) for t in inputs if t is not None)
    where = fn.created_at or "<unknown>"
    what = "output" if phase == "forward" else "gradient"
    raise AnomalyError(
        f"{fn.name} {phase} produced NaN or infinity in its {what} (input shapes {shapes}); "
        f"the op was created at {where}"
    )


def run_rule(fn: Function, g: Tensor) -> Any:
    """Run ``fn``'s backward rule, then check every gradient it returns."""
    prev = autograd._mode.anomaly_origin
    # the ops the rule runs are blamed on the rule, so that a NaN is not pinned on a Div inside it
    autograd._mode.anomaly_origin = f"the backward rule of {fn.name} (itself created at {fn.created_at or '<unknown>'})"
    try:
        in_grads = fn.backward(g)
    finally:
        autograd._mode.anomaly_origin = prev
    for gx, wanted in zip(in_grads if type(in_grads) is tuple else (in_grads,), fn.needs_input_grad):
        if gx is not None and wanted:
            check_finite(gx.data, fn, "backward", fn.inputs)
    return in_grads
