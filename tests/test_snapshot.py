"""The PNG snapshot (board/snapshot.py): exact TensorBoard smoothing (vectorized), min/max per
pixel column (a spike survives), speed on millions of points, and run colours from the palette
shared with the TypeScript view (tests/palette_test_vector.json is also checked by
js/test/palette.test.ts)."""

from __future__ import annotations

import io
import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cellboard.board import snapshot
from cellboard.board.snapshot import (
    assign_colors,
    chart_order,
    color_index,
    decimate,
    fnv1a32,
    palette,
    render_png,
    run_color,
    smooth,
)
from cellboard.store import Store

ROOT = Path(__file__).resolve().parents[1]
VECTOR = json.loads((ROOT / "tests" / "palette_test_vector.json").read_text("utf-8"))


def loop_smooth(values, weight):
    """The previous implementation (a Python loop): TensorBoard's classicSmoothing."""
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


def noisy(n, seed=0, nan_frac=0.01):
    rng = np.random.default_rng(seed)
    v = np.cumsum(rng.normal(size=n)) * 0.1 + 3 * np.exp(-np.arange(n) / max(1, n / 5)) + rng.normal(size=n)
    k = int(n * nan_frac)
    if k:
        idx = rng.choice(n, size=k, replace=False)
        v[idx[: k // 2]] = np.nan
        v[idx[k // 2 :]] = rng.choice([np.inf, -np.inf], size=k - k // 2)
    return v


# ---------------------------------------------------------------------------------- smoothing
@pytest.mark.parametrize("weight", [0.0, 0.1, 0.6, 0.9, 0.95, 0.99, 0.999, 1.0, -0.5, 1.5, math.nan, math.inf])
@pytest.mark.parametrize("n", [0, 1, 2, 3, 17, 5000, 200_000])
def test_smooth_equals_the_loop(weight, n):
    v = noisy(n, seed=n)
    want, got = loop_smooth(v, weight), smooth(v, weight)
    assert got.shape == want.shape and got.dtype == np.float64
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[~np.isfinite(want)], want[~np.isfinite(want)])  # passed through
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_smooth_on_large_and_tiny_magnitudes_and_steps_without_nans():
    rng = np.random.default_rng(3)
    for v in (rng.normal(size=10_000) * 1e12, rng.normal(size=10_000) * 1e-9, np.r_[1e8, rng.normal(size=9_999)]):
        for w in (0.6, 0.99):
            want = loop_smooth(v, w)
            np.testing.assert_allclose(smooth(v, w), want, rtol=1e-12, atol=1e-12 * np.abs(want).max())


def test_smooth_edge_cases():
    np.testing.assert_array_equal(smooth([5.0, 5.0, np.nan, 5.0], 0.9), [5.0, 5.0, np.nan, 5.0])  # constant
    np.testing.assert_array_equal(smooth([np.nan, np.inf], 0.6), [np.nan, np.inf])
    np.testing.assert_array_equal(smooth([2.0], 0.6), [2.0])  # debiased: one point is itself
    v = np.array([1.0, 2.0, 3.0])
    smooth(v, 0.6)
    np.testing.assert_array_equal(v, [1.0, 2.0, 3.0])  # input untouched


def test_smooth_matches_scipy_lfilter_on_3m_points():
    signal = pytest.importorskip("scipy.signal")
    v = noisy(3_000_000, seed=11)
    for w in (0.6, 0.999):
        ok = np.isfinite(v)
        ref = v.copy()
        y = v[ok]
        ref[ok] = signal.lfilter([1 - w], [1, -w], y) / (1 - w ** np.arange(1, y.size + 1))
        np.testing.assert_allclose(smooth(v, w), ref, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------- decimation
def test_decimate_keeps_a_single_spike_in_a_million_points():
    n = 1_000_000
    rng = np.random.default_rng(1)
    xs = np.arange(n, dtype=np.float64)
    ys = rng.normal(size=n)
    ys[654_321] = 100.0
    ys[123_457] = -80.0
    cols, vals = decimate(xs, ys, 0, n - 1, 300)
    assert vals.max() == 100.0 and vals.min() == -80.0
    assert len(cols) <= 4 * 300 and np.all(np.diff(cols) >= 0)
    assert cols[np.argmax(vals)] == round(654_321 * 299 / (n - 1))
    # the stride the snapshot used before drops it
    step = max(1, n // 300)
    assert ys[::step].max() < 100.0


def test_decimate_order_nan_and_unsorted_x():
    xs = np.array([0, 1, 2, 3, 4, 5], np.float64)
    ys = np.array([1, 5, np.nan, -2, 3, np.inf])
    cols, vals = decimate(xs, ys, 0, 5, 2)  # nearest column: x 0..2 -> 0, 3..5 -> 1
    assert cols.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert vals.tolist() == [1, 1, 5, 5, -2, -2, 3, 3]  # first, min, max, last; non-finite skipped
    perm = np.array([5, 3, 0, 4, 1, 2])
    c2, v2 = decimate(xs[perm], ys[perm], 0, 5, 2)
    assert c2.tolist() == cols.tolist() and sorted(v2[:4]) == [1, 1, 5, 5]


# ---------------------------------------------------------------------------------- the PNG
def png_pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))


def test_png_draws_the_spike_and_one_point_series():
    store = Store()
    n = 1_000_000
    ys = np.random.default_rng(2).normal(size=n) * 0.1
    ys[777_777] = 50.0
    store.append_scalars("run_a", "loss", np.arange(n), np.full(n, 1.7e9), ys)
    store.append_scalars("run_b", "one_point", [10], [1.7e9], [0.5])
    px = png_pixels(render_png(store, smoothing=0.0, ignore_outliers=False))
    legend_h = 18 + 6  # one legend row
    oy = 6 + legend_h
    color = np.array(rgb(run_color("run_a")))
    # the spike reaches the top of the plot area (y range is the data's), in run_a's colour
    band = px[oy + snapshot.PLOT_TOP : oy + snapshot.PLOT_TOP + 4, snapshot.PLOT_LEFT + 1 : snapshot.PLOT_RIGHT]
    assert (np.abs(band.astype(int) - color).sum(axis=2) < 60).any(), "the spike is not drawn"
    # the one-point chart (second cell) has a dot in run_b's colour
    cell = px[oy : oy + snapshot.CHART_H, snapshot.CHART_W : 2 * snapshot.CHART_W]
    dot = (np.abs(cell.astype(int) - np.array(rgb(run_color("run_b")))).sum(axis=2) < 30).sum()
    assert dot >= 9, f"one-point series drawn with {dot} pixels"


def test_pinned_charts_come_first_as_the_board_shows_them():
    """Pinned tags first, in pin order (a tag pinned twice once, one not logged skipped), then the
    rest by name; a pinned tag past the chart limit by name still makes it into the PNG."""
    assert chart_order(["b", "a", "d", "c"], ["d", "never_logged", "b", "d"]) == ["d", "b", "a", "c"]
    assert chart_order(["b", "a"]) == ["a", "b"]

    store = Store()
    tags = [f"t{i:02d}" for i in range(snapshot.MAX_CHARTS + 2)]
    for tag in tags[:-1]:
        store.append_scalars("others", tag, np.arange(5), np.full(5, 1.7e9), np.arange(5.0))
    store.append_scalars("pinned_run", tags[-1], np.arange(5), np.full(5, 1.7e9), np.arange(5.0))
    mark = np.array(rgb(palette()[assign_colors(store.runs)["pinned_run"]]))

    def first_cell_has_mark(png: bytes) -> bool:
        px = png_pixels(png)
        rows = math.ceil(snapshot.MAX_CHARTS / 3)
        oy = px.shape[0] - rows * snapshot.CHART_H  # the charts' grid fills the image's bottom
        cell = px[oy : oy + snapshot.CHART_H, : snapshot.CHART_W].astype(int)
        return bool((np.abs(cell - mark).sum(axis=2) < 30).sum() > 20)

    assert first_cell_has_mark(render_png(store, smoothing=0.0, pinned=[tags[-1]]))
    assert not first_cell_has_mark(render_png(store, smoothing=0.0))  # by name it is past the limit


def test_png_draws_runs_in_the_colours_the_user_chose():
    store = Store()
    for run in ("a", "b"):
        store.append_scalars(run, "loss", np.arange(50), np.full(50, 1.7e9), np.linspace(1, 0, 50))
    chosen = "#12ab34"
    px = png_pixels(render_png(store, smoothing=0.0, run_colors={"a": chosen}))
    colours = {tuple(c) for c in px.reshape(-1, 3)}
    assert rgb(chosen) in colours and rgb(run_color("b")) in colours
    assert rgb(run_color("a")) not in colours or run_color("a") == run_color("b")


def test_png_colours_are_the_palette_colours_of_the_names():
    names = [c["name"] for c in VECTOR["cases"] if c["name"]][:6]
    store = Store()
    for i, name in enumerate(names):
        store.append_scalars(name, "loss", np.arange(5), np.full(5, 1.7e9), np.arange(5) * (i + 1.0))
    px = png_pixels(render_png(store, smoothing=0.6))
    colours = {tuple(c) for c in px.reshape(-1, 3)}
    for name in names:
        assert rgb(run_color(name)) in colours, name


def test_png_legend_keeps_long_similar_run_names_apart():
    names = [f"fashion_mnist_experiment_lr{lr}_batch64_{i}" for i, lr in enumerate(["0.1", "0.01", "0.001", "0.0001"])]
    store = Store()
    for name in names:
        store.append_scalars(name, "train/loss", np.arange(3), np.full(3, 1.7e9), [3.0, 2.0, 1.0])
    png = render_png(store)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # every name is drawn in full: the legend is as wide as the names need (wrapping onto rows)
    im = Image.open(io.BytesIO(png))
    assert im.width == snapshot.CHART_W


@pytest.mark.parametrize("runs,per", [(3, 1_000_000), (30, 100_000)])
def test_png_of_3m_points_is_fast(runs, per):
    store = Store()
    rng = np.random.default_rng(5)
    for r in range(runs):
        tag = f"tag_{r % 6}"
        v = np.cumsum(rng.normal(size=per)) * 0.01 + rng.normal(size=per)
        v[rng.integers(0, per, size=per // 1000)] = np.nan
        store.append_scalars(f"run_{r}", tag, np.arange(per), 1.7e9 + np.arange(per) * 0.01, v)
    render_png(store, smoothing=0.6)  # warm up (imports, fonts)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        render_png(store, smoothing=0.6)
        times.append(time.perf_counter() - t)
    best = min(times)
    print(f"render_png: {runs} x {per:,} points: best {best * 1000:.0f} ms, all {[round(t * 1000) for t in times]} ms")
    assert best < 0.3, f"render_png took {best:.3f} s for 3M points (target 0.3 s; measured ~0.1 s)"


# ---------------------------------------------------------------------------------- palette
def test_fnv1a32_and_palette_index_match_the_shared_vector():
    assert VECTOR["palette_size"] == len(palette()) == len(palette(dark=True))
    for case in VECTOR["cases"]:
        assert fnv1a32(case["name"]) == case["hash"], case["name"]
        assert color_index(case["name"]) == case["index"], case["name"]
    # published FNV-1a 32 vectors
    assert fnv1a32("") == 0x811C9DC5 and fnv1a32("a") == 0xE40C292C and fnv1a32("foobar") == 0xBF9CF968


def test_run_color_is_a_function_of_the_name_only():
    for case in VECTOR["cases"]:
        assert run_color(case["name"]) == palette()[case["index"]]
        assert run_color(case["name"], dark=True) == palette(dark=True)[case["index"]]
    for c in palette() + palette(dark=True):
        assert len(c) == 7 and c[0] == "#" and int(c[1:], 16) >= 0


def test_the_bundle_carries_the_same_palette():
    bundle = ROOT / "python_pkg" / "cellboard" / "static" / "widget.js"
    if not bundle.exists():
        pytest.skip("frontend bundle not built")
    text = bundle.read_text("utf-8")
    assert ",".join(f'"{c}"' for c in palette()) in text
    assert ",".join(f'"{c}"' for c in palette(dark=True)) in text


def test_runs_shown_together_get_distinct_colors_as_the_view_gives_them():
    from cellboard.board.snapshot import assign_colors

    for case in VECTOR["sets"]:
        got = assign_colors(case["runs"])
        assert got == case["indices"]
        if len(case["runs"]) <= len(palette()):
            assert len(set(got.values())) == len(case["runs"])  # no two runs share a colour
    # a run alone keeps its name's colour
    assert assign_colors(["lr_0.1"]) == {"lr_0.1": color_index("lr_0.1")}


def test_png_ignores_outliers_as_the_board_does():
    """By default (TensorBoard's, and the board's) the y axis fits the 5th-95th percentile: a
    spike leaves the noise band the plot's height, and the lines are clipped at the plot's edges."""
    store = Store()
    n = 20_000
    ys = np.random.default_rng(3).uniform(0.0, 1.0, n)
    ys[5_000] = 1e12  # far out: clamped before drawing (a thin line to it would take Pillow minutes)
    ys[15_000] = -50.0
    store.append_scalars("run_a", "loss", np.arange(n), np.full(n, 1.7e9), ys)
    oy = 6 + 18 + 6
    color = np.array(rgb(run_color("run_a")))
    t0 = time.perf_counter()
    fitted = png_pixels(render_png(store, smoothing=0.0))
    assert time.perf_counter() - t0 < 5
    whole = png_pixels(render_png(store, smoothing=0.0, ignore_outliers=False))

    def in_colour(px, rows=slice(None)):
        plot = px[oy + snapshot.PLOT_TOP + 1 : oy + snapshot.PLOT_BOTTOM, snapshot.PLOT_LEFT + 1 : snapshot.PLOT_RIGHT]
        return (np.abs(plot[rows].astype(int) - color).sum(axis=2) < 60).sum(axis=1)

    height = snapshot.PLOT_BOTTOM - snapshot.PLOT_TOP - 1
    # fitted: the noise band fills the plot, every row of it (the spikes run off its edges)
    assert (in_colour(fitted) > 100).all() and in_colour(fitted).size == height
    # the whole range: the noise is squeezed into the bottom rows; above them only the line up to
    # the spike crosses each row
    assert (in_colour(whole, slice(None, -6)) <= 4).all()
    # clipped: above the plot (the chart's title row) nothing is in run_a's colour
    above = fitted[oy : oy + snapshot.PLOT_TOP]
    assert not (np.abs(above.astype(int) - color).sum(axis=2) < 60).any()


def test_outlier_range_matches_the_board():
    """The snapshot's range is the board's rule (tests in js/test/scalar-chart.test.ts)."""
    loss = 0.1 + 2.4 * np.exp(-np.arange(200) / 5)
    lo, hi = snapshot._percentile_range([loss])
    assert lo == loss.min() and hi < 1
    spiked = 0.5 + 0.001 * np.arange(100)
    spiked[60] = 40
    assert snapshot._percentile_range([spiked])[1] == pytest.approx(0.599)
    accuracy = 0.1 + 0.8 * np.arange(30) / 29
    assert snapshot._percentile_range([accuracy]) == (0.1, 0.9)
    assert snapshot._percentile_range([np.array([0.1, 0.5, 0.9])]) is None
