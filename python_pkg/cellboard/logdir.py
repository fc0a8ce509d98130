"""Opening and following a log directory: ``cellboard.open(logdir)`` and its background follower.

The follower polls the directory every ``reload_interval`` seconds: new runs and new event
files are picked up, each file is read from where the last poll stopped, a half-written
record waits for the next poll. It runs in a daemon thread and stops with the board.

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

from .fs import filesystem, redact, resolve_dir
from .reader import RunReader, discover_runs
from .store import Store

log = logging.getLogger(__name__)


class LogdirError(ValueError):
    """The log directory cannot be opened; the message says why."""


def check_logdir(logdir: str | os.PathLike, *, require_events: bool = True,
                 storage_options: dict | None = None) -> str:
    """The expanded path (or URL), or a ``LogdirError`` saying what is wrong with it."""
    if not os.fspath(logdir).strip():  # quotes are part of a name from Python; the magic's parser drops its own
        raise LogdirError("no log directory given")
    try:
        fs, path = resolve_dir(logdir, storage_options)
    except OSError as exc:
        raise LogdirError(str(exc)) from None
    if require_events and not discover_runs(path, fs):
        raise LogdirError(f"log directory {path!r} holds no event files (events.out.tfevents.*) yet")
    return path


class LogdirFollower:
    """Reads every run under ``logdir`` into ``store``, and keeps reading as files grow."""

    def __init__(self, logdir: str, store: Store | None = None, *, runs: str | None = None,
                 reload_interval: float = 1.0, storage_options: dict | None = None) -> None:
        if reload_interval <= 0:
            raise ValueError(f"reload_interval must be a positive number of seconds, got {reload_interval!r}")
        self.logdir = logdir
        self.fs = filesystem(logdir, storage_options)
        self.store = store if store is not None else Store()
        self.reload_interval = float(reload_interval)
        self._runs_re = re.compile(runs) if runs else None
        self._readers: dict[str, RunReader] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._failing: set[str] = set()  # sources with a notice set by this follower

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
            total = 0
            for directory, sizes in listing.items():
                try:
                    run = self.fs.relpath(directory, self.logdir)
                    reader = self._readers.get(run)
                    if reader is None:
                        if self._runs_re is not None and not self._runs_re.search(run):
                            continue
                        reader = self._readers[run] = RunReader(self.store, run, directory, self.fs)
                    total += reader.poll(sizes)
                except Exception as exc:  # noqa: BLE001 - one broken run never hides the others
                    self._failed(directory, "cannot read this run", exc)
                    continue
                self._recovered(directory)
            return total

    def _failed(self, source: str, what: str, exc: BaseException) -> None:
        message = f"{what}: {type(exc).__name__}: {exc}"
        if source not in self._failing:
            self._failing.add(source)
            log.warning("cellboard: %s (%s); retrying every %gs", message, source, self.reload_interval,
                        exc_info=not isinstance(exc, OSError))  # a traceback only for what looks like a bug
        else:
            log.debug("cellboard: still failing: %s (%s)", message, source)
        self.store.set_notice(source, message)

    def _recovered(self, source: str) -> None:
        if source in self._failing:
            self._failing.discard(source)
            log.info("cellboard: %s reads again", source)
            self.store.set_notice(source, None)

    @property
    def runs(self) -> list[str]:
        return sorted(self._readers)

    def start(self) -> LogdirFollower:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="cellboard-follow", daemon=True)
            self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()  # reports its own failures as notices; this is the last line of defence
            except Exception as exc:  # noqa: BLE001 - following must go on whatever one poll hits
                self._failed(self.logdir, "polling failed", exc)
            self._stop.wait(self.reload_interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    @property
    def following(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


def open_logdir(logdir: str | os.PathLike, *, follow: bool = True, background: bool = True,
                reload_interval: float = 1.0, storage_options: dict | None = None,
                runs: str | None = None, tags: str | None = None, height: int | None = None,
                title: str | None = None):
    """A ``Board`` showing every run under ``logdir``; with ``follow``, it keeps updating.

    When following in the background, the board is returned at once and fills as runs are
    read (a large directory shows its first charts while the rest loads).

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
    if not (follow and background):
        follower.poll()  # else the follower's first poll runs in its thread: the board shows at once
    options = {"title": title if title is not None else redact(path)}  # never show credentials
    if height is not None:
        options["height"] = int(height)
    if tags:
        options["tag_filter"] = tags
    board = Board(follower.store, **options)
    board.follower = follower
    if follow and background:
        follower.start()
        board.on_close(follower.stop)
    return board
