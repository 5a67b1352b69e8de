"""The local derivative that each op declares once, in its ``local`` attribute, read as text.

An op declares, for each input, either its local derivative, ``"dy/dx = cos x"`` (the chain rule
multiplies it by the output's adjoint: dL/dx = dL/dy * cos x), or, where that is not a product
(sums, reshapes, matrix products), the whole rule, ``"dL/dX = dL/dZ @ W^T"``. The symbols are the
op's own (those of its docstring); the step-through player, the graph labels and the docs read the
declaration from here, with the symbols replaced by the tensors' names in a graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_DECLARATION = re.compile(r"^d(\w+)/d(\w+) = (.+)$")
_TOKEN = re.compile(r"dL/d(\w+)|\b(\w+)\b")


@dataclass(frozen=True)
class LocalDerivative:
    """One input's entry: ``d out/d input = expr`` (``is_rule``: ``dL/d input = expr``)."""

    out: str  # the output's symbol ("y"); "L" for a whole rule
    input: str  # the input's symbol ("x")
    expr: str  # the right-hand side, in the op's symbols

    @property
    def is_rule(self) -> bool:
        return self.out == "L"

    def __str__(self) -> str:
        return f"d{self.out}/d{self.input} = {self.expr}"


def parse(owner: str, local: str | tuple[str, ...]) -> tuple[LocalDerivative, ...]:
    """The entries of an op's ``local`` declaration; a clear error names a malformed one."""
    entries = (local,) if isinstance(local, str) else tuple(local)
    parsed = []
    for text in entries:
        m = _DECLARATION.match(text.strip()) if isinstance(text, str) else None
        if m is None:
            raise TypeError(
                f"{owner}.local: {text!r} is not a derivative declaration; write 'dy/dx = <local "
                "derivative>' (multiplied by dL/dy in the chain rule) or 'dL/dx = <the whole rule>', "
                "one string per input"
            )
        parsed.append(LocalDerivative(*m.groups()))
    return tuple(parsed)


def output_symbol(entries: tuple[LocalDerivative, ...]) -> str | None:
    """The output's symbol: from ``dy/dx`` entries, else from a ``dL/dy`` inside a rule."""
    for e in entries:
        if not e.is_rule:
            return e.out
    input_symbols = {e.input for e in entries}
    for e in entries:
        for m in re.finditer(r"dL/d(\w+)", e.expr):
            if m.group(1) not in input_symbols:
                return m.group(1)
    return None


def entry_for(entries: tuple[LocalDerivative, ...], k: int) -> LocalDerivative | None:
    """Input ``k``'s entry; a single entry stands for every input (``concatenate``)."""
    if len(entries) == 1:
        return entries[0]
    return entries[k] if k < len(entries) else None


def rename(text: str, names: dict[str, str]) -> str:
    """``text`` with each symbol replaced by its name (``x_j`` follows ``x``), in one pass."""

    def sub(m: re.Match) -> str:
        if m.group(1) is not None:
            return "dL/d" + rename(m.group(1), names)
        word = m.group(2)
        if word in names:
            return names[word]
        head, _, tail = word.partition("_")
        return f"{names[head]}_{tail}" if tail and head in names else word

    return _TOKEN.sub(sub, text)


def scalar_params(params: dict[str, Any]) -> dict[str, str]:
    """The number-valued parameters of a node (``c``, ``slope``), as text to put in a formula."""
    return {k: f"{v:g}" for k, v in params.items() if type(v) in (int, float) and not k.startswith("_")}


def docstring_line(entries: tuple[LocalDerivative, ...]) -> str:
    """The declaration as a docstring line (appended to every op's docstring)."""
    return "Local derivative (the op's ``local``):  " + ",  ".join(str(e) for e in entries) + "."
