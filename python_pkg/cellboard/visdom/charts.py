"""The Visdom windows built from structured data: dual-axis lines, sunbursts, network graphs,
property panes, and the 2-D view of an embedding.

Each builder checks its arguments where Visdom asserts (a ``ValueError`` naming the argument) and
returns the window's record: float64 ``data``, the ``spec`` fields that describe its layout, and
the cleaned ``opts`` (js/src/kinds/plots/ draws them). Graph layouts are computed here, once, so
that a re-opened log shows the same picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import summaries as S
from .args import as_array, bool_opt, clean_opts, color_opt, need, unit_opt


@dataclass
class WindowData:
    """What a window's ``set`` record holds."""

    data: np.ndarray
    extra: dict[str, Any] = field(default_factory=dict)
    opts: dict[str, Any] = field(default_factory=dict)


def strings(value, name: str) -> list[str]:
    """A 1-dim list, tuple or array as strings."""
    if S.is_torch_tensor(value) or isinstance(value, np.ndarray):
        arr = np.asarray(value) if isinstance(value, np.ndarray) else S.to_numpy(value, name)
        need(arr.ndim == 1, f"{name} should be one-dimensional, got shape {arr.shape}")
        return [str(v) for v in arr.tolist()]
    need(isinstance(value, (list, tuple)), f"{name} must be a list, tuple or 1-dim array, got {type(value).__name__}")
    return [str(v) for v in value]


# ------------------------------------------------------------------ dual-axis lines


def dual_axis_lines(X, Y1, Y2, opts) -> WindowData:
    """Two lines over the same ``X``, ``Y1`` on the left axis and ``Y2`` on its own (``opts['side']``).
    data: X, Y1, Y2 (n each)."""
    need(X is not None and Y1 is not None and Y2 is not None, "X, Y1 and Y2 must all be given")
    x, y1, y2 = (np.atleast_1d(np.squeeze(as_array(v, n))) for v, n in ((X, "X"), (Y1, "Y1"), (Y2, "Y2")))
    need(x.ndim == 1, f"X should be one-dimensional, got shape {x.shape}")
    need(y1.shape == x.shape, f"Y1 should have the shape of X {x.shape}, got {y1.shape}")
    need(y2.shape == x.shape, f"Y2 should have the shape of X {x.shape}, got {y2.shape}")
    o = clean_opts(opts)
    o.setdefault("name_y1", "Y1 axis")
    o.setdefault("name_y2", "Y2 axis")
    for key in ("name_y1", "name_y2"):
        o[key] = str(o[key])
    for key in ("color_title_y1", "color_tick_y1", "color_title_y2", "color_tick_y2"):
        color_opt(o, key)
    side = o.setdefault("side", "right")
    need(side in ("right", "left"), f"opts['side'] must be 'right' or 'left', got {side!r}")
    o["showlegend"] = bool_opt(o, "showlegend", True)
    return WindowData(np.concatenate([x, y1, y2]), {"rows": int(x.size)}, o)


# ------------------------------------------------------------------ sunburst


def sunburst(labels, parents, values, opts) -> WindowData:
    """A hierarchy of sectors: ``parents[i]`` is the label of ``labels[i]``'s parent ("" for a
    root); ``values`` (optional, >= 0) add to the sizes as plotly's default ``branchvalues=
    "remainder"``. data: the values (none without them)."""
    names = strings(labels, "labels")
    ups = strings(parents, "parents")
    need(len(ups) == len(names), f"parents should have one entry per label, got {len(ups)} for {len(names)} labels")
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        need(name != "", f"labels[{i}] is empty: a label names its sector (and children point to it)")
        need(name not in index, f"labels must be unique, {name!r} is at {index.get(name)} and {i}")
        index[name] = i
    for i, p in enumerate(ups):
        need(p == "" or p in index, f"parents[{i}] is {p!r}, which is not one of the labels (or '' for a root)")
    # every chain of parents must reach a root: a cycle has none
    state = [0] * len(names)  # 0 unseen, 1 on the current chain, 2 reaches a root
    for start in range(len(names)):
        chain: list[int] = []
        at: int | None = start
        while at is not None and state[at] == 0:
            state[at] = 1
            chain.append(at)
            at = index[ups[at]] if ups[at] else None
        need(at is None or state[at] == 2, f"parents: {names[start]!r} is its own ancestor (a cycle)")
        for j in chain:
            state[j] = 2
    data = np.zeros(0)
    if values is not None:
        data = np.atleast_1d(np.squeeze(as_array(values, "values")))
        need(data.ndim == 1, f"values should be one-dimensional, got shape {data.shape}")
        need(data.size == len(names), f"values should have one entry per label, got {data.size} for {len(names)}")
        need(bool(np.all(np.isfinite(data) & (data >= 0))), "values must be finite and non-negative")
    o = clean_opts(opts)
    # Visdom's code reads ``size`` and ``marker_width``; its README documents these names
    if "font_size" not in o and "size" in o:
        o["font_size"] = o.pop("size")
    if "line_width" not in o and "marker_width" in o:
        o["line_width"] = o.pop("marker_width")
    for key in ("font_size", "line_width"):
        if o.get(key) is not None:
            v = o[key]
            need(
                isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < 100,
                f"opts[{key!r}] should be a number of pixels, got {v!r}",
            )
    color_opt(o, "font_color")
    unit_opt(o, "opacity")
    extra = {"rows": len(names), "labels": names, "parents": ups, "has_values": values is not None}
    return WindowData(data, extra, o)


