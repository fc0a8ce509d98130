"""Reading fast without changing what is read: predicted record framing, parallel runs, chunked
reads, the background ``--no-follow`` read, progress bars, and following by notifications."""

from __future__ import annotations

import os
import random
import sys
import time
import warnings

import pytest
from _scans import scan_fields

import cellboard
from cellboard import reader as R
from cellboard.logdir import LogdirFollower, open_logdir
from cellboard.tfevents import messages as M
from cellboard.tfevents import records
from cellboard.tfevents.records import frame, scan_records

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))

WALL = 1_600_000_000.0


def _scalar(tag: str, value: float, step: int) -> bytes:
    return frame(M.event(WALL + step, step, summary=M.summary(M.value(tag, simple_value=value))))


def _periodic_file(steps: int, tags: list[str], rng: random.Random) -> bytes:
    """Scalars of several tags every step (lengths change at steps 128 and 16384), a few odd
    records in between (texts of random length), as a writer would log them."""
    out = [frame(M.event(WALL, file_version=M.FILE_VERSION))]
    for step in range(steps):
        for tag in tags:
            out.append(_scalar(tag, rng.random(), step))
        if rng.random() < 0.002:
            out.append(
                frame(M.event(WALL, step, summary=M.summary(M.value("odd" * rng.randint(1, 30), simple_value=1.0))))
            )
    return b"".join(out)


def _damage(data: bytes, rng: random.Random, hits: int) -> bytes:
    buf = bytearray(data)
    for _ in range(hits):
        i = rng.randrange(len(buf))
        buf[i] ^= 1 << rng.randrange(8)
    return bytes(buf)


