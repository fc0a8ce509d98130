"""Scalars: one number per step. The one columnar kind (numpy arrays per run and tag).

Read from legacy ``simple_value`` and from the ``scalars`` plugin's rank-0 tensors; the bulk of
any log is decoded column-wise by ``fastscalars`` and only odd records come through ``decode``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tfevents import messages as M
from ..tfevents.wire import f_bytes, f_str, f_varint, varint
from .base import Kind


@dataclass(frozen=True)
class Scalars:
    """A scalar series: three aligned numpy arrays in the order they were logged."""

    steps: np.ndarray  # int64
    wall_times: np.ndarray  # float64
    values: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.steps)

    def to_pandas(self):
        """A ``pandas.DataFrame`` with columns ``step``, ``wall_time``, ``value`` (pandas is optional)."""
        from ..store import require_pandas

        pd = require_pandas()
        return pd.DataFrame({"step": self.steps, "wall_time": self.wall_times, "value": self.values})


class ScalarColumn:
    """Growable aligned arrays; ``epoch`` changes when history is rewritten (purge)."""

    __slots__ = ("epoch", "n", "steps", "values", "walls")

    def __init__(self) -> None:
        self.steps = np.empty(64, np.int64)
        self.walls = np.empty(64, np.float64)
        self.values = np.empty(64, np.float64)
        self.n = 0
        self.epoch = 0

    def append(self, steps, walls, values) -> None:
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
            self.steps[start : self.n].copy(), self.walls[start : self.n].copy(), self.values[start : self.n].copy()
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


KIND = Kind("scalars", decode, plugins=("scalars",), legacy=("simple_value",), columnar=True)
