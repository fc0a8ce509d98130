"""A static PNG of the scalar charts, drawn with Pillow alone.

Published next to the widget when training ends, so a saved notebook still shows results
where widgets do not render (GitHub, nbviewer, VS Code after a reload).

It draws as the live view does: the same run colours (``palette.json``, one palette for both
sides; a run's colour is a function of its name: ``run_color``), TensorBoard's smoothing computed
on every point, every line reduced to first/min/max/last per pixel column, so a one-point
spike among millions of points is still drawn, and (``ignore_outliers``, on by default as there)
the y axis fitted to the 5th-95th percentile of what is drawn, lines clipped at the plot's edges.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from importlib import resources

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..store import Store

CHART_W, CHART_H, PAD = 360, 220, 12
MAX_CHARTS = 12
# plot area inside a chart cell (offsets from the cell's top-left corner)
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 52, CHART_W - PAD, 22, CHART_H - 26


# ---------------------------------------------------------------------------------- run colours
@lru_cache(maxsize=1)
def _palette() -> dict[str, tuple[str, ...]]:
    data = json.loads(resources.files(__package__).joinpath("palette.json").read_text("utf-8"))
    light, dark = tuple(data["light"]), tuple(data["dark"])
    if not light or len(light) != len(dark):
        raise ValueError("palette.json: 'light' and 'dark' must be non-empty and of the same length")
    return {"light": light, "dark": dark}


def palette(dark: bool = False) -> tuple[str, ...]:
    """The run palette (``palette.json``, shared with the TypeScript view)."""
    return _palette()["dark" if dark else "light"]


def fnv1a32(name: str) -> int:
    """FNV-1a, 32 bits, over the UTF-8 bytes of ``name`` (as ``fnv1a32`` in js/src/ui/palette.ts)."""
    h = 0x811C9DC5
    for b in name.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def color_index(name: str) -> int:
    """The palette index of a run: ``fnv1a32(name) % len(palette)``."""
    return fnv1a32(name) % len(palette())


PROBE_STRIDE = 5  # coprime with the palette size: probing visits every slot, far from the taken one


def assign_colors(runs: list[str]) -> dict[str, int]:
    """Palette indices for runs shown together, as ``assignColors`` in js/src/ui/palette.ts: each
    run takes its name's index, or the next free one (``PROBE_STRIDE`` slots on) when a run sorting
    before it holds it."""
    n = len(palette())
    used: set[int] = set()
    out: dict[str, int] = {}
    for run in sorted(runs):
        i = color_index(run)
        if len(used) < n:
            while i in used:
                i = (i + PROBE_STRIDE) % n
        used.add(i)
        out[run] = i
    return out


def run_color(name: str, dark: bool = False) -> str:
    """A run's colour (``#rrggbb``): a function of its name only, the same as in the live view."""
    return palette(dark)[color_index(name)]


# ---------------------------------------------------------------------------------- smoothing
def _ema_inplace(s: np.ndarray, weight: float) -> None:
    """``s[k] <- weight * s[k-1] + s[k]`` (``s[-1] = 0``) in place, by a doubling scan: at most
    log2(n) vectorized passes, every multiplier <= 1 (no growth, no cancellation).

    After the passes with shifts 1, 2, ..., 2**(p-1), ``s[k] = exact[k] - a * exact[k - 2**p]``
    with ``a = weight**(2**p)``, and ``|exact| <= max|y|``; the smoothed value divides by
    ``1 - weight**k >= 1 - weight``. So once ``a <= 2**-60 * (1 - weight)`` what is left is below
    2**-60 * max|y|: under the rounding of the loop it replaces (2**-53 of the same terms)."""
    n = s.size
    tmp = np.empty(n, np.float64)
    a, shift = weight, 1
    enough = 2.0**-60 * (1.0 - weight)
    while shift < n and a > enough:
        t = tmp[: n - shift]
        np.multiply(s[: n - shift], a, out=t)  # from the previous pass (t is a copy)
        np.add(s[shift:], t, out=s[shift:])
        a *= a
        shift *= 2


