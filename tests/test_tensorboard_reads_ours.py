"""TensorBoard's own readers load every kind of record cellboard writes, with the exact values.

Two readers are used: ``event_accumulator`` (the classic one: scalars/images/histograms/audio as
written) and ``plugin_event_accumulator`` (what TensorBoard's dashboards read: every value
migrated to a tensor). Where torch writes the same kind, its output is the reference.
"""

from __future__ import annotations

import os
import re
import socket
import time

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from _tbutil import (
    decode_png,
    event_files,
    f32,
    legacy_acc,
    plugin_acc,
    raw_events,
    same_floats,
    tensors,
    wav_frames,
)
from matplotlib.backends.backend_agg import FigureCanvasAgg
from tensorboard.compat.proto import summary_pb2
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
from tensorboard.plugins.pr_curve import plugin_data_pb2 as pr_plugin_data_pb2
from torch.utils.tensorboard import SummaryWriter as TorchWriter

import cellboard

WALL = 1_700_000_000.25  # an explicit walltime, exactly representable


def write(logdir, fn, **kwargs):
    w = cellboard.SummaryWriter(logdir, **kwargs)
    fn(w)
    w.close()
    return w


def write_torch(logdir, fn):
    w = TorchWriter(str(logdir))
    fn(w)
    w.close()


# --------------------------------------------------------------------------- files


def test_file_name_and_first_record_are_tensorboards(tmp_path):
    before = time.time()
    write(tmp_path, lambda w: w.add_scalar("x", 1.0, 1), filename_suffix=".v2")
    after = time.time()
    (path,) = event_files(tmp_path)
    name = os.path.basename(path)
    pattern = (
        r"events\.out\.tfevents\.(\d{10})\."
        + re.escape(socket.gethostname())
        + r"\."
        + str(os.getpid())
        + r"\.(\d+)\.v2"
    )
    m = re.fullmatch(pattern, name)
    assert m, name
    assert int(before) <= int(m.group(1)) <= int(after) + 1
    events = raw_events(path)
    assert events[0].file_version == "brain.Event:2"
    assert before - 1 <= events[0].wall_time <= after + 1
    assert [(e.step, e.summary.value[0].tag, e.summary.value[0].simple_value) for e in events[1:]] == [(1, "x", 1.0)]


def test_counter_makes_names_unique_within_a_process(tmp_path):
    w1 = cellboard.SummaryWriter(tmp_path / "a")
    w2 = cellboard.SummaryWriter(tmp_path / "b")
    w1.close()
    w2.close()
    (p1,), (p2,) = event_files(tmp_path / "a"), event_files(tmp_path / "b")
    c1, c2 = int(p1.rsplit(".", 1)[1]), int(p2.rsplit(".", 1)[1])
    assert c2 > c1


def test_second_writer_starts_a_new_file_and_never_appends_to_the_old(tmp_path):
    def first(w):
        for s in range(3):
            w.add_scalar("loss", float(s), s, walltime=WALL + s)

    write(tmp_path, first)
    (old,) = event_files(tmp_path)
    old_bytes = open(old, "rb").read()

    def second(w):
        for s in range(3, 5):
            w.add_scalar("loss", float(s), s, walltime=WALL + s)

    write(tmp_path, second)
    files = event_files(tmp_path)
    assert len(files) == 2 and files[0] == old  # the new file sorts after the old one
    assert open(old, "rb").read() == old_bytes
    events = raw_events(files[1])
    assert events[0].file_version == "brain.Event:2"
    acc = legacy_acc(tmp_path)
    assert [(e.step, e.value, e.wall_time) for e in acc.Scalars("loss")] == [(s, float(s), WALL + s) for s in range(5)]


def test_logging_after_close_starts_a_new_file(tmp_path):
    w = cellboard.SummaryWriter(tmp_path)
    w.add_scalar("a", 1.0, 1, walltime=WALL)
    w.close()
    (old,) = event_files(tmp_path)
    old_bytes = open(old, "rb").read()
    w.add_scalar("a", 2.0, 2, walltime=WALL + 1)
    w.close()
    files = event_files(tmp_path)
    assert len(files) == 2 and open(old, "rb").read() == old_bytes
    assert [(e.step, e.value) for e in legacy_acc(tmp_path).Scalars("a")] == [(1, 1.0), (2, 2.0)]


