"""MNIST-style data sets on disk: IDX files, where they are found, downloads and their SHA-256.

MNIST and Fashion-MNIST come as four IDX files each (``train-images-idx3-ubyte.gz`` ...), read
here with plain NumPy, gzipped or not. Where the files are looked for, in this order:

1. ``root=`` when given (and only there);
2. the folder in ``MNIST_DIR`` / ``FASHION_MNIST_DIR``, then ``$TINYGRAD_EDU_DATA/mnist`` or
   ``$TINYGRAD_EDU_DATA/fashion-mnist``;
3. the cache, ``~/.cache/tinygrad_edu/<name>`` (``$XDG_CACHE_HOME`` is respected);
4. the system folder of Debian's packages (``/usr/share/datasets/fashion-mnist`` from
   ``apt install dataset-fashion-mnist``).

When none has the files, they are downloaded into the cache (``download=True``) with ``pooch``,
which checks each file's SHA-256 against the published one before the file takes its name;
offline, the error message lists the files to fetch and the folder to put them in. Files are
never unpickled. The loaders are re-exported by :mod:`tinygrad_edu.data`.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "load_mnist",
    "load_fashion_mnist",
    "read_idx",
    "find_dataset",
    "fetch",
    "cache_dir",
    "DatasetNotFoundError",
    "ChecksumError",
    "DATASETS",
    "FASHION_CLASSES",
]

# --------------------------------------------------------------------------- IDX files

_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


MAX_EXPANSION = 100  # a gzipped IDX file may expand this many times its size (beyond 64 MiB) before it is refused


def _read_exact(stream: Any, n: int, source: str, what: str) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise ValueError(f"{source}: truncated IDX {what}")
    return data


def _idx_header(stream: Any, source: str) -> tuple[bytes, tuple[int, ...], np.dtype, int]:
    """Read the header (2 zero bytes, a type code, the number of axes, one big-endian uint32 per axis).

    Returns the header bytes, the shape, the (big-endian) dtype and the number of value bytes,
    computed with Python integers, so that forged dimensions cannot overflow.
    """
    head = stream.read(4)
    if len(head) < 4 or head[0] != 0 or head[1] != 0:
        raise ValueError(f"{source}: not an IDX file (it must start with two zero bytes)")
    code, ndim = head[2], head[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"{source}: unknown IDX type code 0x{code:02x}")
    dims = _read_exact(stream, 4 * ndim, source, "header")
    shape = struct.unpack(f">{ndim}I", dims)
    dt = np.dtype(_IDX_DTYPES[code])
    nbytes = dt.itemsize
    for n in shape:
        nbytes *= n
    return head + dims, shape, dt, nbytes


def _size(nbytes: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} bytes"


def _read_values(stream: Any, header: bytes, shape: tuple[int, ...], dt: np.dtype, nbytes: int, source: str) -> Any:
    """Fill one array of the announced size from the stream (the only allocation), hashing as it goes."""
    digest = hashlib.sha256(header)
    arr = np.empty(nbytes // dt.itemsize, dtype=dt)
    buf = memoryview(arr.view(np.uint8))
    got = 0
    while got < nbytes:
        n = stream.readinto(buf[got : min(nbytes, got + (1 << 22))])
        if not n:
            break
        got += n
    if got != nbytes or stream.read(1):
        held = f"{len(header) + got} bytes" if got != nbytes else "more"
        raise ValueError(
            f"{source}: IDX header announces shape {shape} ({len(header) + nbytes} bytes) but the file holds {held}"
        )
    digest.update(buf)
    arr = arr.byteswap(inplace=True).view(dt.newbyteorder("=")) if dt.byteorder == ">" else arr
    return arr.reshape(shape), digest.hexdigest()


def _read_idx(path: Path, max_bytes: int | None = None) -> tuple[np.ndarray, str]:
    """An IDX file (gzipped or not) as an array, and the SHA-256 of its decompressed content.

    Sizes are checked against the header before anything is allocated: a plain file must hold
    exactly what its header announces; a gzipped one is streamed, never decompressed beyond the
    announced size, and refused when it would expand more than ``MAX_EXPANSION`` times (a
    decompression bomb) unless ``max_bytes`` allows it.
    """
    source = str(path)
    on_disk = path.stat().st_size
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        try:
            header, shape, dt, nbytes = _idx_header(stream, source)
            if not gzipped and len(header) + nbytes != on_disk:
                raise ValueError(
                    f"{source}: IDX header announces shape {shape} ({len(header) + nbytes} bytes) but the file "
                    f"holds {on_disk} bytes"
                )
            limit = max(MAX_EXPANSION * on_disk, 64 << 20) if max_bytes is None else max_bytes
            if gzipped and nbytes > limit:
                raise ValueError(
                    f"{source}: the gzipped IDX header announces shape {shape} ({_size(nbytes)}) from {_size(on_disk)} "
                    f"on disk, over the limit of {_size(limit)} (a decompression bomb or a forged header?)"
                )
            return _read_values(stream, header, shape, dt, nbytes, source)
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(f"{source}: broken gzip file ({e}); delete it and fetch it again") from None


def read_idx(path: str | os.PathLike, max_bytes: int | None = None) -> np.ndarray:
    """Read an IDX file (``.gz`` or not) into a NumPy array of its own dtype (uint8 for MNIST).

    Forged or damaged headers are refused before allocating (see ``MAX_EXPANSION``; ``max_bytes``
    raises the limit for a genuinely huge gzipped file).
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"read_idx: {path} is a folder, not an IDX file")
    return _read_idx(path, max_bytes)[0]


