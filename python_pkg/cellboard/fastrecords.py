"""Batch decoding of histogram and image events, the bulk of a log after its scalars.

The record-by-record decoder builds Python objects for every protobuf field; for a 10 KB
histogram that is ~50 us, mostly wire parsing. Here the records of one chunk are parsed
together: every record's *shape* (Event -> one Summary.Value -> one payload) is walked with
numpy column operations over all records at once, so per record only the output is built
(the record object, and views of the chunk's doubles and image bytes where histograms or images
fill most of the chunk, copies where they do not: see ``_Reuse``).

A record is taken only when its bytes have exactly the canonical layout protobuf serializers
write (fields in field-number order, each once, lengths consistent) and the record-by-record
decoder would decode it to the same record without error; every other record (other kinds,
metadata of a tag whose plugin is not known yet, unpacked repeated doubles, anything malformed)
is left to that decoder, which reports what it cannot read. Both give the same store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from . import kinds
from .kinds.histograms import HistogramRecord, uncounted
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


def _bytes_of(data: bytes | np.ndarray) -> memoryview:
    return data.data if isinstance(data, np.ndarray) else memoryview(data)


class _Reuse:
    """Whether decoded records keep views of the chunk instead of copies, and the writes that
    views of a writable chunk need. A view keeps the whole chunk alive, so only records that fill
    most of it are viewed (the memory held stays under twice their own bytes); the rest are copied.
    """

    def __init__(self, writable: np.ndarray | None, size: int) -> None:
        self.writable, self.size = writable, size
        self._at: list[np.ndarray] = []
        self._values: list[np.ndarray] = []

    def worth(self, nbytes: int) -> bool:
        return 2 * nbytes >= self.size

    def put_f64(self, at: np.ndarray, values: np.ndarray) -> None:
        """Write ``values`` (little-endian doubles) at byte offsets ``at`` of ``writable``, in ``write``."""
        self._at.append(at)
        self._values.append(values)

    def write(self) -> None:
        if self._at and self.writable is not None:
            at = np.concatenate(self._at)
            values = np.concatenate(self._values).astype("<f8")
            self.writable[at[:, None] + np.arange(8)] = values.view(np.uint8).reshape(-1, 8)
        self._at, self._values = [], []


@dataclass
class _Payloads:
    """One payload kind's candidate records: payloads at ``[s, e)`` of the chunk (``data``, and as
    uint8 ``arr``), their steps and wall times, and whether to keep views of the chunk (``reuse``)."""

    data: bytes | np.ndarray
    arr: np.ndarray
    s: np.ndarray
    e: np.ndarray
    steps: list[int]
    walls: list[float]
    reuse: _Reuse


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
        self._metadata_plugins: dict[bytes, str | None] = {}
        histograms, images = kinds.for_value("histo", ""), kinds.for_value("image", "")
        self._histograms = histograms.name if histograms else "histograms"
        self._images = images.name if images else "images"

    def decode(
        self,
        data: bytes | np.ndarray,
        starts: np.ndarray,
        lengths: np.ndarray,
        plugins: dict[str, str],
        writable: np.ndarray | None = None,
    ) -> Batch:
        """Decode the histogram and image records at ``starts``/``lengths`` (payload offsets in ``data``).

        ``plugins`` (tag -> plugin, as the reader learned it) is read, never extended: a record
        whose metadata would teach the reader a plugin is left to the record-by-record decoder.
        ``writable``: the same bytes as ``data``, writable and not shared. When histograms are
        most of the chunk, their edges and counts are then views of it (no copy): each record's
        outer edges are written over its own bytes, once everything is decoded (see ``_Reuse``).
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
        view = _bytes_of(data)
        tags = self._tag_names(view, tag_s[rows], tag_e[rows])
        keep = np.ones(rows.size, bool)
        # a tag's plugin: the reader's, else the one the first record of the tag in this chunk
        # declares (TensorFlow 2 writes metadata with every record); that first record itself goes
        # record by record, which teaches the reader the plugin, so it sees the same records in order
        learned: dict[str, tuple[int, str]] = {}  # tag -> (the record teaching it, its plugin)
        meta_rows = np.flatnonzero(has_meta[rows]).tolist()
        for j in meta_rows:
            if tags[j] not in plugins and tags[j] not in learned:
                r = rows[j]
                plugin = self._metadata_plugin(bytes(view[int(meta_s[r]) : int(meta_e[r])]))
                if plugin is not None:
                    learned[tags[j]] = (j, plugin)

        def plugin_before(j: int) -> str | None:
            """The plugin of record j's tag as the reader knows it when it reaches record j."""
            tag = tags[j]
            if tag in plugins:
                return plugins[tag]
            first = learned.get(tag)
            return first[1] if first is not None and first[0] < j else None

        tensor = payload_key[rows] == _TENSOR_KEY
        for j in np.flatnonzero(tensor).tolist():  # tensors: histograms only
            keep[j] = plugin_before(j) == "histograms"
        for j in meta_rows:  # metadata: valid, of a tag whose plugin is known before the record
            r = rows[j]
            keep[j] = (
                keep[j]
                and plugin_before(j) is not None
                and self._metadata_plugin(bytes(view[int(meta_s[r]) : int(meta_e[r])])) is not None
            )
        rows, tags = rows[keep], [t for t, k in zip(tags, keep.tolist()) if k]
        key = payload_key[rows]
        reuse = _Reuse(writable, len(data))
        for which, kind, batch in (
            (key == _HISTO_KEY, self._histograms, _histograms),
            (key == _IMAGE_KEY, self._images, _images),
            (key == _TENSOR_KEY, self._histograms, _histogram_tensors),
        ):
            sel = rows[which]
            if sel.size == 0:
                continue
            sel_tags = [t for t, k in zip(tags, which.tolist()) if k]
            payloads = _Payloads(data, arr, pay_s[sel], pay_e[sel], step[sel].tolist(), wall[sel].tolist(), reuse)
            taken, out = batch(payloads)
            handled[sel[taken]] = True
            for i, tag, rec in zip(sel[taken].tolist(), (t for t, k in zip(sel_tags, taken.tolist()) if k), out):
                records.setdefault((kind, tag), []).append((i, rec))
        reuse.write()  # last: nothing after this reads the chunk's bytes (nor falls back to them)
        return Batch(handled, records)

    def _tag_names(self, view: memoryview, tag_s: np.ndarray, tag_e: np.ndarray) -> list[str]:
        cache = self._tags
        out = []
        for a, b in zip(tag_s.tolist(), tag_e.tolist()):
            raw = bytes(view[a:b])
            name = cache.get(raw)
            if name is None:
                name = cache[raw] = raw.decode("utf-8", "replace")
            out.append(name)
        return out

    def _metadata_plugin(self, raw: bytes) -> str | None:
        """The plugin a serialized ``SummaryMetadata`` names ("" for none), None when it does not decode."""
        if raw in self._metadata_plugins:
            return self._metadata_plugins[raw]
        if len(self._metadata_plugins) >= _CACHE_MAX:  # metadata differing record to record: stay bounded
            self._metadata_plugins.clear()
        try:
            plugin: str | None = M.decode_metadata(raw).plugin_name
        except Exception:  # noqa: BLE001 - the record-by-record decoder reports it
            plugin = None
        self._metadata_plugins[raw] = plugin
        return plugin


