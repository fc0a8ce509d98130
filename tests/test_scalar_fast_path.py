"""add_scalar's hot path (a lock-free append) and the column-wise batch encoder behind it write
exactly the events the per-record encoder writes, in call order, and keep every guarantee."""

from __future__ import annotations

import math
import os
import threading
import time

import numpy as np
import pytest
from _tbutil import event_files, legacy_acc, raw_events

import cellboard
from cellboard import writer as W
from cellboard.kinds import scalars as K
from cellboard.tfevents import messages as M
from cellboard.tfevents.filewriter import Framed
from cellboard.tfevents.records import frame

EDGE_STEPS = [0, 1, 127, 128, 16383, 16384, 2**35, 2**63 - 1, -1, -(2**63), 5]
EDGE_VALUES = [0.0, -0.0, 1.5, math.nan, -math.nan, math.inf, -math.inf, 1e39, -1e39, 3.4028235e38, 1e-46, math.pi]
TAGS = ["a", "loss/x", "ü" * 50, "t" * 200]  # one-byte and multi-byte UTF-8, lengths over 127


def _batch(n: int, seed: int, styles=(0, 1, 2)):
    rng = np.random.default_rng(seed)
    tags = [TAGS[i] for i in rng.integers(0, len(TAGS), n)]
    style = [int(s) for s in rng.choice(styles, n)]
    steps = [int(s) for s in rng.choice(np.array(EDGE_STEPS, dtype=object), n)]
    walls = (rng.random(n) * 2e9).tolist()
    values = [float(v) for v in rng.choice(np.array(EDGE_VALUES, dtype=object), n)]
    return tags, style, steps, walls, values


def _reference_frames(tags, styles, steps, walls, values) -> bytes:
    """Each event built from the message encoders (independent of summary_parts)."""
    out = []
    for tag, style, step, wall, v in zip(tags, styles, steps, walls, values):
        if style == K.LEGACY:
            with np.errstate(over="ignore"):  # beyond float32's range: +-inf, as protobuf stores it
                val = M.value(tag, simple_value=float(np.float32(v)))
        else:
            with np.errstate(over="ignore"):  # beyond float32's range: +-inf
                if style == K.NEW_DOUBLE:
                    tensor = M.tensor(M.DT_DOUBLE, double_val=v)
                else:
                    tensor = M.tensor(M.DT_FLOAT, float_val=v)
            val = M.value(tag, tensor=tensor, metadata=M.plugin_metadata("scalars", data_class=M.DATA_CLASS_SCALAR))
        out.append(frame(M.event(wall, step, summary=M.summary(val))))
    return b"".join(out)


@pytest.mark.parametrize("n", [1, K._SMALL_BATCH - 1, K._SMALL_BATCH, 500, 4099])
def test_batch_encoder_writes_the_reference_bytes(n):
    args = _batch(n, seed=n)
    got = K.encode_batch(*args, {})
    loop = K._encode_loop(*args, {})
    assert got.frames == loop.frames == _reference_frames(*args)
    assert got.count == n
    for tag, cols in loop.columns.items():
        for a, b in zip(got.columns[tag], cols):
            assert np.array_equal(a, b, equal_nan=True)


def test_store_columns_hold_what_the_file_holds():
    args = _batch(300, seed=1)
    got = K.encode_batch(*args, {})
    for tag in set(args[0]):
        idx = [i for i, t in enumerate(args[0]) if t == tag]
        want = []
        for i in idx:
            v = args[4][i]
            if args[1][i] != K.NEW_DOUBLE:
                with np.errstate(over="ignore"):
                    v = float(np.float32(v))  # float32 as stored; beyond its range: +-inf
            want.append(v)
        steps, walls, values = got.columns[tag]
        assert steps.tolist() == [args[2][i] for i in idx] and walls.tolist() == [args[3][i] for i in idx]
        assert np.array_equal(values, want, equal_nan=True)


@pytest.mark.parametrize("k", [4096, 4097, 4099, 30])
def test_periodic_and_broken_tag_patterns_keep_call_order(k):
    tags = [["a", "bb", "ccc"][i % 3] for i in range(k)]
    steps, walls, values = list(range(1000, 1000 + k)), [1e9 + i for i in range(k)], [float(i) for i in range(k)]
    for pattern in (tags, [*tags[:5], "a", *tags[6:]], ["bb", *tags[1:]]):
        args = (pattern, [0] * k, steps, walls, values)
        assert K.encode_batch(*args, {}).frames == _reference_frames(*args)


