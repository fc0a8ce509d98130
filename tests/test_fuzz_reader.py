"""Seeded fuzzing of the event-file reader: damaged files never raise, hang, blow up memory or
hide the records before the damage, and ``cellboard.load`` and the follower agree.

A deterministic mutator (``random.Random(seed)``, no extra dependency) damages one realistic
event file (every kind cellboard writes) in the ways files break in practice and a few hostile
ones: truncation, bit flips with and without recomputed CRCs, length fields up to 2**64-1,
CRC-valid records of the wrong shape or type for their plugin, garbage inserted and appended.
"""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import struct
import time
import tracemalloc
import warnings

import numpy as np
import pytest
from _kernels import use_kernels
from _scans import scan_fields

import cellboard
from cellboard.logdir import LogdirFollower
from cellboard.tfevents import messages as M
from cellboard.tfevents.records import CorruptRecordWarning, frame, masked_crc32c, scan_records
from cellboard.tfevents.wire import VARINT, f_bytes, f_str, f_varint, key, varint

NAME = "events.out.tfevents.1600000000.fuzz.1.0"
WALL = 1_600_000_000.0
N_CASES = 2500
SEED = 20240607
MEMORY_SLACK = 8 << 20  # bytes allowed on top of 2x the file size (interpreter noise, small arrays)


@pytest.fixture(autouse=True)
def _no_hang():
    """A hang fails the test (SIGALRM interrupts Python and numpy loops) instead of stalling CI."""

    def on_alarm(signum, frame):
        raise TimeoutError("reading hung")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(240)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


# --------------------------------------------------------------------------- the corpus


def _scalar_tensor(tag: str, tensor: bytes, metadata: bool = True) -> bytes:
    meta = M.plugin_metadata("scalars", data_class=M.DATA_CLASS_SCALAR) if metadata else None
    return M.summary(M.value(tag, tensor=tensor, metadata=meta))


def _plugin_tensor(tag: str, plugin: str, tensor: bytes, content: bytes = b"") -> bytes:
    return M.summary(M.value(tag, tensor=tensor, metadata=M.plugin_metadata(plugin, content, M.DATA_CLASS_TENSOR)))


def _ev(summary: bytes, step: int = 7) -> bytes:
    return M.event(WALL + step, step, summary=summary)


