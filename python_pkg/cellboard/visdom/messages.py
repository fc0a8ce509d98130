"""Visdom's wire messages, as cellboard calls: what Visdom's client posts to its server (and
writes to ``log_to_filename``), so that ``replay_log``, the generic ``_send`` of Visdom's README
and ``plotlyplot`` work without a server.

A message is ``(endpoint, msg)``. ``events`` sets a window from plotly traces (``data``) and
``layout``, or from one of Visdom's panes (text, image, properties, network); ``update`` appends
to, replaces or deletes traces, appends text, or changes options; ``close``, ``delete_env``,
``fork_env``, ``save`` and ``win_data`` are the calls of the same names. Each becomes the
``Visdom`` call that draws the same window, so it is logged like any other. Traces are read as
plotly writes them: lists (``None`` for a gap) or typed arrays (``{"dtype", "bdata"}``).
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .args import clean_opts, need

if TYPE_CHECKING:
    from .client import Visdom

ENDPOINTS = ("events", "update", "close", "delete_env", "fork_env", "save", "win_data")
_SCATTER = {"scatter", "scattergl", "scatter3d"}
_MATRIX = {"heatmap": "heatmap", "surface": "surf", "contour": "contour"}


def replay(viz: Visdom, msg, endpoint: str):
    """Apply one Visdom message to ``viz``; returns what the matching call returns."""
    need(isinstance(msg, Mapping), f"msg must be a dict, got {type(msg).__name__}")
    need(endpoint in ENDPOINTS, f"endpoint must be one of {ENDPOINTS}, got {endpoint!r}")
    env = msg.get("eid")
    if endpoint == "events":
        return _event(viz, msg, env)
    if endpoint == "update":
        return _update(viz, msg, env)
    if endpoint == "close":
        return viz.close(msg.get("win"), env)
    if endpoint == "delete_env":
        return viz.delete_env(env)
    if endpoint == "fork_env":
        return viz.fork_env(msg.get("prev_eid"), env)
    if endpoint == "save":
        return viz.save(list(msg.get("data") or []))
    if "data" in msg:  # win_data
        return viz.set_window_data(msg["data"], msg.get("win"), env)
    return viz.get_window_data(msg.get("win"), env)


def figure_message(figure, win, env) -> dict[str, Any]:
    """A plotly ``Figure`` (or its dict) as Visdom's ``plotlyplot`` sends it."""
    fig = figure
    if not isinstance(figure, Mapping):
        try:
            import plotly.utils
        except ImportError:
            raise ValueError(
                f"figure must be a plotly Figure (plotly is not installed) or its dict, got {type(figure).__name__}"
            ) from None
        fig = json.loads(json.dumps(figure, cls=plotly.utils.PlotlyJSONEncoder))
    need(
        isinstance(fig, Mapping) and isinstance(fig.get("data"), (list, tuple)),
        f"figure must be a plotly Figure or its dict, with its traces under 'data'; got {type(figure).__name__}",
    )
    return {"data": list(fig["data"]), "layout": dict(fig.get("layout") or {}), "win": win, "eid": env, "opts": {}}


# ------------------------------------------------------------------ reading traces


def values(v, name: str) -> np.ndarray:
    """A trace's numbers: a list (``None``: NaN), a numpy array, or plotly's typed array."""
    if isinstance(v, Mapping) and "bdata" in v:
        try:
            arr = np.frombuffer(base64.b64decode(v["bdata"]), np.dtype(v.get("dtype", "f8")).newbyteorder("<"))
        except (ValueError, TypeError):
            raise ValueError(f"{name}: a typed array that does not decode ({v.get('dtype')!r})") from None
        shape = v.get("shape")
        if shape:
            arr = arr.reshape([int(s) for s in str(shape).split(",")])
        return arr.astype(np.float64)
    try:
        return np.array(v, dtype=np.float64)  # None becomes NaN
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers") from None


def _labels(v) -> list[str] | None:
    if v is None:
        return None
    if isinstance(v, Mapping) and "bdata" in v:
        return [f"{x:g}" for x in values(v, "labels")]
    return [str(x) for x in v]


def _title(t) -> str | None:
    if isinstance(t, Mapping):
        t = t.get("text")
    return None if t is None else str(t)


