"""``cellboard.load`` reads what torch's and tensorboardX's writers (and TF2-style summaries) write.

Each kind is checked against the values passed in (exact, float32 where the format is float32)
and, for histograms, against what TensorBoard's ``plugin_event_accumulator`` makes of the file.
"""

from __future__ import annotations

import io
import os
import sys
import types
import wave

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from _tbutil import decode_png, f32, legacy_acc, plugin_acc, same_floats, tb_histogram, tensors
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

import cellboard
from cellboard.reader import RunReader
from cellboard.store import Store

WALL = 1_650_000_000.5
RNG = np.random.default_rng(42)
HIST_VALUES = RNG.normal(size=500) * 2 + 1
IMG = RNG.integers(0, 256, (3, 4, 5), dtype=np.uint8)
IMGS = RNG.integers(0, 256, (3, 3, 4, 5), dtype=np.uint8)
PR_LABELS = RNG.integers(0, 2, 60)
PR_PREDS = RNG.random(60)
SND = np.sin(np.linspace(0, 30, 800)) * 0.5
# steps increasing (a step logged again would replace the series from there on), of every varint width
SCALARS = [(0.1, -7), (-2.5, 0), (float("nan"), 1), (float("inf"), 2), (1e20, 10**12), (3.0, 2**62)]


def _fake_soundfile(monkeypatch):
    """tensorboardX's add_audio imports ``soundfile``; a stand-in writing 16-bit PCM WAV with ``wave``."""
    mod = types.ModuleType("soundfile")

    def write(f, data, samplerate, format="wav"):
        data = np.asarray(data)
        data = data[:, None] if data.ndim == 1 else data
        with wave.open(f, "wb") as w:
            w.setnchannels(data.shape[1])
            w.setsampwidth(2)
            w.setframerate(int(samplerate))
            w.writeframes((data * 32767).astype("<i2").tobytes())

    mod.write = write
    monkeypatch.setitem(sys.modules, "soundfile", mod)


def _figure():
    fig = plt.figure(figsize=(2, 1), dpi=50)
    fig.add_subplot().plot([0, 1], [1, 0])
    return fig


def _log_everything(w, kind):
    for i, (v, s) in enumerate(SCALARS):
        w.add_scalar("scalar/legacy", v, s, walltime=WALL + i)
        if kind == "torch":
            w.add_scalar("scalar/new", v, s, walltime=WALL + i, new_style=True)
            w.add_scalar("scalar/double", v, s, walltime=WALL + i, new_style=True, double_precision=True)
        else:  # tensorboardX's only variant: simple_value plus metadata without a plugin name
            w.add_scalar(
                "scalar/described",
                v,
                s,
                walltime=WALL + i,
                display_name="Described",
                summary_description="a scalar with metadata",
            )
    w.add_scalars("multi/x", {"a": 1.0, "b": 0.1}, 5, walltime=WALL + 10)
    w.add_scalars("multi/x", {"a": 2.0, "b": 0.2}, 6, walltime=WALL + 11)
    w.add_histogram("hist", HIST_VALUES, 7, walltime=WALL + 12)
    w.add_histogram("hist", HIST_VALUES * 2, 8, walltime=WALL + 13)
    w.add_histogram("hist_auto", HIST_VALUES, 7, bins="auto", walltime=WALL + 12)
    w.add_histogram_raw("hist_raw", 0.0, 3.0, 6, 9.0, 21.0, [1.0, 2.0, 3.0], [2, 1, 3], 9, walltime=WALL + 14)
    w.add_image("image", IMG, 10, walltime=WALL + 15)
    w.add_images("images", IMGS, 11, walltime=WALL + 16)
    w.add_figure("figure", _figure(), 12, walltime=WALL + 17)
    w.add_text("text", "hello **markdown** ✓", 13, walltime=WALL + 18)
    w.add_pr_curve("pr", PR_LABELS, PR_PREDS, 14, walltime=WALL + 19)
    w.add_audio("audio", SND, 15, sample_rate=8000, walltime=WALL + 20)
    if kind == "torch":
        w.add_hparams({"lr": 0.1, "opt": "adam", "flag": True, "n": 32}, {"hp/acc": 0.75}, run_name="hp")
    else:
        w.add_hparams({"lr": 0.1, "opt": "adam", "flag": True, "n": 32}, {"hp/acc": 0.75}, name="hp")


