"""TFRecord framing: ``uint64 len | masked_crc32c(len) | data | masked_crc32c(data)``.

CRC32C comes from ``google-crc32c`` (hardware-accelerated C; torch's writer computes it in
pure Python at ~9 MB/s, which dominates its image and histogram cost). Reading verifies the
CRCs of small records in bulk with numpy (see ``crc.py``).
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .crc import masked_crc32c, masked_crc32c_rows

_LEN = struct.Struct("<Q")
_CRC = struct.Struct("<I")
_HEADER = 12  # uint64 length + uint32 crc
_FOOTER = 4
_BULK_MAX = 1024  # records up to this length get their CRC checked in bulk


def frame(data: bytes) -> bytes:
    """One framed record, ready to append to an event file."""
    header = _LEN.pack(len(data))
    return header + _CRC.pack(masked_crc32c(header)) + data + _CRC.pack(masked_crc32c(data))


class CorruptRecordWarning(UserWarning):
    """A record whose CRC or protobuf is broken was skipped."""


@dataclass
class RecordScan:
    """Where the complete, intact records of a buffer lie, and where reading must resume."""

    starts: np.ndarray  # offset of each record's payload (int64)
    lengths: np.ndarray  # payload lengths (int64)
    end: int  # first byte not consumed (start of a partial record, or len(buf))
    corrupt_at: list[int]  # offsets (plus base_offset) of records skipped for a bad CRC


def _u32_at(arr: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(arr[offsets[:, None] + np.arange(4)]).view("<u4").ravel()


def scan_records(buf: bytes, base_offset: int = 0, *, check_crc: bool = True) -> RecordScan:
    """Split ``buf`` into records without copying payloads.

    A truncated last record is left for the next call (``end`` points at it). A record
    with a bad data CRC is reported in ``corrupt_at`` and skipped; a bad *length* CRC
    means the framing itself is lost, so scanning stops there (``end`` = len(buf)) -
    reading on would only produce garbage.
    """
    n = len(buf)
    heads: list[int] = []
    append = heads.append
    pos = 0
    unpack_len = _LEN.unpack_from
    frame_bytes = _HEADER + _FOOTER
    while pos + _HEADER <= n:  # the one sequential part: each length says where the next record is
        record_end = pos + unpack_len(buf, pos)[0] + frame_bytes
        if record_end > n:
            break
        append(pos)
        pos = record_end
    head = np.array(heads, np.int64)
    lengths = np.diff(np.append(head, pos)) - frame_bytes
    corrupt: list[int] = []
    if check_crc:
        arr = np.frombuffer(buf, np.uint8)
        bad_head = _bad_headers(arr, head, lengths)
        if bad_head.any():
            first = int(np.argmax(bad_head))
            corrupt.append(base_offset + int(head[first]))
            head, lengths, pos = head[:first], lengths[:first], n
        elif pos + _HEADER <= n and _CRC.unpack_from(buf, pos + 8)[0] != masked_crc32c(buf[pos : pos + 8]):
            # an incomplete record whose length is itself corrupt: never wait for the rest
            corrupt.append(base_offset + pos)
            pos = n
        bad = _bad_payloads(buf, arr, head + _HEADER, lengths)
        if bad.any():
            corrupt = [base_offset + int(h) for h in head[bad]] + corrupt
            head, lengths = head[~bad], lengths[~bad]
    return RecordScan(head + _HEADER, lengths, pos, corrupt)


def _bad_headers(arr: np.ndarray, head: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    if head.size == 0:
        return np.zeros(0, bool)
    stored = _u32_at(arr, head + 8)
    uniq, inverse = np.unique(lengths, return_inverse=True)
    expected = np.array([masked_crc32c(_LEN.pack(int(v))) for v in uniq], np.uint32)[inverse]
    return stored != expected


def _bad_payloads(buf: bytes, arr: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    bad = np.zeros(starts.size, bool)
    if starts.size == 0:
        return bad
    stored = _u32_at(arr, starts + lengths)
    order = np.argsort(lengths, kind="stable")
    bounds = np.flatnonzero(np.diff(lengths[order])) + 1
    for idx in np.split(order, bounds):
        length = int(lengths[idx[0]])
        if length <= _BULK_MAX and idx.size > 8:
            rows = sliding_window_view(arr, length)[starts[idx]] if length else np.zeros((idx.size, 0), np.uint8)
            bad[idx] = masked_crc32c_rows(rows) != stored[idx]
        else:
            for i in idx.tolist():
                s = int(starts[i])
                bad[i] = masked_crc32c(buf[s : s + length]) != stored[i]
    return bad


def warn_corrupt(path: str, offset: int, why: str) -> None:
    warnings.warn(f"cellboard: skipped a corrupted record in {path} at byte {offset} ({why})",
                  CorruptRecordWarning, stacklevel=3)
