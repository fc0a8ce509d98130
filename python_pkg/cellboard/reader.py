"""Reading log directories into a ``Store``: ``cellboard.load(logdir)``.

A ``RunReader`` tails the event files of one run: it remembers how far each file was read,
leaves a half-written last record for the next poll, skips corrupted records with one
warning, and applies ``SessionLog.START`` purges as TensorBoard does. Small scalar records
(the bulk of any log) go through a vectorized decoder (``fastscalars``), histograms and images
through a batch decoder (``fastrecords``); everything else is decoded record by record.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import fastrecords, fastscalars, kernels, kinds
from .fs import filesystem, resolve_dir
from .kinds import graph as graph_kind
from .store import Store
from .tfevents import messages as M
from .tfevents.records import CorruptRecordWarning, corrupt_message, scan_records

log = logging.getLogger(__name__)


def discover_runs(logdir: str, fs=None) -> dict[str, str]:
    """``{run name: directory}`` for every directory under ``logdir`` holding event files."""
    fs = fs or filesystem(logdir)
    return {_run_name(fs, d, logdir): d for d in fs.event_files(logdir)}


def _run_name(fs, directory: str, logdir: str) -> str:
    return fs.relpath(directory, logdir)


class UnreadableFileWarning(UserWarning):
    """An event file could not be read (permissions, I/O error); it is retried on later polls."""


# An event file is read and decoded this many bytes at a time: temporaries stay bounded however
# big the file (reading in chunks gives exactly what one read gives: see tfevents/records.py).
# Temporaries scale with the records of a chunk, so a file whose records average more than
# READ_CHUNK_RECORD bytes (histograms, images) is read in proportionally bigger chunks, at most
# READ_CHUNK_GROWTH times as big (16 MiB): no more records per chunk than READ_CHUNK bytes of
# READ_CHUNK_RECORD-byte records, and fewer, bigger batches for the batch decoder (scalar files,
# ~50-byte records, keep READ_CHUNK). Bigger chunks gained little more and kept more memory.
READ_CHUNK = 4 << 20
READ_CHUNK_RECORD = 64
READ_CHUNK_GROWTH = 4


# Reads of this many bytes start compiling the record walk (``kernels``, numba): loading it takes
# ~1 s on a background thread and ~130 MiB of memory, which pay off only on big reads (the walk
# then reads ~25% faster); smaller reads use it when something else already loaded it.
COMPILED_READ_MIN = 256 << 20


def default_workers() -> int:
    """Threads that read runs in parallel (numpy, zlib and CRC32C release the GIL)."""
    return max(1, min(8, os.cpu_count() or 1))


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
        self._batch = fastrecords.Decoder()  # histograms and images, a chunk at a time
        self.bytes_read = 0  # progress: bytes consumed so far, all files
        self._read_fraction = (0, 0)  # (bytes read once this chunk is, bytes listed) while polling
        # Warnings raised while ``deferred`` is a list are kept there (category, message) instead:
        # a caller reading runs in worker threads re-emits them in order from its own thread.
        self.deferred: list[tuple[type[Warning], str]] | None = None
        self._poll_lock = threading.Lock()  # one poll at a time per run (per-file state)
        self.store.ensure_run(run)

    def poll(self, sizes: dict[str, int] | None = None) -> int:
        """Read whatever was appended since the last poll; return the records read.

        ``sizes`` (event file name -> size) saves a directory listing when the caller has one.
        Each file is read in chunks of ``READ_CHUNK`` bytes, or more for files of big records
        (see ``READ_CHUNK_RECORD``); a record longer than a chunk is read whole.
        """
        if sizes is None:
            sizes = self.fs.dir_event_files(self.path)
        total = 0
        listed = sum(sizes.values())
        with self._poll_lock:
            for name in sorted(sizes):
                state = self._files.setdefault(name, _FileState())
                size = sizes[name]
                full = self.fs.join(self.path, name)
                chunk, read_from, records = READ_CHUNK, state.offset, 0
                while size > max(state.offset, state.wait_for - 1):  # else nothing new, or a torn tail
                    end = min(size, max(state.offset + chunk, state.wait_for))
                    try:
                        # a file of big records, once its first chunk showed it: their views keep the chunk
                        fresh = chunk > READ_CHUNK
                        data = _as_array(self.fs.read(full, state.offset, end, fresh))
                    except FileNotFoundError:
                        break  # deleted since the listing: nothing to read
                    except OSError as exc:
                        # unreadable (permissions, EIO, a directory named like an event file): skip it,
                        # say so once, retry on the next poll; the other files and runs still load
                        self._unreadable(full, state, exc)
                        break
                    if state.unreadable:
                        state.unreadable = False
                        self.store.set_notice(full, None)
                    start = state.offset
                    # what this chunk's points are of the run: the board sizes its buckets by it
                    self._read_fraction = (self.bytes_read + len(data), listed)
                    records += self._read_chunk(full, state, data)
                    self.bytes_read += state.offset - start
                    if records:  # the next chunk: sized by the average record read so far
                        average = (state.offset - read_from) / records
                        chunk = int(READ_CHUNK * min(READ_CHUNK_GROWTH, max(1.0, average / READ_CHUNK_RECORD)))
                    if len(data) < end - start or (state.offset == start and state.wait_for <= end):
                        break  # the file is shorter than listed, or no progress: wait for more bytes
                total += records
            self._read_fraction = (0, 0)
            self.store.read_done(self.run)
        return total

    def compact(self) -> None:
        """Drop the spare capacity of this run's scalar columns (they grow by doubling)."""
        for tag in self._tags:
            try:
                col = self.store.scalar_column(self.run, tag)
            except KeyError:
                continue
            with self.store._lock:
                if len(col.steps) > col.n:
                    col.steps, col.walls, col.values = (a[: col.n].copy() for a in (col.steps, col.walls, col.values))

    def _warn(self, message: str, category: type[Warning]) -> None:
        if self.deferred is not None:
            self.deferred.append((category, message))
        else:
            warnings.warn(message, category, stacklevel=4)

    def _unreadable(self, path: str, state: _FileState, exc: OSError) -> None:
        message = f"{type(exc).__name__}: {exc.strerror or exc}"
        if not state.unreadable:
            state.unreadable = True
            self._warn(
                f"cellboard: cannot read {path} ({message}); skipped, other files still load", UnreadableFileWarning
            )
        else:
            log.debug("still cannot read %s: %s", path, message)
        self.store.set_notice(path, message)

    def _tag_id(self, tag: str) -> int:
        i = self._tag_ids.get(tag)
        if i is None:
            i = self._tag_ids[tag] = len(self._tags)
            self._tags.append(tag)
        return i

    def _read_chunk(self, path: str, state: _FileState, chunk: np.ndarray) -> int:
        # The parsers get a read-only view (google-crc32c takes only read-only buffers); the batch
        # decoder may also reuse the bytes of the records it decoded (``chunk``, when writable).
        data = chunk.view()
        data.flags.writeable = False
        scan = scan_records(data, state.offset, resync=state.resync)
        state.resync, state.wait_for = scan.resync, scan.wait_for
        for off, why in zip(scan.corrupt_at, scan.corrupt_why):
            if off not in state.warned:
                state.warned.add(off)
                self._warn(corrupt_message(path, off, why), CorruptRecordWarning)
        n = len(scan.starts)
        if n:
            starts = np.asarray(scan.starts, np.int64)
            lengths = np.asarray(scan.lengths, np.int64)
            points = _Points()
            try:
                described: dict[str, tuple[str, str]] = {}
                fast = fastscalars.decode(data, starts, lengths, self._plugins, self._tag_id, described)
            except Exception:
                log.exception("vectorized scalar decoding failed for %s; decoding record by record", path)
                slow = np.arange(n)
            else:
                points.add(fast.rec, fast.tag, fast.step, fast.wall, fast.value)
                slow = np.flatnonzero(~fast.handled)
                for tag, (display_name, description) in described.items():
                    self.store.describe(self.run, tag, display_name, description)
            records: dict[tuple[str, str], list] = {}
            if slow.size:
                try:
                    writable = chunk if chunk.flags.writeable else None
                    batch = self._batch.decode(data, starts[slow], lengths[slow], self._plugins, writable)
                except Exception:
                    log.exception("batch decoding failed for %s; decoding record by record", path)
                else:
                    index = slow.tolist()
                    records = {key: [(index[j], r) for j, r in kept] for key, kept in batch.records.items()}
                    slow = slow[~batch.handled]
            self._decode_slow(path, state, data, starts, lengths, slow, points, records)
            self._flush_points(points)
        state.offset += scan.end
        return n

    # ------------------------------------------------------------------ record-by-record path
    def _decode_slow(self, path, state, data, starts, lengths, indices, points: _Points, records) -> None:
        """Decode the records ``indices`` one by one; ``records`` ((kind, tag) -> [(index, record)],
        from the batch decoder) are merged with them in file order."""
        view = memoryview(data)
        s_rec, s_tag, s_step, s_wall, s_val = [], [], [], [], []
        batched = set(records)
        purges: list[tuple[int, int]] = []
        for i in indices.tolist():
            start = int(starts[i])
            try:
                ev = M.decode_event(view[start : start + int(lengths[i])])
                if ev.session_status == M.SESSION_START:
                    purges.append((i, ev.step))
                    continue
                if ev.graph_def is not None:
                    recs = graph_kind.decode_graph_event(ev.graph_def, ev.step, ev.wall_time)
                    records.setdefault((graph_kind.KIND.name, graph_kind.TAG), []).extend((i, r) for r in recs)
                if ev.summary is None:
                    continue
                decoded = []
                for val in M.decode_summary(ev.summary):
                    out = self._decode_value(val, ev.step, ev.wall_time)
                    if out is not None and out[1]:
                        decoded.append((out[0].tag_for(val.tag, self._plugins.get(val.tag, "")), *out))
            except Exception as exc:  # noqa: BLE001 - any undecodable record is skipped, never fatal
                off = state.offset + start - 12
                if off not in state.warned:
                    state.warned.add(off)
                    self._warn(
                        corrupt_message(path, off, f"bad protobuf or payload: {type(exc).__name__}: {exc}"),
                        CorruptRecordWarning,
                    )
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
            for key, kept in records.items():
                records[key] = [(i, r) for i, r in kept if i > rec_idx or r.step < step]
        for (kind_name, tag), kept in records.items():
            if (kind_name, tag) in batched and len(kept) > 1:  # batch and one-by-one records: file order
                kept.sort(key=_first)
            self.store.append_records(self.run, kind_name, tag, [r for _, r in kept])

    def _flush_points(self, points: _Points, before: int | None = None) -> None:
        """Append decoded scalar points (all, or those before record ``before``) in file order."""
        if not points.rec:
            return
        rec, tag, step, wall, value = (
            np.concatenate(x) for x in (points.rec, points.tag, points.step, points.wall, points.value)
        )
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
        bounds = np.flatnonzero(tag[1:] != tag[:-1]) + 1
        restarts = np.flatnonzero(rec[1:] <= rec[:-1]) + 1
        # The decoders mostly give each tag's points as one block in file order (one template,
        # one tag): then nothing needs sorting; otherwise sort by tag, then file order.
        if np.unique(tag[np.r_[0, bounds]]).size != bounds.size + 1 or not np.isin(restarts, bounds).all():
            order = np.lexsort((rec, tag))
            tag, step, wall, value = tag[order], step[order], wall[order], value[order]
            bounds = np.flatnonzero(np.diff(tag)) + 1
        done, listed = self._read_fraction
        for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, tag.size]):
            name = self._tags[int(tag[lo])]
            expected = None
            if 0 < done < listed:  # the run is being read: its points so far, extrapolated by bytes
                try:
                    held = self.store.scalar_column(self.run, name).n
                except KeyError:
                    held = 0
                expected = -(-(held + hi - lo) * listed // done)
            self.store.append_scalars(self.run, name, step[lo:hi], wall[lo:hi], value[lo:hi], expected)

    def _decode_value(self, val: M.Value, step: int, wall: float) -> tuple[kinds.Kind, list] | None:
        if val.metadata is not None and val.tag not in self._plugins:
            md = M.decode_metadata(val.metadata)
            self._plugins[val.tag] = md.plugin_name
            if md.display_name or md.description:
                self.store.describe(self.run, val.tag, md.display_name, md.description)
        kind = kinds.for_value(val.kind, self._plugins.get(val.tag, ""))
        if kind is None:
            return None
        return kind, kind.decode(val, self._plugins.get(val.tag, ""), step, wall)


def _as_array(data: bytes | np.ndarray) -> np.ndarray:
    """A chunk as a uint8 array: writable where the file system gave one, else a read-only view."""
    return data if isinstance(data, np.ndarray) else np.frombuffer(data, np.uint8)


def _first(item: tuple[int, Any]) -> int:
    return item[0]


def read_runs(
    readers: Iterable[tuple[RunReader, dict[str, int] | None]],
    *,
    workers: int | None = None,
    on_error: Callable[[RunReader, Exception], None] | None = None,
    tick: Callable[[], None] | None = None,
    first_alone: bool = False,
    compact: bool = False,
) -> int:
    """Poll ``readers`` (each with its listing), in parallel threads; return the records read.

    The biggest runs start first (the slowest thread finishes last otherwise). Warnings are
    re-emitted from the calling thread, in the readers' order, once all are read: the same
    warnings, in the same order, however many threads. ``on_error(reader, exc)`` is called (in
    the calling thread) for a run whose reading raised; ``tick()`` every ~0.1 s while waiting
    (progress). With ``first_alone``, the first reader is read before the others start, so the
    first run is complete as early as possible (the board's first charts). With ``compact``, each
    run's scalar columns are trimmed to their length once read (a one-off load: no spare capacity).
    """
    jobs = list(readers)
    workers = default_workers() if workers is None else max(1, workers)
    results: dict[int, int | Exception] = {}

    def run(i: int) -> None:
        reader, sizes = jobs[i]
        try:
            results[i] = reader.poll(sizes)
            if compact:
                reader.compact()
        except Exception as exc:  # noqa: BLE001 - handed to on_error below
            results[i] = exc

    deferred = []
    for reader, _ in jobs:
        deferred.append(reader.deferred)
        reader.deferred = []
    try:
        order = list(range(len(jobs)))
        if tick is not None:  # progress before the first byte: the board sizes its buckets by the runs listed
            tick()
        if first_alone and order:
            run(order.pop(0))
            if tick is not None:
                tick()
        # after the first run (loading the kernels would delay the board's first charts)
        if sum(sum((s or {}).values()) - r.bytes_read for r, s in (jobs[i] for i in order)) >= COMPILED_READ_MIN:
            kernels.get()  # starts loading the record walk in the background (numba, if installed)
        order.sort(key=lambda i: -sum((jobs[i][1] or {}).values()) + jobs[i][0].bytes_read)
        if workers == 1 or len(order) <= 1:
            for i in order:
                run(i)
                if tick is not None:
                    tick()
        else:
            with ThreadPoolExecutor(min(workers, len(order)), thread_name_prefix="cellboard-read") as pool:
                futures = [pool.submit(run, i) for i in order]
                while not all(f.done() for f in futures):
                    if tick is not None:
                        tick()
                    _wait_any(futures, 0.1)
            if tick is not None:
                tick()
    finally:
        warned: list[tuple[type[Warning], str]] = []
        for (reader, _), saved in zip(jobs, deferred):
            warned.extend(reader.deferred or ())
            reader.deferred = saved
    for category, message in warned:
        warnings.warn(message, category, stacklevel=3)
    total = 0
    for i, (reader, _) in enumerate(jobs):
        out = results.get(i, 0)
        if isinstance(out, Exception):
            if on_error is None:
                raise out
            on_error(reader, out)
        else:
            total += out
    return total


def _wait_any(futures, timeout: float) -> None:
    from concurrent.futures import FIRST_COMPLETED, wait

    wait([f for f in futures if not f.done()], timeout=timeout, return_when=FIRST_COMPLETED)


class _Progress:
    """A ``tqdm.auto`` bar (a widget in a notebook, text in a terminal) shown once loading has
    taken ``delay`` seconds; nothing at all when tqdm is not installed."""

    def __init__(self, total_bytes: int, runs: int, enabled: bool | None, delay: float = 1.0) -> None:
        self.bar: Any = None  # a tqdm bar (tqdm is optional and untyped here)
        self.runs, self.t0, self.delay = runs, time.monotonic(), delay if enabled is None else 0.0
        if enabled is False or total_bytes <= 0:
            return
        try:
            from tqdm.auto import tqdm
        except Exception:  # noqa: BLE001 - tqdm (or its notebook widgets) missing: no bar, never an error
            return
        self._tqdm = tqdm
        self.total = total_bytes

    def update(self, done_bytes: int, done_runs: int, final: bool = False) -> None:
        if not hasattr(self, "_tqdm"):
            return
        if self.bar is None:
            if final or time.monotonic() - self.t0 < self.delay:
                return  # fast loads show no bar at all
            try:
                self.bar = self._tqdm(
                    total=self.total,
                    initial=min(done_bytes, self.total),
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc="cellboard.load",
                    leave=True,
                )
            except Exception:  # noqa: BLE001 - e.g. tqdm.auto without ipywidgets: no bar
                del self._tqdm
                return
        bar = self.bar
        bar.set_postfix_str(f"{done_runs}/{self.runs} runs", refresh=False)
        bar.update(min(done_bytes, self.total) - bar.n)
        if final:
            bar.close()


def load(
    logdir: str | os.PathLike,
    storage_options: dict | None = None,
    *,
    progress: bool | None = None,
    workers: int | None = None,
) -> Store:
    """Read every run under ``logdir`` (event files of cellboard, torch, tensorboardX, TF, JAX).

    ``logdir`` may be a local path or an fsspec URL (``s3://bucket/exp``); ``storage_options``
    go to the fsspec filesystem. Runs are read in parallel threads (``workers``, default: the
    CPU count, at most 8). ``progress``: ``None`` shows a ``tqdm.auto`` bar when loading takes
    longer than a second (if tqdm is installed), ``True`` at once, ``False`` never.
    """
    fs, path = resolve_dir(logdir, storage_options)
    store = Store()
    listing = fs.event_files(path)
    jobs = [
        (RunReader(store, _run_name(fs, directory, path), directory, fs), sizes) for directory, sizes in listing.items()
    ]
    bar = _Progress(sum(sum(s.values()) for s in listing.values()), len(jobs), progress)

    def tick() -> None:
        read = sum(r.bytes_read for r, _ in jobs)
        done_runs = sum(1 for r, s in jobs if r.bytes_read >= sum(s.values()))
        bar.update(read, done_runs)

    def failed(reader: RunReader, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc}"
        warnings.warn(
            f"cellboard: cannot read run {reader.run!r} ({message}); skipped", UnreadableFileWarning, stacklevel=3
        )
        store.set_notice(reader.path, message)

    read_runs(jobs, workers=workers, on_error=failed, tick=tick, compact=True)
    for reader, _ in jobs:
        _read_embeddings(store, fs, reader.run, reader.path)
    for run, directory in projector_dirs(fs, path, listing):
        _read_embeddings(store, fs, run, directory)
    bar.update(sum(r.bytes_read for r, _ in jobs), len(jobs), final=True)
    return store


def projector_dirs(fs, logdir: str, runs: Iterable[str]) -> list[tuple[str, str]]:
    """``(run name, directory)`` of the directories that hold a projector config but no event file
    (not among the directories ``runs``), each read as a run of its own: the log directory, run ``"."``,
    as TensorBoard's projector reads it (TensorFlow's projector tutorial writes the checkpoint and the
    config there, and no event file); and a run's parent, where Keras' TensorBoard callback writes its
    config (its events go to ``train/`` and ``validation/`` below it), which TensorBoard does not read."""
    from .kinds.embeddings import CONFIG

    rels = {fs.relpath(d, logdir) for d in runs}
    parents = {"."} | {rel.rsplit("/", 1)[0] if "/" in rel else "." for rel in rels if rel != "."}
    out = []
    for rel in sorted(parents - rels):
        directory = logdir if rel == "." else fs.join(logdir, *rel.split("/"))
        if fs.exists(fs.join(directory, CONFIG)):
            out.append((rel, directory))
    return out


def _read_embeddings(store: Store, fs, run: str, directory: str) -> None:
    """The embeddings of a run directory, listed in its ``projector_config.pbtxt``: torch's and cellboard's
    ``add_embedding`` files, and tensors of TensorFlow checkpoints. A checkpoint embedding that cannot be
    read is one warning and a notice naming the file; the run's other embeddings still load."""
    from .kinds import embeddings

    try:
        records, problems = embeddings.read(fs, directory)
    except Exception as exc:  # noqa: BLE001 - a bad config or a missing file: the rest still loads
        message = f"{type(exc).__name__}: {exc}"
        warnings.warn(
            f"cellboard: cannot read the embeddings of run {run!r} ({message}); skipped",
            UnreadableFileWarning,
            stacklevel=3,
        )
        store.set_notice(fs.join(directory, embeddings.CONFIG), message)
        return
    for p in problems:
        warnings.warn(f"cellboard: cannot read {p.message(run)}; skipped", UnreadableFileWarning, stacklevel=3)
    for source, message in embeddings.notices(problems, run).items():
        store.set_notice(source, message)
    for r in records:
        store.append_records(run, "embeddings", r.tag, [r])


__all__ = ["RunReader", "UnreadableFileWarning", "discover_runs", "load", "projector_dirs", "read_runs"]
