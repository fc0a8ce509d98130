"""Compiled loops for the hot paths numpy cannot do in one pass, when numba is installed
(``cellboard[fast]``): counting big float32 histograms, and reading event files (walking the
records, splitting scalar records by template).

- ``counts_f4``, ``counts_f8``: the "tensorflow" histogram of float32 / float64 values with
  ``binning.tf_tables``'s lookup, one pass instead of numpy's ~ten (key, lookup, compare, count,
  sums, min, max): ~3.5x faster per core. Sums are float64 here; the numpy path sums float32
  chunks of float32 values.
- ``walk_records``: follows record lengths from an offset and checks both CRCs of each record
  (SSE 4.2's ``crc32`` instruction on x86-64, slicing-by-8 tables elsewhere), stopping at the
  first record it cannot accept as intact and complete;
  ``tfevents.records.scan_records`` then applies its damage rules from there. It replaces the
  framing prediction and the byte-column CRCs of numpy (~5x faster for small records).
- ``hash_constant_bytes``, ``group_by_hash``, ``match_and_take``: ``fastscalars``' split of
  scalar records by template, straight from the file bytes in one pass in file order (numpy
  gathers a byte matrix and makes a pass per template), grouped without a sort.

Each gives exactly what its numpy path gives (tests/test_histogram_fast.py, test_fuzz_reader.py,
test_fastscalars.py and test_compiled_grouping.py run both ways). numba is optional: compiling
takes a few seconds, so the first big histogram or big read (``reader.COMPILED_READ_MIN``) starts
it on a background thread and numpy does the work meanwhile; the machine code is cached on disk
(numba's ``cache=True``), so a new process loads it in about a second. Without numba, with
``CELLBOARD_NUMBA=0``, or if compiling fails (a warning says why), numpy does everything.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .tfevents.crc import _byte_table


@dataclass(frozen=True)
class Kernels:
    # (flat f4, base i4[65536], thr f4[65536], counts i8[nb + 2]) -> (min, max, num, sum, sum_squares)
    counts_f4: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], tuple[float, float, int, float, float]]
    # the same for float64 values (thr f8[65536])
    counts_f8: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], tuple[float, float, int, float, float]]
    # (buf u1, pos, crc_tables u4[8, 256], crc_max, heads i8) -> (records accepted, offset after them)
    walk_records: Callable[[np.ndarray, int, np.ndarray, int, np.ndarray], tuple[int, int]]
    # scalar records of one length by template (fastscalars): hash, verify, extract
    hash_constant_bytes: Callable[..., np.ndarray]
    match_and_take: Callable[..., None]
    # (hashes u8[n], order i8[n], starts i8[n + 1]) -> groups (-1: too many): a stable grouping
    group_by_hash: Callable[[np.ndarray, np.ndarray, np.ndarray], int]


_kernels: Kernels | None = None
_state = "idle"  # idle -> compiling -> ready | unavailable
_state_pid = os.getpid()  # a forked child restarts from idle: the compiling thread is not there
_lock = threading.Lock()


def _ro(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def crc_tables() -> np.ndarray:
    """Slicing-by-8 tables of CRC32C: ``T[k][b]`` is byte ``b``'s CRC followed by ``k`` zero bytes."""
    t = np.empty((8, 256), np.uint32)
    t[0] = _byte_table()
    for k in range(1, 8):
        t[k] = (t[k - 1] >> np.uint32(8)) ^ t[0][t[k - 1] & np.uint32(0xFF)]
    t.flags.writeable = False
    return t


def _compile() -> Kernels:
    from . import _numba_kernels as nk  # ImportError without numba

    k = Kernels(
        nk.counts_f4, nk.counts_f8, nk.walk_records, nk.hash_constant_bytes, nk.match_and_take, nk.group_by_hash
    )
    # The first calls compile (or load the disk cache). numba compiles one version per argument
    # type, and a read-only array is another type: each is warmed up with what is passed later
    # (file bytes and the cached tables are read-only; values to histogram may be either).
    base, thr, counts = _ro(np.zeros(65536, np.int32)), _ro(np.zeros(65536, np.float32)), np.zeros(4, np.int64)
    for flat in (np.zeros(1, np.float32), _ro(np.zeros(1, np.float32))):
        k.counts_f4(flat, base, thr, counts)
    thr8 = _ro(np.zeros(65536, np.float64))
    for flat8 in (np.zeros(1, np.float64), _ro(np.zeros(1, np.float64))):
        k.counts_f8(flat8, base, thr8, counts)
    buf = _ro(np.zeros(16, np.uint8))
    k.walk_records(buf, 0, crc_tables(), 1024, np.zeros(1, np.int64))
    at, masks = np.zeros(1, np.int64), np.zeros(2, np.uint64)
    k.hash_constant_bytes(buf, at, 16, masks)
    i4, i8 = np.zeros(1, np.int32), np.zeros(1, np.int64)
    refs, b8, steps = np.zeros((1, 2), np.uint64), np.zeros((1, 8), np.uint8), np.zeros(1, np.uint64)
    k.match_and_take(buf, at, i4, i8, 16, masks, refs, i8, i8, i8, i8, i8, np.zeros(1, bool), b8, b8, steps)
    k.group_by_hash(steps, np.zeros(1, np.int64), np.zeros(2, np.int64))
    return k


def _compile_in_background() -> None:
    global _kernels, _state
    kernels: Kernels | None = None
    try:
        kernels = _compile()
    except ImportError:
        pass
    except Exception as e:  # noqa: BLE001 - a broken numba install must not stop anything: numpy does the work
        warnings.warn(
            f"cellboard: numba could not compile its kernels ({type(e).__name__}: {e}); numpy does the work",
            RuntimeWarning,
            stacklevel=1,
        )
    with _lock:
        _kernels, _state = kernels, ("ready" if kernels else "unavailable")


def get() -> Kernels | None:
    """The compiled kernels, or None while they are not (yet) there: then the first call starts
    compiling them in the background, unless numba is missing or ``CELLBOARD_NUMBA=0``."""
    global _state, _state_pid
    if _kernels is not None:
        return _kernels
    with _lock:
        if _state_pid != os.getpid():
            _state, _state_pid = "idle", os.getpid()
        if _state != "idle":
            return _kernels
        if os.environ.get("CELLBOARD_NUMBA", "1") == "0":
            _state = "unavailable"
            return None
        _state = "compiling"
    threading.Thread(target=_compile_in_background, name="cellboard-numba-compile", daemon=True).start()
    return None


def peek() -> Kernels | None:
    """The compiled kernels if they are ready; never starts compiling (small inputs use them only
    when a big one already paid for the compile)."""
    return _kernels


def wait(timeout: float = 120.0) -> Kernels | None:
    """Starts compiling if needed and waits for it (benchmarks and tests)."""
    import time

    deadline = time.monotonic() + timeout
    get()
    while _state == "compiling" and time.monotonic() < deadline:
        time.sleep(0.01)
    return _kernels