def _debias_len(weight: float, n: int) -> int:
    """How many leading terms have ``1 - weight**k != 1.0`` in float64 (the rest divide by 1)."""
    if weight <= 0.0:
        return 0
    # weight**k <= 2**-55 makes 1 - weight**k round to exactly 1.0; a few more terms for safety
    return min(n, math.ceil(-55 * math.log(2) / math.log(weight)) + 2)


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's debiased exponential moving average (``classicSmoothing``), vectorized.

    ``last = last * w + (1 - w) * y`` over the finite values, each divided by ``1 - w**k``
    (k = finite values so far); non-finite values pass through unchanged and are not counted;
    a series whose finite values are all equal is returned unsmoothed; a weight outside [0, 1]
    or not finite counts as 0. Equal to that loop within a few ulps (tests/test_snapshot.py).
    """
    values = np.asarray(values, np.float64)
    if not math.isfinite(weight) or not 0 <= weight <= 1:
        weight = 0.0
    finite = np.isfinite(values)
    all_finite = bool(finite.all())
    y = values if all_finite else values[finite]
    if y.size == 0 or weight == 0.0 or (y == y[0]).all():
        return values.copy()
    if weight == 1.0:  # the average never leaves its initial 0 (and is not debiased)
        out = values.copy()
        out[finite] = 0.0
        return out
    s = y * (1 - weight)
    _ema_inplace(s, weight)
    k = _debias_len(weight, s.size)
    s[:k] /= 1.0 - np.power(weight, np.arange(1, k + 1, dtype=np.float64))
    if all_finite:
        return s
    out = values.copy()
    out[finite] = s
    return out


# ---------------------------------------------------------------------------------- decimation
class Columns:
    """Which of ``width`` pixel columns each finite point of a series falls in (x0 at column 0,
    x1 at column width - 1, the nearest column), grouped for per-column reductions."""

    def __init__(self, xs: np.ndarray, finite: np.ndarray | None, x0: float, x1: float, width: int) -> None:
        xs = np.asarray(xs, np.float64)
        self.finite = finite if finite is not None and not finite.all() else None
        if self.finite is not None:
            xs = xs[self.finite]
        span = (x1 - x0) or 1.0
        col = (
            np.clip(((xs - x0) * ((width - 1) / span) + 0.5).astype(np.int64), 0, width - 1)
            if width > 0
            else xs[:0].astype(np.int64)
        )
        self.order = None
        if col.size > 1 and not (col[1:] >= col[:-1]).all():  # x not ascending
            self.order = np.argsort(col, kind="stable")
            col = col[self.order]
        self.starts = np.concatenate(([0], np.flatnonzero(col[1:] != col[:-1]) + 1)) if col.size else col
        self.ends = np.concatenate((self.starts[1:], [col.size])) - 1 if col.size else col
        self.cols = col[self.starts] if col.size else col

    def reduce(self, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(columns, values)``: per column, the first, minimum, maximum and last value."""
        if self.cols.size == 0:
            return np.empty(0), np.empty(0)
        if self.finite is not None:
            ys = ys[self.finite]
        if self.order is not None:
            ys = ys[self.order]
        v = np.empty((self.cols.size, 4))
        v[:, 0] = ys[self.starts]
        v[:, 1] = np.minimum.reduceat(ys, self.starts)
        v[:, 2] = np.maximum.reduceat(ys, self.starts)
        v[:, 3] = ys[self.ends]
        return np.repeat(self.cols, 4).astype(np.float64), v.ravel()


