"""Scalars: one number per step. The one columnar kind (numpy arrays per run and tag).

Read from legacy ``simple_value`` and from the ``scalars`` plugin's rank-0 tensors; the bulk of
any log is decoded column-wise by ``fastscalars`` and only odd records come through ``decode``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..restarts import survivors
from ..tfevents import messages as M
from ..tfevents.crc import _mask, _position_tables, masked_crc32c
from ..tfevents.records import frame
from ..tfevents.wire import f_bytes, f_str, f_varint, varint
from .base import Kind


@dataclass(frozen=True)
class Scalars:
    """A scalar series: three aligned numpy arrays in the order they were logged, steps strictly
    increasing (a step logged again replaces the series from there on: ``cellboard.restarts``)."""

    steps: np.ndarray  # int64
    wall_times: np.ndarray  # float64
    values: np.ndarray  # float64
    replaced: int = 0  # points steps logged again replaced (the event files still hold them)

    def __len__(self) -> int:
        return len(self.steps)

    def to_pandas(self):
        """A ``pandas.DataFrame`` with columns ``step``, ``wall_time``, ``value`` (pandas is optional)."""
        from ..store import require_pandas

        pd = require_pandas()
        return pd.DataFrame({"step": self.steps, "wall_time": self.wall_times, "value": self.values})


class ScalarColumn:
    """Growable aligned arrays, strictly increasing in step; ``epoch`` changes when history is
    rewritten (a purge, or a step logged again: ``cellboard.restarts``)."""

    __slots__ = ("epoch", "n", "replaced", "steps", "values", "walls")

    def __init__(self) -> None:
        self.steps = np.empty(64, np.int64)
        self.walls = np.empty(64, np.float64)
        self.values = np.empty(64, np.float64)
        self.n = 0
        self.epoch = 0
        self.replaced = 0

    def append(self, steps, walls, values) -> None:
        steps = np.asarray(steps, np.int64)
        keep = survivors(steps)
        if keep is not None:  # steps logged again within the batch: the later records win
            self.replaced += len(steps) - int(keep.sum())
            steps, walls, values = steps[keep], np.asarray(walls)[keep], np.asarray(values)[keep]
        if self.n and steps[0] <= self.steps[self.n - 1]:  # and over what is held
            cut = int(np.searchsorted(self.steps[: self.n], steps[0], "left"))
            self.replaced += self.n - cut
            self.n = cut
            self.epoch += 1
        k = len(steps)
        need = self.n + k
        if need > len(self.steps):
            cap = max(need, 2 * len(self.steps))
            for name in ("steps", "walls", "values"):
                old = getattr(self, name)
                new = np.empty(cap, old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        self.steps[self.n : need] = steps
        self.walls[self.n : need] = walls
        self.values[self.n : need] = values
        self.n = need

    def purge(self, step: int) -> bool:
        keep = self.steps[: self.n] < step
        if keep.all():
            return False
        m = int(keep.sum())
        for name in ("steps", "walls", "values"):
            arr = getattr(self, name)
            arr[:m] = arr[: self.n][keep]
        self.n = m
        self.epoch += 1
        return True

    def snapshot(self, start: int = 0) -> Scalars:
        return Scalars(
            self.steps[start : self.n].copy(),
            self.walls[start : self.n].copy(),
            self.values[start : self.n].copy(),
            self.replaced,
        )


def decode(val: M.Value, plugin: str, step: int, wall: float) -> list[float]:
    if val.kind == "simple_value":
        return [val.simple_value]
    if val.kind != "tensor" or val.payload is None:
        return []
    return [M.decode_tensor(val.payload).scalar()]


# ------------------------------------------------------------------ writing (add_scalar)
LEGACY, NEW_FLOAT, NEW_DOUBLE = 0, 1, 2  # simple_value (float32); new-style float / double tensor
_METADATA = M.plugin_metadata("scalars", data_class=M.DATA_CLASS_SCALAR)


def summary_parts(tag: str, style: int) -> tuple[bytes, bytes]:
    """Constant bytes of a one-value scalar Summary before and after the 4/8 value bytes.

    The writer caches them per (tag, style) and packs only wall time, step and value.
    """
    tag_field = f_str(1, tag)
    if style == LEGACY:
        value_len = len(tag_field) + 5
        head_value = tag_field + b"\x15"
        tail = b""
    else:
        dtype, width, field = (M.DT_FLOAT, 4, 5) if style == NEW_FLOAT else (M.DT_DOUBLE, 8, 6)
        tensor_head = f_varint(1, dtype) + bytes([(field << 3) | 2, width])
        tensor_len = len(tensor_head) + width
        meta = f_bytes(9, _METADATA)
        value_len = len(tag_field) + 1 + len(varint(tensor_len)) + tensor_len + len(meta)
        head_value = tag_field + b"\x42" + varint(tensor_len) + tensor_head
        tail = meta
    value_msg_head = b"\x0a" + varint(value_len)
    summary_len = len(value_msg_head) + value_len
    head = b"\x2a" + varint(summary_len) + value_msg_head + head_value
    return head, tail


_pack_d = struct.Struct("<d").pack
_pack_f = struct.Struct("<f").pack
_unpack_f = struct.Struct("<f").unpack
_pack_len = struct.Struct("<Q").pack
_SMALL_BATCH = 24  # below this many records the per-record loop beats numpy's per-call overhead


@dataclass
class EncodedScalars:
    """A batch of scalar events, framed in call order, and the columns the live store gets."""

    frames: bytes  # TFRecord frames, ready to append to an event file
    count: int
    columns: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # tag -> (steps, walls, values as stored)


def encode_batch(
    tags: tuple[str, ...] | list[str],
    styles: tuple[int, ...] | list[int],
    steps: tuple[int, ...] | list[int],
    walls: tuple[float, ...] | list[float],
    values: tuple[float, ...] | list[float],
    parts: dict[tuple[str, int], tuple[bytes, bytes]],
) -> EncodedScalars:
    """Frame one Event per scalar: exactly the bytes of ``Event(wall_time, step, Summary(...))``.

    Steps must be ints in int64 range, values Python floats. Values kept as float32 (``LEGACY``,
    ``NEW_FLOAT``) are stored rounded as the file holds them (+-inf beyond float32's range).
    ``parts`` caches ``summary_parts`` per ``(tag, style)``. Large batches are built column-wise:
    one byte matrix per (tag, style, step width), the CRC32C over the variable columns only (CRC
    is linear: the constant columns add a per-group constant), rows put back in call order.
    """
    k = len(steps)
    if k < _SMALL_BATCH:
        return _encode_loop(tags, styles, steps, walls, values, parts)
    tag_of = dict.fromkeys(tags)  # C loops: no Python code per record
    tag_list = list(tag_of)
    for i, tag in enumerate(tag_list):
        tag_of[tag] = i
    tid = np.fromiter(map(tag_of.__getitem__, tags), np.intp, k)
    uniform_style = styles.count(styles[0]) == k
    style_a = np.full(k, styles[0], np.intp) if uniform_style else np.array(styles, np.intp)
    steps_a = np.fromiter(steps, np.int64, k)
    walls_a = np.fromiter(walls, "<f8", k)
    vals_a = np.fromiter(values, "<f8", k)
    with np.errstate(over="ignore"):  # beyond float32's range: +-inf, as protobuf (torch) stores it
        vals_f = vals_a.astype("<f4")
    if uniform_style:
        stored = vals_a if styles[0] == NEW_DOUBLE else vals_f.astype(np.float64)
    else:
        stored = np.where(style_a == NEW_DOUBLE, vals_a, vals_f.astype(np.float64))
    # the step's field: key byte 0x10 + varint (int64 as two's complement uint64); step 0 is left out
    u = steps_a.view(np.uint64)
    lo, hi = int(steps_a.min()), int(steps_a.max())
    if lo > 0 and len(varint(lo)) == len(varint(hi)):  # the usual batch: one width for all
        field = np.full(k, 1 + len(varint(lo)), np.intp)
    else:
        nbytes = np.ones(k, np.intp)
        for j in range(1, 10):
            nbytes += u >= np.uint64(1 << (7 * j))
        field = np.where(steps_a == 0, 0, 1 + nbytes)
    uniq, inverse = np.unique((tid * 3 + style_a) * 16 + field, return_inverse=True)
    flen = np.empty(len(uniq), np.intp)
    mats = []
    for g, key in enumerate(uniq.tolist()):
        rows = np.flatnonzero(inverse == g) if len(uniq) > 1 else np.arange(k)
        tag, style = tag_list[key // 48], key // 16 % 3
        p = parts.get((tag, style))
        if p is None:
            p = parts[(tag, style)] = summary_parts(tag, style)
        value_bytes = (vals_a if style == NEW_DOUBLE else vals_f)[rows].view(np.uint8)
        mat = _frames(p[0], p[1], key % 16, walls_a[rows].view(np.uint8), u[rows], value_bytes)
        flen[g] = mat.shape[1]
        mats.append((rows, mat))
    blob = _in_call_order(mats, inverse, flen)
    columns = {}
    walls64 = walls_a.astype(np.float64, copy=False)
    for t, tag in enumerate(tag_list):
        mine = np.flatnonzero(tid == t) if len(tag_list) > 1 else slice(None)
        columns[tag] = (steps_a[mine], walls64[mine], stored[mine])
    return EncodedScalars(blob, k, columns)


def _in_call_order(mats: list[tuple[np.ndarray, np.ndarray]], inverse: np.ndarray, flen: np.ndarray) -> bytes:
    """The rows of the group matrices as one buffer, in call order."""
    n_groups, k = len(mats), len(inverse)
    if n_groups == 1:
        return mats[0][1].tobytes()
    # A training loop logs the same tags in the same order each step: the groups then repeat
    # with period n_groups and the rows of one period sit side by side (no per-byte shuffling).
    full = k - k % n_groups
    pattern = inverse[:n_groups]
    if (
        k >= n_groups
        and len(np.unique(pattern)) == n_groups
        and (inverse[:full].reshape(-1, n_groups) == pattern).all()
        and (inverse[full:] == pattern[: k - full]).all()
    ):
        ordered = [mats[g][1] for g in pattern.tolist()]
        periods = full // n_groups
        head = np.concatenate([m[:periods] for m in ordered], axis=1).tobytes()
        return head + b"".join(ordered[j][periods].tobytes() for j in range(k - full))
    width = int(flen.max())  # otherwise: padded to the widest row, padding dropped
    padded = np.empty((k, width), np.uint8)
    for rows, mat in mats:
        padded[rows, : mat.shape[1]] = mat
    return padded[np.arange(width) < flen[inverse][:, None]].tobytes()


@lru_cache(maxsize=1024)
def _template(head: bytes, tail: bytes, field: int, width: int) -> tuple[np.ndarray, int, np.ndarray]:
    """A frame with the variable bytes zeroed, the CRC32C register part of its constant bytes,
    and the positions (in the event) of the variable bytes: wall time, step varint, value."""
    vlen = field - 1 if field else 0
    data = b"\x09" + bytes(8) + (b"\x10" + bytes(vlen) if field else b"") + head + bytes(width) + tail
    header = _pack_len(len(data))
    template = np.frombuffer(header + struct.pack("<I", masked_crc32c(header)) + data + bytes(4), np.uint8)
    at = 9 + field + len(head)
    var = np.r_[1:9, 10 : 10 + vlen, at : at + width]
    # crc(x) = crc(0^L) ^ XOR_j T_j[x_j], and T_j[0] = 0: the constant bytes fold into one number
    tables, const = _position_tables(len(data))
    fixed = np.frombuffer(data, np.uint8)
    for j in np.flatnonzero(fixed).tolist():
        const ^= int(tables[j, fixed[j]])
    return template, const, var


def _frames(head: bytes, tail: bytes, field: int, wall_bytes, steps_u64, value_bytes) -> np.ndarray:
    """``(m, F)`` uint8: the framed events of m scalars sharing tag, style and step varint width."""
    m = len(steps_u64)
    width = len(value_bytes) // m
    template, const, var = _template(head, tail, field, width)
    length = len(template) - 16
    mat = np.empty((m, len(template)), np.uint8)
    mat[:] = template
    body = mat[:, 12 : 12 + length]
    body[:, 1:9] = wall_bytes.reshape(m, 8)
    if field:
        vlen = field - 1
        for j in range(vlen):
            byte = (steps_u64 >> np.uint64(7 * j)) & np.uint64(0x7F)
            if j < vlen - 1:
                byte |= np.uint64(0x80)
            body[:, 10 + j] = byte
    at = 9 + field + len(head)
    body[:, at : at + width] = value_bytes.reshape(m, width)
    tables = _position_tables(length)[0]
    acc = np.full(m, const, np.uint32)
    for j in var.tolist():
        acc ^= tables[j].take(body[:, j])
    mat[:, 12 + length :] = _mask(acc).astype("<u4").view(np.uint8).reshape(m, 4)
    return mat


def _encode_loop(tags, styles, steps, walls, values, parts) -> EncodedScalars:
    """The same bytes, one record at a time (small batches)."""
    out = []
    columns: dict[str, tuple[list, list, list]] = {}
    for tag, style, step, wall, v in zip(tags, styles, steps, walls, values):
        p = parts.get((tag, style))
        if p is None:
            p = parts[(tag, style)] = summary_parts(tag, style)
        if style == NEW_DOUBLE:
            packed = _pack_d(v)
        else:
            try:
                packed = _pack_f(v)
            except OverflowError:  # beyond float32's range: +-inf, as protobuf (torch) stores it
                packed = _pack_f(float("inf") if v > 0 else float("-inf"))
            v = _unpack_f(packed)[0]  # the store holds what the file holds
        out.append(frame(b"\x09" + _pack_d(wall) + (b"\x10" + varint(step) if step else b"") + p[0] + packed + p[1]))
        cols = columns.get(tag)
        if cols is None:
            cols = columns[tag] = ([], [], [])
        cols[0].append(step)
        cols[1].append(wall)
        cols[2].append(v)
    arrays = {
        tag: (np.array(s, np.int64), np.array(w, np.float64), np.array(v, np.float64))
        for tag, (s, w, v) in columns.items()
    }
    return EncodedScalars(b"".join(out), len(out), arrays)


KIND = Kind("scalars", decode, plugins=("scalars",), legacy=("simple_value",), columnar=True)