def test_two_writers_open_at_once_write_separate_files(tmp_path):
    w1 = cellboard.SummaryWriter(tmp_path)
    w2 = cellboard.SummaryWriter(tmp_path)
    w1.add_scalar("one", 1.0, 1, walltime=WALL)
    w2.add_scalar("two", 2.0, 2, walltime=WALL)
    w1.close()
    w2.close()
    files = event_files(tmp_path)
    assert len(files) == 2
    tags = [[v.tag for e in raw_events(f) for v in e.summary.value] for f in files]
    assert sorted(tags) == [["one"], ["two"]]


def test_default_log_dir_is_torchs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = cellboard.SummaryWriter(comment="_lr0.1")
    w.add_scalar("x", 1.0, 1)
    w.close()
    (run,) = os.listdir(tmp_path / "runs")
    assert re.fullmatch(r"[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_" + re.escape(socket.gethostname()) + r"_lr0\.1", run)
    assert w.get_logdir() == os.path.join("runs", run)
    assert [e.value for e in legacy_acc(tmp_path / "runs" / run).Scalars("x")] == [1.0]


# --------------------------------------------------------------------------- scalars

SCALAR_CASES = [  # (value, step): steps increasing, as a step logged again replaces the series
    (8.0, -(2**63)),
    (123456789.123, -5),
    (1.5, 0),
    (0.1, 1),
    (-3.25, 2),
    (1e30, 3),
    (float("nan"), 4),
    (float("inf"), 5),
    (float("-inf"), 6),
    (2.0, 2**40),
    (7.0, 2**63 - 1),
]


@pytest.mark.parametrize("style", ["legacy", "new_style", "double"])
def test_scalars_exact_values_steps_walltimes(tmp_path, style):
    kw = {"legacy": {}, "new_style": {"new_style": True}, "double": {"new_style": True, "double_precision": True}}[
        style
    ]

    def log(w):
        for i, (v, s) in enumerate(SCALAR_CASES):
            w.add_scalar("metric/x", v, s, walltime=WALL + i * 0.5, **kw)

    write(tmp_path, log)
    expect_vals = [v if style == "double" else f32(v) for v, _ in SCALAR_CASES]
    expect_steps = [s for _, s in SCALAR_CASES]
    expect_walls = [WALL + i * 0.5 for i in range(len(SCALAR_CASES))]

    pacc = plugin_acc(tmp_path)
    meta = pacc.SummaryMetadata("metric/x")
    assert meta.plugin_data.plugin_name == "scalars"
    assert meta.data_class == summary_pb2.DATA_CLASS_SCALAR
    got = tensors(pacc, "metric/x")
    assert [s for s, _, _ in got] == expect_steps
    assert [w for _, w, _ in got] == expect_walls
    assert all(a.shape == () for _, _, a in got)
    assert {a.dtype for _, _, a in got} == {np.dtype(np.float64 if style == "double" else np.float32)}
    assert same_floats([float(a) for _, _, a in got], expect_vals)

    lacc = legacy_acc(tmp_path)
    if style == "legacy":
        events = lacc.Scalars("metric/x")
        assert [e.step for e in events] == expect_steps
        assert [e.wall_time for e in events] == expect_walls
        assert same_floats([e.value for e in events], expect_vals)
    else:  # new-style scalars are tensors to the classic reader too
        assert lacc.Tags()["scalars"] == [] and lacc.Tags()["tensors"] == ["metric/x"]

    # cellboard reads back exactly what TensorBoard reads
    sc = cellboard.load(tmp_path).scalars(".", "metric/x")
    assert sc.steps.dtype == np.int64 and sc.wall_times.dtype == np.float64 and sc.values.dtype == np.float64
    assert sc.steps.tolist() == expect_steps and sc.wall_times.tolist() == expect_walls
    assert same_floats(sc.values, expect_vals)


def test_double_precision_keeps_all_64_bits(tmp_path):
    write(tmp_path, lambda w: w.add_scalar("d", 1 / 3, 1, walltime=WALL, new_style=True, double_precision=True))
    ((_, _, arr),) = tensors(plugin_acc(tmp_path), "d")
    assert float(arr) == 1 / 3 and float(arr) != f32(1 / 3)


def test_default_step_and_walltime(tmp_path):
    before = time.time()
    write(tmp_path, lambda w: w.add_scalar("x", 2.5))
    after = time.time()
    (e,) = legacy_acc(tmp_path).Scalars("x")
    assert e.step == 0 and e.value == 2.5 and before <= e.wall_time <= after