def _records(path):
    (f,) = event_files(path)
    return raw_events(f)[1:]  # after file_version


def test_hot_path_writes_in_call_order_with_other_kinds(tmp_path):
    w = cellboard.SummaryWriter(tmp_path)
    w.add_scalar("loss", 0.5, 1)  # validates the tag: the later calls take the hot path
    w.add_scalar("loss", 0.25, 2)
    w.add_text("note", "between", 2)
    w.add_scalar("acc", 3, 3)  # an int value
    w.add_scalar("loss", 0.125, 3, new_style=True, double_precision=True)
    w.close()
    evs = _records(tmp_path)
    got = [(e.step, e.summary.value[0].tag) for e in evs]
    assert got == [(1, "loss"), (2, "loss"), (2, "note/text_summary"), (3, "acc"), (3, "loss")]
    assert evs[3].summary.value[0].simple_value == 3.0
    logs = cellboard.load(tmp_path)
    assert logs.scalars(".", "loss").values.tolist() == [0.5, 0.25, 0.125]
    assert w.store.scalars(w.run, "loss").values.tolist() == [0.5, 0.25, 0.125]


def test_hot_path_refuses_what_the_slow_path_refuses(tmp_path):
    w = cellboard.SummaryWriter(tmp_path)
    w.add_scalar("x", 1.0, 0)
    with pytest.raises(ValueError, match="global_step must fit in a signed 64-bit int"):
        w.add_scalar("x", 1.0, 2**63)
    with pytest.raises(OverflowError):
        w.add_scalar("x", 10**400, 1)
    with pytest.raises(TypeError, match="tag must be a non-empty str"):
        w.add_scalar(["x"], 1.0, 1)
    with pytest.raises(TypeError, match="scalar_value must be a number"):
        w.add_scalar("x", "1.0", 1)
    w.add_scalar("x", True, 3)  # bool: as before, through the validating path
    w.add_scalar("x", 2.0, 2**63 - 1)
    w.close()
    assert legacy_acc(tmp_path).Scalars("x")[1].value == 1.0
    assert cellboard.load(tmp_path).scalars(".", "x").steps.tolist() == [0, 3, 2**63 - 1]


def test_bytes_reach_the_os_within_the_drain_interval_without_further_calls(tmp_path):
    w = cellboard.SummaryWriter(tmp_path)
    w.add_scalar("x", 1.0, 0)
    w._drain()
    (f,) = event_files(tmp_path)
    size = os.path.getsize(f)
    w.add_scalar("x", 2.0, 1)  # hot path: queued, written by the ticker when due
    deadline = time.monotonic() + 2.0
    while os.path.getsize(f) == size and time.monotonic() < deadline:
        time.sleep(0.01)
    assert os.path.getsize(f) > size
    w.close()


def test_a_full_batch_is_written_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(W, "DRAIN_BATCH", 64)
    w = cellboard.SummaryWriter(tmp_path, flush_secs=3600)
    w._drain_at = math.inf  # not due by time: only the batch size triggers the drain
    for i in range(64):
        w.add_scalar("x", float(i), i)
    assert not w._queue
    assert w.store.scalars(w.run, "x").steps.tolist() == list(range(64))
    w.close()


def test_appends_racing_a_drain_are_never_lost(tmp_path):
    w = cellboard.SummaryWriter(tmp_path)
    stop = threading.Event()

    def drain():
        while not stop.is_set():
            w._drain()

    t = threading.Thread(target=drain)
    t.start()
    for i in range(20_000):
        w.add_scalar("x", float(i), i)
    stop.set()
    t.join()
    w.close()
    assert cellboard.load(tmp_path).scalars(".", "x").steps.tolist() == list(range(20_000))


def test_dropped_framed_batches_count_their_records():
    from collections import deque

    from cellboard.tfevents import filewriter as FW

    f = FW.EventFileWriter.__new__(FW.EventFileWriter)
    f._pending, f._pending_bytes, f._dropped = deque(), 0, 0
    big = Framed(bytes(FW.PENDING_LIMIT), 1000)  # 1000 records
    f._queue([big, b"x" * 10])
    assert f._dropped == 1000 and list(f._pending) == [b"x" * 10]
