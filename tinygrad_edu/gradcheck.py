"""Gradient checking: analytic gradients against central finite differences.

For f: R^n -> R^m the engine's Jacobian J (one backward pass per output element) is compared
with the numerical one, column by column,

    J[:, i] ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps),

whose error is O(eps^2). An element passes when |analytic - numerical| <= atol + rtol |numerical|.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tinygrad_edu import autograd, backend
from tinygrad_edu.autograd import no_grad
from tinygrad_edu.ops.shape import concatenate
from tinygrad_edu.tensor import Tensor


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree; the message holds the per-input report."""


@dataclass
class InputReport:
    """How one input's gradient compares; the worst element is named."""

    index: int
    shape: tuple[int, ...]
    max_abs_error: float
    max_rel_error: float
    worst_element: tuple[int, ...] | None
    worst_output: int | None
    analytic: float
    numerical: float
    passed: bool

    def __str__(self) -> str:
        status = "ok" if self.passed else "MISMATCH"
        if self.worst_element is None:
            return f"input {self.index} {self.shape}: {status} (empty)"
        return (
            f"input {self.index} {self.shape}: {status}; worst element {self.worst_element} "
            f"(output element {self.worst_output}): analytic {self.analytic:.10g}, numerical "
            f"{self.numerical:.10g}, abs error {self.max_abs_error:.3g}, rel error {self.max_rel_error:.3g}"
        )


@dataclass
class GradcheckReport:
    """The outcome of a gradient check, one entry per input that requires grad."""

    inputs: list[InputReport] = field(default_factory=list)
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.inputs)

    def __str__(self) -> str:
        head = f"gradcheck {'passed' if self.passed else 'FAILED'} (eps={self.eps}, atol={self.atol}, rtol={self.rtol})"
        return "\n".join([head] + ["  " + str(r) for r in self.inputs])

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{r.index}</td><td>{r.shape}</td><td>{'✓' if r.passed else '✗'}</td>"
            f"<td>{r.analytic:.6g}</td><td>{r.numerical:.6g}</td><td>{r.max_abs_error:.2e}</td>"
            f"<td>{r.max_rel_error:.2e}</td></tr>"
            for r in self.inputs
        )
        return (
            "<table><tr><th>input</th><th>shape</th><th>ok</th><th>analytic</th><th>numerical</th>"
            f"<th>abs error</th><th>rel error</th></tr>{rows}</table>"
        )


def _flat_output(fn: Callable, inputs: Sequence[Tensor]) -> Tensor:
    out = fn(*inputs)
    outs = [out] if isinstance(out, Tensor) else [o for o in out if o is not None]
    if not outs:
        raise ValueError("gradcheck: the function returned no tensor")
    return concatenate([o.reshape(-1) for o in outs]) if len(outs) > 1 else outs[0].reshape(-1)


def analytic_jacobians(fn: Callable, inputs: Sequence[Tensor], wrt: list[int]) -> tuple[list[Any], int]:
    """The Jacobian of ``fn``'s flattened output with respect to each input in ``wrt``, row by row by the
    backward pass (one pass per output element); also the number of output elements."""
    y = _flat_output(fn, inputs)
    xp = y.xp
    m = y.shape[0]
    jac = [xp.zeros((m, inputs[i].size), dtype=xp.float64) for i in wrt]
    if not y.requires_grad:
        return jac, m
    for k in range(m):
        e = xp.zeros(m, dtype=y.dtype)
        e[k] = 1.0
        grads = autograd.grad(
            y, [inputs[i] for i in wrt], Tensor._make(e, y.device), retain_graph=True, allow_unused=True
        )
        for j, g in enumerate(grads):
            if g is not None:
                jac[j][k] = g.data.reshape(-1)
    return jac, m


def numerical_jacobians(fn: Callable, inputs: Sequence[Tensor], wrt: list[int], eps: float, m: int) -> list[Any]:
    """The same Jacobians by central differences with step ``eps``, column by column (``m`` output elements)."""
    # Recording stays on: fn may itself differentiate (gradgradcheck's first derivative).
    jacs = []
    for i in wrt:
        x = inputs[i]
        xp = x.xp
        original = x.data
        x.data = original.copy()  # contiguous, so that the flat view below writes through to x
        flat = x.data.reshape(-1)
        jac = xp.zeros((m, x.size), dtype=xp.float64)
        try:
            for e in range(x.size):
                old = flat[e].item()
                flat[e] = old + eps
                plus = _flat_output(fn, inputs).data.copy()  # copies: fn may return a view of x
                flat[e] = old - eps
                minus = _flat_output(fn, inputs).data.copy()
                flat[e] = old
                jac[:, e] = (plus - minus) / (2 * eps)
        finally:
            x.data = original  # the caller's array, untouched
        jacs.append(jac)
    return jacs


