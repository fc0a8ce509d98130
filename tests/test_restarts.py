"""A step logged again replaces its series from that step on, as TensorBoard's data server shows it.

A run resumed from a checkpoint into the same log directory logs steps 5.. again after 0..9; a
loop that passes the epoch as the step logs many values at one step. TensorBoard's data server
(the default reader since TensorBoard 2.5) keeps, of each series, the records that no later record
of it reaches down to; drawn in step order, the two passes interleaved into a zigzag on our
board. Checked against a reference of that rule, and against TensorBoard itself on a log directory
torch's writer wrote.
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.request

import numpy as np
import pytest
from _tbutil import kept_by_tensorboard
from test_board_protocol import Captured

from cellboard.board import Board
from cellboard.kinds.scalars import ScalarColumn
from cellboard.restarts import survivors
from cellboard.store import ImageRecord, Store, TextRecord


def random_steps(rng, n: int) -> list[int]:
    """Steps with resumptions, repeats and jumps."""
    out, s = [], 0
    for _ in range(n):
        r = rng.random()
        s = max(0, s - int(rng.integers(0, 8))) if r < 0.1 else s if r < 0.25 else s + int(rng.integers(1, 4))
        out.append(s)
    return out


def test_survivors_follow_kept_by_tensorboard():
    assert survivors(np.arange(5)) is None  # strictly increasing: all stay, nothing allocated
    assert survivors(np.array([3])) is None
    steps = [0, 1, 1, 1, 2, 0, 3]
    assert np.flatnonzero(survivors(np.array(steps))).tolist() == kept_by_tensorboard(steps) == [5, 6]
    rng = np.random.default_rng(0)
    for _ in range(300):
        steps = random_steps(rng, int(rng.integers(1, 60)))
        keep = survivors(np.array(steps, np.int64))
        got = list(range(len(steps))) if keep is None else np.flatnonzero(keep).tolist()
        assert got == kept_by_tensorboard(steps), steps


def _batches(rng, n: int) -> list[tuple[int, int]]:
    """``[a, b)`` bounds that split ``n`` records into 1-6 non-empty batches."""
    cuts = sorted({0, n, *rng.integers(0, n + 1, int(rng.integers(0, 6))).tolist()})
    return list(itertools.pairwise(cuts))


def test_scalar_series_in_any_batches_keep_what_tensorboard_keeps():
    rng = np.random.default_rng(1)
    for _ in range(200):
        steps = random_steps(rng, int(rng.integers(1, 80)))
        col = ScalarColumn()
        for a, b in _batches(rng, len(steps)):
            col.append(np.array(steps[a:b]), np.arange(a, b, dtype=np.float64), np.arange(a, b, dtype=np.float64))
        kept = kept_by_tensorboard(steps)
        got = col.snapshot()
        assert got.steps.tolist() == [steps[i] for i in kept]
        assert got.values.tolist() == [float(i) for i in kept]  # each kept point is the last one logged
        assert (np.diff(got.steps) > 0).all()
        assert got.replaced == len(steps) - len(kept)  # the board and cellboard.load say how many


def test_record_series_keep_what_tensorboard_keeps_and_visdom_windows_keep_all():
    rng = np.random.default_rng(2)
    for _ in range(100):
        steps = random_steps(rng, int(rng.integers(1, 40)))
        store = Store()
        for a, b in _batches(rng, len(steps)):
            store.append_records("r", "text", "t", [TextRecord(steps[i], float(i), f"#{i}") for i in range(a, b)])
        kept = kept_by_tensorboard(steps)
        assert [r.text for r in store.text("r", "t")] == [f"#{i}" for i in kept]
        assert store.replaced("r", "text", "t") == len(steps) - len(kept)
    # a Visdom window's operations are not a series over steps: every one stays
    store = Store()
    store.append_records("r", "plots", "win", ["op0", "op1"])  # plots records are never looked at by step here
    assert store.records("r", "plots", "win") == ["op0", "op1"]


def test_the_samples_of_one_event_stay_together():
    """TensorFlow logs several images (or clips) in one event: records of one step and wall time.
    They are one reservoir item in TensorBoard: kept together, and replaced together."""
    steps, walls = np.array([1, 2, 2, 2, 3]), np.array([1.0, 2.0, 2.0, 2.0, 3.0])
    assert survivors(steps, walls) is None
    assert survivors(steps) is not None  # without walls: each record its own event
    relogged = np.array([1, 2, 2, 2, 1]), np.array([1.0, 2.0, 2.0, 2.0, 9.0])
    assert survivors(*relogged).tolist() == [False, False, False, False, True]
    again = np.array([1, 2, 2, 2, 2]), np.array([1.0, 2.0, 2.0, 2.0, 9.0])  # step 2 logged again
    assert survivors(*again).tolist() == [True, False, False, False, True]
    store = Store()
    png = b"\x89PNG"
    store.append_records("r", "images", "s", [ImageRecord(2, 2.0, png, 1, 1), ImageRecord(2, 2.0, png, 1, 1)])
    store.append_records("r", "images", "s", [ImageRecord(2, 2.0, png, 1, 1)])  # the same event, read later
    assert len(store.images("r", "s")) == 3
    store.append_records("r", "images", "s", [ImageRecord(2, 5.0, png, 1, 1)])  # a new event at step 2
    assert [r.wall_time for r in store.images("r", "s")] == [5.0]


def test_a_step_logged_again_resets_what_the_view_holds():
    board = Board(interval=0.0)
    cap = Captured(board)
    board._on_msg(board, {"type": "hello"}, [])
    png = b"\x89PNG"
    board.store.append_records("r", "images", "img", [ImageRecord(i, 0.0, png, 2, 2) for i in range(5)])
    board.store.append_scalars("r", "loss", np.arange(5), np.zeros(5), np.arange(5.0))
    cap.messages.clear()

    # resumed from step 2: the view drops what it holds of both and gets the series again
    board.store.append_records("r", "images", "img", [ImageRecord(2, 1.0, png, 2, 2)])
    content = cap.messages[-1][0]
    assert content["reset"] == [{"kind": "images", "run": "r", "tag": "img"}]
    assert [(e["step"], e["wall"]) for e in content["entries"]["images"]] == [(0, 0.0), (1, 0.0), (2, 1.0)]
    board.store.append_scalars("r", "loss", np.array([2, 3]), np.ones(2), np.array([20.0, 30.0]))
    steps, values = cap.scalars("r", "loss")
    assert steps.tolist() == [0, 1, 2, 3] and values.tolist() == [0.0, 1.0, 20.0, 30.0]


def test_a_cut_followed_by_more_records_before_a_send_still_resets():
    """Counting alone missed it: cut to 2 records, then 4 more appended before the board sent
    (6 held, 5 sent): the view kept its stale records. The store's epoch says so."""
    board = Board(interval=3600.0)  # sends only when asked
    cap = Captured(board)
    board._on_msg(board, {"type": "hello"}, [])
    board.store.append_records("r", "text", "t", [TextRecord(i, 0.0, f"a{i}") for i in range(5)])
    board.send_pending()
    cap.messages.clear()
    board.store.purge("r", 2)
    board.store.append_records("r", "text", "t", [TextRecord(i, 0.0, f"b{i}") for i in range(2, 6)])
    board.send_pending()
    content = cap.messages[-1][0]
    assert content["reset"] == [{"kind": "text", "run": "r", "tag": "t"}]
    assert [e["step"] for e in content["entries"]["text"]] == [0, 1, 2, 3, 4, 5]


