"""The numba source of ``kernels`` (imported only when numba is installed; see kernels.py)."""

from __future__ import annotations

import numba
import numpy as np

_OPTS = dict(nogil=True, boundscheck=False, cache=True)


@numba.njit(**_OPTS)
def counts_f4(flat, base, thr, counts):
    """Adds each value's shifted bucket to ``counts`` (``base[cell] + (v >= thr[cell])``, as
    ``summaries.tf_tables`` defines them) and returns (min, max, num, sum, sum_squares) of the
    finite values. inf and NaN cells have base 0 and a NaN threshold: slot 0, dropped later."""
    bits = flat.view(np.uint32)
    mn, mx, num, total, sq = np.inf, -np.inf, 0, 0.0, 0.0
    for i in range(flat.size):
        v = flat[i]
        cell = bits[i] >> 16
        counts[base[cell] + (1 if v >= thr[cell] else 0)] += 1
        if (cell & 0x7FFF) >= 0x7F80:  # inf or NaN: in no bucket and no statistic
            continue
        d = np.float64(v)
        num += 1
        total += d
        sq += d * d
        mn = min(mn, d)
        mx = max(mx, d)
    return mn, mx, num, total, sq


# int64 arithmetic throughout: numba promotes uint32 mixed with int literals anyway, and an
# int64 made negative by ``~`` would break the shifts


@numba.njit(inline="always", **_OPTS)
def _u32(buf, p):
    return np.int64(buf[p]) | (np.int64(buf[p + 1]) << 8) | (np.int64(buf[p + 2]) << 16) | (np.int64(buf[p + 3]) << 24)


@numba.njit(inline="always", **_OPTS)
def _masked_crc(buf, p, end, t):
    """TFRecord's masked CRC32C of ``buf[p:end]``, slicing-by-8 (``t``: ``kernels.crc_tables``)."""
    c = np.int64(0xFFFFFFFF)
    while p + 8 <= end:
        lo = c ^ _u32(buf, p)
        c = np.int64(
            t[7, lo & 0xFF]
            ^ t[6, (lo >> 8) & 0xFF]
            ^ t[5, (lo >> 16) & 0xFF]
            ^ t[4, lo >> 24]
            ^ t[3, buf[p + 4]]
            ^ t[2, buf[p + 5]]
            ^ t[1, buf[p + 6]]
            ^ t[0, buf[p + 7]]
        )
        p += 8
    while p < end:
        c = np.int64(t[0, (c ^ buf[p]) & 0xFF]) ^ (c >> 8)
        p += 1
    c ^= 0xFFFFFFFF
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


@numba.njit(**_OPTS)
def walk_records(buf, pos, t, crc_max, heads):
    """Records from ``pos`` while each is complete and intact: a length below 2**31 with a
    matching length CRC and, for payloads up to ``crc_max`` bytes, a matching data CRC (longer
    ones are left to the caller: google-crc32c is faster on long runs). Returns (records
    accepted, their offsets written to ``heads``; the offset after them)."""
    n = buf.size
    k = 0
    while pos + 12 <= n:
        length = _u32(buf, pos) | (_u32(buf, pos + 4) << 32)
        if length < 0 or length > 0x7FFFFFFF or _masked_crc(buf, pos, pos + 8, t) != _u32(buf, pos + 8):
            break
        end = pos + 12 + length
        if end + 4 > n or (length <= crc_max and _masked_crc(buf, pos + 12, end, t) != _u32(buf, end)):
            break
        heads[k] = pos
        k += 1
        pos = end + 4
    return k, pos
