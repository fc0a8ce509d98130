"""The Board's wire protocol, with the comm captured: deltas only, throttling, hello, decimation."""

from __future__ import annotations

import time

import numpy as np
import pytest

import cellboard
from cellboard.board import MAX_MESSAGE_BYTES, MAX_RAW_POINTS, Board


class Captured:
    def __init__(self, board: Board) -> None:
        self.messages: list[tuple[dict, list[bytes]]] = []
        board.send = lambda content, buffers=None: self.messages.append((content, list(buffers or [])))

    def scalars(self, run: str, tag: str):
        """Replay every scalar entry with the protocol's truncate-then-append rule."""
        held: list[np.ndarray] = []
        steps = np.zeros(0)
        values = np.zeros(0)
        for content, buffers in self.messages:
            for e in content.get("scalars", []):
                if (e["run"], e["tag"]) != (run, tag):
                    continue
                cols = np.frombuffer(buffers[e["buffer"]], "<f8").reshape(3, e["count"])
                assert e["offset"] <= len(steps), "a delta must never leave a gap"
                steps = np.concatenate([steps[: e["offset"]], cols[0]])
                values = np.concatenate([values[: e["offset"]], cols[2]])
                held.append(cols)
        return steps, values


@pytest.fixture
def board_writer(tmp_path):
    board = Board(interval=0.05)
    cap = Captured(board)
    board._on_msg(board, {"type": "hello"}, [])  # a view is there
    cap.messages.clear()
    w = board.writer(str(tmp_path / "run"))
    yield board, w, cap
    w.close()
    board.close()


def test_view_receives_every_point_as_deltas(board_writer):
    board, w, cap = board_writer
    for i in range(1000):
        w.add_scalar("loss", 1.0 / (i + 1), i)
        if i % 250 == 0:
            time.sleep(0.06)
    w.flush()
    board.send_pending()
    steps, values = cap.scalars("run", "loss")
    np.testing.assert_array_equal(steps, np.arange(1000))
    np.testing.assert_allclose(values, np.float32(1.0 / (np.arange(1000) + 1)))
    entries = [e for c, _ in cap.messages for e in c["scalars"]]
    assert len(entries) >= 2, "live updates arrive in several deltas"
    # deltas only: each point is sent once
    assert sum(e["count"] for e in entries) == 1000


def test_messages_are_throttled(board_writer):
    board, w, cap = board_writer
    t0 = time.monotonic()
    i = 0
    while time.monotonic() - t0 < 1.0:
        w.add_scalar("a", float(i), i)
        w.add_scalar("b", float(-i), i)
        i += 1
        if i % 20 == 0:
            time.sleep(0.001)  # a training loop, not a tight benchmark: stays under MAX_RAW_POINTS
    w.flush()
    board.send_pending()
    elapsed = time.monotonic() - t0
    assert 1000 < i < MAX_RAW_POINTS
    # at most one message per interval (0.05 s) plus the final flush
    assert len(cap.messages) <= elapsed / 0.05 + 3
    assert cap.scalars("run", "a")[0].size == i


def test_hello_resends_everything_from_zero(board_writer):
    board, w, cap = board_writer
    for i in range(50):
        w.add_scalar("x", float(i), i)
    w.add_text("note", "*hi*", 3)
    w.add_image("img", np.zeros((3, 4, 4), np.uint8), 1)
    w.add_histogram("h", np.arange(100.0), 2)
    w.flush()
    board.send_pending()
    cap.messages.clear()
    board._on_msg(board, {"type": "hello"}, [])
    content = {k: [e for c, _ in cap.messages for e in c.get(k, [])] for k in ("scalars", "images", "histograms",
                                                                             "text")}
    assert [(e["offset"], e["count"]) for e in content["scalars"]] == [(0, 50)]
    assert len(content["images"]) == 1 and content["images"][0]["mime"] == "image/png"
    assert content["text"][0]["text"] == "*hi*"
    h = content["histograms"][0]
    buf = next(b for c, bs in cap.messages for e in c["histograms"] for b in [bs[e["buffer"]]])
    arr = np.frombuffer(buf, "<f8")
    assert arr.size == 2 * h["k"] + 1 and arr[h["k"] + 1 :].sum() == 100


def test_nothing_new_sends_nothing(board_writer):
    board, w, cap = board_writer
    w.add_scalar("x", 1.0, 0)
    w.flush()
    board.send_pending()
    n = len(cap.messages)
    board.send_pending()
    board.send_pending()
    assert len(cap.messages) == n


