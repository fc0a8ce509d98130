"""Opening and following a log directory: ``cellboard.open(logdir)`` and its background follower.

The follower reads a local directory as soon as the operating system reports a change to it
(file-system notifications through ``watchdog``: inotify on Linux, FSEvents on macOS,
ReadDirectoryChangesW on Windows), and polls every ``reload_interval`` seconds as well, as a
safety net. Where notifications are not available (object stores, network filesystems that do
not deliver them, ``watchdog`` not installed, the OS's watch limit reached) it polls only. New
runs and new event files are picked up, each file is read from where the last read stopped, a
half-written record waits for its end. It runs in a daemon thread and stops with the board.

Nothing that goes wrong is silent, and nothing stops following: a run that cannot be read or a
listing that fails (directory vanished, permissions, network) becomes a notice in the store
(``Store.notices``, shown by the board) and one log warning; it is retried on every poll and
the notice is cleared once it reads again. Repeats are logged at debug level only.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from typing import TYPE_CHECKING, Any

from . import _environment
from .fs import filesystem, is_event_file, redact, resolve_dir
from .kinds.embeddings import CHECKPOINT_STATE, is_keras_weights
from .kinds.embeddings import CONFIG as PROJECTOR_CONFIG
from .reader import RunReader, default_workers, discover_runs, projector_dirs, read_runs
from .store import Store

if TYPE_CHECKING:
    from .kinds.embeddings import Seen

log = logging.getLogger(__name__)


class _BenignStopError(logging.Filter):
    """Drops the error watchdog logs when its inotify thread reads once more after ``stop()``
    closed the watch: a race in watchdog's own shutdown, harmless (gorakhargosh/watchdog#963
    made it return instead of raising), which Python's last-resort handler would print in the
    notebook when a board is closed."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("InotifyEmitter.queue_events() called when the thread is inactive")


_QUIET_STOP = _BenignStopError()


def _watched_events() -> list:
    """The events ``_Watch``'s handler acts on: an event file or the projector config written,
    closed after writing, created, deleted or moved; a directory created, deleted or moved."""
    from watchdog import events as e

    return [
        e.FileModifiedEvent,
        e.FileClosedEvent,
        e.FileCreatedEvent,
        e.FileDeletedEvent,
        e.FileMovedEvent,
        e.DirCreatedEvent,
        e.DirDeletedEvent,
        e.DirMovedEvent,
    ]


def _projector_file(name: str) -> bool:
    """A file the projector reads: its config (``add_embedding`` writes it last), or TensorFlow's
    ``checkpoint`` file (``tf.train.Checkpoint.save`` writes it last) or a checkpoint index, which a
    config may have named before they were saved, or the weights Keras 3's callback saves each epoch."""
    return name in (PROJECTOR_CONFIG, CHECKPOINT_STATE) or name.endswith(".index") or is_keras_weights(name)


class _Watch:
    """File-system notifications for a local directory tree: sets ``wake`` on any change to an
    event file or directory and remembers the directories touched (``take()``)."""

    def __init__(self, root: str, wake: threading.Event) -> None:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        self.wake = wake
        self._dirs: set[str] = set()
        self._structure = False  # a directory or file appeared/moved: list the whole tree
        self._lock = threading.Lock()
        watch = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                if event.event_type in ("opened", "closed_no_write"):
                    return
                paths = [os.fsdecode(event.src_path)]
                if getattr(event, "dest_path", None):
                    paths.append(os.fsdecode(event.dest_path))
                relevant = False
                with watch._lock:
                    for path in paths:
                        if event.is_directory:
                            if event.event_type != "modified":
                                watch._structure = relevant = True
                        elif is_event_file(os.path.basename(path)):
                            relevant = True
                            if event.event_type == "modified" or event.event_type == "closed":
                                watch._dirs.add(os.path.dirname(path))
                            else:
                                watch._structure = True
                        elif _projector_file(os.path.basename(path)):  # embeddings: a full poll reads them
                            watch._structure = relevant = True
                if relevant:
                    watch.wake.set()

        logging.getLogger("watchdog.observers.inotify").addFilter(_QUIET_STOP)  # (a no-op once added)
        self.observer = Observer()
        self.observer.daemon = True
        try:
            # the kernel then sends no open/close-without-write events: the follower's own reads
            # made one pair per file read, which watchdog's threads turned into events (holding
            # the GIL the readers need) only for the handler to drop them
            self.observer.schedule(Handler(), root, recursive=True, event_filter=_watched_events())
        except TypeError:  # watchdog < 4: no event filter, the handler drops them
            self.observer.schedule(Handler(), root, recursive=True)
        self.observer.start()

    def take(self) -> tuple[bool, set[str]]:
        """``(whole tree changed, directories whose event files grew)`` since the last call."""
        with self._lock:
            out = self._structure, self._dirs
            self._structure, self._dirs = False, set()
        return out

    def stop(self) -> None:
        try:
            self.observer.stop()
            self.observer.join(timeout=2)
        except Exception:
            log.debug("stopping the file-system watch failed", exc_info=True)


