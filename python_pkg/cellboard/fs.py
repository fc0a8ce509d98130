"""Where log directories live: the local disk, or any fsspec URL (``s3://``, ``gs://``, ``memory://``).

Two small classes with one interface, so the reader and the writer never branch on the
storage. Local paths use ``os`` directly (fast, no dependency); URLs go through fsspec, which
is imported only when a URL is used. Credentials come from each backend's usual environment
and config files; cellboard never logs them.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping


def is_url(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def is_event_file(name: str) -> bool:
    return "tfevents" in name and not name.endswith(".profile-empty")


class LocalFS:
    sep = os.sep

    def join(self, *parts: str) -> str:
        return os.path.join(*parts)

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def isdir(self, path: str) -> bool:
        return os.path.isdir(path)

    def makedirs(self, path: str) -> None:
        os.makedirs(path, exist_ok=True)

    def event_files(self, root: str) -> dict[str, dict[str, int]]:
        """``{directory: {event file name: size}}`` for every directory under ``root``."""
        out: dict[str, dict[str, int]] = {}
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            sizes = {}
            for name in filenames:
                if is_event_file(name):
                    try:
                        sizes[name] = os.path.getsize(os.path.join(dirpath, name))
                    except OSError:  # removed between listing and stat
                        continue
            if sizes:
                out[dirpath] = sizes
        return out

    def dir_event_files(self, path: str) -> dict[str, int]:
        sizes = {}
        try:
            entries = list(os.scandir(path))
        except (FileNotFoundError, NotADirectoryError):
            return sizes
        for e in entries:
            if is_event_file(e.name):
                try:
                    if e.is_file():
                        sizes[e.name] = e.stat().st_size
                except OSError:
                    continue
        return sizes

    def invalidate(self) -> None:
        pass

    def read(self, path: str, start: int, end: int) -> bytes:
        with open(path, "rb") as f:
            f.seek(start)
            return f.read(end - start)

    def relpath(self, path: str, root: str) -> str:
        return os.path.relpath(path, root).replace(os.sep, "/")

    def basename(self, path: str) -> str:
        return os.path.basename(os.path.normpath(os.path.abspath(path)))


class FsspecFS:
    """Any fsspec filesystem; listing a log directory is one recursive ``find`` per poll."""

    sep = "/"

    def __init__(self, url: str, storage_options: Mapping | None = None) -> None:
        import fsspec

        self.protocol = url.split("://", 1)[0]
        self.fs = fsspec.filesystem(self.protocol, **dict(storage_options or {}))

    def _strip(self, path: str) -> str:
        return self.fs._strip_protocol(path)

    def _url(self, path: str) -> str:
        return f"{self.protocol}://{path}" if "://" not in path else path

    def join(self, *parts: str) -> str:
        return posixpath.join(*parts)

    def exists(self, path: str) -> bool:
        return self.fs.exists(self._strip(path))

    def isdir(self, path: str) -> bool:
        return self.fs.isdir(self._strip(path))

    def makedirs(self, path: str) -> None:
        try:
            self.fs.makedirs(self._strip(path), exist_ok=True)
        except (OSError, NotImplementedError):
            pass  # object stores have no directories to make

    def event_files(self, root: str) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        try:
            found = self.fs.find(self._strip(root), detail=True)
        except FileNotFoundError:
            return out
        for path, info in found.items():
            directory, name = posixpath.split(path)
            if is_event_file(name):
                out.setdefault(self._url(directory), {})[name] = int(info.get("size") or 0)
        return dict(sorted(out.items()))

    def dir_event_files(self, path: str) -> dict[str, int]:
        try:
            entries = self.fs.ls(self._strip(path), detail=True, refresh=True)
        except FileNotFoundError:
            return {}
        return {posixpath.basename(e["name"]): int(e.get("size") or 0) for e in entries
                if e.get("type") == "file" and is_event_file(posixpath.basename(e["name"]))}

    def read(self, path: str, start: int, end: int) -> bytes:
        return self.fs.cat_file(self._strip(path), start=start, end=end)

    def write(self, path: str, data: bytes) -> None:
        self.fs.pipe_file(self._strip(path), data)

    def relpath(self, path: str, root: str) -> str:
        rel = posixpath.relpath(self._strip(path), self._strip(root))
        return rel

    def basename(self, path: str) -> str:
        return posixpath.basename(self._strip(path).rstrip("/"))

    def invalidate(self) -> None:
        self.fs.invalidate_cache()


def filesystem(path: str, storage_options: Mapping | None = None):
    return FsspecFS(path, storage_options) if is_url(path) else LocalFS()


def resolve_dir(logdir, storage_options: Mapping | None = None):
    """``(filesystem, path)`` of an existing log directory (quotes stripped, ``~`` expanded).

    Raises ``FileNotFoundError`` or ``NotADirectoryError`` with a message saying which.
    """
    path = os.fspath(logdir).strip().strip("'\"")
    fs = filesystem(path, storage_options)
    if isinstance(fs, LocalFS):
        path = os.path.expanduser(path)
    if not fs.exists(path):
        raise FileNotFoundError(f"log directory {path!r} does not exist")
    if not fs.isdir(path):
        raise NotADirectoryError(f"{path!r} is a file, not a log directory")
    return fs, path
