"""``cellboard.SummaryWriter``: torch's SummaryWriter API, writing event files and a live store.

Hot path: ``add_scalar`` of a float or int (a tag seen before, an int step, no walltime)
checks its arguments and appends a tuple to the queue without taking a lock; other values are
validated and converted first. The queue is drained (scalars encoded and framed column-wise
with numpy, ``kinds.scalars.encode_batch``; everything handed to the OS with one ``os.write``
per event file, appended to the store) from the logging thread at most every
``DRAIN_INTERVAL`` seconds or every ``DRAIN_BATCH`` records; a shared background ticker drains
writers that went quiet, so a process killed with SIGKILL loses at most the last
``DRAIN_INTERVAL``. Local files are
``fsync``-ed (object stores rewritten) every ``flush_secs``, on ``flush()``, ``close()`` and
at interpreter exit.

A failing write (full disk, I/O error, store error) loses nothing: the event file keeps the
records that did not reach the OS (bounded, see ``filewriter.PENDING_LIMIT``), one warning
names the error, the next ``add_*``/``flush()``/``close()`` raises it, and the records are
written in order once writing works again.
"""

from __future__ import annotations

import atexit
import gc
import os
import socket
import threading
import time
import warnings
import weakref
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from . import binning, device, kinds
from . import summaries as S
from .fs import filesystem, is_url, local_path, redact, redacted_error
from .kinds import audio, custom_scalars, histograms, hparams, images, pr_curves, text
from .kinds import scalars as scalar_kind
from .store import Store
from .tfevents import filewriter
from .tfevents import messages as M
from .tfevents.filewriter import EventFileWarning, EventFileWriter
from .tfevents.wire import I32, I64, LEN, f_bytes, f_double, f_varint, iter_fields, varint

if TYPE_CHECKING:
    from .board import Board  # imported lazily at run time: writing logs needs no widget libraries

DRAIN_INTERVAL = 0.1  # seconds: what a live board lags behind the training loop at most
DRAIN_BATCH = 4096  # records: bounds memory and latency when logging very fast

_time = time.time
_I64 = 1 << 63  # steps are int64 in event files

# Queue item kinds
_SCALAR, _EVENT, _HIST = 0, 1, 2  # _HIST: a histogram computed on the device, read back later
# Scalar styles: legacy simple_value (float32), new-style float tensor, new-style double tensor
_LEGACY, _NEW_FLOAT, _NEW_DOUBLE = scalar_kind.LEGACY, scalar_kind.NEW_FLOAT, scalar_kind.NEW_DOUBLE


class _Ticker:
    """One daemon thread for every writer: drains quiet writers and honours ``flush_secs``.

    Writers are held by weak references in a dict that no code path iterates while it can change:
    the garbage collector may run ``SummaryWriter.__del__`` (hence ``close()`` and ``discard``) at
    any allocation, on any thread, also in the middle of this class's own code. So ``discard`` takes
    no lock (one ``dict.pop``, atomic under the GIL) and readers take a ``dict.copy()`` first (its
    only allocation happens before it reads an entry). The lock only guards starting the thread.

    ``_unfinished`` holds the ids of the writers opened and not yet closed (or given up on), alive
    or not: at exit, a writer no reference reaches may still be closing in ``__del__`` on another
    thread (a collection the ticker's own allocations started, its weak reference already
    cleared), and that daemon thread would be stopped mid-way; ``close_all`` waits for those.
    """

    PERIOD = 0.025  # a record waits at most _DRAIN_DUE + PERIOD = DRAIN_INTERVAL before its write
    EXIT_WAIT = 10.0  # seconds close_all waits for writers closing on other threads

    def __init__(self) -> None:
        self._refs: dict[int, weakref.ref[SummaryWriter]] = {}
        self._unfinished: set[int] = set()  # set.add / discard: atomic under the GIL, no lock (see above)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, writer: SummaryWriter) -> None:
        key = id(writer)
        refs = self._refs
        self._unfinished.add(key)

        def forget(_: weakref.ref[SummaryWriter]) -> None:  # runs as the writer is freed, before its id is reused
            refs.pop(key, None)

        refs[key] = weakref.ref(writer, forget)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="cellboard-ticker", daemon=True)
                self._thread.start()

    def discard(self, writer: SummaryWriter) -> None:
        """The writer is closed, or gave up closing (its error was said): nothing to wait for."""
        self._refs.pop(id(writer), None)
        self._unfinished.discard(id(writer))

    def _alive(self) -> list[SummaryWriter]:
        return [w for w in (r() for r in self._refs.copy().values()) if w is not None]

    def _run(self) -> None:
        while True:
            time.sleep(self.PERIOD)
            self._tick_all()  # its own frame: no writer is kept alive while this thread sleeps

    def _tick_all(self) -> None:
        for w in self._alive():
            try:
                w._tick()
            except Exception:  # noqa: BLE001 - a background thread must never die; write errors
                pass  # are kept by the writer (warned once, raised by its next call)

    def close_all(self) -> None:
        for w in self._alive():
            try:
                w.close()
            except Exception as exc:  # noqa: BLE001 - nobody is left to catch it: say what is lost
                if w._closed:  # written after all; the error was an earlier, recovered one
                    continue
                self._unfinished.discard(id(w))
                warnings.warn(
                    f"cellboard: at exit, {w!r} could not write everything it logged: {redact(str(exc))}",
                    EventFileWarning,
                    stacklevel=1,
                )
        if not self._unfinished:
            return  # the usual exit: every writer was closed
        # writers no reference reaches: garbage in a cycle (collected here, so __del__ writes them)
        # or being closed by a collection on another thread, which this thread's waiting lets run
        gc.collect()
        deadline = time.monotonic() + self.EXIT_WAIT
        while self._unfinished and time.monotonic() < deadline:
            time.sleep(0.005)


_ticker = _Ticker()
atexit.register(_ticker.close_all)
# The logging thread drains a little early so that the ticker, waking every PERIOD, still
# drains a quiet writer within DRAIN_INTERVAL of its oldest queued record.
_DRAIN_DUE = DRAIN_INTERVAL - _Ticker.PERIOD


def default_log_dir(comment: str = "") -> str:
    stamp = datetime.now().strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")