def poison_events() -> list[bytes]:
    """CRC-valid events the decoders do not expect (each must be skipped with one warning)."""
    f32 = M.DT_FLOAT
    huge_key_session = f_bytes(3, f_bytes(1, key(1, VARINT) + varint(2**40) + f_bytes(2, M.pb_value(1.0))))
    wrong_wire_value = f_str(1, "loss") + key(8, VARINT) + varint(12345)  # tensor as a varint
    out = [
        # scalar tensors of the wrong shape / type / size
        _ev(_scalar_tensor("loss", M.tensor(f32, (0,), float_val=1.0))),
        _ev(_scalar_tensor("loss", M.tensor(f32, (0,)))),
        _ev(_scalar_tensor("loss", M.tensor(f32, (2**28,), float_val=1.0))),
        _ev(_scalar_tensor("loss", M.tensor(f32, (2**33,), float_val=1.0))),
        _ev(_scalar_tensor("loss", M.tensor(f32, (2**31, 2**31, 4), float_val=1.0))),
        _ev(_scalar_tensor("loss", M.tensor(f32, (2**62,), content=b"\0" * 8))),
        _ev(_scalar_tensor("loss", M.tensor(f32, (1000, 1000), float_val=2.0))),  # filled (1e6): still not a scalar
        _ev(_scalar_tensor("loss", M.tensor(f32, (3,), content=b"\0" * 7))),
        _ev(_scalar_tensor("loss", M.tensor(M.DT_STRING, (), string_val=[b"x"]))),
        _ev(_scalar_tensor("loss", M.tensor(99, (), content=b"\0" * 4))),
        _ev(
            _scalar_tensor(
                "loss", f_varint(1, f32) + f_bytes(2, f_bytes(2, f_varint(1, 2**64 - 1))) + f_bytes(5, b"\0" * 4)
            )
        ),
        _ev(_scalar_tensor("loss", f_varint(1, M.DT_INT64) + f_bytes(10, b"\xff" * 9))),  # truncated varint
        _ev(_scalar_tensor("loss", f_varint(1, M.DT_INT64) + f_bytes(10, b"\xff" * 11 + b"\x01"))),
        _ev(
            _scalar_tensor(
                "loss", f_varint(1, M.DT_INT64) + f_bytes(2, M.tensor_shape((2**20,))) + f_bytes(10, b"\x01" * 2**12)
            )
        ),
        _ev(M.summary(wrong_wire_value)),
        _ev(M.summary(f_varint(1, 2**40))),  # a Summary.Value that is a varint
        _ev(M.summary(key(1, VARINT) + varint(2**60) + key(2, 5) + b"\0\0\0\0")),  # tag as a varint
        M.event(WALL, 3) + key(5, VARINT) + varint(99),  # Event.summary as a varint
        _ev(M.summary(M.value("loss", simple_value=1.0, metadata=f_varint(1, 2**40)))),
        # plugin payloads that are not what their plugin name says
        _ev(_plugin_tensor("img", "images", M.tensor(f32, (3,), content=b"\0" * 12))),
        _ev(_plugin_tensor("img", "images", M.tensor(M.DT_STRING, (3,), string_val=[b"w", b"h", b"png"]))),
        _ev(_plugin_tensor("img", "images", M.tensor(M.DT_STRING, (1,), string_val=[b"1"]))),
        _ev(_plugin_tensor("hist", "histograms", M.tensor(M.DT_DOUBLE, (5,), content=b"\0" * 40))),
        _ev(_plugin_tensor("hist", "histograms", M.tensor(M.DT_DOUBLE, (2**40, 3), double_val=1.0))),
        _ev(_plugin_tensor("hist", "histograms", M.tensor(M.DT_STRING, (1,), string_val=[b"x"]))),
        _ev(_plugin_tensor("pr", "pr_curves", M.tensor(f32, (3, 2), content=b"\0" * 24))),
        _ev(_plugin_tensor("pr", "pr_curves", M.tensor(f32, (6, 2**40), float_val=0.0))),
        _ev(_plugin_tensor("note", "text", M.tensor(f32, (2,), content=b"\0" * 8))),
        _ev(_plugin_tensor("note", "text", M.tensor(M.DT_STRING, (2**33, 2), string_val=[b"a", b"b"]))),
        _ev(_plugin_tensor("note", "text", M.tensor(M.DT_STRING, (2, 2), string_val=[b"a", b"b"]))),
        _ev(_plugin_tensor("snd", "audio", M.tensor(f32, (1,), content=b"\0" * 4))),
        _ev(_plugin_tensor("_hparams_/session_start_info", "hparams", M.tensor(f32, (0,)), huge_key_session)),
        _ev(_plugin_tensor("_hparams_/session_start_info", "hparams", M.tensor(f32, (0,)), b"\x1a\xff\xff\xff\x0f")),
        _ev(
            _plugin_tensor(
                "_hparams_/experiment", "hparams", M.tensor(f32, (0,)), f_bytes(2, key(4, VARINT) + varint(2**50))
            )
        ),
        _ev(_plugin_tensor("custom_scalars", "custom_scalars", M.tensor(M.DT_STRING, (), string_val=[b"\xff" * 9]))),
        _ev(M.summary(M.value("leg_img", image=key(4, VARINT) + varint(2**40)))),
        _ev(M.summary(M.value("leg_hist", histo=f_bytes(6, b"\0" * 7) + f_bytes(7, b"\0" * 16)))),
        _ev(M.summary(M.value("leg_hist", histo=f_bytes(6, b"\0" * 24) + f_bytes(7, b"\0" * 8)))),
        _ev(M.summary(M.value("leg_snd", audio=key(1, 5) + b"\0\0\0\0" + key(4, VARINT) + varint(2**40)))),
        b"\x0f" * 40,  # not a protobuf at all
        key(1, 3) + b"\x00" * 8,  # a group start
    ]
    return out


