"""One unreadable file and one poisoned file between good runs: every good run still loads.

Tests run as root, where ``chmod 000`` does not block reads, so an unreadable file is simulated
with ``LocalFS.read`` raising ``PermissionError``/``OSError(EIO)`` for that one file, or with a
directory entry named like an event file (a FIFO, a directory).
"""

from __future__ import annotations

import errno
import logging
import os
import warnings

import pytest

import cellboard
from cellboard import fs as cfs
from cellboard.logdir import LogdirFollower
from cellboard.tfevents import messages as M
from cellboard.tfevents.records import CorruptRecordWarning, frame

WALL = 1_600_000_000.0
NAME = "events.out.tfevents.1600000000.host.1.0"


def _scalar(tag: str, value: float, step: int) -> bytes:
    return frame(M.event(WALL + step, step, summary=M.summary(M.value(tag, simple_value=value))))


def _poison() -> bytes:
    """CRC-valid, but a scalar-plugin tensor of shape [0]: what made the whole load raise."""
    meta = M.plugin_metadata("scalars", data_class=M.DATA_CLASS_SCALAR)
    tensor = M.tensor(M.DT_FLOAT, (0,), float_val=1.0)
    return frame(M.event(WALL, 1, summary=M.summary(M.value("loss", tensor=tensor, metadata=meta))))


def _write(path, records: list[bytes]) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(frame(M.event(WALL, file_version=M.FILE_VERSION)) + b"".join(records))
    return str(path)


@pytest.fixture
def logdir(tmp_path):
    """Runs a, c, e are good; b has an unreadable file next to a good one; d holds a poisoned record."""
    for run in ("a", "c", "e"):
        _write(tmp_path / run / NAME, [_scalar("loss", float(i), i) for i in range(3)])
    _write(tmp_path / "b" / NAME, [_scalar("loss", 10.0, 0)])
    bad = _write(tmp_path / "b" / NAME.replace(".0", ".1"), [_scalar("loss", 11.0, 1)])
    _write(tmp_path / "d" / NAME, [_scalar("loss", 1.0, 0), _poison(), _scalar("loss", 2.0, 2)])
    return tmp_path, bad


def _unreadable(monkeypatch, path: str, exc: OSError) -> dict:
    """``LocalFS.read`` fails for ``path`` while ``state["broken"]``."""
    state = {"broken": True}
    real = cfs.LocalFS.read

    def read(self, p, start, end, array=False):
        if state["broken"] and os.path.abspath(p) == os.path.abspath(path):
            raise exc
        return real(self, p, start, end, array)

    monkeypatch.setattr(cfs.LocalFS, "read", read)
    return state


def _check_good_runs(store) -> None:
    for run in ("a", "c", "e"):
        assert store.scalars(run, "loss").values.tolist() == [0.0, 1.0, 2.0], run
    assert store.scalars("b", "loss").values.tolist() == [10.0]
    assert store.scalars("d", "loss").values.tolist() == [1.0, 2.0]


EXCEPTIONS = [PermissionError(errno.EACCES, "Permission denied"), OSError(errno.EIO, "Input/output error")]


@pytest.mark.parametrize("exc", EXCEPTIONS, ids=["EACCES", "EIO"])
def test_load_returns_every_good_run(logdir, monkeypatch, exc):
    root, bad = logdir
    _unreadable(monkeypatch, bad, exc)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store = cellboard.load(root)
    _check_good_runs(store)
    assert bad in store.notices, store.notices
    named = [str(w.message) for w in caught if bad in str(w.message)]
    assert len(named) == 1, [str(w.message) for w in caught]
    corrupt = [w for w in caught if issubclass(w.category, CorruptRecordWarning)]
    assert len(corrupt) == 1 and os.path.join("d", NAME) in str(corrupt[0].message)


@pytest.mark.parametrize("exc", EXCEPTIONS, ids=["EACCES", "EIO"])
def test_follower_returns_every_good_run_and_retries_the_bad_file(logdir, monkeypatch, exc):
    root, bad = logdir
    state = _unreadable(monkeypatch, bad, exc)
    follower = LogdirFollower(str(root))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        follower.poll()
        follower.poll()  # still broken: no second warning
    _check_good_runs(follower.store)
    assert bad in follower.store.notices
    assert len([w for w in caught if bad in str(w.message)]) == 1
    state["broken"] = False  # readable again: read on the next poll, notice cleared
    follower.poll()
    assert follower.store.scalars("b", "loss").values.tolist() == [10.0, 11.0]
    assert bad not in follower.store.notices


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_an_entry_named_like_an_event_file_that_is_not_a_file(tmp_path, kind):
    _write(tmp_path / "a" / NAME, [_scalar("loss", 1.0, 0)])
    _write(tmp_path / "z" / NAME, [_scalar("loss", 2.0, 0)])
    odd = tmp_path / "m" / NAME
    odd.parent.mkdir()
    if kind == "fifo":
        os.mkfifo(odd)
    else:
        odd.mkdir()
        _write(odd / "inner" / NAME, [_scalar("x", 3.0, 0)])  # a run inside it still loads
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        store = cellboard.load(tmp_path)
        follower = LogdirFollower(str(tmp_path))
        follower.poll()
    for s in (store, follower.store):
        assert s.scalars("a", "loss").values.tolist() == [1.0]
        assert s.scalars("z", "loss").values.tolist() == [2.0]
        if kind == "directory":
            assert s.scalars(f"m/{NAME}/inner", "x").values.tolist() == [3.0]


