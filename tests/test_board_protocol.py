"""The Board's wire protocol, with the comm captured: deltas only, throttling, hello, decimation."""

from __future__ import annotations

import time

import numpy as np
import pytest

import cellboard
from cellboard.board import MAX_MESSAGE_BYTES, MAX_RAW_POINTS, Board
from cellboard.board.messages import bucket_size, fold_sizes, minmax_buckets


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
            for e in content.get("entries", {}).get("scalars", []):
                if (e["run"], e["tag"]) != (run, tag):
                    continue
                cols = np.frombuffer(buffers[e["buffer"]], "<f8").reshape(3, e["count"])
                if e.get("fold_count"):  # first reduce what is held: groups of fold_size -> min/max
                    size, count = e["fold_size"], e["fold_count"]
                    assert len(steps) >= size * count, "a fold needs the points it folds"
                    held_part = slice(0, size * count)
                    steps, _w, values = minmax_buckets(steps[held_part], steps[held_part], values[held_part], size)
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
    entries = [e for c, _ in cap.messages for e in c["entries"].get("scalars", [])]
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
    content = {
        "entries": {
            k: [e for c, _ in cap.messages for e in c["entries"].get(k, [])]
            for k in ("scalars", "images", "histograms", "text")
        }
    }
    assert [(e["offset"], e["count"]) for e in content["entries"]["scalars"]] == [(0, 50)]
    assert len(content["entries"]["images"]) == 1 and content["entries"]["images"][0]["mime"] == "image/png"
    assert content["entries"]["text"][0]["text"] == "*hi*"
    h = content["entries"]["histograms"][0]
    buf = next(b for c, bs in cap.messages for e in c["entries"].get("histograms", []) for b in [bs[e["buffer"]]])
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
    entry = cap.messages[-1][0]["entries"]["scalars"][-1]
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
    for _, buffers in cap.messages:
        assert sum(map(len, buffers)) <= MAX_MESSAGE_BYTES
    assert sorted(e["index"] for c, _ in cap.messages for e in c["entries"].get("images", [])) == list(range(40))


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr("cellboard.board.widget.time.monotonic", c)
    return c


def _log_every_tick(
    board: Board, clock: Clock, seconds: float, tags: int = 1, per_tick: int = 1, tick: float = 0.1, start_step: int = 0
) -> int:
    """Append ``per_tick`` points to each tag every ``tick`` s of fake time; returns points logged."""
    step = start_step
    for _ in range(round(seconds / tick)):
        steps = np.arange(step, step + per_tick)
        for t in range(tags):
            board.store.append_scalars("r", f"tag{t:03d}", steps, steps * 0.5, np.sin(steps + t))
        step += per_tick
        board.send_pending()
        clock.t += tick
    return (step - start_step) * tags


def test_keyframes_resend_everything_until_a_view_says_hello(clock):
    """Messages sent before the frontend model exists are lost, and a busy kernel reads no hello:
    full resends at 0.5, 1, 2, 4, 8, 16 s after the first send, none after that."""
    board = Board(interval=0.1)
    cap = Captured(board)
    _log_every_tick(board, clock, 30.0)
    syncs = [(c["seq"], c["sync"], c.get("sync_end", False)) for c, _ in cap.messages if "sync" in c]
    assert [s for _, s, _ in syncs] == [1, 2, 3, 4, 5, 6]
    assert all(end for _, _, end in syncs)  # small deltas: each group is one message
    starts = {c["sync"]: [e["offset"] for e in c["entries"]["scalars"]] for c, _ in cap.messages if "sync" in c}
    assert all(offsets == [0] for offsets in starts.values())  # everything, from offset 0
    # everything else is a plain append (after the very first message)
    plain = [e for c, _ in cap.messages if "sync" not in c for e in c["entries"].get("scalars", [])]
    assert plain[0]["offset"] == 0 and all(e["offset"] > 0 for e in plain[1:])
    steps, _ = cap.scalars("r", "tag000")
    np.testing.assert_array_equal(steps, np.arange(300))