def corpus_records(tmp_path_factory) -> list[bytes]:
    """The framed records of a realistic file: every kind, written by cellboard's writer."""
    d = tmp_path_factory.mktemp("corpus")
    w = cellboard.SummaryWriter(d / "run")
    rng = np.random.default_rng(0)
    for step in range(6):
        wall = WALL + step
        w.add_scalar("loss", 1.0 / (step + 1), step, walltime=wall)
        w.add_scalar("acc", step / 10, step, walltime=wall, new_style=True)
        w.add_scalar("lr", 0.1 * step, step, walltime=wall, new_style=True, double_precision=True)
        if step % 2 == 0:
            w.add_image("img", rng.integers(0, 256, (3, 4, 4), dtype=np.uint8), step, walltime=wall)
            w.add_histogram("hist", rng.normal(size=50), step, walltime=wall)
            w.add_text("note", f"step **{step}**", step, walltime=wall)
    w.add_pr_curve("pr", np.array([0, 1, 1, 0]), np.array([0.1, 0.7, 0.8, 0.4]), 6, num_thresholds=5, walltime=WALL + 6)
    w.add_audio("snd", np.zeros(32, np.float32), 6, sample_rate=8000, walltime=WALL + 6)
    w.add_hparams({"lr": 0.1, "opt": "sgd"}, {"hp/m": 0.5}, run_name="hp")
    w.close()
    records: list[bytes] = []
    for root, _, files in sorted(os.walk(d)):
        for name in sorted(files):
            data = open(os.path.join(root, name), "rb").read()
            scan = scan_records(data)
            assert not scan.corrupt_at and scan.end == len(data)
            skip = 1 if records else 0  # one file-version header
            records += [data[s - 12 : s + n + 4] for s, n in zip(scan.starts.tolist(), scan.lengths.tolist())][skip:]
    return records


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[bytes]:
    return corpus_records(tmp_path_factory)


# --------------------------------------------------------------------------- the mutator


def _reframe_length(rec: bytes, length: int, fix_crc: bool) -> bytes:
    head = struct.pack("<Q", length)
    crc = struct.pack("<I", masked_crc32c(head)) if fix_crc else rec[8:12]
    return head + crc + rec[12:]