@pytest.fixture(scope="module", params=["torch", "tbx"])
def written(request, tmp_path_factory):
    kind = request.param
    logdir = tmp_path_factory.mktemp(kind)
    mp = pytest.MonkeyPatch()
    try:
        _fake_soundfile(mp)
        if kind == "torch":
            from torch.utils.tensorboard import SummaryWriter

            w = SummaryWriter(str(logdir))
        else:
            from tensorboardX import SummaryWriter

            w = SummaryWriter(str(logdir))
        _log_everything(w, kind)
        w.close()
    finally:
        mp.undo()
    return kind, logdir, cellboard.load(logdir)


def test_runs_are_every_directory_with_event_files(written):
    kind, logdir, logs = written
    on_disk = sorted(
        os.path.relpath(d, logdir).replace(os.sep, "/")
        for d, _, files in os.walk(logdir)
        if any("tfevents" in f for f in files)
    )
    assert logs.runs == on_disk
    subs = {"torch": ["multi_x_a", "multi_x_b"], "tbx": ["multi/x/a", "multi/x/b"]}[kind]
    assert logs.runs == sorted([".", "hp", *subs])


def test_tags_by_kind(written):
    kind, _, logs = written
    tags = logs.tags(".")
    scalar_tags = (
        ["scalar/double", "scalar/legacy", "scalar/new"] if kind == "torch" else ["scalar/described", "scalar/legacy"]
    )
    assert tags["scalars"] == scalar_tags
    assert tags["images"] == ["figure", "image", "images"]
    assert tags["histograms"] == ["hist", "hist_auto", "hist_raw"]
    assert tags["text"] == ["text/text_summary"]
    assert tags["pr_curves"] == ["pr"]
    assert tags["audio"] == ["audio"]


def test_scalars_exact(written):
    kind, _, logs = written
    steps = [s for _, s in SCALARS]
    walls = [WALL + i for i in range(len(SCALARS))]
    variants = {"scalar/legacy": True}
    variants.update({"scalar/new": True, "scalar/double": False} if kind == "torch" else {"scalar/described": True})
    for tag, float32 in variants.items():
        sc = logs.scalars(".", tag)
        assert sc.steps.dtype == np.int64 and sc.wall_times.dtype == np.float64 and sc.values.dtype == np.float64
        assert sc.steps.tolist() == steps, tag
        assert sc.wall_times.tolist() == walls, tag
        assert same_floats(sc.values, [f32(v) if float32 else v for v, _ in SCALARS]), tag
    # tensorboardX's display_name and summary_description; torch's writer has neither
    want = {(".", "scalar/described"): ("Described", "a scalar with metadata")} if kind == "tbx" else {}
    assert logs.descriptions == want


def test_add_scalars_sub_runs(written):
    kind, _, logs = written
    sep = "_" if kind == "torch" else "/"
    for key, vals in (("a", [1.0, 2.0]), ("b", [0.1, 0.2])):
        run = f"multi{sep}x{sep}{key}"
        assert logs.tags(run)["scalars"] == ["multi/x"]
        sc = logs.scalars(run, "multi/x")
        assert sc.steps.tolist() == [5, 6]
        assert sc.wall_times.tolist() == [WALL + 10, WALL + 11]
        assert sc.values.tolist() == [f32(v) for v in vals]


def test_histograms_match_tensorboards_reading(written):
    _, logdir, logs = written
    acc = plugin_acc(logdir)
    for tag in ("hist", "hist_auto", "hist_raw"):
        ours = logs.histograms(".", tag)
        ref = tb_histogram(acc, tag)
        assert len(ours) == len(ref) > 0
        for rec, (step, wall, edges, counts) in zip(ours, ref):
            assert (rec.step, rec.wall_time) == (step, wall)
            assert rec.edges.shape == (len(rec.counts) + 1,)
            np.testing.assert_allclose(rec.edges, edges, rtol=1e-6, atol=0)
            np.testing.assert_array_equal(rec.counts, counts)
    h7, h8 = logs.histograms(".", "hist")
    assert (h7.step, h7.wall_time, h8.step, h8.wall_time) == (7, WALL + 12, 8, WALL + 13)
    assert h7.counts.sum() == 500 and h8.counts.sum() == 500
    assert h7.edges[0] == HIST_VALUES.min() and h7.edges[-1] == HIST_VALUES.max()
    assert h8.edges[0] == (HIST_VALUES * 2).min() and h8.edges[-1] == (HIST_VALUES * 2).max()
    (raw,) = logs.histograms(".", "hist_raw")
    assert (raw.step, raw.wall_time) == (9, WALL + 14)
    assert raw.edges.tolist() == [0.0, 1.0, 2.0, 3.0] and raw.counts.tolist() == [2.0, 1.0, 3.0]


