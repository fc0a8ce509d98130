"""Masked CRC32C, one buffer at a time (C, google-crc32c) or many equal-length records at once.

The vectorized form uses CRC's linearity: for messages of length L,
``crc(x) = crc(0^L) ^ XOR_j T_j[x_j]`` where ``T_j[b]`` is the register contribution of byte
``b`` at position ``j`` (the byte table pushed through the ``L-1-j`` zero bytes after it).
That turns a million small records into L table look-ups over numpy columns instead of a
million Python calls.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from google_crc32c import value as _crc32c
from numpy.lib.stride_tricks import sliding_window_view

_MASK_DELTA = 0xA282EAD8
_POLY = 0x82F63B78  # CRC-32C (Castagnoli), reflected


def masked_crc32c(data: bytes) -> int:
    crc = _crc32c(data)
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
