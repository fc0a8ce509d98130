"""Following latency: a writer in another process, a ``LogdirFollower`` here; time from the bytes
reaching the disk (or from ``add_scalar``) until the point is in the follower's store.

    .venv/bin/python benchmarks/bench_follow.py [--points 60] [--interval 0.05] [--reps 3]

Writers (each in its own process, each logging ``time.time()`` as the value so the reader can
compute the latency on the same clock):

* ``raw``: framed records appended with ``os.write`` (the value is the time just *after* the
  write returned): disk to store.
* ``torch``: torch's ``SummaryWriter``, ``add_scalar`` then ``flush()`` each point (value: the time
  before ``add_scalar``; includes torch's flush).
* ``cellboard``: cellboard's ``SummaryWriter``, ``add_scalar`` only (value: the time of the call;
  includes the writer's <= 0.1 s drain to disk).

Each with file-system notifications (watchdog) and with polling only (``reload_interval`` 1 s).
Reports p50 / p95 / max per case, median over ``--reps`` interleaved repetitions.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

WRITER = r"""
import os, struct, sys, time
kind, logdir, n, interval = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
base = float(sys.argv[6])  # values are seconds after this (scalars are float32 on disk)
sys.path.insert(0, sys.argv[5])
time.sleep(0.3)  # let the reader start watching the new file's directory
if kind == "raw":
    from cellboard.tfevents.records import frame
    from cellboard.tfevents import messages as M
    os.makedirs(logdir, exist_ok=True)
    fd = os.open(os.path.join(logdir, "events.out.tfevents.1.host.1.0"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.write(fd, frame(M.event(time.time(), file_version=M.FILE_VERSION)))
    for i in range(n):
        time.sleep(interval)
        t = time.time()  # stamped just before a ~60-byte write (microseconds): disk to store
        os.write(fd, frame(M.event(t, i, summary=M.summary(M.value("lat", simple_value=t - base)))))
    os.close(fd)
else:
    if kind == "torch":
        from torch.utils.tensorboard import SummaryWriter
    else:
        from cellboard import SummaryWriter
    w = SummaryWriter(logdir)
    for i in range(n):
        time.sleep(interval)
        w.add_scalar("lat", time.time() - base, i)
        if kind == "torch":
            w.flush()
    time.sleep(0.3)
    w.close()
"""


def measure(
    kind: str, notifications: bool, points: int = 40, interval: float = 0.05, reload_interval: float = 1.0
) -> list[float]:
    """Latencies (seconds) of ``points`` scalars written by ``kind`` in another process."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python_pkg"))
    from cellboard.logdir import LogdirFollower

    root = tempfile.mkdtemp(prefix="cb_follow_")
    follower = LogdirFollower(root, reload_interval=reload_interval, notifications=notifications)
    store = follower.store
    seen = {"n": 0}
    base = float(int(time.time()))
    lat: list[float] = []
    lock = threading.Lock()

    def on_change() -> None:
        now = time.time()
        with lock:
            if "run" not in store.runs and "." not in store.runs:
                return
            for run in store.runs:
                try:
                    col = store.scalar_column(run, "lat")
                except KeyError:
                    continue
                n = col.n
                lat.extend(now - base - v for v in col.values[seen["n"] : n].tolist())
                seen["n"] = n

    store.subscribe(on_change)
    follower.start()
    pkg = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python_pkg")
    proc = subprocess.run(
        [sys.executable, "-c", WRITER, kind, os.path.join(root, "run"), str(points), str(interval), pkg, repr(base)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    deadline = time.monotonic() + 5
    while len(lat) < points and time.monotonic() < deadline:
        time.sleep(0.02)
    watching = follower.watching
    follower.stop()
    if notifications and not watching:
        raise RuntimeError("file-system notifications were not used")
    return lat


def pctl(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=60)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    kinds = ["raw", "cellboard"]
    try:
        import torch  # noqa: F401

        kinds.append("torch")
    except ImportError:
        pass
    cases = [(k, n) for n in (True, False) for k in kinds]
    res: dict = {c: [] for c in cases}
    for r in range(args.reps):
        order = cases[r % len(cases) :] + cases[: r % len(cases)]
        for kind, notif in order:
            lat = measure(kind, notif, args.points, args.interval)
            res[(kind, notif)].append((pctl(lat, 0.5), pctl(lat, 0.95), max(lat), len(lat)))
            print(
                f"  rep {r} {kind:<9} {'notify' if notif else 'poll  '}: p50 {pctl(lat, 0.5) * 1e3:6.1f} ms  "
                f"p95 {pctl(lat, 0.95) * 1e3:6.1f} ms  max {max(lat) * 1e3:6.1f} ms  ({len(lat)} points)",
                flush=True,
            )
    print(
        f"\nfollowing latency, {args.points} points every {args.interval * 1e3:.0f} ms, median [range] of {args.reps} reps"
    )
    print(f"{'writer':<10} {'mode':<8} {'p50 ms':>20} {'p95 ms':>20} {'max ms':>20}")
    for (kind, notif), v in res.items():
        cols = []
        for j in range(3):
            xs = [x[j] * 1e3 for x in v]
            cols.append(f"{statistics.median(xs):6.1f} [{min(xs):.0f}-{max(xs):.0f}]")
        print(f"{kind:<10} {'notify' if notif else 'poll':<8} {cols[0]:>20} {cols[1]:>20} {cols[2]:>20}")


if __name__ == "__main__":
    main()
