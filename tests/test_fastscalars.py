"""The vectorized scalar decoder (``cellboard.fastscalars``) and the record-by-record decoder agree.

``fastscalars.MAX_RECORD = 0`` sends every record down the slow path; the whole store read that
way must be identical, bit for bit, to the store read with the fast path on - for a log with many
tags, legacy/new/double scalars, tags of equal length, steps needing 1..10-byte varints (negative
ones included), tensor scalars whose metadata came earlier, and other kinds mixed in.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest
from _kernels import use_kernels
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, types_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

import cellboard
from cellboard import fastscalars
from cellboard.reader import RunReader
from cellboard.store import Store

# steps at every varint length boundary: 1..10 bytes, and negative (always 10 bytes); increasing,
# as a step logged again replaces the series from there on (a second pass replaces the first)
STEPS = [
    -(2**63),
    -12345,
    -1,
    0,
    1,
    127,
    128,
    2**14 - 1,
    2**14,
    2**21 - 1,
    2**21,
    2**28,
    2**35 - 1,
    2**42,
    2**49,
    2**56,
    2**63 - 1,
]
VALUES = [0.0, -0.0, 1.5, -2.25, 1e-40, 3e38, float("nan"), float("inf"), float("-inf"), 0.1]
STYLES = [{}, {"new_style": True}, {"new_style": True, "double_precision": True}]


def _write_cellboard(logdir):
    w = cellboard.SummaryWriter(logdir)
    rng = np.random.default_rng(5)
    k = 0
    for rep in range(3):
        for i in range(60):  # 60 tags of equal length, three styles
            for step in STEPS:
                k += 1
                w.add_scalar(f"t{i:02d}", VALUES[k % len(VALUES)], step, walltime=1e9 + k * 0.001, **STYLES[i % 3])
        for i in range(100):  # more templates of one record length than the decoder tries per length
            w.add_scalar(f"u{i:03d}", float(i + rep), 5, walltime=1e9 + rep)
        for n, style in enumerate(STYLES * 3):  # one tag, every style
            w.add_scalar("mixed", float(n), 1000 + 10 * rep + n, walltime=2e9 + n, **style)
        w.add_scalar("long/" + "x" * 1100, float(rep), rep, walltime=3e9)  # a record over MAX_RECORD
        w.add_image("img", rng.integers(0, 256, (3, 4, 4), dtype=np.uint8), rep, walltime=4e9)
        w.add_histogram("hist", rng.normal(size=100), rep, walltime=4e9)
        w.add_text("note", f"text {rep}", rep, walltime=4e9)
        w.add_scalars("group", {"a": float(rep), "b": -float(rep)}, rep, walltime=5e9)
    w.add_pr_curve("pr", [0, 1, 1], [0.2, 0.6, 0.9], 1, num_thresholds=5, walltime=6e9)
    w.add_hparams({"lr": 0.1}, {"m": 0.5}, run_name="hp")
    w.close()
    return w


def _write_torch(logdir):
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(logdir))
    for i, step in enumerate(STEPS):
        for j, style in enumerate(STYLES):
            w.add_scalar(f"torch/s{j}", VALUES[i % len(VALUES)], step, walltime=1e9 + i, **style)
    w.close()


def _write_tbx(logdir):
    from tensorboardX import SummaryWriter

    w = SummaryWriter(str(logdir))
    for i, step in enumerate(STEPS):
        w.add_scalar("tbx/plain", VALUES[i % len(VALUES)], step, walltime=1e9 + i)
        w.add_scalar("tbx/described", float(i), step, walltime=1e9 + i, display_name="D", summary_description="d")
    w.close()


def _write_tf2(logdir):
    """TF2 style: tensor scalars, metadata on each tag's first event only."""
    w = EventFileWriter(str(logdir))
    meta = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"),
        data_class=summary_pb2.DATA_CLASS_SCALAR,
    )
    for i, step in enumerate(STEPS * 2):
        for tag, dtype, field in (
            ("tf2/aa", types_pb2.DT_FLOAT, "float_val"),
            ("tf2/bb", types_pb2.DT_DOUBLE, "double_val"),
        ):
            tensor = tensor_pb2.TensorProto(dtype=dtype, **{field: [VALUES[i % len(VALUES)]]})
            value = summary_pb2.Summary.Value(tag=tag, tensor=tensor)
            if i == 0:
                value.metadata.CopyFrom(meta)
                if tag == "tf2/aa":  # tf.summary.scalar(..., description=)
                    value.metadata.summary_description = "about *aa*"
            w.add_event(event_pb2.Event(wall_time=1e9 + i, step=step, summary=summary_pb2.Summary(value=[value])))
        # a tensor that is not a scalar plugin's, same shape as a scalar: must not become a scalar
        other = summary_pb2.Summary.Value(
            tag="tf2/other", tensor=tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1.0])
        )
        if i == 0:
            other.metadata.plugin_data.plugin_name = "custom_plugin"
        w.add_event(event_pb2.Event(wall_time=1e9 + i, step=step, summary=summary_pb2.Summary(value=[other])))
    w.close()


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("mixed")
    writer = _write_cellboard(root / "cb")
    _write_torch(root / "torch")
    _write_tbx(root / "tbx")
    _write_tf2(root / "tf2")
    return root, writer


@pytest.fixture(autouse=True, params=["numpy", "numba"])
def kernels_on(request, monkeypatch):
    """Every test twice: numpy's byte-matrix grouping, and numba's kernels (the ``fast`` extra)."""
    use_kernels(monkeypatch, request.param == "numba")
    return request.param


