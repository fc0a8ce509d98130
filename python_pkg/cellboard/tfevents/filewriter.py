"""One event file per writer and run directory, named and started as TensorBoard expects."""

from __future__ import annotations

import itertools
import os
import re
import socket
import threading
import time

from ..fs import filesystem, is_url
from . import messages
from .records import frame

_counter = itertools.count()
_EVENT_NAME = re.compile(r"events\.out\.tfevents\.(\d+)\.")


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


class _ObjectFile:
    """An event file on an object store (s3://, gs://...), which cannot append: the whole
    file is kept in memory and rewritten on each flush, as tensorboardX's S3 writer does."""

    def __init__(self, fs, path: str) -> None:
        self._fs, self._path = fs, path
        self._data = bytearray()
        self._dirty = True

    def write(self, data: bytes) -> None:
        self._data += data
        self._dirty = True

    def flush(self) -> None:
        if self._dirty:
            self._fs.write(self._path, bytes(self._data))
            self._dirty = False

    def close(self) -> None:
        self.flush()


class EventFileWriter:
    """Appends framed records to a new event file; never reopens an older file of the run.

    Readers (TensorBoard's included) assume only the lexicographically last event file of a
    run grows, so if a file from the future already exists (clock skew, another host), our
    name takes a later timestamp rather than sorting before it.
    """

    def __init__(self, log_dir: str, filename_suffix: str = "", wall_time: float | None = None,
                 storage_options: dict | None = None) -> None:
        fs = filesystem(log_dir, storage_options)
        fs.makedirs(log_dir)
        now = time.time()
        newest = _newest_timestamp(fs, log_dir)
        stamp = newest + 1 if newest >= int(now) else now
        self.path = fs.join(log_dir, event_file_name(filename_suffix, stamp))
        self._lock = threading.Lock()
        if is_url(log_dir):
            self._file = _ObjectFile(fs, self.path)
        else:
            self._file = open(self.path, "ab")  # noqa: SIM115 - lives as long as the writer
        self._closed = False
        self.write_records([messages.event(now if wall_time is None else wall_time,
                                           file_version=messages.FILE_VERSION)])
        self.flush()

    def write_records(self, events: list[bytes]) -> None:
        """Frame and append serialized Event messages (one ``write`` for the batch)."""
        data = b"".join(map(frame, events))
        with self._lock:
            if self._closed:
                raise ValueError(f"event file {self.path} is closed")
            self._file.write(data)

    def write_framed(self, data: bytes) -> None:
        with self._lock:
            if self._closed:
                raise ValueError(f"event file {self.path} is closed")
            self._file.write(data)

    def flush(self) -> None:
        with self._lock:
            if not self._closed:
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._file.flush()
                self._file.close()
                self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed
