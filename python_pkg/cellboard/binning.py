"""Histograms as event files hold them: TensorFlow's default bins, counted in O(n).

The "tensorflow" bins are counted with a table lookup on each value's top 16 bits (numpy in
chunks, or the numba kernel of ``kernels.py`` when installed); numpy's bin rules otherwise.
Accelerator tensors are counted on their device instead (``device.py``).
"""

from __future__ import annotations

import itertools
import math
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

import numpy as np

from . import kernels
from .summaries import to_numpy

_T = TypeVar("_T")


@dataclass
class Histogram:
    """A legacy HistogramProto: ``limits[i]`` is the right edge of ``counts[i]``."""

    min: float
    max: float
    num: float
    sum: float
    sum_squares: float
    limits: np.ndarray
    counts: np.ndarray


MAX_BINS = 100_000  # buckets in one histogram: ~1.6 MB per event, and far more than a chart shows


@lru_cache(maxsize=1)
def tensorflow_bins() -> np.ndarray:
    """TensorFlow's default edges: +-1e-12 * 1.1**k up to 1e20, and 0 (as torch uses)."""
    v, pos = 1e-12, []
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    pos_arr = np.array(pos)
    return np.concatenate([-pos_arr[::-1], [0.0], pos_arr])


def histogram(values, bins="tensorflow", max_bins: int | None = None) -> Histogram:
    arr = to_numpy(values, "values")
    if max_bins is not None and (not isinstance(max_bins, (int, np.integer)) or max_bins < 1):
        raise ValueError(f"max_bins must be a positive int or None, got {max_bins!r}")
    if isinstance(bins, str) and bins == "tensorflow":
        counts, mn, mx, num, total, sq = tf_counts(arr.ravel())
        if num == 0:
            raise ValueError("values must contain at least one finite number")
        return finish_histogram(counts, tensorflow_bins(), max_bins, mn, mx, num, total, sq)
    if arr.dtype == bool:
        arr = arr.astype(np.float64)
    flat = arr.astype(np.float64, copy=False).ravel()
    finite = flat[np.isfinite(flat)]
    if finite.size == 0:
        raise ValueError("values must contain at least one finite number")
    edges = _edges(finite, bins)
    counts, edges = np.histogram(finite, bins=edges)
    return finish_histogram(
        counts,
        edges,
        max_bins,
        float(finite.min()),
        float(finite.max()),
        float(finite.size),
        float(finite.sum()),
        float(finite.dot(finite)),
    )


