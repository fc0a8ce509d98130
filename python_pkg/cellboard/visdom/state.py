"""A Visdom window as ``get_window_data`` writes it (JSON), read back for ``set_window_data``:
every field checked against the window type's data layout before anything is set."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import charts
from .args import clean_opts, need


@dataclass
class WindowParts:
    """A window's type, options, layout fields (``extra``), traces (line / scatter) or data."""

    type: str
    opts: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    traces: dict[str, list[np.ndarray]] = field(default_factory=dict)
    data: np.ndarray | None = None


# every window type a Visdom window can be (the renderers of js/src/kinds/plots/)
WINDOW_TYPES = frozenset(
    "line scatter bar histogram heatmap surf contour boxplot stem pie quiver image text audio svg mesh "
    "dual_axis_lines sunburst graph properties".split()
)


def _data_size(kind: str, spec: Mapping[str, Any]) -> int | None:
    """The numbers a window's data holds, from the layout fields of its spec (None: not fixed)."""
    try:
        rows, cols = int(spec.get("rows", 0)), int(spec.get("cols", 1))
        sizes = {
            "pie": rows,
            "boxplot": rows * 5,
            "histogram": 2 * int(spec.get("bins", 0)) + 1,
            "dual_axis_lines": 3 * rows,
            "sunburst": rows if spec.get("has_values") else 0,
            "graph": 2 * int(spec.get("nodes", 0)) + 2 * int(spec.get("edges", 0)),
            **dict.fromkeys(("heatmap", "surf", "contour", "bar", "stem"), rows * cols),
        }
    except (TypeError, ValueError):
        raise ValueError("data: the window's layout fields (rows, cols, bins, nodes, edges) must be integers") from None
    return sizes.get(kind)


def _column(values, name: str) -> np.ndarray:
    """A JSON list of numbers (``None`` for a non-finite one, as ``get_window_data`` writes) as float64."""
    need(isinstance(values, (list, tuple)), f"{name} must be a list of numbers, got {type(values).__name__}")
    try:
        return np.array([math.nan if v is None else float(v) for v in values], np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a list of numbers (or None)") from None


def window_parts(state, win: str) -> WindowParts | None:
    """The window ``state`` describes (None: closed), checked: a known type, traces of equal
    lengths, data of the size its layout says, a ``source`` of two strings."""
    if state is None:
        return None
    need(isinstance(state, Mapping), f"data for window {win!r} must be a dict, got {type(state).__name__}")
    kind = state.get("type")
    need(
        isinstance(kind, str) and kind in WINDOW_TYPES,
        f"data['type'] must be one of {sorted(WINDOW_TYPES)}, got {kind!r}",
    )
    w = WindowParts(str(kind), clean_opts(state.get("opts")))
    w.extra = {k: v for k, v in state.items() if k not in ("type", "opts", "traces", "data")}
    if "traces" in state:
        need(isinstance(state["traces"], list), "data['traces'] must be a list of {name, x, y(, z)}")
        for i, t in enumerate(state["traces"]):
            need(isinstance(t, Mapping) and "x" in t and "y" in t, f"data['traces'][{i}] needs x and y")
            cols = [_column(t[k], f"data['traces'][{i}][{k!r}]") for k in ("x", "y", "z") if k in t]
            need(len({c.size for c in cols}) == 1, f"data['traces'][{i}]: x, y (and z) must have the same length")
            w.traces[str(t.get("name", i + 1))] = cols
    elif "data" in state:
        w.data = _column(state["data"], "data['data']")
    size = _data_size(w.type, w.extra)
    if size is not None:
        held = 0 if w.data is None else w.data.size
        need(held == size, f"data['data'] of this {kind} window should hold {size} numbers, got {held}")
    source = w.extra.get("source")
    if source is not None:
        need(
            isinstance(source, Mapping) and isinstance(source.get("kind"), str) and isinstance(source.get("tag"), str),
            "data['source'] must be {kind, tag} (two strings)",
        )
    if w.type == "properties":
        w.extra["properties"] = charts.properties(w.extra.get("properties", []))
    return w