def mutate(records: list[bytes], rng: random.Random, poisons: list[bytes]) -> tuple[bytes, int, str]:
    """``(damaged file, offset of the first damaged byte, what was done)``."""
    recs = list(records)
    offsets = np.cumsum([0] + [len(r) for r in recs]).tolist()
    whole = b"".join(recs)
    op = rng.randrange(9)
    i = rng.randrange(1, len(recs))  # never the file-version header alone: it is record 0
    if op == 0:
        cut = rng.randrange(0, len(whole))
        return whole[:cut], cut, f"truncate at {cut}"
    if op == 1:
        buf = bytearray(whole)
        flips = sorted(rng.randrange(len(buf) * 8) for _ in range(rng.randint(1, 6)))
        for b in flips:
            buf[b // 8] ^= 1 << (b % 8)
        return bytes(buf), flips[0] // 8, f"flip bits {flips}"
    if op == 2:  # flip payload bits, recompute the data CRC: the decoder sees a damaged message
        payload = bytearray(recs[i][12:-4])
        if not payload:
            return whole, len(whole), "nothing"
        for _ in range(rng.randint(1, 3)):
            b = rng.randrange(len(payload) * 8)
            payload[b // 8] ^= 1 << (b % 8)
        recs[i] = frame(bytes(payload))
        return b"".join(recs), offsets[i] + 12, f"flip payload of record {i} with CRC"
    if op == 3:  # a lying length, its CRC recomputed or not
        length = rng.choice(
            [0, 1, len(recs[i]) - 17, len(recs[i]) + 1, 2**31, 2**32 + 5, 2**63, 2**64 - 1, rng.randrange(2**64)]
        )
        length = max(0, length)
        fix = rng.random() < 0.5
        recs[i] = _reframe_length(recs[i], length, fix)
        return b"".join(recs), offsets[i], f"length of record {i} = {length} (crc fixed: {fix})"
    if op == 4:  # a CRC-valid record of the wrong shape/type replaces a good one
        recs[i] = frame(rng.choice(poisons))
        return b"".join(recs), offsets[i], f"poison replaces record {i}"
    if op == 5:  # poison inserted between records
        k = rng.randint(1, 3)
        recs[i:i] = [frame(rng.choice(poisons)) for _ in range(k)]
        return b"".join(recs), offsets[i], f"{k} poisons at record {i}"
    if op == 6:  # garbage appended: random, zeros, a plausible header claiming a lot
        tail = rng.choice(
            [
                rng.randbytes(rng.randint(1, 200)),
                bytes(rng.randint(1, 5000)),
                _reframe_length(frame(b"x" * 20), 2**40, True)[:30],
                frame(rng.randbytes(30))[: rng.randint(1, 40)],
            ]
        )
        return whole + tail, len(whole), "garbage appended"
    if op == 7:  # garbage inserted between records (a torn write that was later continued)
        junk = rng.choice(
            [rng.randbytes(rng.randint(1, 300)), bytes(rng.randint(1, 300)), recs[i][: rng.randint(1, 40)]]
        )
        recs.insert(i, junk)
        return b"".join(recs), offsets[i], "garbage inserted"
    # op 8: two damages
    first, at1, what1 = mutate(records, rng, poisons)
    second_recs = [first]
    buf = bytearray(first)
    if buf:
        pos = rng.randrange(len(buf))
        buf[pos] ^= 1 << rng.randrange(8)
        second_recs = [bytes(buf)]
        return second_recs[0], min(at1, pos), f"{what1} + flip at {pos}"
    return first, at1, what1


# --------------------------------------------------------------------------- what a store holds


def _value_key(v):
    if isinstance(v, np.ndarray):
        return (v.dtype.str, v.shape, v.tobytes())
    if isinstance(v, float):
        return struct.pack("<d", v)
    if isinstance(v, dict):
        return tuple(sorted((k, _value_key(x)) for k, x in v.items()))
    if isinstance(v, list):
        return tuple(_value_key(x) for x in v)
    return v


def digest(store) -> dict[tuple[str, str, str], list]:
    out = {}
    for run in store.runs:
        for kind, tags in store.tags(run).items():
            for tag in tags:
                if kind == "scalars":
                    sc = store.scalars(run, tag)
                    out[(run, kind, tag)] = list(
                        zip(
                            sc.steps.tolist(),
                            sc.wall_times.view(np.uint64).tolist(),
                            sc.values.view(np.uint64).tolist(),
                        )
                    )
                else:
                    out[(run, kind, tag)] = [
                        tuple(_value_key(getattr(r, f.name)) for f in dataclasses.fields(r))
                        for r in store.records(run, kind, tag)
                    ]
    return out


def _records_before(data: bytes, damage: int) -> bytes:
    """The whole records of the original file that end before the first damaged byte."""
    scan = scan_records(data)
    ends = (scan.starts + scan.lengths + 4).tolist()
    keep = max([e for e in ends if e <= damage], default=0)
    return data[:keep]


def _load(path_dir) -> tuple[object, list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store = cellboard.load(path_dir)
    return store, caught


def _follow(run_dir, data: bytes, cuts: list[int]) -> tuple[object, list[warnings.WarningMessage]]:
    """The follower reading ``data`` as it grows to each of ``cuts`` (one poll per step)."""
    path = os.path.join(run_dir, "run", NAME)
    with open(path, "wb"):
        pass
    follower = LogdirFollower(str(run_dir))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        done = 0
        for cut in [*cuts, len(data)]:
            if cut > done:
                with open(path, "ab") as f:
                    f.write(data[done:cut])
                done = cut
            follower.poll()
        follower.poll()
    return follower.store, caught


def _unexpected(caught) -> list[str]:
    return [f"{w.category.__name__}: {w.message}" for w in caught if not issubclass(w.category, CorruptRecordWarning)]


def _check_prefix(reference: dict, got: dict, what: str) -> None:
    """Every series holds the records before the damage, in order, up to where a record read after
    it replaced them: a step logged again replaces the series from there on (``cellboard.restarts``),
    and a flipped byte in a record whose CRC still checks can turn its step into one. Where the
    two part, the series' next record must be at or below the step of the first one missing
    (records are tuples whose first item is the step)."""
    for key_, series in reference.items():
        mine = got.get(key_, [])
        same = next(
            (i for i, (a, b) in enumerate(zip(series, mine, strict=False)) if a != b), min(len(series), len(mine))
        )
        if same < len(series):
            assert same < len(mine) and mine[same][0] <= series[same][0], (
                f"{what}: records before the damage lost in {key_}"
            )


# --------------------------------------------------------------------------- the tests


def test_fuzzed_files_never_raise_and_keep_every_record_before_the_damage(corpus, tmp_path):
    rng = random.Random(SEED)
    poisons = poison_events()
    original = b"".join(corpus)
    load_dir, follow_dir, ref_dir = tmp_path / "load", tmp_path / "follow", tmp_path / "ref"
    for d in (load_dir, follow_dir, ref_dir):
        (d / "run").mkdir(parents=True)
    ref_cache: dict[int, dict] = {}
    slowest = (0.0, "")
    t_all = time.monotonic()
    for case in range(N_CASES):
        data, damage, what = mutate(corpus, rng, poisons)
        label = f"case {case} ({what})"
        (load_dir / "run" / NAME).write_bytes(data)
        t0 = time.monotonic()
        store, caught = _load(load_dir)
        elapsed = time.monotonic() - t0
        slowest = max(slowest, (elapsed, label))
        assert not _unexpected(caught), (label, _unexpected(caught))
        # every record before the damage is there, in order, before anything read after it (or replaced by it)
        prefix = _records_before(original, damage)
        if len(prefix) not in ref_cache:
            (ref_dir / "run" / NAME).write_bytes(prefix)
            ref_cache[len(prefix)] = digest(_load(ref_dir)[0])
        got = digest(store)
        _check_prefix(ref_cache[len(prefix)], got, label)
        # the follower, reading the same bytes as they are written in a few chunks, agrees
        if case % 2 == 0:
            cuts = (
                sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(1, 4)))) if len(data) > 1 else []
            )
            fstore, fcaught = _follow(follow_dir, data, cuts)
            assert not _unexpected(fcaught), (label, _unexpected(fcaught))
            assert digest(fstore) == got, f"{label}: load and the follower disagree (cuts {cuts})"
    total = time.monotonic() - t_all
    assert slowest[0] < 5, f"slowest case took {slowest[0]:.1f}s: {slowest[1]}"
    print(f"{N_CASES} cases in {total:.1f}s; slowest {slowest[0] * 1000:.0f} ms ({slowest[1]})")


