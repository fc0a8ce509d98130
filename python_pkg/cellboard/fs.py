"""Where log directories live: the local disk, or any fsspec URL (``s3://``, ``gs://``, ``memory://``).

Two small classes with one interface, so the reader and the writer never branch on the
storage. Local paths (and ``file://`` URLs) use ``os`` directly (fast, no dependency); other
URLs, chained ones (``simplecache::s3://...``) included, go through ``fsspec.core.url_to_fs``,
which is imported only when a URL is used. Credentials come from each backend's usual
environment and config files; cellboard never prints them: credentials written into a URL
(``ftp://user:secret@host/...``) are redacted from every message (``redact``).
"""

from __future__ import annotations

import mmap
import os
import posixpath
import re
import threading
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import unquote

import numpy as np

T = TypeVar("T")

# Seconds a probe of a remote directory (exists/isdir) may take before we give up with a clear
# error; backends retry unreachable endpoints with backoff for much longer (s3fs: ~12 s).
REMOTE_TIMEOUT = float(os.environ.get("CELLBOARD_REMOTE_TIMEOUT", "5"))

# Object stores take credentials from their environment/config, never from the URL: for them
# ``KEY:SECRET@`` would be sent to the server as part of the bucket name, so it is refused.
_NO_USERINFO = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "oss", "r2", "hf"}

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+)(::|://)")  # 2+ letters: not a Windows drive
# scheme://user:password@ (the password may hold '/', as AWS secrets do)
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)([^\s@'\"]*?:[^\s'\"]*)@")
_secrets: set[str] = set()  # credentials seen in URLs; removed from every message we produce
_secrets_lock = threading.Lock()


def is_url(path: str) -> bool:
    """An fsspec URL (``s3://``, ``memory://``, ``simplecache::s3://``), not a local path or ``file://``."""
    m = _URL.match(path)
    return m is not None and m.group(1).lower() not in ("file", "local")


def local_path(path: str) -> str:
    """``file:///tmp/x`` (or ``file://localhost/tmp/x``, ``file:/tmp/x``) as ``/tmp/x``; others unchanged."""
    low = path[:17].lower()
    if low.startswith("file://localhost/"):
        return unquote(path[16:])
    if low.startswith(("file://", "local://")):
        return unquote(path.split("://", 1)[1])
    if low.startswith("file:/"):
        return unquote(path[5:])
    return path


def _remember_secrets(url: str) -> None:
    for m in _USERINFO.finditer(url):
        userinfo = m.group(2)
        user, _, password = userinfo.partition(":")
        # the whole of it, its parts, and the '/'-separated pieces a backend may show on its own
        pieces = {userinfo, user, password, *password.split("/"), *userinfo.split("/")}
        with _secrets_lock:
            _secrets.update(p for p in pieces if len(p) >= 4)


def redact(text: str) -> str:
    """``text`` without credentials: ``scheme://user:password@`` becomes ``scheme://***@``, and
    any credential seen in a URL before is replaced by ``***`` wherever it appears."""
    text = _USERINFO.sub(r"\1***@", text)
    if _secrets:
        with _secrets_lock:
            secrets = sorted(_secrets, key=len, reverse=True)  # longest first: no partial leftovers
        for s in secrets:
            if s in text:
                text = text.replace(s, "***")
    return text


def redacted_error(exc: BaseException, context: str = "", suffix: str = "") -> Exception:
    """An exception to raise instead of ``exc``: the same type where possible (``OSError`` for
    backend-specific ones), its message redacted, between ``context`` and ``suffix``; ``errno``
    kept. Raise it ``from None``: a chained backend traceback would print the credentials again."""
    detail = str(exc) if isinstance(exc, (OSError, ValueError, TypeError)) else f"{type(exc).__name__}: {exc}"
    message = redact(f"{context}: {detail}{suffix}" if context else detail + suffix)
    cls = type(exc) if isinstance(exc, (OSError, ValueError, TypeError)) else OSError
    try:
        new = cls(message)
    except Exception:  # noqa: BLE001 - a subclass with another constructor
        new = OSError(message) if isinstance(exc, OSError) or cls is OSError else ValueError(message)
    if isinstance(exc, OSError) and isinstance(new, OSError):
        new.errno = exc.errno  # callers test e.errno == ENOSPC
    return new


def check_url(url: str) -> None:
    """Refuse credentials in an object-store URL (they would travel as part of the bucket name)."""
    _remember_secrets(url)
    m = _URL.match(url)
    if m is None:
        return
    innermost = url.rsplit("::", 1)[-1]
    scheme = innermost.split("://", 1)[0].lower()
    if scheme in _NO_USERINFO and _USERINFO.match(innermost):
        raise ValueError(
            f"credentials in a {scheme}:// URL are not supported ({redact(url)}): set them in the "
            f"environment (e.g. AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE) or pass "
            f"storage_options"
        )


def bounded(fn: Callable[[], T], what: str, timeout: float | None = None) -> T:
    """``fn()`` in a daemon thread, or ``TimeoutError`` after ``timeout`` seconds.

    For remote probes only: an unreachable endpoint is retried by the backend for a long time;
    the caller gets a clear error instead (the abandoned call ends in the background).
    """
    timeout = REMOTE_TIMEOUT if timeout is None else timeout
    out: list = []

    def run() -> None:
        try:
            out.append((True, fn()))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            out.append((False, exc))

    t = threading.Thread(target=run, name="cellboard-remote-probe", daemon=True)
    t.start()
    t.join(timeout)
    if not out:
        raise TimeoutError(
            redact(
                f"{what}: no answer within {timeout:g} s (is the endpoint reachable? "
                f"see AWS_ENDPOINT_URL / storage_options)"
            )
        )
    ok, value = out[0]
    if ok:
        return value
    raise redacted_error(value, what) from None


def is_event_file(name: str) -> bool:
    return "tfevents" in name and not name.endswith(".profile-empty")


_ANON_MIN = 1 << 20  # ``LocalFS.read`` arrays from this size are anonymous mappings


def _anonymous(size: int) -> mmap.mmap:
    """Fresh zeroed memory of its own; on POSIX private: ``mmap``'s default, shared, faulted in ~40%
    slower for 12 MB here. (``MAP_POPULATE`` faulted one chunk in faster alone but made two
    threads reading runs wait on each other: the histogram directory loaded ~20% slower.)"""
    if not hasattr(mmap, "MAP_PRIVATE"):  # Windows: anonymous memory is the default
        return mmap.mmap(-1, size)
    return mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)