def _histograms(rows: _Payloads) -> tuple[np.ndarray, list[HistogramRecord]]:
    """Legacy ``HistogramProto`` payloads in ``[s, e)``: which rows were taken, and their records.

    The layout taken: min, max, num, sum, sum_squares (1-5, I64, each absent when 0, as proto3
    writes them), packed bucket_limit (6) and bucket (7) of equal length; buckets trimmed as
    ``histograms.histogram_buckets`` does, for all rows at once.
    """
    w = _Walk(rows.arr, rows.s.copy(), rows.e)
    stats = []
    for f in range(1, 6):
        has = w.key((f << 3) | 1)
        stats.append(np.where(has, w.f64(w.pos + 1), 0.0))
        w.pos = np.where(has, w.pos + 9, w.pos)
        w.ok &= w.pos <= rows.e
    spans = []
    for f in (6, 7):
        has = w.key((f << 3) | 2)
        a, b, valid = w.length(w.pos + 1)
        w.ok &= ~has | valid
        a, b = np.where(has, a, w.pos), np.where(has, b, w.pos)
        w.pos = b
        spans.append((a, b - a))
    w.ok &= w.pos == rows.e
    (lim_at, nbytes), (cnt_at, cnt_bytes) = spans
    w.ok &= (nbytes == cnt_bytes) & (nbytes % 8 == 0)
    taken = np.flatnonzero(w.ok)
    if taken.size == 0:
        return w.ok, []
    k = nbytes[taken] // 8
    lim_at, cnt_at = lim_at[taken], cnt_at[taken]
    first, last = _first_last_positive(w, rows.data, cnt_at, k)
    kept = np.where(first >= 0, last - first + 1, 0)  # buckets kept per row (none: an empty histogram)
    full = np.flatnonzero(kept)
    n = kept[full]
    # A kept row's edges [min, limits[first:last], max] are the n+1 doubles from the slot before
    # limits[first] (min and max written over the first and the last), its counts the n from
    # counts[first]. The slot before limits[first] is still this record's (its earlier fields).
    edges_at = lim_at[full] + 8 * (first[full] - 1)
    counts_at = cnt_at[full] + 8 * first[full]
    lo, hi = stats[0][taken[full]], stats[1][taken[full]]
    buf = rows.reuse.writable
    if buf is not None and rows.reuse.worth(int(16 * n.sum() + 8 * n.size)):
        # views of the chunk itself, min and max written over its bytes once all is decoded
        rows.reuse.put_f64(np.concatenate([edges_at, edges_at + 8 * n]), np.concatenate([lo, hi]))
        at = zip(edges_at.tolist(), counts_at.tolist(), n.tolist())
        views = [(np.frombuffer(buf, "<f8", m + 1, ea), np.frombuffer(buf, "<f8", m, ca)) for ea, ca, m in at]
    else:
        # copied end to end into one array, from numpy: it asks the kernel for huge pages for big
        # arrays, cheaper to fault in than the 4 KiB pages of a bytes join
        off = np.zeros(full.size + 1, np.int64)  # where each kept row's edges start in ``packed``
        np.cumsum(2 * n + 1, out=off[1:])
        packed = np.empty(int(off[-1]))
        src, dst = _bytes_of(rows.data), packed.data.cast("B")
        for o, ea, ca, b in zip((8 * off[:-1]).tolist(), edges_at.tolist(), counts_at.tolist(), (8 * n).tolist()):
            dst[o : o + b + 8] = src[ea : ea + b + 8]
            dst[o + b + 8 : o + 2 * b + 8] = src[ca : ca + b]
        off = off[:-1]
        packed[off] = lo
        packed[off + n] = hi
        views = [(packed[o : o + m + 1], packed[o + m + 1 : o + 2 * m + 1]) for o, m in zip(off.tolist(), n.tolist())]
    out = []
    next_view = iter(views)
    for i, m in zip(taken.tolist(), kept.tolist()):
        edges, counts = next(next_view) if m else uncounted(float(stats[0][i]), float(stats[1][i]), float(stats[2][i]))
        out.append(HistogramRecord(rows.steps[i], rows.walls[i], edges, counts))
    return w.ok, out