def test_value_beyond_float32_range_is_infinite_like_torch(tmp_path):
    def log(w):
        w.add_scalar("big", 1e300, 1, walltime=WALL)
        w.add_scalar("big", -1e300, 2, walltime=WALL)
        w.add_scalar("big", 1e300, 3, walltime=WALL, new_style=True)
        w.add_scalar("ok", 1.0, 4, walltime=WALL)

    write(tmp_path, log)
    acc = plugin_acc(tmp_path)
    assert [float(a) for _, _, a in tensors(acc, "big")] == [np.inf, -np.inf, np.inf]
    assert [(s, float(a)) for s, _, a in tensors(acc, "ok")] == [(4, 1.0)]


def test_add_scalars_writes_one_sub_run_per_key_like_torch(tmp_path):
    def log(w):
        w.add_scalars("loss/train", {"a": 1.0, "b": 0.1}, 3, walltime=WALL)
        w.add_scalars("loss/train", {"a": 2.0, "b": 0.2}, 4, walltime=WALL + 1)

    write(tmp_path / "ours", log)
    write_torch(tmp_path / "torch", log)
    ours = sorted(d for d in os.listdir(tmp_path / "ours") if os.path.isdir(tmp_path / "ours" / d))
    theirs = sorted(d for d in os.listdir(tmp_path / "torch") if os.path.isdir(tmp_path / "torch" / d))
    assert ours == theirs == ["loss_train_a", "loss_train_b"]
    for key, vals in (("a", [1.0, 2.0]), ("b", [0.1, 0.2])):
        acc = legacy_acc(tmp_path / "ours" / f"loss_train_{key}")
        assert acc.Tags()["scalars"] == ["loss/train"]
        assert [(e.step, e.wall_time, e.value) for e in acc.Scalars("loss/train")] == [
            (3, WALL, f32(vals[0])),
            (4, WALL + 1, f32(vals[1])),
        ]
        assert raw_events(event_files(tmp_path / "ours" / f"loss_train_{key}")[0])[0].file_version == "brain.Event:2"
    # the main run holds no scalars of its own, as with torch
    assert legacy_acc(tmp_path / "ours").Tags()["scalars"] == []


# --------------------------------------------------------------------------- histograms

RNG = np.random.default_rng(1234)
HIST_VALUES = RNG.normal(size=2000) * 3


@pytest.mark.parametrize(
    "bins",
    ["tensorflow", "auto", "fd", 7, [-9.0, -1.0, 0.0, 0.5, 2.0, 9.0]],
    ids=["tensorflow", "auto", "fd", "int", "edges"],
)
def test_histograms_equal_torchs(tmp_path, bins):
    def log(w):
        w.add_histogram("h", HIST_VALUES, 5, bins=bins, walltime=WALL)
        w.add_histogram("h", HIST_VALUES + 1, 6, bins=bins, walltime=WALL + 1)

    write(tmp_path / "ours", log)
    write_torch(tmp_path / "torch", log)
    ours, theirs = plugin_acc(tmp_path / "ours"), plugin_acc(tmp_path / "torch")
    assert ours.SummaryMetadata("h").plugin_data.plugin_name == "histograms"
    got, ref = tensors(ours, "h"), tensors(theirs, "h")
    assert [(s, w) for s, w, _ in got] == [(5, WALL), (6, WALL + 1)]
    for (_, _, a), (_, _, b) in zip(got, ref):
        assert a.dtype == np.float32 and a.shape == b.shape and a.shape[1] == 3
        np.testing.assert_array_equal(a, b)
    for (_, _, a), vals in zip(got, (HIST_VALUES, HIST_VALUES + 1)):
        lo, hi = (bins[0], bins[-1]) if isinstance(bins, list) else (vals.min(), vals.max())
        assert a[:, 2].sum() == np.count_nonzero((vals >= lo) & (vals <= hi))
        if not isinstance(bins, list):
            assert a[0, 0] == f32(vals.min()) and a[-1, 1] == f32(vals.max())
    # the classic reader gets the statistics at full precision
    (hv,) = legacy_acc(tmp_path / "ours").Histograms("h")[:1]
    assert (hv.step, hv.wall_time) == (5, WALL)
    h = hv.histogram_value
    assert (h.min, h.max, h.num) == (HIST_VALUES.min(), HIST_VALUES.max(), 2000)
    assert h.sum == pytest.approx(HIST_VALUES.sum(), rel=1e-12)
    assert h.sum_squares == pytest.approx(HIST_VALUES.dot(HIST_VALUES), rel=1e-12)