def _record_key(rec):
    return tuple(
        (f.name, v.tobytes() + str(v.shape).encode() if isinstance(v, np.ndarray) else v)
        for f in dataclasses.fields(rec)
        for v in [getattr(rec, f.name)]
    )


def _snapshot(store: Store) -> dict:
    """Everything in a store, with floats compared bit for bit (NaN payloads, the sign of zero)."""
    out = {}
    for run in store.runs:
        tags = store.tags(run)
        out[(run, "tags")] = tags
        for tag in tags["scalars"]:
            s = store.scalars(run, tag)
            assert s.steps.dtype == np.int64 and s.wall_times.dtype == np.float64 and s.values.dtype == np.float64
            out[(run, "scalars", tag)] = (
                s.steps.tolist(),
                s.wall_times.view(np.int64).tolist(),
                s.values.view(np.int64).tolist(),
            )
        for kind in ("images", "histograms", "text", "audio", "pr_curves"):
            for tag in tags[kind]:
                out[(run, kind, tag)] = [_record_key(r) for r in getattr(store, kind)(run, tag)]
        out[(run, "hparams")] = [_record_key(r) for r in store.hparams(run)]
    out["descriptions"] = store.descriptions
    return out


@pytest.fixture
def count_fast(monkeypatch):
    """Counts the records the vectorized decoder handled."""
    counter = {"handled": 0}
    real = fastscalars.decode

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        counter["handled"] += int(out.handled.sum())
        return out

    monkeypatch.setattr(fastscalars, "decode", spy)
    return counter


def test_fast_and_slow_paths_give_identical_stores(logdir, count_fast, monkeypatch, kernels_on):
    root, _ = logdir
    grouped = {"numpy": 0, "numba": 0}
    for name, key in (("_grouped", "numpy"), ("_grouped_compiled", "numba")):
        real = getattr(fastscalars, name)
        monkeypatch.setattr(
            fastscalars, name, lambda *a, real=real, key=key: grouped.__setitem__(key, grouped[key] + 1) or real(*a)
        )
    fast = _snapshot(cellboard.load(root))
    handled = count_fast["handled"]
    assert handled > 3 * 60 * len(STEPS)  # the fast path did the bulk of the work
    assert grouped[kernels_on] > 0 and grouped["numba" if kernels_on == "numpy" else "numpy"] == 0
    monkeypatch.setattr(fastscalars, "MAX_RECORD", 0)
    count_fast["handled"] = 0
    slow = _snapshot(cellboard.load(root))
    assert count_fast["handled"] == 0  # everything went record by record
    assert fast.keys() == slow.keys()
    for key in fast:
        assert fast[key] == slow[key], key


def test_both_paths_read_the_values_written(logdir, monkeypatch):
    root, writer = logdir
    for max_record in (fastscalars.MAX_RECORD, 0):
        monkeypatch.setattr(fastscalars, "MAX_RECORD", max_record)
        logs = cellboard.load(root)
        assert "tf2/other" not in logs.tags("tf2")["scalars"]
        assert logs.tags("tf2")["scalars"] == ["tf2/aa", "tf2/bb"]
        bb = logs.scalars("tf2", "tf2/bb")
        assert bb.steps.tolist() == STEPS  # the second pass replaced the first
        np.testing.assert_array_equal(bb.values, [VALUES[i % len(VALUES)] for i in range(len(STEPS), 2 * len(STEPS))])
        for j, style in enumerate(STYLES):
            s = logs.scalars("torch", f"torch/s{j}")
            assert s.steps.tolist() == STEPS
            vals = [VALUES[i % len(VALUES)] for i in range(len(STEPS))]
            expect = vals if style.get("double_precision") else np.float32(vals).astype(np.float64)
            assert s.values.view(np.int64).tolist() == np.asarray(expect, np.float64).view(np.int64).tolist()
        assert logs.scalars("tbx", "tbx/described").values.tolist() == [float(i) for i in range(len(STEPS))]
        assert logs.descriptions == {("tbx", "tbx/described"): ("D", "d"), ("tf2", "tf2/aa"): ("", "about *aa*")}
        # what cellboard.load reads equals what the writer's live store holds
        for tag in writer.store.tags(writer.run)["scalars"]:
            live, read = writer.store.scalars(writer.run, tag), logs.scalars("cb", tag)
            assert live.steps.tolist() == read.steps.tolist(), tag
            assert live.wall_times.tolist() == read.wall_times.tolist(), tag
            assert live.values.view(np.int64).tolist() == read.values.view(np.int64).tolist(), tag
        assert logs.scalars("cb", "t07").steps.tolist() == STEPS  # the third pass replaced the others
        assert len(logs.tags("cb")["scalars"]) == 60 + 100 + 2


@pytest.mark.parametrize("max_record", [fastscalars.MAX_RECORD, 0], ids=["fast", "slow"])
def test_reading_in_pieces_equals_reading_at_once(logdir, monkeypatch, tmp_path, max_record):
    """Polling a growing file (records split anywhere) gives the same store as one read."""
    root, _ = logdir
    monkeypatch.setattr(fastscalars, "MAX_RECORD", max_record)
    whole = Store()
    pieces = Store()
    for run in ("cb", "tf2"):
        RunReader(whole, run, str(root / run)).poll()
        target = tmp_path / run
        target.mkdir()
        reader = RunReader(pieces, run, str(target))
        for name in sorted(os.listdir(root / run)):
            if "tfevents" not in name:
                continue
            data = (root / run / name).read_bytes()
            step = 4099  # not a multiple of any record length
            for start in range(0, len(data), step):
                with open(target / name, "ab") as f:
                    f.write(data[start : start + step])
                reader.poll()
    assert _snapshot(pieces) == _snapshot(whole)
