"""CRC32C where google-crc32c has no C extension (musl, free-threaded Python, Windows on ARM).

    .venv/bin/python benchmarks/bench_crc.py [--reps 3]

google-crc32c then falls back to a byte loop in Python; cellboard checks buffers of 4 KiB or more
in 256-byte rows with numpy instead (``cellboard.tfevents.crc``). Both are run here by swapping
google-crc32c's pure-Python module in, side by side with the C extension, on:

* one buffer of 1 MiB and of 16 MiB (MB/s);
* ``cellboard.load`` of 300 images (3x64x64 noise PNGs, ~12 KB records) and 20k scalars.

Prints ratios against google-crc32c's pure-Python loop (the incumbent on those platforms).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator

import google_crc32c
import google_crc32c.python as pure
import numpy as np

import cellboard
from cellboard.tfevents import crc


@contextlib.contextmanager
def mode(name: str) -> Iterator[None]:
    """``native``: the C extension; ``rows``: no C extension, cellboard's row path; ``pure``: no C
    extension and no row path (every CRC by google-crc32c's Python loop)."""
    saved = crc.NATIVE, crc._crc32c, crc.google_crc32c
    if name != "native":  # "pure" keeps NATIVE: every call goes to google-crc32c, now its Python loop
        crc.NATIVE, crc._crc32c, crc.google_crc32c = name == "pure", pure.value, pure
    try:
        yield
    finally:
        crc.NATIVE, crc._crc32c, crc.google_crc32c = saved


def timed(f: Callable[[], object], reps: int) -> float:
    f()  # warm: tables, imports
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    print(f"google-crc32c {google_crc32c.__name__} implementation here: {google_crc32c.implementation}")
    rng = np.random.default_rng(0)
    for size in (1 << 20, 16 << 20):
        data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        want = google_crc32c.value(data)
        speed = {}
        for name in ("native", "rows", "pure"):
            with mode(name):
                assert crc.crc32c(data) == want
                speed[name] = size / timed(lambda data=data: crc.crc32c(data), 1 if name == "pure" else args.reps) / 1e6
        print(
            f"crc32c of {size >> 20} MiB: C {speed['native']:.0f} MB/s | rows {speed['rows']:.0f} MB/s | "
            f"pure Python {speed['pure']:.1f} MB/s | rows / pure {speed['rows'] / speed['pure']:.0f}x"
        )
    with tempfile.TemporaryDirectory() as logdir:
        with cellboard.SummaryWriter(logdir) as w:
            for step in range(300):
                w.add_image("noise", rng.integers(0, 256, (3, 64, 64), dtype=np.uint8), step)
            for step in range(20_000):
                w.add_scalar("loss", float(step), step)
        took = {}
        for name in ("native", "rows", "pure"):
            with mode(name):
                took[name] = timed(lambda: cellboard.load(logdir), 1 if name == "pure" else args.reps)
        print(
            f"cellboard.load, 300 images + 20k scalars: C {took['native']:.3f} s | rows {took['rows']:.3f} s | "
            f"pure Python {took['pure']:.3f} s | pure / rows {took['pure'] / took['rows']:.0f}x"
        )


if __name__ == "__main__":
    main()