def test_a_run_that_raises_is_a_notice_and_following_goes_on(logdir, monkeypatch, caplog):
    """Whatever one run's reader raises, the follower reports it and reads the other runs."""
    root, _ = logdir
    from cellboard import reader

    real_poll = reader.RunReader.poll
    broken = {"on": True}

    def poll(self, sizes=None):
        if broken["on"] and self.run == "c":
            raise RuntimeError("boom")
        return real_poll(self, sizes)

    monkeypatch.setattr(reader.RunReader, "poll", poll)
    follower = LogdirFollower(str(root))
    with caplog.at_level(logging.DEBUG, logger="cellboard.logdir"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        follower.poll()
        follower.poll()
    assert follower.store.scalars("e", "loss").values.tolist() == [0.0, 1.0, 2.0]
    c_dir = os.path.join(str(root), "c")
    assert "boom" in follower.store.notices[c_dir]
    assert len([r for r in caplog.records if r.levelno == logging.WARNING and "boom" in r.getMessage()]) == 1
    broken["on"] = False
    follower.poll()
    assert follower.store.scalars("c", "loss").values.tolist() == [0.0, 1.0, 2.0]
    assert c_dir not in follower.store.notices


def test_the_log_directory_vanishing_is_a_notice(tmp_path):
    import shutil

    root = tmp_path / "logs"
    _write(root / "a" / NAME, [_scalar("loss", 1.0, 0)])
    follower = LogdirFollower(str(root))
    follower.poll()
    shutil.rmtree(root)
    follower.poll()
    assert "does not exist" in follower.store.notices[str(root)]
    assert follower.store.scalars("a", "loss").values.tolist() == [1.0]  # what was read stays
    _write(root / "a" / NAME, [_scalar("loss", 1.0, 0), _scalar("loss", 2.0, 1)])
    follower.poll()
    assert str(root) not in follower.store.notices


def test_background_follower_survives_a_failing_listing(tmp_path, monkeypatch):
    """The follower thread never dies: a listing that raises is a notice, and it keeps polling."""
    import time

    _write(tmp_path / "a" / NAME, [_scalar("loss", 1.0, 0)])
    follower = LogdirFollower(str(tmp_path), reload_interval=0.02)
    calls = {"n": 0}
    real = cfs.LocalFS.event_files

    def event_files(self, root):
        calls["n"] += 1
        if calls["n"] <= 3:
            raise OSError(errno.EIO, "Input/output error")
        return real(self, root)

    monkeypatch.setattr(cfs.LocalFS, "event_files", event_files)
    follower.start()
    try:
        deadline = time.monotonic() + 10
        # the run appears before its points: wait for the points (no race on a loaded machine)
        while time.monotonic() < deadline and not ("a" in follower.store.runs and follower.store.tags("a")["scalars"]):
            time.sleep(0.02)
        assert follower.following
        assert follower.store.scalars("a", "loss").values.tolist() == [1.0]
        assert str(tmp_path) not in follower.store.notices  # cleared once the listing worked
    finally:
        follower.stop()


def test_the_board_of_a_followed_directory_shows_the_notice_and_clears_it(logdir, monkeypatch):
    """What could not be read reaches the view as a notice (never a silent gap), and goes away
    once the file reads: ``cellboard.open`` -> follower -> store -> board -> delta ``notices``."""
    root, bad = logdir
    state = _unreadable(monkeypatch, bad, PermissionError(errno.EACCES, "Permission denied"))
    sent: list[dict] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        board = cellboard.open(root, background=False)
    try:
        board.send = lambda content, buffers=None: sent.append(content)
        board._on_msg(board, {"type": "hello"}, [])
        notices = [c["notices"] for c in sent if "notices" in c][-1]
        assert [n["source"] for n in notices] == [bad]
        assert "Permission denied" in notices[0]["message"]
        state["broken"] = False
        board.follower.poll()
        board.send_pending()
        assert [c["notices"] for c in sent if "notices" in c][-1] == []
    finally:
        board.close()