@pytest.mark.parametrize("seed", range(12))
def test_predicted_framing_equals_the_record_by_record_walk(seed, monkeypatch):
    rng = random.Random(seed)
    data = _periodic_file(rng.choice([300, 3000, 17000]), [f"t/{i}" for i in range(rng.randint(1, 12))], rng)
    data = _damage(data, rng, rng.choice([0, 1, 3, 20]))
    cut = rng.randrange(len(data) // 2, len(data) + 1)  # sometimes a torn tail
    data = data[:cut]
    fast = scan_records(data)
    fast_nocrc = scan_records(data, check_crc=False)
    monkeypatch.setattr(records, "_MAX_PERIOD", 0)  # no prediction: the plain sequential walk
    slow = scan_records(data)
    assert scan_fields(fast) == scan_fields(slow)
    assert scan_fields(fast_nocrc) == scan_fields(scan_records(data, check_crc=False))


def _write(path, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def _store_dump(store) -> dict:
    out = {}
    for run in store.runs:
        tags = store.tags(run)
        for tag in tags["scalars"]:
            s = store.scalars(run, tag)
            out[(run, tag)] = (s.steps.tolist(), s.wall_times.tolist(), s.values.tolist())
        for kind, names in tags.items():
            if kind != "scalars":
                for tag in names:
                    out[(run, kind, tag)] = [(r.step, r.wall_time) for r in store.records(run, kind, tag)]
    return out


@pytest.fixture
def damaged_dir(tmp_path):
    rng = random.Random(7)
    for r in range(6):
        data = _periodic_file(2000 + 500 * r, ["loss", "acc", "lr"], rng)
        if r % 2:
            data = _damage(data, rng, 5)
        _write(tmp_path / f"run{r}" / "events.out.tfevents.1.h.1.0", data)
    return tmp_path


def _load(path, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store = cellboard.load(path, progress=False, **kw)
    return store, [str(w.message) for w in caught]


def test_parallel_and_chunked_loads_equal_a_sequential_whole_load(damaged_dir, monkeypatch):
    one, warned_one = _load(damaged_dir, workers=1)
    many, warned_many = _load(damaged_dir, workers=4)
    assert warned_one and warned_one == warned_many  # the same warnings, in the same order
    assert _store_dump(one) == _store_dump(many)
    monkeypatch.setattr(R, "READ_CHUNK", 997)  # every file in many small chunks
    chunked, warned_chunked = _load(damaged_dir, workers=3)
    assert _store_dump(chunked) == _store_dump(one)
    assert sorted(warned_chunked) == sorted(warned_one)
    follower = LogdirFollower(str(damaged_dir))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        follower.poll()
        follower.poll()
    assert _store_dump(follower.store) == _store_dump(one)
    assert sorted(str(w.message) for w in caught) == sorted(warned_one)  # once each


def test_no_follow_reads_in_the_background_and_equals_a_blocking_load(damaged_dir):
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        board = open_logdir(damaged_dir, follow=False)
        returned = time.perf_counter() - t0
        assert board.follower.wait(30)
        blocking, _ = _load(damaged_dir)
    assert returned < 1.0
    assert not board.follower.following
    assert _store_dump(board.store) == _store_dump(blocking)
    board.close()


def test_load_progress_bar_and_no_tqdm(tmp_path, monkeypatch, capsys):
    _write(tmp_path / "r" / "events.out.tfevents.1.h.1.0", _periodic_file(50, ["x"], random.Random(0)))
    pytest.importorskip("tqdm")
    cellboard.load(tmp_path, progress=True)
    assert "cellboard.load" in capsys.readouterr().err
    cellboard.load(tmp_path)  # fast: no bar
    cellboard.load(tmp_path, progress=False)
    assert "cellboard.load" not in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # tqdm missing: no bar, no error
    store = cellboard.load(tmp_path, progress=True)
    assert len(store.scalars("r", "x")) == 50


def test_follower_reports_progress(damaged_dir):
    follower = LogdirFollower(str(damaged_dir))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        follower.poll()
    p = follower.progress
    assert p["runs"] == p["runs_read"] == 6 and not p["loading"]
    assert p["bytes_read"] == p["bytes"] > 0


def _p95(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(0.95 * len(xs)))]


@pytest.mark.parametrize("kind", ["raw", "cellboard", "torch"])
def test_following_by_notifications_is_fast(kind):
    pytest.importorskip("watchdog")
    if kind == "torch":
        pytest.importorskip("torch")
    import bench_follow

    lat = bench_follow.measure(kind, notifications=True, points=25, interval=0.04)
    assert len(lat) == 25
    assert _p95(lat) < 0.2, sorted(lat)


def test_polling_fallback_without_notifications():
    import bench_follow

    lat = bench_follow.measure("raw", notifications=False, points=10, interval=0.05, reload_interval=0.3)
    assert len(lat) == 10
    assert max(lat) < 0.3 + 0.5


def test_notifications_pick_up_new_runs_and_files(tmp_path):
    pytest.importorskip("watchdog")
    follower = LogdirFollower(str(tmp_path), reload_interval=30.0).start()  # no poll will help: 30 s
    try:
        deadline = time.monotonic() + 5
        while not follower.watching and time.monotonic() < deadline:
            time.sleep(0.01)
        assert follower.watching
        _write(tmp_path / "new" / "events.out.tfevents.1.h.1.0", _periodic_file(5, ["x"], random.Random(0)))
        _write(tmp_path / "new" / "events.out.tfevents.2.h.1.0", _periodic_file(3, ["y"], random.Random(0)))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if follower.store.runs == ["new"] and follower.store.tags("new")["scalars"] == ["x", "y"]:
                break
            time.sleep(0.02)
        assert follower.store.tags("new")["scalars"] == ["x", "y"]
        assert len(follower.store.scalars("new", "x")) == 5
    finally:
        follower.stop()
    assert not follower.watching


def test_only_a_big_read_starts_compiling_the_record_walk(tmp_path, monkeypatch):
    """numba's walk costs ~1 s and ~130 MiB to load: a small load never starts it; a big one
    does (in the background), and later loads read with it, to the same store."""
    from _kernels import set_kernels

    from cellboard import kernels

    with cellboard.SummaryWriter(str(tmp_path / "run")) as w:
        for step in range(2000):
            w.add_scalar("loss", 1.0 / (step + 1), step)
    set_kernels(monkeypatch, None, "idle")
    started = []
    monkeypatch.setattr(kernels, "get", lambda: started.append(True))
    before = cellboard.load(str(tmp_path), progress=False)
    assert started == []
    monkeypatch.setattr(R, "COMPILED_READ_MIN", 1)  # every read counts as big
    cellboard.load(str(tmp_path), progress=False)
    assert started == [True]
    monkeypatch.undo()
    if kernels.wait() is None:
        pytest.skip("numba is not installed")
    walks = []
    real = records._walk_compiled
    monkeypatch.setattr(records, "_walk_compiled", lambda *a: walks.append(real(*a)) or walks[-1])
    after = cellboard.load(str(tmp_path), progress=False)
    assert (
        sum(count for _, count in walks) == 2001
        and (after.scalars("run", "loss").values == before.scalars("run", "loss").values).all()
    )


@pytest.mark.parametrize(
    ("rec", "tag"),
    [
        ([0, 2, 4, 1, 3, 5], [0, 0, 0, 1, 1, 1]),  # one block per tag, file order within: kept as is
        ([0, 4, 2, 1, 3, 5], [0, 0, 0, 1, 1, 1]),  # out of file order within a tag: sorted
        ([0, 2, 1, 3, 4, 5], [0, 0, 1, 1, 0, 0]),  # a tag in two blocks: sorted
    ],
)
def test_decoded_points_reach_the_store_per_tag_in_file_order(rec, tag):
    from cellboard.store import Store

    store = Store()
    reader = R.RunReader(store, "run", "/nonexistent")
    reader._tags = ["a", "b"]
    points = R._Points()
    points.add(rec, tag, [10 * r for r in rec], [0.0] * 6, [float(r) for r in rec])
    reader._flush_points(points)
    for i, name in enumerate(("a", "b")):
        want = sorted(r for r, t in zip(rec, tag) if t == i)
        assert store.scalars("run", name).steps.tolist() == [10 * r for r in want]
        assert store.scalars("run", name).values.tolist() == [float(r) for r in want]