def test_images_exact(written):
    _, logdir, logs = written
    acc = legacy_acc(logdir)
    for tag, step, wall, (w, h) in (
        ("image", 10, WALL + 15, (5, 4)),
        ("images", 11, WALL + 16, (15, 4)),
        ("figure", 12, WALL + 17, (100, 50)),
    ):
        (rec,) = logs.images(".", tag)
        (ev,) = acc.Images(tag)
        assert (rec.step, rec.wall_time, rec.width, rec.height) == (step, wall, w, h)
        assert rec.png == ev.encoded_image_string
        assert decode_png(rec.png).shape[:2] == (h, w)
    (img,) = logs.images(".", "image")
    np.testing.assert_array_equal(decode_png(img.png), IMG.transpose(1, 2, 0))
    (grid,) = logs.images(".", "images")
    np.testing.assert_array_equal(decode_png(grid.png), np.concatenate(list(IMGS.transpose(0, 2, 3, 1)), axis=1))


def test_text_exact(written):
    _, _, logs = written
    (rec,) = logs.text(".", "text/text_summary")
    assert (rec.step, rec.wall_time, rec.text) == (13, WALL + 18, "hello **markdown** ✓")


def test_pr_curve_exact(written):
    _, logdir, logs = written
    (rec,) = logs.pr_curves(".", "pr")
    ((step, wall, ref),) = tensors(plugin_acc(logdir), "pr")
    assert (rec.step, rec.wall_time) == (step, wall) == (14, WALL + 19)
    assert rec.data.shape == (6, 127)
    np.testing.assert_array_equal(rec.data, ref)
    assert rec.data[0, 0] == PR_LABELS.sum() and rec.data[1, 0] == (1 - PR_LABELS).sum()


def test_audio_exact(written):
    _, logdir, logs = written
    (rec,) = logs.audio(".", "audio")
    (ev,) = legacy_acc(logdir).Audio("audio")
    assert (rec.step, rec.wall_time, rec.sample_rate, rec.content_type) == (15, WALL + 20, 8000.0, "audio/wav")
    assert rec.wav == ev.encoded_audio_string
    with wave.open(io.BytesIO(rec.wav)) as wf:
        assert (wf.getnchannels(), wf.getframerate(), wf.getnframes()) == (1, 8000, 800)
        frames = np.frombuffer(wf.readframes(800), "<i2")
    np.testing.assert_array_equal(frames, (SND * 32767).astype("<i2"))


def test_hparams_and_their_metrics(written):
    kind, _, logs = written
    (rec,) = logs.hparams("hp")
    assert rec.hparams == {"lr": 0.1, "opt": "adam", "flag": True, "n": 32}
    assert type(rec.hparams["n"]) is int  # an int hparam stays an int
    # torch writes a bool as the number 1.0 (bool is an int to its isinstance check)
    assert type(rec.hparams["flag"]) is (int if kind == "torch" else bool)
    assert rec.metrics == ["hp/acc"]  # from the experiment record, where torch and tensorboardX write them
    sc = logs.scalars("hp", "hp/acc")
    assert sc.values.tolist() == [0.75]


# --------------------------------------------------------------------------- TF2-style tensor summaries


def _tensor(dtype, shape=(), **fields):
    shp = tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in shape])
    return tensor_pb2.TensorProto(dtype=dtype, tensor_shape=shp, **fields)


def _meta(plugin, data_class, content=b""):
    return summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=plugin, content=content), data_class=data_class
    )


def _tf2_event(tag, step, wall, tensor, metadata=None):
    value = summary_pb2.Summary.Value(tag=tag, tensor=tensor)
    if metadata is not None:
        value.metadata.CopyFrom(metadata)
    return event_pb2.Event(wall_time=wall, step=step, summary=summary_pb2.Summary(value=[value]))


def _png(arr):
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


