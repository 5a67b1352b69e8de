"""Checks of the ``tinygrad-edu`` command's arguments, all made before any data is loaded or trained.

A careless setting must fail in the first second with one clear line, never after minutes of
training and never with a Python traceback: argument values that cannot be right (``--lr nan``,
``--seed -1``) exit with status 2 from the parser, like any usage error; settings that do not go
together, an output folder that cannot be written and a data folder that is not there exit with
status 1 (:class:`CLIError`).
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["CLIError", "positive", "fraction", "non_negative", "seed", "check_settings", "check_paths", "extra_for"]


class CLIError(Exception):
    """A problem the user can fix (missing data, an impossible setting): message, exit status 1."""


# --------------------------------------------------------------------------- argument types (exit status 2)


def _number(kind: type, what: str, text: str) -> Any:
    try:
        v = kind(text)
    except ValueError:
        kind_name = "an integer" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"{what} must be {kind_name}, got {text!r}") from None
    if kind is float and not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"{what} must be a finite number, got {text}")
    return v


def positive(kind: type, what: str) -> Any:
    """An argparse type: a finite number (or integer) > 0."""

    def parse(text: str) -> Any:
        v = _number(kind, what, text)
        if v <= 0:
            raise argparse.ArgumentTypeError(f"{what} must be positive, got {text}")
        return v

    return parse


def fraction(text: str) -> float:
    """An argparse type: a fraction in [0, 1)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction such as 0.1, got {text!r}") from None
    if not 0.0 <= v < 1.0:  # NaN fails too
        raise argparse.ArgumentTypeError(f"a fraction must be in [0, 1), got {text}")
    return v


def non_negative(what: str) -> Any:
    """An argparse type: a finite number >= 0."""

    def parse(text: str) -> float:
        v = _number(float, what, text)
        if v < 0:
            raise argparse.ArgumentTypeError(f"{what} must be zero or positive, got {text}")
        return v

    return parse


def seed(text: str) -> int:
    """An argparse type: a seed NumPy accepts, 0 .. 2**32 - 1."""
    v = _number(int, "--seed", text)
    if not 0 <= v < 2**32:
        raise argparse.ArgumentTypeError(f"--seed must be in 0 .. 2**32 - 1, got {text}")
    return v


# --------------------------------------------------------------------------- settings (exit status 1)


def check_settings(args: argparse.Namespace, gates: bool) -> None:
    """Settings that do not go together, refused before anything is loaded."""
    if args.hidden and any(h < 1 for h in args.hidden):
        raise CLIError(f"--hidden: layer sizes must be positive, got {args.hidden}")
    if gates and args.val:
        raise CLIError(f"--val: {args.dataset} has four rows; there is nothing to hold out for validation")
    if args.patience is not None and not args.val:
        raise CLIError("--patience needs a validation set: add --val 0.1")
    if args.model == "cnn" and gates:
        raise CLIError(f"--model cnn needs images; {args.dataset} is a truth table, use --model mlp")
    if args.dataset == "digits" and args.test == 0:
        raise CLIError("--test 0 leaves no test set; the digits are split into training and test parts (--test 0.2)")
    if args.dataset == "digits" and (1 - args.test) * (1 - args.val) < 0.05:
        kept = (1 - args.test) * (1 - args.val)
        raise CLIError(
            f"--val {args.val:g} with --test {args.test:g} leaves {kept:.1%} of the digits for training; hold out less"
        )
    _check_size(args)
    if args.batch_norm and args.model == "mlp" and args.batch_size == 1:
        raise CLIError("--batch-norm needs batches of at least 2 samples (a batch of one has no spread): --batch-size")


_INPUTS = {"gates": 2, "digits": 64, "mnist": 784, "fashion-mnist": 784}


def _check_size(args: argparse.Namespace) -> None:
    """Refuse layer sizes whose weights (with their gradients and Adam's two moments) cannot fit in memory."""
    if args.model != "mlp":
        return
    sizes = [_INPUTS.get(args.dataset, 2), *args.hidden, 10]
    count = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    need = 4 * count * (4 if args.dtype == "float32" else 8)
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: assume a large machine
        memory = 1 << 40
    if need > memory:
        raise CLIError(
            f"--hidden {' '.join(map(str, args.hidden))}: {count:,} weights need about {need / 2**30:,.0f} GiB "
            f"(weights, gradients and optimizer state), more than this machine's {memory / 2**30:,.0f} GiB"
        )


def _writable_folder(folder: Path, what: str) -> None:
    """Raise a CLIError unless a file can be created in ``folder`` (tried, not guessed from permissions)."""
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".tinygrad-edu-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise CLIError(f"{what}: cannot write into {folder} ({e.strerror or e})") from None


def check_out(out: Path) -> None:
    """The output folder: an existing folder we can write into, or a new one under such a folder."""
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {out}: it is a file, not a folder; choose another name")
    probe = out
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise CLIError(f"--out {out}: {probe} is a file, so no folder can be made under it")
    _writable_folder(probe, f"--out {out}")


def check_paths(args: argparse.Namespace, out: Path) -> None:
    """Output and data folders, checked before any data is loaded or any epoch is trained."""
    check_out(out)
    if args.data_dir is not None:
        d = Path(args.data_dir).expanduser()
        if not d.exists():
            raise CLIError(f"--data-dir {args.data_dir}: no such folder (make it, or leave --data-dir out)")
        if not d.is_dir():
            raise CLIError(f"--data-dir {args.data_dir}: it is a file; give the folder that holds the IDX files")


# --------------------------------------------------------------------------- missing packages

_EXTRAS = {"sklearn": "sklearn", "joblib": "sklearn", "matplotlib": "viz", "graphviz": "viz", "cupy": "gpu"}


def extra_for(e: ImportError) -> str:
    """One line saying which extra to install for a missing package."""
    msg = str(e)
    if "pip install" in msg:
        return msg
    name = (e.name or msg.split("'")[1] if "'" in msg else e.name or "?").split(".")[0]
    extra = _EXTRAS.get(name)
    if extra is None:
        return f"{name} is missing ({msg}); reinstall tinygrad-edu: pip install --force-reinstall tinygrad-edu"
    return f"{name} is not installed; this needs the [{extra}] extra: pip install 'tinygrad-edu[{extra}]'"
