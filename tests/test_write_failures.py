"""A failing event-file write (ENOSPC, EIO, a vanished directory) never loses data silently.

The records stay queued (bounded: past the cap the oldest are dropped, with a warning giving
the count), one warning names the error, the next ``add_*``/``flush()``/``close()`` raises it,
the live store stays complete, and once the disk recovers the records are written in order.
Failures are injected by replacing ``os.write``/``os.open`` for event files only.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
import warnings

import numpy as np
import pytest
from _tbutil import legacy_acc

import cellboard
from cellboard.tfevents import filewriter
from cellboard.tfevents.filewriter import EventFileWarning


class Disk:
    """Makes writes (and creations) of event files fail with ``err`` while ``full`` is set;
    with ``partial``, the failing write first takes that many bytes (a torn record)."""

    def __init__(self, monkeypatch, err: int = errno.ENOSPC) -> None:
        self.full, self.err, self.partial = False, err, 0
        self.calls = 0
        real_write, real_open = os.write, os.open

        def is_event_fd(fd: int) -> bool:
            try:
                return "tfevents" in os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                return False

        def write(fd, data):
            if self.full and is_event_fd(fd):
                self.calls += 1
                if self.partial:
                    n, self.partial = self.partial, 0
                    return real_write(fd, bytes(data)[:n])
                raise OSError(self.err, os.strerror(self.err))
            return real_write(fd, data)

        def open_(path, flags, mode=0o777, *, dir_fd=None):
            if self.full and "tfevents" in os.fspath(path):
                raise OSError(self.err, os.strerror(self.err), os.fspath(path))
            return real_open(path, flags, mode, dir_fd=dir_fd)

        monkeypatch.setattr(os, "write", write)
        monkeypatch.setattr(os, "open", open_)


def _steps(logdir, run=".", tag="x"):
    try:
        return cellboard.load(logdir).scalars(run, tag).steps.tolist()
    except KeyError:  # nothing on disk yet
        return []


def _ours(records):
    return [r for r in records if issubclass(r.category, EventFileWarning)]


def test_enospc_in_a_background_drain_then_recovery(tmp_path, monkeypatch):
    disk = Disk(monkeypatch)
    w = cellboard.SummaryWriter(tmp_path)
    for i in range(2):
        w.add_scalar("x", float(i), i)
    w.flush()
    disk.full = True
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        for i in range(2, 6):
            w.add_scalar("x", float(i), i)
        time.sleep(0.5)  # the background ticker drains, fails, retries
        assert disk.calls >= 1
        ours = _ours(rec)
        assert len(ours) == 1, [str(r.message) for r in ours]
        assert "No space left on device" in str(ours[0].message)
        # the live store has every point
        assert w.store.scalars(w.run, "x").steps.tolist() == [0, 1, 2, 3, 4, 5]
        # the next call raises it, once
        with pytest.raises(OSError, match="No space left on device") as info:
            w.add_scalar("x", 6.0, 6)
        assert info.value.errno == errno.ENOSPC
        w.add_scalar("x", 7.0, 7)
        # flush() cannot put it on disk: it says so every time
        with pytest.raises(OSError, match="No space left"):
            w.flush()
        assert len(_ours(rec)) == 1  # still the one warning
    disk.full = False
    w.flush()
    assert _steps(tmp_path) == [0, 1, 2, 3, 4, 5, 6, 7]
    w.add_scalar("x", 8.0, 8)
    w.close()
    assert _steps(tmp_path) == list(range(9))
    assert [e.step for e in legacy_acc(tmp_path).Scalars("x")] == list(range(9))


def test_recovery_in_the_background(tmp_path, monkeypatch):
    """Nobody calls flush(): the ticker retries, and the records reach the disk by themselves."""
    disk = Disk(monkeypatch, errno.EIO)
    w = cellboard.SummaryWriter(tmp_path)
    disk.full = True
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        for i in range(10):
            w.add_scalar("x", float(i), i)
        time.sleep(0.3)
        disk.full = False
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _steps(tmp_path) != list(range(10)):
            time.sleep(0.05)
    assert _steps(tmp_path) == list(range(10))
    with pytest.raises(OSError, match="Input/output error"):  # told once, even though it recovered
        w.add_scalar("x", 10.0, 10)
    w.close()
    assert _steps(tmp_path) == list(range(11))


def test_a_torn_write_is_completed_first(tmp_path, monkeypatch):
    """The disk takes half a batch, then fails: the rest of the cut record is written first."""
    disk = Disk(monkeypatch)
    w = cellboard.SummaryWriter(tmp_path)
    w.flush()
    disk.full, disk.partial = True, 45  # inside the second scalar record
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        for i in range(20):
            w.add_scalar("x", float(i), i)
        with pytest.raises(OSError, match="No space left"):
            w.flush()
        disk.full = False
        w.close()
    assert not [r for r in rec if "Corrupt" in r.category.__name__]
    assert _steps(tmp_path) == list(range(20))
    assert [e.step for e in legacy_acc(tmp_path).Scalars("x")] == list(range(20))


def test_close_while_failing_raises_and_keeps_everything(tmp_path, monkeypatch):
    disk = Disk(monkeypatch)
    w = cellboard.SummaryWriter(tmp_path)
    w.add_image("img", np.zeros((3, 4, 4), np.uint8), 0)
    disk.full = True
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        w.add_scalar("x", 1.0, 1)
        with pytest.raises(OSError, match="No space left"):
            w.close()
        with pytest.raises(OSError, match="No space left"):
            w.close()  # still failing, still open
    disk.full = False
    w.close()
    logs = cellboard.load(tmp_path)
    assert logs.scalars(".", "x").steps.tolist() == [1] and len(logs.images(".", "img")) == 1


def test_a_sub_run_created_while_the_disk_is_full(tmp_path, monkeypatch):
    """add_scalars creates files while draining: their creation is retried, nothing lost."""
    disk = Disk(monkeypatch)
    w = cellboard.SummaryWriter(tmp_path)
    disk.full = True
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            for i in range(5):
                w.add_scalars("m", {"a": float(i), "b": -float(i)}, i)
        except OSError as exc:  # raised by the add_* after the failing drain
            assert exc.errno == errno.ENOSPC
        with pytest.raises(OSError, match="No space left"):
            w.flush()
        assert len(_ours(rec)) == 1
    disk.full = False
    w.close()
    logs = cellboard.load(tmp_path)
    assert logs.scalars("m_a", "m").steps.tolist() == list(range(5))
    assert logs.scalars("m_b", "m").values.tolist() == [-float(i) for i in range(5)]


def test_memory_cap_drops_the_oldest_with_a_count(tmp_path, monkeypatch):
    monkeypatch.setattr(filewriter, "PENDING_LIMIT", 2000)  # bytes: ~50 scalar records
    disk = Disk(monkeypatch)
    w = cellboard.SummaryWriter(tmp_path)
    w.flush()
    disk.full = True
    n = 400
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        for i in range(n):
            try:
                w.add_scalar("x", float(i), i)
            except OSError:
                pass
            if i % 50 == 49:
                w._drain()
        disk.full = False
        w.close()
    dropped = 0
    for r in _ours(rec):
        msg = str(r.message)
        if "dropped the" in msg:
            dropped += int(msg.split("dropped the ")[1].split()[0])
    assert dropped > 0
    on_disk = _steps(tmp_path)
    # the newest survive, in order; the count in the warnings is exactly what is missing
    assert on_disk == list(range(n - len(on_disk), n))
    assert len(on_disk) + dropped == n
    assert w.store.scalars(w.run, "x").steps.tolist() == list(range(n))  # the live board kept all


def test_a_run_directory_removed_while_writing(tmp_path):
    """An unlinked file accepts writes that nobody will read: recreate it, say so, lose nothing."""
    run = tmp_path / "run"
    w = cellboard.SummaryWriter(run)
    for i in range(5):
        w.add_scalar("x", float(i), i)
    w.flush()
    shutil.rmtree(run)
    with warnings.catch_warnings(record=True) as rec:  # the ticker may be the one to notice
        warnings.simplefilter("always")
        for i in range(5, 10):
            w.add_scalar("x", float(i), i)
        w.flush()
    assert ["was deleted while being written" in str(r.message) for r in _ours(rec)] == [True]
    w.close()
    assert _steps(run) == list(range(10))