_PROBE = 4  # buckets tried at each end of a row before its counts are searched whole


def _first_last_positive(
    w: _Walk, data: bytes | np.ndarray, cnt_at: np.ndarray, k: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``k`` packed counts at byte ``cnt_at``: the index of the first and of the last
    count > 0, or -1 for both when there is none (``histograms.histogram_buckets``'s trimming).

    Writers drop runs of empty buckets but the one at each end, so the first few counts from
    each end nearly always decide; only the other rows have their counts searched whole.
    """
    rows = k.size
    first, last = np.full(rows, -1, np.int64), np.full(rows, -1, np.int64)
    probes = min(_PROBE, int(k.max(initial=0)))
    for j in range(probes):  # first: the lowest j tried with a positive count
        idx = np.minimum(j, k - 1)
        hit = (first < 0) & (k > j) & (w.f64(cnt_at + 8 * idx) > 0)
        first[hit] = j
    for j in range(probes):
        idx = np.maximum(k - 1 - j, 0)
        hit = (last < 0) & (k > j) & (w.f64(cnt_at + 8 * idx) > 0)
        last[hit] = k[hit] - 1 - j
    # the rare rest, one row at a time: no positive count among the first probes though there are
    # more counts (search them all: first and last), or none among the last probes only (last)
    for i in np.flatnonzero((first < 0) & (k > probes)).tolist():
        nz = np.flatnonzero(np.frombuffer(data, "<f8", int(k[i]), int(cnt_at[i])) > 0)
        if nz.size:
            first[i], last[i] = nz[0], nz[-1]
    for i in np.flatnonzero((first >= 0) & (last < 0)).tolist():
        nz = np.flatnonzero(np.frombuffer(data, "<f8", int(k[i]), int(cnt_at[i])) > 0)
        last[i] = nz[-1]
    return first, last


def _histogram_tensors(rows: _Payloads) -> tuple[np.ndarray, list[HistogramRecord]]:
    """The histograms plugin's ``TensorProto``s as TF2 writes them: dtype (1) float or double, shape
    (2) ``[k, 3]`` with k >= 1, ``tensor_content`` (4) of exactly ``k * 3`` values."""
    w = _Walk(rows.arr, rows.s.copy(), rows.e)
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
    w.ok &= valid & (content_e == rows.e)
    k = dims[0].astype(np.int64) * w.ok
    width = np.where(dtype == np.uint64(M.DT_DOUBLE), 8, 4)
    w.ok &= content_e - content_s == k * 3 * width
    taken = np.flatnonzero(w.ok)
    out = []
    for i, n, at, wd in zip(taken.tolist(), k[taken].tolist(), content_s[taken].tolist(), width[taken].tolist()):
        table = np.frombuffer(rows.data, "<f8" if wd == 8 else "<f4", 3 * n, at).reshape(n, 3)
        edges = np.empty(n + 1)
        edges[:n] = table[:, 0]
        edges[n] = table[-1, 1]
        out.append(HistogramRecord(rows.steps[i], rows.walls[i], edges, table[:, 2].astype(np.float64)))
    return w.ok, out


def _images(rows: _Payloads) -> tuple[np.ndarray, list[ImageRecord]]:
    """Legacy ``Summary.Image`` payloads: height (1), width (2), colorspace (3) as varints, each
    absent when 0, then the encoded image (4, LEN)."""
    w = _Walk(rows.arr, rows.s.copy(), rows.e)
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
    w.ok &= np.where(has, b, w.pos) == rows.e
    taken = np.flatnonzero(w.ok)
    view = _bytes_of(rows.data)
    # views (held as they are, given to readers as bytes: ``images._Encoded``), else copies: bytes
    # that do not keep the chunk alive
    views = rows.reuse.worth(int((b[taken] - a[taken]).sum()))
    out = [
        ImageRecord(rows.steps[i], rows.walls[i], cast(bytes, view[p:q]) if views else bytes(view[p:q]), width, height)
        for i, p, q, height, width in zip(
            taken.tolist(), a[taken].tolist(), b[taken].tolist(), dims[0][taken].tolist(), dims[1][taken].tolist()
        )
    ]
    return w.ok, out