def finish_histogram(counts, edges, max_bins, mn, mx, num, total, sq) -> Histogram:
    """The HistogramProto of bucket ``counts`` over ``edges``: merged down to ``max_bins``, and
    trimmed to the non-empty buckets (with one empty bucket on the left for the left edge)."""
    counts = np.asarray(counts).astype(np.float64)
    if max_bins is not None and len(counts) > max_bins:
        # merge neighbouring bins so that at most max_bins remain, keeping the outer edges
        factor = -(-len(counts) // max_bins)
        pad = (-len(counts)) % factor
        counts = np.pad(counts, (0, pad)).reshape(-1, factor).sum(axis=1)
        edges = (
            np.concatenate([edges[:-1:factor], edges[-1:]])
            if pad == 0
            else np.concatenate([edges[::factor][: len(counts)], edges[-1:]])
        )
    nz = np.flatnonzero(counts)
    if nz.size == 0:
        limits, kept = edges[1:2], np.zeros(1)
    else:
        start, end = int(nz[0]), int(nz[-1]) + 1
        # TensorBoard stores right edges only; an empty bucket on the left keeps the left edge.
        kept = np.concatenate([[0.0], counts[start:end]])
        limits = edges[start : end + 1]
    return Histogram(float(mn), float(mx), float(num), float(total), float(sq), limits, kept)


# The default ("tensorflow") buckets in O(n), exactly as ``np.histogram(values, tensorflow_bins())``
# counts them (bucket i holds e[i] <= v < e[i+1], the last one also v == e[-1]; values outside
# [e[0], e[-1]] are counted in num/sum but in no bucket). The edges are a fixed geometric series
# (ratio 1.1), so a value's bucket follows from its top 16 bits: sign, exponent and the leading
# mantissa bits (7 for float32, 4 for float64) select a "cell" of relative width <= 1/16, which
# holds at most one edge. A 65,536-entry table gives each cell's bucket at its low end and the
# smallest value of the cell that is in the next bucket (NaN when the cell holds no edge):
#     bucket = base[cell] + (v >= threshold[cell])
# Both tables are derived from the float64 edges with np.searchsorted itself (a bisection over
# the cell's values), so "exact at the edges" holds by construction, including -0.0, subnormals,
# +-inf and NaN (cells of all-ones exponents: dropped). Indices are shifted by one: 0 is "below
# the first edge", nb + 1 "above the last edge or NaN"; both are dropped after counting.
_CHUNK = 1 << 16  # values per step: the temporaries (~1.5 MiB) stay in L2 and no float64 copy of the input
# Counting: ``np.add.at(counts, keys, 1)`` adds into the running counts. From numpy 1.25 (its fast
# ``ufunc.at``) that is ~1.5x faster than ``counts += np.bincount(keys)``, which scans the keys for
# their range first and allocates a result per chunk (1 MiB for the cell counts: page faults each
# time). numpy 1.24's ``add.at`` is the slow generic loop, so it keeps ``bincount``.
_ADD_AT = np.lib.NumpyVersion(np.__version__) >= "1.25.0"


def _count_into(counts: np.ndarray, keys: np.ndarray) -> None:
    """``counts[k] += 1`` for each of ``keys`` (intp, each in range)."""
    if _ADD_AT:
        np.add.at(counts, keys, 1)
    else:
        counts += np.bincount(keys, minlength=counts.size)


def _tf_bucket_ref(v: np.ndarray) -> np.ndarray:
    """Shifted bucket of float64 values, as np.histogram with the TF edges assigns them."""
    edges = tensorflow_bins()
    nb = len(edges) - 1
    i = np.searchsorted(edges, v, side="right")
    return np.where(v == edges[-1], nb, i)


@lru_cache(maxsize=2)
def tf_tables(fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """``(base int64[65536], threshold)`` for float32 (``"f4"``) or float64 (``"f8"``) bits."""
    ftype, utype, low = (np.float32, np.uint32, 16) if fmt == "f4" else (np.float64, np.uint64, 48)
    expbits = 8 if fmt == "f4" else 11
    keys = np.arange(65536, dtype=np.uint64)
    neg = keys >= 0x8000
    full = np.uint64((1 << low) - 1)

    def value(pos):  # the pos-th smallest value of each cell (bit order is reversed for negatives)
        lowbits = np.where(neg, full - pos, pos).astype(np.uint64)
        with np.errstate(invalid="ignore"):
            return ((keys << np.uint64(low)) | lowbits).astype(utype).view(ftype).astype(np.float64)

    special = ((keys & np.uint64(0x7FFF)) >> np.uint64(15 - expbits)) == (1 << expbits) - 1  # inf/NaN cells
    p0, p1 = np.zeros(65536, np.uint64), np.full(65536, full, np.uint64)
    b0, b1 = _tf_bucket_ref(value(p0)), _tf_bucket_ref(value(p1))
    step = np.where(special, 0, b1 - b0)
    if step.min() < 0 or step.max() > 1:  # pragma: no cover - a property of the edges, checked once
        raise AssertionError("a float cell spans more than one TensorFlow bucket edge")
    lo, hi = p0, p1  # bisection: smallest position whose bucket is b1 (b(lo) = b0 < b1 = b(hi))
    for _ in range(low + 1):
        mid = lo + (hi - lo) // np.uint64(2)
        up = _tf_bucket_ref(value(mid)) == b1
        hi, lo = np.where(up, mid, hi), np.where(up, lo, mid)
    with np.errstate(invalid="ignore"):
        threshold = np.where(step == 1, value(hi), np.nan).astype(ftype)
    base = np.where(special, 0, b0).astype(np.int64)
    base.flags.writeable = threshold.flags.writeable = False
    return base, threshold


# Big float32 arrays count a key per value: its cell, moved to the neighbouring cell when the value
# lies past the edge that cuts its cell, in uint32 arithmetic: ``key = (bits + carry[cell]) >> 16``.
# For a positive cell cut at low bits t, carry = 65536 - t: values at or above the edge (low >= t)
# carry into the next cell, whose values are in the same bucket. Negative values' bits grow away
# from zero, so there carry = -(t + 1) mod 2**32: values at or above the edge (low <= t) move into
# the cell before, nearer zero, again the same bucket. One count over the 65,536 keys and a table
# from key to bucket follow. Only -0.0 (in cell 0x8000, cut at -0.0) moves into a cell holding
# other values: 0x7FFF, of NaNs. A chunk holding NaN or inf (its float32 sums are not finite) is
# therefore counted the general way (``_chunk_counts``), and elsewhere key 0x7FFF is -0.0.
_KEYS = 1 << 16


@lru_cache(maxsize=1)
def _f4_key_tables() -> tuple[np.ndarray, np.ndarray]:
    """For ``_f4_cells``: each cell's carry (uint32), and each key's bucket (shifted, as
    ``tf_tables``: 0 and nb + 1 are dropped) for chunks without NaN or inf."""
    base, threshold = tf_tables("f4")
    cut = np.flatnonzero(~np.isnan(threshold))
    low = threshold[cut].view(np.uint32).astype(np.int64) & 0xFFFF
    neg = cut >= 0x8000
    carry = np.zeros(_KEYS, np.uint32)
    carry[cut] = np.where(neg, (1 << 32) - (low + 1), _KEYS - low).astype(np.uint32)
    bucket = base.astype(np.intp)
    bucket[0x7FFF] = base[0]  # -0.0, moved out of cell 0x8000 (the cells of NaN hold none here)
    # the carried values' bucket is the one of the cell they move into
    into = np.where(neg, cut - 1, cut + 1)
    if not np.array_equal(bucket[into], base[cut] + 1):  # pragma: no cover - a property of the edges
        raise AssertionError("a carried value would change bucket")
    carry.flags.writeable = bucket.flags.writeable = False
    return carry, bucket


_CELL_MIN = 1 << 20  # float32 arrays from this size take the cell-count path (its fixed cost: ~1 ms)
_CELL_CHUNK = 1 << 18  # values per step of the cell-count path (~3 MiB of temporaries per thread)
_PARALLEL_MIN = 1 << 22  # values from which the cell counts run on several threads (numpy releases the GIL)
# Threads for one big float32 histogram (1: none), at most 4: like torch's own CPU ops, they use
# the cores the training loop leaves idle. Measured on 2 cores, 1e7 values: 1.5x faster with two
# threads at a load average of 2.4, ~5% slower at 5-7 (no idle core to use).
HISTOGRAM_THREADS = max(1, min(4, os.cpu_count() or 1))
# numpy's counts (``np.add.at``, ``np.bincount``) hold the GIL: on 2 threads they ran 1.17x and
# 1.09x as fast as on one, so counting was the serial part of a big histogram. torch's
# ``scatter_add_`` releases it and is faster (0.51 against 0.66 ns a value), so the keys are
# counted with it whenever the process has imported torch (never imported here: ~1 s).
_TORCH_COUNTS = True


@lru_cache(maxsize=1)
def _ones(size: int) -> np.ndarray:
    """int64 ones for ``scatter_add_`` to add (never written); numpy's, as ``torch.ones`` would start
    an OpenMP team on the calling thread, whose spinning threads then compete with the other parts'."""
    return np.ones(size, np.int64)


def _key_counter(counts: np.ndarray, keys: np.ndarray) -> Callable[[int], object]:
    """``count(k)``: ``counts[key] += 1`` for each of ``keys[:k]`` (intp, in range): with torch's
    ``scatter_add_`` when the process has imported torch, else numpy's."""
    torch = sys.modules.get("torch") if _TORCH_COUNTS else None
    if torch is None or not hasattr(torch, "from_numpy"):  # absent, or not done importing
        return lambda k: _count_into(counts, keys[:k])
    into, index, ones = torch.from_numpy(counts), torch.from_numpy(keys), torch.from_numpy(_ones(keys.size))
    return lambda k: into.scatter_add_(0, index[:k], ones[:k])


def _f4_cells(flat: np.ndarray) -> tuple[np.ndarray, float, float, int, float, float]:
    """Counts of the keys of native, contiguous float32 values (``_KEYS`` of them, then the
    ``nb + 2`` shifted buckets of the chunks that hold NaN or inf), and ``(min, max, num, sum,
    sum_squares)`` of the finite values.

    Sums are float32 (numpy's pairwise sum and einsum's dot) per chunk, accumulated in float64:
    relative error ~1e-6, where torch's writer sums in float32 throughout. A chunk whose float32
    sums are not finite (inf, NaN or overflow) is counted and summed the general way, in float64;
    one whose squares underflow is summed again in float64.
    """
    carry = _f4_key_tables()[0]
    n = flat.size
    m = min(n, _CELL_CHUNK)
    key, moved = np.empty(m, np.intp), np.empty(m, np.uint32)
    counts = np.zeros(_KEYS + len(tensorflow_bins()) + 1, np.int64)
    count = _key_counter(counts, key)
    mn, mx, num, total, sq = math.inf, -math.inf, 0, 0.0, 0.0
    for start in range(0, n, _CELL_CHUNK):
        c = flat[start : start + _CELL_CHUNK]
        k = c.size
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            s = float(c.sum())
            q = float(np.einsum("i,i->", c, c))  # not BLAS: its threads stall on a busy machine
        if not (math.isfinite(s) and math.isfinite(q)):  # rare: inf/NaN, or float32 overflow
            general = _chunk_counts(c, "f4", None)
            counts[_KEYS:] += general[0]
            if general[3]:
                num += general[3]
                total += general[4]
                sq += general[5]
                mn = min(mn, general[1])
                mx = max(mx, general[2])
            continue
        kk, mm, bits = key[:k], moved[:k], c.view(np.uint32)
        np.right_shift(bits, 16, out=kk, casting="unsafe")
        np.take(carry, kk, out=mm, mode="wrap")  # keys are < 65536: "wrap" never wraps, and is the fastest mode
        mm += bits
        np.right_shift(mm, 16, out=kk, casting="unsafe")
        count(k)
        lo, hi = float(c.min()), float(c.max())
        if q <= 1e-30 and not lo == hi == 0.0:  # float32 squares underflowed: sum in float64
            f = c.astype(np.float64)
            s, q = float(f.sum()), float(np.dot(f, f))
        num += k
        total += s
        sq += q
        mn = min(mn, lo)
        mx = max(mx, hi)
    return counts, mn, mx, num, total, sq


_pool: tuple[int, ThreadPoolExecutor] | None = None  # (pid that made it, pool)
_pool_lock = threading.Lock()


def _thread_pool(workers: int) -> ThreadPoolExecutor:
    """A pool for the cell counts; a new one after ``fork`` (a child has none of the parent's
    threads: tasks given to the parent's pool would never run)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid() or _pool[1]._max_workers < workers:
            if _pool is not None and _pool[0] == os.getpid():
                _pool[1].shutdown(wait=False)  # HISTOGRAM_THREADS was raised: a bigger pool replaces it
            _pool = (os.getpid(), ThreadPoolExecutor(workers, thread_name_prefix="cellboard-histogram"))
        return _pool[1]


def _in_parts(flat: np.ndarray, count: Callable[[np.ndarray], _T]) -> list[_T]:
    """``count`` over parts of ``flat``: one part, or up to ``HISTOGRAM_THREADS`` in parallel for
    big arrays (numpy and the numba kernel release the GIL)."""
    n = flat.size
    parts = min(HISTOGRAM_THREADS, n // (_PARALLEL_MIN // 2)) if n >= _PARALLEL_MIN else 1
    if parts == 1:
        return [count(flat)]
    bounds = [n * i // parts // _CELL_CHUNK * _CELL_CHUNK for i in range(parts)] + [n]
    pieces = [flat[a:b] for a, b in itertools.pairwise(bounds)]
    # the calling thread counts the first part itself rather than wait: one thread fewer to wake
    later = [_thread_pool(parts - 1).submit(count, piece) for piece in pieces[1:]]
    return [count(pieces[0]), *(f.result() for f in later)]


def _merged(results: list) -> tuple[np.ndarray, float, float, int, float, float]:
    """The parts' ``(counts, min, max, num, sum, sum_squares)`` as one: counts summed (into the
    first part's array), the least minimum, the greatest maximum, the rest summed."""
    counts = results[0][0]
    for r in results[1:]:
        counts += r[0]
    return (
        counts,
        min(r[1] for r in results),
        max(r[2] for r in results),
        sum(r[3] for r in results),
        sum(r[4] for r in results),
        sum(r[5] for r in results),
    )


def _bucket_counts(results: list) -> tuple[np.ndarray, float, float, int, float, float]:
    """``_merged`` parts counted over the shifted buckets, the two outer ones (below the first
    edge; above the last, or NaN) dropped."""
    counts, mn, mx, num, total, sq = _merged(results)
    return counts[1 : len(tensorflow_bins())], mn, mx, num, total, sq


def _tf_counts_f4(flat: np.ndarray) -> tuple[np.ndarray, float, float, int, float, float]:
    """``tf_counts`` of native, contiguous float32 values with numpy: one count of keys (in
    parallel parts for big arrays), mapped to the buckets at the end."""
    counts, mn, mx, num, total, sq = _merged(_in_parts(flat, _f4_cells))
    bucket = _f4_key_tables()[1]
    shifted = np.bincount(bucket, weights=counts[:_KEYS], minlength=len(tensorflow_bins()) + 1)
    shifted += counts[_KEYS:]
    return np.rint(shifted[1:-1]).astype(np.int64), mn, mx, num, total, sq


@lru_cache(maxsize=2)
def _kernel_base(fmt: str) -> np.ndarray:
    base = tf_tables(fmt)[0].astype(np.int32)  # half the cache footprint of int64
    base.flags.writeable = False
    return base


def _tf_counts_compiled(flat: np.ndarray, kernel: kernels.Kernels) -> tuple:
    """``tf_counts`` of native, contiguous float32 or float64 values with the numba kernel: one pass."""
    fmt = "f4" if flat.dtype == np.float32 else "f8"
    base, thr = _kernel_base(fmt), tf_tables(fmt)[1]
    counts_of = kernel.counts_f4 if fmt == "f4" else kernel.counts_f8
    nb = len(tensorflow_bins()) - 1

    def count(part: np.ndarray) -> tuple:
        counts = np.zeros(nb + 2, np.int64)
        return (counts, *counts_of(part, base, thr, counts))

    return _bucket_counts(_in_parts(flat, count))


_KERNEL_MIN = 256  # from here a compiled kernel (if a big histogram compiled it) beats numpy's chunks


def tf_counts(flat: np.ndarray) -> tuple[np.ndarray, float, float, int, float, float]:
    """``(counts over tensorflow_bins(), min, max, num, sum, sum_squares)`` of the finite values
    of a 1-D array (any real dtype), in chunks: O(n), no float64 copy of the whole input, and in
    parallel parts for big arrays."""
    edges = tensorflow_bins()
    nb = len(edges) - 1
    n = flat.size
    if (
        n >= _KERNEL_MIN
        and flat.dtype in (np.float32, np.float64)
        and flat.dtype.isnative
        and flat.flags.c_contiguous
        and sys.byteorder == "little"
    ):
        # only a big histogram pays for compiling the kernel (in the background); small ones
        # take it once it is there
        kernel = kernels.get() if n >= _CELL_MIN else kernels.peek()
        if kernel is not None:
            return _tf_counts_compiled(flat, kernel)
        if n >= _CELL_MIN and flat.dtype == np.float32:
            return _tf_counts_f4(flat)
    if n == 0 or sys.byteorder != "little":  # the bit tricks assume little-endian words
        finite = flat.astype(np.float64)
        finite = finite[np.isfinite(finite)]
        if finite.size == 0:
            return np.zeros(nb, np.int64), math.nan, math.nan, 0, 0.0, 0.0
        return (
            np.histogram(finite, edges)[0],
            float(finite.min()),
            float(finite.max()),
            int(finite.size),
            float(finite.sum()),
            float(finite.dot(finite)),
        )
    dt = flat.dtype
    if dt == np.float32 and dt.isnative:
        fmt, work = "f4", None
    elif dt == np.float16:
        fmt, work = "f4", np.float32  # exact
    else:
        fmt, work = "f8", np.float64  # float64 itself, ints and bools (as np.histogram casts them)
        if dt == np.float64 and dt.isnative:
            work = None
    return _bucket_counts(_in_parts(flat, lambda part: _chunk_counts(part, fmt, work)))


def _chunk_counts(flat: np.ndarray, fmt: str, work) -> tuple[np.ndarray, float, float, int, float, float]:
    """``tf_counts`` of ``flat`` as ``fmt`` (``"f4"`` or ``"f8"`` bits), a chunk at a time: counts
    over the shifted buckets (``nb + 2``, the two outer ones to be dropped) and the statistics."""
    nb = len(tensorflow_bins()) - 1
    n = flat.size
    base, thr = tf_tables(fmt)
    ftype = np.float32 if fmt == "f4" else np.float64
    utype, shift = (np.uint32, 16) if fmt == "f4" else (np.uint64, 48)
    m = min(n, _CHUNK)
    key, idx, tbuf = np.empty(m, np.intp), np.empty(m, np.int64), np.empty(m, ftype)
    above, f64 = np.empty(m, bool), (np.empty(m, np.float64) if fmt == "f4" else None)
    counts = np.zeros(nb + 2, np.int64)
    mn, mx, num, total, sq = math.inf, -math.inf, 0, 0.0, 0.0
    for start in range(0, n, _CHUNK):
        c = flat[start : start + _CHUNK]
        if work is not None or not c.flags.c_contiguous:
            c = np.ascontiguousarray(c, dtype=ftype)  # complex: the real part, as astype(float64)
        k = c.size
        if f64 is None:
            v64 = c  # float64 values are summed as they are
        else:
            v64 = f64[:k]
            np.copyto(v64, c)
        with np.errstate(invalid="ignore", over="ignore"):
            s = v64.sum()
        if not math.isfinite(s):  # a NaN or inf among them (or a float64 overflow): finite ones only
            c = c[np.isfinite(c)]
            k = c.size
            if k == 0:
                continue
            v64 = c.astype(np.float64)
            s = v64.sum()
        num += k
        total += s
        sq += float(np.einsum("i,i->", v64, v64))  # not BLAS: its threads stall on a busy machine
        mn = min(mn, float(c.min()))
        mx = max(mx, float(c.max()))
        kk, ii, tt, aa = key[:k], idx[:k], tbuf[:k], above[:k]
        np.right_shift(c.view(utype), shift, out=kk, casting="unsafe")
        np.take(base, kk, out=ii, mode="wrap")  # keys are < 65536: "wrap" never wraps, and is the fastest mode
        np.take(thr, kk, out=tt, mode="wrap")
        with np.errstate(invalid="ignore"):
            np.greater_equal(c, tt, out=aa)
        ii += aa
        _count_into(counts, ii)
    return counts, mn, mx, num, float(total), sq


def _edges(finite: np.ndarray, bins) -> np.ndarray:
    if isinstance(bins, str):
        if bins == "tensorflow":
            return tensorflow_bins()
        try:
            edges = np.histogram_bin_edges(finite, bins=bins)
        except ValueError:
            raise ValueError(
                f"bins must be 'tensorflow', a numpy bin rule ('auto', 'fd', ...), a positive "
                f"int or increasing edges, got {bins!r}"
            ) from None
        except MemoryError:  # a rule picking a tiny width for a wide range
            edges = None
        if edges is None or len(edges) - 1 > MAX_BINS:
            raise ValueError(
                f"bins={bins!r} gives more than {MAX_BINS} buckets for these values (the limit); "
                f"pass an int number of bins or max_bins"
            ) from None
        return edges
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        if bins < 1:
            raise ValueError(f"bins must be a positive int, got {bins}")
        if bins > MAX_BINS:
            raise ValueError(f"bins must be at most {MAX_BINS} (the limit of buckets in one histogram), got {bins}")
        return np.histogram_bin_edges(finite, bins=int(bins))
    edges = to_numpy(bins, "bins").astype(np.float64).ravel()
    if edges.size < 2 or np.any(np.diff(edges) <= 0) or not np.all(np.isfinite(edges)):
        raise ValueError("bins must be at least two finite, strictly increasing edges")
    if edges.size - 1 > MAX_BINS:
        raise ValueError(f"bins must give at most {MAX_BINS} buckets (the limit), got {edges.size} edges")
    return edges