# ------------------------------------------------------------------ network graph


def graph(edges, edge_labels, node_labels, opts) -> WindowData:
    """Nodes 0..n-1 joined by ``edges`` (M x 2 node indices), laid out here. data: x (n), y (n)
    in [0, 1], then the edges' sources (m) and targets (m)."""
    e = as_array(edges, "edges")
    if e.size == 0:
        e = e.reshape(0, 2)
    need(e.ndim == 2 and e.shape[1] == 2, f"edges should be M x 2 (source, destination), got shape {e.shape}")
    need(
        bool(np.all((e >= 0) & (e == np.rint(e)) & (e < 2**31))),
        "edges should hold node indices: integers from 0 to n - 1",
    )
    ends = e.astype(np.int64)
    n = int(ends.max()) + 1 if ends.size else 0
    if node_labels is not None:
        nodes = strings(node_labels, "nodeLabels")
        need(
            len(nodes) >= n,
            f"nodeLabels should have one label per node (the edges use nodes 0..{n - 1}), got {len(nodes)}",
        )
        n = len(nodes)
    else:
        nodes = [str(i) for i in range(n)]
    m = len(ends)
    if edge_labels is not None:
        links = strings(edge_labels, "edgeLabels")
        need(len(links) == m, f"edgeLabels should have one label per edge ({m}), got {len(links)}")
    else:
        links = [f"{a}-{b}" for a, b in ends.tolist()]
    o = clean_opts(opts)
    for key, default in (("directed", False), ("showVertexLabels", False), ("showEdgeLabels", False)):
        o[key] = bool_opt(o, key, default)
    scheme = o.setdefault("scheme", "same")
    need(scheme in ("same", "different"), f"opts['scheme'] must be 'same' or 'different', got {scheme!r}")
    need(n <= MAX_GRAPH_NODES, f"graph: at most {MAX_GRAPH_NODES} nodes are laid out, got {n}")
    pos = spring_layout(n, ends[:, 0], ends[:, 1])
    data = np.concatenate([pos[:, 0], pos[:, 1], ends[:, 0], ends[:, 1]]).astype(np.float64)
    extra = {"nodes": n, "edges": m, "node_labels": nodes, "edge_labels": links}
    return WindowData(data, extra, o)


MAX_GRAPH_NODES = 20_000  # the layout is O(n^2) per iteration: ~1 minute at this size


