"""Masked CRC32C, one buffer at a time (C, google-crc32c) or many equal-length records at once.

The vectorized form uses CRC's linearity: for messages of length L,
``crc(x) = crc(0^L) ^ XOR_j T_j[x_j]`` where ``T_j[b]`` is the register contribution of byte
``b`` at position ``j`` (the byte table pushed through the ``L-1-j`` zero bytes after it).
That turns a million small records into L table look-ups over numpy columns instead of a
million Python calls.

Where google-crc32c has no C extension (no wheel for the platform: musl, free-threaded Python,
Windows on ARM; it then warns once and loops over bytes in Python, ~10 MB/s), buffers of a few KiB
or more are cut into equal rows, whose CRCs come from the same column look-ups and are joined with
``crc(A + B) = Z_len(B)(crc(A)) ^ crc(B)``, ``Z_k`` being the (linear) effect of ``k`` zero bytes on
the register.
"""

from __future__ import annotations

from functools import lru_cache

import google_crc32c
import numpy as np
from google_crc32c import value as _crc32c
from numpy.lib.stride_tricks import sliding_window_view

# google-crc32c's C extension; without it, long buffers take the row-wise numpy path below
NATIVE = google_crc32c.implementation == "c"

_MASK_DELTA = 0xA282EAD8
_POLY = 0x82F63B78  # CRC-32C (Castagnoli), reflected


def crc32c(data) -> int:
    """CRC32C of ``bytes`` or a read-only uint8 numpy array (what google-crc32c takes)."""
    if NATIVE or len(data) < _ROWS_MIN:
        return _crc32c(data)
    return _crc_in_rows(np.frombuffer(data, np.uint8))


def crc32c_extend(crc: int, data) -> int:
    """CRC32C of the bytes whose CRC32C is ``crc`` followed by ``data``."""
    if NATIVE or len(data) < _ROWS_MIN:
        return google_crc32c.extend(crc, data)
    return zero_shift(crc, len(data)) ^ crc32c(data)


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def _mask(crc: np.ndarray) -> np.ndarray:
    crc = crc.astype(np.uint32, copy=False)
    return ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(_MASK_DELTA)


@lru_cache(maxsize=1)
def _byte_table() -> np.ndarray:
    c = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        c = (c >> np.uint32(1)) ^ (np.uint32(_POLY) * (c & np.uint32(1)))
    return c


@lru_cache(maxsize=128)
def _position_tables(length: int) -> tuple[np.ndarray, int]:
    tbl = _byte_table()
    tables = np.empty((length, 256), np.uint32)
    c = tbl.copy()
    for j in range(length - 1, -1, -1):
        tables[j] = c
        c = tbl[c & np.uint32(0xFF)] ^ (c >> np.uint32(8))  # one more zero byte after it
    return tables, _crc32c(bytes(length))


_BLOCK = 16384  # rows per pass: a block's transposed copy (16k x L bytes) stays in the L2 cache


