"""Writing files safely: the one atomic-write helper every writer of the package uses.

``atomic_write(path, data)`` writes to a hidden temporary file beside ``path`` and renames it over
``path`` only when the whole content is on disk, so a crash, a full disk or Ctrl-C mid-write leaves
the old file (or no file) and never a half-written one. The new file gets the permissions an
ordinary ``open(path, "w")`` would give (0o666 less the user's umask: 0o644 under umask 022; a
file that is replaced keeps its own), so a course TA can read a student's run folder. Errors name
``path``, not the temporary file.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_write"]


def _open_temporary(folder: str, name: str) -> tuple[int, str]:
    """Create a new hidden file beside the target, with mode 0o666 filtered by the umask (as open() does).

    ``tempfile.mkstemp`` would create it 0o600: the renamed file would be unreadable to others.
    """
    for _ in range(100):
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.part")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", os.path.join(folder, f".{name}.*.part"))


def _check_target(path: str, parents: bool) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "it is a folder, not a file", path)
    if parents:
        os.makedirs(folder, exist_ok=True)
    elif not os.path.isdir(folder):
        what = "is not a folder" if os.path.exists(folder) else "does not exist"
        raise FileNotFoundError(errno.ENOENT, f"cannot write a file here: the folder {folder!r} {what}", path)
    return folder


def atomic_write(
    path: str | os.PathLike,
    data: str | bytes | Callable[[IO[bytes]], Any],
    *,
    encoding: str = "utf-8",
    parents: bool = False,
    fsync: bool = True,
) -> Path:
    """Write ``data`` to ``path`` atomically and return the path.

    ``data`` is text (written with ``encoding``, newlines untranslated), bytes, or a function that
    writes into the binary file object it is given (``lambda f: np.savez(f, **arrays)``).
    ``parents=True`` creates missing folders. An ``OSError`` names ``path``; the temporary file is
    removed on any error, Ctrl-C included.
    """
    path = os.fspath(path)
    if not path:
        raise ValueError("atomic_write: the path is empty")
    folder = _check_target(path, parents)
    try:
        fd, tmp = _open_temporary(folder, os.path.basename(path))
    except OSError as e:
        raise _naming(e, path) from None
    try:
        _keep_mode(fd, path)
        with os.fdopen(fd, "wb") as f:
            if callable(data):
                data(f)
            else:
                f.write(data.encode(encoding) if isinstance(data, str) else data)
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic: readers see the old file or the whole new one
    except OSError as e:
        _remove(tmp)
        raise _naming(e, path) from e
    except BaseException:
        _remove(tmp)
        raise
    return Path(path)


def _keep_mode(fd: int, path: str) -> None:
    """A file that is replaced keeps its permissions, as when ``open(path, "w")`` rewrites it."""
    if hasattr(os, "fchmod"):
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            return
        os.fchmod(fd, mode)


def _naming(e: OSError, path: str) -> OSError:
    """The same error, naming the target file instead of the temporary one (``[Errno 13] Permission denied: 'x'``)."""
    err = type(e)(e.errno, e.strerror or str(e), path) if e.errno is not None else type(e)(f"{e}: {path!r}")
    return err


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
