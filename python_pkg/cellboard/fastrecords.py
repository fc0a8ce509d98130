"""Batch decoding of histogram and image events, the bulk of a log after its scalars.

The record-by-record decoder builds Python objects for every protobuf field; for a 10 KB
histogram that is ~50 us, mostly wire parsing. Here the records of one chunk are parsed
together: every record's *shape* (Event -> one Summary.Value -> one payload) is walked with
numpy column operations over all records at once, so per record only the output is built
(numpy views of the packed doubles, the PNG bytes, the record object).

A record is taken only when its bytes have exactly the canonical layout protobuf serializers
write (fields in field-number order, each once, lengths consistent) and the record-by-record
decoder would decode it to the same record without error; every other record (other kinds,
metadata of a tag whose plugin is not known yet, unpacked repeated doubles, anything malformed)
is left to that decoder, which reports what it cannot read. Both give the same store.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import kinds
from .kinds.histograms import HistogramRecord
from .kinds.images import ImageRecord
from .tfevents import messages as M

ENABLED = True  # tests switch it off to compare with the record-by-record decoder
MIN_BATCH = 4  # fewer candidate records than this: the per-chunk numpy overhead is not worth it

_HISTO_KEY, _IMAGE_KEY = 0x2A, 0x22  # Summary.Value.histo (field 5), .image (field 4): LEN
_TENSOR_KEY = 0x42  # Summary.Value.tensor (field 8): the histograms plugin's [k, 3] tensors
_METADATA_KEY = 0x4A  # Summary.Value.metadata (field 9)
_CACHE_MAX = 4096  # distinct metadata blobs remembered as valid


@dataclass
class Batch:
    """What the batch decoder took: ``handled`` (per candidate) and records per (kind, tag)."""

    handled: np.ndarray
    records: dict[tuple[str, str], list[tuple[int, object]]]


class _Walk:
    """Positions in many records at once; ``ok`` clears for every record that leaves the layout."""

    def __init__(self, arr: np.ndarray, pos: np.ndarray, end: np.ndarray) -> None:
        self.arr, self.pos, self.end = arr, pos, end
        self.ok = pos <= end
        self._last = arr.size - 1

    def byte(self, pos: np.ndarray) -> np.ndarray:
        return self.arr[np.clip(pos, 0, self._last)]

    def key(self, key: int) -> np.ndarray:
        """Rows whose next byte is ``key`` (and which have one)."""
        return (self.pos < self.end) & (self.byte(self.pos) == key)

    def varint(self, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(value as uint64, position after it, valid)`` of the varint at ``pos`` of each row,
        as ``wire.read_varint`` reads it (at most 10 bytes, truncated to 64 bits)."""
        window = self.arr[np.clip(pos[:, None] + np.arange(10), 0, self._last)]
        last = window < 0x80
        valid = last.any(axis=1)
        width = np.argmax(last, axis=1) + 1
        value = np.zeros(pos.size, np.uint64)
        for j in range(int(width.max(initial=0)) if valid.any() else 0):
            byte = (window[:, j].astype(np.uint64) & np.uint64(0x7F)) << np.uint64(7 * j)
            value |= np.where(width > j, byte, np.uint64(0))
        after = pos + width
        return value, after, valid & (after <= self.end)

    def length(self, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(start, end, valid)`` of the length-delimited value whose length varint is at ``pos``."""
        n, start, valid = self.varint(pos)
        valid &= n <= np.uint64(1 << 31)
        stop = start + n.astype(np.int64) * valid
        return start, stop, valid & (stop <= self.end)

    def key_at(self, pos: np.ndarray, key: int, end: np.ndarray) -> np.ndarray:
        return (pos < end) & (self.byte(pos) == key)

    def f64(self, pos: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(self.arr[np.clip(pos[:, None] + np.arange(8), 0, self._last)]).view("<f8").ravel()


class Decoder:
    """Batch-decodes one reader's histogram and image events; caches per-tag and per-metadata work."""

    def __init__(self) -> None:
        self._tags: dict[bytes, str] = {}
        self._metadata_ok: dict[bytes, bool] = {}
        histograms, images = kinds.for_value("histo", ""), kinds.for_value("image", "")
        self._histograms = histograms.name if histograms else "histograms"
        self._images = images.name if images else "images"

    def decode(self, data: bytes, starts: np.ndarray, lengths: np.ndarray, plugins: dict[str, str]) -> Batch:
        """Decode the histogram and image records at ``starts``/``lengths`` (payload offsets in ``data``).

        ``plugins`` (tag -> plugin, as the reader learned it) is read, never extended: a record
        whose metadata would teach the reader a plugin is left to the record-by-record decoder.
        """
        m = len(starts)
        handled = np.zeros(m, bool)
        records: dict[tuple[str, str], list[tuple[int, object]]] = {}
        if not ENABLED or m < MIN_BATCH:
            return Batch(handled, records)
        arr = np.frombuffer(data, np.uint8)
        s = np.asarray(starts, np.int64)
        e = s + np.asarray(lengths, np.int64)
        w = _Walk(arr, s, e)
        # Event: wall_time (1, I64), step (2, VARINT, absent when 0), summary (5, LEN) to the end
        w.ok &= w.key(0x09)
        wall = w.f64(s + 1)
        w.pos = s + 9
        has_step = w.key(0x10)
        step_u, after, valid = w.varint(w.pos + 1)
        w.ok &= ~has_step | valid
        step = np.where(has_step, step_u, np.uint64(0)).view(np.int64)
        w.pos = np.where(has_step, after, w.pos)
        w.ok &= w.key(0x2A)
        start, stop, valid = w.length(w.pos + 1)
        w.ok &= valid & (stop == e)
        # Summary: one Value (1, LEN) spanning it
        w.pos = start
        w.ok &= w.key(0x0A)
        start, stop, valid = w.length(w.pos + 1)
        w.ok &= valid & (stop == e)
        # Value: tag (1, LEN), then the payload, then optional metadata (9, LEN), then its end
        w.pos = start
        w.ok &= w.key(0x0A)
        tag_s, tag_e, valid = w.length(w.pos + 1)
        w.ok &= valid
        w.pos = tag_e
        payload_key = w.byte(w.pos)
        w.ok &= (w.pos < e) & np.isin(payload_key, (_HISTO_KEY, _IMAGE_KEY, _TENSOR_KEY))
        pay_s, pay_e, valid = w.length(w.pos + 1)
        w.ok &= valid
        w.pos = pay_e
        has_meta = w.key(_METADATA_KEY)
        meta_s, meta_e, valid = w.length(w.pos + 1)
        w.ok &= ~has_meta | valid
        w.pos = np.where(has_meta, meta_e, w.pos)
        w.ok &= w.pos == e
        rows = np.flatnonzero(w.ok)
        if rows.size == 0:
            return Batch(handled, records)
        tags = self._tag_names(data, tag_s[rows], tag_e[rows])
        keep = np.ones(rows.size, bool)
        tensor = payload_key[rows] == _TENSOR_KEY
        for j in np.flatnonzero(tensor).tolist():  # tensors: histograms only, their plugin known already
            keep[j] = plugins.get(tags[j]) == "histograms"
        for j in np.flatnonzero(has_meta[rows]).tolist():  # metadata: valid, of a tag whose plugin is known
            r = rows[j]
            keep[j] = keep[j] and tags[j] in plugins and self._metadata_valid(data[int(meta_s[r]) : int(meta_e[r])])
        rows, tags = rows[keep], [t for t, k in zip(tags, keep.tolist()) if k]
        key = payload_key[rows]
        for which, kind, batch in (
            (key == _HISTO_KEY, self._histograms, _histograms),
            (key == _IMAGE_KEY, self._images, _images),
            (key == _TENSOR_KEY, self._histograms, _histogram_tensors),
        ):
            sel = rows[which]
            if sel.size == 0:
                continue
            sel_tags = [t for t, k in zip(tags, which.tolist()) if k]
            taken, out = batch(data, arr, pay_s[sel], pay_e[sel], step[sel].tolist(), wall[sel].tolist())
            handled[sel[taken]] = True
            for i, tag, rec in zip(sel[taken].tolist(), (t for t, k in zip(sel_tags, taken.tolist()) if k), out):
                records.setdefault((kind, tag), []).append((i, rec))
        return Batch(handled, records)

    def _tag_names(self, data: bytes, tag_s: np.ndarray, tag_e: np.ndarray) -> list[str]:
        cache = self._tags
        out = []
        for a, b in zip(tag_s.tolist(), tag_e.tolist()):
            raw = data[a:b]
            name = cache.get(raw)
            if name is None:
                name = cache[raw] = raw.decode("utf-8", "replace")
            out.append(name)
        return out

    def _metadata_valid(self, raw: bytes) -> bool:
        ok = self._metadata_ok.get(raw)
        if ok is None:
            if len(self._metadata_ok) >= _CACHE_MAX:  # metadata differing record to record: stay bounded
                self._metadata_ok.clear()
            try:
                M.decode_metadata(raw)
                ok = True
            except Exception:  # noqa: BLE001 - the record-by-record decoder reports it
                ok = False
            self._metadata_ok[raw] = ok
        return ok


def _histograms(
    data: bytes, arr: np.ndarray, s: np.ndarray, e: np.ndarray, steps: list[int], walls: list[float]
) -> tuple[np.ndarray, list[HistogramRecord]]:
    """Legacy ``HistogramProto`` payloads in ``[s, e)``: which rows were taken, and their records.

    The layout taken: min, max, num, sum, sum_squares (1-5, I64, each absent when 0, as proto3
    writes them), packed bucket_limit (6) and bucket (7) of equal length; buckets trimmed as
    ``histograms.histogram_buckets`` does, for all rows at once.
    """
    w = _Walk(arr, s.copy(), e)
    stats = []
    for f in range(1, 6):
        has = w.key((f << 3) | 1)
        stats.append(np.where(has, w.f64(w.pos + 1), 0.0))
        w.pos = np.where(has, w.pos + 9, w.pos)
        w.ok &= w.pos <= e
    spans = []
    for f in (6, 7):
        has = w.key((f << 3) | 2)
        a, b, valid = w.length(w.pos + 1)
        w.ok &= ~has | valid
        a, b = np.where(has, a, w.pos), np.where(has, b, w.pos)
        w.pos = b
        spans.append((a, b - a))
    w.ok &= w.pos == e
    (lim_at, nbytes), (cnt_at, cnt_bytes) = spans
    w.ok &= (nbytes == cnt_bytes) & (nbytes % 8 == 0)
    taken = np.flatnonzero(w.ok)
    if taken.size == 0:
        return w.ok, []
    k = nbytes[taken] // 8
    lim_at, cnt_at = lim_at[taken].tolist(), cnt_at[taken].tolist()
    # counts of all rows end to end; limits likewise but each row after one spare slot, so that a
    # row's edges [min, limits[first:last], max] are one slice once min and max are written in
    spare = np.zeros(1)
    lim_parts: list[np.ndarray] = []
    cnt_parts: list[np.ndarray] = []
    doubles = _doubles(data)
    for n, la, ca in zip(k.tolist(), lim_at, cnt_at):
        lim_parts.append(spare)
        if n:
            lim_parts.append(doubles[la & 7][la >> 3 : (la >> 3) + n])
            cnt_parts.append(doubles[ca & 7][ca >> 3 : (ca >> 3) + n])
    limits = np.concatenate(lim_parts)
    counts = np.concatenate(cnt_parts) if cnt_parts else np.zeros(0)
    off = np.zeros(taken.size + 1, np.int64)
    np.cumsum(k, out=off[1:])
    # trimming: the first and last bucket with a count > 0 of each row (none: an empty histogram)
    nz = np.flatnonzero(counts > 0)
    lo, hi = np.searchsorted(nz, off[:-1]), np.searchsorted(nz, off[1:])
    full = hi > lo
    first = np.where(full, nz[np.minimum(lo, nz.size - 1)] if nz.size else 0, 0)
    last = np.where(full, nz[np.maximum(hi - 1, 0)] if nz.size else 0, -1)
    kept = np.where(full, last - first + 1, 0)  # counts kept per row
    # in ``limits``, count j of row r (j counted over all rows) has its upper limit at j + r + 1
    edge0 = first + np.arange(taken.size)  # the slot before limits[first]: min goes there
    rows_full = np.flatnonzero(full)
    limits[edge0[rows_full]] = stats[0][taken][rows_full]
    limits[edge0[rows_full] + kept[rows_full]] = stats[1][taken][rows_full]  # over limits[last]
    out = []
    steps_t, walls_t = [steps[i] for i in taken.tolist()], [walls[i] for i in taken.tolist()]
    for st, wt, a, f, n in zip(steps_t, walls_t, edge0.tolist(), first.tolist(), kept.tolist()):
        if n:
            out.append(HistogramRecord(st, wt, limits[a : a + n + 1], counts[f : f + n]))
        else:
            out.append(HistogramRecord(st, wt, np.zeros(0), np.zeros(0)))
    return w.ok, out


def _doubles(data: bytes) -> list[np.ndarray]:
    """``data`` as little-endian doubles from each of the 8 byte offsets 0..7: the doubles at byte
    ``a`` are ``_doubles(data)[a & 7][a >> 3 :]`` (a slice is cheaper than a ``frombuffer`` per row)."""
    return [np.frombuffer(data, "<f8", (len(data) - r) // 8, r) for r in range(8)]


def _histogram_tensors(
    data: bytes, arr: np.ndarray, s: np.ndarray, e: np.ndarray, steps: list[int], walls: list[float]
) -> tuple[np.ndarray, list[HistogramRecord]]:
    """The histograms plugin's ``TensorProto``s as TF2 writes them: dtype (1) float or double, shape
    (2) ``[k, 3]`` with k >= 1, ``tensor_content`` (4) of exactly ``k * 3`` values."""
    w = _Walk(arr, s.copy(), e)
    w.ok &= w.key(0x08)
    dtype, w.pos, valid = w.varint(w.pos + 1)
    w.ok &= valid & ((dtype == np.uint64(M.DT_DOUBLE)) | (dtype == np.uint64(M.DT_FLOAT)))
    w.ok &= w.key(0x12)
    shape_s, shape_e, valid = w.length(w.pos + 1)
    w.ok &= valid
    dims = []
    w.pos = shape_s
    for _ in range(2):  # TensorShapeProto.dim (2): one TensorShapeProto.Dim with only a size (1)
        w.ok &= w.key(0x12)
        dim_s, dim_e, valid = w.length(w.pos + 1)
        w.ok &= valid & w.key_at(dim_s, 0x08, dim_e)
        size, after, valid = w.varint(dim_s + 1)
        w.ok &= valid & (after == dim_e)
        dims.append(size)
        w.pos = dim_e
    w.ok &= (w.pos == shape_e) & (dims[1] == np.uint64(3)) & (dims[0] >= np.uint64(1))
    w.ok &= dims[0] < np.uint64(1 << 28)
    w.pos = shape_e
    w.ok &= w.key(0x22)
    content_s, content_e, valid = w.length(w.pos + 1)
    w.ok &= valid & (content_e == e)
    k = dims[0].astype(np.int64) * w.ok
    width = np.where(dtype == np.uint64(M.DT_DOUBLE), 8, 4)
    w.ok &= content_e - content_s == k * 3 * width
    taken = np.flatnonzero(w.ok)
    out = []
    for i, n, at, wd in zip(taken.tolist(), k[taken].tolist(), content_s[taken].tolist(), width[taken].tolist()):
        table = np.frombuffer(data, "<f8" if wd == 8 else "<f4", 3 * n, at).reshape(n, 3)
        edges = np.empty(n + 1)
        edges[:n] = table[:, 0]
        edges[n] = table[-1, 1]
        out.append(HistogramRecord(steps[i], walls[i], edges, table[:, 2].astype(np.float64)))
    return w.ok, out


def _images(
    data: bytes, arr: np.ndarray, s: np.ndarray, e: np.ndarray, steps: list[int], walls: list[float]
) -> tuple[np.ndarray, list[ImageRecord]]:
    """Legacy ``Summary.Image`` payloads: height (1), width (2), colorspace (3) as varints, each
    absent when 0, then the encoded image (4, LEN)."""
    w = _Walk(arr, s.copy(), e)
    dims = []
    for f in (1, 2, 3):
        has = w.key(f << 3)
        value, after, valid = w.varint(w.pos + 1)
        w.ok &= ~has | valid
        dims.append(np.where(has, value, np.uint64(0)))
        w.pos = np.where(has, after, w.pos)
    has = w.key(0x22)
    a, b, valid = w.length(w.pos + 1)
    w.ok &= ~has | valid
    a, b = np.where(has, a, w.pos), np.where(has, b, w.pos)
    w.ok &= np.where(has, b, w.pos) == e
    taken = np.flatnonzero(w.ok)
    out = [
        ImageRecord(steps[i], walls[i], data[p:q], width, height)
        for i, p, q, height, width in zip(
            taken.tolist(), a[taken].tolist(), b[taken].tolist(), dims[0][taken].tolist(), dims[1][taken].tolist()
        )
    ]
    return w.ok, out
