"""Text: markdown per step (``add_text``), from the ``text`` plugin's string tensors.

A rank-2 string tensor is a table, as TensorBoard renders it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..tfevents import messages as M
from .base import Kind


@dataclass(frozen=True)
class TextRecord:
    step: int
    wall_time: float
    text: str


def decode(val: M.Value, plugin: str, step: int, wall: float) -> list[TextRecord]:
    if val.kind != "tensor" or val.payload is None:
        return []
    t = M.decode_tensor(val.payload)
    strings = [s.decode("utf-8", "replace") for s in t.string_val]
    if len(strings) <= 1:
        return [TextRecord(step, wall, strings[0] if strings else "")]
    if len(t.shape) == 2 and t.shape[0] * t.shape[1] == len(strings):
        rows, cols = t.shape
        cells = [strings[r * cols : (r + 1) * cols] for r in range(rows)]
        head = "| " + " | ".join(cells[0]) + " |\n|" + "---|" * cols + "\n"
        return [TextRecord(step, wall, head + "".join("| " + " | ".join(r) + " |\n" for r in cells[1:]))]
    return [TextRecord(step, wall, "\n\n".join(strings))]


def encode(tag: str, text: str, step: int, wall: float) -> tuple[bytes, TextRecord]:
    """The event torch writes for ``add_text`` (a string tensor under ``<tag>/text_summary``)."""
    meta = M.plugin_metadata("text", b"", M.DATA_CLASS_TENSOR)  # TextPluginData{version=0}
    tensor = M.tensor(M.DT_STRING, (1,), string_val=[text.encode("utf-8")])
    ev = M.event(wall, step, summary=M.summary(M.value(tag, tensor=tensor, metadata=meta)))
    return ev, TextRecord(step, wall, text)


def entry(r: TextRecord) -> tuple[dict[str, Any], bytes | None]:
    return {"text": r.text}, None


KIND = Kind("text", decode, entry, plugins=("text",))
