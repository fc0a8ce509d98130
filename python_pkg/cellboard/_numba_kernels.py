"""The numba source of ``kernels`` (imported only when numba is installed; see kernels.py)."""

from __future__ import annotations

import platform
from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


def _crc_instructions() -> bool:
    """Whether the walk can use this CPU's CRC32C instruction: x86-64's SSE 4.2. (ARMv8 has one
    too; it could not be tried on ARM here, so ARM keeps the tables.)"""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        from llvmlite import binding

        return bool(binding.get_host_cpu_features().get("sse4.2"))
    except Exception:  # noqa: BLE001 - no feature list on this host: the tables then
        return False


CRC_INSTRUCTIONS = _crc_instructions()


@numba.njit(nogil=True, boundscheck=False, cache=True, inline="always")
def _tf_counts(flat, bits, shift, special, base, thr, counts):
    """Adds each value's shifted bucket to ``counts`` (``base[cell] + (v >= thr[cell])``, as
    ``binning.tf_tables`` defines them; a cell is the value's top 16 bits, ``bits >> shift``) and
    returns (min, max, num, sum, sum_squares) of the finite values. inf and NaN cells (from
    ``special`` up, sign aside) have base 0 and a NaN threshold: slot 0, dropped later."""
    mn, mx, num, total, sq = np.inf, -np.inf, 0, 0.0, 0.0
    for i in range(flat.size):
        v = flat[i]
        cell = np.int64(bits[i] >> shift)  # shift has the bits' type: no float promotion of uint64
        counts[base[cell] + (1 if v >= thr[cell] else 0)] += 1
        if (cell & 0x7FFF) >= special:  # inf or NaN: in no bucket and no statistic
            continue
        d = np.float64(v)
        num += 1
        total += d
        sq += d * d
        mn = min(mn, d)
        mx = max(mx, d)
    return mn, mx, num, total, sq


@numba.njit(nogil=True, boundscheck=False, cache=True)
def counts_f4(flat, base, thr, counts):
    """``_tf_counts`` of float32 values (``binning.tf_tables("f4")``)."""
    return _tf_counts(flat, flat.view(np.uint32), np.uint32(16), 0x7F80, base, thr, counts)


@numba.njit(nogil=True, boundscheck=False, cache=True)
def counts_f8(flat, base, thr, counts):
    """``_tf_counts`` of float64 values: a cell is the top 16 bits of the float64 (sign, the 11
    exponent bits, 4 mantissa bits), as ``binning.tf_tables("f8")`` defines them."""
    return _tf_counts(flat, flat.view(np.uint64), np.uint64(48), 0x7FF0, base, thr, counts)


# int64 arithmetic throughout: numba promotes uint32 mixed with int literals anyway, and an
# int64 made negative by ``~`` would break the shifts


@numba.njit(nogil=True, boundscheck=False, cache=True, inline="always")
def _u32(buf, p):
    return np.int64(buf[p]) | (np.int64(buf[p + 1]) << 8) | (np.int64(buf[p + 2]) << 16) | (np.int64(buf[p + 3]) << 24)


def _crc_word_typing(typingctx, crc, word):
    """The CRC32C register ``crc`` (low 32 bits) after the 8 bytes of ``word``, little-endian:
    one ``crc32`` instruction (SSE 4.2)."""
    sig = types.int64(types.int64, types.int64)

    def codegen(context, builder, signature, args):
        i64 = ir.IntType(64)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(i64, [i64, i64]), "llvm.x86.sse42.crc32.64.64"
        )
        return builder.call(fn, list(args))

    return sig, codegen


def _crc_byte_typing(typingctx, crc, byte):
    """The CRC32C register ``crc`` (low 32 bits) after the byte ``byte``: one ``crc32`` instruction."""
    sig = types.int64(types.int64, types.int64)

    def codegen(context, builder, signature, args):
        c, b = args
        i8, i32 = ir.IntType(8), ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(i32, [i32, i8]), "llvm.x86.sse42.crc32.32.8"
        )
        return builder.zext(builder.call(fn, [builder.trunc(c, i32), builder.trunc(b, i8)]), ir.IntType(64))

    return sig, codegen


# (typed as Any: numba's intrinsic is called without its typing context, which mypy cannot know)
_crc_word: Any = intrinsic(_crc_word_typing)
_crc_byte: Any = intrinsic(_crc_byte_typing)


@numba.njit(nogil=True, boundscheck=False, cache=True, inline="always")
def _u64(buf, p):
    """8 bytes from ``p``, little-endian (LLVM makes it one unaligned load)."""
    return _u32(buf, p) | (_u32(buf, p + 4) << 32)


@numba.njit(nogil=True, boundscheck=False, cache=True, inline="always")
def masked_crc_instructions(buf, p, end, t):
    """TFRecord's masked CRC32C of ``buf[p:end]`` with SSE 4.2's ``crc32`` (``t`` unused: the same
    arguments as ``masked_crc_tables``); the walk of 50-byte scalar records takes ~30% less time."""
    c = np.int64(0xFFFFFFFF)
    while p + 8 <= end:
        c = _crc_word(c, _u64(buf, p))
        p += 8
    while p < end:
        c = _crc_byte(c, np.int64(buf[p]))
        p += 1
    c ^= 0xFFFFFFFF
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


@numba.njit(nogil=True, boundscheck=False, cache=True, inline="always")
def masked_crc_tables(buf, p, end, t):
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


_masked_crc = masked_crc_instructions if CRC_INSTRUCTIONS else masked_crc_tables  # the walk's