def test_a_complete_view_is_not_sent_everything_again(clock):
    board = Board(interval=0.1)
    cap = Captured(board)
    _log_every_tick(board, clock, 1.0)
    n = len(cap.messages)
    board._on_msg(board, {"type": "hello", "complete": True, "seq": board.seq}, [])
    assert len(cap.messages) == n  # nothing new, nothing resent
    _log_every_tick(board, clock, 30.0, start_step=10)
    assert not any("sync" in c for c, _ in cap.messages[n:])  # confirmed: no more keyframes
    # a view that missed something asks again: one full resend, as one sync group
    board._on_msg(board, {"type": "hello", "complete": False, "seq": board.seq}, [])
    group = [c for c, _ in cap.messages if c.get("sync") == board._sync]
    assert group and group[-1].get("sync_end") is True
    assert [e["offset"] for c in group for e in c["entries"]["scalars"]] == [0]


def test_traffic_stays_proportional_to_new_data_with_many_tags(clock):
    """100 tags logged every 20 ms for 60 s, no hello (a busy kernel): bytes sent at most ~2x the
    points' own bytes (24 B each), where resending until hello sent 100x."""
    board = Board(interval=0.1)
    Captured(board)
    points = _log_every_tick(board, clock, 60.0, tags=100, per_tick=5)
    ratio = board.bytes_sent / (24 * points)
    assert ratio <= 2.1, ratio


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
    assert [e["step"] for e in content["entries"]["images"]] == [0, 1, 2]


def _entries(cap: Captured, kind: str) -> list[tuple[dict, bytes | None]]:
    return [
        (e, bs[e["buffer"]] if "buffer" in e else None) for c, bs in cap.messages for e in c["entries"].get(kind, [])
    ]


def test_every_record_kind_reaches_the_view(board_writer, tmp_path):
    board, w, cap = board_writer
    snd = np.sin(np.linspace(0, 20, 400)) * 0.5
    w.add_audio("voice", snd, 3, sample_rate=8000)
    labels, preds = np.array([0, 1, 1, 0, 1]), np.array([0.1, 0.9, 0.6, 0.4, 0.8])
    w.add_pr_curve("pr", labels, preds, 4, num_thresholds=11)
    w.add_custom_scalars({"losses": {"both": ["Multiline", ["loss/.*"]], "band": ["Margin", ["m", "lo", "hi"]]}})
    w.add_hparams({"lr": 0.1, "layers": 3, "opt": "adam"}, {"acc": 0.9}, run_name="trial")
    w.flush()
    board.send_pending()

    ((audio, wav),) = _entries(cap, "audio")
    assert (audio["run"], audio["tag"], audio["step"], audio["sample_rate"], audio["mime"]) == (
        "run",
        "voice",
        3,
        8000.0,
        "audio/wav",
    )
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"

    ((pr, buf),) = _entries(cap, "pr_curves")
    assert pr["thresholds"] == 11 and pr["step"] == 4
    table = np.frombuffer(buf, "<f8").reshape(6, 11)
    expected = cellboard.summaries.pr_curve_counts(labels, preds, 11)
    np.testing.assert_allclose(table, expected.astype(np.float64))

    ((cs, none),) = _entries(cap, "custom_scalars")
    assert none is None
    assert cs["layout"] == [
        {
            "title": "losses",
            "closed": False,
            "charts": [
                {"title": "both", "multiline": ["loss/.*"]},
                {"title": "band", "margin": [{"value": "m", "lower": "lo", "upper": "hi"}]},
            ],
        }
    ]

    hp = {e["tag"]: e for e, _ in _entries(cap, "hparams")}
    assert hp["_hparams_/session_start_info"]["run"] == "run/trial"
    assert hp["_hparams_/session_start_info"]["hparams"] == {"lr": 0.1, "layers": 3, "opt": "adam"}
    assert hp["_hparams_/experiment"]["metrics"] == ["acc"]
    # the metric's values are the session run's scalar series
    assert cap.scalars("run/trial", "acc")[1].tolist() == [pytest.approx(0.9)]