# --------------------------------------------------------------------------- where the files are


@dataclass(frozen=True)
class _File:
    name: str  # the published name, without .gz
    sha256_gz: str  # of the published .gz file (checked on download)
    sha256_raw: str  # of the decompressed content (checked on any copy: a recompressed .gz still passes)


@dataclass(frozen=True)
class _Dataset:
    name: str
    env: str
    mirrors: tuple[str, ...]
    files: dict[str, _File]  # key "train-images", "train-labels", "test-images", "test-labels"
    system_dirs: tuple[str, ...] = ()


def _files(pairs: dict[str, tuple[str, str, str]]) -> dict[str, _File]:
    return {k: _File(*v) for k, v in pairs.items()}


# SHA-256 of the published files: the .gz digests are those of the files on the mirrors below; the
# raw digests, of their decompressed content. Debian recompresses Fashion-MNIST (different .gz
# bytes), and its decompressed content matches the raw digests here (checked when this was written).
DATASETS: dict[str, _Dataset] = {
    "mnist": _Dataset(
        "mnist",
        "MNIST_DIR",
        ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        _files(
            {
                "train-images": (
                    "train-images-idx3-ubyte",
                    "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                    "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                ),
                "train-labels": (
                    "train-labels-idx1-ubyte",
                    "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                    "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                ),
                "test-images": (
                    "t10k-images-idx3-ubyte",
                    "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                    "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                ),
                "test-labels": (
                    "t10k-labels-idx1-ubyte",
                    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                    "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
                ),
            }
        ),
        ("/usr/share/datasets/mnist",),
    ),
    "fashion-mnist": _Dataset(
        "fashion-mnist",
        "FASHION_MNIST_DIR",
        (
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
        ),
        _files(
            {
                "train-images": (
                    "train-images-idx3-ubyte",
                    "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                    "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                ),
                "train-labels": (
                    "train-labels-idx1-ubyte",
                    "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                    "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                ),
                "test-images": (
                    "t10k-images-idx3-ubyte",
                    "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                    "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                ),
                "test-labels": (
                    "t10k-labels-idx1-ubyte",
                    "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                    "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
                ),
            }
        ),
        ("/usr/share/datasets/fashion-mnist",),  # Debian/Ubuntu: apt install dataset-fashion-mnist
    ),
}


class DatasetNotFoundError(FileNotFoundError):
    """The files of a data set are nowhere to be found and could not be downloaded."""


class ChecksumError(ValueError):
    """A data file's SHA-256 differs from the published one (a broken or different file)."""