EDGE_VALUE_SETS = {
    "constant": np.full(10, 3.0),
    "zeros": np.zeros(5),
    "negative": -np.arange(1, 50.0),
    "integers": np.arange(100),
    "tiny": np.array([1e-13, 2e-13, -1e-13]),
    "single": np.array([2.5]),
    "bool": np.array([True, False, True]),
    "int8": np.arange(-5, 5, dtype=np.int8),
    "float16": np.linspace(-1, 1, 20).astype(np.float16),
}


@pytest.mark.parametrize("bins", ["tensorflow", "auto", 5])
@pytest.mark.parametrize("name", list(EDGE_VALUE_SETS))
def test_histograms_of_edge_case_values_equal_torchs(tmp_path, name, bins):
    values = EDGE_VALUE_SETS[name]
    write(tmp_path / "ours", lambda w: w.add_histogram("h", values, 1, bins=bins, walltime=WALL))
    write_torch(tmp_path / "torch", lambda w: w.add_histogram("h", values, 1, bins=bins, walltime=WALL))
    ((_, _, a),) = tensors(plugin_acc(tmp_path / "ours"), "h")
    ((_, _, b),) = tensors(plugin_acc(tmp_path / "torch"), "h")
    np.testing.assert_array_equal(a, b)
    assert a[:, 2].sum() == values.size


@pytest.mark.parametrize("bins,max_bins", [(10, 5), (10, 3), (50, 7), ("tensorflow", 30)])
def test_histogram_max_bins_caps_the_bucket_count(tmp_path, bins, max_bins):
    write(tmp_path, lambda w: w.add_histogram("h", HIST_VALUES, 1, bins=bins, max_bins=max_bins, walltime=WALL))
    ((_, _, a),) = tensors(plugin_acc(tmp_path), "h")
    assert 1 <= len(a) <= max_bins
    assert a[:, 2].sum() == HIST_VALUES.size
    assert a[0, 0] == f32(HIST_VALUES.min()) and a[-1, 1] == f32(HIST_VALUES.max())
    np.testing.assert_array_equal(a[1:, 0], a[:-1, 1])  # contiguous buckets
    # the merged inner edges are edges of the unmerged histogram
    full = np.float32(
        np.histogram_bin_edges(HIST_VALUES, bins) if bins != "tensorflow" else cellboard.binning.tensorflow_bins()
    )
    assert set(a[1:, 0].tolist()) <= set(full.tolist())


def test_histogram_ignores_non_finite_values(tmp_path):
    vals = np.array([1.0, 2.0, 2.0, np.nan, np.inf, -np.inf, 3.0])
    write(tmp_path, lambda w: w.add_histogram("h", vals, 1, bins=2, walltime=WALL))
    (hv,) = legacy_acc(tmp_path).Histograms("h")
    assert (hv.histogram_value.min, hv.histogram_value.max, hv.histogram_value.num) == (1.0, 3.0, 4.0)
    assert hv.histogram_value.sum == 8.0 and hv.histogram_value.sum_squares == 18.0
    ((_, _, a),) = tensors(plugin_acc(tmp_path), "h")
    np.testing.assert_array_equal(a, [[1, 2, 1], [2, 3, 3]])


def test_histogram_raw_equals_torchs(tmp_path):
    def log(w):
        w.add_histogram_raw("raw", 0.0, 3.0, 6, 9.0, 21.0, [1.0, 2.0, 3.0], [2, 1, 3], 8, walltime=WALL)

    write(tmp_path / "ours", log)
    write_torch(tmp_path / "torch", log)
    ((s, wall, a),) = tensors(plugin_acc(tmp_path / "ours"), "raw")
    assert (s, wall) == (8, WALL)
    np.testing.assert_array_equal(a, [[0, 1, 2], [1, 2, 1], [2, 3, 3]])
    ((_, _, b),) = tensors(plugin_acc(tmp_path / "torch"), "raw")
    np.testing.assert_array_equal(a, b)
    (hv,) = legacy_acc(tmp_path / "ours").Histograms("raw")
    h = hv.histogram_value
    assert (h.min, h.max, h.num, h.sum, h.sum_squares) == (0.0, 3.0, 6.0, 9.0, 21.0)
    assert list(h.bucket_limit) == [1.0, 2.0, 3.0] and list(h.bucket) == [2.0, 1.0, 3.0]


# --------------------------------------------------------------------------- images


