"""TFRecord framing: ``uint64 len | masked_crc32c(len) | data | masked_crc32c(data)``.

CRC32C comes from ``google-crc32c`` (hardware-accelerated C; torch's writer computes it in
pure Python at ~9 MB/s, which dominates its image and histogram cost). Reading verifies the
CRCs of small records in bulk with numpy (see ``crc.py``), or, once numba's kernels are there
(``kernels.py``), follows and checks the intact records in one compiled walk.

Damaged files: one rule for whole-file and incremental reads
------------------------------------------------------------
Scanning starts in *framing* mode at the file's first byte and follows lengths:

* fewer than 12 bytes left, or a valid header whose record ends past the buffer: a torn tail
  (the file is still being written). Scanning stops there and resumes at that offset.
* a valid header (length CRC matches, length below 2**31 - protobuf cannot serialize more)
  whose data CRC fails: that one record is reported and skipped; its length is trusted.
* a header whose length CRC fails, or whose length is 2**31 or more: the framing is lost.
  One corrupt region is reported at that offset and scanning switches to *resync* mode.

In resync mode every following offset ``p`` is a candidate, in order. A candidate is accepted,
and framing mode resumes at it, only if its length CRC matches, its length is below 2**31 and
its data CRC matches (two independent 32-bit checks: a false match in random bytes has
probability 2**-64 per offset). A candidate with a valid header whose record ends past the
buffer cannot be decided yet: scanning waits there (still in resync mode). When no candidate is
left, scanning resumes, in resync mode, at the first offset with fewer than 12 bytes after it.

Every decision depends only on bytes before the point where scanning stops, so feeding a file in
any chunks (``RecordScan.end`` and ``RecordScan.resync`` carried to the next call) gives the same
records and the same corrupt offsets as one read of the whole file.

Work is bounded: candidates are filtered with vectorized byte tests and a vectorized length CRC
(chunks of at most 256 KiB, so memory stays constant); the data CRC of a candidate costs at most
4 KiB of CRC plus a table-driven CRC shift (``_PrefixCRC``) however long it claims to be. A
damaged file is scanned in O(size) time and O(size) memory.
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from google_crc32c import extend as _native_extend

from . import crc as crc_module
from .crc import _mask as _mask_rows
from .crc import crc32c_extend, crc32c_spans, crc_mismatch_at, masked_crc32c, zero_shift

_LEN = struct.Struct("<Q")
_CRC = struct.Struct("<I")
_HEADER = 12  # uint64 length + uint32 crc
_FOOTER = 4
_FRAME = _HEADER + _FOOTER
_BULK_MAX = 1024  # records up to this length get their CRC checked in bulk
MAX_RECORD_LENGTH = (1 << 31) - 1  # protobuf cannot serialize a larger message: a longer length lies
_RESYNC_CHUNK = 256 * 1024  # offsets examined per vectorized step while resynchronising
_DIRECT_CRC_MAX = 4096  # longer candidates get their data CRC through prefix CRCs


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
    end: int  # first byte not consumed (start of a partial record, or where resync resumes)
    corrupt_at: list[int]  # offsets (plus base_offset) of skipped records / lost framing, ascending
    resync: bool = False  # ``end`` lies in a corrupt region: pass ``resync=True`` with the next bytes
    wait_for: int = 0  # (plus base_offset) buffer length below which a new scan cannot progress
    corrupt_why: list[str] = field(default_factory=list)  # one reason per ``corrupt_at`` entry


def _u32_at(arr: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Little-endian uint32 at each of ``offsets`` (anywhere: unaligned), from its four bytes."""
    out = arr.take(offsets).astype(np.uint32)
    for k in (1, 2, 3):
        out |= arr.take(offsets + k).astype(np.uint32) << np.uint32(8 * k)
    return out


def _strided(arr: np.ndarray, dtype: str, offset: int, stride: int, count: int) -> np.ndarray:
    """``count`` values of ``dtype`` at ``offset``, ``offset + stride``, ...: a view, no copy."""
    return np.ndarray((count,), dtype, buffer=arr, offset=offset, strides=(stride,))


