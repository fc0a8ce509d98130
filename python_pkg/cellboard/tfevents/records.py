"""TFRecord framing: ``uint64 len | masked_crc32c(len) | data | masked_crc32c(data)``.

CRC32C comes from ``google-crc32c`` (hardware-accelerated C; torch's writer computes it in
pure Python at ~9 MB/s, which dominates its image and histogram cost).
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass

from google_crc32c import value as _crc32c

_MASK_DELTA = 0xA282EAD8
_LEN = struct.Struct("<Q")
_CRC = struct.Struct("<I")
_HEADER = 12  # uint64 length + uint32 crc
_FOOTER = 4


def masked_crc32c(data: bytes) -> int:
    crc = _crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def frame(data: bytes) -> bytes:
    """One framed record, ready to append to an event file."""
    header = _LEN.pack(len(data))
    return header + _CRC.pack(masked_crc32c(header)) + data + _CRC.pack(masked_crc32c(data))


class CorruptRecordWarning(UserWarning):
    """A record whose CRC or protobuf is broken was skipped."""


@dataclass
class RecordScan:
    """Where the complete records of a buffer lie, and where reading must resume."""

    starts: list[int]  # offset of each record's payload
    lengths: list[int]
    end: int  # first byte not consumed (start of a partial record, or len(buf))
    corrupt_at: list[int]  # offsets of records skipped for a bad CRC


def scan_records(buf: bytes, base_offset: int = 0, *, check_crc: bool = True) -> RecordScan:
    """Split ``buf`` into records without copying payloads.

    A truncated last record is left for the next call (``end`` points at it). A record
    with a bad data CRC is reported in ``corrupt_at`` and skipped; a bad *length* CRC
    means the framing itself is lost, so scanning stops there (``end`` = len(buf)) -
    reading on would only produce garbage.
    """
    n = len(buf)
    starts: list[int] = []
    lengths: list[int] = []
    corrupt: list[int] = []
    pos = 0
    unpack_len, unpack_crc = _LEN.unpack_from, _CRC.unpack_from
    while pos + _HEADER <= n:
        (length,) = unpack_len(buf, pos)
        if check_crc and unpack_crc(buf, pos + 8)[0] != masked_crc32c(buf[pos : pos + 8]):
            corrupt.append(base_offset + pos)
            pos = n
            break
        data_start = pos + _HEADER
        record_end = data_start + length + _FOOTER
        if record_end > n:
            break  # partial record: wait for the writer to finish it
        if check_crc and unpack_crc(buf, record_end - 4)[0] != masked_crc32c(buf[data_start : record_end - 4]):
            corrupt.append(base_offset + pos)
        else:
            starts.append(data_start)
            lengths.append(length)
        pos = record_end
    return RecordScan(starts, lengths, pos, corrupt)


def warn_corrupt(path: str, offset: int, why: str) -> None:
    warnings.warn(f"cellboard: skipped a corrupted record in {path} at byte {offset} ({why})",
                  CorruptRecordWarning, stacklevel=3)