def test_images_all_layouts_decode_to_the_exact_pixels(tmp_path):
    rng = np.random.default_rng(0)
    chw = rng.integers(0, 256, (3, 4, 5), dtype=np.uint8)
    hwc_float = rng.integers(0, 256, (6, 7, 3)).astype(np.float32) / 255  # k/255 -> exactly k
    hw = rng.integers(0, 256, (4, 6), dtype=np.uint8)
    rgba = rng.integers(0, 256, (2, 3, 4), dtype=np.uint8)
    chw_float64 = rng.random((1, 3, 3))

    def log(w):
        w.add_image("chw", chw, 1, walltime=WALL)
        w.add_image("hwc_float", hwc_float, 2, walltime=WALL + 1, dataformats="HWC")
        w.add_image("hw", hw, 3, walltime=WALL + 2, dataformats="HW")
        w.add_image("rgba", rgba, 4, walltime=WALL + 3, dataformats="HWC")
        w.add_image("gray_float", chw_float64, 5, walltime=WALL + 4)

    write(tmp_path, log)
    acc = legacy_acc(tmp_path)
    assert sorted(acc.Tags()["images"]) == ["chw", "gray_float", "hw", "hwc_float", "rgba"]
    expected = {
        "chw": (1, WALL, chw.transpose(1, 2, 0)),
        "hwc_float": (2, WALL + 1, np.round(hwc_float * 255).astype(np.uint8)),
        "hw": (3, WALL + 2, hw),
        "rgba": (4, WALL + 3, rgba),
        "gray_float": (5, WALL + 4, np.round(chw_float64[0] * 255).astype(np.uint8)),
    }
    for tag, (step, wall, pixels) in expected.items():
        (ev,) = acc.Images(tag)
        assert (ev.step, ev.wall_time) == (step, wall)
        assert (ev.height, ev.width) == pixels.shape[:2]
        np.testing.assert_array_equal(decode_png(ev.encoded_image_string), pixels)

    pacc = plugin_acc(tmp_path)
    assert pacc.SummaryMetadata("chw").plugin_data.plugin_name == "images"
    ((_, _, blob),) = tensors(pacc, "chw")
    assert blob[0] == b"5" and blob[1] == b"4"
    np.testing.assert_array_equal(decode_png(blob[2]), expected["chw"][2])


def test_uint8_image_pixels_equal_torchs(tmp_path):
    img = np.random.default_rng(3).integers(0, 256, (3, 8, 9), dtype=np.uint8)
    write(tmp_path / "ours", lambda w: w.add_image("i", img, 1))
    write_torch(tmp_path / "torch", lambda w: w.add_image("i", img, 1))
    (a,), (b,) = legacy_acc(tmp_path / "ours").Images("i"), legacy_acc(tmp_path / "torch").Images("i")
    np.testing.assert_array_equal(decode_png(a.encoded_image_string), decode_png(b.encoded_image_string))


@pytest.mark.parametrize("n,fmt", [(10, "NCHW"), (3, "NHWC"), (8, "NCHW")])
def test_add_images_tiles_a_grid_like_torch(tmp_path, n, fmt):
    rng = np.random.default_rng(n)
    nchw = rng.integers(0, 256, (n, 3, 4, 5), dtype=np.uint8)
    batch = nchw if fmt == "NCHW" else nchw.transpose(0, 2, 3, 1)

    def log(w):
        w.add_images("grid", batch, 7, walltime=WALL, dataformats=fmt)

    write(tmp_path / "ours", log)
    write_torch(tmp_path / "torch", log)
    (ev,) = legacy_acc(tmp_path / "ours").Images("grid")
    ncols = min(8, n)
    nrows = -(-n // ncols)
    assert (ev.step, ev.wall_time, ev.width, ev.height) == (7, WALL, 5 * ncols, 4 * nrows)
    grid = decode_png(ev.encoded_image_string)
    expected = np.zeros((4 * nrows, 5 * ncols, 3), np.uint8)
    for i in range(n):
        r, c = divmod(i, ncols)
        expected[r * 4 : r * 4 + 4, c * 5 : c * 5 + 5] = nchw[i].transpose(1, 2, 0)
    np.testing.assert_array_equal(grid, expected)
    (tev,) = legacy_acc(tmp_path / "torch").Images("grid")
    np.testing.assert_array_equal(grid, decode_png(tev.encoded_image_string))


def _figure(color):
    fig = plt.figure(figsize=(2, 1.5), dpi=40)
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [1, 0, 1], color=color)
    return fig


