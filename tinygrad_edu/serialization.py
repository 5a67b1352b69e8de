"""Saving and loading state dicts in NumPy's ``.npz`` format, safely.

``save(obj, path)`` takes a (nested) dict or list of tensors, arrays, numbers, strings and
``None`` -- the state dict of a model, of an optimizer, or a checkpoint dict holding both --
and writes every array as one member of an ``.npz`` archive, named by its path in ``obj``
(``"0.weight"``, ``"optimizer/state/0/exp_avg"``), plus one ``"__schema__"`` member: a JSON
text that records the nesting and the plain values. So a model's file also opens with plain
``numpy.load``.

Nothing is ever pickled: ``load`` opens files with ``allow_pickle=False`` and refuses ones
that hold Python objects. ``save`` writes to a temporary file in the target folder and renames
it over the target only when complete, so a crash mid-save leaves the old file intact.
"""

from __future__ import annotations

import json
import os
import zipfile
from typing import Any

import numpy as np
import numpy.lib.format as npformat

from tinygrad_edu import backend
from tinygrad_edu.fileio import atomic_write
from tinygrad_edu.tensor import Tensor

SCHEMA_KEY = "__schema__"
FORMAT = "tinygrad_edu.npz/1"
MAX_DEPTH = (
    100  # nesting levels saved; deeper (or a reference cycle) is refused, so load's JSON parser never recurses too far
)
MAX_EXPANSION = 100  # arrays may take this many times the file's size on disk (beyond 64 MiB) before load refuses


class _Packer:
    """Turns a nested object into a JSON-able tree plus a dict of named arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def _name(self, path: list[str]) -> str:
        base = "/".join(path) or "value"
        name, i = base, 1
        while name in self.arrays or name == SCHEMA_KEY:
            name, i = f"{base}~{i}", i + 1
        return name

    def pack(self, obj: Any) -> Any:
        # an explicit stack instead of recursion: (object, path, parent list to append to)
        root: list[Any] = []
        stack: list[tuple[Any, list[str], list[Any]]] = [(obj, [], root)]
        while stack:
            o, path, out = stack.pop()
            where = "/".join(path) or "<root>"
            if len(path) > MAX_DEPTH:
                raise ValueError(
                    f"save: the object is nested more than {MAX_DEPTH} levels deep at {where[:80]!r}... "
                    "(a dict or list that contains itself?); state dicts are a few levels deep"
                )
            if isinstance(o, Tensor) or backend.is_array(o) and not isinstance(o, np.generic):
                arr = backend.to_numpy(o.data if isinstance(o, Tensor) else o)
                if arr.dtype.kind not in "biufc":
                    raise TypeError(
                        f"save: the array at {where!r} has dtype {arr.dtype}; only numeric arrays are saved"
                    )
                name = self._name(path)
                self.arrays[name] = arr
                out.append({"tensor" if isinstance(o, Tensor) else "array": name})
            elif isinstance(o, np.generic):
                out.append({"value": o.item()})
            elif o is None or isinstance(o, (bool, int, float, str)):
                out.append({"value": o})
            elif isinstance(o, dict):
                items: list[Any] = []
                out.append({"dict": items})
                for k, v in reversed(list(o.items())):
                    if isinstance(k, bool) or not isinstance(k, (str, int)):
                        raise TypeError(f"save: dict key {k!r} at {where!r} must be a str or an int")
                    kind = "s" if isinstance(k, str) else "i"
                    children: list[Any] = []
                    items.insert(0, [kind, k, children])
                    stack.append((v, path + [str(k)], children))
            elif isinstance(o, (list, tuple)):
                elems: list[Any] = []
                out.append({"list" if isinstance(o, list) else "tuple": elems})
                for i in range(len(o) - 1, -1, -1):
                    slot: list[Any] = []
                    elems.insert(0, slot)
                    stack.append((o[i], path + [str(i)], slot))
            else:
                raise TypeError(
                    f"save: cannot store a {type(o).__name__} at {where!r}; only tensors, arrays, numbers, "
                    "strings, None and dicts/lists of them (state dicts) are saved -- never pickled objects"
                )
        return root[0]


def _unpack(tree: Any, arrays: Any, device: str | None) -> Any:
    """Rebuild the object from the JSON tree (iteratively)."""
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(tree, root, 0)]
    while stack:
        node, container, key = stack.pop()
        if not isinstance(node, (dict, list)):
            raise ValueError("load: the file's schema is malformed")
        if isinstance(node, list):  # a slot list made by the packer holds one node
            node = node[0]
        if "value" in node:
            value = node["value"]
        elif "tensor" in node or "array" in node:
            arr = arrays[node.get("tensor", node.get("array"))]
            if "tensor" in node:
                value = Tensor(arr, device=device or "cpu")
            else:
                value = arr if device in (None, "cpu") else backend.to_device(arr, device)
        elif "dict" in node:
            value = {}
            for kind, k, child in node["dict"]:
                k = int(k) if kind == "i" else str(k)
                value[k] = None
                stack.append((child, value, k))
        elif "list" in node or "tuple" in node:
            elems = node.get("list", node.get("tuple"))
            # tuples are filled as lists, then frozen by _freeze
            value = _TupleBox([None] * len(elems)) if "tuple" in node else [None] * len(elems)
            for i, child in enumerate(elems):
                stack.append((child, value, i))
        else:
            raise ValueError(f"load: unknown entry in the file's schema: {sorted(node)}")
        container[key] = value
    return _freeze(root[0])


class _TupleBox(list):
    """A list to be turned into a tuple once its elements are in."""


def _freeze(obj: Any) -> Any:
    """Replace every _TupleBox by a tuple, children first (iteratively)."""
    order: list[Any] = []
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, (dict, list)):
            order.append(o)
            stack.extend(o.values() if isinstance(o, dict) else o)
    for o in reversed(order):  # parents come before children in `order`
        items = o.items() if isinstance(o, dict) else enumerate(o)
        for k, v in list(items):
            if isinstance(v, _TupleBox):
                o[k] = tuple(v)
    return tuple(obj) if isinstance(obj, _TupleBox) else obj


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` (a state dict, or a dict/list of them) to ``path`` as an ``.npz`` archive, atomically::

    tg.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 7}, "ckpt.npz")
    """
    packer = _Packer()
    tree = packer.pack(obj)
    schema = json.dumps({"format": FORMAT, "tree": tree})
    members = dict(packer.arrays)
    members[SCHEMA_KEY] = np.array(schema)
    atomic_write(path, lambda f: np.savez(f, **members))