def scan_records(buf: bytes, base_offset: int = 0, *, check_crc: bool = True, resync: bool = False) -> RecordScan:
    """Split ``buf`` into records without copying payloads (rules in the module docstring).

    ``buf`` holds a file's bytes from ``base_offset`` on; ``resync`` is the previous scan's
    ``RecordScan.resync`` (``base_offset`` being that scan's ``end``). Never raises on any bytes.
    With ``check_crc=False`` nothing is verified and lengths are trusted (no resync).
    """
    arr = np.frombuffer(buf, np.uint8)
    heads: list[np.ndarray] = []  # record offsets, one array per chain followed
    ends: list[np.ndarray] = []
    corrupt: list[tuple[int, str]] = []
    pos = 0
    in_resync = resync and check_crc
    prefix: _PrefixCRC | None = None
    walked = 0  # records at the front whose data CRC the compiled walk checked (when short enough)
    if check_crc and not in_resync:
        pos, walked = _walk_compiled(arr, heads, ends)
    while True:
        if in_resync:
            if prefix is None:
                prefix = _PrefixCRC(buf)
            pos, found, wait_for = _resync(buf, arr, pos, prefix)
            if not found:
                break
        chain: list[np.ndarray] = []
        pos, bad, wait_for = _follow(buf, arr, pos, chain, check_crc)
        chain = [a for a in chain if a.size]
        if chain:  # each record of a chain ends where the next one (or the chain) stops
            c = chain[0] if len(chain) == 1 else np.concatenate(chain)
            del chain
            e = np.empty_like(c)
            e[:-1] = c[1:]
            e[-1] = pos
            heads.append(c)
            ends.append(e)
        in_resync = bad
        if bad:
            corrupt.append((pos, "bad record length (framing lost; resynchronised at the next valid record)"))
            pos += 1
            continue
        break
    if len(heads) == 1:  # the usual case: no copies
        head, lengths = heads[0], ends[0]
    elif heads:
        head, lengths = np.concatenate(heads), np.concatenate(ends)
    else:
        head, lengths = np.zeros(0, np.int64), np.zeros(0, np.int64)
    del heads, ends
    lengths -= head  # in place: large scans are millions of records
    lengths -= _FRAME
    if check_crc and head.size:
        if walked:
            unchecked = np.ones(head.size, bool)
            unchecked[:walked] = lengths[:walked] > _WALK_CRC_MAX
            bad_crc = np.zeros(head.size, bool)
            idx = np.flatnonzero(unchecked)
            bad_crc[idx] = _bad_payloads(arr, head[idx] + _HEADER, lengths[idx])
        else:
            bad_crc = _bad_payloads(arr, head + _HEADER, lengths)
        if bad_crc.any():
            corrupt.extend((int(h), "CRC mismatch") for h in head[bad_crc])
            head, lengths = head[~bad_crc], lengths[~bad_crc]
    corrupt.sort()
    return RecordScan(
        head + _HEADER,
        lengths,
        pos,
        [base_offset + o for o, _ in corrupt],
        in_resync,
        base_offset + wait_for,
        [why for _, why in corrupt],
    )


_WALK_CRC_MAX = 1024  # the walk checks data CRCs up to this length; google-crc32c the longer ones


@lru_cache(maxsize=1)
def _walk_tables() -> np.ndarray:
    from ..kernels import crc_tables

    return crc_tables()