def test_add_figure_renders_with_agg(tmp_path):
    fig = _figure("red")
    twin = _figure("red")
    canvas = FigureCanvasAgg(twin)
    canvas.draw()
    expected = np.asarray(canvas.buffer_rgba()).copy()
    plt.close(twin)
    figs = [_figure("blue"), _figure("green")]

    def log(w):
        w.add_figure("fig", fig, 3, walltime=WALL)
        w.add_figure("figs", figs, 4, walltime=WALL + 1)

    write(tmp_path, log)
    assert not plt.fignum_exists(fig.number)  # close=True closes it, as torch
    acc = legacy_acc(tmp_path)
    (ev,) = acc.Images("fig")
    assert (ev.step, ev.wall_time, ev.width, ev.height) == (3, WALL, 80, 60)
    np.testing.assert_array_equal(decode_png(ev.encoded_image_string), expected)
    (ev2,) = acc.Images("figs")
    assert (ev2.step, ev2.wall_time, ev2.width, ev2.height) == (4, WALL + 1, 160, 60)
    pixels = decode_png(ev2.encoded_image_string)
    assert not np.array_equal(pixels[:, :80], pixels[:, 80:])  # two different plots side by side


# --------------------------------------------------------------------------- text, hparams, pr curves, audio


def test_text(tmp_path):
    def log(w):
        w.add_text("notes", "hello **world**", 1, walltime=WALL)
        w.add_text("notes", "héllo ✓ 漢字", 2, walltime=WALL + 1)

    write(tmp_path, log)
    acc = plugin_acc(tmp_path)
    assert acc.Tags()["tensors"] == ["notes/text_summary"]
    assert acc.SummaryMetadata("notes/text_summary").plugin_data.plugin_name == "text"
    got = tensors(acc, "notes/text_summary")
    assert [(s, w, a.tolist()) for s, w, a in got] == [
        (1, WALL, [b"hello **world**"]),
        (2, WALL + 1, ["héllo ✓ 漢字".encode()]),
    ]


def test_hparams_parse_with_tensorboards_protos(tmp_path):
    hp = {"lr": 0.01, "optimizer": "adam", "use_bn": True, "layers": 3, "missing": None}
    metrics = {"hparam/accuracy": 0.875, "hparam/loss": 0.25}
    before = time.time()
    write(tmp_path, lambda w: w.add_hparams(hp, metrics, {"optimizer": ["adam", "sgd"]}, run_name="trial1"))
    after = time.time()
    run = tmp_path / "trial1"
    acc = plugin_acc(run)
    tags = set(acc.Tags()["tensors"])
    assert {"_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info"} <= tags
    content = {
        t: plugin_data_pb2.HParamsPluginData.FromString(acc.SummaryMetadata(t).plugin_data.content)
        for t in ("_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info")
    }
    for t in content:
        assert acc.SummaryMetadata(t).plugin_data.plugin_name == "hparams"

    ssi = content["_hparams_/session_start_info"].session_start_info
    assert ssi.hparams["lr"].number_value == 0.01
    assert ssi.hparams["optimizer"].string_value == "adam"
    # as torch writes them: a bool is the number 1.0, None is left out
    assert ssi.hparams["use_bn"].number_value == 1.0
    assert ssi.hparams["layers"].number_value == 3.0
    assert "missing" not in ssi.hparams
    assert before <= ssi.start_time_secs <= after

    exp = content["_hparams_/experiment"].experiment
    infos = {i.name: i for i in exp.hparam_infos}
    assert set(infos) == set(hp) - {"missing"}
    assert infos["optimizer"].type == api_pb2.DATA_TYPE_STRING
    assert infos["use_bn"].type == api_pb2.DATA_TYPE_FLOAT64  # as torch
    assert infos["lr"].type == api_pb2.DATA_TYPE_FLOAT64
    assert [v.string_value for v in infos["optimizer"].domain_discrete.values] == ["adam", "sgd"]
    assert sorted(m.name.tag for m in exp.metric_infos) == sorted(metrics)

    sei = content["_hparams_/session_end_info"].session_end_info
    assert sei.status == api_pb2.STATUS_SUCCESS and before <= sei.end_time_secs <= after

    # the metric values are scalars of the hparams sub-run, where the hparams dashboard looks
    lacc = legacy_acc(run)
    assert sorted(lacc.Tags()["scalars"]) == sorted(metrics)
    assert [e.value for e in lacc.Scalars("hparam/accuracy")] == [0.875]
    assert [e.value for e in lacc.Scalars("hparam/loss")] == [0.25]

    # and TensorBoard's hparams plugin helpers accept the content
    from tensorboard.plugins.hparams import metadata as hp_metadata

    parsed = hp_metadata.parse_session_start_info_plugin_data(
        acc.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    )
    assert parsed.hparams["optimizer"].string_value == "adam"


