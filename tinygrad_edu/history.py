"""The record of a training run: one entry per epoch for each logged number, saved and drawn.

:func:`tinygrad_edu.train.fit` returns a :class:`History`; the command line writes it as
``history.csv``, ``history.json`` and ``history.png``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from typing import Any

from tinygrad_edu.fileio import atomic_write

__all__ = ["History"]


class History:
    """What happened during :func:`fit`: one entry per completed epoch for each logged number.

    ``history["loss"]``, ``history["val_accuracy"]`` (lists); ``history.epoch`` (epoch numbers);
    ``best_epoch`` (set when early stopping or best-weight keeping is on); ``stopped_early``,
    ``interrupted`` (Ctrl-C), ``stop_reason``. Save with :meth:`to_csv` / :meth:`to_json`, draw with :meth:`plot`.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.best_epoch: int | None = None
        self.stopped_early = False
        self.interrupted = False
        self.stop_reason: str | None = None
        self.params: dict[str, Any] = {}

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, [math.nan] * (len(self.epoch) - 1)).append(float(v))
        for values in self.history.values():
            if len(values) < len(self.epoch):
                values.append(math.nan)

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.history:
            raise KeyError(f"History has no {key!r}; it has {', '.join(self.history) or 'nothing yet'}")
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return len(self.epoch)

    def keys(self) -> list[str]:
        return list(self.history)

    def last(self) -> dict[str, float]:
        """The numbers of the last completed epoch."""
        return {k: v[-1] for k, v in self.history.items()} if self.epoch else {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "epoch": list(self.epoch),
            "history": {k: list(v) for k, v in self.history.items()},
            "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early,
            "interrupted": self.interrupted,
            "stop_reason": self.stop_reason,
            "params": dict(self.params),
        }

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """The history as JSON (NaN written as null); written atomically to ``path`` when given."""
        d = self.to_dict()
        d["history"] = {k: [None if math.isnan(x) else x for x in v] for k, v in d["history"].items()}
        text = json.dumps(d, indent=2)
        if path is not None:
            atomic_write(path, text)
        return text

    def to_csv(self, path: str | os.PathLike | None = None) -> str:
        """One row per epoch: ``epoch,loss,accuracy,val_loss,...``; written atomically to ``path`` when given."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        keys = list(self.history)
        w.writerow(["epoch", *keys])
        for i, e in enumerate(self.epoch):
            w.writerow([e, *(repr(self.history[k][i]) for k in keys)])
        text = buf.getvalue()
        if path is not None:
            atomic_write(path, text)
        return text

    def plot(self, path: str | os.PathLike | None = None, title: str | None = None) -> Any:
        """Loss (left) and accuracy (right, when logged) against epoch, training and validation.

        Drawn by :func:`tinygrad_edu.viz.plot_history` (a log scale for a positive loss). Returns the
        matplotlib Figure (it displays in Jupyter); ``path`` also saves it (PNG, PDF...), atomically.
        """
        try:
            from tinygrad_edu.viz.diagnostics import plot_history
        except ImportError:  # pragma: no cover - optional extra
            raise ImportError("History.plot needs matplotlib: pip install tinygrad-edu[viz]") from None
        positive = all(v > 0 for v in self.history.get("loss", []) if not math.isnan(v))
        fig = plot_history(self, log_loss=positive, metrics=("loss", "accuracy"), title=title)
        if path is not None:
            fmt = os.path.splitext(os.fspath(path))[1][1:].lower() or "png"
            atomic_write(path, lambda f: fig.savefig(f, format=fmt, dpi=120))
        return fig

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v:.4g}" for k, v in self.last().items() if k != "time")
        flags = " interrupted" if self.interrupted else " stopped early" if self.stopped_early else ""
        return f"History({len(self)} epochs{flags}{': ' + last if last else ''})"
