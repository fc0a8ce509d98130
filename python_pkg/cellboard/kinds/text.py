"""Text: markdown per step (``add_text``), from the ``text`` plugin's string tensors.

A string tensor of rank 1 or 2 (TensorFlow's ``tf.summary.text`` of a list or a matrix) is a
table of markdown cells without a header, as TensorBoard renders it: rank 1 is one column;
of a higher rank, the first 2-D block is shown, with a note saying so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..tfevents import messages as M
from .base import Kind


@dataclass(frozen=True)
class TextRecord:
    """``text``: the markdown; for a table, its cells as tab-separated lines. ``table``: the
    cells (rows of markdown strings) of a rank 1+ tensor, else None; ``note``: why some of the
    tensor is not shown, or ""."""

    step: int
    wall_time: float
    text: str
    table: tuple[tuple[str, ...], ...] | None = None
    note: str = ""


def decode(val: M.Value, plugin: str, step: int, wall: float) -> list[TextRecord]:
    if val.kind != "tensor" or val.payload is None:
        return []
    t = M.decode_tensor(val.payload)
    strings = [s.decode("utf-8", "replace") for s in t.string_val]
    shape = list(t.shape) if len(strings) > 1 else []  # one string: text (torch writes shape (1,))
    if not shape or math.prod(shape) != len(strings):  # a scalar (or a shape the strings do not fill)
        return [TextRecord(step, wall, "\n\n".join(strings))]
    note = ""
    if len(shape) > 2:
        note = f"This text summary has {len(shape)} dimensions {tuple(t.shape)}: only the first 2-D block is shown."
    cols = shape[-1] if len(shape) > 1 else 1
    rows = shape[-2] if len(shape) > 1 else shape[0]
    table = tuple(tuple(strings[r * cols : (r + 1) * cols]) for r in range(rows))
    return [TextRecord(step, wall, "\n".join("\t".join(row) for row in table), table, note)]


def encode(tag: str, text: str, step: int, wall: float) -> tuple[bytes, TextRecord]:
    """The event torch writes for ``add_text`` (a string tensor under ``<tag>/text_summary``)."""
    meta = M.plugin_metadata("text", b"", M.DATA_CLASS_TENSOR)  # TextPluginData{version=0}
    tensor = M.tensor(M.DT_STRING, (1,), string_val=[text.encode("utf-8")])
    ev = M.event(wall, step, summary=M.summary(M.value(tag, tensor=tensor, metadata=meta)))
    return ev, TextRecord(step, wall, text)


def entry(r: TextRecord) -> tuple[dict[str, Any], bytes | None]:
    if r.table is None:
        return {"text": r.text}, None
    return {"text": r.text, "table": [list(row) for row in r.table], "note": r.note}, None


KIND = Kind("text", decode, entry, plugins=("text",), preempts=True)
