"""Embeddings (``add_embedding``): the projector files torch writes, and reading them back.

Not events: ``<log_dir>/<step:05d>/<tag>/tensors.tsv`` (and ``metadata.tsv``, ``sprite.png``), listed
in ``<log_dir>/projector_config.pbtxt`` (a text-format ``ProjectorConfig``), which TensorBoard's
PROJECTOR reads. The writer puts each embedding in its store too; ``cellboard.load`` reads the
config of every run directory (torch's and tensorboardX's included). Registered as a kind so the
store keeps its records per (run, tag); no event holds one (no plugin, no decoder) and the board
has no projector yet (``entry`` is None: nothing is sent).
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import summaries as S
from ..tfevents import messages as M
from .base import Kind

CONFIG = "projector_config.pbtxt"


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


def decode(val: M.Value, plugin: str, step: int, wall: float) -> list[EmbeddingRecord]:
    return []  # never routed: embeddings live in projector files, not in events


KIND = Kind("embeddings", decode, None, board=False)


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
            raise EmbeddingError("len of header must be equal to the number of columns in metadata")
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
            raise EmbeddingError("#labels should equal with #data points")
        if metadata_header and len(metadata) and len(metadata_header) != len(metadata[0]):
            raise EmbeddingError("len of header must be equal to the number of columns in metadata")
    imgs = None
    if label_img is not None:
        imgs = S.to_numpy(label_img, "label_img")
        if imgs.ndim != 4 or imgs.shape[1] not in (1, 3):
            raise ValueError(f"label_img must have shape (N, C, H, W) with C 1 or 3, got {tuple(imgs.shape)}")
        if arr.shape[0] != imgs.shape[0]:
            raise EmbeddingError("#images should equal with #data points")
    if arr.ndim != 2:
        raise EmbeddingError("mat should be 2D, where mat.size(0) is the number of data points")
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
        root = message(None)
    except IndexError:
        raise ValueError(f"{CONFIG}: truncated") from None
    return root.get("embeddings", [])


def _first(d: dict[str, Any], key: str, default: Any = None) -> Any:
    v = d.get(key)
    return v[0] if v else default


def _read_tsv_matrix(data: bytes) -> np.ndarray:
    rows = [line.split("\t") for line in data.decode("utf-8").splitlines() if line.strip()]
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


def read(fs: Any, run_dir: str, wall_time: float = 0.0) -> list[EmbeddingRecord]:
    """The embeddings listed in ``run_dir``'s ``projector_config.pbtxt`` (none when there is no config)."""
    path = fs.join(run_dir, CONFIG)
    if not fs.exists(path):
        return []
    out = []
    for e in parse_config(fs.cat(path).decode("utf-8")):
        name = str(_first(e, "tensor_name", ""))
        tag, sep, step_s = name.rpartition(":")
        try:
            step = int(step_s) if sep else 0
        except ValueError:
            tag, step = name, 0
        tensor_path = str(_first(e, "tensor_path", ""))
        if not tensor_path:
            continue  # a checkpoint tensor (TF1), not a file: nothing to read
        mat = _read_tsv_matrix(fs.cat(fs.join(run_dir, tensor_path)))
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
        out.append(EmbeddingRecord(step, wall_time, tag or name, mat, metadata, header, sprite, dim, tensor_path))
    return out
