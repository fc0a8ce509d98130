"""Torn, corrupted, empty and restarted event files: what is read, what is skipped, what is warned."""

from __future__ import annotations

import os
import struct
import threading
import warnings

import numpy as np
import pytest
from _tbutil import decode_png, legacy_acc

import cellboard
from cellboard import kinds
from cellboard.reader import RunReader
from cellboard.store import Store
from cellboard.tfevents import messages as M
from cellboard.tfevents.records import CorruptRecordWarning, frame, scan_records

WALL = 1_600_000_000.0
NAME = "events.out.tfevents.1600000000.testhost.1.0"


def scalar_event(tag, value, step, wall=None):
    return M.event(WALL + step if wall is None else wall, step, summary=M.summary(M.value(tag, simple_value=value)))


def image_event(tag, step, level):
    from cellboard.summaries import encode_png

    png, h, w, cs = encode_png(np.full((2, 3, 1), level, np.uint8))
    return M.event(WALL + step, step, summary=M.summary(M.value(tag, image=M.image(h, w, cs, png))))


def start_event(step):
    return M.event(WALL + 1000 + step, step, session_log=M.session_log(M.SESSION_START))


def header():
    return frame(M.event(WALL, file_version=M.FILE_VERSION))


def write_file(path, events, with_header=True):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write((header() if with_header else b"") + b"".join(frame(e) for e in events))
    return path


def record_offsets(data):
    """Start offset (of the 12-byte header) of every record in a file's bytes."""
    scan = scan_records(data)
    return [s - 12 for s in scan.starts]