def spring_layout(n: int, src: np.ndarray, dst: np.ndarray, iterations: int | None = None) -> np.ndarray:
    """Node positions (n x 2, within [0, 1], aspect kept) by Fruchterman-Reingold: every pair
    repels, edges attract, the step cools linearly; a small pull to the centre keeps separate
    components in view. Deterministic: it starts from a circle with seeded jitter. 60 iterations
    up to 1,000 nodes (2.3 s with 3,000 edges), fewer beyond (at least 5) to bound the time."""
    if iterations is None:
        iterations = int(np.clip(6e7 / max(n, 1) ** 2, 5, 60))
    if n == 0:
        return np.zeros((0, 2))
    if n == 1:
        return np.full((1, 2), 0.5)
    rng = np.random.default_rng(0)
    angle = 2 * np.pi * np.arange(n) / n
    pos = np.column_stack([np.cos(angle), np.sin(angle)]) * 0.5 + rng.normal(0, 0.01, (n, 2))
    k2 = 1.0 / n  # the ideal distance squared (unit area)
    k = math.sqrt(k2)
    keep = src != dst
    a, b = src[keep], dst[keep]
    block = max(1, 4_000_000 // (2 * n))  # rows of the pair matrices at a time (bounded memory)
    for it in range(iterations):
        disp = np.zeros_like(pos)
        for r0 in range(0, n, block):
            d = pos[r0 : r0 + block, None, :] - pos[None, :, :]
            dist2 = np.maximum((d * d).sum(-1), 1e-9)
            disp[r0 : r0 + block] += (d * (k2 / dist2)[..., None]).sum(1)
        if a.size:
            d = pos[a] - pos[b]
            pull = d * (np.sqrt((d * d).sum(1)) / k)[:, None]
            np.subtract.at(disp, a, pull)
            np.add.at(disp, b, pull)
        disp -= pos * (0.1 * n * k)  # gravity towards the centre, of the order of one repulsion
        length = np.maximum(np.sqrt((disp * disp).sum(1)), 1e-12)
        step = 0.1 * (1 - it / iterations) + 1e-3
        pos += disp * (np.minimum(length, step) / length)[:, None]
    lo, hi = pos.min(0), pos.max(0)
    span = float((hi - lo).max()) or 1.0
    return (pos - (lo + hi) / 2) / span + 0.5


# ------------------------------------------------------------------ properties

PROPERTY_TYPES = ("text", "number", "button", "checkbox", "select")


def properties(data) -> list[dict[str, Any]]:
    """Visdom's property list, checked: ``{type, name, value}`` each (``select``: ``values`` too,
    ``value`` the index of the chosen one)."""
    need(isinstance(data, (list, tuple)), f"data must be a list of properties (dicts), got {type(data).__name__}")
    out = []
    for i, p in enumerate(data):
        need(isinstance(p, dict), f"data[{i}] must be a dict with type, name and value, got {type(p).__name__}")
        kind = p.get("type")
        need(kind in PROPERTY_TYPES, f"data[{i}]['type'] must be one of {PROPERTY_TYPES}, got {kind!r}")
        value = p.get("value")
        prop: dict[str, Any] = {"type": kind, "name": str(p.get("name", ""))}
        if kind == "checkbox":
            need(
                isinstance(value, (bool, np.bool_)),
                f"data[{i}]['value'] of a checkbox must be True or False, got {value!r}",
            )
            prop["value"] = bool(value)
        elif kind == "select":
            values = p.get("values")
            need(isinstance(values, (list, tuple)) and len(values) > 0, f"data[{i}]['values'] must list the choices")
            try:
                at = int(value)
            except (TypeError, ValueError):
                at = -1
            need(
                0 <= at < len(values),
                f"data[{i}]['value'] must be the index of a choice (0..{len(values) - 1}), got {value!r}",
            )
            prop.update(value=at, values=[str(v) for v in values])
        else:
            number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
                value, (bool, np.bool_)
            )
            need(
                isinstance(value, str) or (number and math.isfinite(float(value))),
                f"data[{i}]['value'] of a {kind} must be a string or a finite number, got {value!r}",
            )
            prop["value"] = value.item() if isinstance(value, np.generic) else value
        out.append(prop)
    return out


# ------------------------------------------------------------------ embeddings


def embedding_matrix(features) -> np.ndarray:
    """Visdom's ``features`` (a list of N tensors, or an N x D array) as an N x D float64 matrix."""
    if isinstance(features, (list, tuple)) and features and not np.isscalar(features[0]):
        rows = [np.ravel(as_array(f, f"features[{i}]")) for i, f in enumerate(features)]
        need(len({r.size for r in rows}) == 1, "features should all have the same number of values")
        mat = np.stack(rows)
    else:
        mat = as_array(features, "features")
        need(mat.ndim == 2, f"features should be N x D (or a list of N tensors), got shape {mat.shape}")
    need(mat.shape[0] > 0 and mat.shape[1] > 0, f"features must hold at least one row of values, got shape {mat.shape}")
    need(bool(np.all(np.isfinite(mat))), "features must be finite (no NaN or inf)")
    return mat


def pca_plane(mat: np.ndarray) -> np.ndarray:
    """N x D rows as N x 2 points: their first two principal components (SVD of the centred
    matrix), the view the Projector tab opens on. Missing components are 0."""
    centred = mat - mat.mean(0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    plane = u[:, :2] * s[:2]
    return np.pad(plane, ((0, 0), (0, 2 - plane.shape[1])))
