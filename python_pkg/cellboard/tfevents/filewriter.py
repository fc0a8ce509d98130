"""One event file per writer and run directory, named and started as TensorBoard expects.

Local files are unbuffered: each ``write_records`` is one ``os.write`` of whole framed
records, so a process killed with SIGKILL loses only what was never handed to the OS; the
OS is asked to reach the disk (``fsync``) on ``flush()``. Object stores cannot append: the
file is kept in memory and rewritten on each ``flush()``.

A failing write (ENOSPC, EIO, a store error) loses nothing: the records that did not reach
the OS stay queued here, in order, up to ``PENDING_LIMIT`` bytes (past it the oldest are
dropped and counted), and are written first by the next attempt.
"""

from __future__ import annotations

import errno
import itertools
import os
import re
import socket
import threading
import time
import warnings
from collections import deque

from ..fs import FsspecFS, bounded, filesystem, local_path, redact
from . import messages
from .records import frame

_counter = itertools.count()
_EVENT_NAME = re.compile(r"events\.out\.tfevents\.(\d+)\.")

PENDING_LIMIT = 64 << 20  # bytes per event file kept in memory while its writes fail
RETRY_INTERVAL = 0.5  # seconds between automatic retries of a failing file (flush/close retry at once)
# read-write: a file whose directory was removed is read back to recreate it (_check_deleted)
_O_FLAGS = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def event_file_name(suffix: str = "", now: float | None = None) -> str:
    """``events.out.tfevents.<10-digit time>.<host>.<pid>.<counter><suffix>``."""
    t = int(time.time() if now is None else now)
    return f"events.out.tfevents.{t:010d}.{socket.gethostname()}.{os.getpid()}.{next(_counter)}{suffix}"


def _newest_timestamp(fs, log_dir: str) -> int:
    newest = -1
    for name in fs.dir_event_files(log_dir):
        m = _EVENT_NAME.match(name)
        if m:
            newest = max(newest, int(m.group(1)))
    return newest


class Framed(bytes):
    """Records framed already (a batch of scalars encoded column-wise): written as they are."""

    records: int  # how many, for the dropped-records count

    def __new__(cls, data: bytes, records: int) -> Framed:
        self = super().__new__(cls, data)
        self.records = records
        return self


class EventFileWarning(RuntimeWarning):
    """Event files could not be written as asked (a full disk, a vanished directory)."""


class _Partial(Exception):
    """A write that stopped after ``written`` bytes with ``error``."""

    def __init__(self, written: int, error: BaseException) -> None:
        super().__init__(written, error)
        self.written, self.error = written, error