def run_with_timeout(fn, seconds=20):
    out = {}

    def target():
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            out["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "reading hung"
    if "error" in out:
        raise out["error"]
    return out["value"]


# --------------------------------------------------------------------------- torn tail


@pytest.mark.parametrize("where", ["in_length", "in_header_crc", "in_payload", "in_footer_crc"])
def test_truncated_last_record_is_read_once_completed(tmp_path, where):
    events = [scalar_event("loss", float(i) / 4, i) for i in range(5)] + [image_event("img", 5, 77)]
    src = write_file(str(tmp_path / "src" / NAME), events)
    data = open(src, "rb").read()
    last = record_offsets(data)[-1]
    cut = {"in_length": last + 3, "in_header_crc": last + 10, "in_payload": last + 30, "in_footer_crc": len(data) - 2}[
        where
    ]
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    target = run_dir / NAME
    target.write_bytes(data[:cut])

    store = Store()
    reader = RunReader(store, "run", str(run_dir))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a torn tail is not corruption
        assert reader.poll() == 6  # header + 5 scalars
        assert store.tags("run")["images"] == []
        sc = store.scalars("run", "loss")
        assert sc.steps.tolist() == [0, 1, 2, 3, 4] and sc.values.tolist() == [0, 0.25, 0.5, 0.75, 1.0]
        assert reader.poll() == 0  # nothing new: the partial record is not read again
        with open(target, "ab") as f:
            f.write(data[cut:])
        assert reader.poll() == 1
    (img,) = store.images("run", "img")
    assert (img.step, img.wall_time, img.width, img.height) == (5, WALL + 5, 3, 2)
    assert len(store.scalars("run", "loss")) == 5  # nothing read twice


def test_records_growing_one_byte_at_a_time(tmp_path):
    events = [scalar_event(f"t{i % 3}", float(i), i) for i in range(12)]
    data = open(write_file(str(tmp_path / "src" / NAME), events), "rb").read()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    store = Store()
    reader = RunReader(store, "run", str(run_dir))
    with open(run_dir / NAME, "wb") as f:
        for b in range(len(data)):
            f.write(data[b : b + 1])
            f.flush()
            if b % 7 == 0:
                reader.poll()
    reader.poll()
    for k in range(3):
        sc = store.scalars("run", f"t{k}")
        assert sc.steps.tolist() == list(range(k, 12, 3)) and sc.values.tolist() == [float(s) for s in range(k, 12, 3)]


# --------------------------------------------------------------------------- corruption


def _corrupt_payload(data, offset):
    buf = bytearray(data)
    buf[offset + 12 + 3] ^= 0xFF  # a payload byte: the data CRC no longer matches
    return bytes(buf)


def _garbage_with_valid_crc(data, offset):
    (length,) = struct.unpack_from("<Q", data, offset)
    garbage = b"\x0f" * length  # wire type 7: not a protobuf message
    return data[:offset] + frame(garbage) + data[offset + 12 + length + 4 :]


@pytest.mark.parametrize("corrupt,why", [(_corrupt_payload, "CRC mismatch"), (_garbage_with_valid_crc, "bad protobuf")])
@pytest.mark.parametrize("victim", [2, 6], ids=["scalar", "image"])
def test_corrupted_record_is_skipped_with_one_warning(tmp_path, corrupt, why, victim):
    events = [scalar_event("loss", float(i), i) for i in range(5)] + [
        image_event("img", 5, 10),
        image_event("img", 6, 20),
        image_event("img", 7, 30),
    ]
    path = str(tmp_path / "run" / NAME)
    write_file(path, events)
    data = open(path, "rb").read()
    offset = record_offsets(data)[victim]  # record 0 is the header
    open(path, "wb").write(corrupt(data, offset))

    with pytest.warns(CorruptRecordWarning) as caught:
        logs = run_with_timeout(lambda: cellboard.load(tmp_path))
    msgs = [str(w.message) for w in caught if issubclass(w.category, CorruptRecordWarning)]
    assert len(msgs) == 1, msgs
    assert path in msgs[0] and f"byte {offset}" in msgs[0] and why in msgs[0]

    lost_step = victim - 1
    sc = logs.scalars("run", "loss")
    assert sc.steps.tolist() == [s for s in range(5) if s != lost_step]
    assert sc.values.tolist() == [float(s) for s in range(5) if s != lost_step]
    assert [r.step for r in logs.images("run", "img")] == [s for s in (5, 6, 7) if s != lost_step]


@pytest.mark.parametrize("corrupt,why", [(_corrupt_payload, "CRC mismatch"), (_garbage_with_valid_crc, "bad protobuf")])
def test_corrupted_record_among_many_of_equal_length(tmp_path, corrupt, why):
    """Hundreds of records of one length (CRCs checked in bulk): only the damaged one is lost."""
    path = str(tmp_path / "run" / NAME)
    write_file(path, [scalar_event("loss", float(i), 100 + i) for i in range(300)])
    data = open(path, "rb").read()
    offsets = record_offsets(data)
    victim = 150
    open(path, "wb").write(corrupt(data, offsets[victim + 1]))
    with pytest.warns(CorruptRecordWarning) as caught:
        logs = run_with_timeout(lambda: cellboard.load(tmp_path))
    msgs = [str(w.message) for w in caught if issubclass(w.category, CorruptRecordWarning)]
    assert len(msgs) == 1 and f"byte {offsets[victim + 1]}" in msgs[0] and why in msgs[0], msgs
    sc = logs.scalars("run", "loss")
    assert sc.steps.tolist() == [100 + i for i in range(300) if i != victim]
    assert sc.values.tolist() == [float(i) for i in range(300) if i != victim]


def test_length_corrupted_to_a_smaller_value_resyncs_at_the_next_record(tmp_path):
    path = str(tmp_path / "run" / NAME)
    write_file(path, [scalar_event("a", float(i), i) for i in range(20)])
    data = bytearray(open(path, "rb").read())
    offset = record_offsets(bytes(data))[6]
    data[offset] -= 5  # still inside the file: the framing after it is lost
    open(path, "wb").write(bytes(data))
    with pytest.warns(CorruptRecordWarning, match=f"byte {offset} "):
        logs = run_with_timeout(lambda: cellboard.load(tmp_path))
    # framing is lost at that record only: reading resumes at the next valid record (records.py)
    assert logs.scalars("run", "a").steps.tolist() == [0, 1, 2, 3, 4, *list(range(6, 20))]


def test_corrupted_record_warns_once_across_polls(tmp_path):
    path = str(tmp_path / NAME)
    write_file(path, [scalar_event("a", 1.0, 1), scalar_event("a", 2.0, 2)])
    data = open(path, "rb").read()
    open(path, "wb").write(_corrupt_payload(data, record_offsets(data)[1]))
    store = Store()
    reader = RunReader(store, ".", str(tmp_path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reader.poll()
        reader.poll()
        with open(path, "ab") as f:
            f.write(frame(scalar_event("a", 3.0, 3)))
        reader.poll()
    assert len([w for w in caught if issubclass(w.category, CorruptRecordWarning)]) == 1
    assert store.scalars(".", "a").steps.tolist() == [2, 3]


def test_corrupted_length_does_not_hang_and_keeps_earlier_records(tmp_path):
    path = str(tmp_path / "run" / NAME)
    write_file(path, [scalar_event("a", float(i), i) for i in range(4)])
    data = bytearray(open(path, "rb").read())
    offset = record_offsets(bytes(data))[3]
    data[offset + 7] = 0x7F  # a length of ~2**62: its CRC no longer matches
    open(path, "wb").write(bytes(data))
    with pytest.warns(CorruptRecordWarning, match=f"byte {offset}"):
        logs = run_with_timeout(lambda: cellboard.load(tmp_path))
    assert logs.scalars("run", "a").steps.tolist() == [0, 1, 3]  # resynchronised after the bad length


# --------------------------------------------------------------------------- empty files and dirs


@pytest.mark.parametrize("content", ["empty", "header_only"])
def test_empty_and_header_only_files(tmp_path, content):
    path = tmp_path / "run" / NAME
    path.parent.mkdir()
    path.write_bytes(b"" if content == "empty" else header())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logs = run_with_timeout(lambda: cellboard.load(tmp_path))
    assert logs.runs == ["run"]
    # every kind of the registry, each without tags
    assert logs.tags("run") == {k.name: [] for k in kinds.KINDS}


def test_empty_logdir_and_missing_logdir(tmp_path):
    (tmp_path / "not_a_run").mkdir()
    (tmp_path / "not_a_run" / "notes.txt").write_text("no event files here")
    assert cellboard.load(tmp_path).runs == []
    with pytest.raises(FileNotFoundError, match="does not exist"):
        cellboard.load(tmp_path / "missing")


def test_profile_empty_files_are_not_runs(tmp_path):
    write_file(str(tmp_path / "a" / NAME), [scalar_event("x", 1.0, 1)])
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "events.out.tfevents.1600000000.h.profile-empty").write_bytes(header())
    assert cellboard.load(tmp_path).runs == ["a"]


# --------------------------------------------------------------------------- purges (SessionLog.START)


def _purge_expectations(logs, run):
    sc = logs.scalars(run, "loss")
    assert sc.steps.tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    assert sc.values.tolist() == [0, 1, 2, 3, 4, 105, 106, 107]
    assert sc.wall_times.tolist() == [WALL + s for s in range(8)]
    imgs = logs.images(run, "img")
    assert [r.step for r in imgs] == [0, 1, 2, 3, 4, 5, 6, 7]
    assert [int(decode_png(r.png)[0, 0]) for r in imgs] == [0, 1, 2, 3, 4, 105, 106, 107]


def _before_and_after():
    before = []
    for s in range(10):
        before += [scalar_event("loss", float(s), s), image_event("img", s, s)]
    after = []
    for s in range(5, 8):
        after += [scalar_event("loss", 100.0 + s, s), image_event("img", s, 100 + s)]
    return before, after


def test_purge_in_the_middle_of_a_file(tmp_path):
    before, after = _before_and_after()
    write_file(str(tmp_path / "run" / NAME), [*before, start_event(5), *after])
    logs = cellboard.load(tmp_path)
    _purge_expectations(logs, "run")
    # TensorBoard reads the same file the same way
    acc = legacy_acc(tmp_path / "run")
    assert [(e.step, e.value) for e in acc.Scalars("loss")] == list(zip(range(8), [0, 1, 2, 3, 4, 105, 106, 107]))
    assert [e.step for e in acc.Images("img")] == list(range(8))


def test_purge_across_files(tmp_path):
    before, after = _before_and_after()
    write_file(str(tmp_path / "run" / NAME), before)
    write_file(str(tmp_path / "run" / NAME.replace("1600000000", "1600000001")), [start_event(5), *after])
    _purge_expectations(cellboard.load(tmp_path), "run")


def test_purge_arriving_in_a_later_poll(tmp_path):
    before, after = _before_and_after()
    run_dir = tmp_path / "run"
    write_file(str(run_dir / NAME), before)
    store = Store()
    reader = RunReader(store, "run", str(run_dir))
    reader.poll()
    assert store.scalars("run", "loss").steps.tolist() == list(range(10))
    epoch = store.scalar_column("run", "loss").epoch
    write_file(str(run_dir / NAME.replace("1600000000", "1600000001")), [start_event(5)])
    reader.poll()
    assert store.scalars("run", "loss").steps.tolist() == [0, 1, 2, 3, 4]
    assert [r.step for r in store.images("run", "img")] == [0, 1, 2, 3, 4]
    assert store.scalar_column("run", "loss").epoch > epoch  # consumers learn history was rewritten
    with open(run_dir / NAME.replace("1600000000", "1600000001"), "ab") as f:
        f.write(b"".join(frame(e) for e in after))
    reader.poll()
    _purge_expectations(store, "run")


def test_purge_keeps_later_points_with_any_step(tmp_path):
    """Only points read *before* the restart are purged; what follows it stays, even at high steps."""
    events = [scalar_event("a", float(s), s) for s in (0, 10, 20)] + [start_event(10)]
    events += [scalar_event("a", float(s), s, wall=WALL + 500 + s) for s in (5, 10, 30)]
    write_file(str(tmp_path / NAME), events)
    sc = cellboard.load(tmp_path).scalars(".", "a")
    assert sc.steps.tolist() == [0, 5, 10, 30]
    assert sc.wall_times.tolist() == [WALL, WALL + 505, WALL + 510, WALL + 530]


def test_writer_purge_step_applies_to_its_own_store_and_files(tmp_path):
    w = cellboard.SummaryWriter(tmp_path)
    for s in range(10):
        w.add_scalar("loss", float(s), s, walltime=WALL + s)
    w.close()
    w2 = cellboard.SummaryWriter(tmp_path, purge_step=4)
    w2.add_scalar("loss", 40.0, 4, walltime=WALL + 40)
    w2.close()
    assert w2.store.scalars(w2.run, "loss").steps.tolist() == [4]
    sc = cellboard.load(tmp_path).scalars(".", "loss")
    assert sc.steps.tolist() == [0, 1, 2, 3, 4] and sc.values.tolist() == [0, 1, 2, 3, 40]


def test_logging_after_close_does_not_purge_again(tmp_path):
    """purge_step applies once (as torch): a writer reopened by logging after close() keeps its points."""
    w = cellboard.SummaryWriter(tmp_path)
    for s in range(10):
        w.add_scalar("loss", float(s), s, walltime=WALL + s)
    w.close()
    w2 = cellboard.SummaryWriter(tmp_path, purge_step=5)
    for s in range(5, 10):
        w2.add_scalar("loss", 100.0 + s, s, walltime=WALL + 100 + s)
    w2.close()
    w2.add_scalar("loss", 110.0, 10, walltime=WALL + 110)  # reopens: a third file
    w2.close()
    expected = [0, 1, 2, 3, 4, 105, 106, 107, 108, 109, 110]
    sc = cellboard.load(tmp_path).scalars(".", "loss")
    assert sc.steps.tolist() == list(range(11)) and sc.values.tolist() == expected
    assert [(e.step, e.value) for e in legacy_acc(tmp_path).Scalars("loss")] == list(zip(range(11), expected))
    assert w2.store.scalars(w2.run, "loss").values.tolist() == expected[5:]


def test_symlinked_runs_are_read_and_link_cycles_end(tmp_path):
    """A log dir assembled from links to runs (as TensorBoard reads it), with a link back up the tree."""
    real = tmp_path / "elsewhere"
    with cellboard.SummaryWriter(str(real / "a")) as w:
        w.add_scalar("loss", 1.0, 0)
    logdir = tmp_path / "logs"
    with cellboard.SummaryWriter(str(logdir / "b")) as w:
        w.add_scalar("loss", 2.0, 0)
    os.symlink(real / "a", logdir / "linked")
    os.symlink(logdir, logdir / "b" / "loop")  # a cycle: logs/b/loop -> logs
    logs = cellboard.load(str(logdir), progress=False)
    assert sorted(logs.runs) == ["b", "linked"]
    assert logs.scalars("linked", "loss").values.tolist() == [1.0]
