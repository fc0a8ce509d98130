"""Embeddings (``add_embedding``): the projector files torch writes, and reading them back.

Not events: ``<log_dir>/<step:05d>/<tag>/tensors.tsv`` (and ``metadata.tsv``, ``sprite.png``), listed
in ``<log_dir>/projector_config.pbtxt`` (a text-format ``ProjectorConfig``), which TensorBoard's
PROJECTOR reads. The writer puts each embedding in its store too; ``cellboard.load`` reads the
config of every run directory (torch's and tensorboardX's included), and a followed directory
picks up the embeddings another process writes (``logdir.LogdirFollower``). Registered as a kind
so the store keeps its records per (run, tag); no event holds one (no plugin, no decoder).

An entry without ``tensor_path`` names a tensor of a TensorFlow checkpoint (TensorFlow's projector
tutorial: ``tf.train.Checkpoint.save`` + ``projector.visualize_embeddings``; TF1's ``Saver``): the
config's ``model_checkpoint_path``, else the latest checkpoint in the run's ``checkpoint`` file, read
without TensorFlow (``tfcheckpoint.py``). Such an entry that cannot be read is a ``Problem``, reported
by the caller (a warning and a notice naming the file); the config's other embeddings still load.
Keras 3's TensorBoard callback names such a tensor but saves HDF5 weights: read with h5py (``KERAS_TENSOR``).
A config that names no embedding at all (only ``model_checkpoint_path``, TensorBoard's first entry
giving only ``metadata_path``, or nothing) shows every 2-D tensor of the checkpoint but optimizer
slots, as TensorBoard's projector lists them, up to ``UNLISTED_MAX_VALUES`` values each (a bigger one
is a ``Problem``: the board says it is not shown), labelled by that metadata where the rows match.

The board's entry (``entry``; docs/protocol.md, docs/decisions.md): the kernel computes the PCA
(the view shows its first 2 or 3 components at once and runs UMAP/t-SNE on up to 50 of them) and
pushes it with the metadata, the sprite and, within a byte budget, the original matrix (float32,
else float16) for nearest neighbours in the original space: while a cell runs the kernel answers
no request from the view, so everything the projector needs is sent with the embedding.
"""

from __future__ import annotations

import io
import math
import re
import struct
import threading
import warnings
import weakref
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import summaries as S
from .. import tfcheckpoint
from ..tfevents import messages as M
from .base import Kind

CONFIG = "projector_config.pbtxt"
# next to TensorFlow's checkpoints: which one is the latest (a text-format CheckpointState)
CHECKPOINT_STATE = "checkpoint"


class EmbeddingError(ValueError, AssertionError):
    """A bad ``add_embedding`` argument: torch raises ``AssertionError`` (with this message), cellboard
    a ``ValueError``; this is both, so either ``except`` catches it."""


@dataclass(frozen=True, eq=False)  # holds arrays: compared by identity
class EmbeddingRecord:
    step: int
    wall_time: float
    tag: str
    mat: np.ndarray  # float (N, D), as tensors.tsv holds it
    metadata: list[str] | list[list[str]] | None = None  # one label per point, or rows of columns
    metadata_header: list[str] | None = None  # column names of multi-column metadata
    sprite: bytes | None = None  # sprite.png: the label images in a square grid
    sprite_dim: tuple[int, int] | None = None  # (width, height) of one image in the sprite
    tensor_path: str = ""  # relative to the run directory, as in projector_config.pbtxt
    checkpoint: str = ""  # the TensorFlow checkpoint (prefix) the matrix was read from, if it was


def decode(val: M.Value, plugin: str, step: int, wall: float) -> list[EmbeddingRecord]:
    return []  # never routed: embeddings live in projector files, not in events


# --------------------------------------------------------------------------- the board's entry

MAX_COMPONENTS = 50  # PCA components sent: the view's 2D/3D PCA, and UMAP/t-SNE input (as TensorBoard's t-SNE)
COMPONENTS_BYTES = 8 << 20  # fewer components when N x 50 float32 would exceed this (at least 3)
MATRIX_BYTES = 16 << 20  # the original matrix is sent (float32, else float16) when it fits in this
PCA_FIT_ROWS = 50_000  # the components are fitted on at most this many rows (a fixed random sample)