def _opts(msg: Mapping) -> dict[str, Any]:
    """Visdom's ``opts`` of the message, completed from its plotly ``layout`` (a figure has only that)."""
    o = dict(msg.get("opts") or {})
    layout = msg.get("layout") or {}
    if not isinstance(layout, Mapping):
        return o
    if "title" not in o and _title(layout.get("title")):
        o["title"] = _title(layout.get("title"))
    for axis, key in (("xaxis", "xlabel"), ("yaxis", "ylabel")):
        a = layout.get(axis)
        if isinstance(a, Mapping) and key not in o and _title(a.get("title")):
            o[key] = _title(a.get("title"))
    y = layout.get("yaxis")
    if isinstance(y, Mapping) and y.get("type") == "log":
        o.setdefault("ytype", "log")
    if layout.get("showlegend") is False:
        o.setdefault("showlegend", False)
    return o


def _traces(data: list) -> dict[str, list[np.ndarray]]:
    out: dict[str, list[np.ndarray]] = {}
    for i, t in enumerate(data):
        cols = [values(t.get(k), f"data[{i}].{k}") for k in ("x", "y", "z") if t.get(k) is not None]
        need(len(cols) >= 2, f"data[{i}] (a {t.get('type', 'scatter')} trace) needs x and y")
        need(len({c.size for c in cols}) == 1, f"data[{i}]: x, y (and z) must have the same length")
        out[str(t.get("name") or i + 1)] = [c.ravel() for c in cols]
    return out


def _is_line(msg: Mapping, data: list) -> bool:
    mode = str((msg.get("opts") or {}).get("mode") or data[0].get("mode") or "markers")
    return "lines" in mode and all(t.get("type", "scatter") != "scatter3d" for t in data)


# ------------------------------------------------------------------ endpoints


def _event(viz: Visdom, msg: Mapping, env):
    need(
        isinstance(msg.get("data"), (list, tuple)) and len(msg["data"]) > 0,
        "msg['data'] must be a non-empty list of traces",
    )
    data = list(msg["data"])
    need(all(isinstance(t, Mapping) for t in data), "msg['data'] must hold dicts (plotly traces or a Visdom pane)")
    win, o = msg.get("win"), _opts(msg)
    types = {str(t.get("type", "scatter")) for t in data}
    first = data[0]
    if types <= _SCATTER:
        return viz._xy("line" if _is_line(msg, data) else "scatter", win, env, clean_opts(o), None, _traces(data))
    if types == {"text"}:
        return _text(viz, str(first.get("content", "")), win, env, o)
    if types <= {"image", "image_history"}:
        return viz._log_image(_image(first.get("content")), "HWC", win, env, o)
    if types == {"properties"}:
        return viz.properties(first.get("content"), win, env, o)
    if types == {"network"}:
        content = first.get("content") or {}
        edges = [[e.get("source"), e.get("target")] for e in content.get("edges", [])]
        nodes = sorted(content.get("nodes", []), key=lambda n: n.get("name", 0))
        return viz.graph(
            edges,
            [str(e.get("label", "")) for e in content.get("edges", [])],
            [str(n.get("label", "")) for n in nodes],
            o,
            env,
            win,
        )
    if types == {"bar"}:
        return _bars(viz, data, win, env, o, msg.get("layout") or {})
    if len(data) == 1 and first.get("type") in _MATRIX:
        z = values(first.get("z"), "data[0].z")
        need(z.ndim == 2, f"data[0].z must be a matrix, got shape {z.shape}")
        if first.get("type") == "heatmap":
            for key, axis in (("columnnames", "x"), ("rownames", "y")):
                names = _labels(first.get(axis))
                if names is not None and key not in o:
                    o[key] = names
            if isinstance(first.get("colorscale"), str):
                o.setdefault("colormap", first["colorscale"])
            return viz.heatmap(z, win, env, None, o)
        return viz._matrix_window(_MATRIX[str(first["type"])], z, win, env, o)
    if len(data) == 1 and first.get("type") == "pie":
        labels = _labels(first.get("labels"))
        return viz.pie(
            values(first.get("values"), "data[0].values"), win, env, {**o, "legend": labels} if labels else o
        )
    if len(data) == 1 and first.get("type") == "histogram":
        if first.get("nbinsx"):
            o.setdefault("numbins", int(first["nbinsx"]))
        return viz.histogram(values(first.get("x"), "data[0].x"), win, env, o)
    if types == {"box"}:
        cols = [values(t.get("y"), f"data[{i}].y").ravel() for i, t in enumerate(data)]
        mat = np.full((max(c.size for c in cols), len(cols)), np.nan)
        for k, c in enumerate(cols):
            mat[: c.size, k] = c
        return viz.boxplot(mat, win, env, {**o, "legend": [str(t.get("name") or k + 1) for k, t in enumerate(data)]})
    if len(data) == 1 and first.get("type") == "sunburst":
        vals = first.get("values")
        return viz.sunburst(
            _labels(first.get("labels")) or [],
            _labels(first.get("parents")) or [],
            None if vals is None else values(vals, "values"),
            win,
            env,
            o,
        )
    if len(data) == 1 and first.get("type") == "mesh3d":
        xyz = np.column_stack([values(first.get(k), f"data[0].{k}") for k in ("x", "y", "z")])
        ijk = [first.get(k) for k in ("i", "j", "k")]
        faces = None if any(v is None for v in ijk) else np.column_stack([values(v, "faces") for v in ijk])
        return viz.mesh(xyz, faces, win, env, o)
    raise ValueError(
        f"msg['data']: traces of type {sorted(types)} are not drawn (cellboard draws scatter, bar, heatmap, "
        "surface, contour, pie, histogram, box, sunburst and mesh3d traces, one type per window, and "
        "Visdom's text, image, properties and network panes)"
    )