class LocalFS:
    sep = os.sep
    remote = False

    def join(self, *parts: str) -> str:
        return os.path.join(*parts)

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def isdir(self, path: str) -> bool:
        return os.path.isdir(path)

    def makedirs(self, path: str) -> None:
        os.makedirs(path, exist_ok=True)

    def event_files(self, root: str) -> dict[str, dict[str, int]]:
        """``{directory: {event file name: size}}`` for every directory under ``root``.

        Symlinked directories are followed, as TensorBoard does (a log dir assembled from links
        to runs is common); each real directory is listed once, so a link back up the tree ends.
        """
        out: dict[str, dict[str, int]] = {}
        seen: set[tuple[int, int]] = set()
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            try:
                st = os.stat(dirpath)
            except OSError:  # removed while walking
                dirnames.clear()
                continue
            if (st.st_dev, st.st_ino) in seen:
                dirnames.clear()
                continue
            seen.add((st.st_dev, st.st_ino))
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
        sizes: dict[str, int] = {}
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

    def listdir(self, path: str) -> list[str]:
        """The names of the files in ``path`` (not its directories), sorted; none when it is missing."""
        try:
            return sorted(e.name for e in os.scandir(path) if e.is_file())
        except (FileNotFoundError, NotADirectoryError):
            return []

    def read(self, path: str, start: int, end: int, array: bool = False) -> bytes | np.ndarray:
        """Bytes ``[start, end)`` (fewer at the end of the file).

        With ``array``: a writable uint8 array in memory of its own, for records the decoders keep
        as views of it (``fastrecords``). Big ones are anonymous mappings with 4 KiB pages, not
        numpy's buffers: numpy asks for huge pages from 4 MiB, and where the kernel compacts memory
        to find them (``defrag=madvise``, its default) reading 100 MB took 24-220 ms, against a
        steady 45-54 ms without. Without ``array``, bytes: a chunk that is decoded and dropped
        (scalars) reuses the memory of the chunk before it.
        """
        with open(path, "rb") as f:
            f.seek(start)
            if not array:
                return f.read(end - start)
            size = max(0, end - start)
            buf = np.frombuffer(_anonymous(size), np.uint8) if size >= _ANON_MIN else np.empty(size, np.uint8)
            n = f.readinto(buf.data)
        return buf[:n]

    def cat(self, path: str) -> bytes:
        with open(path, "rb") as f:
            return f.read()

    def write(self, path: str, data: bytes) -> None:
        with open(path, "wb") as f:
            f.write(data)

    def relpath(self, path: str, root: str) -> str:
        return os.path.relpath(path, root).replace(os.sep, "/")

    def basename(self, path: str) -> str:
        return os.path.basename(os.path.normpath(os.path.abspath(path)))