def test_hparams_default_run_name_is_a_timestamp_sub_run(tmp_path):
    before = time.time()
    write(tmp_path, lambda w: w.add_hparams({"a": 1}, {"m": 2.0}))
    after = time.time()
    subs = [d for d in os.listdir(tmp_path) if os.path.isdir(tmp_path / d)]
    assert len(subs) == 1 and before <= float(subs[0]) <= after
    assert [e.value for e in legacy_acc(tmp_path / subs[0]).Scalars("m")] == [2.0]


def _pr_inputs():
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, 200)
    preds = rng.random(200)
    preds[:3] = [0.0, 1.0, 0.5]
    weights = rng.random(200) * 2
    return labels, preds, weights


@pytest.mark.parametrize("num_thresholds,weighted", [(127, False), (10, False), (33, True), (500, False)])
def test_pr_curve_equals_torchs(tmp_path, num_thresholds, weighted):
    labels, preds, weights = _pr_inputs()

    def log(w):
        w.add_pr_curve(
            "pr", labels, preds, 4, num_thresholds=num_thresholds, weights=weights if weighted else None, walltime=WALL
        )

    write(tmp_path / "ours", log)
    write_torch(tmp_path / "torch", log)
    ours, theirs = plugin_acc(tmp_path / "ours"), plugin_acc(tmp_path / "torch")
    ((s, wall, a),), ((_, _, b),) = tensors(ours, "pr"), tensors(theirs, "pr")
    n = min(num_thresholds, 127)
    assert (s, wall, a.shape, a.dtype) == (4, WALL, (6, n), np.float32)
    np.testing.assert_array_equal(a, b)
    meta = ours.SummaryMetadata("pr")
    assert meta.plugin_data.plugin_name == "pr_curves"
    assert pr_plugin_data_pb2.PrCurvePluginData.FromString(meta.plugin_data.content).num_thresholds == n
    # the counts mean what they say: at threshold 0 everything is predicted positive
    w = weights if weighted else np.ones_like(preds)
    assert a[0, 0] == pytest.approx((labels * w).sum(), rel=1e-6)  # TP
    assert a[1, 0] == pytest.approx(((1 - labels) * w).sum(), rel=1e-6)  # FP
    assert a[2, 0] == 0 and a[3, 0] == 0  # TN, FN
    assert a[5, 0] == 1.0  # recall


def test_pr_curve_raw_equals_torchs(tmp_path):
    tp = np.array([10.0, 8, 5, 1])
    fp = np.array([10.0, 4, 2, 0])
    tn = np.array([0.0, 6, 8, 10])
    fn = np.array([0.0, 2, 5, 9])
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)

    def log(w):
        w.add_pr_curve_raw("raw", tp, fp, tn, fn, precision, recall, 2, num_thresholds=4, walltime=WALL)

    write(tmp_path / "ours", log)
    write_torch(tmp_path / "torch", log)
    ((s, wall, a),) = tensors(plugin_acc(tmp_path / "ours"), "raw")
    ((_, _, b),) = tensors(plugin_acc(tmp_path / "torch"), "raw")
    assert (s, wall) == (2, WALL)
    np.testing.assert_array_equal(a, np.float32(np.stack([tp, fp, tn, fn, precision, recall])))
    np.testing.assert_array_equal(a, b)


def test_audio_equals_torchs(tmp_path):
    snd = np.sin(np.linspace(0, 40, 4000)) * 0.8
    snd[:2] = [1.5, -1.5]  # clipped to [-1, 1]

    def log(w):
        w.add_audio("sound", snd, 9, sample_rate=16000, walltime=WALL)

    write(tmp_path / "ours", log)
    write_torch(tmp_path / "torch", log)
    (ev,) = legacy_acc(tmp_path / "ours").Audio("sound")
    (tev,) = legacy_acc(tmp_path / "torch").Audio("sound")
    assert (ev.step, ev.wall_time, ev.sample_rate, ev.length_frames, ev.content_type) == (
        9,
        WALL,
        16000.0,
        4000,
        "audio/wav",
    )
    channels, rate, frames = wav_frames(ev.encoded_audio_string)
    assert (channels, rate) == (1, 16000)
    np.testing.assert_array_equal(frames, (np.clip(snd, -1, 1) * 32767).astype("<i2"))
    assert ev.encoded_audio_string == tev.encoded_audio_string
    pacc = plugin_acc(tmp_path / "ours")
    assert pacc.SummaryMetadata("sound").plugin_data.plugin_name == "audio"


