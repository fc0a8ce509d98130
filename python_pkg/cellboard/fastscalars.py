"""Vectorized decoding of scalar events, the bulk of every log directory.

A writer emits scalar events that differ only in wall time, step and value bytes: same tag,
same field order, same lengths. So records of equal length are gathered into a byte matrix;
one record of a group is decoded the slow way to learn its *layout* (where wall time, step
varint and value live); every row whose other bytes match that template byte for byte is
decoded with numpy column operations. Rows that match no scalar template are left to the
record-by-record decoder. Nothing is assumed about the writer: a layout is only trusted for
rows that reproduce every one of its constant bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .tfevents import messages as M
from .tfevents.wire import I32, I64, LEN, VARINT, WireError, read_varint

MAX_RECORD = 1024  # scalar events are small; longer records go to the slow path
MAX_TEMPLATES_PER_LENGTH = 64  # bounds the work on pathological logs (thousands of tags)


@dataclass
class Layout:
    tag: str
    wall: int | None  # offset of the float64 wall time
    step: tuple[int, int] | None  # (offset, byte length) of the step varint
    value: int  # offset of the value bytes
    dtype: str  # "<f4" or "<f8"
    simple: bool  # a legacy ``simple_value`` (always a scalar, whatever the tag's plugin)
    plugin: str | None  # "scalars" when the record carries metadata naming the plugin


@dataclass
class Decoded:
    handled: np.ndarray  # bool per record
    rec: np.ndarray
    tag: np.ndarray
    step: np.ndarray
    wall: np.ndarray
    value: np.ndarray


def _fields(buf: bytes, start: int, end: int):
    """``(field, wire_type, value_start, value_end, int_value)`` with absolute offsets."""
    pos = start
    while pos < end:
        tag, pos = read_varint(buf, pos)
        f, wt = tag >> 3, tag & 7
        if wt == VARINT:
            s = pos
            v, pos = read_varint(buf, pos)
            yield f, wt, s, pos, v
        elif wt == I64:
            yield f, wt, pos, pos + 8, 0
            pos += 8
        elif wt == I32:
            yield f, wt, pos, pos + 4, 0
            pos += 4
        elif wt == LEN:
            n, pos = read_varint(buf, pos)
            yield f, wt, pos, pos + n, 0
            pos += n
        else:
            raise WireError("unsupported wire type")
        if pos > end:
            raise WireError("truncated")


def locate(rec: bytes) -> Layout | None:
    """The layout of a one-value scalar event, or None if ``rec`` is anything else."""
    try:
        wall = step = summary = None
        for f, wt, s, e, _ in _fields(rec, 0, len(rec)):
            if f == 1 and wt == I64:
                wall = s
            elif f == 2 and wt == VARINT:
                step = (s, e - s)
            elif f == 5 and wt == LEN and summary is None:
                summary = (s, e)
            else:
                return None
        if summary is None:
            return None
        values = list(_fields(rec, *summary))
        if len(values) != 1 or values[0][0] != 1 or values[0][1] != LEN:
            return None
        tag = None
        value = dtype = tensor = plugin = None
        for f, wt, s, e, _ in _fields(rec, values[0][2], values[0][3]):
            if f == 1 and wt == LEN:
                tag = rec[s:e].decode("utf-8")
            elif f == 2 and wt == I32:
                value, dtype = s, "<f4"
            elif f == 8 and wt == LEN:
                tensor = (s, e)
            elif f == 9 and wt == LEN:
                plugin = M.decode_metadata(rec[s:e]).plugin_name
            else:
                return None
        if tag is None:
            return None
        if tensor is not None:
            if value is not None:
                return None
            value, dtype = _locate_tensor_value(rec, *tensor)
            if value is None:
                return None
        if value is None:
            return None
        return Layout(tag, wall, step, value, dtype, tensor is None, plugin)
    except (WireError, UnicodeDecodeError, IndexError):
        return None


def _locate_tensor_value(rec: bytes, start: int, end: int):
    dtype = None
    value = None
    for f, wt, s, e, v in _fields(rec, start, end):
        if f == 1 and wt == VARINT:
            dtype = v
        elif f == 2 and wt == LEN:
            for f2, wt2, s2, e2, _ in _fields(rec, s, e):  # every dim must be 1
                if f2 != 2 or wt2 != LEN:
                    return None, None
                for f3, _wt3, _, _, v3 in _fields(rec, s2, e2):
                    if f3 == 1 and v3 != 1:
                        return None, None
        elif value is None and ((f == 5 and wt in (LEN, I32) and e - s == 4)
                                or (f == 6 and wt in (LEN, I64) and e - s == 8)
                                or (f == 4 and wt == LEN and e - s in (4, 8))):
            value = (s, e - s)
        else:
            return None, None
    if value is None or dtype not in (M.DT_FLOAT, M.DT_DOUBLE):
        return None, None
    width = 4 if dtype == M.DT_FLOAT else 8
    if value[1] != width:
        return None, None
    return value[0], "<f4" if width == 4 else "<f8"


def _varint_column(block: np.ndarray) -> np.ndarray:
    out = np.zeros(block.shape[0], np.uint64)
    for j in range(block.shape[1]):
        out |= (block[:, j].astype(np.uint64) & np.uint64(0x7F)) << np.uint64(7 * j)
    return out.view(np.int64)


def decode(data: bytes, starts: np.ndarray, lengths: np.ndarray, plugins: dict[str, str],
           tag_id: Callable[[str], int]) -> Decoded:
    n = len(starts)
    handled = np.zeros(n, bool)
    out_rec, out_tag, out_step, out_wall, out_val = [], [], [], [], []
    buf = np.frombuffer(data, np.uint8)
    small = np.flatnonzero(lengths <= MAX_RECORD)
    if small.size == 0:
        return Decoded(handled, *(np.zeros(0, t) for t in (np.int64, np.int64, np.int64, np.float64, np.float64)))
    # Tensor scalars without metadata need the tag's plugin, which may be learned from
    # another group's record: such groups are retried once after the others.
    retry: list[np.ndarray] = []
    by_length = small[np.argsort(lengths[small], kind="stable")]
    bounds = np.flatnonzero(np.diff(lengths[by_length])) + 1
    groups = np.split(by_length, bounds)
    for attempt in (0, 1):
        for rows in groups if attempt == 0 else retry:
            length = int(lengths[rows[0]])
            window = sliding_window_view(buf, length)
            mat = window[starts[rows]]
            rem = np.arange(len(rows))
            templates = 0
            while rem.size and templates < MAX_TEMPLATES_PER_LENGTH:
                templates += 1
                first = rem[0]
                layout = locate(mat[first].tobytes())
                if layout is None:
                    rem = rem[1:]
                    continue
                if layout.plugin is not None:
                    plugins.setdefault(layout.tag, layout.plugin)
                plugin = plugins.get(layout.tag)
                if not layout.simple and plugin != "scalars":
                    if plugin is None and attempt == 0:
                        retry.append(rows[rem])
                        break
                    rem = rem[1:]
                    continue
                width = 4 if layout.dtype == "<f4" else 8
                variable = np.zeros(length, bool)
                variable[layout.value : layout.value + width] = True
                if layout.wall is not None:
                    variable[layout.wall : layout.wall + 8] = True
                if layout.step is not None:
                    variable[layout.step[0] : layout.step[0] + layout.step[1]] = True
                const = np.flatnonzero(~variable)
                sub = mat[rem]
                match = (sub[:, const] == mat[first, const]).all(axis=1)
                hit = sub[match]
                idx = rows[rem[match]]
                handled[idx] = True
                out_rec.append(idx)
                out_tag.append(np.full(idx.size, tag_id(layout.tag), np.int64))
                out_val.append(np.ascontiguousarray(hit[:, layout.value : layout.value + width])
                               .view(layout.dtype).ravel().astype(np.float64))
                if layout.wall is not None:
                    out_wall.append(np.ascontiguousarray(hit[:, layout.wall : layout.wall + 8]).view("<f8").ravel())
                else:
                    out_wall.append(np.zeros(idx.size))
                if layout.step is not None:
                    s, k = layout.step
                    out_step.append(_varint_column(hit[:, s : s + k]))
                else:
                    out_step.append(np.zeros(idx.size, np.int64))
                rem = rem[~match]
    if not out_rec:
        return Decoded(handled, *(np.zeros(0, t) for t in (np.int64, np.int64, np.int64, np.float64, np.float64)))
    return Decoded(handled, np.concatenate(out_rec), np.concatenate(out_tag), np.concatenate(out_step),
                   np.concatenate(out_wall), np.concatenate(out_val))