@numba.njit(nogil=True, boundscheck=False, cache=True)
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


# --------------------------------------------------------------------------- scalar records by template
# ``fastscalars._grouped`` on records of one length at ``at`` (their payload offsets in ``buf``);
# ``masks[w]`` is the 8-byte little-endian word mask of word ``w`` (0xFF for a constant byte of
# the template, 0x00 for a variable byte or one past the record's end).


@numba.njit(nogil=True, boundscheck=False, cache=True, inline="always")
def _word(buf, p, w, length):
    """The record's bytes ``8w .. 8w+7`` from ``p`` as a little-endian word (bytes past ``length``: 0).
    A whole word is assembled without branches, which LLVM turns into one unaligned load."""
    q = p + 8 * w
    if 8 * w + 8 <= length:
        return (
            np.uint64(buf[q])
            | (np.uint64(buf[q + 1]) << np.uint64(8))
            | (np.uint64(buf[q + 2]) << np.uint64(16))
            | (np.uint64(buf[q + 3]) << np.uint64(24))
            | (np.uint64(buf[q + 4]) << np.uint64(32))
            | (np.uint64(buf[q + 5]) << np.uint64(40))
            | (np.uint64(buf[q + 6]) << np.uint64(48))
            | (np.uint64(buf[q + 7]) << np.uint64(56))
        )
    x = np.uint64(0)
    for b in range(length - 8 * w):
        x |= np.uint64(buf[q + b]) << np.uint64(8 * b)
    return x


@numba.njit(nogil=True, boundscheck=False, cache=True)
def hash_constant_bytes(buf, at, length, masks):
    """A hash of each record's constant bytes (FNV-1a over masked words): equal templates hash
    equal; the caller verifies every byte, so collisions cost time, never correctness."""
    out = np.empty(at.size, np.uint64)
    for r in range(at.size):
        h = np.uint64(0xCBF29CE484222325)
        for w in range(masks.size):
            h = (h ^ (_word(buf, at[r], w, length) & masks[w])) * np.uint64(0x100000001B3)
        out[r] = h
    return out


@numba.njit(nogil=True, boundscheck=False, cache=True)
def match_and_take(
    buf,
    at,
    row_group,
    row_pos,
    length,
    masks,
    refs,
    step_at,
    step_len,
    value_at,
    width,
    wall_at,
    ok,
    values,
    walls,
    steps,
):
    """One pass over the records in file order (``at``): a record of template ``g = row_group[i]``
    (-1: none) matches when every constant byte equals the template's (``refs[g]``, masked
    words) and its step varint has exactly ``step_len[g]`` bytes at ``step_at[g]`` (continuation
    bits on all but the last; 0: no step, step 0). Its value bytes (``width[g]`` at
    ``value_at[g]``), wall-time bytes (``wall_at[g]`` -1: none, zeros) and step go to row
    ``row_pos[i]`` of the outputs, so each template's records come out together, in file order."""
    words = masks.size
    for i in range(at.size):
        g = row_group[i]
        if g < 0:
            continue
        p = at[i]
        o = row_pos[i]
        diff = np.uint64(0)
        for w in range(words):
            diff |= (_word(buf, p, w, length) & masks[w]) ^ refs[g, w]
        good = diff == 0
        s = np.uint64(0)
        k = step_len[g]
        if k:
            q = p + step_at[g]
            for j in range(k - 1):
                good &= buf[q + j] >= 0x80
            good &= buf[q + k - 1] < 0x80
            for j in range(k):
                s |= (np.uint64(buf[q + j]) & np.uint64(0x7F)) << np.uint64(7 * j)
        ok[o] = good
        steps[o] = s
        q = p + value_at[g]
        for b in range(width[g]):
            values[o, b] = buf[q + b]
        if wall_at[g] >= 0:
            q = p + wall_at[g]
            for b in range(8):
                walls[o, b] = buf[q + b]


GROUP_SLOTS = 4096  # open-addressing table of group_by_hash: at most half of it holds groups


@numba.njit(nogil=True, boundscheck=False, cache=True)
def group_by_hash(h, order, starts):
    """Groups the rows of equal hash ``h``: group ids in order of first appearance, rows in file
    order within a group, written as ``order`` (the rows, group after group) and ``starts`` (where
    each group begins in it; one more entry: the end). Returns the number of groups, or -1 when
    there are more than ``GROUP_SLOTS // 2`` (the caller then sorts): what a stable argsort of the
    hashes gives, with the groups sorted by their first row, in two passes instead of a sort."""
    n = h.size
    mask = GROUP_SLOTS - 1
    keys = np.empty(GROUP_SLOTS, np.uint64)
    ids = np.full(GROUP_SLOTS, -1, np.int64)
    gid = np.empty(n, np.int64)
    counts = np.zeros(GROUP_SLOTS // 2 + 1, np.int64)
    groups = 0
    for i in range(n):
        x = h[i]
        j = np.int64((x * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(52)) & mask
        while ids[j] >= 0 and keys[j] != x:
            j = (j + 1) & mask
        if ids[j] < 0:
            if groups == GROUP_SLOTS // 2:
                return -1
            keys[j] = x
            ids[j] = groups
            groups += 1
        g = ids[j]
        gid[i] = g
        counts[g] += 1
    at = 0
    for g in range(groups):
        starts[g] = at
        at += counts[g]
        counts[g] = starts[g]  # from here: where the group's next row goes
    starts[groups] = n
    for i in range(n):
        g = gid[i]
        order[counts[g]] = i
        counts[g] += 1
    return groups