def _walk_compiled(arr: np.ndarray, heads: list[np.ndarray], ends: list[np.ndarray]) -> tuple[int, int]:
    """The intact records at the front of ``arr`` by the compiled walk (``kernels``), appended
    to ``heads``/``ends``: ``(offset after them, how many)``; ``(0, 0)`` without the kernels.
    Whatever the walk stops at (damage, a torn tail) is scanned by the rules below from there:
    a scan from 0 would have followed the same intact records to the same offset."""
    from .. import kernels

    k = kernels.peek()  # a big read (reader.read_runs) or a big histogram starts compiling it
    if k is None:
        return 0, 0
    out = np.empty(arr.size // _FRAME + 1, np.int64)
    count, stop = k.walk_records(arr, 0, _walk_tables(), _WALK_CRC_MAX, out)
    if count == 0:
        return 0, 0
    head = out[:count].copy()  # not a view: the buffer is sized for the worst case
    e = np.empty_like(head)
    e[:-1] = head[1:]
    e[-1] = stop
    heads.append(head)
    ends.append(e)
    return int(stop), int(count)


def _follow(buf: bytes, arr: np.ndarray, pos: int, heads: list[np.ndarray], check: bool) -> tuple[int, bool, int]:
    """Follow lengths from ``pos`` (framing mode), appending arrays of record offsets to ``heads``.

    Returns ``(stop, bad, wait_for)``: ``bad`` when the header at ``stop`` is corrupt, else
    ``stop`` is a torn tail and ``wait_for`` the buffer length that would complete it.
    Headers are checked in batches, so a corrupt length costs at most one batch of wasted work.

    Following is sequential by nature (each length says where the next record is), so it runs
    in Python one record at a time only until the sizes of the records just read repeat with a
    period (a writer logging the same tags every step); then the pattern is *predicted* for many
    periods at once and every predicted offset is checked with numpy: a prediction is accepted
    only while the length stored there equals the predicted one, so every accepted offset is
    exactly where the previous record's own length points (``_predict``). The result is the
    same as the record-by-record walk, at numpy speed and without holding the GIL for long.
    """
    n = len(buf)
    unpack_len = _LEN.unpack_from
    batch = 256
    while True:
        chunk: list[int] = []
        append = chunk.append
        p = pos
        for _ in range(batch):  # the one sequential part: each length says where the next record is
            if p + _HEADER > n:
                break
            record_end = p + unpack_len(buf, p)[0] + _FRAME
            if record_end > n:
                break
            append(p)
            p = record_end
        c = np.array(chunk, np.int64)
        if check and chunk:
            bad = _bad_headers(arr, c, np.diff(np.append(c, p)) - _FRAME)
            if bad.any():
                first = int(np.argmax(bad))
                heads.append(c[:first])
                return chunk[first], True, 0
        if chunk:
            heads.append(c)
        pos = p
        if len(chunk) < batch:
            break
        pattern = _period(np.diff(np.append(c, p)))
        if pattern is not None:
            pos, bad_at = _predict(arr, pos, pattern, heads, check)
            if bad_at is not None:
                return bad_at, True, 0
            batch = max(256, 4 * len(pattern))  # re-learn the pattern quickly where it changed
        else:
            batch = min(batch * 4, 1 << 16)
    if pos + _HEADER > n:
        return pos, False, pos + _HEADER
    length = unpack_len(buf, pos)[0]
    if check and not _header_ok(buf, pos):
        return pos, True, 0  # an incomplete record whose length is itself corrupt: never wait for it
    return pos, False, pos + length + _FRAME


_MAX_PERIOD = 1024  # record-size patterns up to this many records are predicted
_PREDICT_MAX = 1 << 16  # records predicted and checked per vectorized step (bounds temporaries)


def _period(sizes: np.ndarray) -> np.ndarray | None:
    """The shortest tail pattern ``q`` with ``sizes`` ending in ``q, q``, or None."""
    m = sizes.size
    if m < 2:
        return None
    limit = min(_MAX_PERIOD, m // 2)
    last = sizes[-1]
    # candidates: periods P where the size P records before the last equals the last
    for period in (np.flatnonzero(sizes[m - 1 - limit : m - 1][::-1] == last) + 1).tolist():
        if np.array_equal(sizes[m - period :], sizes[m - 2 * period : m - period]):
            return sizes[m - period :].copy()
    return None


def _predict(
    arr: np.ndarray, pos: int, pattern: np.ndarray, heads: list[np.ndarray], check: bool
) -> tuple[int, int | None]:
    """Accept records at ``pos`` onwards while their sizes repeat ``pattern``.

    Returns ``(position after the accepted records, offset of a corrupt header or None)``.
    """
    n = arr.size
    period, stride = pattern.size, int(pattern.sum())
    rel = np.zeros(period, np.int64)
    np.cumsum(pattern[:-1], out=rel[1:])
    expected = (pattern - _FRAME).astype(np.uint64)
    if check:
        expected_crc = np.array([masked_crc32c(_LEN.pack(int(v))) for v in expected.tolist()], np.uint32)
        too_long = bool((expected > MAX_RECORD_LENGTH).any())
    reps_max = max(1, _PREDICT_MAX // period)
    while True:
        reps = min((n - pos) // stride, reps_max)  # whole periods that fit in the buffer
        if reps <= 0:
            return pos, None
        cand = (pos + stride * np.arange(reps, dtype=np.int64)[:, None] + rel).ravel()
        # the candidates of each phase of the pattern are evenly spaced: read them as strided views
        phases = np.empty((reps, period), bool)
        for p in range(period):
            phases[:, p] = _strided(arr, "<u8", pos + int(rel[p]), stride, reps) == expected[p]
        ok = phases.ravel()
        m = cand.size if ok.all() else int(np.argmin(ok))
        if m == 0:
            return pos, None
        accepted = cand[:m]
        if check:
            crcs = np.empty((reps, period), np.uint32)
            for p in range(period):
                crcs[:, p] = _strided(arr, "<u4", pos + int(rel[p]) + 8, stride, reps)
            bad = crcs.ravel()[:m] != np.tile(expected_crc, reps)[:m]
            if too_long:
                bad |= np.tile(expected > MAX_RECORD_LENGTH, reps)[:m]
            if bad.any():
                first = int(np.argmax(bad))
                heads.append(accepted[:first])
                return int(accepted[first]), int(accepted[first])
        heads.append(accepted)
        pos = int(accepted[-1]) + int(pattern[(m - 1) % period])
        if m < cand.size:
            return pos, None


def _header_ok(buf: bytes, pos: int) -> bool:
    length = _LEN.unpack_from(buf, pos)[0]
    return length <= MAX_RECORD_LENGTH and _CRC.unpack_from(buf, pos + 8)[0] == masked_crc32c(buf[pos : pos + 8])


def _bad_headers(arr: np.ndarray, head: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    if head.size == 0:
        return np.zeros(0, bool)
    stored = _u32_at(arr, head + 8)
    uniq, inverse = np.unique(lengths, return_inverse=True)
    expected = np.array([masked_crc32c(_LEN.pack(int(v))) for v in uniq], np.uint32)[inverse.ravel()]
    return (stored != expected) | (lengths > MAX_RECORD_LENGTH)


def _bad_payloads(arr: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    bad = np.zeros(starts.size, bool)
    if starts.size == 0:
        return bad
    one_by_one = lengths > _BULK_MAX
    short = np.flatnonzero(~one_by_one)
    if short.size:  # many records of one short length: a table-driven CRC over all of them at once
        order = short[np.argsort(lengths[short], kind="stable")]
        for idx in np.split(order, np.flatnonzero(np.diff(lengths[order])) + 1):
            if idx.size > 8:
                bad[idx] = crc_mismatch_at(arr, starts[idx], int(lengths[idx[0]]))
            else:
                one_by_one[idx] = True
    idx = np.flatnonzero(one_by_one)
    if idx.size:  # the rest one C call each, with Python ints (numpy scalars cost more than the CRC)
        # on read-only numpy views, which google-crc32c takes as it takes bytes: no copy per record
        # (its C function itself: crc32c_extend's dispatch would cost a Python call per record)
        if crc_module.NATIVE:
            ro = arr.view()
            ro.flags.writeable = False
            spans = zip(starts[idx].tolist(), lengths[idx].tolist())
            crc = np.fromiter((_native_extend(0, ro[s : s + n]) for s, n in spans), np.uint32, idx.size)
        else:  # no C extension: all of them together, in rows of numpy look-ups (crc32c_spans)
            crc = crc32c_spans(arr, starts[idx], lengths[idx])
        bad[idx] = _mask_rows(crc) != _u32_at(arr, starts[idx] + lengths[idx])
    return bad


# --------------------------------------------------------------------------- resynchronisation


def _resync(buf: bytes, arr: np.ndarray, pos: int, prefix: _PrefixCRC) -> tuple[int, bool, int]:
    """The first record start at or after ``pos``: ``(offset, True, 0)``; or where to wait:
    ``(offset, False, buffer length needed)``."""
    n = len(buf)
    step = 4096  # most regions end at the next record: start small, grow
    while pos + _HEADER <= n:
        hi = min(n - _HEADER, pos + step - 1)
        for p in _header_candidates(arr, pos, hi).tolist():
            length = _LEN.unpack_from(buf, p)[0]
            end = p + _HEADER + length
            if end + _FOOTER > n:
                return p, False, end + _FOOTER
            stored = _CRC.unpack_from(buf, end)[0]
            if length <= _DIRECT_CRC_MAX:
                ok = masked_crc32c(buf[p + _HEADER : end]) == stored
            else:
                ok = _mask(prefix.crc(p + _HEADER, end)) == stored
            if ok:
                return p, True, 0
        pos = hi + 1
        step = min(step * 4, _RESYNC_CHUNK)
    return pos, False, pos + _HEADER


def _header_candidates(arr: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Offsets in ``[lo, hi]`` whose 12 bytes are a valid header (length < 2**31, CRC matches)."""
    m = hi - lo + 1
    seg = arr[lo : hi + _HEADER]
    zero = seg == 0
    # length < 2**31: bytes 4..7 zero, byte 3 < 0x80 (rules out nearly every offset cheaply)
    ok = zero[4 : 4 + m] & zero[5 : 5 + m] & zero[6 : 6 + m] & zero[7 : 7 + m] & (seg[3 : 3 + m] < 0x80)
    # twelve zero bytes are never a valid header (the CRC of a zero length is not 0): skip zero fill fast
    ok &= ~(
        zero[0:m]
        & zero[1 : 1 + m]
        & zero[2 : 2 + m]
        & zero[3 : 3 + m]
        & zero[8 : 8 + m]
        & zero[9 : 9 + m]
        & zero[10 : 10 + m]
        & zero[11 : 11 + m]
    )
    idx = np.flatnonzero(ok)
    if idx.size:
        idx = idx[~crc_mismatch_at(seg, idx, 8)]
    return idx + lo


def _mask(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class _PrefixCRC:
    """CRC32C of any slice of ``buf`` for O(4 KiB) work, so that a resync cannot go quadratic.

    With ``V(x)`` the CRC32C of ``buf[:x]`` and ``Z_k`` the (linear) effect of ``k`` zero bytes
    on the CRC register, ``crc32c(buf[a:b]) = V(b) ^ Z_{b-a}(V(a))``. ``V`` is kept at every
    4 KiB boundary reached so far (computed once, forward); ``Z_k`` is applied with one 4x256
    table per set bit of ``k``.
    """

    STEP = 4096

    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.marks = [0]  # V(i * STEP)

    def _prefix(self, x: int) -> int:
        k = x // self.STEP
        marks, step = self.marks, self.STEP
        while len(marks) <= k:
            i = len(marks) - 1
            marks.append(crc32c_extend(marks[i], self.buf[i * step : (i + 1) * step]))
        return crc32c_extend(marks[k], self.buf[k * step : x])

    def crc(self, a: int, b: int) -> int:
        return self._prefix(b) ^ zero_shift(self._prefix(a), b - a)


def corrupt_message(path: str, offset: int, why: str) -> str:
    return f"cellboard: skipped a corrupted record in {path} at byte {offset} ({why})"


def warn_corrupt(path: str, offset: int, why: str) -> None:
    warnings.warn(corrupt_message(path, offset, why), CorruptRecordWarning, stacklevel=3)