def test_fuzzed_memory_stays_bounded_by_the_file_size(corpus, tmp_path):
    """Peak memory of ``load`` on a damaged file is at most 2x its size plus a constant."""
    rng = random.Random(SEED + 1)
    poisons = poison_events()
    (tmp_path / "run").mkdir()
    cellboard.load(tmp_path)  # imports and caches outside the measurement
    worst = (0, "")
    for case in range(150):
        data, _, what = mutate(corpus, rng, poisons)
        (tmp_path / "run" / NAME).write_bytes(data)
        tracemalloc.start()
        try:
            _load(tmp_path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        excess = peak - 2 * len(data)
        worst = max(worst, (excess, f"case {case} ({what}), {len(data)} bytes, peak {peak}"))
    assert worst[0] <= MEMORY_SLACK, worst[1]
    print(f"worst excess over 2x file size: {worst[0]} bytes: {worst[1]}")


def _peak_load(tmp_path, data: bytes) -> tuple[int, list]:
    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    (run / NAME).write_bytes(data)
    tracemalloc.start()
    try:
        _, caught = _load(tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, caught


def _file_with(event: bytes) -> bytes:
    good = M.event(WALL + 1, 1, summary=M.summary(M.value("good", simple_value=1.0)))
    return frame(M.event(WALL, file_version=M.FILE_VERSION)) + frame(event) + frame(good)


@pytest.mark.parametrize("shape", [(2**28,), (2**33,), (2**31, 2**31, 4)], ids=["2^28", "2^33", "2^64"])
def test_scalar_tensor_declaring_a_huge_shape_is_corrupt_not_a_huge_allocation(tmp_path, shape):
    bad = _ev(_scalar_tensor("loss", M.tensor(M.DT_FLOAT, shape, float_val=1.0)))
    data = _file_with(bad)
    assert len(data) < 300
    peak, caught = _peak_load(tmp_path, data)
    assert peak < 2 * len(data) + (4 << 20), f"peak {peak} bytes for a {len(data)}-byte file"
    msgs = [str(w.message) for w in caught if issubclass(w.category, CorruptRecordWarning)]
    at = len(frame(M.event(WALL, file_version=M.FILE_VERSION)))  # the bad record follows the header
    assert len(msgs) == 1 and f"byte {at} " in msgs[0], msgs
    assert _load(tmp_path)[0].scalars("run", "good").values.tolist() == [1.0]


def test_hparams_with_a_huge_varint_key_is_corrupt_not_a_huge_allocation(tmp_path):
    content = f_bytes(3, f_bytes(1, key(1, VARINT) + varint(2**30) + f_bytes(2, M.pb_value(1.0))))
    bad = _ev(_plugin_tensor("_hparams_/session_start_info", "hparams", M.tensor(M.DT_FLOAT, (0,)), content))
    data = _file_with(bad)
    peak, caught = _peak_load(tmp_path, data)
    assert peak < 2 * len(data) + (4 << 20), f"peak {peak} bytes for a {len(data)}-byte file"
    assert not _unexpected(caught)
    assert _load(tmp_path)[0].scalars("run", "good").values.tolist() == [1.0]


# --------------------------------------------------------------------------- framing: one rule


def _chunked_scan(data: bytes, cuts: list[int]) -> tuple[list[int], list[int]]:
    """Records and corrupt offsets when ``data`` arrives in chunks (as the follower reads)."""
    base, resync, starts, corrupt = 0, False, [], []
    for cut in [*cuts, len(data)]:
        if cut <= base:
            continue
        scan = scan_records(data[base:cut], base, resync=resync)
        starts += (scan.starts + base).tolist()
        corrupt += scan.corrupt_at
        base += scan.end
        resync = scan.resync
    return starts, corrupt


def test_incremental_scans_equal_one_whole_scan(corpus):
    """The resync rule is resumable: any chunking gives the same records and corrupt offsets."""
    rng = random.Random(SEED + 2)
    poisons = poison_events()
    for case in range(600):
        data, _, what = mutate(corpus, rng, poisons)
        whole = scan_records(data)
        want = ((whole.starts).tolist(), whole.corrupt_at)
        for _ in range(3):
            k = rng.randint(1, 12)
            cuts = sorted(rng.randrange(1, max(2, len(data))) for _ in range(k))
            assert _chunked_scan(data, cuts) == want, f"case {case} ({what}), cuts {cuts}"
        one_byte = list(range(1, len(data))) if len(data) < 3000 and case % 50 == 0 else None
        if one_byte:
            assert _chunked_scan(data, one_byte) == want, f"case {case} ({what}), one byte at a time"


def test_the_compiled_walk_scans_exactly_like_numpy(corpus, monkeypatch):
    """numba's record walk (``kernels.walk_records``) stops at the first record it cannot accept;
    the numpy rules take over there: the same records, offsets, reasons and resume points as
    numpy alone, whole and chunked, on every kind of damage."""
    rng = random.Random(SEED + 5)
    poisons = poison_events()
    for case in range(800):
        data, _, what = mutate(corpus, rng, poisons)
        cuts = sorted(rng.randrange(1, max(2, len(data))) for _ in range(rng.randint(1, 6)))
        got = {}
        for on in (False, True):
            use_kernels(monkeypatch, on)
            got[on] = (scan_fields(scan_records(data)), _chunked_scan(data, cuts))
        assert got[True] == got[False], f"case {case} ({what}), cuts {cuts}"


def test_both_compiled_crcs_equal_google_crc32c():
    """The walk's CRC32C: the CPU's ``crc32`` instruction where there is one (x86-64 with SSE 4.2),
    slicing-by-8 tables elsewhere; both are checked here against google-crc32c, at every length
    up to 40 bytes and some longer ones, from unaligned offsets."""
    numba = pytest.importorskip("numba")
    from cellboard import _numba_kernels as nk
    from cellboard.kernels import crc_tables

    tables_only = numba.njit(lambda b, p, e, t: nk.masked_crc_tables(b, p, e, t))
    variants = [tables_only, numba.njit(lambda b, p, e, t: nk._masked_crc(b, p, e, t))]  # the walk's
    if nk.CRC_INSTRUCTIONS:
        variants.append(numba.njit(lambda b, p, e, t: nk.masked_crc_instructions(b, p, e, t)))
    rng = np.random.default_rng(SEED)
    buf = rng.integers(0, 256, 5000, dtype=np.uint8)
    buf.flags.writeable = False
    t = crc_tables()
    spans = [(p, p + n) for n in range(41) for p in (0, 1, 3, 7)] + [(5, 1029), (11, 4999), (0, 5000)]
    for p, e in spans:
        want = masked_crc32c(buf[p:e].tobytes())
        assert [int(f(buf, p, e, t)) for f in variants] == [want] * len(variants), (p, e)


def test_the_compiled_walk_checks_short_records_itself(corpus, monkeypatch):
    """With the kernels, only payloads longer than the walk's CRC limit reach google-crc32c."""
    from cellboard.tfevents import records

    use_kernels(monkeypatch, True)
    checked = []
    real = records._bad_payloads
    monkeypatch.setattr(records, "_bad_payloads", lambda a, s, n: checked.extend(n.tolist()) or real(a, s, n))
    data = b"".join(corpus)
    scan = scan_records(data)
    assert not scan.corrupt_at and scan.end == len(data) and len(scan.starts) == len(corpus)
    long = [n for n in scan.lengths.tolist() if n > records._WALK_CRC_MAX]
    assert long and sorted(checked) == sorted(long)
    bad = bytearray(data)
    bad[-5] ^= 1  # the last record's payload: a CRC mismatch found by the walk's own CRC or google's
    use_kernels(monkeypatch, False)
    want = scan_fields(scan_records(bytes(bad)))
    use_kernels(monkeypatch, True)
    assert scan_fields(scan_records(bytes(bad))) == want and want[3]


def test_resync_finds_the_next_record_after_a_broken_length():
    recs = [frame(M.event(WALL + i, i, summary=M.summary(M.value("a", simple_value=float(i))))) for i in range(10)]
    data = bytearray(b"".join(recs))
    at = sum(len(r) for r in recs[:4])
    data[at + 2] ^= 0x10  # record 4's length: its CRC fails
    scan = scan_records(bytes(data))
    assert scan.corrupt_at == [at] and len(scan.starts) == 9 and not scan.resync
    assert "length" in scan.corrupt_why[0]


def test_resync_with_long_fake_candidates_is_linear():
    """Thousands of headers with valid length CRCs claiming long records whose data CRC fails
    (a hostile file): the search stays linear, then finds the real record behind them."""
    fake = b""
    for _ in range(3000):
        head = struct.pack("<Q", 60_000)
        fake += head + struct.pack("<I", masked_crc32c(head))
    real = frame(M.event(WALL, 1, summary=M.summary(M.value("a", simple_value=1.0))))
    data = b"\xff" * 12 + fake + b"\0" * 60_000 + real
    t0 = time.monotonic()
    scan = scan_records(data)
    assert time.monotonic() - t0 < 10
    assert scan.corrupt_at == [0] and len(scan.starts) == 1 and scan.starts[0] == len(data) - len(real) + 12


def test_length_beyond_2_31_is_corrupt_even_with_a_valid_crc():
    recs = [frame(M.event(WALL + i, i)) for i in range(4)]
    bad = _reframe_length(recs[1], 2**40, True)
    scan = scan_records(recs[0] + bad + recs[2] + recs[3])
    assert scan.corrupt_at == [len(recs[0])] and len(scan.starts) == 3


def test_valid_header_claiming_more_than_present_waits_as_a_torn_tail():
    recs = [frame(M.event(WALL + i, i)) for i in range(3)]
    claim = _reframe_length(recs[2], 10_000, True)
    scan = scan_records(recs[0] + recs[1] + claim)
    assert not scan.corrupt_at and len(scan.starts) == 2 and scan.end == len(recs[0]) + len(recs[1])
    assert scan.wait_for == scan.end + 10_000 + 16


def test_follower_warns_once_per_corrupt_region_across_polls(tmp_path):
    """A corrupt region still being written across polls: one warning, as for one read.

    Needs the reader to carry ``RecordScan.resync`` between polls (``scan_records(..., resync=)``).
    """
    recs = [frame(M.event(WALL + i, i, summary=M.summary(M.value("a", simple_value=float(i))))) for i in range(6)]
    garbage = random.Random(3).randbytes(3000)
    data = recs[0] + recs[1] + b"\xee" * 12 + garbage + recs[2] + recs[3]
    (tmp_path / "run").mkdir()
    store, caught = _follow(tmp_path, data, list(range(200, len(data), 500)))
    msgs = [str(w.message) for w in caught if issubclass(w.category, CorruptRecordWarning)]
    assert store.scalars("run", "a").steps.tolist() == [0, 1, 2, 3]
    assert len(msgs) == 1, msgs