def cache_dir(name: str | None = None) -> Path:
    """The download cache, ``$XDG_CACHE_HOME/tinygrad_edu`` (``~/.cache/tinygrad_edu``), or a data set's folder."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tinygrad_edu"
    return base / name if name else base


def _dataset(name: str) -> _Dataset:
    key = name.lower().replace("_", "-")
    if key not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[key]


def _split_keys(split: str) -> tuple[str, str]:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return f"{split}-images", f"{split}-labels"


def _locate(folder: Path, f: _File) -> Path | None:
    """The file in ``folder``, gzipped or not (also the ``train-images.idx3-ubyte`` spelling)."""
    for candidate in (f.name + ".gz", f.name, f.name.replace("-idx", ".idx")):
        p = folder / candidate
        if p.is_file():
            return p
    return None


def _candidates(ds: _Dataset, root: str | os.PathLike | None) -> list[tuple[str, Path]]:
    """Folders to search, in order, each with the reason it is searched (for messages)."""
    if root is not None:
        return [("root=", Path(root).expanduser())]
    out: list[tuple[str, Path]] = []
    if os.environ.get(ds.env):
        out.append((f"${ds.env}", Path(os.environ[ds.env]).expanduser()))
    if os.environ.get("TINYGRAD_EDU_DATA"):
        out.append(("$TINYGRAD_EDU_DATA", Path(os.environ["TINYGRAD_EDU_DATA"]).expanduser() / ds.name))
    out.append(("cache", cache_dir(ds.name)))
    out.extend(("system", Path(d)) for d in ds.system_dirs)
    return out


def find_dataset(name: str, root: str | os.PathLike | None = None, split: str = "train") -> tuple[str, Path] | None:
    """Where a split of MNIST or Fashion-MNIST is found, as (which place, folder), or None."""
    ds = _dataset(name)
    keys = _split_keys(split)
    for where, folder in _candidates(ds, root):
        if all(_locate(folder, ds.files[k]) for k in keys):
            return where, folder
    return None


def _fetch_url(url: str, dest: Any, timeout: float = 30.0) -> None:
    """Download ``url`` into the binary file object ``dest`` (the only function here that touches the network).

    pooch's HTTP downloader streams it; tests put a fake here, so that they never reach a network.
    """
    import pooch  # only when downloading: it costs ~80 ms to import

    pooch.HTTPDownloader(progressbar=False, timeout=timeout, headers={"User-Agent": "tinygrad-edu"})(url, dest, None)


class _HashingWriter:
    """A file object that computes the SHA-256 of what goes through it (to name a wrong file's digest)."""

    def __init__(self, f: Any) -> None:
        self.f, self.hash = f, hashlib.sha256()

    def write(self, chunk: bytes) -> int:
        self.hash.update(chunk)
        return self.f.write(chunk)

    def flush(self) -> None:
        self.f.flush()


def _download(ds: _Dataset, f: _File, folder: Path) -> Path:
    """Fetch one ``.gz`` file into ``folder`` with pooch, trying each mirror.

    ``pooch.retrieve`` writes to a temporary file beside the target, checks its SHA-256 against
    the published one and only then gives it its name: an unverified file is never left behind.
    """
    import pooch

    folder.mkdir(parents=True, exist_ok=True)
    errors = []
    for mirror in ds.mirrors:
        digest: list[str] = []

        def download(url: str, output_file: str, _pooch: Any = None, digest: list[str] = digest) -> None:
            os.unlink(output_file)  # pooch's temporary file is 0o600; a new one gets the umask's mode, as open() gives
            with open(output_file, "xb") as out:
                w = _HashingWriter(out)
                _fetch_url(url, w)
            digest.append(w.hash.hexdigest())

        try:
            path = pooch.retrieve(
                mirror + f.name + ".gz",
                known_hash=f"sha256:{f.sha256_gz}",
                fname=f.name + ".gz",
                path=folder,
                downloader=download,
                progressbar=False,
            )
            return Path(path)
        except Exception as e:  # network errors: try the next mirror
            if digest and digest[0] != f.sha256_gz:  # pooch refused the file (a ValueError): stop here
                raise ChecksumError(
                    f"{f.name}.gz from {mirror}: SHA-256 {digest[0]} differs from the published {f.sha256_gz}"
                ) from None
            errors.append(f"{mirror}: {e}")
    raise ConnectionError("; ".join(errors))


def _missing_message(
    ds: _Dataset, keys: tuple[str, ...], searched: list[tuple[str, Path]], reason: str, option: str = "root="
) -> str:
    dest = searched[0][1] if searched[0][0] == "root=" else cache_dir(ds.name)
    lines = [f"{ds.name}: the data files were not found and could not be downloaded ({reason}).", "Searched:"]
    lines += [f"  {option if where == 'root=' else where:<20} {folder}" for where, folder in searched]
    lines.append(f"Put these files (gzipped as published, or decompressed) into {dest}:")
    for k in keys:
        f = ds.files[k]
        lines.append(f"  {f.name}.gz   from {ds.mirrors[0]}{f.name}.gz   sha256 {f.sha256_gz}")
    lines.append(f"or point ${ds.env} (or $TINYGRAD_EDU_DATA/{ds.name}) at a folder holding them, or pass {option}.")
    if ds.name == "fashion-mnist":
        lines.append("On Debian/Ubuntu: sudo apt install dataset-fashion-mnist")
    return "\n".join(lines)


def _resolve(
    ds: _Dataset, root: Any, keys: tuple[str, ...], download: bool, option: str = "root="
) -> tuple[dict[str, Path], str]:
    """The paths of the files ``keys`` (all from one folder) and which place they came from."""
    searched = _candidates(ds, root)
    for place, folder in searched:
        found = {k: _locate(folder, ds.files[k]) for k in keys}
        if all(found.values()):
            return found, place  # type: ignore[return-value]
    dest = searched[0][1] if root is not None else cache_dir(ds.name)
    if not download:
        raise DatasetNotFoundError(_missing_message(ds, keys, searched, "download=False", option))
    try:
        return {k: _locate(dest, ds.files[k]) or _download(ds, ds.files[k], dest) for k in keys}, "download"
    except ConnectionError as e:
        raise DatasetNotFoundError(_missing_message(ds, keys, searched, f"offline? {e}", option)) from None


def fetch(name: str, root: str | os.PathLike | None = None, download: bool = True, *, option: str = "root=") -> Path:
    """Make sure all four files of ``"mnist"`` or ``"fashion-mnist"`` are at hand; return their folder.

    Downloads what is missing into the cache (or into ``root``), checking each SHA-256; without a
    network, the error lists every missing file and where to put it. ``option`` is how the message
    names ``root`` (the command line says ``--data-dir``).
    """
    ds = _dataset(name)
    paths, _ = _resolve(ds, root, tuple(ds.files), download, option)
    return next(iter(paths.values())).parent


def _load(
    name: str, root: Any, split: str, flatten: bool, scale: bool, dtype: Any, download: bool, verify: bool | None
) -> tuple[np.ndarray, np.ndarray]:
    ds = _dataset(name)
    keys = _split_keys(split)
    paths, where = _resolve(ds, root, keys, download)
    # Files we fetched or that a package installed are checked; a user's own folder may hold a
    # subset or a variant, so it is only checked for consistency unless verify=True.
    check = verify if verify is not None else where in ("cache", "system", "download")
    arrays = []
    for k in keys:
        arr, digest = _read_idx(paths[k])
        if check and digest != ds.files[k].sha256_raw:
            raise ChecksumError(
                f"{paths[k]}: SHA-256 of the content {digest} differs from the published "
                f"{ds.files[k].sha256_raw}; the file is damaged or not the official {ds.name} file. "
                "Delete it to download it again."
            )
        arrays.append(arr)
    images, labels = arrays
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f"{ds.name} {split}: images of shape {images.shape} and labels of shape {labels.shape} do not match "
            f"(expected (n, rows, cols) and (n,))"
        )
    X = images.reshape(len(images), -1) if flatten else images
    X = X.astype(dtype) / np.asarray(255, dtype=dtype) if scale else X.astype(dtype, copy=False)
    return X, labels.astype(np.int64)