def _declared_sizes(path: str) -> int:
    """Check every member's ``.npy`` header against the size the archive stores, before anything is allocated.

    Returns the total number of bytes the arrays will take. A member whose header announces more
    (or fewer) bytes than it holds, such as a forged header announcing 75 GiB, is refused here
    instead of ending in a ``MemoryError`` (or a machine that swaps).
    """
    total = 0
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            with zf.open(info) as member:
                version = npformat.read_magic(member)
                if version == (1, 0):
                    shape, _, dtype = npformat.read_array_header_1_0(member)
                elif version == (2, 0):
                    shape, _, dtype = npformat.read_array_header_2_0(member)
                else:
                    raise ValueError(f"member {info.filename!r}: unsupported .npy format version {version}")
                header = member.tell()
            if dtype.hasobject:
                raise ValueError(f"member {info.filename!r} holds object arrays (pickle)")
            count = 1
            for n in shape:  # Python integers: a product of forged dimensions cannot overflow
                count *= int(n)
            nbytes = count * dtype.itemsize
            if header + nbytes != info.file_size:
                raise ValueError(
                    f"member {info.filename!r} announces shape {tuple(shape)} of {dtype} ({_size(nbytes)}) but holds "
                    f"{_size(max(info.file_size - header, 0))}: truncated or forged"
                )
            total += nbytes
    return total


def _size(nbytes: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} bytes"


def _read_arrays(path: str, max_bytes: int | None) -> dict[str, np.ndarray]:
    """The archive's arrays, after the checks of :func:`_declared_sizes` and the expansion limit."""
    total = _declared_sizes(path)
    on_disk = os.path.getsize(path)
    limit = max(MAX_EXPANSION * on_disk, 64 << 20) if max_bytes is None else max_bytes
    if total > limit:
        raise ValueError(
            f"load: {path!r} would expand from {_size(on_disk)} on disk to {_size(total)} of arrays, over the "
            f"limit of {_size(limit)} (a decompression bomb?); pass max_bytes= to load it anyway"
        )
    data = np.load(path, allow_pickle=False)
    if not hasattr(data, "files"):
        raise ValueError(f"load: {path!r} is a single .npy array, not an .npz archive written by save()")
    with data:
        return {k: data[k] for k in data.files}


def _sniff(path: str) -> None:
    """Name what the file is when it is not a zip archive, before NumPy tries to read it."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"\x80") or head.startswith(b"(dp"):
        raise ValueError("the file is a Python pickle")
    if head.startswith(b"\x93NUMPY"):
        raise ValueError(f"load: {path!r} is a single .npy array, not an .npz archive written by save()")
    if not zipfile.is_zipfile(path):
        raise ValueError("not a zip archive")


def load(path: str | os.PathLike, device: str | None = None, *, max_bytes: int | None = None) -> Any:
    """Read what :func:`save` wrote (tensors come back as Tensors on ``device``, default CPU).

    A plain ``.npz`` without a schema loads as a dict name -> Tensor. Files holding pickled
    Python objects are refused; truncated or corrupt files raise a ``ValueError`` saying so. Sizes
    are checked before anything is allocated: an archive whose arrays would take more than
    ``max_bytes`` (default: 100 times its size on disk, at least 64 MiB) is refused as a
    decompression bomb.
    """
    path = os.fspath(path)
    if device is not None:
        device = backend.check_device(device)
    if os.path.isdir(path):
        raise IsADirectoryError(f"load: {path!r} is a folder; pass the path of an .npz file inside it")
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file {path!r}")
    try:
        _sniff(path)
        arrays = _read_arrays(path, max_bytes)
    except ValueError as e:
        msg = str(e)
        if "pickle" in msg.lower() or "object arrays" in msg.lower():
            raise ValueError(
                f"load: {path!r} holds pickled Python objects, which are never loaded (they can run "
                "arbitrary code); only numeric arrays saved by tinygrad_edu.save are accepted"
            ) from None
        if msg.startswith("load:"):
            raise
        raise ValueError(f"load: {path!r} is not a readable .npz archive (truncated or corrupt?): {msg}") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, MemoryError) as e:
        raise ValueError(
            f"load: {path!r} is truncated or corrupt and cannot be read ({type(e).__name__}: {e})"
        ) from None
    if SCHEMA_KEY not in arrays:
        return {k: Tensor(v, device=device or "cpu") for k, v in arrays.items()}
    try:
        meta = json.loads(str(arrays.pop(SCHEMA_KEY)[()]))
        if meta.get("format") != FORMAT:
            raise ValueError(f"unknown format {meta.get('format')!r}")
        return _unpack(meta["tree"], arrays, device)
    except RecursionError:
        raise ValueError(f"load: {path!r} has a schema nested too deeply to be a state dict (forged?)") from None
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
        raise ValueError(f"load: {path!r} has a damaged schema ({type(e).__name__}: {e})") from None