TF2_FLOATS = [0.5 + i / 7 for i in range(40)]
TF2_HIST = [
    np.array([[0.0, 1.0, 3.0], [1.0, 2.5, 0.0], [2.5, 4.0, 7.0]]),
    np.array([[-1.0, -0.5, 2.0], [-0.5, 0.25, 5.0]]),
]
TF2_IMGS = [RNG.integers(0, 256, (4, 5, 3), dtype=np.uint8) for _ in range(3)]


def _tf2_events():
    """What TF2's ``tf.summary.*`` write: tensors, metadata on the first event of each tag only."""
    evs = []
    for i, v in enumerate(TF2_FLOATS):  # float32 scalar via float_val
        meta = _meta("scalars", summary_pb2.DATA_CLASS_SCALAR) if i == 0 else None
        evs.append(_tf2_event("tf2/loss", i, WALL + i, _tensor(types_pb2.DT_FLOAT, float_val=[v]), meta))
    for i, v in enumerate(TF2_FLOATS):  # float64 scalar via tensor_content
        meta = _meta("scalars", summary_pb2.DATA_CLASS_SCALAR) if i == 0 else None
        content = np.float64(v / 3).tobytes()
        evs.append(
            _tf2_event("tf2/lr", 2 * i - 10, WALL + i, _tensor(types_pb2.DT_DOUBLE, tensor_content=content), meta)
        )
    for i, h in enumerate(TF2_HIST):  # [k, 3] float64 histogram
        meta = _meta("histograms", summary_pb2.DATA_CLASS_TENSOR) if i == 0 else None
        evs.append(
            _tf2_event(
                "tf2/weights",
                100 + i,
                WALL + 100 + i,
                _tensor(types_pb2.DT_DOUBLE, h.shape, tensor_content=h.tobytes()),
                meta,
            )
        )
    blobs = [b"5", b"4"] + [_png(a) for a in TF2_IMGS[:2]]  # two samples at one step
    evs.append(
        _tf2_event(
            "tf2/samples",
            200,
            WALL + 200,
            _tensor(types_pb2.DT_STRING, (4,), string_val=blobs),
            _meta("images", summary_pb2.DATA_CLASS_BLOB_SEQUENCE),
        )
    )
    evs.append(
        _tf2_event(
            "tf2/samples",
            201,
            WALL + 201,
            _tensor(types_pb2.DT_STRING, (3,), string_val=[b"5", b"4", _png(TF2_IMGS[2])]),
        )
    )
    evs.append(
        _tf2_event(
            "tf2/note",
            300,
            WALL + 300,
            _tensor(types_pb2.DT_STRING, string_val=[b"first"]),
            _meta("text", summary_pb2.DATA_CLASS_TENSOR),
        )
    )
    evs.append(_tf2_event("tf2/note", 301, WALL + 301, _tensor(types_pb2.DT_STRING, string_val=[b"second"])))
    return evs


def _write_tf2(logdir, events):
    w = EventFileWriter(str(logdir))
    for ev in events:
        w.add_event(ev)
    w.close()


def _check_tf2(logs, run="."):
    loss = logs.scalars(run, "tf2/loss")
    assert loss.steps.tolist() == list(range(40))
    assert loss.wall_times.tolist() == [WALL + i for i in range(40)]
    assert loss.values.tolist() == [f32(v) for v in TF2_FLOATS]
    lr = logs.scalars(run, "tf2/lr")
    assert lr.steps.tolist() == [2 * i - 10 for i in range(40)]
    assert lr.values.tolist() == [v / 3 for v in TF2_FLOATS]
    hists = logs.histograms(run, "tf2/weights")
    assert [(h.step, h.wall_time) for h in hists] == [(100, WALL + 100), (101, WALL + 101)]
    for h, ref in zip(hists, TF2_HIST):
        assert h.edges.tolist() == [*ref[:, 0].tolist(), ref[-1, 1]]
        assert h.counts.tolist() == ref[:, 2].tolist()
    imgs = logs.images(run, "tf2/samples")
    assert [(r.step, r.wall_time, r.width, r.height) for r in imgs] == [
        (200, WALL + 200, 5, 4),
        (200, WALL + 200, 5, 4),
        (201, WALL + 201, 5, 4),
    ]
    for r, a in zip(imgs, TF2_IMGS):
        np.testing.assert_array_equal(decode_png(r.png), a)
    assert [(t.step, t.text) for t in logs.text(run, "tf2/note")] == [(300, "first"), (301, "second")]


