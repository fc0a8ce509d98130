"""Record framing and masked CRC32C against TensorBoard's published test vector."""

import struct

from cellboard.tfevents import messages as M
from cellboard.tfevents.records import frame, masked_crc32c, scan_records

# Event{wall_time=1700000000.0, file_version="brain.Event:2"}, framed (peers-and-format.md 3.2)
GOLDEN = (
    bytes.fromhex("1800000000000000a37f4b2209000000 40fc54d941 1a0d".replace(" ", ""))
    + b"brain.Event:2"
    + bytes.fromhex("eced8f9d")
)


def test_crc32c_check_value():
    from google_crc32c import value

    assert value(b"123456789") == 0xE3069283


def test_file_version_event_matches_golden_bytes():
    data = M.event(1700000000.0, file_version=M.FILE_VERSION)
    assert frame(data) == GOLDEN


def test_masked_crc_of_length_header():
    assert struct.pack("<I", masked_crc32c(struct.pack("<Q", 24))) == bytes.fromhex("a37f4b22")


def test_scan_splits_records_and_keeps_partial_tail():
    recs = [frame(M.event(float(i), i, file_version="x" * i)) for i in range(1, 4)]
    buf = b"".join(recs)
    scan = scan_records(buf + recs[0][:7])
    assert len(scan.starts) == 3 and scan.end == len(buf) and not scan.corrupt_at


def _records(rows, stored, stride: int):
    """``rows`` (an ``(n, L)`` uint8 matrix) laid out ``stride`` bytes apart from offset 3, each
    followed by its ``stored`` CRC (uint32, little-endian): the buffer and the row offsets."""
    import numpy as np

    n, length = rows.shape
    buf = np.zeros(n * stride + 3, np.uint8)
    starts = np.arange(n) * stride + 3
    for i in range(length):
        buf[starts + i] = rows[:, i]
    crc_bytes = np.asarray(stored, "<u4").view(np.uint8).reshape(n, 4)
    for k in range(4):
        buf[starts + length + k] = crc_bytes[:, k]
    return buf, starts


def test_crc_of_many_rows_equals_one_at_a_time():
    """The table-driven CRC check of equal-length records (the reader's bulk check) on rows that
    share some bytes and differ in others, a single row, no rows, and rows of one byte: it passes
    each record stored with its one-at-a-time CRC and flags exactly one stored with another."""
    import numpy as np

    from cellboard.tfevents.crc import crc_mismatch_at

    rng = np.random.default_rng(3)
    rows = rng.integers(0, 256, (500, 41), dtype=np.uint8)
    rows[:, ::3] = rng.integers(0, 256, 14, dtype=np.uint8)  # a third of the columns shared by every row
    rows[7, 3] ^= 1  # ...but one row differs in one of them
    for block in (rows, rows[:1], rows[:0], rows[:, :1], rows[:, ::2]):
        want = np.array([masked_crc32c(bytes(r)) for r in block], np.uint32)
        buf, starts = _records(block, want, 50)
        assert crc_mismatch_at(buf, starts, block.shape[1]).tolist() == [False] * len(block)
        if len(block):
            want[-1] ^= 1
            buf, starts = _records(block, want, 50)
            assert np.flatnonzero(crc_mismatch_at(buf, starts, block.shape[1])).tolist() == [len(block) - 1]


def test_crc_check_at_offsets_across_blocks_equals_one_at_a_time():
    """The bulk CRC check of records in a buffer, block by block: a column shared by every row of
    one block but not of the next is summed once for the first block and looked up for the
    second; each row's stored CRC is read from the four bytes after it."""
    import numpy as np

    from cellboard.tfevents import crc

    rng = np.random.default_rng(5)
    n, length, stride = 2 * crc._BLOCK + 17, 13, 20
    rows = rng.integers(0, 256, (n, length), dtype=np.uint8)
    rows[:, 2] = 7  # shared everywhere
    rows[: crc._BLOCK, 5] = 9  # shared within the first block only
    rows[-1, 2] = 8  # the last (partial) block differs in one row
    want = np.array([masked_crc32c(bytes(r)) for r in rows], np.uint32)
    buf, starts = _records(rows, want, stride)
    assert not crc.crc_mismatch_at(buf, starts, length).any()
    want[[1, crc._BLOCK + 1, n - 1]] ^= 0x100000  # three corrupt records, one in each block
    buf, starts = _records(rows, want, stride)
    assert np.flatnonzero(crc.crc_mismatch_at(buf, starts, length)).tolist() == [1, crc._BLOCK + 1, n - 1]
    assert crc.crc_mismatch_at(buf, starts[:0], length).tolist() == []
    empty = np.frombuffer(np.array([masked_crc32c(b"")] * 3, "<u4").tobytes(), np.uint8)
    assert crc.crc_mismatch_at(empty, np.arange(3) * 4, 0).tolist() == [False] * 3