class FsspecFS:
    """Any fsspec filesystem; listing a log directory is one recursive ``find`` per poll.

    Paths handed out (``event_files``) are URLs again: ``prefix`` (everything before the
    path, e.g. ``simplecache::s3://``) + the backend's path, so ``filesystem()`` reopens them.
    """

    sep = "/"
    remote = True

    def __init__(self, url: str, storage_options: Mapping | None = None) -> None:
        from fsspec.core import url_to_fs

        check_url(url)
        try:
            self.fs, stripped = url_to_fs(url, **dict(storage_options or {}))
        except ImportError as exc:  # the backend (s3fs, gcsfs...) is not installed
            raise ImportError(redact(f"cannot open {url}: {exc}")) from None
        except Exception as exc:  # noqa: BLE001 - an unknown protocol, a bad option...
            raise redacted_error(exc, f"cannot open {url}") from None
        # http(s) keeps whole URLs as its paths; other backends drop the scheme
        self.prefix = "" if "://" in stripped else url.rsplit("://", 1)[0] + "://"
        self.protocol = self.prefix.rsplit("::", 1)[-1][:-3] if self.prefix else url.split("://", 1)[0]

    def _strip(self, path: str) -> str:
        if self.prefix and path.startswith(self.prefix):
            path = path[len(self.prefix) :]
        return self.fs._strip_protocol(path)

    def _url(self, path: str) -> str:
        return path if "://" in path or not self.prefix else self.prefix + path

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
        return {
            posixpath.basename(e["name"]): int(e.get("size") or 0)
            for e in entries
            if e.get("type") == "file" and is_event_file(posixpath.basename(e["name"]))
        }

    def listdir(self, path: str) -> list[str]:
        try:
            entries = self.fs.ls(self._strip(path), detail=True, refresh=True)
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(posixpath.basename(e["name"]) for e in entries if e.get("type") == "file")

    def read(self, path: str, start: int, end: int, array: bool = False) -> bytes:
        return self.fs.cat_file(self._strip(path), start=start, end=end)  # bytes either way

    def write(self, path: str, data: bytes) -> None:
        self.fs.pipe_file(self._strip(path), data)

    def cat(self, path: str) -> bytes:
        return self.fs.cat_file(self._strip(path))

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
    """``(filesystem, path)`` of an existing log directory (``~`` expanded, ``file://`` resolved).

    Quotes are part of the name here: the magic's parser removes the ones that quote it.
    Raises ``FileNotFoundError`` or ``NotADirectoryError`` with a message saying which, and
    for a URL a redacted ``OSError``/``TimeoutError`` when the store cannot be reached.
    """
    path = os.fspath(logdir)
    if not is_url(path):
        path = os.path.expanduser(local_path(path))
        if not os.path.exists(path):
            raise FileNotFoundError(f"log directory {path!r} does not exist")
        if not os.path.isdir(path):
            raise NotADirectoryError(f"{path!r} is a file, not a log directory")
        return LocalFS(), path
    fs = FsspecFS(path, storage_options)
    shown = redact(path)
    exists, isdir = bounded(lambda: (fs.exists(path), fs.isdir(path)), f"cannot open {shown}")
    if not exists:
        raise FileNotFoundError(f"log directory {shown!r} does not exist")
    if not isdir:
        raise NotADirectoryError(f"{shown!r} is a file, not a log directory")
    return fs, path