class LogdirError(ValueError):
    """The log directory cannot be opened; the message says why."""


def check_logdir(logdir: str | os.PathLike, *, require_events: bool = True, storage_options: dict | None = None) -> str:
    """The expanded path (or URL), or a ``LogdirError`` saying what is wrong with it."""
    if not os.fspath(logdir).strip():  # quotes are part of a name from Python; the magic's parser drops its own
        raise LogdirError("no log directory given")
    try:
        fs, path = resolve_dir(logdir, storage_options)
    except OSError as exc:
        raise LogdirError(str(exc)) from None
    if require_events and not discover_runs(path, fs) and not projector_dirs(fs, path, ()):
        raise LogdirError(f"log directory {path!r} holds no event files (events.out.tfevents.*) yet")
    return path


class LogdirFollower:
    """Reads every run under ``logdir`` into ``store``, and keeps reading as files grow."""

    def __init__(
        self,
        logdir: str,
        store: Store | None = None,
        *,
        runs: str | None = None,
        reload_interval: float = 1.0,
        storage_options: dict | None = None,
        notifications: bool = True,
        run_prefix: str = "",
    ) -> None:
        """``run_prefix``: the store files this directory's runs under ``run_prefix/`` (the top
        directory as ``run_prefix`` itself), as ``--logdir_spec NAME:DIR`` names them; ``runs``
        still matches the names within the directory."""
        if reload_interval <= 0:
            raise ValueError(f"reload_interval must be a positive number of seconds, got {reload_interval!r}")
        self.logdir = logdir
        self.fs = filesystem(logdir, storage_options)
        self.store = store if store is not None else Store()
        self.reload_interval = float(reload_interval)
        self._runs_re = re.compile(runs) if runs else None
        self.run_prefix = run_prefix
        self._readers: dict[str, RunReader] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._once = False
        self._lock = threading.Lock()
        self._failing: set[str] = set()  # sources with a notice set by this follower
        self._projector: dict[str, Seen | None] = {}  # run -> what was read of its projector config (embeddings)
        self._projector_failed: dict[str, bytes | None] = {}  # run -> the config that failed to read last poll
        self._projector_problems: dict[str, dict[str, str]] = {}  # run -> its unreadable embeddings, last poll
        self._wake = threading.Event()  # set by file-system notifications (and by stop())
        self._notifications = notifications
        self.watching = False  # True while file-system notifications drive the follower
        self._polls = 0
        self.loaded = threading.Event()  # set once the first pass over the directory is done
        self.progress = {"runs_read": 0, "runs": 0, "bytes_read": 0, "bytes": 0, "loading": False}

    def _start_watch(self) -> _Watch | None:
        """Notifications for a local directory, or None (then the follower polls only)."""
        if not self._notifications or getattr(self.fs, "remote", False):
            return None
        try:
            watch = _Watch(self.logdir, self._wake)
        except ImportError:
            log.info("cellboard: watchdog is not installed; polling %s every %gs", self.logdir, self.reload_interval)
            return None
        except Exception as exc:  # noqa: BLE001 - e.g. the inotify watch limit: polling still works
            log.info(
                "cellboard: no file-system notifications for %s (%s); polling every %gs",
                self.logdir,
                exc,
                self.reload_interval,
            )
            return None
        self.watching = True
        return watch

    def poll_dirs(self, directories: set[str]) -> int:
        """Read what was appended to the event files of these run directories (no full listing)."""
        with self._lock:
            total = 0
            for directory in sorted(directories):
                run = self.fs.relpath(directory, self.logdir)
                reader = self._readers.get(run)
                if reader is None:
                    continue
                try:
                    total += reader.poll()
                except Exception as exc:  # noqa: BLE001 - as in poll()
                    self._failed(directory, "cannot read this run", exc)
                    continue
                self._recovered(directory)
            return total

    def poll(self) -> int:
        """One pass: discover runs, read what was appended. Returns the records read.

        Never raises for an unreadable run or listing: see the module docstring.
        """
        with self._lock:
            try:
                self.fs.invalidate()  # object-store listings are cached; we want the current one
                listing = self.fs.event_files(self.logdir)  # one recursive listing per poll
                if not listing and not self.fs.exists(self.logdir):
                    raise FileNotFoundError(f"log directory {self.logdir!r} does not exist (any more)")
            except Exception as exc:  # noqa: BLE001 - runs already read stay; the listing is retried
                self._failed(self.logdir, "cannot list the log directory", exc)
                return 0
            self._recovered(self.logdir)
            jobs = []
            for directory, sizes in listing.items():
                try:
                    run = self.fs.relpath(directory, self.logdir)
                    reader = self._readers.get(run)
                    if reader is None:
                        if self._runs_re is not None and not self._runs_re.search(run):
                            continue
                        reader = self._readers[run] = RunReader(self.store, self._store_run(run), directory, self.fs)
                except Exception as exc:  # noqa: BLE001 - one broken run never hides the others
                    self._failed(directory, "cannot read this run", exc)
                    continue
                jobs.append((reader, sizes))
            new = [sum(sizes.values()) - reader.bytes_read for reader, sizes in jobs]
            busy = [job for job, b in zip(jobs, new) if b > 0]
            progress = self.progress
            progress.update(runs=len(jobs), bytes=sum(sum(s.values()) for _, s in jobs), loading=True)

            first_pass = self._polls == 0

            def tick() -> None:
                progress["bytes_read"] = sum(r.bytes_read for r, _ in jobs)
                progress["runs_read"] = sum(1 for r, s in jobs if r.bytes_read >= sum(s.values()))
                if first_pass:  # the board shows how far the first read has got
                    self.store.set_progress(progress)

            failed: set[str] = set()

            def on_error(reader: RunReader, exc: Exception) -> None:
                failed.add(reader.path)
                self._failed(reader.path, "cannot read this run", exc)

            # a first read of many runs (or much data) is parallel; the first run alone first, so
            # that it is complete on the board as soon as possible
            parallel = len(busy) > 1 and sum(b for b in new if b > 0) > (4 << 20)
            total = read_runs(
                busy,
                workers=default_workers() if parallel else 1,
                on_error=on_error,
                tick=tick,
                first_alone=self._polls == 0,
            )
            for reader, _ in jobs:
                if reader.path not in failed:
                    self._recovered(reader.path)
                self._read_embeddings(reader.run, reader.path)
            for run, directory in projector_dirs(self.fs, self.logdir, listing):
                if self._runs_re is None or self._runs_re.search(run):
                    self._read_embeddings(self._store_run(run), directory)
            tick()
            progress["loading"] = False
            if first_pass:
                self.store.set_progress(progress)
            self._polls += 1
            self.loaded.set()
            return total

    def _read_embeddings(self, run: str, directory: str) -> None:
        """The embeddings another process added to this run's ``projector_config.pbtxt`` since the last poll
        (``add_embedding`` writes the tensors first and the config last), and its checkpoint embeddings that
        did not read before. A config that does not parse may be half written, and a checkpoint embedding
        may be read before its checkpoint is saved: each is a notice only when it is the same at the next poll
        (a checkpoint embedding at once on the first pass, which may be the only one: ``follow=False``)."""
        from .kinds import embeddings

        source = self.fs.join(directory, PROJECTOR_CONFIG)
        seen = self._projector.get(run)
        try:
            seen, records, problems = embeddings.read_new(self.fs, directory, seen)
        except Exception as exc:  # noqa: BLE001 - a bad config or a missing file: retried on every poll
            try:
                now = self.fs.cat(source)
            except Exception:  # noqa: BLE001
                now = None
            if self._projector_failed.get(run) == now:
                self._failed(source, "cannot read the embeddings", exc)
            self._projector_failed[run] = now
            return
        self._projector_failed.pop(run, None)
        self._recovered(source)
        self._projector[run] = seen
        before, failing = self._projector_problems.get(run, {}), embeddings.notices(problems, run)
        for file, message in failing.items():
            if before.get(file) == message or self._polls == 0:
                self._fail(file, f"cannot read {message}")
        for file in before.keys() - failing.keys():
            self._recovered(file)
        self._projector_problems[run] = failing
        for r in records:
            self.store.append_records(run, "embeddings", r.tag, [r])

    def _failed(self, source: str, what: str, exc: BaseException) -> None:
        # a traceback only for what looks like a bug
        self._fail(source, f"{what}: {type(exc).__name__}: {exc}", exc_info=not isinstance(exc, OSError))

    def _fail(self, source: str, message: str, exc_info: bool = False) -> None:
        if source not in self._failing:
            self._failing.add(source)
            log.warning(
                "cellboard: %s (%s); retrying every %gs", message, source, self.reload_interval, exc_info=exc_info
            )
        else:
            log.debug("cellboard: still failing: %s (%s)", message, source)
        self.store.set_notice(source, message)

    def _recovered(self, source: str) -> None:
        if source in self._failing:
            self._failing.discard(source)
            log.info("cellboard: %s reads again", source)
            self.store.set_notice(source, None)

    def _store_run(self, run: str) -> str:
        """The store's name of a run directory (``run``: its path within the log directory)."""
        if not self.run_prefix:
            return run
        return self.run_prefix if run in (".", "") else f"{self.run_prefix}/{run}"

    @property
    def runs(self) -> list[str]:
        """The runs read so far, as the store names them."""
        return sorted(reader.run for reader in self._readers.values())

    def start(self, once: bool = False) -> LogdirFollower:
        """Follow in a daemon thread; with ``once``, read everything there is once, in the
        background, and stop (``--no-follow``: the board shows at once and fills in)."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._once = once
            self._thread = threading.Thread(
                target=self._read_once if once else self._loop,
                name="cellboard-read" if once else "cellboard-follow",
                daemon=True,
            )
            self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the first complete pass over the directory is done; False on timeout."""
        return self.loaded.wait(timeout)

    def _read_once(self) -> None:
        try:
            self.poll()
        except Exception as exc:  # noqa: BLE001 - reported on the board, never raised in a thread
            self._failed(self.logdir, "reading failed", exc)

    def _loop(self) -> None:
        watch = None
        try:
            self._wake.clear()
            watch = self._start_watch()
            last_full = 0.0
            full, dirs = True, set[str]()
            while not self._stop.is_set():
                try:
                    if full:
                        last_full = time.monotonic()
                        self.poll()  # reports its own failures as notices; the last line of defence
                    elif dirs:
                        self.poll_dirs(dirs)
                except Exception as exc:  # noqa: BLE001 - following must go on whatever one poll hits
                    self._failed(self.logdir, "polling failed", exc)
                if watch is None:
                    self._stop.wait(self.reload_interval)
                    continue
                # woken by a notification, or every reload_interval for a full poll (the safety net:
                # notifications can overflow, and some filesystems deliver none)
                self._wake.wait(max(0.0, last_full + self.reload_interval - time.monotonic()))
                self._wake.clear()
                structure, dirs = watch.take()
                full = structure or time.monotonic() - last_full >= self.reload_interval
        finally:
            if watch is not None:
                watch.stop()
                self.watching = False

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    @property
    def following(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._once


def open_logdir(
    logdir: str | os.PathLike,
    *,
    follow: bool = True,
    background: bool = True,
    reload_interval: float = 1.0,
    storage_options: dict | None = None,
    runs: str | None = None,
    tags: str | None = None,
    height: int | None = None,
    title: str | None = None,
):
    """A ``Board`` showing every run under ``logdir``; with ``follow``, it keeps updating.

    With ``background`` (the default), the board is returned at once and fills as runs are
    read in a background thread (a large directory shows its first charts while the rest
    loads), with ``follow=False`` too: then the thread reads everything once and stops
    (``board.follower.wait()`` waits for it).

    ``runs``/``tags`` are regular expressions selecting runs and tags. The board is displayed
    when it is a cell's last expression (or with ``display(board)``). With ``background=False``
    the caller polls ``board.follower`` itself (what ``%%cellboard`` does for Colab).
    """
    from .board import Board

    path = check_logdir(logdir, require_events=not follow, storage_options=storage_options)
    for name, pattern in (("runs", runs), ("tags", tags)):
        if pattern:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{name} must be a valid regular expression, got {pattern!r}: {exc}") from None
    follower = LogdirFollower(path, runs=runs, reload_interval=reload_interval, storage_options=storage_options)
    if not background:
        follower.poll()  # else the first poll runs in the follower's thread: the board shows at once
    options: dict[str, Any] = {"title": title if title is not None else redact(path)}  # never show credentials
    if height is not None:
        options["height"] = int(height)
    if tags:
        options["tag_filter"] = tags
    board = Board(follower.store, **options)
    board.follower = follower
    if background:
        follower.start(once=not follow)
        board.on_close(follower.stop)
        hint = _environment.background_follow_hint() if follow else None
        if hint:  # Colab renders nothing sent from the follower's thread
            print(hint)
    return board
