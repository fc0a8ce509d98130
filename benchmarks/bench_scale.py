"""A big log directory: 100 runs x 20 tags x 10k steps (20M scalars), cellboard vs EventMultiplexer.

    .venv/bin/python benchmarks/bench_scale.py [--quick] [--dir DIR]

Each loader runs in a fresh subprocess (clean peak memory, ``ru_maxrss`` minus the RSS after
imports). Measured:
- ``cellboard.open(dir)``: time until the first run is complete on the board's store (what the
  user sees first), time until everything is loaded, the main thread's worst stall meanwhile
  (the follower reads in a background thread), and what the board would send the browser;
- ``cellboard.load(dir)``: time and memory;
- TensorBoard's ``EventMultiplexer`` with its default size guidance (a reservoir of 10,000
  scalars per tag, so with 10k steps it keeps every point) on the whole directory, and with
  ``scalars=0`` (keep all) on a 10-run subset, extrapolated x10 as a cross-check.
Ratios, not absolute times: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from multiprocessing import Pool

WORKER = r"""
import json, resource, sys, time
def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
mode, path, runs, tags, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
out = {}
if mode == "open":
    import numpy as np
    import cellboard
    from cellboard.board import Board
    base = rss()
    sent = []
    orig = Board._send_raw
    def capture(self, content, buffers):
        sent.append(sum(len(b) for b in buffers))
    Board._send_raw = capture
    t0 = time.perf_counter()
    board = cellboard.open(path, reload_interval=3600)
    first = None
    stalls = []
    while True:
        t = time.perf_counter()
        time.sleep(0.01)
        stalls.append(time.perf_counter() - t - 0.01)
        st = board.store
        done = [r for r in st.runs if len(st.tags(r)["scalars"]) == tags
                and all(st.scalar_column(r, g).n == steps for g in st.tags(r)["scalars"])]
        if first is None and done:
            first = time.perf_counter() - t0
        if len(done) == runs:
            break
    total = time.perf_counter() - t0
    board.send_pending()
    stalls.sort()
    out = dict(first=first, total=total, base=base, peak=rss(), messages=len(sent), bytes=sum(sent),
               biggest=max(sent) if sent else 0, stall_max=stalls[-1], stall_p95=stalls[int(len(stalls) * .95)],
               points=sum(board.store.scalar_column(r, g).n for r in board.store.runs
                          for g in board.store.tags(r)["scalars"]))
    board.close()
elif mode == "load":
    import cellboard
    base = rss()
    t0 = time.perf_counter()
    logs = cellboard.load(path)
    out = dict(total=time.perf_counter() - t0, base=base, peak=rss(),
               points=sum(len(logs.scalars(r, g)) for r in logs.runs for g in logs.tags(r)["scalars"]))
else:
    from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer
    guidance = {"scalars": 0} if mode == "em-all" else None
    base = rss()
    t0 = time.perf_counter()
    em = EventMultiplexer(size_guidance=guidance) if guidance else EventMultiplexer()
    em.AddRunsFromDirectory(path)
    em.Reload()
    out = dict(total=time.perf_counter() - t0, base=base, peak=rss(),
               points=sum(len(em.Scalars(r, g)) for r, t in em.Runs().items() for g in t["scalars"]))
print(json.dumps(out))
"""


def _write_run(args) -> None:
    path, tags, steps = args
    import cellboard

    names = [f"train/metric_{i:02d}" for i in range(tags)]
    with cellboard.SummaryWriter(path) as w:
        for step in range(steps):
            for i, name in enumerate(names):
                w.add_scalar(name, (step % 97) * 0.01 + i, step)


def generate(root: str, runs: int, tags: int, steps: int) -> None:
    marker = os.path.join(root, f".complete-{runs}x{tags}x{steps}")
    if os.path.exists(marker):
        return
    t0 = time.perf_counter()
    with Pool(2) as pool:
        pool.map(_write_run, [(os.path.join(root, f"run_{r:03d}"), tags, steps) for r in range(runs)])
    open(marker, "w").close()
    print(f"generated {runs * tags * steps:,} points in {time.perf_counter() - t0:.0f}s under {root}")


def measure(mode: str, path: str, runs: int, tags: int, steps: int) -> dict:
    res = subprocess.run([sys.executable, "-c", WORKER, mode, path, str(runs), str(tags), str(steps)],
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10 runs x 20 tags x 1k steps")
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    runs, tags, steps = (10, 20, 1000) if args.quick else (100, 20, 10_000)
    root = args.dir or f"/tmp/cellboard-bench-scale-{runs}x{tags}x{steps}"
    os.makedirs(root, exist_ok=True)
    generate(root, runs, tags, steps)
    n = runs * tags * steps
    sub = os.path.join(root + "-subset")
    if not os.path.exists(sub):  # 10 runs for the keep-everything EventMultiplexer
        os.makedirs(sub)
        for r in range(min(10, runs)):
            os.symlink(os.path.join(root, f"run_{r:03d}"), os.path.join(sub, f"run_{r:03d}"))
    sub_runs = min(10, runs)
    factor = runs / sub_runs

    op = measure("open", root, runs, tags, steps)
    ld = measure("load", root, runs, tags, steps)
    em = measure("em-default", root, runs, tags, steps)
    ema = measure("em-all", sub, sub_runs, tags, steps)
    assert op["points"] == n and ld["points"] == n, (op["points"], ld["points"])
    assert ema["points"] == sub_runs * tags * steps

    def mem(r):
        return r["peak"] - r["base"]

    print(f"bench_scale: {runs} runs x {tags} tags x {steps:,} steps = {n:,} scalars, 2 CPUs")
    print(json.dumps(dict(open=op, load=ld, em_default=em, em_all_subset=ema), indent=1))
    print()
    print("| measurement | cellboard | TensorBoard EventMultiplexer | ratio |")
    print("|---|---|---|---|")
    print(f"| first complete run on the board (`cellboard.open`) | {op['first']:.2f} s | - | - |")
    print(f"| everything loaded, following (`cellboard.open`) | {op['total']:.1f} s | - | - |")
    print(f"| `cellboard.load` vs EM default guidance (10k-point reservoir/tag) | {ld['total']:.1f} s, "
          f"{mem(ld):.0f} MiB | {em['total']:.1f} s, {mem(em):.0f} MiB | {em['total'] / ld['total']:.1f}x faster |")
    print(f"| `cellboard.load` vs EM keeping every point (10 runs measured, x{factor:.0f}) | {ld['total']:.1f} s, "
          f"{mem(ld):.0f} MiB | ~{ema['total'] * factor:.0f} s, ~{mem(ema) * factor:.0f} MiB | "
          f"~{ema['total'] * factor / ld['total']:.0f}x faster, ~{mem(ema) * factor / mem(ld):.1f}x the memory |")
    print(f"| main-thread stall while the board loads in the background | max {op['stall_max'] * 1e3:.0f} ms, "
          f"p95 {op['stall_p95'] * 1e3:.1f} ms | - | - |")
    print(f"| sent to the browser for {n:,} points | {op['messages']} messages, {op['bytes'] / 1e6:.1f} MB, "
          f"biggest {op['biggest'] / 1e6:.2f} MB | - | - |")


if __name__ == "__main__":
    main()