def test_a_purge_resets_every_record_kind():
    from cellboard.store import AudioRecord, PrCurveRecord, TextRecord

    board = Board(interval=0.0)
    cap = Captured(board)
    board._on_msg(board, {"type": "hello"}, [])
    board.store.append_records("r", "text", "t", [TextRecord(i, 0.0, f"s{i}") for i in range(4)])
    board.store.append_records("r", "audio", "a", [AudioRecord(i, 0.0, b"RIFF", 8000.0) for i in range(4)])
    board.store.append_records(
        "r", "pr_curves", "p", [PrCurveRecord(i, 0.0, np.zeros((6, 3), np.float32)) for i in range(4)]
    )
    cap.messages.clear()
    board.store.purge("r", 2)
    content = cap.messages[-1][0]
    assert sorted(r["kind"] for r in content["reset"]) == ["audio", "pr_curves", "text"]
    for kind in ("text", "audio", "pr_curves"):
        assert [e["step"] for e in content["entries"][kind]] == [0, 1]


def test_notices_reach_the_view_and_clear():
    board = Board(interval=0.0)
    cap = Captured(board)
    board._on_msg(board, {"type": "hello"}, [])
    cap.messages.clear()
    board.store.set_notice("runs/b/events.out.tfevents.1", "PermissionError: denied")
    assert cap.messages[-1][0]["notices"] == [
        {"source": "runs/b/events.out.tfevents.1", "message": "PermissionError: denied"}
    ]
    board.store.set_notice("runs/b/events.out.tfevents.1", None)
    assert cap.messages[-1][0]["notices"] == []
    n = len(cap.messages)
    board._on_msg(board, {"type": "hello"}, [])  # a late view gets the current (empty) list too
    assert all("notices" in c for c, _ in cap.messages[n:][:1])


def test_descriptions_reach_the_view_with_their_tags_and_again_on_hello():
    board = Board(interval=0.0)
    cap = Captured(board)
    board._on_msg(board, {"type": "hello"}, [])
    cap.messages.clear()
    board.store.describe("r", "loss", "", "Training **loss**")  # as the reader learns it: before the points
    board.store.append_scalars("r", "loss", [0], [1.0], [0.5])
    sent = [c for c, _ in cap.messages]
    with_desc = [i for i, c in enumerate(sent) if "descriptions" in c]
    with_points = [i for i, c in enumerate(sent) if c["entries"].get("scalars")]
    assert len(with_desc) == 1 and with_desc[0] <= with_points[0]  # never after the card's first points
    described = sent[with_desc[0]]["descriptions"]
    assert described == [{"run": "r", "tag": "loss", "display_name": "", "description": "Training **loss**"}]
    n = len(cap.messages)
    board.store.describe("r", "loss", "", "a later description")  # the first one stays: nothing is sent
    board.store.append_scalars("r", "loss", [1], [2.0], [0.25])
    assert all("descriptions" not in c for c, _ in cap.messages[n:])
    n = len(cap.messages)
    board._on_msg(board, {"type": "hello"}, [])  # a late view gets the whole list
    assert [c["descriptions"] for c, _ in cap.messages[n:] if "descriptions" in c] == [described]


def test_show_displays_exactly_one_board(tmp_path, monkeypatch):
    import IPython.display

    shown = []

    class Handle:
        def update(self, *a, **k) -> None:
            pass

    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append(a) or Handle())
    w = cellboard.SummaryWriter(str(tmp_path / "r"))
    try:
        # show() returns None, so `writer.show()` as a cell's last line cannot display it again
        assert w.show() is None
        assert len(shown) == 1
        assert w.board.show() is None and len(shown) == 2
    finally:
        w.close()
        w.board.close()


