"""Plots: the windows of ``cellboard.Visdom`` (plugin ``cellboard_plots``, which TensorBoard skips).

One (run, tag) = one Visdom window (run = env, tag = win). Each record is one operation on the
window, applied in order (``fold`` is the one reading of a window's history, here and in js/):

- ``set``: the window becomes ``spec`` (``type``, ``opts``, type fields) with ``data``;
- ``append``: points appended to the named traces of a line / scatter window (same layout as set);
- ``remove``: the trace ``spec["name"]`` is deleted;
- ``opts``: ``spec["opts"]`` merged into the window's options;
- ``close``: the window is gone (until set again).

Event: a DT_STRING tensor ``[spec JSON, data bytes]`` where data is little-endian float64.
Line and scatter data: for each trace of ``spec["traces"]`` (``{name, n, dims}``), ``n`` xs,
then ``n`` ys (then ``n`` zs when ``dims == 3``). Other types describe their layout in ``spec``
(``rows``/``cols`` for matrices). Image, text and audio windows hold no data here: they name the
standard summary they show (``source: {kind, tag}``), which TensorBoard reads too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..tfevents import messages as M
from .base import Kind

PLUGIN = "cellboard_plots"
OPS = ("set", "append", "remove", "opts", "close")


@dataclass(frozen=True, eq=False)
class PlotRecord:
    step: int
    wall_time: float
    op: str
    spec: dict[str, Any] = field(default_factory=dict)
    data: np.ndarray | None = None  # float64, flat


def decode(val: M.Value, plugin: str, step: int, wall: float) -> list[PlotRecord]:
    if val.kind != "tensor" or val.payload is None:
        return []
    blobs = M.decode_tensor(val.payload).string_val
    if not blobs:
        raise ValueError("cellboard_plots value without a spec")
    head = json.loads(bytes(blobs[0]).decode("utf-8"))
    if not isinstance(head, dict) or head.get("op") not in OPS:
        raise ValueError(f"cellboard_plots: bad record {head!r:.80}")
    spec = head.get("spec") or {}
    raw = bytes(blobs[1]) if len(blobs) > 1 else b""
    if len(raw) % 8:
        raise ValueError("cellboard_plots: data is not a whole number of float64")
    data = np.frombuffer(raw, "<f8").copy() if raw else None
    return [PlotRecord(step, wall, head["op"], spec, data)]


def encode(
    win: str, op: str, spec: dict[str, Any], data: np.ndarray | None, step: int, wall: float
) -> tuple[bytes, PlotRecord]:
    if op not in OPS:
        raise ValueError(f"op must be one of {OPS}, got {op!r}")
    flat = None if data is None else np.ascontiguousarray(data, dtype="<f8").ravel()
    head = json.dumps({"op": op, "spec": spec}, separators=(",", ":"), allow_nan=False).encode("utf-8")
    blobs = [head] + ([flat.tobytes()] if flat is not None and flat.size else [])
    meta = M.plugin_metadata(PLUGIN, b"", M.DATA_CLASS_TENSOR)
    tensor = M.tensor(M.DT_STRING, (len(blobs),), string_val=blobs)
    ev = M.event(wall, step, summary=M.summary(M.value(win, tensor=tensor, metadata=meta)))
    return ev, PlotRecord(step, wall, op, spec, flat)


def entry(r: PlotRecord) -> tuple[dict[str, Any], bytes | None]:
    buf = None if r.data is None or not r.data.size else r.data.astype("<f8").tobytes()
    return {"op": r.op, "spec": r.spec}, buf


# ------------------------------------------------------------------ reading a window's history


def split_traces(spec: dict[str, Any], data: np.ndarray | None) -> list[dict[str, Any]]:
    """Line/scatter data -> ``[{name, x, y, z?}]`` (numpy arrays)."""
    out, at = [], 0
    flat = np.zeros(0) if data is None else data
    for t in spec.get("traces", []):
        n, dims = int(t["n"]), int(t.get("dims", 2))
        cols = [flat[at + i * n : at + (i + 1) * n] for i in range(dims)]
        at += dims * n
        tr = {"name": t["name"], "x": cols[0], "y": cols[1]}
        if dims == 3:
            tr["z"] = cols[2]
        out.append(tr)
    return out


def fold(records: list[PlotRecord]) -> dict[str, Any] | None:
    """The window after these records (None when closed or never set): ``{type, opts, ...}``,
    line/scatter traces as ``traces: [{name, x, y, z?}]``, other data as ``data`` (numpy)."""
    win: dict[str, Any] | None = None
    for r in records:
        if r.op == "close":
            win = None
        elif r.op == "set":
            win = {k: v for k, v in r.spec.items() if k != "traces"}
            win["opts"] = dict(r.spec.get("opts") or {})
            if "traces" in r.spec:
                win["traces"] = split_traces(r.spec, r.data)
            elif r.data is not None:
                win["data"] = r.data
        elif win is None:
            continue  # an update of a closed window: Visdom ignores it too
        elif r.op == "opts":
            win["opts"].update(r.spec.get("opts") or {})
        elif r.op == "remove":
            win["traces"] = [t for t in win.get("traces", []) if t["name"] != r.spec.get("name")]
        elif r.op == "append":
            traces = win.setdefault("traces", [])
            for new in split_traces(r.spec, r.data):
                old = next((t for t in traces if t["name"] == new["name"]), None)
                if old is None:
                    traces.append(new)
                else:
                    for k in ("x", "y", "z"):
                        if k in old and k in new:
                            old[k] = np.concatenate([old[k], new[k]])
    return win


KIND = Kind("plots", decode, entry, plugins=(PLUGIN,))