def test_custom_scalars_layout_equals_torchs(tmp_path):
    layout = {
        "Losses": {"train vs val": ["Multiline", ["loss/train", "loss/val"]]},
        "Bands": {"acc": ["Margin", ["acc/mean", "acc/lo", "acc/hi"]]},
    }

    def log(w):
        w.add_custom_scalars(layout)

    write(tmp_path / "ours", log)
    write_torch(tmp_path / "torch", log)
    ours, theirs = plugin_acc(tmp_path / "ours"), plugin_acc(tmp_path / "torch")
    assert ours.SummaryMetadata("custom_scalars__config__").plugin_data.plugin_name == "custom_scalars"
    ((_, _, a),), ((_, _, b),) = tensors(ours, "custom_scalars__config__"), tensors(theirs, "custom_scalars__config__")
    got = layout_pb2.Layout.FromString(a.item())
    assert got == layout_pb2.Layout.FromString(b.item())
    assert [c.title for c in got.category] == ["Losses", "Bands"]
    assert list(got.category[0].chart[0].multiline.tag) == ["loss/train", "loss/val"]
    s = got.category[1].chart[0].margin.series[0]
    assert (s.value, s.lower, s.upper) == ("acc/mean", "acc/lo", "acc/hi")


def test_custom_scalar_chart_helpers(tmp_path):
    def log(w):
        w.add_custom_scalars_multilinechart(["a", "b"], category="c1", title="t1")
        w.add_custom_scalars_marginchart(["v", "lo", "hi"], category="c2", title="t2")

    write(tmp_path, log)
    layouts = [
        layout_pb2.Layout.FromString(a.item()) for _, _, a in tensors(plugin_acc(tmp_path), "custom_scalars__config__")
    ]
    assert [(lay.category[0].title, lay.category[0].chart[0].title) for lay in layouts] == [("c1", "t1"), ("c2", "t2")]
    assert list(layouts[0].category[0].chart[0].multiline.tag) == ["a", "b"]
    assert layouts[1].category[0].chart[0].margin.series[0].upper == "hi"


# --------------------------------------------------------------------------- purge_step


def test_purge_step_writes_session_start_and_tensorboard_drops_purged_steps(tmp_path):
    def first(w):
        for s in range(10):
            w.add_scalar("loss", float(s), s, walltime=WALL + s)
            w.add_image("img", np.full((1, 2, 2), s, np.uint8), s, walltime=WALL + s)

    write(tmp_path, first)

    def resumed(w):
        for s in range(5, 8):
            w.add_scalar("loss", 100.0 + s, s, walltime=WALL + 100 + s)
            w.add_image("img", np.full((1, 2, 2), 100 + s, np.uint8), s, walltime=WALL + 100 + s)

    write(tmp_path, resumed, purge_step=5)
    files = event_files(tmp_path)
    assert len(files) == 2
    events = raw_events(files[1])
    assert events[0].file_version == "brain.Event:2"
    starts = [e for e in events if e.HasField("session_log")]
    assert len(starts) == 1
    assert starts[0].session_log.status == starts[0].session_log.START and starts[0].step == 5
    assert events.index(starts[0]) < min(i for i, e in enumerate(events) if e.HasField("summary"))

    acc = legacy_acc(tmp_path)
    assert [(e.step, e.value) for e in acc.Scalars("loss")] == (
        [(s, float(s)) for s in range(5)] + [(s, 100.0 + s) for s in range(5, 8)]
    )
    imgs = acc.Images("img")
    assert [e.step for e in imgs] == [0, 1, 2, 3, 4, 5, 6, 7]
    assert [int(decode_png(e.encoded_image_string)[0, 0]) for e in imgs] == [0, 1, 2, 3, 4, 105, 106, 107]

    logs = cellboard.load(tmp_path)
    sc = logs.scalars(".", "loss")
    assert sc.steps.tolist() == list(range(8))
    assert sc.values.tolist() == [0, 1, 2, 3, 4, 105, 106, 107]
    assert [r.step for r in logs.images(".", "img")] == list(range(8))