def test_crc_of_long_buffers_without_the_c_extension_equals_google_crc32c(monkeypatch):
    """Where google-crc32c has no C extension, buffers of 4 KiB or more are checked in 256-byte
    rows joined by zero shifts: the same CRC as the C extension at lengths around every boundary
    (one row, one block of rows, a tail), for bytes and read-only numpy views, and
    ``crc32c_extend`` across two parts."""
    import google_crc32c
    import numpy as np

    from cellboard.tfevents import crc

    monkeypatch.setattr(crc, "NATIVE", False)
    rng = np.random.default_rng(11)
    data = rng.integers(0, 256, crc._ROW * crc._ROW_BLOCK * 2 + 300, dtype=np.uint8)
    data[5000:9000] = 0  # zero runs: a shared column in some blocks
    ro = data.view()
    ro.flags.writeable = False
    for n in (0, 1, 4095, 4096, 4097, 4351, 4352, crc._ROW * crc._ROW_BLOCK, crc._ROW * crc._ROW_BLOCK + 1, data.size):
        raw = data[:n].tobytes()
        want = google_crc32c.value(raw)
        assert crc.crc32c(raw) == crc.crc32c(ro[:n]) == want, n
        for cut in (0, 17, n // 2, n):
            assert crc.crc32c_extend(crc.crc32c(raw[:cut]), raw[cut:]) == want, (n, cut)
    values, nbytes = np.array([0, 1, 0xFFFFFFFF, 7], np.uint32), np.array([1000, 0, 1, 1 << 33])
    assert crc.zero_shift_each(values, nbytes).tolist() == [
        crc.zero_shift(int(v), int(k)) for v, k in zip(values, nbytes)
    ]
    starts = np.array([0, 3, 3, 100, 5000, 9000])
    lengths = np.array([0, 1, 255, 256 * 3, 4097, 70_000])
    want = [google_crc32c.value(data[a : a + n].tobytes()) for a, n in zip(starts, lengths)]
    assert crc.crc32c_spans(data, starts, lengths).tolist() == want
    assert crc.crc32c_spans(data, starts[:0], lengths[:0]).tolist() == []


def test_reading_and_writing_without_the_c_extension(tmp_path, monkeypatch):
    """The writer and the reader with the row-wise CRC: images (records of ~12 KB) and scalars
    are read back, and a flipped byte in one image's record skips that record only, with a
    warning, as with the C extension."""
    import warnings

    import numpy as np

    import cellboard
    from cellboard.tfevents import crc
    from cellboard.tfevents.records import CorruptRecordWarning

    monkeypatch.setattr(crc, "NATIVE", False)
    rng = np.random.default_rng(2)
    with cellboard.SummaryWriter(str(tmp_path)) as w:
        for step in range(3):
            w.add_image("noise", rng.integers(0, 256, (3, 64, 64), dtype=np.uint8), step)
            w.add_scalar("loss", 1.0 / (step + 1), step)
    store = cellboard.load(str(tmp_path))
    run = store.runs[0]
    assert [p.step for p in store.images(run, "noise")] == [0, 1, 2]
    assert store.scalars(run, "loss").values.tolist() == [1.0, 0.5, np.float32(1 / 3)]

    path = next(tmp_path.glob("events.out.tfevents.*"))
    raw = bytearray(path.read_bytes())
    scan = scan_records(bytes(raw))
    first_image = int(scan.starts[np.flatnonzero(scan.lengths > crc._ROWS_MIN)[0]])
    raw[first_image + 100] ^= 0xFF
    path.write_bytes(bytes(raw))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store = cellboard.load(str(tmp_path))
    assert any(issubclass(w.category, CorruptRecordWarning) for w in caught)
    assert len(store.images(store.runs[0], "noise")) == 2
    assert store.scalars(store.runs[0], "loss").values.tolist() == [1.0, 0.5, np.float32(1 / 3)]