def test_the_view_stays_within_the_point_budget_as_runs_arrive():
    """Runs loaded one after another (a big directory): series sent early under a bigger share are
    re-bucketed, so the view never holds much more than the 2M-point budget."""
    from cellboard.board import TOTAL_POINTS_BUDGET

    board = Board(interval=0.0)
    cap = Captured(board)
    board._on_msg(board, {"type": "hello", "complete": True, "seq": 0}, [])
    steps = np.arange(4000)
    for r in range(50):
        for t in range(20):
            board.store.append_scalars(f"run{r:02d}", f"tag{t:02d}", steps, steps * 1.0, np.cos(steps * (t + 1)))
    board.send_pending()
    held: dict[tuple[str, str], int] = {}
    for content, _ in cap.messages:
        for e in content["entries"].get("scalars", []):
            held[(e["run"], e["tag"])] = e["offset"] + e["count"]
    assert len(held) == 1000
    assert sum(held.values()) <= 1.05 * TOTAL_POINTS_BUDGET, sum(held.values())
    assert board.bytes_sent <= 3 * 24 * TOTAL_POINTS_BUDGET  # re-bucketing costs a bounded resend


def _adversarial(n: int, seed: int) -> np.ndarray:
    """Values with ties, plateaus, signed zeros, infinities and NaNs."""
    rng = np.random.default_rng(seed)
    v = rng.integers(-3, 4, n).astype(np.float64)  # many equal values: first-occurrence rules matter
    v[rng.random(n) < 0.05] = np.nan
    v[rng.random(n) < 0.02] = np.inf
    v[rng.random(n) < 0.02] = -np.inf
    v[rng.random(n) < 0.05] = -0.0
    v[100:300] = 1.5  # a plateau spanning buckets
    return v


@pytest.mark.parametrize("old", [1, 2, 4, 16])
@pytest.mark.parametrize("factor", [2, 4, 32])
def test_folding_held_buckets_equals_bucketing_the_raw_points(old, factor):
    """What a view holds under one bucket, folded (docs/protocol.md "fold"), is exactly what the
    board would send for the bigger bucket: so a shrinking share costs no resend."""
    n = 10_000 + 37
    steps = np.arange(n, dtype=np.float64)
    for seed in range(3):
        values = _adversarial(n, seed)
        if old == 1:
            hs, hv = steps, values
        else:
            hs, _w, hv = minmax_buckets(steps, steps, values, old)
        size, count = fold_sizes(old, len(hs), old * factor)
        assert count == n // (old * factor)
        fs, _w, fv = minmax_buckets(hs[: size * count], hs[: size * count], hv[: size * count], size)
        ds, _w, dv = minmax_buckets(steps, steps, values, old * factor)
        np.testing.assert_array_equal(fs, ds[: 2 * count])
        np.testing.assert_array_equal(fv, dv[: 2 * count])  # NaN == NaN here, and -0.0 == 0.0
        np.testing.assert_array_equal(np.signbit(fv), np.signbit(dv[: 2 * count]))


def test_nothing_folds_when_the_bucket_shrinks_or_too_little_is_held():
    assert fold_sizes(4, 1000, 2) == (0, 0)
    assert fold_sizes(4, 6, 16) == (0, 0)  # 3 old buckets: not one whole new bucket
    assert fold_sizes(1, 50, 16) == (16, 3)
    assert fold_sizes(8, 50, 32) == (8, 6)


def _held(cap: Captured, board: Board) -> dict[tuple[str, str], int]:
    out = {}
    for run in board.store.runs:
        for tag in board.store.tags(run)["scalars"]:
            out[(run, tag)] = len(cap.scalars(run, tag)[0])
    return out