def _update(viz: Visdom, msg: Mapping, env):
    win = msg.get("win")
    need(win is not None, "msg['win'] must name the window to update")
    if msg.get("delete"):
        return viz._remove_trace(win, env, msg.get("name"), None)
    data = msg.get("data") or []
    if not data:  # update_window_opts
        return viz.update_window_opts(win, _opts(msg), env)
    need(all(isinstance(t, Mapping) for t in data), "msg['data'] must hold dicts")
    if data[0].get("type") == "text":
        return viz.text(str(data[0].get("content", "")), win, env, None, append=True)
    types = {str(t.get("type", "scatter")) for t in data}
    need(types <= _SCATTER, f"msg['data']: only scatter traces and text are updated, got {sorted(types)}")
    cur = viz._windows.get((viz._env(env), viz._win(win)))
    if cur is not None and cur.type in ("line", "scatter"):
        kind, o = cur.type, {}  # Visdom's updates leave the options as they are
    else:  # the first append creates the window (Visdom's offline logs start so): with its options
        kind, o = ("line" if _is_line(msg, data) else "scatter"), clean_opts(_opts(msg))
    return viz._xy(kind, win, env, o, "append" if msg.get("append") else "replace", _traces(data))


# ------------------------------------------------------------------ panes


def _data_url(src, what: str) -> bytes:
    m = re.match(r"data:[^;,]*(;base64)?,(.*)$", str(src or ""), re.S)
    need(m is not None and m.group(1) is not None, f"{what} must be a base64 data URL")
    try:
        return base64.b64decode(m.group(2))  # type: ignore[union-attr]
    except ValueError:
        raise ValueError(f"{what}: the base64 data does not decode") from None


def _image(content) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    need(isinstance(content, Mapping), "an image pane's content must be {src, caption}")
    try:
        with Image.open(io.BytesIO(_data_url(content.get("src"), "content['src']"))) as im:
            return np.asarray(im.convert("RGBA" if "A" in im.getbands() else "RGB"))
    except UnidentifiedImageError:
        raise ValueError("content['src'] is not an image Pillow reads") from None


def _text(viz: Visdom, content: str, win, env, o: dict):
    """Visdom's text panes carry its svg, audio and video calls too (as HTML)."""
    if re.search(r"<svg[\s>]", content):
        return viz.svg(svgstr=content, win=win, env=env, opts=o)
    audio = re.search(r"<audio.*?src=[\"'](data:[^\"']+)[\"']", content, re.S)
    if audio:  # a WAV file, as audio(audiofile=...)
        return viz.audio(audiofile=io.BytesIO(_data_url(audio.group(1), "the audio's src")), win=win, env=env, opts=o)
    video = re.search(r"<video.*?src=[\"'](data:[^\"']+)[\"']", content, re.S)
    if video:  # decoded with PyAV, as video(videofile=...)
        return viz.video(videofile=io.BytesIO(_data_url(video.group(1), "the video's src")), win=win, env=env, opts=o)
    return viz.text(content, win, env, o)


def _bars(viz: Visdom, data: list, win, env, o: dict, layout: Mapping):
    xs = [_labels(t.get("x")) for t in data]
    need(all(x == xs[0] for x in xs), "bar traces must share their x (the categories)")
    cols = [values(t.get("y"), f"data[{i}].y").ravel() for i, t in enumerate(data)]
    need(len({c.size for c in cols}) == 1, "bar traces must have as many values each")
    mat = np.column_stack(cols)
    o = dict(o)
    if len(data) > 1 or data[0].get("name"):
        o.setdefault("legend", [str(t.get("name") or k + 1) for k, t in enumerate(data)])
    if xs[0] is not None:
        o.setdefault("rownames", xs[0])
    if isinstance(layout, Mapping) and layout.get("barmode") == "stack":
        o.setdefault("stacked", True)
    return viz.bar(mat, None, win, env, o)
