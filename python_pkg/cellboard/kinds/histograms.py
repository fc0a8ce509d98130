"""Histograms (and TensorBoard's distributions, drawn from the same records).

Read from the legacy ``HistogramProto`` (migrated as TensorBoard's ``data_compat`` does) and
from the ``histograms`` plugin's ``[k, 3]`` tensors (left edge, right edge, count).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import binning
from ..tfevents import messages as M
from ..tfevents.wire import I64, LEN, as_double, iter_fields
from .base import Kind


@dataclass(frozen=True)
class HistogramRecord:
    step: int
    wall_time: float
    edges: np.ndarray  # k+1 bucket edges
    counts: np.ndarray  # k counts


def histogram_buckets(hmin: float, hmax: float, limits, counts, num: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Edges and counts from a legacy histogram, as TensorBoard's data_compat migrates them.

    Empty buckets at both ends are dropped; ``min``/``max`` replace the outer edges (the
    legacy outer limits may be +-DBL_MAX). One change: values that no bucket counts (``num``
    of them, all beyond the default bins' +-1e20, where torch's writer raises "The histogram is
    empty") become one bucket from ``min`` to ``max``, where TensorBoard shows nothing.
    """
    counts = np.asarray(counts, dtype=np.float64)
    limits = np.asarray(limits, dtype=np.float64)
    if limits.shape != counts.shape:
        raise ValueError(f"histogram has {limits.size} bucket limits for {counts.size} buckets")
    nz = np.flatnonzero(counts > 0)
    if nz.size == 0:
        return uncounted(hmin, hmax, num)
    start, end = int(nz[0]), int(nz[-1])
    inner = limits[start:end]
    edges = np.concatenate([[hmin], inner, [hmax]])
    return edges, counts[start : end + 1].copy()


def uncounted(hmin: float, hmax: float, num: float) -> tuple[np.ndarray, np.ndarray]:
    """Edges and counts of a legacy histogram none of whose buckets counts a value: one bucket
    from ``min`` to ``max`` of its ``num`` values, or none when it holds no finite value."""
    if num > 0 and math.isfinite(hmin) and math.isfinite(hmax) and hmin <= hmax:
        return np.array([hmin, hmax]), np.array([float(num)])
    return np.zeros(0), np.zeros(0)


def decode(val: M.Value, plugin: str, step: int, wall: float) -> list[HistogramRecord]:
    if val.payload is None:
        return []
    if val.kind == "histo":
        stats = [0.0] * 5
        limits: list[np.ndarray] = []
        counts: list[np.ndarray] = []
        for f, wt, v in iter_fields(val.payload):
            if isinstance(v, int):  # VARINT: no HistogramProto field is one
                continue
            if 1 <= f <= 5 and wt == I64:
                stats[f - 1] = as_double(v)
            elif f in (6, 7) and wt == LEN:
                if len(v) % 8:
                    raise ValueError(f"packed doubles of {len(v)} bytes")
                (limits if f == 6 else counts).append(np.frombuffer(v, "<f8"))
            elif f in (6, 7) and wt == I64:  # unpacked repeated double
                (limits if f == 6 else counts).append(np.frombuffer(v, "<f8"))
        lim = np.concatenate(limits) if limits else np.zeros(0)
        cnt = np.concatenate(counts) if counts else np.zeros(0)
        edges, c = histogram_buckets(stats[0], stats[1], lim, cnt, stats[2])
        return [HistogramRecord(step, wall, edges, c)]
    if val.kind != "tensor":
        return []
    arr = np.asarray(M.decode_tensor(val.payload).numbers(), np.float64)
    if arr.size == 0:
        return [HistogramRecord(step, wall, np.zeros(0), np.zeros(0))]
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"a histogram tensor must have shape [k, 3], got {list(arr.shape)}")
    edges = np.concatenate([arr[:, 0], arr[-1:, 1]])
    return [HistogramRecord(step, wall, edges, arr[:, 2].copy())]


def encode(tag: str, h: binning.Histogram, step: int, wall: float) -> tuple[bytes, HistogramRecord]:
    """The legacy HistogramProto event torch writes, and the record for the live store."""
    histo = M.histogram(h.min, h.max, h.num, h.sum, h.sum_squares, h.limits, h.counts)
    ev = M.event(wall, step, summary=M.summary(M.value(tag, histo=histo)))
    edges, counts = histogram_buckets(h.min, h.max, h.limits, h.counts, h.num)
    return ev, HistogramRecord(step, wall, edges, counts)


def entry(r: HistogramRecord) -> tuple[dict[str, Any], bytes | None]:
    return {"k": len(r.counts)}, np.concatenate([r.edges, r.counts]).astype("<f8").tobytes()


KIND = Kind("histograms", decode, entry, plugins=("histograms",), legacy=("histo",), preempts=True)