class _LocalFile:
    """An unbuffered append-only file descriptor."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = os.open(path, _O_FLAGS, 0o666)

    def write(self, data: bytes) -> None:
        view, done = memoryview(data), 0
        while done < len(data):  # a regular file may take fewer bytes (a full disk, a signal)
            try:
                done += os.write(self.fd, view[done:])
            except BaseException as exc:  # noqa: BLE001 - the caller requeues what was not written
                raise _Partial(done, exc) from None

    def deleted(self) -> bool:
        """The file was unlinked (its run directory removed): writes would go nowhere visible."""
        try:
            return os.fstat(self.fd).st_nlink == 0
        except OSError:
            return False

    def sync(self) -> None:
        os.fsync(self.fd)

    def close(self) -> None:
        os.close(self.fd)


class _ObjectFile:
    """An event file on an object store (s3://, gs://...), which cannot append: the whole
    file is kept in memory and rewritten on each flush, as tensorboardX's S3 writer does."""

    def __init__(self, fs: FsspecFS, path: str) -> None:
        self._fs, self.path = fs, path
        self._data = bytearray()
        self._uploaded = -1  # bytes of _data the store holds

    def write(self, data: bytes) -> None:
        self._data += data

    def snapshot(self) -> bytes | None:
        """What to upload, or None when the store is up to date (taken under the file lock)."""
        return bytes(self._data) if len(self._data) != self._uploaded else None

    def upload(self, data: bytes) -> None:
        if len(data) > self._uploaded:  # a slower, older snapshot never overwrites a newer one
            self._fs.write(self.path, data)
            self._uploaded = len(data)


class EventFileWriter:
    """Appends framed records to a new event file; never reopens an older file of the run.

    Readers (TensorBoard's included) assume only the lexicographically last event file of a
    run grows, so if a file from the future already exists (clock skew, another host), our
    name takes a later timestamp rather than sorting before it.

    With ``strict`` (the default) a file that cannot be created raises here; otherwise the
    error is kept and creation is retried with the next write (a sub-run created while the
    disk is full).
    """

    def __init__(
        self,
        log_dir: str,
        filename_suffix: str = "",
        wall_time: float | None = None,
        storage_options: dict | None = None,
        *,
        strict: bool = True,
    ) -> None:
        self._fs = filesystem(log_dir, storage_options)
        self.remote = isinstance(self._fs, FsspecFS)
        self.log_dir = log_dir if self.remote else local_path(log_dir)
        self._suffix = filename_suffix
        self._wall_time = time.time() if wall_time is None else wall_time
        self.path: str | None = None
        self._file: _LocalFile | _ObjectFile | None = None
        self._lock = threading.Lock()  # state and writes
        self._sync_lock = threading.Lock()  # fsync/upload (slow) vs close, without blocking writes
        self._pending: deque[bytes] = deque()  # framed records not yet handed to the OS, in order
        self._pending_bytes = 0
        self._torn = b""  # the rest of a record whose start is on disk: written first, never dropped
        self._dropped = 0
        self._next_retry = 0.0
        self._closed = False
        self.error: BaseException | None = None  # the last write failure, while records are pending
        try:
            self._open()
        except Exception as exc:  # noqa: BLE001 - raised (strict) or kept and retried
            if strict:  # remote errors come from bounded(), already redacted and saying where
                raise (exc if self.remote else redacted(exc, f"cannot create an event file in {log_dir}")) from None
            self._failed(exc)

    # ---------------------------------------------------------------- opening
    def _open(self) -> None:
        if self.remote:
            # an unreachable store is retried for long by its backend: a clear error instead
            bounded(self._open_remote, f"cannot create an event file in {redact(self.log_dir)}")
        else:
            self._open_local()

    def _new_path(self) -> str:
        now = time.time()
        newest = _newest_timestamp(self._fs, self.log_dir)
        stamp = newest + 1 if newest >= int(now) else now
        return self._fs.join(self.log_dir, event_file_name(self._suffix, stamp))

    def _header(self) -> bytes:
        return frame(messages.event(self._wall_time, file_version=messages.FILE_VERSION))

    def _open_local(self) -> None:
        self._fs.makedirs(self.log_dir)
        path = self._new_path()
        f = _LocalFile(path)
        self.path, self._file = path, f
        try:
            f.write(self._header())
        except _Partial as p:  # created, header cut short: finish it before anything else
            self._torn = self._header()[p.written :]
            raise p.error from None

    def _open_remote(self) -> None:
        self._fs.makedirs(self.log_dir)
        path = self._new_path()
        f = _ObjectFile(self._fs, path)
        f.write(self._header())
        f.upload(f.snapshot() or b"")  # the file is visible (and the store reachable) from the start
        self.path, self._file = path, f

    # ---------------------------------------------------------------- writing
    def write_records(self, events: list[bytes]) -> None:
        """Frame and append serialized Event messages, and ``Framed`` batches as they are (one
        ``write`` for the batch).

        Raises the write error; the records that did not reach the OS stay queued, in order.
        """
        frames = [e if type(e) is Framed else frame(e) for e in events]
        with self._lock:
            if self._closed:
                raise ValueError(f"event file {self.path} is closed")
            if self._pending or self._torn or self._file is None:
                self._queue(frames)
                if time.monotonic() >= self._next_retry:
                    self._retry()
                elif self.error is not None:
                    raise self.error
                return
            self._check_deleted()
            data = frames[0] if len(frames) == 1 else b"".join(frames)
            try:
                self._file.write(data)
            except _Partial as p:
                self._requeue(frames, p.written)
                if isinstance(p.error, Exception):  # not a KeyboardInterrupt: the disk failed
                    self._failed(p.error)
                raise p.error from None

    def _queue(self, frames: list[bytes]) -> None:
        self._pending.extend(frames)
        self._pending_bytes += sum(map(len, frames))
        while self._pending_bytes > PENDING_LIMIT and self._pending:  # bounded: drop the oldest
            dropped = self._pending.popleft()
            self._pending_bytes -= len(dropped)
            self._dropped += dropped.records if isinstance(dropped, Framed) else 1

    def _requeue(self, frames: list[bytes], written: int) -> None:
        """After ``written`` bytes of ``torn + frames`` reached the file, keep the rest."""
        if written < len(self._torn):
            self._torn = self._torn[written:]
            written = 0
        else:
            written -= len(self._torn)
            self._torn = b""
        rest = deque(frames)
        while rest and written >= len(rest[0]):
            written -= len(rest.popleft())
        if written:
            self._torn = rest.popleft()[written:]
        self._pending = rest
        self._pending_bytes = sum(map(len, rest))
        self._queue([])  # apply the cap

    def _failed(self, exc: BaseException) -> None:
        self.error = exc
        self._next_retry = time.monotonic() + RETRY_INTERVAL

    def _retry(self) -> None:
        """Write what is pending, in order (under the lock). Raises the error if it fails again."""
        self._next_retry = time.monotonic() + RETRY_INTERVAL
        if self._file is None:
            try:
                self._open()
            except Exception as exc:
                self._failed(exc)
                raise
        if self.remote:
            assert isinstance(self._file, _ObjectFile)
            for data in (self._torn, *self._pending):
                self._file.write(data)
            self._torn, self._pending, self._pending_bytes = b"", deque(), 0
            self.error = None
            return
        if not (self._pending or self._torn):
            self.error = None
            return
        frames = list(self._pending)
        self._check_deleted()
        f = self._file
        assert f is not None  # opened above (or raised); _check_deleted only replaces it
        try:
            f.write(self._torn + b"".join(frames))
        except _Partial as p:
            self._requeue(frames, p.written)
            if isinstance(p.error, Exception):
                self._failed(p.error)
            raise p.error from None
        self._torn, self._pending, self._pending_bytes = b"", deque(), 0
        self.error = None

    def _check_deleted(self) -> None:
        """Recreate a file whose directory was removed, with everything written to it so far.

        An unlinked file still accepts writes, so without this every later record would be lost
        without a word; torch's writer loses them.
        """
        f = self._file
        if not isinstance(f, _LocalFile) or not f.deleted():
            return
        with self._sync_lock:
            size = os.fstat(f.fd).st_size
            content = os.pread(f.fd, size, 0) if size else b""
            self._fs.makedirs(self.log_dir)
            new = _LocalFile(f.path)
            try:
                new.write(content)
            except _Partial as p:
                os.close(new.fd)
                raise p.error from None
            f.close()
            self._file = new
        warnings.warn(
            f"cellboard: event file {f.path} was deleted while being written (its directory "
            f"removed?); recreated it with the {size} bytes written so far",
            EventFileWarning,
            stacklevel=4,
        )

    def retry(self) -> None:
        """Write pending records now if a retry is due (the background ticker calls this)."""
        with self._lock:
            if (
                not self._closed
                and (self._pending or self._torn or self._file is None)
                and time.monotonic() >= self._next_retry
            ):
                self._retry()

    def take_dropped(self) -> int:
        """Records dropped at the memory cap since the last call."""
        with self._lock:
            n, self._dropped = self._dropped, 0
            return n

    @property
    def pending(self) -> int:
        """Bytes that have not reached the OS (or, remote, that are not in memory yet)."""
        return self._pending_bytes + len(self._torn) + (1 if self._file is None else 0)

    # ---------------------------------------------------------------- flush, close
    def flush(self, sync: bool = True) -> None:
        """Write pending records, then ``fsync`` (local) or rewrite the object (remote).

        The slow part runs outside the write lock: the logging thread keeps writing meanwhile.
        """
        with self._lock:
            if self._closed:
                return
            if self._pending or self._torn or self._file is None:
                self._retry()
            f = self._file
            snapshot = f.snapshot() if isinstance(f, _ObjectFile) else None
        with self._sync_lock:
            if isinstance(f, _ObjectFile):
                if snapshot is not None:
                    f.upload(snapshot)
            elif sync and f is not None and f is self._file and not self._closed:
                try:
                    f.sync()
                except OSError as exc:
                    if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EROFS):  # no fsync here
                        raise

    def close(self) -> None:
        """Flush and close. If pending records still cannot be written, raise and stay open."""
        self.flush()
        with self._lock, self._sync_lock:
            if self._closed:
                return
            if self._pending or self._torn:
                raise self.error or OSError(f"event file {self.path}: records are still pending")
            if isinstance(self._file, _LocalFile):
                self._file.close()
            self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed


def redacted(exc: BaseException, context: str) -> Exception:
    from ..fs import redacted_error

    return redacted_error(exc, context)