def _fill_like_a_directory(board: Board, runs: int, tags: int, steps: int, listed: bool) -> None:
    """Runs arriving one after another, as a directory's first read fills the store (``listed``:
    the reader reports how many runs it found, as ``LogdirFollower`` does)."""
    x = np.arange(steps, dtype=np.float64)
    for r in range(runs):
        if listed:
            board.store.set_progress({"runs_read": r, "runs": runs, "bytes_read": 0, "bytes": 1, "loading": True})
        for t in range(tags):
            board.store.append_scalars(f"run{r:03d}", f"tag{t:02d}", x, x, np.sin(x * (t + 1) + r))
        board.send_pending()
    if listed:
        board.store.set_progress({"runs_read": runs, "runs": runs, "bytes_read": 1, "bytes": 1, "loading": False})
    board.send_pending()


@pytest.mark.parametrize("listed", [True, False])
def test_the_budget_holds_and_traffic_stays_bounded_as_many_runs_arrive(listed):
    """2,000 series of 4,000 points: the view never holds more than the budget, what it holds is
    exactly the board's min/max buckets of every point, and the bytes sent stay near one budget's
    worth (a directory: the first run is sent at its final share; writers appearing one by one:
    series sent early are folded in the view, never resent)."""
    from cellboard.board import TOTAL_POINTS_BUDGET

    board = Board(interval=0.0)
    cap = Captured(board)
    board._on_msg(board, {"type": "hello", "complete": True, "seq": 0}, [])
    _fill_like_a_directory(board, runs=100, tags=20, steps=4000, listed=listed)
    held = _held(cap, board)
    assert len(held) == 2000
    assert sum(held.values()) <= TOTAL_POINTS_BUDGET
    bucket = bucket_size(4000, board._cap)
    x = np.arange(4000, dtype=np.float64)
    for run, tag in [("run000", "tag00"), ("run050", "tag07"), ("run099", "tag19")]:
        s, v = cap.scalars(run, tag)
        want = minmax_buckets(x, x, np.sin(x * (int(tag[3:]) + 1) + int(run[3:])), bucket)
        full = 4000 // bucket * bucket
        np.testing.assert_array_equal(s, np.concatenate([want[0], x[full:]]))
        np.testing.assert_array_equal(v[: len(want[2])], want[2])
    final_bytes = 24 * sum(held.values())
    assert board.bytes_sent <= (1.1 if listed else 2.0) * final_bytes, (board.bytes_sent, final_bytes)


def test_a_zoomed_view_of_a_decimated_series_gets_every_point_of_its_range():
    board = Board(interval=0.0)
    cap = Captured(board)
    board._on_msg(board, {"type": "hello"}, [])
    _fill_like_a_directory(board, runs=100, tags=20, steps=4000, listed=True)
    steps, _ = cap.scalars("run042", "tag03")
    assert len(steps) < 4000  # the view holds a reduced series
    board._on_msg(board, {"type": "range", "id": 9, "run": "run042", "tag": "tag03", "x0": 1000, "x1": 1499}, [])
    content, buffers = cap.messages[-1]
    assert content["type"] == "range" and content["id"] == 9 and not content["decimated"]
    cols = np.frombuffer(buffers[0], "<f8").reshape(3, content["count"])
    x = np.arange(1000, 1500, dtype=np.float64)
    np.testing.assert_array_equal(cols[0], x)
    np.testing.assert_array_equal(cols[2], np.sin(x * 4 + 42))


