"""Reading log directories into a ``Store``: ``cellboard.load(logdir)``.

A ``RunReader`` tails the event files of one run: it remembers how far each file was read,
leaves a half-written last record for the next poll, skips corrupted records with one
warning, and applies ``SessionLog.START`` purges as TensorBoard does. Small scalar records
(the bulk of any log) go through a vectorized decoder (``fastscalars``); everything else is
decoded record by record.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from . import fastscalars
from .store import (
    AudioRecord,
    HistogramRecord,
    HParamsRecord,
    ImageRecord,
    PrCurveRecord,
    Store,
    TextRecord,
)
from .tfevents import messages as M
from .tfevents.records import scan_records, warn_corrupt
from .fs import filesystem, resolve_dir
from .tfevents.wire import I64, LEN, VARINT, WireError, as_double, iter_fields
from .writer import histogram_buckets


def discover_runs(logdir: str, fs=None) -> dict[str, str]:
    """``{run name: directory}`` for every directory under ``logdir`` holding event files."""
    fs = fs or filesystem(logdir)
    return {_run_name(fs, d, logdir): d for d in fs.event_files(logdir)}


def _run_name(fs, directory: str, logdir: str) -> str:
    return fs.relpath(directory, logdir)


@dataclass
class _FileState:
    offset: int = 0
    warned: set[int] = field(default_factory=set)


@dataclass
class _Points:
    """Scalar points decoded from one chunk, with record indices to restore file order."""

    rec: list[np.ndarray] = field(default_factory=list)
    tag: list[np.ndarray] = field(default_factory=list)
    step: list[np.ndarray] = field(default_factory=list)
    wall: list[np.ndarray] = field(default_factory=list)
    value: list[np.ndarray] = field(default_factory=list)

    def add(self, rec, tag, step, wall, value) -> None:
        self.rec.append(np.asarray(rec, np.int64))
        self.tag.append(np.asarray(tag, np.int64))
        self.step.append(np.asarray(step, np.int64))
        self.wall.append(np.asarray(wall, np.float64))
        self.value.append(np.asarray(value, np.float64))


class RunReader:
    """Incrementally reads the event files of one run directory into ``store``."""

    def __init__(self, store: Store, run: str, path: str, fs=None) -> None:
        self.store, self.run, self.path = store, run, path
        self.fs = fs or filesystem(path)
        self._files: dict[str, _FileState] = {}
        self._plugins: dict[str, str] = {}  # tag -> plugin name from its first metadata
        self._tag_ids: dict[str, int] = {}
        self._tags: list[str] = []
        self.store.ensure_run(run)

    def poll(self, sizes: dict[str, int] | None = None) -> int:
        """Read whatever was appended since the last poll; return the records read.

        ``sizes`` (event file name -> size) saves a directory listing when the caller has one.
        """
        if sizes is None:
            sizes = self.fs.dir_event_files(self.path)
        total = 0
        for name in sorted(sizes):
            state = self._files.setdefault(name, _FileState())
            size = sizes[name]
            if size <= state.offset:
                continue
            full = self.fs.join(self.path, name)
            try:
                data = self.fs.read(full, state.offset, size)
            except FileNotFoundError:
                continue
            total += self._read_chunk(full, state, data)
        return total

    def _tag_id(self, tag: str) -> int:
        i = self._tag_ids.get(tag)
        if i is None:
            i = self._tag_ids[tag] = len(self._tags)
            self._tags.append(tag)
        return i

    def _read_chunk(self, path: str, state: _FileState, data: bytes) -> int:
        scan = scan_records(data, state.offset)
        for off in scan.corrupt_at:
            if off not in state.warned:
                state.warned.add(off)
                warn_corrupt(path, off, "CRC mismatch")
        n = len(scan.starts)
        if n:
            starts = np.asarray(scan.starts, np.int64)
            lengths = np.asarray(scan.lengths, np.int64)
            points = _Points()
            fast = fastscalars.decode(data, starts, lengths, self._plugins, self._tag_id)
            points.add(fast.rec, fast.tag, fast.step, fast.wall, fast.value)
            slow = np.flatnonzero(~fast.handled)
            self._decode_slow(path, state, data, starts, lengths, slow, points)
            self._flush_points(points)
        state.offset += scan.end
        return n

    # ------------------------------------------------------------------ record-by-record path
    def _decode_slow(self, path, state, data, starts, lengths, indices, points: _Points) -> None:
        view = memoryview(data)
        s_rec, s_tag, s_step, s_wall, s_val = [], [], [], [], []
        records: dict[tuple[str, str], list] = {}
        purges: list[tuple[int, int]] = []
        for i in indices.tolist():
            start = int(starts[i])
            try:
                ev = M.decode_event(view[start : start + int(lengths[i])])
                if ev.session_status == M.SESSION_START:
                    purges.append((i, ev.step))
                    continue
                if ev.summary is None:
                    continue
                for val in M.decode_summary(ev.summary):
                    out = self._decode_value(val, ev.step, ev.wall_time)
                    if out is None:
                        continue
                    kind, payload = out
                    if kind == "scalars":
                        s_rec.append(i)
                        s_tag.append(self._tag_id(val.tag))
                        s_step.append(ev.step)
                        s_wall.append(ev.wall_time)
                        s_val.append(payload)
                    else:
                        records.setdefault((kind, val.tag), []).extend((i, r) for r in payload)
            except (WireError, ValueError, UnicodeDecodeError) as exc:
                off = state.offset + start - 12
                if off not in state.warned:
                    state.warned.add(off)
                    warn_corrupt(path, off, f"bad protobuf: {exc}")
        if s_rec:
            points.add(s_rec, s_tag, s_step, s_wall, s_val)
        # Purges apply to everything read before them: the store (earlier chunks) at once,
        # and this chunk's records by their index.
        for rec_idx, step in purges:
            self._flush_points(points, before=rec_idx)
            self.store.purge(self.run, step)
            for key, recs in records.items():
                records[key] = [(i, r) for i, r in recs if i > rec_idx or r.step < step]
        for (kind, tag), recs in records.items():
            self.store.append_records(self.run, kind, tag, [r for _, r in recs])

    def _flush_points(self, points: _Points, before: int | None = None) -> None:
        """Append decoded scalar points (all, or those before record ``before``) in file order."""
        if not points.rec:
            return
        rec, tag, step, wall, value = (np.concatenate(x) for x in (
            points.rec, points.tag, points.step, points.wall, points.value))
        if before is not None:
            keep = rec > before
            later = _Points()
            later.add(rec[keep], tag[keep], step[keep], wall[keep], value[keep])
            mask = ~keep
            rec, tag, step, wall, value = rec[mask], tag[mask], step[mask], wall[mask], value[mask]
            points.__dict__.update(later.__dict__)
        else:
            points.__dict__.update(_Points().__dict__)
        if rec.size == 0:
            return
        order = np.lexsort((rec, tag))
        tag, step, wall, value = tag[order], step[order], wall[order], value[order]
        bounds = np.flatnonzero(np.diff(tag)) + 1
        for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, tag.size]):
            self.store.append_scalars(self.run, self._tags[int(tag[lo])], step[lo:hi], wall[lo:hi], value[lo:hi])

    def _decode_value(self, val: M.Value, step: int, wall: float):
        if val.metadata is not None and val.tag not in self._plugins:
            self._plugins[val.tag] = M.decode_metadata(val.metadata).plugin_name
        plugin = self._plugins.get(val.tag, "")
        if val.kind == "simple_value":
            return "scalars", val.simple_value
        if val.kind == "image":
            return "images", [_legacy_image(val.payload, step, wall)]
        if val.kind == "histo":
            return "histograms", [_legacy_histogram(val.payload, step, wall)]
        if val.kind == "audio":
            return "audio", [_legacy_audio(val.payload, step, wall)]
        if plugin == "hparams" and val.tag == "_hparams_/session_start_info":
            # torch and tensorboardX write these values with metadata only (no tensor)
            content = M.decode_metadata(val.metadata).content if val.metadata is not None else b""
            return "hparams", [_hparams_record(content, step, wall)]
        if val.kind != "tensor":
            return None
        t = M.decode_tensor(val.payload)
        if plugin == "scalars":
            return "scalars", float(t.numbers().reshape(-1)[0])
        if plugin == "images":
            return "images", _blob_images(t.string_val, step, wall)
        if plugin == "histograms":
            return "histograms", [_tensor_histogram(t.numbers(), step, wall)]
        if plugin == "text":
            return "text", [TextRecord(step, wall, _text(t))]
        if plugin == "pr_curves":
            return "pr_curves", [PrCurveRecord(step, wall, t.numbers().astype(np.float32))]
        if plugin == "audio":
            return "audio", [AudioRecord(step, wall, s, 0.0) for s in t.string_val[::2]]
        return None


def _legacy_image(buf, step: int, wall: float) -> ImageRecord:
    h = w = 0
    encoded = b""
    for f, wt, v in iter_fields(buf):
        if f == 1 and wt == VARINT:
            h = v
        elif f == 2 and wt == VARINT:
            w = v
        elif f == 4 and wt == LEN:
            encoded = bytes(v)
    return ImageRecord(step, wall, encoded, w, h)


def _blob_images(blobs: list[bytes], step: int, wall: float) -> list[ImageRecord]:
    if len(blobs) < 3:
        return []
    w, h = int(blobs[0] or 0), int(blobs[1] or 0)
    return [ImageRecord(step, wall, b, w, h) for b in blobs[2:]]


def _legacy_histogram(buf, step: int, wall: float) -> HistogramRecord:
    stats = [0.0] * 5
    limits: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    for f, wt, v in iter_fields(buf):
        if 1 <= f <= 5 and wt == I64:
            stats[f - 1] = as_double(v)
        elif f == 6:
            limits.append(np.frombuffer(v, "<f8"))
        elif f == 7:
            counts.append(np.frombuffer(v, "<f8"))
    lim = np.concatenate(limits) if limits else np.zeros(0)
    cnt = np.concatenate(counts) if counts else np.zeros(0)
    edges, c = histogram_buckets(stats[0], stats[1], lim, cnt)
    return HistogramRecord(step, wall, edges, c)


def _tensor_histogram(arr: np.ndarray, step: int, wall: float) -> HistogramRecord:
    arr = np.asarray(arr, np.float64).reshape(-1, 3) if arr.size else np.zeros((0, 3))
    if arr.shape[0] == 0:
        return HistogramRecord(step, wall, np.zeros(0), np.zeros(0))
    edges = np.concatenate([arr[:, 0], arr[-1:, 1]])
    return HistogramRecord(step, wall, edges, arr[:, 2].copy())


def _legacy_audio(buf, step: int, wall: float) -> AudioRecord:
    rate, data, ctype = 0.0, b"", "audio/wav"
    for f, wt, v in iter_fields(buf):
        if f == 1 and wt == 5:
            rate = float(np.frombuffer(v, "<f4")[0])
        elif f == 4 and wt == LEN:
            data = bytes(v)
        elif f == 5 and wt == LEN:
            ctype = bytes(v).decode("utf-8", "replace")
    return AudioRecord(step, wall, data, rate, ctype)


def _text(t: M.Tensor) -> str:
    strings = [s.decode("utf-8", "replace") for s in t.string_val]
    if len(strings) <= 1:
        return strings[0] if strings else ""
    if len(t.shape) == 2:  # a table, as TensorBoard renders rank-2 string tensors
        rows, cols = t.shape
        cells = [strings[r * cols : (r + 1) * cols] for r in range(rows)]
        head = "| " + " | ".join(cells[0]) + " |\n|" + "---|" * cols + "\n"
        return head + "".join("| " + " | ".join(r) + " |\n" for r in cells[1:])
    return "\n\n".join(strings)


def _pb_value(buf):
    for f, wt, v in iter_fields(buf):
        if f == 1:
            return None
        if f == 2 and wt == I64:
            return as_double(v)
        if f == 3 and wt == LEN:
            return bytes(v).decode("utf-8", "replace")
        if f == 4 and wt == VARINT:
            return bool(v)
        if f == 6 and wt == LEN:
            return [_pb_value(x) for f2, _, x in iter_fields(v) if f2 == 1]
    return None


def _hparams_record(content: bytes, step: int, wall: float) -> HParamsRecord:
    hp: dict = {}
    for f, wt, v in iter_fields(content):
        if f == 3 and wt == LEN:  # session_start_info
            for f2, wt2, v2 in iter_fields(v):
                if f2 == 1 and wt2 == LEN:  # map<string, Value> hparams
                    k, val = "", None
                    for f3, _, v3 in iter_fields(v2):
                        if f3 == 1:
                            k = bytes(v3).decode("utf-8", "replace")
                        elif f3 == 2:
                            val = _pb_value(v3)
                    hp[k] = val
    return HParamsRecord(step, wall, hp, [])


def load(logdir: str | os.PathLike, storage_options: dict | None = None) -> Store:
    """Read every run under ``logdir`` (event files of cellboard, torch, tensorboardX, TF, JAX).

    ``logdir`` may be a local path or an fsspec URL (``s3://bucket/exp``); ``storage_options``
    go to the fsspec filesystem.
    """
    fs, path = resolve_dir(logdir, storage_options)
    store = Store()
    for directory, sizes in fs.event_files(path).items():
        RunReader(store, _run_name(fs, directory, path), directory, fs).poll(sizes)
    return store


__all__ = ["RunReader", "discover_runs", "load"]