def crc_mismatch_at(buf: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """For each of ``starts``: whether the masked CRC32C of the ``length`` bytes there differs from
    the little-endian uint32 stored right after them (all within the uint8 array ``buf``).

    The rows are gathered and transposed a block at a time, stored CRC included: a column of the
    row matrix is strided (each pass over one would read every row's cache line), and a whole
    matrix transposed at once left the cache (its copy took longer than the look-ups)."""
    out = np.empty(starts.size, bool)
    if starts.size == 0:  # no window is needed (nor possible in a buffer shorter than one record)
        return out
    window = sliding_window_view(buf, length + 4)
    for a in range(0, starts.size, _BLOCK):
        cols = np.ascontiguousarray(window[starts[a : a + _BLOCK]].T)
        stored = cols[length].astype(np.uint32)
        for k in (1, 2, 3):
            stored |= cols[length + k].astype(np.uint32) << np.uint32(8 * k)
        out[a : a + _BLOCK] = _mask(_block_crc(cols[:length])) != stored
    return out


def _block_crc(cols: np.ndarray) -> np.ndarray:
    """Unmasked CRC32C of each column of an ``(L, n)`` uint8 matrix (rows transposed)."""
    length, n = cols.shape
    if length == 0:
        return np.full(n, _crc32c(b""), np.uint32)
    tables, zero_crc = _position_tables(length)
    acc = np.zeros(n, np.uint32)
    shared = zero_crc
    for j in range(length):
        col = cols[j]
        first = int(col[0])
        # a byte every row shares (tags, field keys): one table entry for all; compared as bytes
        # (memcmp stops at the first difference: ~2.5x faster than numpy's compare and reduce)
        if col.tobytes() == bytes((first,)) * n:
            shared ^= int(tables[j, first])
        else:
            acc ^= tables[j].take(col)
    acc ^= np.uint32(shared)
    return acc


_ROW = 256  # bytes per row of a long buffer (its position tables: 256 KiB)
# shorter buffers keep google-crc32c's own loop: the row path costs ~0.3 ms at least, and the
# loop takes ~0.35 ms for 4 KiB
_ROWS_MIN = 4096
_ROW_BLOCK = 4096  # rows transposed at once: 1 MiB, which stays in the L2 cache
_PIECE = 1 << 22  # a long buffer is checked this many bytes at a time (the rows are a copy)
_INIT = 0xFFFFFFFF  # CRC32C's initial register (and final XOR)


def _crc_in_rows(data: np.ndarray) -> int:
    """CRC32C of a long uint8 buffer without the C extension, a piece at a time."""
    crc = _crc32c(b"")
    for a in range(0, data.size, _PIECE):
        piece = data[a : a + _PIECE]
        crc = zero_shift(crc, piece.size) ^ int(crc32c_spans(piece, np.zeros(1, np.int64), np.array([piece.size]))[0])
    return crc


def crc32c_spans(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """CRC32C (unmasked, uint32) of each ``buf[start : start + length]`` of a uint8 array, without
    a call per span: the spans are copied into 256-byte rows, each span ending at a row's end (the
    zeros before it leave a CRC register that starts at 0 unchanged), every row's CRC comes from
    one pass of column look-ups, and each span's rows are joined by shifting each row's CRC over
    the bytes after it. A span padded to ``P`` bytes then differs from its own CRC by
    ``Z_P(init) ^ Z_len(init)``, the initial register's part."""
    lengths = np.asarray(lengths, np.int64)
    rows_of = -(-lengths // _ROW)
    ends = np.cumsum(rows_of)
    grid = np.zeros((int(ends[-1]) if ends.size else 0, _ROW), np.uint8)
    flat = grid.reshape(-1)
    for s, n, e in zip(np.asarray(starts).tolist(), lengths.tolist(), (ends * _ROW).tolist()):
        flat[e - n : e] = buf[s : s + n]
    crcs = np.empty(len(grid), np.uint32)
    for a in range(0, len(grid), _ROW_BLOCK):
        crcs[a : a + _ROW_BLOCK] = _block_crc(np.ascontiguousarray(grid[a : a + _ROW_BLOCK].T))
    after = np.repeat(ends, rows_of) - 1 - np.arange(len(grid))  # rows after each one in its span
    crcs = zero_shift_each(crcs, after * _ROW)
    out = np.full(lengths.size, _crc32c(b""), np.uint32)
    some = rows_of > 0
    if some.any():
        joined = np.bitwise_xor.reduceat(crcs, (ends - rows_of)[some])
        init = np.full(int(some.sum()), _INIT, np.uint32)
        out[some] = joined ^ zero_shift_each(init, rows_of[some] * _ROW) ^ zero_shift_each(init, lengths[some])
    return out


@lru_cache(maxsize=1)
def _shift_tables() -> tuple[np.ndarray, ...]:
    """``tables[i][j, byte]``: the effect of ``2**i`` zero bytes on a register holding ``byte << 8j``."""
    tbl = _byte_table()
    basis = np.arange(256, dtype=np.uint32) << (np.arange(4, dtype=np.uint32) * np.uint32(8))[:, None]
    tables = [tbl[basis & np.uint32(0xFF)] ^ (basis >> np.uint32(8))]  # one zero byte
    for _ in range(40):
        tables.append(_apply(tables[-1], _apply(tables[-1], basis)))
    for t in tables:
        t.flags.writeable = False
    return tuple(tables)


@lru_cache(maxsize=1)
def _shift_lists() -> tuple[list[list[int]], ...]:
    """``_shift_tables`` as Python ints: one register shifted costs ~1 µs instead of numpy's ~10."""
    return tuple(t.tolist() for t in _shift_tables())


def _apply(table: np.ndarray, v: np.ndarray) -> np.ndarray:
    return (
        table[0][v & np.uint32(0xFF)]
        ^ table[1][(v >> np.uint32(8)) & np.uint32(0xFF)]
        ^ table[2][(v >> np.uint32(16)) & np.uint32(0xFF)]
        ^ table[3][v >> np.uint32(24)]
    )


def zero_shift(crc: int, nbytes: int) -> int:
    """``Z_nbytes(crc)``: the register after ``nbytes`` zero bytes, with no initial or final XOR."""
    tables = _shift_lists()
    i = 0
    while nbytes:
        if nbytes & 1:
            t = tables[i]
            crc = t[0][crc & 0xFF] ^ t[1][(crc >> 8) & 0xFF] ^ t[2][(crc >> 16) & 0xFF] ^ t[3][crc >> 24]
        nbytes >>= 1
        i += 1
    return crc


def zero_shift_each(crcs: np.ndarray, nbytes: np.ndarray) -> np.ndarray:
    """``zero_shift`` of each of a uint32 array over its own number of bytes (int64 array)."""
    tables = _shift_tables()
    out = crcs.astype(np.uint32)
    top = int(nbytes.max()) if nbytes.size else 0
    i = 0
    while top >> i:
        bit = (nbytes >> i) & 1 == 1
        if bit.any():
            out = np.where(bit, _apply(tables[i], out), out)
        i += 1
    return out