def test_a_directory_read_in_chunks_is_sent_once_at_its_final_resolution(tmp_path, monkeypatch):
    """The reader tells the store how many points a series of a run being read will hold (its
    points so far, extrapolated by the bytes still to read): the board sends each series at its
    final bucket, never resent, though every run arrives in many chunks."""
    from cellboard import reader
    from cellboard.board import messages
    from cellboard.logdir import LogdirFollower

    monkeypatch.setattr(reader, "READ_CHUNK", 32 << 10)
    monkeypatch.setattr(messages, "TOTAL_POINTS_BUDGET", 8192)
    monkeypatch.setattr(messages, "MIN_SERIES_POINTS", 64)
    steps, tags, runs = 6000, 4, 3
    x = np.arange(steps, dtype=np.float64)
    for r in range(runs):
        with cellboard.SummaryWriter(str(tmp_path / f"run{r}")) as w:
            for s in range(steps):
                for t in range(tags):
                    w.add_scalar(f"tag{t}", float(np.sin(s * (t + 1) * 0.01 + r)), s)
    follower = LogdirFollower(str(tmp_path), notifications=False)
    board = Board(follower.store, interval=0.0)
    cap = Captured(board)
    board._on_msg(board, {"type": "hello", "complete": True, "seq": 0}, [])
    follower.poll()
    board.send_pending()
    entries = [e for content, _ in cap.messages for e in content.get("entries", {}).get("scalars", [])]
    per_series: dict[tuple[str, str], list[dict]] = {}
    for e in entries:
        per_series.setdefault((e["run"], e["tag"]), []).append(e)
    assert len(per_series) == runs * tags
    bucket = bucket_size(steps, board._cap)
    assert bucket > 1
    for (run, tag), es in per_series.items():
        assert len(es) > 1, "each run arrives in several chunks"
        assert [e["offset"] for e in es if e["offset"] == 0] == [0], "sent once from offset 0, never resent"
        # only the first run folds, while its first chunk reveals how many series there are
        assert run == "run0" or not any(e.get("fold_count") for e in es)
        s, v = cap.scalars(run, tag)
        want = minmax_buckets(x, x, np.sin(x * (int(tag[3:]) + 1) * 0.01 + int(run[3:])).astype(np.float32), bucket)
        full = steps // bucket * bucket
        np.testing.assert_array_equal(s, np.concatenate([want[0], x[full:]]))
        np.testing.assert_array_equal(v[: len(want[2])], want[2])
    # every point sent once, plus the raw tail of a partial bucket that each message repeats
    held = sum(len(cap.scalars(*k)[0]) for k in per_series)
    assert sum(e["count"] for e in entries) <= held + len(entries) * bucket


def test_every_setting_the_view_syncs_is_a_board_trait():
    """The view's synced settings (js/src/settings.ts) are the Board's traits, with the same defaults;
    ignore_outliers is on, as TensorBoard's charts."""
    import re
    from pathlib import Path

    src = (Path(__file__).resolve().parents[1] / "js" / "src" / "settings.ts").read_text()
    synced = re.findall(r'"(\w+)"', re.search(r"export const SYNCED = \[(.*?)\] as const", src, re.S).group(1))
    block = re.search(r"export const DEFAULTS: Settings = \{(.*?)\};", src, re.S).group(1)
    defaults = dict(re.findall(r"(\w+): ([\w.\"]+)", block))
    board = Board()
    assert set(synced) <= set(board.trait_names(sync=True))
    assert board.ignore_outliers is True and defaults["ignore_outliers"] == "true"
    assert "pinned" in synced and board.pinned == [] and "pinned: []" in block
    assert "run_colors" in synced and board.run_colors == {} and "run_colors: {}" in block
    for name in ("smoothing", "x_axis", "log_y", "ignore_outliers", "tag_filter", "run_filter", "title"):
        want = getattr(board, name)
        got = defaults[name]
        assert got == (
            str(want).lower() if isinstance(want, bool) else f'"{want}"' if isinstance(want, str) else str(want)
        ), name


def test_run_colors_take_hex_colours_and_name_the_run_of_a_bad_one():
    """The run colours a user picks (or sets from Python) are "#rrggbb", as the view's picker and
    the snapshot take them; a bad one is refused with the run and what was expected."""
    import traitlets

    board = Board(run_colors={"runs/a": "#FF7043", "runs/b": "#17b"})
    assert board.run_colors == {"runs/a": "#ff7043", "runs/b": "#1177bb"}
    for bad in ("red", "#12345", "ff7043", 7):
        with pytest.raises(traitlets.TraitError, match=r"run_colors\['runs/c'\] must be a colour like '#1f77b4'"):
            board.run_colors = {"runs/c": bad}
    assert board.run_colors == {"runs/a": "#ff7043", "runs/b": "#1177bb"}  # unchanged
