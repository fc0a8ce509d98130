"""Custom scalars: the chart layout of ``add_custom_scalars`` (TensorBoard's CUSTOM SCALARS).

The layout is a ``Layout`` proto in a string tensor under ``custom_scalars__config__``:
categories of multiline charts (tag regexes drawn together) and margin charts (a value series
with lower/upper bound series shaded). The data are the run's ordinary scalar series.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..tfevents import messages as M
from ..tfevents.wire import LEN, f_bytes, f_str, iter_fields, iter_len
from .base import Kind

TAG = "custom_scalars__config__"


@dataclass(frozen=True)
class CustomScalarsRecord:
    step: int
    wall_time: float
    # [{"title": category, "charts": [{"title", "multiline": [regex]} | {"title", "margin": {...}}]}]
    layout: list[dict[str, Any]]


def _s(v: memoryview) -> str:
    return bytes(v).decode("utf-8", "replace")


def _chart(buf: memoryview) -> dict[str, Any]:
    chart: dict[str, Any] = {"title": ""}
    parts = {1: "value", 2: "lower", 3: "upper"}
    for f, wt, v in iter_fields(buf):
        if isinstance(v, int) or wt != LEN:
            continue
        if f == 1:
            chart["title"] = _s(v)
        elif f == 2:
            chart["multiline"] = [_s(x) for x in iter_len(v, 1)]
        elif f == 3:
            series = []
            for s in iter_len(v, 1):
                series.append(
                    {
                        parts[f3]: _s(x)
                        for f3, wt3, x in iter_fields(s)
                        if f3 in parts and wt3 == LEN and not isinstance(x, int)
                    }
                )
            chart["margin"] = series
    return chart


def decode_layout(buf: bytes | memoryview) -> list[dict[str, Any]]:
    """``Layout{version = 1, repeated Category category = 2}`` as plain dicts."""
    categories = []
    for v in iter_len(buf, 2):
        title, charts, closed = "", [], False
        for f2, wt2, v2 in iter_fields(v):
            if isinstance(v2, int):  # VARINT
                if f2 == 3:
                    closed = bool(v2)
            elif f2 == 1 and wt2 == LEN:
                title = _s(v2)
            elif f2 == 2 and wt2 == LEN:
                charts.append(_chart(v2))
        categories.append({"title": title, "charts": charts, "closed": closed})
    return categories


def decode(val: M.Value, plugin: str, step: int, wall: float) -> list[CustomScalarsRecord]:
    if val.kind != "tensor" or val.payload is None:
        return []
    blobs = M.decode_tensor(val.payload).string_val
    return [CustomScalarsRecord(step, wall, decode_layout(blobs[0]))] if blobs else []


def check_layout(layout: Any) -> list[tuple[str, list[tuple[str, str, list[str]]]]]:
    """Validate ``{category: {title: ["Multiline" | "Margin", [tags]]}}``, torch's format."""
    if not isinstance(layout, Mapping):
        raise TypeError("layout must be a dict {category: {title: ['Multiline'|'Margin', [tags]]}}")
    out = []
    for cat, charts in layout.items():
        if not isinstance(charts, Mapping):
            raise TypeError(f"layout[{cat!r}] must be a dict {{title: ['Multiline'|'Margin', [tags]]}}")
        specs = []
        for title, spec in charts.items():
            if not (isinstance(spec, (list, tuple)) and len(spec) == 2 and spec[0] in ("Multiline", "Margin")):
                raise ValueError(f"layout[{cat!r}][{title!r}] must be ['Multiline'|'Margin', [tags]]")
            kind, tags = spec
            if isinstance(tags, str) or not isinstance(tags, Sequence) or not all(isinstance(t, str) for t in tags):
                raise TypeError(f"layout[{cat!r}][{title!r}] tags must be a list of str, got {tags!r}")
            if kind == "Margin" and len(tags) != 3:
                raise ValueError(f"a Margin chart needs exactly 3 tags (value, lower, upper), got {tags!r}")
            specs.append((str(title), kind, list(tags)))
        out.append((str(cat), specs))
    return out


def encode(layout: Any, wall: float) -> tuple[bytes, CustomScalarsRecord]:
    categories = b""
    decoded = []
    for cat, specs in check_layout(layout):
        chart_bytes = b""
        charts: list[dict[str, Any]] = []
        for title, kind, tags in specs:
            if kind == "Margin":
                series = f_str(1, tags[0]) + f_str(2, tags[1]) + f_str(3, tags[2])
                content = f_bytes(3, f_bytes(1, series))
                charts.append({"title": title, "margin": [{"value": tags[0], "lower": tags[1], "upper": tags[2]}]})
            else:
                content = f_bytes(2, b"".join(f_str(1, t) for t in tags))
                charts.append({"title": title, "multiline": list(tags)})
            chart_bytes += f_bytes(2, f_str(1, title) + content)
        categories += f_bytes(2, f_str(1, cat) + chart_bytes)
        decoded.append({"title": cat, "charts": charts, "closed": False})
    meta = M.plugin_metadata("custom_scalars", b"", M.DATA_CLASS_TENSOR)
    tensor = M.tensor(M.DT_STRING, (), string_val=[categories])
    ev = M.event(wall, 0, summary=M.summary(M.value(TAG, tensor=tensor, metadata=meta)))
    return ev, CustomScalarsRecord(0, wall, decoded)


def entry(r: CustomScalarsRecord) -> tuple[dict[str, Any], bytes | None]:
    return {"layout": r.layout}, None


KIND = Kind("custom_scalars", decode, entry, plugins=("custom_scalars",))