# ------------------------------------------------------------------ TensorBoard itself


def _get(url: str):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def test_tensorboard_shows_what_cellboard_loads_after_a_resumed_run(tmp_path):
    """torch's writer: steps 0-9, then a second writer in the same directory resumes from step 5
    (no purge_step), and a tag logged every batch with the epoch as its step. TensorBoard's server
    and ``cellboard.load`` give the same points, images, histograms and texts."""
    from e2e.tensorboard_server import tensorboard
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    from cellboard import load

    run = tmp_path / "run"
    rng = np.random.default_rng(3)
    for start, stop, offset in ((0, 10, 0.0), (5, 13, 100.0)):
        w = TorchWriter(str(run))
        for s in range(start, stop):
            w.add_scalar("loss", offset + s, s)
            w.add_text("note", f"pass {offset:.0f} step {s}", s)
            w.add_histogram("weights", rng.normal(offset + s, 1, 50), s)
            if s % 2 == 0:  # at most 10 in all: TensorBoard samples 10 images a tag by default
                w.add_image("sample", np.full((3, 2, 2), (offset + s) / 200), s)
            for batch in range(3):  # the epoch as the step: the last value of each wins
                w.add_scalar("per_epoch", offset + 10 * s + batch, s // 4)
        w.close()
        time.sleep(1.1)  # torch names event files by the second: the second file sorts after the first

    data = load(str(tmp_path), progress=False)
    ours = {
        "loss": data.scalars("run", "loss"),
        "per_epoch": data.scalars("run", "per_epoch"),
    }
    assert ours["loss"].steps.tolist() == list(range(13))
    assert (ours["loss"].replaced, ours["per_epoch"].replaced) == (18 - 13, 3 * (10 + 8) - 4)
    assert data.replaced("run", "scalars", "loss") == 5 and data.replaced("run", "images", "sample") == 2
    with pytest.raises(ValueError, match="kind must be 'scalars' or one of"):
        data.replaced("run", "image", "sample")
    assert ours["loss"].values.tolist() == [float(s) for s in range(5)] + [100.0 + s for s in range(5, 13)]
    texts = [(r.step, r.text) for r in data.text("run", "note/text_summary")]
    assert [t for _, t in texts][4:6] == ["pass 0 step 4", "pass 100 step 5"]
    hist_steps = [r.step for r in data.histograms("run", "weights")]
    image_steps = [r.step for r in data.images("run", "sample")]

    def theirs(base: str) -> dict:
        q = "run=run&tag="
        scalars = {t: _get(f"{base}/data/plugin/scalars/scalars?{q}{t}") for t in ("loss", "per_epoch")}
        text = _get(f"{base}/data/plugin/text/text?{q}note/text_summary")
        hist = _get(f"{base}/data/plugin/histograms/histograms?{q}weights")
        images = _get(f"{base}/data/plugin/images/images?{q}sample&sample=0")
        return {
            "scalars": {t: [(s, v) for _, s, v in rows] for t, rows in scalars.items()},
            "text": [e["step"] for e in text],
            "hist": [s for _, s, _ in hist],
            "images": [e["step"] for e in images],
        }

    expected = {
        "scalars": {t: [(int(s), float(v)) for s, v in zip(c.steps, c.values, strict=True)] for t, c in ours.items()},
        "text": [s for s, _ in texts],
        "hist": hist_steps,
        "images": image_steps,
    }
    with tensorboard(tmp_path) as base:
        deadline = time.monotonic() + 60
        while True:  # TensorBoard loads in the background: until it holds both files
            try:
                got = theirs(base)
            except OSError:
                got = None
            if got == expected or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert got is not None
    assert got["scalars"] == expected["scalars"]
    assert got["text"] == [s for s, _ in texts] == list(range(13))
    assert got["hist"] == hist_steps == list(range(13))
    assert got["images"] == image_steps == list(range(0, 13, 2))
    # steps 5-7 logged again at epoch 1 replaced epochs 1 and 2; of each epoch, the last batch's value
    assert expected["scalars"]["per_epoch"] == [(0, 32.0), (1, 172.0), (2, 212.0), (3, 222.0)]