def load_mnist(
    root: str | os.PathLike | None = None,
    split: str = "train",
    *,
    flatten: bool = True,
    scale: bool = True,
    dtype: Any = np.float32,
    download: bool = True,
    verify: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST handwritten digits: ``X`` (n, 784) float32 in [0, 1] and ``y`` (n,) int64 labels 0..9.

    ``split="train"`` gives 60,000 images, ``"test"`` 10,000. ``flatten=False`` keeps the images
    (n, 28, 28); ``scale=False`` keeps pixel values 0..255. ``verify``: check the SHA-256 of the
    content (None: for downloaded, cached and system files; a folder of your own is only checked
    for a consistent IDX layout). See the module docstring for where the files are looked for.
    """
    return _load("mnist", root, split, flatten, scale, dtype, download, verify)


# The same signature as load_mnist on purpose: two public functions, each with its own docstring
# (torchvision and Keras also have one function per data set).
def load_fashion_mnist(
    root: str | os.PathLike | None = None,
    split: str = "train",
    *,
    flatten: bool = True,
    scale: bool = True,
    dtype: Any = np.float32,
    download: bool = True,
    verify: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Zalando's Fashion-MNIST (28x28 images of clothes, 10 classes, same layout as MNIST).

    Same arguments and return values as :func:`load_mnist`. Class names: ``FASHION_CLASSES``.
    """
    return _load("fashion-mnist", root, split, flatten, scale, dtype, download, verify)


FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
