"""Reading log directories into a ``Store``: ``cellboard.load(logdir)``.

A ``RunReader`` tails the event files of one run: it remembers how far each file was read,
leaves a half-written last record for the next poll, skips corrupted records with one
warning, and applies ``SessionLog.START`` purges as TensorBoard does. Small scalar records
(the bulk of any log) go through a vectorized decoder (``fastscalars``); everything else is
decoded record by record.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import fastscalars, kinds
from .fs import filesystem, resolve_dir
from .store import Store
from .tfevents import messages as M
from .tfevents.records import scan_records, warn_corrupt

log = logging.getLogger(__name__)


def discover_runs(logdir: str, fs=None) -> dict[str, str]:
    """``{run name: directory}`` for every directory under ``logdir`` holding event files."""
    fs = fs or filesystem(logdir)
    return {_run_name(fs, d, logdir): d for d in fs.event_files(logdir)}


def _run_name(fs, directory: str, logdir: str) -> str:
    return fs.relpath(directory, logdir)


class UnreadableFileWarning(UserWarning):
    """An event file could not be read (permissions, I/O error); it is retried on later polls."""


@dataclass
class _FileState:
    offset: int = 0
    warned: set[int] = field(default_factory=set)
    unreadable: bool = False
    resync: bool = False  # ``offset`` lies in a corrupt region (records.py's resync rule)
    wait_for: int = 0  # the file size below which a new read cannot progress


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
            if size <= max(state.offset, state.wait_for - 1):
                continue  # nothing new, or a torn tail whose end has not arrived yet
            full = self.fs.join(self.path, name)
            try:
                data = self.fs.read(full, state.offset, size)
            except FileNotFoundError:
                continue  # deleted since the listing: nothing to read
            except OSError as exc:
                # unreadable (permissions, EIO, a directory named like an event file): skip it,
                # say so once, retry on the next poll; the other files and runs still load
                self._unreadable(full, state, exc)
                continue
            if state.unreadable:
                state.unreadable = False
                self.store.set_notice(full, None)
            total += self._read_chunk(full, state, data)
        return total

    def _unreadable(self, path: str, state: _FileState, exc: OSError) -> None:
        message = f"{type(exc).__name__}: {exc.strerror or exc}"
        if not state.unreadable:
            state.unreadable = True
            warnings.warn(f"cellboard: cannot read {path} ({message}); skipped, other files still load",
                          UnreadableFileWarning, stacklevel=4)
        else:
            log.debug("still cannot read %s: %s", path, message)
        self.store.set_notice(path, message)

    def _tag_id(self, tag: str) -> int:
        i = self._tag_ids.get(tag)
        if i is None:
            i = self._tag_ids[tag] = len(self._tags)
            self._tags.append(tag)
        return i

    def _read_chunk(self, path: str, state: _FileState, data: bytes) -> int:
        scan = scan_records(data, state.offset, resync=state.resync)
        state.resync, state.wait_for = scan.resync, scan.wait_for
        for off, why in zip(scan.corrupt_at, scan.corrupt_why):
            if off not in state.warned:
                state.warned.add(off)
                warn_corrupt(path, off, why)
        n = len(scan.starts)
        if n:
            starts = np.asarray(scan.starts, np.int64)
            lengths = np.asarray(scan.lengths, np.int64)
            points = _Points()
            try:
                fast = fastscalars.decode(data, starts, lengths, self._plugins, self._tag_id)
            except Exception:  # noqa: BLE001 - the record-by-record path reads (or reports) them all
                log.exception("vectorized scalar decoding failed for %s; decoding record by record", path)
                slow = np.arange(n)
            else:
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
                decoded = []
                for val in M.decode_summary(ev.summary):
                    out = self._decode_value(val, ev.step, ev.wall_time)
                    if out is not None and out[1]:
                        decoded.append((val.tag, *out))
            except Exception as exc:  # noqa: BLE001 - any undecodable record is skipped, never fatal
                off = state.offset + start - 12
                if off not in state.warned:
                    state.warned.add(off)
                    warn_corrupt(path, off, f"bad protobuf or payload: {type(exc).__name__}: {exc}")
                continue
            # only a record decoded whole is kept: a half-decoded record never lands in the store
            for tag, kind, payload in decoded:
                if kind.columnar:
                    for v in payload:
                        s_rec.append(i)
                        s_tag.append(self._tag_id(tag))
                        s_step.append(ev.step)
                        s_wall.append(ev.wall_time)
                        s_val.append(v)
                else:
                    records.setdefault((kind.name, tag), []).extend((i, r) for r in payload)
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

    def _decode_value(self, val: M.Value, step: int, wall: float) -> tuple[kinds.Kind, list] | None:
        if val.metadata is not None and val.tag not in self._plugins:
            self._plugins[val.tag] = M.decode_metadata(val.metadata).plugin_name
        kind = kinds.for_value(val.kind, self._plugins.get(val.tag, ""))
        if kind is None:
            return None
        return kind, kind.decode(val, self._plugins.get(val.tag, ""), step, wall)


def load(logdir: str | os.PathLike, storage_options: dict | None = None) -> Store:
    """Read every run under ``logdir`` (event files of cellboard, torch, tensorboardX, TF, JAX).

    ``logdir`` may be a local path or an fsspec URL (``s3://bucket/exp``); ``storage_options``
    go to the fsspec filesystem.
    """
    fs, path = resolve_dir(logdir, storage_options)
    store = Store()
    for directory, sizes in fs.event_files(path).items():
        run = _run_name(fs, directory, path)
        try:
            RunReader(store, run, directory, fs).poll(sizes)
        except Exception as exc:  # noqa: BLE001 - one broken run never hides the others
            message = f"{type(exc).__name__}: {exc}"
            warnings.warn(f"cellboard: cannot read run {run!r} ({message}); skipped", UnreadableFileWarning,
                          stacklevel=2)
            store.set_notice(directory, message)
    return store


__all__ = ["RunReader", "UnreadableFileWarning", "discover_runs", "load"]