def pca(mat: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(coords (N, k) float32, explained variance ratio (k,))`` of the top ``k`` principal components.

    Exact through the smaller of the covariance (D x D) and Gram (N x N) matrices when one is at most
    2048 wide; otherwise a randomized range finder (Halko et al., with power iterations). Each
    component's sign makes its largest loading positive, so the same data always gives the same picture.
    """
    x = np.asarray(mat, np.float64)
    n, d = x.shape
    k = max(0, min(k, n, d))
    if k == 0 or n == 0:
        return np.zeros((n, k), np.float32), np.zeros(k)
    fit = x
    if n > PCA_FIT_ROWS:
        fit = x[np.sort(np.random.default_rng(0).choice(n, PCA_FIT_ROWS, replace=False))]
    mean = fit.mean(axis=0)
    xc = fit - mean
    total = float((xc * xc).sum())
    if d <= 2048 and d <= len(xc):
        vals, vecs = np.linalg.eigh(xc.T @ xc)
        order = np.argsort(vals)[::-1][:k]
        comps, eig = vecs[:, order], vals[order]
    elif len(xc) <= 2048:
        vals, vecs = np.linalg.eigh(xc @ xc.T)
        order = np.argsort(vals)[::-1][:k]
        eig = np.clip(vals[order], 0, None)
        comps = xc.T @ vecs[:, order] / np.sqrt(np.where(eig > 0, eig, 1.0))
    else:
        rng = np.random.default_rng(0)
        q, _ = np.linalg.qr(xc @ rng.standard_normal((d, k + 10)))
        for _ in range(4):
            q, _ = np.linalg.qr(xc @ (xc.T @ q))
        _, sv, vt = np.linalg.svd(q.T @ xc, full_matrices=False)
        comps, eig = vt[:k].T, sv[:k] ** 2
    signs = np.sign(comps[np.abs(comps).argmax(axis=0), np.arange(comps.shape[1])])
    comps = comps * np.where(signs == 0, 1.0, signs)
    coords = ((x - mean) @ comps).astype(np.float32)
    ratio = np.clip(eig, 0, None) / total if total > 0 else np.zeros(len(eig))
    return coords, ratio


def _metadata_columns(r: EmbeddingRecord) -> tuple[list[str], list[list[str]]]:
    """Column names and column-major values (the view colours and searches by column)."""
    if r.metadata is None:
        return [], []
    if r.metadata_header is not None:
        rows = [row if isinstance(row, list) else [row] for row in r.metadata]
        cols = [[str(row[j]) if j < len(row) else "" for row in rows] for j in range(len(r.metadata_header))]
        return list(r.metadata_header), cols
    return ["label"], [[str(v) for v in r.metadata]]


def _sprite_capacity(png: bytes, dim: tuple[int, int]) -> int | None:
    """How many ``dim`` images a sprite PNG holds (torch's layout: rows of ``width // dim[0]``), from
    its IHDR; None when it is not a PNG (the view then decides)."""
    if len(png) < 24 or png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", png[16:24])
    return (width // dim[0]) * (height // dim[1]) if dim[0] > 0 and dim[1] > 0 else 0


def _fit(r: EmbeddingRecord, n: int) -> tuple[list[str], list[list[str]], bytes, list[str]]:
    """``(columns, values, sprite, notes)`` the view can show for ``n`` points: metadata of another
    row count, or a sprite holding fewer images, is left out and said (TensorBoard's projector
    refuses such a tensor), so one wrong file never hides the points."""
    columns, values = _metadata_columns(r)
    sprite, notes = r.sprite or b"", []
    if r.metadata is not None and len(r.metadata) != n:
        columns, values = [], []
        notes.append(f"labels not shown: the metadata has {len(r.metadata):,} rows for {n:,} points")
    if sprite and r.sprite_dim:
        held = _sprite_capacity(sprite, r.sprite_dim)
        if held is not None and held < n:
            sprite = b""
            notes.append(f"images not shown: the sprite holds {held:,} images of {list(r.sprite_dim)} for {n:,} points")
    return columns, values, sprite, notes


def _matrix_payload(mat: np.ndarray) -> tuple[str, float, bytes]:
    """``(encoding, scale, bytes)`` of the original matrix: float32 when it fits ``MATRIX_BYTES``, else
    float16 of ``mat / scale`` (scale = max |value|: no overflow; rankings of neighbours do not change
    with a global scale), else nothing (the view then finds neighbours among the PCA components)."""
    if mat.size * 4 <= MATRIX_BYTES:
        return "float32", 1.0, np.ascontiguousarray(mat, "<f4").tobytes()
    if mat.size * 2 <= MATRIX_BYTES:
        finite = np.nan_to_num(np.asarray(mat, np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        peak = float(np.abs(finite).max()) if finite.size else 0.0
        scale = peak if peak > 0 else 1.0
        return "float16", scale, (finite / scale).astype("<f2").tobytes()
    return "none", 1.0, b""


_ENTRIES: weakref.WeakKeyDictionary[EmbeddingRecord, tuple[dict[str, Any], bytes]] = weakref.WeakKeyDictionary()
_ENTRIES_LOCK = threading.Lock()


def entry(r: EmbeddingRecord) -> tuple[dict[str, Any], bytes]:
    """The board's entry for one embedding (docs/protocol.md), computed once per record (a board's
    resends reuse it). Buffer: explained variance ratios (float64, ``components``), PCA coordinates
    (float32, N x ``components``), the original matrix (``matrix``: float32 or float16 N x ``dim``,
    times ``scale``; or absent), then the sprite PNG (``sprite_bytes``)."""
    with _ENTRIES_LOCK:
        cached = _ENTRIES.get(r)
    if cached is not None:
        return dict(cached[0]), cached[1]
    mat = np.asarray(r.mat, np.float32)
    if mat.ndim != 2:
        raise ValueError(f"embedding {r.tag!r}: the matrix must be 2-D, got shape {mat.shape}")
    n, d = mat.shape
    k = min(MAX_COMPONENTS, d, n)
    while k > 3 and n * k * 4 > COMPONENTS_BYTES:
        k -= 1
    clean = np.nan_to_num(mat, nan=0.0, posinf=0.0, neginf=0.0)
    coords, ratio = pca(clean, k)
    encoding, scale, matrix = _matrix_payload(mat)
    columns, values, sprite, notes = _fit(r, n)
    fields: dict[str, Any] = {
        "n": n,
        "dim": d,
        "components": int(coords.shape[1]),
        "matrix": encoding,
        "scale": scale,
        "sprite_bytes": len(sprite),
        "sprite_dim": list(r.sprite_dim) if sprite and r.sprite_dim else None,
        "columns": columns,
        "metadata": values,
    }
    if notes:
        fields["note"] = "; ".join(notes)
    buffer = b"".join([ratio.astype("<f8").tobytes(), coords.astype("<f4").tobytes(), matrix, sprite])
    with _ENTRIES_LOCK:
        _ENTRIES[r] = (fields, buffer)
    return dict(fields), buffer


KIND = Kind("embeddings", decode, entry)


# --------------------------------------------------------------------------- writing (torch's add_embedding)


def encode_tag(tag: str) -> str:
    """torch's ``SummaryWriter._encode``: the tag as one directory name."""
    return tag.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")


def tsv_matrix(mat: np.ndarray) -> bytes:
    """``tensors.tsv`` as torch writes it: ``str()`` of each element's Python value."""
    return "".join("\t".join(str(v) for v in row) + "\n" for row in mat.tolist()).encode("utf-8")


def tsv_metadata(metadata: Sequence[Any], header: Sequence[Any] | None) -> bytes:
    """``metadata.tsv`` as torch's ``make_tsv``: one label per line, or a header and tab-separated rows."""
    if not header:
        lines = [str(x) for x in metadata]
    else:
        if len(header) != len(metadata[0]):
            raise EmbeddingError(
                "len of header must be equal to the number of columns in metadata: "
                f"metadata_header has {len(header)}, metadata[0] {len(metadata[0])}"
            )
        lines = ["\t".join(str(e) for e in row) for row in [header, *metadata]]
    return ("\n".join(lines) + "\n").encode("utf-8")


def sprite_png(label_img: np.ndarray) -> bytes:
    """``sprite.png`` as torch's ``make_sprite``: ``ceil(sqrt(N))`` images a row on a black square, RGB.

    Floats are taken in [0, 1] and truncated to 0..255 as torch does; uint8 images as they are
    (torch multiplies them by 255 again, which saturates them).
    """
    from PIL import Image

    n, c, h, w = label_img.shape
    if label_img.dtype == np.uint8:
        imgs = label_img
    else:
        imgs = np.uint8((label_img.astype(np.float64) * 255).clip(0, 255))  # torch's truncation
    if c == 1:
        imgs = np.concatenate([imgs, imgs, imgs], 1)
    ncols = min(n, math.ceil(n**0.5))
    nrows = -(-n // ncols)
    side = max(w * ncols, h * nrows)  # torch: w * ncols (images taller than wide do not fit there)
    square = np.zeros((side, side, 3), np.uint8)
    for i in range(n):
        r, col = divmod(i, ncols)
        square[r * h : (r + 1) * h, col * w : (col + 1) * w] = imgs[i].transpose(1, 2, 0)
    out = io.BytesIO()
    Image.fromarray(square).save(out, format="PNG")
    return out.getvalue()


def check(mat: Any, metadata: Any, label_img: Any, metadata_header: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """``(mat, label_img)`` as arrays, or torch's error for the first bad argument (before anything is written)."""
    arr = S.to_numpy(mat, "mat")
    if metadata is not None:
        if isinstance(metadata, (str, bytes)) or not hasattr(metadata, "__len__"):
            raise TypeError(f"metadata must be a list of labels, got {type(metadata).__name__}")
        if arr.shape[0] != len(metadata):
            raise EmbeddingError(
                f"#labels should equal with #data points: metadata has {len(metadata)} labels, mat {arr.shape[0]} rows"
            )
        if metadata_header and len(metadata) and len(metadata_header) != len(metadata[0]):
            raise EmbeddingError(
                "len of header must be equal to the number of columns in metadata: "
                f"metadata_header has {len(metadata_header)}, metadata[0] {len(metadata[0])}"
            )
    imgs = None
    if label_img is not None:
        imgs = S.to_numpy(label_img, "label_img")
        if imgs.ndim != 4 or imgs.shape[1] not in (1, 3):
            raise ValueError(f"label_img must have shape (N, C, H, W) with C 1 or 3, got {tuple(imgs.shape)}")
        if arr.shape[0] != imgs.shape[0]:
            raise EmbeddingError(
                f"#images should equal with #data points: label_img has {imgs.shape[0]} images, mat {arr.shape[0]} rows"
            )
    if arr.ndim != 2:
        raise EmbeddingError(
            f"mat should be 2D, where mat.size(0) is the number of data points; got shape {tuple(arr.shape)}"
        )
    return arr, imgs


def _quote(s: str) -> str:
    """A text-format string literal, as protobuf's ``text_format`` prints it (UTF-8 kept)."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif o < 32 or o == 127:
            out.append(f"\\{o:03o}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "'": "\\'", "\\": "\\\\"}


def config_entry(r: EmbeddingRecord, subdir: str) -> str:
    """One ``embeddings { ... }`` block, fields in field-number order as ``text_format`` prints them."""
    lines = ["embeddings {", f"  tensor_name: {_quote(f'{r.tag}:{str(r.step).zfill(5)}')}"]
    if r.metadata is not None:
        lines.append(f"  metadata_path: {_quote(subdir + '/metadata.tsv')}")
    if r.sprite is not None and r.sprite_dim is not None:
        lines += [
            "  sprite {",
            f"    image_path: {_quote(subdir + '/sprite.png')}",
            f"    single_image_dim: {r.sprite_dim[0]}",
            f"    single_image_dim: {r.sprite_dim[1]}",
            "  }",
        ]
    lines += [f"  tensor_path: {_quote(subdir + '/tensors.tsv')}", "}"]
    return "\n".join(lines) + "\n"


def write(fs: Any, log_dir: str, r: EmbeddingRecord, metadata: Any, config_so_far: list[str]) -> str:
    """Write the files of one embedding and the whole config (this writer's entries, as torch); returns
    the new entry, which the caller appends to ``config_so_far``."""
    subdir = f"{str(r.step).zfill(5)}/{encode_tag(r.tag)}"
    save_path = fs.join(log_dir, str(r.step).zfill(5), encode_tag(r.tag))
    if fs.exists(save_path):
        if not fs.isdir(save_path):
            raise NotADirectoryError(f"Path: `{save_path}` exists, but is a file. Cannot proceed.")
        warnings.warn(
            "cellboard: embedding dir exists, did you set global_step for add_embedding()?", UserWarning, stacklevel=3
        )
    else:
        fs.makedirs(save_path)
    if metadata is not None:
        fs.write(fs.join(save_path, "metadata.tsv"), tsv_metadata(metadata, r.metadata_header))
    if r.sprite is not None:
        fs.write(fs.join(save_path, "sprite.png"), r.sprite)
    fs.write(fs.join(save_path, "tensors.tsv"), tsv_matrix(r.mat))
    entry = config_entry(r, subdir)
    fs.write(fs.join(log_dir, CONFIG), "".join([*config_so_far, entry]).encode("utf-8"))
    return entry


# --------------------------------------------------------------------------- reading (cellboard.load)

_TOKEN = re.compile(
    r'\s*(?:(#[^\n]*)|([A-Za-z_][A-Za-z0-9_.]*)|("(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\')'
    r"|([-+0-9.eExXa-fA-F]+)|([{}:<>\[\],;]))"
)


def _unquote(lit: str) -> str:
    body = lit[1:-1]
    out = bytearray()
    i = 0
    simple = {"n": 10, "r": 13, "t": 9, '"': 34, "'": 39, "\\": 92, "a": 7, "b": 8, "f": 12, "v": 11, "?": 63}
    raw = body.encode("utf-8")
    while i < len(raw):
        b = raw[i]
        if b != 92 or i + 1 >= len(raw):
            out.append(b)
            i += 1
            continue
        nxt = chr(raw[i + 1])
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif nxt in "01234567":
            j = i + 1
            while j < len(raw) and j < i + 4 and chr(raw[j]) in "01234567":
                j += 1
            out.append(int(raw[i + 1 : j], 8) & 0xFF)
            i = j
        elif nxt == "x":
            j = i + 2
            while j < len(raw) and j < i + 4 and chr(raw[j]) in "0123456789abcdefABCDEF":
                j += 1
            out.append(int(raw[i + 2 : j], 16))
            i = j
        else:
            out.append(raw[i + 1])
            i += 2
    return out.decode("utf-8", "replace")


def parse_config(text: str) -> list[dict[str, Any]]:
    """The ``embeddings`` blocks of a text-format ``ProjectorConfig`` as dicts (repeated fields: lists)."""
    return parse_text(text).get("embeddings", [])


def parse_text(text: str) -> dict[str, Any]:
    """A text-format message as a dict (repeated fields: lists; nested messages: dicts)."""
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise ValueError(f"{CONFIG}: cannot parse at character {pos}")
        pos = m.end()
        if m.group(1) is None:
            tokens.append(next(g for g in m.groups()[1:] if g is not None))
    i = 0

    def message(end: str | None) -> dict[str, Any]:
        nonlocal i
        out: dict[str, Any] = {}
        while i < len(tokens) and tokens[i] != end:
            name = tokens[i]
            i += 1
            if tokens[i] == ":":
                i += 1
            if tokens[i] in ("{", "<"):
                close = "}" if tokens[i] == "{" else ">"
                i += 1
                value: Any = message(close)
                i += 1
            else:
                lit = tokens[i]
                i += 1
                while i < len(tokens) and tokens[i][:1] in "\"'" and lit[:1] in "\"'":  # adjacent literals
                    lit = lit[:-1] + tokens[i][1:]
                    i += 1
                value = _unquote(lit) if lit[:1] in "\"'" else lit
            out.setdefault(name, []).append(value)
            if i < len(tokens) and tokens[i] in (",", ";"):
                i += 1
        return out

    try:
        return message(None)
    except IndexError:
        raise ValueError(f"{CONFIG}: truncated") from None


def _first(d: dict[str, Any], key: str, default: Any = None) -> Any:
    v = d.get(key)
    return v[0] if v else default


def _read_tensor_file(data: bytes, shape: Sequence[Any], path: str) -> np.ndarray:
    """A ``tensor_path`` file as TensorBoard's projector reads it: TSV text, else (not UTF-8) raw
    little-endian float32 values of the entry's ``tensor_shape`` (its binary form for big tensors)."""
    try:
        return _read_tsv_matrix(data)
    except UnicodeDecodeError:
        dims = [int(d) for d in shape]
        if len(dims) != 2 or min(dims) < 0:
            raise EmbeddingError(
                f"{path}: not TSV text; a binary (float32) tensors file needs a 2-D tensor_shape in the "
                f"projector config, got {dims}"
            ) from None
        if len(data) != dims[0] * dims[1] * 4:
            raise EmbeddingError(
                f"{path}: {len(data)} bytes, where tensor_shape {dims} of float32 takes {dims[0] * dims[1] * 4}"
            ) from None
        return np.frombuffer(data, "<f4").reshape(dims).astype(np.float32)  # a native, writable copy


def _read_tsv_matrix(data: bytes) -> np.ndarray:
    text = data.decode("utf-8")
    lines = text.lstrip("\r\n").split("\n", 1)
    cols = lines[0].count("\t") + 1 if lines[0].strip() else 0
    if cols:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy warns (here: raises) when a value does not parse
            try:  # numpy's C parser: a third faster than float() of each value
                flat = np.fromstring(text, dtype=np.float32, sep=" ")  # any whitespace separates
            except (ValueError, DeprecationWarning):
                flat = None
        if flat is not None and flat.size % cols == 0:
            return flat.reshape(-1, cols)
    rows = [line.split("\t") for line in text.splitlines() if line.strip()]  # e.g. Python's "Infinity"
    if not rows:
        return np.zeros((0, 0), np.float32)
    return np.array([[float(v) for v in row] for row in rows], np.float32)


def _read_metadata(data: bytes) -> tuple[list[str] | list[list[str]], list[str] | None]:
    """As the projector reads ``metadata.tsv``: one column has no header; several have one."""
    lines = data.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or "\t" not in lines[0]:
        return lines, None
    rows = [line.split("\t") for line in lines]
    return rows[1:], rows[0]


@dataclass(frozen=True)
class Problem:
    """A checkpoint embedding that could not be read: the caller reports it (the others still load)."""

    source: str  # the file at fault (a notice's source)
    tensor: str  # the entry's tensor_name
    error: Exception

    def message(self, run: str) -> str:
        return f"embedding {self.tensor!r} of run {run!r}: {type(self.error).__name__}: {self.error}"


def notices(problems: list[Problem], run: str) -> dict[str, str]:
    """``{file: message}``: one notice per file at fault, naming every embedding it failed."""
    out: dict[str, str] = {}
    for p in problems:
        out[p.source] = f"{out[p.source]}; {p.message(run)}" if p.source in out else p.message(run)
    return out


@dataclass(frozen=True)
class Seen:
    """What a follower has read of a run's projector config (``read_new``)."""

    config: bytes
    count: int  # its entries
    pending: tuple[int, ...] = ()  # its checkpoint entries not read yet: retried on every poll
    checkpoint: str = ""  # the checkpoint its checkpoint entries were last read from ("" for none)
    # a config naming no embedding: what that checkpoint's tensors could not show (reported on every
    # poll until a newer checkpoint is read; its other tensors are read once)
    unshown: tuple[Problem, ...] = ()
    names: bool = True  # the config names its embeddings (else it shows its checkpoint's tensors)
    # its entries shown without their labels (a metadata or sprite file that could not be read):
    # their files are tried on every poll, and the entry is read again once they read
    unlabelled: tuple[int, ...] = ()


def read(fs: Any, run_dir: str, wall_time: float = 0.0) -> tuple[list[EmbeddingRecord], list[Problem]]:
    """The embeddings listed in ``run_dir``'s ``projector_config.pbtxt`` (none when there is no config;
    a config naming none: the 2-D tensors of the run's checkpoint), and the checkpoint tensors that
    could not be read."""
    path = fs.join(run_dir, CONFIG)
    if not fs.exists(path):
        return [], []
    root = parse_text(fs.cat(path).decode("utf-8"))
    read = _read_config(fs, run_dir, root, range(len(root.get("embeddings", []))), wall_time, None)
    return read.records, [*read.problems, *(read.unshown or ())]


def read_new(
    fs: Any, run_dir: str, seen: Seen | None, wall_time: float = 0.0
) -> tuple[Seen | None, list[EmbeddingRecord], list[Problem]]:
    """For a follower: ``(what it has read now, the embeddings not read before, the problems)``.

    torch and cellboard rewrite the whole config on each ``add_embedding`` (the writer's entries so far),
    so a config that extends ``seen`` adds its new entries; one that does not is a new writer's (a new
    process on the same directory): all its entries are new (their files were written again). A
    checkpoint entry that could not be read (its checkpoint may be saved after the config) is tried
    again on every poll until it reads; when a newer checkpoint is saved (the ``checkpoint`` file
    names another one), the checkpoint entries (a config naming none: its tensors) are read again from
    it, at its number.
    """
    path = fs.join(run_dir, CONFIG)
    if not fs.exists(path):
        return seen, [], []
    data = fs.cat(path)
    if seen is not None and data == seen.config and not seen.pending and not seen.unlabelled:
        if not seen.checkpoint and seen.names:
            return seen, [], []  # tensors files only: read
        root = parse_text(data.decode("utf-8"))  # it parsed when it was read: it parses again
        if _latest_checkpoint(fs, run_dir, root) in ("", seen.checkpoint):
            return seen, [], list(seen.unshown)
        # a newer checkpoint (a training script saving as it goes), or the first one a config naming
        # no embedding waited for: its tensors, at its number
        again = [i for i, e in enumerate(root.get("embeddings", [])) if not _first(e, "tensor_path")]
        read = _read_config(fs, run_dir, root, again, wall_time, seen.checkpoint)
        now = read.seen(data, seen.count, seen, again)
        return now, read.records, [*read.problems, *now.unshown]
    root = parse_text(data.decode("utf-8"))
    entries = root.get("embeddings", [])
    extends = seen is not None and data.startswith(seen.config)
    relabel = set(seen.unlabelled) if seen is not None and extends else set()
    todo = (
        [*seen.pending, *relabel, *range(seen.count, len(entries))]
        if seen is not None and extends
        else range(len(entries))
    )
    read = _read_config(fs, run_dir, root, todo, wall_time, seen.checkpoint if seen is not None else None, relabel)
    now = read.seen(data, len(entries), seen, todo)
    return now, read.records, [*read.problems, *now.unshown]


@dataclass(frozen=True)
class _Read:
    """One read of a run's projector files (``_read_config``)."""

    records: list[EmbeddingRecord]
    problems: list[Problem]  # of the config's entries
    failed: list[int]  # the checkpoint entries that failed (retried by a follower)
    unlabelled: list[int]  # the entries shown without their labels (their files retried by a follower)
    checkpoint: str  # the checkpoint read from, or ""
    names: bool  # the config names its embeddings
    # a config naming none: what its checkpoint's tensors could not show (None: not read this time)
    unshown: tuple[Problem, ...] | None

    def seen(self, config: bytes, count: int, before: Seen | None, which: Iterable[int]) -> Seen:
        """What a follower has read after reading the entries ``which``: a checkpoint that could not be
        opened is tried again when the ``checkpoint`` file names another; what a checkpoint's tensors
        could not show is reported at every poll until a newer checkpoint is read; the entries shown
        without labels, read now or before (and not read now), have their labels tried again."""
        unshown = self.unshown if self.unshown is not None else (before.unshown if before else ())
        checkpoint = self.checkpoint or (before.checkpoint if before else "")
        done = set(which)
        kept = [i for i in before.unlabelled if i not in done and i < count] if before else []
        return Seen(
            config, count, tuple(self.failed), checkpoint, unshown, self.names, tuple(sorted({*kept, *self.unlabelled}))
        )


class _Checkpoint:
    """A run's checkpoint, opened at most once per read, when something needs it: TensorFlow's, or
    the weights Keras 3's TensorBoard callback saves for its projector (``keras``)."""

    def __init__(self, fs: Any, run_dir: str, root: dict[str, Any]) -> None:
        self._fs, self._run_dir = fs, run_dir
        self.named = str(_first(root, "model_checkpoint_path", ""))
        found = _checkpoint_dir(fs, run_dir, root)  # looked up once: each entry asks exists()
        self._exists = found is not None
        self._dir = found or run_dir
        self._opened: tuple[str, tfcheckpoint.Bundle] | Exception | None = None
        self._keras: tuple[str, list[tuple[str, np.ndarray]]] | Exception | None = None

    def keras(self) -> tuple[str, list[tuple[str, np.ndarray]]]:
        """``(path, [(layer name, its embeddings)...])`` of the latest Keras weights file, its
        Embedding layers in the model's order; the error reading it is raised again for each entry."""
        if self._keras is None:
            try:
                path = keras_weights(self._fs, self._run_dir)
                if not path:
                    raise tfcheckpoint.CheckpointError(
                        self._fs.join(self._run_dir, "train"),
                        "no keras_embedding.ckpt-<epoch>.weights.h5 yet (Keras saves one at the end of each epoch), "
                        "and no TensorFlow checkpoint",
                    )
                self._keras = path, _keras_embeddings(self._fs, path)
            except Exception as exc:  # noqa: BLE001 - raised for each entry that needs it
                self._keras = exc
        if isinstance(self._keras, Exception):
            raise self._keras
        return self._keras

    def exists(self) -> bool:
        """Whether the run has a checkpoint to read (one named, or a ``checkpoint`` file): as TensorBoard
        looks for one, without which its projector adds no checkpoint tensor."""
        return self._exists

    def open(self) -> tuple[str, tfcheckpoint.Bundle]:
        """``(prefix, its index)``; the error reading it is raised again for each entry that needs it."""
        if self._opened is None:
            try:
                prefix = checkpoint_prefix(self._fs, self._dir, self.named)
                self._opened = prefix, tfcheckpoint.read_index(self._fs, prefix)
            except Exception as exc:  # noqa: BLE001 - raised for each checkpoint entry below
                self._opened = exc
        if isinstance(self._opened, Exception):
            raise self._opened
        return self._opened

    @property
    def prefix(self) -> str:
        """The checkpoint read from (a TensorFlow prefix, or a Keras weights file), or ""."""
        if isinstance(self._opened, tuple):
            return self._opened[0]
        return self._keras[0] if isinstance(self._keras, tuple) else ""


# Keras 3's TensorBoard(embeddings_freq=...) names each Embedding layer so in its projector config
# (a TensorFlow checkpoint's name), then saves the model's weights as HDF5, which TensorBoard cannot
# read: train/keras_embedding.ckpt-<epoch>.weights.h5 (keras/src/callbacks/tensorboard.py)
KERAS_TENSOR = "layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE"
_KERAS_WEIGHTS = re.compile(r"keras_embedding\.ckpt-(\d+)\.weights\.h5")


def _checkpoint_dir(fs: Any, run_dir: str, root: dict[str, Any]) -> str | None:
    """Where a run's checkpoint is looked up: the run directory when the config names one or a
    ``checkpoint`` file lies there; for tf.keras 2's TensorBoard callback (its config names Keras'
    tensors, no checkpoint next to it), ``train/`` when its ``checkpoint`` file lies there (the callback
    saves the model there; Keras 3 saves HDF5 instead: ``keras_weights``); else None: no checkpoint."""
    if _first(root, "model_checkpoint_path") or fs.exists(fs.join(run_dir, CHECKPOINT_STATE)):
        return run_dir
    if not _names_keras_tensor(root):
        return None
    train = fs.join(run_dir, "train")
    return train if fs.exists(fs.join(train, CHECKPOINT_STATE)) else None


def _names_keras_tensor(root: dict[str, Any]) -> bool:
    """Whether a parsed config names the tensor Keras' TensorBoard callback names (``KERAS_TENSOR``)."""
    return any(_tensor_name(e) == KERAS_TENSOR for e in root.get("embeddings", []))


def is_keras_weights(name: str) -> bool:
    return _KERAS_WEIGHTS.fullmatch(name) is not None


def keras_weights(fs: Any, run_dir: str) -> str:
    """The latest weights file Keras 3's TensorBoard callback saved next to ``run_dir``'s projector
    config, or ""."""
    train = fs.join(run_dir, "train")
    epochs = {int(m.group(1)): name for name in fs.listdir(train) if (m := _KERAS_WEIGHTS.fullmatch(name))}
    return fs.join(train, epochs[max(epochs)]) if epochs else ""


def keras_epoch(path: str) -> int:
    m = _KERAS_WEIGHTS.search(path)
    return int(m.group(1)) if m else 0


def _keras_embeddings(fs: Any, path: str) -> list[tuple[str, np.ndarray]]:
    """The Embedding layers of a Keras 3 ``.weights.h5``, in the model's order: ``layers/embedding``,
    ``layers/embedding_1``... (Keras names the groups by class, in order), each its layer's name
    (``vars`` attribute ``name``) and its matrix (``vars/0``). Read with h5py, which Keras installs."""
    try:
        import h5py
    except ImportError:
        raise tfcheckpoint.CheckpointError(
            path, "a Keras weights file (HDF5): install h5py to read it (Keras itself depends on it)"
        ) from None
    source: Any = path if not getattr(fs, "remote", False) else io.BytesIO(fs.cat(path))
    try:
        with h5py.File(source, "r") as f:
            layers = f.get("layers")
            found = []
            for key in layers.keys() if isinstance(layers, h5py.Group) else ():
                m = re.fullmatch(r"embedding(?:_(\d+))?", key)
                group = layers[key].get("vars")
                if m and isinstance(group, h5py.Group) and isinstance(group.get("0"), h5py.Dataset):
                    found.append((int(m.group(1) or 0), str(group.attrs.get("name", key)), np.asarray(group["0"])))
    except OSError as exc:  # not HDF5, truncated (being written)
        raise tfcheckpoint.CheckpointError(path, f"not a readable HDF5 weights file ({exc})") from None
    return [(name, mat if mat.dtype.kind == "f" else mat.astype(np.float32)) for _, name, mat in sorted(found)]


def _special(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """TensorBoard's first entry naming no tensor (no ``tensor_name``, no ``tensor_path``): not an
    embedding, but the metadata of the checkpoint tensors the config does not name."""
    if entries and not _first(entries[0], "tensor_name") and not _first(entries[0], "tensor_path"):
        return entries[0]
    return None


def _read_config(
    fs: Any,
    run_dir: str,
    root: dict[str, Any],
    which: Iterable[int],
    wall_time: float,
    read_from: str | None,
    relabel: Collection[int] = (),
) -> _Read:
    """The config's entries ``which``; for a config naming no tensor, every 2-D real tensor of the run's
    checkpoint but optimizer slots, as TensorBoard's projector lists them, when the run has a checkpoint
    and its tensors were not read from it before (``read_from``: the checkpoint a follower read last,
    None: none). A config naming tensors shows only those (docs/decisions.md: TensorBoard adds the
    others, read when picked; the board is sent everything up front)."""
    entries = root.get("embeddings", [])
    special = _special(entries)
    checkpoint = _Checkpoint(fs, run_dir, root)
    records, problems, failed, unlabelled = _read_entries(
        fs, run_dir, entries, [i for i in which if entries[i] is not special], wall_time, checkpoint, relabel
    )
    unshown: tuple[Problem, ...] | None = None
    names = len(entries) > (special is not None)
    if not names and checkpoint.exists():
        try:
            prefix, bundle = checkpoint.open()
        except Exception as exc:  # noqa: BLE001 - a notice naming the file, until it reads
            unshown = (Problem(_problem_source(exc, fs.join(run_dir, CONFIG)), "(every 2-D tensor)", exc),)
        else:
            if prefix != read_from:
                more, unshown_list = _read_unlisted(fs, run_dir, prefix, bundle, special, wall_time)
                records += more
                unshown = tuple(unshown_list)
    return _Read(records, problems, failed, unlabelled, checkpoint.prefix, names, unshown)


def _latest_checkpoint(fs: Any, run_dir: str, root: dict[str, Any]) -> str:
    """The checkpoint a run's checkpoint entries read now (``root``: its parsed config), or "" when
    the ``checkpoint`` file names none or cannot be read: what was read stays, nothing newer is read."""
    directory = _checkpoint_dir(fs, run_dir, root)
    if directory is None:
        if _names_keras_tensor(root):
            return keras_weights(fs, run_dir)  # Keras 3's callback: its latest epoch's weights
        return ""
    try:
        return checkpoint_prefix(fs, directory, str(_first(root, "model_checkpoint_path", "")))
    except (ValueError, OSError):  # CheckpointError is a ValueError
        return ""


def checkpoint_step(prefix: str) -> int:
    """The save counter TensorFlow numbers a checkpoint with (``embedding.ckpt-3``: 3), else 0."""
    m = re.search(r"-(\d+)$", prefix)
    return int(m.group(1)) if m else 0


def checkpoint_prefix(fs: Any, run_dir: str, model_checkpoint_path: str = "") -> str:
    """The checkpoint a run's projector reads tensors from: the config's ``model_checkpoint_path``, else
    the latest one in the run's ``checkpoint`` file (as ``tf.train.latest_checkpoint``); a relative
    path is relative to the run directory."""
    path = model_checkpoint_path
    if not path:
        state = fs.join(run_dir, CHECKPOINT_STATE)
        try:
            text = fs.cat(state).decode("utf-8", "replace")
        except FileNotFoundError:
            raise tfcheckpoint.CheckpointError(
                state, "no such file, and the projector config names no model_checkpoint_path: no checkpoint to read"
            ) from None
        try:
            path = str(_first(parse_text(text), "model_checkpoint_path", ""))
        except ValueError:
            raise tfcheckpoint.CheckpointError(state, "not a text-format CheckpointState") from None
        if not path:
            raise tfcheckpoint.CheckpointError(state, "names no model_checkpoint_path")
    return path if "://" in path else fs.join(run_dir, path)  # (an absolute path stays as it is)


def _read_checkpoint_tensor(fs: Any, prefix: str, bundle: tfcheckpoint.Bundle, name: str) -> np.ndarray:
    """A checkpoint tensor as the projector shows it: rank 2 (points x dimensions), as TensorBoard
    requires; float as stored (bfloat16: float32), other numbers as float32 (as TensorBoard serves them)."""
    e = bundle.entries.get(name)
    if e is not None and len(e.shape) != 2:
        raise tfcheckpoint.CheckpointError(
            prefix + ".index",
            f"tensor {name!r} has shape {list(e.shape)}; the projector needs a 2-D (points x dimensions) tensor",
        )
    mat = tfcheckpoint.read_tensor(fs, prefix, name, bundle)
    if mat.dtype.kind == "c":
        raise tfcheckpoint.CheckpointError(
            prefix + ".index", f"tensor {name!r} is complex; the projector needs real numbers"
        )
    return mat if mat.dtype.kind == "f" else mat.astype(np.float32)


def _problem_source(exc: Exception, fallback: str) -> str:
    """The file an error is about: the checkpoint file, the file that could not be opened, else ``fallback``."""
    if isinstance(exc, tfcheckpoint.CheckpointError):
        return exc.path
    filename = getattr(exc, "filename", None)
    if filename is None and isinstance(exc, FileNotFoundError) and len(exc.args) == 1:
        filename = exc.args[0]  # fsspec raises FileNotFoundError(path)
    return filename if isinstance(filename, str) and filename else fallback


def _tensor_name(e: dict[str, Any]) -> str:
    """An entry's checkpoint tensor: its ``tensor_name`` without a graph tensor's ``:0`` output index,
    which TensorBoard drops."""
    name = str(_first(e, "tensor_name", ""))
    return name[:-2] if name.endswith(":0") else name


def _read_entries(
    fs: Any,
    run_dir: str,
    entries: list[dict[str, Any]],
    which: Iterable[int],
    wall_time: float,
    checkpoint: _Checkpoint,
    relabel: Collection[int] = (),
) -> tuple[list[EmbeddingRecord], list[Problem], list[int], list[int]]:
    """``(records, problems, the indices of the checkpoint entries that failed, those shown without
    labels)`` of the config's ``entries`` ``which``. A tensors file that cannot be read raises (the whole
    config fails: torch's and cellboard's writers write the config last); a checkpoint entry is a
    ``Problem``. A checkpoint entry's step is the checkpoint's number. An entry whose metadata or sprite
    cannot be read shows without them (and a ``Problem`` naming the file); one in ``relabel`` was shown
    so before: it is read again only once they read."""
    out, problems, failed, unlabelled = [], [], [], []

    def extras(i: int, e: dict[str, Any]) -> _Extras | None:
        try:
            return _read_extras(fs, run_dir, e)
        except Exception as exc:  # noqa: BLE001 - the points show without labels; the file is named
            shown = EmbeddingError(f"{type(exc).__name__}: {exc}; its points show without labels")
            problems.append(
                Problem(_problem_source(exc, fs.join(run_dir, CONFIG)), str(_first(e, "tensor_name", "")), shown)
            )
            unlabelled.append(i)
            return None

    for i in which:
        e = entries[i]
        name = str(_first(e, "tensor_name", ""))
        tensor_path = str(_first(e, "tensor_path", ""))
        labels: _Extras | None = None
        if i in relabel:  # shown without labels before: read again once they read
            labels = extras(i, e)
            if labels is None:
                continue
        if tensor_path:
            tag, sep, step_s = name.rpartition(":")
            try:
                step = int(step_s) if sep else 0
            except ValueError:
                tag, step = name, 0
            path = fs.join(run_dir, tensor_path)
            mat = _read_tensor_file(fs.cat(path), e.get("tensor_shape", []), path)
            labels = labels or extras(i, e) or _NO_EXTRAS
            out.append(EmbeddingRecord(step, wall_time, tag or name, mat, *labels, tensor_path=tensor_path))
            continue
        try:
            if _tensor_name(e) == KERAS_TENSOR and not checkpoint.exists():
                # the k-th such entry is the model's k-th Embedding layer
                path, layers = checkpoint.keras()
                k = sum(_tensor_name(x) == KERAS_TENSOR for x in entries[:i])
                if k >= len(layers):
                    raise tfcheckpoint.CheckpointError(
                        path, f"embedding layer {k} is not there: the weights hold {len(layers)} Embedding layers"
                    )
                layer, mat = layers[k]
                tag, step, source = f"{layer}/embeddings", keras_epoch(path), path
            else:
                prefix, bundle = checkpoint.open()
                mat = _read_checkpoint_tensor(fs, prefix, bundle, _tensor_name(e))
                tag, step, source = _tensor_name(e), checkpoint_step(prefix), prefix
        except Exception as exc:  # noqa: BLE001 - one unreadable checkpoint embedding never hides the others
            problems.append(Problem(_problem_source(exc, fs.join(run_dir, CONFIG)), name, exc))
            failed.append(i)
            continue
        labels = labels or extras(i, e) or _NO_EXTRAS
        out.append(EmbeddingRecord(step, wall_time, tag, mat, *labels, checkpoint=source))
    return out, problems, failed, unlabelled


UNLISTED_MAX_VALUES = 1 << 24  # a 2-D checkpoint tensor the config does not name, up to 64 MiB of float32
_REAL = {
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
}


def _read_unlisted(
    fs: Any,
    run_dir: str,
    prefix: str,
    bundle: tfcheckpoint.Bundle,
    special: dict[str, Any] | None,
    wall_time: float,
) -> tuple[list[EmbeddingRecord], list[Problem]]:
    """``(records, problems)`` of every 2-D real tensor of the checkpoint but optimizer slots, as
    TensorBoard's projector lists them. The ``special`` entry's metadata goes with each tensor of as
    many rows (TensorBoard gives it to all, and then cannot show the others); a tensor over
    ``UNLISTED_MAX_VALUES``, or one that cannot be read, is a ``Problem``."""
    out, problems = [], []
    metadata = header = None
    meta_path = str(_first(special, "metadata_path", "")) if special is not None else ""
    if meta_path:
        try:
            metadata, header = _read_metadata(fs.cat(fs.join(run_dir, meta_path)))
        except Exception as exc:  # noqa: BLE001 - the tensors still show, without labels
            problems.append(
                Problem(_problem_source(exc, fs.join(run_dir, meta_path)), "(metadata of every 2-D tensor)", exc)
            )
    for name, e in sorted(bundle.entries.items()):
        if len(e.shape) != 2 or ".OPTIMIZER_SLOT" in name:
            continue
        if tfcheckpoint.DTYPE_NAMES.get(e.dtype) not in _REAL:
            continue
        values = e.shape[0] * e.shape[1]
        if values > UNLISTED_MAX_VALUES:
            too_big = tfcheckpoint.CheckpointError(
                prefix + ".index",
                f"tensor {name!r} of shape {list(e.shape)} is not shown: over {UNLISTED_MAX_VALUES:,} values "
                "(name it in the projector config to show it)",
            )
            problems.append(Problem(too_big.path, name, too_big))
            continue
        try:
            mat = _read_checkpoint_tensor(fs, prefix, bundle, name)
        except Exception as exc:  # noqa: BLE001 - one unreadable tensor never hides the others
            problems.append(Problem(_problem_source(exc, prefix + ".index"), name, exc))
            continue
        fits = metadata is not None and len(metadata) == mat.shape[0]
        out.append(
            EmbeddingRecord(
                checkpoint_step(prefix),
                wall_time,
                name,
                mat,
                metadata if fits else None,
                header if fits else None,
                checkpoint=prefix,
            )
        )
    return out, problems


_Extras = tuple[list[str] | list[list[str]] | None, list[str] | None, bytes | None, tuple[int, int] | None]
_NO_EXTRAS: _Extras = (None, None, None, None)


def _read_extras(fs: Any, run_dir: str, e: dict[str, Any]) -> _Extras:
    """``(metadata, metadata header, sprite, sprite image size)`` of a config entry."""
    metadata = header = None
    meta_path = _first(e, "metadata_path")
    if meta_path:
        metadata, header = _read_metadata(fs.cat(fs.join(run_dir, str(meta_path))))
    sprite = dim = None
    sp = _first(e, "sprite")
    if sp and _first(sp, "image_path"):
        sprite = fs.cat(fs.join(run_dir, str(_first(sp, "image_path"))))
        dims = [int(d) for d in sp.get("single_image_dim", [])]
        dim = (dims[0], dims[1]) if len(dims) == 2 else None
    return metadata, header, sprite, dim
