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
