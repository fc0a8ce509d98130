"""The float32 "tensorflow" histogram in one compiled pass, when numba is installed (``cellboard[fast]``).

numpy counts a big float32 histogram in about ten passes over the values (cell key, table
lookup, compare, bincount, sum, sum of squares, min, max); numba compiles the same table lookup
into one loop, ~3.5x faster per core (measured on 1e7 values: docs/decisions.md). It uses the
same tables (``summaries.tf_tables``), so both give the same counts (tests/test_histogram_fast.py
runs every cell-path test both ways). Sums are float64 here, where the numpy path sums float32
chunks.

numba is optional. Compiling takes ~1 s, so the first big histogram starts it on a background
thread and is counted with numpy meanwhile; later ones take the kernel. The machine code is cached
on disk (numba's ``cache=True``), so a new process loads it in a fraction of that. Without numba,
when ``CELLBOARD_NUMBA=0``, or if compiling fails (a warning says why), numpy counts everything.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable

import numpy as np

Kernel = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], tuple[float, float, int, float, float]]

_kernel: Kernel | None = None
_state = "idle"  # idle -> compiling -> ready | unavailable
_state_pid = os.getpid()  # a forked child restarts from idle: the compiling thread is not there
_lock = threading.Lock()


def _source(numba) -> Kernel:
    def counts_f4(flat, base, thr, counts):
        """Adds each value's shifted bucket to ``counts`` (``base[cell] + (v >= thr[cell])``,
        as ``summaries.tf_tables`` defines them) and returns (min, max, num, sum, sum_squares)
        of the finite values. inf and NaN cells have base 0 and a NaN threshold: slot 0, dropped."""
        bits = flat.view(np.uint32)
        mn, mx, num, total, sq = np.inf, -np.inf, 0, 0.0, 0.0
        for i in range(flat.size):
            v = flat[i]
            cell = bits[i] >> 16
            counts[base[cell] + (1 if v >= thr[cell] else 0)] += 1
            if (cell & 0x7FFF) >= 0x7F80:  # inf or NaN: in no bucket and no statistic
                continue
            d = np.float64(v)
            num += 1
            total += d
            sq += d * d
            mn = min(mn, d)
            mx = max(mx, d)
        return mn, mx, num, total, sq

    try:
        return numba.njit(nogil=True, boundscheck=False, cache=True)(counts_f4)
    except Exception:  # noqa: BLE001 - no writable cache location (read-only install and home): compile per process
        return numba.njit(nogil=True, boundscheck=False)(counts_f4)


def _compile() -> Kernel:
    import numba

    kernel = _source(numba)
    counts = np.zeros(4, np.int64)
    kernel(np.zeros(1, np.float32), np.zeros(65536, np.int32), np.zeros(65536, np.float32), counts)  # compiles
    return kernel


def _compile_in_background() -> None:
    global _kernel, _state
    try:
        kernel = _compile()
    except ImportError:
        state = "unavailable"
        kernel = None
    except Exception as e:  # noqa: BLE001 - a broken numba install must not stop histograms: numpy counts them
        warnings.warn(
            f"cellboard: numba could not compile the histogram kernel ({type(e).__name__}: {e}); "
            f"histograms are counted with numpy",
            RuntimeWarning,
            stacklevel=1,
        )
        state, kernel = "unavailable", None
    else:
        state = "ready"
    with _lock:
        _kernel, _state = kernel, state


def get() -> Kernel | None:
    """The compiled kernel, or None while it is not (yet) there: then the first call starts
    compiling it in the background, unless numba is missing or ``CELLBOARD_NUMBA=0``."""
    global _state, _state_pid
    if _kernel is not None:
        return _kernel
    with _lock:
        if _state_pid != os.getpid():
            _state, _state_pid = "idle", os.getpid()
        if _state != "idle":
            return _kernel
        if os.environ.get("CELLBOARD_NUMBA", "1") == "0":
            _state = "unavailable"
            return None
        _state = "compiling"
    threading.Thread(target=_compile_in_background, name="cellboard-numba-compile", daemon=True).start()
    return None


def peek() -> Kernel | None:
    """The compiled kernel if it is ready; never starts compiling (small histograms use it only
    when a big one already paid for the compile)."""
    return _kernel


def wait(timeout: float = 60.0) -> Kernel | None:
    """Starts compiling if needed and waits for it (benchmarks and tests)."""
    import time

    deadline = time.monotonic() + timeout
    get()
    while _state == "compiling" and time.monotonic() < deadline:
        time.sleep(0.01)
    return _kernel