def gradcheck_report(
    fn: Callable[..., Any], inputs: Any, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3
) -> GradcheckReport:
    """Compare analytic with numerical gradients of ``fn(*inputs)`` and return the report."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck: no input requires grad; create them with requires_grad=True")
    for i in wrt:
        if str(inputs[i].dtype) != "float64":
            raise TypeError(
                f"gradcheck: input {i} is {inputs[i].dtype}; finite differences need float64 "
                "(create the inputs with dtype='float64')"
            )
    analytic, m = analytic_jacobians(fn, inputs, wrt)
    numerical = numerical_jacobians(fn, inputs, wrt, eps, m)
    report = GradcheckReport(eps=eps, atol=atol, rtol=rtol)
    for i, a, n in zip(wrt, analytic, numerical):
        a, n = backend.to_numpy(a), backend.to_numpy(n)
        shape = tuple(inputs[i].shape)
        if a.size == 0:
            report.inputs.append(InputReport(i, shape, 0.0, 0.0, None, None, 0.0, 0.0, True))
            continue
        err = abs(a - n)
        bad = err - (atol + rtol * abs(n))
        # the worst element uses the largest share of its tolerance (a failing one when any fails;
        # otherwise the closest call, not merely an entry that is zero on both sides)
        k, e = divmod(int((err / (atol + rtol * abs(n) + 1e-300)).argmax()), a.shape[1])
        rel = err / (abs(n) + 1e-300)
        report.inputs.append(
            InputReport(
                index=i,
                shape=shape,
                max_abs_error=float(err.max()),
                max_rel_error=float(rel[k, e]),
                worst_element=tuple(int(v) for v in backend.xp("cpu").unravel_index(e, shape)) if shape else (),
                worst_output=k,
                analytic=float(a[k, e]),
                numerical=float(n[k, e]),
                passed=bool((bad <= 0).all()),
            )
        )
    return report


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """True when the analytic gradients of ``fn`` match central differences; raises otherwise.

    On failure the :class:`GradcheckError` names, for each input, the worst element with its
    analytic and numerical values and the absolute and relative error.
    """
    report = gradcheck_report(fn, inputs, eps, atol, rtol)
    if not report.passed and raise_exception:
        raise GradcheckError(str(report))
    return report.passed


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check second derivatives: gradcheck of ``x -> grad(fn(x), x, v, create_graph=True)``.

    First the recorded first derivative is compared with the plain one (:func:`compare_create_graph`):
    an op with its own rule for ``create_graph=True`` must give the same value both ways. ``v``
    (``grad_outputs``) defaults to fixed random numbers.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    wrt = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if grad_outputs is None:
        grad_outputs = _random_grad_outputs(fn, inputs, seed)

    def first_derivative(*xs: Tensor) -> tuple[Tensor, ...]:
        out = fn(*xs)
        outs = [out] if isinstance(out, Tensor) else list(out)
        targets = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        grads = autograd.grad(outs, targets, grad_outputs, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else t.detach() * 0.0 for g, t in zip(grads, targets))

    if not wrt:
        raise ValueError("gradgradcheck: no input requires grad")
    report = compare_create_graph(fn, inputs, grad_outputs, atol, rtol)
    if not report.passed:
        if raise_exception:
            raise GradcheckError(str(report))
        return False
    return gradcheck(first_derivative, inputs, eps, atol, rtol, raise_exception)


def _random_grad_outputs(fn: Callable[..., Any], inputs: Sequence[Any], seed: int) -> list[Tensor]:
    """Fixed random numbers of the shape of each output of ``fn``: the ``v`` of ``grad(fn, x, v)``."""
    with no_grad():
        out = fn(*inputs)
    outs = [out] if isinstance(out, Tensor) else list(out)
    gen = backend.generator(seed)
    return [Tensor(gen.standard_normal(o.shape), device=o.device) for o in outs]


@dataclass
class CreateGraphReport:
    """The first derivative taken with ``create_graph=True`` against the plain one, per input."""

    mismatches: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.mismatches

    def __str__(self) -> str:
        if self.passed:
            return "create_graph check passed: the recorded first derivative equals the plain one"
        return "\n".join(
            ["gradgradcheck FAILED: the first derivative taken with create_graph=True differs from the plain one"]
            + ["  " + m for m in self.mismatches]
        )


def compare_create_graph(
    fn: Callable[..., Any], inputs: Any, grad_outputs: Any = None, atol: float = 1e-5, rtol: float = 1e-3
) -> CreateGraphReport:
    """Compare ``grad(fn(x), x, v, create_graph=True)`` with the same gradient taken without it.

    Ops may have a separate derivative rule for the recorded path (the fused cross-entropy);
    finite differences of the recorded derivative cannot see an error that both paths do not
    share, so this compares their values directly (NaN must match NaN).
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    targets = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if grad_outputs is None:
        grad_outputs = _random_grad_outputs(fn, inputs, 0)
    report = CreateGraphReport()
    grads = {}
    for create_graph in (False, True):
        out = fn(*inputs)
        outs = [out] if isinstance(out, Tensor) else list(out)
        grads[create_graph] = autograd.grad(outs, targets, grad_outputs, create_graph=create_graph, allow_unused=True)
    for k, (plain, recorded) in enumerate(zip(grads[False], grads[True])):
        if plain is None and recorded is None:
            continue
        if (plain is None) != (recorded is None):
            which = "only with" if plain is None else "only without"
            report.mismatches.append(f"input {k}: a gradient {which} create_graph=True")
            continue
        a, b = backend.to_numpy(recorded.data), backend.to_numpy(plain.data)
        xp = backend.xp("cpu")
        close = xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
        if not close.all():
            e = int(xp.argmin(close.reshape(-1)))
            where = tuple(int(i) for i in xp.unravel_index(e, a.shape)) if a.shape else ()
            report.mismatches.append(
                f"input {k} {tuple(a.shape)}: element {where}: with create_graph {a.reshape(-1)[e]:.10g}, "
                f"without {b.reshape(-1)[e]:.10g}"
            )
    return report