def test_tf2_tensor_summaries(tmp_path):
    _write_tf2(tmp_path, _tf2_events())
    logs = cellboard.load(tmp_path)
    assert logs.tags(".")["scalars"] == ["tf2/loss", "tf2/lr"]
    _check_tf2(logs)
    # TensorBoard agrees on the histograms
    ref = tb_histogram(plugin_acc(tmp_path), "tf2/weights")
    for rec, (step, wall, edges, counts) in zip(logs.histograms(".", "tf2/weights"), ref):
        assert (rec.step, rec.wall_time) == (step, wall)
        np.testing.assert_allclose(rec.edges, edges, rtol=1e-6)
        np.testing.assert_array_equal(rec.counts, counts)


def test_tf2_metadata_learned_in_an_earlier_poll(tmp_path):
    """A tag's plugin comes from its first event; later events (read later) have no metadata."""
    events = _tf2_events()
    _write_tf2(tmp_path, events)
    (path,) = [os.path.join(tmp_path, n) for n in os.listdir(tmp_path)]
    data = open(path, "rb").read()
    run_dir = tmp_path / "tail"
    run_dir.mkdir()
    target = run_dir / os.path.basename(path)
    store = Store()
    reader = RunReader(store, ".", str(run_dir))
    # feed the file in pieces that split records anywhere, polling after each
    for cut in range(0, len(data), 997):
        with open(target, "ab") as f:
            f.write(data[cut : cut + 997])
        reader.poll()
    _check_tf2(store)


def test_tf1_events_with_several_values_per_summary(tmp_path):
    """TF1's merged summaries: one event holding many tags."""
    w = EventFileWriter(str(tmp_path))
    for s in range(5):
        values = [summary_pb2.Summary.Value(tag=f"m{i}", simple_value=s * 10 + i / 4) for i in range(3)]
        values.append(
            summary_pb2.Summary.Value(
                tag="m_hist",
                histo=summary_pb2.HistogramProto(
                    min=0.0, max=2.0, num=3, sum=3.0, sum_squares=5.0, bucket_limit=[1.0, 2.0], bucket=[1, 2]
                ),
            )
        )
        w.add_event(event_pb2.Event(wall_time=WALL + s, step=s, summary=summary_pb2.Summary(value=values)))
    w.close()
    logs = cellboard.load(tmp_path)
    assert logs.tags(".")["scalars"] == ["m0", "m1", "m2"]
    for i in range(3):
        sc = logs.scalars(".", f"m{i}")
        assert sc.steps.tolist() == list(range(5))
        assert sc.wall_times.tolist() == [WALL + s for s in range(5)]
        assert sc.values.tolist() == [s * 10 + i / 4 for s in range(5)]
    hists = logs.histograms(".", "m_hist")
    assert [h.step for h in hists] == list(range(5))
    assert hists[0].edges.tolist() == [0.0, 1.0, 2.0] and hists[0].counts.tolist() == [1.0, 2.0]


def test_wav_headers_of_plugin_audio_clips():
    """The audio plugin's tensors carry no sample rate: it comes from each clip's WAV header, and
    a damaged or foreign header gives zeros (the clip is still kept) instead of an error."""
    import io
    import random
    import wave

    from cellboard.kinds.audio import _wav_format

    buf = io.BytesIO()
    with wave.open(buf, "wb") as f:
        f.setnchannels(2)
        f.setsampwidth(2)
        f.setframerate(22050)
        f.writeframes(np.zeros(2 * 300, np.int16).tobytes())
    clip = buf.getvalue()
    assert _wav_format(clip) == (22050.0, "audio/wav", 2, 300)
    assert _wav_format(clip[:-40]) == (22050.0, "audio/wav", 2, 290)  # a cut clip: the frames present
    assert _wav_format(b"OggS\0\2") == (0.0, "audio/wav", 0, 0)
    rng = random.Random(0)
    for _ in range(2000):  # damaged headers never raise
        d = bytearray(clip[: rng.randint(0, 60)])
        for _ in range(rng.randint(0, 3)):
            if d:
                d[rng.randrange(len(d))] = rng.randrange(256)
        rate, _, channels, frames = _wav_format(bytes(d))
        assert rate >= 0 and channels >= 0 and frames >= 0