def decimate(xs: np.ndarray, ys: np.ndarray, x0: float, x1: float, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The points of a line as drawn ``width`` pixel columns wide over [x0, x1]: per column, the
    first, minimum, maximum and last finite value (in that order), at the column's index.

    Any line through these looks the same as the line through every point at that width, and
    every extreme is kept (a stride would drop spikes). Returns ``(columns, values)``.
    """
    xs = np.asarray(xs, np.float64)
    ys = np.asarray(ys, np.float64)
    return Columns(xs, np.isfinite(ys) & np.isfinite(xs), x0, x1, width).reduce(ys)


# ---------------------------------------------------------------------------------- drawing
def _fmt(v: float) -> str:
    if not math.isfinite(v):
        return str(v)
    if float(v).is_integer() and abs(v) < 1e6:
        return str(int(v))
    a = abs(v)
    return f"{v:.3g}" if 1e-3 <= a < 1e5 else f"{v:.2e}"


def _fit(draw: ImageDraw.ImageDraw, text: str, font, width: float) -> str:
    """``text``, shortened in the middle with "…" to fit ``width`` pixels (ends kept: run names
    often differ only at the end)."""
    if draw.textlength(text, font=font) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the longest k such that head + "…" + tail of k chars in all fits
        k = (lo + hi + 1) // 2
        cut = text[: (k + 1) // 2] + "…" + text[len(text) - k // 2 :]
        if draw.textlength(cut, font=font) <= width:
            lo = k
        else:
            hi = k - 1
    return text[: (lo + 1) // 2] + "…" + text[len(text) - lo // 2 :] if lo else "…"


def _series(store: Store) -> dict[str, list[tuple[str, np.ndarray, np.ndarray]]]:
    charts: dict[str, list] = {}
    for run in store.runs:
        for tag in store.tags(run)["scalars"]:
            s = store.scalars(run, tag)
            charts.setdefault(tag, []).append((run, np.asarray(s.steps, np.float64), np.asarray(s.values, np.float64)))
    return charts


def _font(size: int = 12):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has only the bitmap font
        return ImageFont.load_default()


def chart_order(tags: Iterable[str], pinned: Sequence[str] = ()) -> list[str]:
    """The board's chart order: the pinned tags that are logged (in pin order), then the rest by name."""
    logged = set(tags)
    first = [t for t in dict.fromkeys(pinned) if t in logged]
    return first + sorted(logged.difference(first))


def render_png(
    store: Store,
    smoothing: float = 0.6,
    title: str = "",
    ignore_outliers: bool = True,
    pinned: Sequence[str] = (),
    run_colors: Mapping[str, str] | None = None,
) -> bytes:
    """The scalar charts as one PNG: the ``pinned`` tags first (in that order, as the board's
    pinned section), then the rest by name, at most ``MAX_CHARTS``; runs in the board's colours
    (``run_colors``: those the user chose, ``"#rrggbb"``)."""
    charts = _series(store)
    tags = chart_order(charts, pinned)[:MAX_CHARTS]
    font = _font()
    cols = max(1, min(3, len(tags)))
    rows = max(1, math.ceil(len(tags) / cols))
    width = cols * CHART_W
    runs = [r for r in store.runs if any(r == s[0] for t in tags for s in charts[t])] or store.runs
    # the board's colours: assigned over every run of the store, as the view does
    colors = {run: palette()[i] for run, i in assign_colors(store.runs).items()} | dict(run_colors or {})

    # legend: every run, full names (wrapped onto more rows; very long names shortened in the middle)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    items, x, y, row_h = [], PAD, 0, 18
    for run in runs:
        label = _fit(measure, run, font, width - 2 * PAD - 16)
        w = 16 + int(measure.textlength(label, font=font)) + 14
        if x + w > width - PAD and x > PAD:
            x, y = PAD, y + row_h
        items.append((x, y, run, label))
        x += w
    legend_h = (y + row_h + 6) if runs else 6
    top = 26 if title else 6

    img = Image.new("RGB", (width, top + legend_h + rows * CHART_H), "white")
    draw = ImageDraw.Draw(img)
    if title:
        draw.text((PAD, 6), _fit(draw, title, font, width - 2 * PAD), fill="#212121", font=font)
    for lx, ly, run, label in items:
        draw.rectangle([lx, top + ly + 6, lx + 10, top + ly + 16], fill=colors[run])
        draw.text((lx + 14, top + ly + 5), label, fill="#424242", font=font)
    if not tags:
        draw.text((PAD, top + legend_h + 10), "no scalars logged", fill="#757575", font=font)
    for i, tag in enumerate(tags):
        ox = (i % cols) * CHART_W
        oy = top + legend_h + (i // cols) * CHART_H
        _chart(img, draw, font, (ox, oy), tag, charts[tag], smoothing, colors, ignore_outliers)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


OUTLIER_MIN_VALUES, OUTLIER_REACH = 20, 0.5  # as the board's (js/src/kinds/scalars/chart.ts)


def _percentile_range(values: list[np.ndarray]) -> tuple[float, float] | None:
    """The board's "ignore outliers" extent: TensorBoard's 5th and 95th percentile of the finite
    values, widened to the values within ``OUTLIER_REACH`` of that range beyond it; None (the
    whole range) under ``OUTLIER_MIN_VALUES`` values."""
    v = np.concatenate(values) if values else np.empty(0)
    v = v[np.isfinite(v)]
    n = v.size
    if n < OUTLIER_MIN_VALUES:
        return None
    lo, hi = math.ceil((n - 1) * 0.05), math.floor((n - 1) * 0.95)
    p = np.partition(v, (lo, hi))
    bottom, top = float(p[lo]), float(p[hi])
    reach = (top - bottom) * OUTLIER_REACH
    kept = v[(v >= bottom - reach) & (v <= top + reach)]
    return float(kept.min()), float(kept.max())


def _chart(
    img: Image.Image,
    draw: ImageDraw.ImageDraw,
    font,
    origin: tuple[int, int],
    tag: str,
    series,
    smoothing: float,
    colors: dict[str, str],
    ignore_outliers: bool,
) -> None:
    ox, oy = origin
    left, right = ox + PLOT_LEFT, ox + PLOT_RIGHT
    top, bottom = oy + PLOT_TOP, oy + PLOT_BOTTOM
    draw.text((ox + PAD, oy + 4), _fit(draw, tag, font, CHART_W - 2 * PAD), fill="#212121", font=font)
    plot_w = right - left
    smoothing = float(smoothing) if math.isfinite(smoothing) else 0.0

    # x range of every point; then per series its points reduced to first/min/max/last per pixel
    # column (raw, and smoothed on full resolution); the y range is that of the raw values (a
    # debiased average stays within it)
    x0 = min((float(st.min()) for _r, st, _v in series if st.size), default=math.inf)
    x1 = max((float(st.max()) for _r, st, _v in series if st.size), default=-math.inf)
    if not math.isfinite(x0) or not math.isfinite(x1):
        return
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    lines = []
    y0, y1 = math.inf, -math.inf
    for run, steps, values in series:
        grid = Columns(steps, np.isfinite(values), x0, x1, plot_w + 1)  # NaNs stay put when smoothed
        raw = grid.reduce(values)
        if raw[0].size == 0:
            continue
        y0, y1 = min(y0, float(raw[1].min())), max(y1, float(raw[1].max()))
        sm = grid.reduce(smooth(values, smoothing)) if smoothing > 0 else None
        lines.append((colors.get(run) or run_color(run), raw, sm))
    if not lines:
        return
    fitted = (
        _percentile_range([(sm if sm is not None else raw)[1] for _c, raw, sm in lines]) if ignore_outliers else None
    )
    if fitted is not None:
        y0, y1 = fitted
    if y1 == y0:
        d = abs(y0) * 0.1 or 1.0
        y0, y1 = y0 - d, y1 + d
    ky = (bottom - top) / (y1 - y0)

    # the plot area is drawn on its own image, pasted in: lines beyond the y range are clipped there
    plot = Image.new("RGB", (right - left + 1, bottom - top + 1), "white")
    pdraw = ImageDraw.Draw(plot)
    for frac in (0.0, 0.5, 1.0):
        yv = y0 + frac * (y1 - y0)
        yp = (y1 - yv) * ky
        pdraw.line([0, yp, right - left, yp], fill="#f0f0f0")
        draw.text((ox + 4, top + yp - 5), _fmt(yv), fill="#616161", font=font)
    draw.text((left, bottom + 6), _fmt(x0), fill="#616161", font=font, anchor="la")
    draw.text((right, bottom + 6), _fmt(x1), fill="#616161", font=font, anchor="ra")

    h = bottom - top
    # far outside the plot: clamped (Pillow steps a thin line pixel by pixel, even where it is
    # clipped); ten plot heights away the slope of what shows changes by under a tenth of a pixel
    lo, hi = -10.0 * h, 11.0 * h

    def line(cv, color: str, width: int, dot: float) -> None:
        cols, vals = cv
        pts = list(zip(cols.tolist(), np.clip((y1 - vals) * ky, lo, hi).tolist()))
        if np.ptp(cols) >= 1 or np.ptp(vals) * ky >= 1:
            pdraw.line(pts, fill=color, width=width, joint="curve" if width > 1 else None)
        else:  # nothing to join (one point, or all within a pixel): a dot, as TensorBoard draws
            px, py = pts[0]
            pdraw.ellipse([px - dot, py - dot, px + dot, py + dot], fill=color)

    for color, raw, sm in lines:
        if sm is None:
            line(raw, color, 2, 2.5)
        else:
            line(raw, _faint(color), 1, 1.5)
            line(sm, color, 2, 2.5)
    img.paste(plot, (left, top))
    draw.rectangle([left, top, right, bottom], outline="#e0e0e0")


def _faint(color: str) -> str:
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{int(c + (255 - c) * 0.7):02x}" for c in (r, g, b))