def test_long_series_is_decimated_without_losing_spikes():
    board = Board(interval=0.0)
    cap = Captured(board)
    board._on_msg(board, {"type": "hello"}, [])
    n = 3 * MAX_RAW_POINTS + 17
    steps = np.arange(n)
    values = np.sin(steps / 1000.0)
    values[123_457] = 50.0  # a spike
    values[250_001] = -40.0
    board.store.append_scalars("r", "t", steps, steps * 0.1, values)
    s, v = cap.scalars("r", "t")
    entry = cap.messages[-1][0]["scalars"][-1]
    assert entry["decimated"] and entry["total"] == n
    assert len(v) <= MAX_RAW_POINTS + 64
    assert v.max() == 50.0 and v.min() == -40.0
    assert np.all(np.diff(s) > 0), "buckets keep step order"
    # appending keeps cost proportional to the new data
    before = board.bytes_sent
    board.store.append_scalars("r", "t", np.arange(n, n + 10), np.zeros(10), np.zeros(10))
    board.send_pending()
    assert board.bytes_sent - before < 64 * 24 * 2 + 10 * 24 * 4
    assert cap.scalars("r", "t")[0][-1] == n + 9


def test_messages_stay_under_the_size_limit():
    board = Board(interval=0.0)
    cap = Captured(board)
    board._on_msg(board, {"type": "hello"}, [])
    rng = np.random.default_rng(0)
    recs = []
    from cellboard.store import ImageRecord

    for i in range(40):
        noise = rng.integers(0, 255, (256, 256, 3), dtype=np.uint8)
        png = cellboard.summaries.encode_png(noise)[0]
        recs.append(ImageRecord(i, 0.0, png, 256, 256))
    board.store.append_records("r", "images", "noise", recs)
    assert len(cap.messages) > 1
    for content, buffers in cap.messages:
        assert sum(map(len, buffers)) <= MAX_MESSAGE_BYTES
    assert sorted(e["index"] for c, _ in cap.messages for e in c["images"]) == list(range(40))


def test_before_hello_small_series_are_resent_whole(tmp_path):
    """Messages sent before the view loads are lost; until it says hello, resend small series."""
    board = Board(interval=0.0)
    cap = Captured(board)
    w = board.writer(str(tmp_path / "r"))
    w.add_scalar("x", 1.0, 0)
    w.flush()
    w.add_scalar("x", 2.0, 1)
    w.flush()
    offsets = [e["offset"] for c, _ in cap.messages for e in c["scalars"]]
    assert offsets and all(o == 0 for o in offsets)
    w.close()


def test_range_request_returns_full_resolution():
    board = Board(interval=0.0)
    cap = Captured(board)
    board._on_msg(board, {"type": "hello"}, [])
    n = 4 * MAX_RAW_POINTS
    board.store.append_scalars("r", "t", np.arange(n), np.zeros(n), np.arange(n, dtype=float))
    cap.messages.clear()
    board._on_msg(board, {"type": "range", "id": 7, "run": "r", "tag": "t", "x0": 1000, "x1": 1999}, [])
    content, buffers = cap.messages[-1]
    assert content["type"] == "range" and content["id"] == 7 and not content["decimated"]
    cols = np.frombuffer(buffers[0], "<f8").reshape(3, content["count"])
    np.testing.assert_array_equal(cols[0], np.arange(1000, 2000))


def test_close_publishes_png_snapshot(tmp_path, monkeypatch):
    board = Board(interval=0.0)
    Captured(board)
    updates = []

    class Handle:
        def update(self, data, **kw):
            updates.append(data)

    board._handle = Handle()
    w = board.writer(str(tmp_path / "r"))
    for i in range(20):
        w.add_scalar("train/loss", 1 / (i + 1), i)
    w.close()
    assert updates and "image/png" in updates[-1]
    assert "application/vnd.jupyter.widget-view+json" in updates[-1]
    import base64

    png = base64.b64decode(updates[-1]["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_purged_records_are_reset_in_the_view():
    from cellboard.store import ImageRecord

    board = Board(interval=0.0)
    cap = Captured(board)
    board._on_msg(board, {"type": "hello"}, [])
    png = cellboard.summaries.encode_png(np.zeros((2, 2, 3), np.uint8))[0]
    board.store.append_records("r", "images", "img", [ImageRecord(i, 0.0, png, 2, 2) for i in range(5)])
    cap.messages.clear()
    board.store.purge("r", 3)  # a restart from step 3
    content = cap.messages[-1][0]
    assert content["reset"] == [{"kind": "images", "run": "r", "tag": "img"}]
    assert [e["step"] for e in content["images"]] == [0, 1, 2]