class SummaryWriter:
    """Drop-in for ``torch.utils.tensorboard.SummaryWriter`` that also feeds a live board.

    Everything logged goes to standard ``events.out.tfevents.*`` files under ``log_dir`` and
    to ``self.store`` (what a ``cellboard.Board`` displays).
    """

    def __init__(
        self,
        log_dir: str | os.PathLike | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = 10,
        flush_secs: int = 120,
        filename_suffix: str = "",
        *,
        store: Store | None = None,
        run: str | None = None,
        storage_options: dict | None = None,
    ) -> None:
        if log_dir is None:
            log_dir = default_log_dir(comment)
        self.log_dir = os.fspath(log_dir)
        if not is_url(self.log_dir):
            self.log_dir = local_path(self.log_dir)  # file:///tmp/x is /tmp/x, not ./file:/tmp/x
        if not isinstance(comment, str):
            raise TypeError(f"comment must be a str, got {type(comment).__name__}")
        if not isinstance(filename_suffix, str):
            raise TypeError(f"filename_suffix must be a str, got {type(filename_suffix).__name__}")
        if not isinstance(flush_secs, (int, float)) or flush_secs <= 0:
            raise ValueError(f"flush_secs must be a positive number, got {flush_secs!r}")
        if not isinstance(max_queue, int) or max_queue < 1:
            raise ValueError(f"max_queue must be a positive int, got {max_queue!r}")
        self.purge_step = None if purge_step is None else S.check_step(purge_step, "purge_step")
        self.max_queue = max_queue  # accepted for compatibility; batching is by time, see module doc
        self.flush_secs = float(flush_secs)
        self.filename_suffix = filename_suffix
        self.store = store if store is not None else Store()
        self._fs = filesystem(self.log_dir, storage_options)
        self._storage_options = storage_options
        self.run = run or self._fs.basename(self.log_dir)

        self._qlock = threading.Lock()
        self._io_lock = threading.RLock()
        self._queue: list[tuple] = []  # one list for the writer's life: add_scalar appends without the lock
        self._mixed = False  # the queue holds more than plain float scalars (set under _qlock)
        self._files: dict[str, EventFileWriter] = {}  # sub-run ("" = main) -> file
        self._parts: dict[tuple[str, int], tuple[bytes, bytes]] = {}
        self._checked_tags: set[str] = set()  # add_scalar tags already validated
        self._last_drain = time.monotonic()
        self._drain_at = time.time() + _DRAIN_DUE  # add_scalar's due check, on the wall time it reads anyway
        self._last_flush = self._last_drain
        self._closed = False
        self._board: Board | None = None
        self._io_error: BaseException | None = None  # a write failure not yet raised to the caller
        self._failing = False  # records are pending in some event file (warned once per episode)
        self._open_main()
        _ticker.add(self)

    # ------------------------------------------------------------------ files and runs
    def _open_main(self) -> None:
        main = self._file("")
        if self.purge_step is not None:
            # As torch: the restart marker that makes readers drop steps >= purge_step.
            now = time.time()
            main.write_records(
                [
                    M.event(now, self.purge_step, file_version=M.FILE_VERSION),
                    M.event(now, self.purge_step, session_log=M.session_log(M.SESSION_START)),
                ]
            )
            self.store.purge(self.run, self.purge_step)
            # Once only, as torch: files reopened after close() must not purge this writer's own points.
            self.purge_step = None
        self.store.ensure_run(self.run)

    def _file(self, sub: str) -> EventFileWriter:
        f = self._files.get(sub)
        if f is None:
            # the main file is created by the constructor, which raises; a sub-run's file is
            # created while draining, where a full disk must not lose the records: it retries
            f = self._files[sub] = EventFileWriter(
                self._fs.join(self.log_dir, sub) if sub else self.log_dir,
                self.filename_suffix,
                storage_options=self._storage_options,
                strict=not sub,
            )
        return f

    def _run_name(self, sub: str) -> str:
        return f"{self.run}/{sub}" if sub else self.run

    def get_logdir(self) -> str:
        return self.log_dir

    # ------------------------------------------------------------------ queue
    def _enqueue(self, item: tuple) -> None:
        with self._qlock:
            if item[0] != _SCALAR or type(item[3]) is not float:
                self._mixed = True
            self._queue.append(item)
        self._after_enqueue()

    def _after_enqueue(self) -> None:
        if self._closed:
            self._reopen()
        if len(self._queue) >= DRAIN_BATCH or time.monotonic() - self._last_drain >= _DRAIN_DUE:
            self._drain()
        if self._io_error is not None:  # a write failed since the last call (here or in the ticker)
            self._raise_io_error()

    def _reopen(self) -> None:
        """Logging after ``close()`` starts new event files, as torch does (never appends)."""
        with self._io_lock:
            if self._closed:
                self._closed = False
                self._open_main()
                _ticker.add(self)

    def _drain(self, wait: bool = False) -> None:
        """Encode the queue, hand it to the event files and the store. Write failures are kept
        (``_io_error``), not raised: the caller decides; encoding failures are raised.

        Values still on an accelerator (CUDA scalars, device histograms) are copied back without
        waiting: the records from the first one not yet arrived on stay queued for the next
        drain, unless ``wait`` (flush, close, show) or the queue is over ``DRAIN_BATCH``."""
        with self._io_lock:
            with self._qlock:
                # the list is kept: add_scalar's lock-free appends land after index n, never lost
                q = self._queue
                n = len(q)
                queue = q[:n]
                del q[:n]
                mixed, self._mixed = self._mixed, False
            self._last_drain = time.monotonic()
            self._drain_at = time.time() + _DRAIN_DUE
            if queue and mixed:
                n = self._ready(queue, wait or len(queue) > DRAIN_BATCH)
                if n < len(queue):
                    with self._qlock:
                        q[:0] = queue[n:]
                        self._mixed = True
                    queue = queue[:n]
            if queue:
                self._write(queue, mixed)

    @staticmethod
    def _ready(queue: list[tuple], wait: bool) -> int:
        """Start the device-to-host copies of deferred scalars (one per device and drain); how
        many leading records can be encoded now."""
        launch = [
            i
            for i, it in enumerate(queue)
            if it[0] == _SCALAR and type(it[3]) is not float and not isinstance(it[3], device.DeferredScalar)
        ]
        if launch:
            for i, v in zip(launch, device.launch_scalars([queue[i][3] for i in launch])):
                it = queue[i]
                queue[i] = (*it[:3], v, *it[4:])
        if wait:
            return len(queue)
        for n, it in enumerate(queue):
            v = it[3]
            if (it[0] == _HIST or (it[0] == _SCALAR and type(v) is not float)) and not v.ready():
                return n
        return len(queue)

    def _write(self, queue: list[tuple], mixed: bool = True) -> None:
        try:
            encoded = self._encode(queue, mixed)
        except BaseException:
            with self._qlock:  # nothing was written: keep the batch for the next drain
                self._queue[:0] = queue
                self._mixed = True
            raise
        events, scalars, records = encoded
        errors = []
        for sub, evs in events.items():
            try:
                self._file(sub).write_records(evs)
            except Exception as exc:  # noqa: BLE001 - the file keeps what it could not write
                errors.append(exc)
        # The store gets the records even when the disk fails: the live board stays complete.
        for sub, batch in scalars:
            run = self._run_name(sub)
            for tag, (steps, walls, vals) in batch.columns.items():
                self.store.append_scalars(run, tag, steps, walls, vals)
        for (sub, kind, tag), recs in records.items():
            self.store.append_records(self._run_name(sub), kind, tag, recs)
        self._check_io(errors)

    def _encode(self, queue: list[tuple], mixed: bool = True):
        """Serialized events per sub-run (scalars as framed batches), scalar batches and records
        for the store. ``mixed``: the queue may hold more than plain float scalars."""
        parts = self._parts
        if not mixed:  # the hot path's records only: columns straight from the tuples
            _, subs, tags, values, steps, walls, styles = zip(*queue)
            if subs.count(subs[0]) == len(subs):
                batch = scalar_kind.encode_batch(tags, styles, steps, walls, values, parts)
                return {subs[0]: [filewriter.Framed(batch.frames, batch.count)]}, [(subs[0], batch)], {}
        deferred = [i for i, it in enumerate(queue) if it[0] == _SCALAR and type(it[3]) is not float]
        if deferred:
            resolved = device.resolve_deferred([queue[i][3] for i in deferred])
            queue = list(queue)
            for i, v in zip(deferred, resolved):
                queue[i] = (*queue[i][:3], v, *queue[i][4:])
        events: dict[str, list[bytes]] = {}
        scalars: list[tuple[str, scalar_kind.EncodedScalars]] = []
        records: dict[tuple[str, str, str], list] = {}
        pending: dict[str, list[tuple]] = {}  # sub-run -> scalars not yet encoded (order kept per file)

        def encode_pending(sub: str) -> None:
            items = pending.pop(sub, None)
            if items:
                _, _, tags, values, steps, walls, styles = zip(*items)
                batch = scalar_kind.encode_batch(tags, styles, steps, walls, values, parts)
                events.setdefault(sub, []).append(filewriter.Framed(batch.frames, batch.count))
                scalars.append((sub, batch))

        for it in queue:
            if it[0] == _SCALAR:
                pending.setdefault(it[1], []).append(it)
                continue
            encode_pending(it[1])
            if it[0] == _HIST:
                _, sub, tag, deferred_hist, step, wall = it
                h = deferred_hist.resolve()
                if h is None:  # known only now: the call could not raise it
                    warnings.warn(
                        f"cellboard: histogram {tag!r} at step {step} not written: the tensor held no finite value",
                        RuntimeWarning,
                        stacklevel=2,
                    )
                    continue
                ev, record = histograms.encode(tag, h, step, wall)
                events.setdefault(sub, []).append(ev)
                records.setdefault((sub, "histograms", tag), []).append(record)
            else:
                _, sub, ev, kind, tag, record = it
                events.setdefault(sub, []).append(ev)
                if kind is not None:
                    records.setdefault((sub, kind, tag), []).append(record)
        for sub in list(pending):
            encode_pending(sub)
        return events, scalars, records

    def _tick(self) -> None:
        """Background fallback: drain a writer whose loop stopped logging, retry failed writes,
        fsync/upload every ``flush_secs`` (here, not in the logging thread: it may be slow)."""
        if self._closed:
            return
        now = time.monotonic()
        if self._queue and now - self._last_drain >= _DRAIN_DUE:
            self._drain()
        elif self._failing:
            self._retry_files()
        if now - self._last_flush >= self.flush_secs:
            self._drain(wait=True)
            self._flush_files()

    def _retry_files(self) -> None:
        with self._io_lock:
            errors = []
            for f in list(self._files.values()):
                try:
                    f.retry()
                except Exception as exc:  # noqa: BLE001 - still failing: kept, warned once already
                    errors.append(exc)
            self._check_io(errors)

    def _flush_files(self) -> list[Exception]:
        """fsync local files, rewrite remote ones; returns the errors (also kept in ``_io_error``).

        Runs outside ``_io_lock``: an upload or fsync must not stall the logging thread."""
        with self._io_lock:
            files = list(self._files.values())
        errors: list[Exception] = []
        for f in files:
            try:
                f.flush()
            except Exception as exc:  # noqa: BLE001 - the file keeps its records
                errors.append(exc)
        self._last_flush = time.monotonic()
        with self._io_lock:
            self._check_io(errors)
        return errors

    def _check_io(self, errors: list[Exception]) -> None:
        """Warn once per failure episode (and for records dropped at the memory cap); keep the
        error for the next call to raise. Called with ``_io_lock`` held."""
        dropped = sum(f.take_dropped() for f in self._files.values())
        if dropped:
            warnings.warn(
                f"cellboard: writing to {redact(self.log_dir)} still fails; dropped the {dropped} oldest "
                f"records kept in memory (over {filewriter.PENDING_LIMIT >> 20} MiB per event file)",
                EventFileWarning,
                stacklevel=2,
            )
        if errors:
            if not self._failing:
                self._failing = True
                err = self._error(errors[0])
                warnings.warn(str(err), EventFileWarning, stacklevel=2)
                self._io_error = err
        elif self._failing and not any(f.pending for f in self._files.values()):
            self._failing = False  # recovered: everything kept was written, in order

    def _error(self, exc: BaseException) -> Exception:
        """What is warned and raised for a write failure: where, the cause (same type and errno,
        credentials redacted), and that nothing is lost."""
        return redacted_error(
            exc,
            f"cellboard: cannot write to {self.log_dir}",
            "; nothing is lost yet: what could not be written is kept in memory and written "
            "in order once writing works again (flush() and close() retry)",
        )

    def _raise_io_error(self) -> None:
        err, self._io_error = self._io_error, None
        if err is not None:
            raise err.with_traceback(None) from None

    def _add_event(self, sub: str, event: bytes, kind: str | None = None, tag: str = "", record=None) -> None:
        self._enqueue((_EVENT, sub, event, kind, tag, record))

    @staticmethod
    def _wall(walltime) -> float:
        w = S.check_walltime(walltime)
        return time.time() if w is None else w

    # ------------------------------------------------------------------ scalars
    def add_scalar(
        self,
        tag: str,
        scalar_value,
        global_step: int | None = None,
        walltime: float | None = None,
        new_style: bool = False,
        double_precision: bool = False,
    ) -> None:
        """Log one number. ``new_style`` writes a tensor summary (float64 with ``double_precision``)."""
        t = type(scalar_value)
        if (
            (t is float or t is int)
            and type(global_step) is int
            and walltime is None
            and type(tag) is str
            and tag in self._checked_tags  # validated once per tag
            and -_I64 <= global_step < _I64
        ):
            # hot path: a tuple appended without the lock (list.append is atomic); encoded,
            # written and stored in batches by _drain, which runs here when due
            wall = _time()
            q = self._queue
            q.append(
                (
                    _SCALAR,
                    "",
                    tag,
                    scalar_value if t is float else float(scalar_value),
                    global_step,
                    wall,
                    (_NEW_DOUBLE if double_precision else _NEW_FLOAT) if new_style else _LEGACY,
                )
            )
            if wall >= self._drain_at or len(q) >= DRAIN_BATCH or self._closed or self._io_error is not None:
                self._after_enqueue()
            return
        if type(tag) is not str or tag not in self._checked_tags:
            self._checked_tags.add(S.check_tag(tag))
        value = S.scalar_value(scalar_value)
        step = global_step if type(global_step) is int and -_I64 <= global_step < _I64 else S.check_step(global_step)
        wall = time.time() if walltime is None else self._wall(walltime)
        style = (_NEW_DOUBLE if double_precision else _NEW_FLOAT) if new_style else _LEGACY
        if type(value) is float:  # converted here (a CPU tensor, a numpy number): as the hot path
            self._queue.append((_SCALAR, "", tag, value, step, wall, style))
            self._after_enqueue()
        else:  # an accelerator's tensor, copied back later
            self._enqueue((_SCALAR, "", tag, value, step, wall, style))

    def _add_described_scalar(self, tag: str, scalar_value, global_step, walltime, display_name, description) -> None:
        """tensorboardX's ``add_scalar(..., display_name=, summary_description=)``: a legacy value
        whose SummaryMetadata carries them, as tensorboardX writes it (TensorBoard and the board
        keep a tag's first ones)."""
        for name, given in (("display_name", display_name), ("summary_description", description)):
            if not isinstance(given, str):
                raise TypeError(f"{name} must be a str, got {type(given).__name__}")
        S.check_tag(tag)
        value = S.scalar_value(scalar_value)
        if type(value) is not float:  # an accelerator's tensor: read now (a described point is rare)
            value = float(S.to_numpy(value, "scalar_value").reshape(()))
        step, wall = S.check_step(global_step), self._wall(walltime)
        meta = M.plugin_metadata("", display_name=display_name, description=description)
        self._log_external_event(
            "", M.event(wall, step, summary=M.summary(M.value(tag, simple_value=value, metadata=meta)))
        )

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: Mapping[str, object],
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """One sub-run per key (``<log_dir>/<main_tag>_<key>``), tag ``main_tag``, as torch."""
        S.check_tag(main_tag, "main_tag")
        if not isinstance(tag_scalar_dict, Mapping) or not tag_scalar_dict:
            raise TypeError("tag_scalar_dict must be a non-empty dict of {name: number}")
        step = S.check_step(global_step)
        wall = self._wall(walltime)
        items = []
        for key, v in tag_scalar_dict.items():
            S.check_tag(key, "tag_scalar_dict key")
            items.append((f"{main_tag.replace('/', '_')}_{key}", S.scalar_value(v, f"tag_scalar_dict[{key!r}]")))
        for sub, value in items:  # validated all first: a bad value logs none of them
            self._enqueue((_SCALAR, sub, main_tag, value, step, wall, _LEGACY))

    # ------------------------------------------------------------------ histograms
    def add_histogram(
        self,
        tag: str,
        values,
        global_step: int | None = None,
        bins="tensorflow",
        walltime: float | None = None,
        max_bins: int | None = None,
    ) -> None:
        S.check_tag(tag)
        if isinstance(bins, str) and bins == "tensorflow" and device.is_device_tensor(values):
            # bucketed on the device; counts and stats come back at a later drain, without a sync
            if max_bins is not None and (not isinstance(max_bins, (int, np.integer)) or max_bins < 1):
                raise ValueError(f"max_bins must be a positive int or None, got {max_bins!r}")
            step, wall = S.check_step(global_step), self._wall(walltime)
            self._enqueue((_HIST, "", tag, device.tf_histogram_torch(values, max_bins), step, wall))
            return
        h = binning.histogram(values, bins, max_bins)
        self._log_histogram(tag, h, S.check_step(global_step), self._wall(walltime))

    def add_histogram_raw(
        self,
        tag: str,
        min,
        max,
        num,
        sum,
        sum_squares,
        bucket_limits,
        bucket_counts,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        S.check_tag(tag)
        limits = S.to_numpy(bucket_limits, "bucket_limits").astype(np.float64).ravel()
        counts = S.to_numpy(bucket_counts, "bucket_counts").astype(np.float64).ravel()
        if len(limits) != len(counts):
            raise ValueError(
                f"bucket_limits and bucket_counts must have the same length, got {len(limits)} and {len(counts)}"
            )
        if len(limits) == 0:
            raise ValueError("bucket_limits must not be empty")
        if np.any(np.diff(limits) < 0):
            raise ValueError("bucket_limits must be non-decreasing")
        if np.any(counts < 0):
            raise ValueError("bucket_counts must not be negative")
        stats = {}
        for name, v in (("min", min), ("max", max), ("num", num), ("sum", sum), ("sum_squares", sum_squares)):
            stats[name] = S.scalar_value(v, name)
        h = binning.Histogram(
            float(stats["min"]),
            float(stats["max"]),
            float(stats["num"]),
            float(stats["sum"]),
            float(stats["sum_squares"]),
            limits,
            counts,
        )
        self._log_histogram(tag, h, S.check_step(global_step), self._wall(walltime))

    def _log_histogram(self, tag: str, h: binning.Histogram, step: int, wall: float) -> None:
        ev, record = histograms.encode(tag, h, step, wall)
        self._add_event("", ev, "histograms", tag, record)

    # ------------------------------------------------------------------ images
    def add_image(
        self,
        tag: str,
        img_tensor,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "CHW",
    ) -> None:
        """One image: uint8 in [0, 255] or float in [0, 1]; ``dataformats`` CHW, HWC or HW."""
        S.check_tag(tag)
        hwc = S.to_hwc(S.to_numpy(img_tensor, "img_tensor"), dataformats)
        self._log_image(tag, hwc, S.check_step(global_step), self._wall(walltime))

    def add_images(
        self,
        tag: str,
        img_tensor,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "NCHW",
    ) -> None:
        """A batch of images, tiled into one grid image (8 per row) as torch does."""
        S.check_tag(tag)
        grid = S.grid_nhwc(S.to_numpy(img_tensor, "img_tensor"), dataformats)
        self._log_image(tag, grid, S.check_step(global_step), self._wall(walltime))

    def add_figure(
        self, tag: str, figure, global_step: int | None = None, close: bool = True, walltime: float | None = None
    ) -> None:
        """A matplotlib figure (or a list of them, logged as a grid), rendered with Agg."""
        S.check_tag(tag)
        figures = figure if isinstance(figure, (list, tuple)) else [figure]
        if not figures or not all(hasattr(f, "savefig") for f in figures):
            raise TypeError("figure must be a matplotlib Figure or a non-empty list of them")
        arrays = [S.figure_to_hwc(f) for f in figures]
        if close:
            import matplotlib.pyplot as plt

            for f in figures:
                plt.close(f)
        if len(arrays) == 1:
            img = arrays[0]
        else:
            if len({a.shape for a in arrays}) != 1:
                raise ValueError("figures in a list must all have the same size in pixels")
            img = S.grid_nhwc(np.stack(arrays), "NHWC")
        self._log_image(tag, img, S.check_step(global_step), self._wall(walltime))

    def _log_image(self, tag: str, hwc: np.ndarray, step: int, wall: float) -> None:
        ev, record = images.encode(tag, hwc, step, wall)
        self._add_event("", ev, "images", tag, record)

    # ------------------------------------------------------------------ text, audio, pr curves
    def add_text(
        self, tag: str, text_string: str, global_step: int | None = None, walltime: float | None = None
    ) -> None:
        """Markdown text; stored under ``<tag>/text_summary`` as torch does."""
        S.check_tag(tag)
        if not isinstance(text_string, str):
            raise TypeError(f"text_string must be a str, got {type(text_string).__name__}")
        S.check_text(text_string, "text_string")  # torch raises an unnamed UnicodeEncodeError
        step, wall = S.check_step(global_step), self._wall(walltime)
        full_tag = f"{tag}/text_summary"
        ev, record = text.encode(full_tag, text_string, step, wall)
        self._add_event("", ev, "text", full_tag, record)

    def add_audio(
        self,
        tag: str,
        snd_tensor,
        global_step: int | None = None,
        sample_rate: int = 44100,
        walltime: float | None = None,
    ) -> None:
        """Sound in [-1, 1], shape (L,) or (1, L), written as 16-bit PCM WAV."""
        S.check_tag(tag)
        step, wall = S.check_step(global_step), self._wall(walltime)
        ev, record = audio.encode(tag, snd_tensor, sample_rate, step, wall)
        self._add_event("", ev, "audio", tag, record)

    def add_pr_curve(
        self,
        tag: str,
        labels,
        predictions,
        global_step: int | None = None,
        num_thresholds: int = 127,
        weights=None,
        walltime: float | None = None,
    ) -> None:
        S.check_tag(tag)
        data = S.pr_curve_counts(labels, predictions, num_thresholds, weights)
        self._log_pr_curve(tag, data, S.check_step(global_step), self._wall(walltime))

    def add_pr_curve_raw(
        self,
        tag: str,
        true_positive_counts,
        false_positive_counts,
        true_negative_counts,
        false_negative_counts,
        precision,
        recall,
        global_step: int | None = None,
        num_thresholds: int = 127,
        weights=None,
        walltime: float | None = None,
    ) -> None:
        S.check_tag(tag)
        cols = [
            S.to_numpy(x, n).astype(np.float64).ravel()
            for x, n in (
                (true_positive_counts, "true_positive_counts"),
                (false_positive_counts, "false_positive_counts"),
                (true_negative_counts, "true_negative_counts"),
                (false_negative_counts, "false_negative_counts"),
                (precision, "precision"),
                (recall, "recall"),
            )
        ]
        if len({len(c) for c in cols}) != 1:
            raise ValueError("the counts, precision and recall must all have the same length")
        data = np.stack(cols).astype(np.float32)
        self._log_pr_curve(tag, data, S.check_step(global_step), self._wall(walltime))

    def _log_pr_curve(self, tag: str, data: np.ndarray, step: int, wall: float) -> None:
        ev, record = pr_curves.encode(tag, data, step, wall)
        self._add_event("", ev, "pr_curves", tag, record)

    # ------------------------------------------------------------------ hparams, custom scalars
    def add_hparams(
        self,
        hparam_dict: Mapping[str, object],
        metric_dict: Mapping[str, object],
        hparam_domain_discrete: Mapping[str, Sequence] | None = None,
        run_name: str | None = None,
        global_step: int | None = None,
    ) -> None:
        """Hyperparameters and their metrics, in a sub-run (``run_name`` or a timestamp) as torch."""
        if not isinstance(hparam_dict, Mapping) or not isinstance(metric_dict, Mapping):
            raise TypeError("hparam_dict and metric_dict must both be dicts")
        hp = {}
        for k, v in hparam_dict.items():
            S.check_tag(k, "hparam_dict key")
            if S.is_torch_tensor(v) or isinstance(v, np.generic):
                v = v.item()
            if v is not None and not isinstance(v, (bool, int, float, str)):
                raise TypeError(f"hparam_dict[{k!r}] must be a bool, int, float, str or None, got {type(v).__name__}")
            if isinstance(v, str):
                S.check_text(v, f"hparam_dict[{k!r}]")
            hp[k] = v
        metrics = {
            S.check_tag(k, "metric_dict key"): S.scalar_value(v, f"metric_dict[{k!r}]") for k, v in metric_dict.items()
        }
        domains = dict(hparam_domain_discrete or {})
        for k, dom in domains.items():
            if k not in hp or not isinstance(dom, (list, tuple)) or not all(isinstance(d, type(hp[k])) for d in dom):
                raise ValueError(
                    f"hparam_domain_discrete[{k!r}] must be a list of values of the same type as hparam_dict[{k!r}]"
                )
        if run_name is not None and not isinstance(run_name, str):
            raise TypeError(f"run_name must be a str or None, got {type(run_name).__name__}")
        if run_name:
            S.check_text(run_name, "run_name")
        step = S.check_step(global_step)
        sub = run_name if run_name is not None else str(time.time())
        now = time.time()
        for tag, ev, record in hparams.encode(hp, list(metrics), domains, now, step):
            self._add_event(sub, ev, "hparams" if record else None, tag, record)
        for k, v in metrics.items():
            self._enqueue((_SCALAR, sub, k, v, step, now, _LEGACY))

    def add_custom_scalars(self, layout: Mapping[str, Mapping[str, Sequence]]) -> None:
        """``{category: {chart title: ["Multiline" | "Margin", [tags]]}}``, TensorBoard's layout."""
        ev, record = custom_scalars.encode(layout, time.time())
        self._add_event("", ev, "custom_scalars", custom_scalars.TAG, record)

    def add_custom_scalars_multilinechart(
        self, tags: Sequence[str], category: str = "default", title: str = "untitled"
    ) -> None:
        self.add_custom_scalars({category: {title: ["Multiline", _tag_list(tags)]}})

    def add_custom_scalars_marginchart(
        self, tags: Sequence[str], category: str = "default", title: str = "untitled"
    ) -> None:
        self.add_custom_scalars({category: {title: ["Margin", _tag_list(tags)]}})

    # ------------------------------------------------------------------ tensors (torch's add_tensor)
    def add_tensor(self, tag: str, tensor, global_step: int | None = None, walltime: float | None = None) -> None:
        """A whole tensor as a tensor summary (plugin ``"tensor"``), as torch writes it.

        TensorBoard reads it (``EventAccumulator.Tensors``) but has no dashboard for it; the board
        and ``cellboard.load`` skip it likewise.
        """
        S.check_tag(tag)
        proto = _tensor_proto(tensor)
        step, wall = S.check_step(global_step), self._wall(walltime)
        meta = M.plugin_metadata("tensor")
        self._add_event("", M.event(wall, step, summary=M.summary(M.value(tag, tensor=proto, metadata=meta))))

    # ------------------------------------------------------------------ torch's file-writer surface
    default_bins = property(
        lambda self: _torch_default_bins(), doc="torch's ``default_bins`` (exponential buckets, 1e-12 to 1e20, x1.1)."
    )

    def _get_file_writer(self) -> _FileWriter:
        """The main run's file writer, as torch's (reopened after ``close()``, as torch).

        Loggers call ``writer._get_file_writer().add_summary(summary_proto)``: protobuf messages
        and serialized bytes are both accepted, and what they carry reaches the board too.
        """
        if self._closed:
            self._reopen()
        return self._file_writer_for("")

    @property
    def file_writer(self) -> _FileWriter | None:
        """The main run's file writer, or None after ``close()`` (as torch)."""
        return None if self._closed else self._file_writer_for("")

    @property
    def all_writers(self) -> dict[str, _FileWriter] | None:
        """``{log dir: file writer}`` of the main run and each ``add_scalars``/``add_hparams`` sub-run
        (None after ``close()``, as torch)."""
        if self._closed:
            return None
        self._drain()  # sub-runs' files are created when their first records are drained
        with self._io_lock:
            subs = list(self._files) or [""]
        writers = [self._file_writer_for(sub) for sub in subs]
        return {w.get_logdir(): w for w in writers}

    def _file_writer_for(self, sub: str) -> _FileWriter:
        cache = self.__dict__.setdefault("_file_writers", {})
        fw = cache.get(sub)
        if fw is None:
            fw = cache[sub] = _FileWriter(self, sub)
        return fw

    def _log_external_event(self, sub: str, event: bytes) -> None:
        """Write a serialized Event given by the caller; what its summary holds reaches the store."""
        ev = M.decode_event(event)
        decoded = []
        if ev.graph_def is not None:  # a GraphDef event (torch's or TensorFlow's): raises when malformed
            from .kinds import graph as graph_kind

            try:
                graphs = graph_kind.decode_graph_event(ev.graph_def, ev.step, ev.wall_time)
            except ValueError as exc:
                raise ValueError(f"event's graph_def is not a valid serialized GraphDef: {exc}") from None
            decoded.append((graph_kind.KIND, graph_kind.TAG, graphs))
        plugins = self.__dict__.setdefault("_external_plugins", {})
        described = []
        if ev.summary is not None:
            for val in M.decode_summary(ev.summary):
                if val.metadata is not None and (sub, val.tag) not in plugins:
                    md = M.decode_metadata(val.metadata)
                    plugins[(sub, val.tag)] = md.plugin_name
                    described.append((val.tag, md.display_name, md.description))
                plugin = plugins.get((sub, val.tag), "")
                kind = kinds.for_value(val.kind, plugin)
                if kind is not None:
                    tag = kind.tag_for(val.tag, plugin)  # a Keras model config or a trace joins the graphs
                    decoded.append((kind, tag, kind.decode(val, plugin, ev.step, ev.wall_time)))
        run = self._run_name(sub)
        with self._io_lock:  # the store gets the records right after the event is queued, in order
            try:
                self._add_event(sub, event)
            finally:
                self._drain()
                if ev.session_status == M.SESSION_START:
                    self.store.purge(run, ev.step)
                for tag, display_name, description in described:
                    self.store.describe(run, tag, display_name, description)
                for kind, tag, recs in decoded:
                    if not recs:
                        continue
                    if kind.columnar:
                        n = len(recs)
                        self.store.append_scalars(
                            run,
                            tag,
                            np.full(n, ev.step, np.int64),
                            np.full(n, ev.wall_time, np.float64),
                            np.asarray(recs, np.float64),
                        )
                    else:
                        self.store.append_records(run, kind.name, tag, recs)

    # ------------------------------------------------------------------ later issues (torch's signatures)
    def add_graph(self, model, input_to_model=None, verbose: bool = False, use_strict_trace: bool = True) -> None:
        """The model's graph, traced with ``torch.jit.trace`` on ``input_to_model`` (a tensor, a tuple of
        tensors or a dict), written as torch writes it: a ``GraphDef`` event and a ``RunMetadata``
        (``step1``). Traced in eval mode, without gradients; the training mode is restored. A model
        failing on these inputs raises its error naming the module that failed; nothing is logged then.
        ``cellboard.summary``'s per-module table is logged next to it (TensorBoard ignores it; the
        board's Graph tab and ``cellboard.load(...).graph(run)[i].summary`` show it).
        """
        from . import _torch_graph
        from .kinds import graph as graph_kind

        graph, run_metadata = _torch_graph.trace_graph(model, input_to_model, verbose, use_strict_trace)
        table = _torch_graph.summary_table(model, input_to_model)
        fw = self._get_file_writer()
        wall = time.time()
        fw.add_graph((graph, run_metadata), walltime=wall)
        if table is not None:  # same wall time as the graph: that is how readers pair them
            event, record = graph_kind.summary_event(table, wall)
            self._add_event(fw._sub, event, graph_kind.KIND.name, graph_kind.SUMMARY_TAG, record)

    def add_onnx_graph(self, prototxt) -> None:
        """The graph of an ONNX model file, as torch writes it (needs the optional ``onnx`` package)."""
        from . import _torch_graph

        self._get_file_writer().add_onnx_graph(_torch_graph.onnx_graph(prototxt))

    def add_embedding(
        self,
        mat,
        metadata=None,
        label_img=None,
        global_step: int | None = None,
        tag: str = "default",
        metadata_header=None,
    ) -> None:
        """Projector files, as torch writes them: ``<log_dir>/<step:05d>/<tag>/tensors.tsv`` (``mat``, N x D),
        ``metadata.tsv`` (a label per point, or rows under ``metadata_header``), ``sprite.png`` (``label_img``,
        N x C x H x W) and the entry in ``<log_dir>/projector_config.pbtxt`` (this writer's entries, rewritten).

        Every argument is checked before anything is written (torch's messages; ``EmbeddingError`` is both
        ``ValueError`` and torch's ``AssertionError``). Works on fsspec URLs; the store gets the embedding too.
        """
        from .kinds import embeddings as emb

        S.check_tag(tag)
        step = S.check_step(global_step)
        arr, imgs = emb.check(mat, metadata, label_img, metadata_header)
        header = [str(h) for h in metadata_header] if metadata_header else None
        labels = None
        if metadata is not None:
            labels = [[str(e) for e in row] for row in metadata] if header else [str(x) for x in metadata]
        sprite = None if imgs is None else emb.sprite_png(imgs)
        dim = None if imgs is None else (int(imgs.shape[3]), int(imgs.shape[2]))
        record = emb.EmbeddingRecord(
            step,
            time.time(),
            tag,
            arr,
            labels,
            header,
            sprite,
            dim,
            f"{str(step).zfill(5)}/{emb.encode_tag(tag)}/tensors.tsv",
        )
        log_dir = self._get_file_writer().get_logdir()  # reopens after close(), as torch
        entries: list[str] = self.__dict__.setdefault("_projector_entries", [])
        with self._io_lock:
            try:
                entry = emb.write(self._fs, log_dir, record, metadata, entries)
            except OSError as exc:
                raise redacted_error(exc, f"cellboard: cannot write the embedding {tag!r} to {log_dir}") from None
            entries.append(entry)
        mat32 = arr.astype(np.float32) if arr.dtype != np.float32 else arr.copy()
        self.store.append_records(
            self.run,
            "embeddings",
            tag,
            [emb.EmbeddingRecord(step, record.wall_time, tag, mat32, labels, header, sprite, dim, record.tensor_path)],
        )

    def add_video(
        self, tag: str, vid_tensor, global_step: int | None = None, fps=4, walltime: float | None = None
    ) -> None:
        """A video ``(N, T, C, H, W)`` (uint8, or float in [0, 1]; C is 1, 3 or 4) as the animated GIF torch
        writes (its N clips tiled in a grid), encoded with Pillow: no moviepy, 1-channel videos work."""
        S.check_tag(tag)
        vid = S.to_numpy(vid_tensor, "vid_tensor")
        if isinstance(fps, bool) or not isinstance(fps, (int, float, np.integer, np.floating)) or not 0 < fps < 1e4:
            raise ValueError(f"fps must be a positive number, got {fps!r}")
        step, wall = S.check_step(global_step), self._wall(walltime)
        ev, record = images.encode_video(tag, vid, float(fps), step, wall)
        self._add_event("", ev, "images", tag, record)

    def add_mesh(
        self,
        tag: str,
        vertices,
        colors=None,
        faces=None,
        config_dict=None,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """A mesh or point cloud: ``vertices``, ``colors`` (0..255) and ``faces`` (vertex indices), each
        ``(B, N, 3)``, and a three.js ``config_dict``; TensorBoard's mesh plugin summary, byte for byte
        as torch writes it (``cellboard.load(...).mesh(run, tag)`` reads it back)."""
        from .kinds import mesh as mesh_kind

        S.check_tag(tag)
        summary = mesh_kind.encode(tag, vertices, colors, faces, config_dict)
        step = None if global_step is None else S.check_step(global_step)
        self._get_file_writer().add_summary(summary, step, self._wall(walltime))

    def add_image_with_boxes(
        self,
        tag: str,
        img_tensor,
        box_tensor,
        global_step: int | None = None,
        walltime: float | None = None,
        rescale=1,
        dataformats: str = "CHW",
        labels=None,
    ) -> None:
        """An image with boxes ``(K, 4)`` (xmin, ymin, xmax, ymax in pixels) drawn into it in red, with their
        ``labels``, then resized by ``rescale``, as torch; the live record keeps the boxes and labels too."""
        S.check_tag(tag)
        hwc = S.to_hwc(S.to_numpy(img_tensor, "img_tensor"), dataformats)
        boxes = S.to_numpy(box_tensor, "box_tensor").astype(np.float64)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError(f"box_tensor must have shape (K, 4) (xmin, ymin, xmax, ymax), got {tuple(boxes.shape)}")
        if not np.all(np.isfinite(boxes)):
            raise ValueError("box_tensor must hold finite numbers")
        if (
            isinstance(rescale, bool)
            or not isinstance(rescale, (int, float, np.integer, np.floating))
            or not (np.isfinite(rescale) and int(hwc.shape[0] * rescale) >= 1 and int(hwc.shape[1] * rescale) >= 1)
        ):
            raise ValueError(f"rescale must be a positive number leaving at least one pixel, got {rescale!r}")
        if labels is not None:
            if isinstance(labels, str):
                labels = [labels]
            if len(labels) != boxes.shape[0]:  # torch drops them silently
                warnings.warn(
                    f"cellboard: {len(labels)} labels for {boxes.shape[0]} boxes; drawing no labels (as torch)",
                    UserWarning,
                    stacklevel=2,
                )
                labels = None
            else:
                labels = [str(lab) for lab in labels]
        step, wall = S.check_step(global_step), self._wall(walltime)
        ev, record = images.encode_boxes(tag, hwc, boxes, labels, float(rescale), step, wall)
        self._add_event("", ev, "images", tag, record)

    # ------------------------------------------------------------------ the live board
    @property
    def board(self):
        """This writer's live board (a ``cellboard.Board``), created on first use."""
        if self._board is None:
            from .board import Board  # the writer works without widget libraries until shown

            self._board = Board(self.store)
        return self._board

    def show(self, **board_options) -> None:
        """Display this writer's live board here (``height``, ``title``, ``smoothing``... set on it).

        Returns None: ``writer.show()`` as a cell's last line displays exactly one board.
        """
        self._drain(wait=True)
        board = self.board
        for k, v in board_options.items():
            setattr(board, k, v)
        board.show()

    def _ipython_display_(self) -> None:
        self.show()

    # ------------------------------------------------------------------ lifecycle
    def flush(self) -> None:
        """Write everything logged so far to disk (``fsync``; remote: rewrite) and to the store.

        Raises the write error if something could not be written (it stays queued)."""
        self._drain(wait=True)
        errors = self._flush_files()
        if errors:
            self._io_error = None
            raise self._error(errors[0]) from None
        self._raise_io_error()

    def close(self) -> None:
        """Write everything and close the files. If that fails the writer stays open (records
        kept, retried in the background) and the error is raised: ``close()`` again later."""
        if self._closed:
            return
        self._drain(wait=True)
        with self._io_lock:
            errors = []
            for f in self._files.values():
                try:
                    f.close()
                except Exception as exc:  # noqa: BLE001 - that file stays open with its records
                    errors.append(exc)
            if errors:
                self._check_io(errors)
                self._io_error = None
                raise self._error(errors[0]) from None
            self._files.clear()
            self._closed = True
            self._failing = False
        _ticker.discard(self)
        self.store.writer_closed(self.run)
        self._raise_io_error()  # an earlier failure nobody was told of yet (nothing is pending now)

    def __del__(self) -> None:
        # a writer dropped without close() (a function that returned or raised) still writes
        # what it queued in its last DRAIN_INTERVAL
        try:
            if not self._closed:
                self.close()
        except Exception as exc:  # noqa: BLE001 - no caller to raise to at garbage collection: say it
            if not getattr(self, "_closed", True):  # written after all when closed: an earlier, recovered error
                _ticker.discard(self)  # given up: nothing for the exit to wait for
                warnings.warn(
                    f"cellboard: {self!r} was dropped without close() and could not write everything it "
                    f"logged: {redact(str(exc))}",
                    EventFileWarning,
                    stacklevel=1,
                )

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<cellboard.SummaryWriter log_dir={redact(self.log_dir)!r}>"


def _tag_list(tags) -> list:
    """A chart's tags as a list; a lone string is an error (``list("loss")`` would chart "l", "o", ...)."""
    if isinstance(tags, (str, bytes)):
        raise TypeError(
            f"tags must be a list of tags (regexes), got a {type(tags).__name__}: {tags!r}; wrap it: [{tags!r}]"
        )
    return list(tags)


# ---------------------------------------------------------------------- torch's FileWriter surface
def _message_bytes(message, name: str) -> bytes:
    """A protobuf message (anything with ``SerializeToString``) or its serialized bytes."""
    if isinstance(message, (bytes, bytearray, memoryview)):
        return bytes(message)
    serialize = getattr(message, "SerializeToString", None)
    if callable(serialize):
        data = serialize()
        if isinstance(data, bytes):
            return data
    raise TypeError(
        f"{name} must be a protobuf message (with SerializeToString) or its serialized bytes, "
        f"got {type(message).__name__}"
    )


def _rewrite_event(data: bytes, wall: float, step: int | None) -> bytes:
    """``data`` with ``wall_time`` (and ``step`` when given) set, as torch's FileWriter.add_event."""
    try:
        fields = list(iter_fields(data))
    except ValueError as exc:
        raise ValueError(f"event is not a valid serialized Event message: {exc}") from None
    out = [f_double(1, wall)]
    if step is not None:
        out.append(f_varint(2, step))
    for f, wt, v in fields:
        if f == 1 or (f == 2 and step is not None):
            continue
        if isinstance(v, int):  # VARINT
            out.append(varint((f << 3) | wt) + varint(v))
        elif wt == LEN:
            out.append(f_bytes(f, bytes(v)))
        elif wt in (I64, I32):
            out.append(varint((f << 3) | wt) + bytes(v))
    return b"".join(out)


class _FileWriter:
    """What torch's ``SummaryWriter._get_file_writer()`` returns, for one run of a writer.

    ``add_summary``/``add_event`` take protobuf messages (``Summary``/``Event`` from torch,
    tensorboardX or TensorFlow) or their serialized bytes; the event files get exactly those
    events (with ``wall_time``/``step`` set as torch sets them) and the board what they hold.
    """

    def __init__(self, writer: SummaryWriter, sub: str) -> None:
        self._writer, self._sub = writer, sub

    def get_logdir(self) -> str:
        w = self._writer
        return w._fs.join(w.log_dir, self._sub) if self._sub else w.log_dir

    def add_event(self, event, step: int | None = None, walltime: float | None = None) -> None:
        data = _message_bytes(event, "event")
        wall = time.time() if walltime is None else SummaryWriter._wall(walltime)
        step = None if step is None else S.check_step(step, "step")
        data = _rewrite_event(data, wall, step)
        try:
            M.decode_event(data)
        except ValueError as exc:
            raise ValueError(f"event is not a valid serialized Event message: {exc}") from None
        self._writer._log_external_event(self._sub, data)

    def add_summary(self, summary, global_step: int | None = None, walltime: float | None = None) -> None:
        data = _message_bytes(summary, "summary")
        try:
            M.decode_summary(data)
        except ValueError as exc:
            raise ValueError(f"summary is not a valid serialized Summary message: {exc}") from None
        self.add_event(f_bytes(5, data), global_step, walltime)

    def add_graph(self, graph_profile, walltime=None) -> None:
        """``(GraphDef, RunMetadata)`` (protobuf messages or their bytes), as torch's: a ``graph_def`` event
        and a ``tagged_run_metadata`` event (tag ``step1``)."""
        from .kinds import graph as graph_kind

        graph, run_metadata = graph_profile
        graph = _message_bytes(graph, "graph")
        run_metadata = _message_bytes(run_metadata, "run_metadata")
        wall = time.time() if walltime is None else SummaryWriter._wall(walltime)
        record = graph_kind.record(graph, wall)  # raises on a malformed GraphDef: nothing written then
        w = self._writer
        w._add_event(self._sub, graph_kind.graph_event(graph, wall), graph_kind.KIND.name, graph_kind.TAG, record)
        w._add_event(self._sub, graph_kind.run_metadata_event(run_metadata, wall))

    def add_onnx_graph(self, graph, walltime=None) -> None:
        """A ``GraphDef`` (protobuf message or bytes) as one ``graph_def`` event, as torch's."""
        from .kinds import graph as graph_kind

        graph = _message_bytes(graph, "graph")
        wall = time.time() if walltime is None else SummaryWriter._wall(walltime)
        record = graph_kind.record(graph, wall)
        self._writer._add_event(
            self._sub, graph_kind.graph_event(graph, wall), graph_kind.KIND.name, graph_kind.TAG, record
        )

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        """Closes the writer for the main run (a later ``add_*`` starts new files, as torch's
        ``reopen``); for a sub-run, flushes (the writer closes its files together)."""
        if self._sub:
            self._writer.flush()
        else:
            self._writer.close()

    def reopen(self) -> None:
        self._writer._reopen()

    def __repr__(self) -> str:
        return f"<cellboard FileWriter {redact(self.get_logdir())!r}>"


_DEFAULT_BINS: list[float] | None = None


def _torch_default_bins() -> list[float]:
    global _DEFAULT_BINS
    if _DEFAULT_BINS is None:
        v, buckets, neg = 1e-12, [], []
        while v < 1e20:
            buckets.append(v)
            neg.append(-v)
            v *= 1.1
        _DEFAULT_BINS = [*neg[::-1], 0, *buckets]
    return list(_DEFAULT_BINS)


_TENSOR_DTYPES = {  # numpy dtype -> TensorFlow DataType
    np.dtype(np.float16): M.DT_HALF,
    np.dtype(np.float32): M.DT_FLOAT,
    np.dtype(np.float64): M.DT_DOUBLE,
    np.dtype(np.int8): M.DT_INT8,
    np.dtype(np.uint8): M.DT_UINT8,
    np.dtype(np.int16): M.DT_INT16,
    np.dtype(np.int32): M.DT_INT32,
    np.dtype(np.int64): M.DT_INT64,
    np.dtype(np.bool_): M.DT_BOOL,
    np.dtype(np.uint16): M.DT_UINT16,
    np.dtype(np.uint32): M.DT_UINT32,
    np.dtype(np.uint64): M.DT_UINT64,
    np.dtype(np.complex64): 8,
    np.dtype(np.complex128): 18,  # DT_COMPLEX64, DT_COMPLEX128
}


def _tensor_proto(tensor) -> bytes:
    """A TensorProto (``tensor_content``, little-endian) of a torch tensor, numpy array or number."""
    if S.is_torch_tensor(tensor):
        import torch

        t = tensor.detach().cpu()
        if t.dtype == torch.bfloat16:
            arr, dtype = t.contiguous().view(torch.int16).numpy().view(np.uint16), M.DT_BFLOAT16
        else:
            try:
                arr = t.numpy()
            except (TypeError, RuntimeError):
                raise ValueError(f"tensor has unsupported dtype {t.dtype}") from None
            dtype = None
    else:
        if isinstance(tensor, (str, bytes)) or tensor is None:
            raise TypeError(f"tensor must be a torch tensor, numpy array or number, got {type(tensor).__name__}")
        arr, dtype = np.asarray(tensor), None
    if dtype is None:
        dtype = _TENSOR_DTYPES.get(arr.dtype.newbyteorder("="))
        if dtype is None:
            raise ValueError(f"tensor has unsupported dtype {arr.dtype}")
    if arr.nbytes >= 1 << 31:
        raise ValueError("tensor is bigger than protocol buffer's hard limit of 2GB in size")
    content = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
    return M.tensor(dtype, tuple(int(d) for d in arr.shape), content=content)
