"""A static PNG of the scalar charts, drawn with Pillow alone.

Published next to the widget when training ends, so a saved notebook still shows results
where widgets do not render (GitHub, nbviewer, VS Code after a reload).
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .store import Store

# TensorBoard's run palette
PALETTE = ["#ff7043", "#0077bb", "#cc3311", "#33bbee", "#ee3377", "#009988", "#bbbbbb", "#ffa726",
           "#7e57c2", "#66bb6a"]
CHART_W, CHART_H, PAD = 360, 220, 12
MAX_CHARTS = 12


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's debiased exponential moving average (constant series unsmoothed)."""
    values = np.asarray(values, np.float64)
    finite = values[np.isfinite(values)]
    if not 0 <= weight <= 1 or not math.isfinite(weight):
        weight = 0.0
    if finite.size and np.all(finite == finite[0]):
        return values.copy()
    out = values.copy()
    last, n = 0.0, 0
    for i, y in enumerate(values):
        if not math.isfinite(y):
            continue
        last = last * weight + (1 - weight) * y
        n += 1
        debias = 1.0 if weight == 1 else 1 - weight**n
        out[i] = last / debias
    return out


def _fmt(v: float) -> str:
    if not math.isfinite(v):
        return str(v)
    if float(v).is_integer() and abs(v) < 1e6:
        return str(int(v))
    a = abs(v)
    return f"{v:.3g}" if 1e-3 <= a < 1e5 else f"{v:.2e}"


def _series(store: Store) -> dict[str, list[tuple[int, str, np.ndarray, np.ndarray]]]:
    charts: dict[str, list] = {}
    for ri, run in enumerate(store.runs):
        for tag in store.tags(run)["scalars"]:
            s = store.scalars(run, tag)
            charts.setdefault(tag, []).append((ri, run, s.steps.astype(np.float64), s.values))
    return charts


def render_png(store: Store, smoothing: float = 0.6, title: str = "") -> bytes:
    charts = _series(store)
    tags = sorted(charts)[:MAX_CHARTS]
    try:
        font = ImageFont.load_default(size=12)
    except TypeError:  # Pillow < 10.1 has only the bitmap font
        font = ImageFont.load_default()
    cols = max(1, min(3, len(tags)))
    rows = max(1, math.ceil(len(tags) / cols))
    legend_h = 22
    top = 26 if title else 6
    img = Image.new("RGB", (cols * CHART_W, top + legend_h + rows * CHART_H), "white")
    draw = ImageDraw.Draw(img)
    if title:
        draw.text((PAD, 6), title, fill="#212121", font=font)
    runs = store.runs
    x = PAD
    for ri, run in enumerate(runs[:10]):
        color = PALETTE[ri % len(PALETTE)]
        draw.rectangle([x, top + 6, x + 10, top + 16], fill=color)
        draw.text((x + 14, top + 5), run, fill="#424242", font=font)
        x += 24 + int(draw.textlength(run, font=font))
    if not tags:
        draw.text((PAD, top + legend_h + 10), "no scalars logged", fill="#757575", font=font)
    for i, tag in enumerate(tags):
        ox = (i % cols) * CHART_W
        oy = top + legend_h + (i // cols) * CHART_H
        _chart(draw, font, ox, oy, tag, charts[tag], smoothing)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _chart(draw: ImageDraw.ImageDraw, font, ox: int, oy: int, tag: str, series, smoothing: float) -> None:
    left, right = ox + 52, ox + CHART_W - PAD
    top, bottom = oy + 22, oy + CHART_H - 26
    draw.text((ox + PAD, oy + 4), tag, fill="#212121", font=font)
    draw.rectangle([left, top, right, bottom], outline="#e0e0e0")
    xs = [s[2] for s in series if len(s[2])]
    ys = [s[3][np.isfinite(s[3])] for s in series]
    ys = [y for y in ys if y.size]
    if not xs or not ys:
        return
    x0, x1 = min(float(x.min()) for x in xs), max(float(x.max()) for x in xs)
    y0, y1 = min(float(y.min()) for y in ys), max(float(y.max()) for y in ys)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y0, y1 = y0 - 0.5, y1 + 0.5

    def px(x, y):
        return (left + (x - x0) / (x1 - x0) * (right - left), bottom - (y - y0) / (y1 - y0) * (bottom - top))

    for frac in (0.0, 0.5, 1.0):
        yv = y0 + frac * (y1 - y0)
        _, yp = px(x0, yv)
        draw.line([left, yp, right, yp], fill="#f0f0f0")
        draw.text((ox + 4, yp - 5), _fmt(yv), fill="#616161", font=font)
    for frac, anchor in ((0.0, "la"), (1.0, "ra")):
        xv = x0 + frac * (x1 - x0)
        draw.text((px(xv, y0)[0], bottom + 6), _fmt(xv), fill="#616161", font=font, anchor=anchor)
    for ri, _run, steps, values in series:
        color = PALETTE[ri % len(PALETTE)]
        step = max(1, len(steps) // (right - left))  # ~one point per pixel column
        raw = [px(x, y) for x, y in zip(steps[::step], values[::step]) if math.isfinite(y)]
        if len(raw) > 1:
            draw.line(raw, fill=_faint(color), width=1)
        sm = smooth(values, smoothing)
        pts = [px(x, y) for x, y in zip(steps[::step], sm[::step]) if math.isfinite(y)]
        if len(pts) > 1:
            draw.line(pts, fill=color, width=2)
        elif pts:
            draw.ellipse([pts[0][0] - 2, pts[0][1] - 2, pts[0][0] + 2, pts[0][1] + 2], fill=color)


def _faint(color: str) -> str:
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return "#%02x%02x%02x" % tuple(int(c + (255 - c) * 0.7) for c in (r, g, b))
