"""The live board's cost in the training loop, and the traffic it sends.

    .venv/bin/python benchmarks/bench_board.py [--quick]

1. Per-``add_scalar`` time with a board attached vs without (target: at most 1.5x), medians
   of interleaved repetitions. The comm is Jupyter's real serialization path minus the socket:
   messages are built, buffers encoded and handed to ``Widget.send`` (outside a kernel the
   comm is ipywidgets' dummy comm).
2. Traffic of a 100k-step run logging 10 scalars per step: messages/s and bytes/s, and the
   largest message, against Jupyter's IOPub limit of 1000 messages/s.
Ratios, not absolute times: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import cellboard
from cellboard.board import Board


def run_loop(steps: int, tags: int, board: bool) -> tuple[float, Board | None]:
    with tempfile.TemporaryDirectory() as d:
        b = Board() if board else None
        w = b.writer(f"{d}/run") if b else cellboard.SummaryWriter(f"{d}/run")
        names = [f"train/metric_{i}" for i in range(tags)]
        t0 = time.perf_counter()
        for step in range(steps):
            for i, name in enumerate(names):
                w.add_scalar(name, step * 0.001 + i, step)
        w.close()
        if b is not None:
            b.send_pending()
        dt = time.perf_counter() - t0
        if b is not None:
            b.close()
        return dt, b


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10x fewer steps")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    steps = 10_000 if args.quick else 100_000
    tags = 10
    calls = steps * tags

    ratios, without, with_ = [], [], []
    traffic = None
    for _ in range(args.reps):
        t_plain, _b = run_loop(steps, tags, board=False)
        t_board, b = run_loop(steps, tags, board=True)
        without.append(t_plain / calls * 1e6)
        with_.append(t_board / calls * 1e6)
        ratios.append(t_board / t_plain)
        traffic = (b.messages_sent, b.bytes_sent, t_board, b.seq)
    msgs, nbytes, elapsed, _seq = traffic
    print(f"bench_board: {steps} steps x {tags} scalars = {calls:,} add_scalar calls, {args.reps} reps")
    print(
        f"  add_scalar without board {statistics.median(without):.2f} us/call, with board "
        f"{statistics.median(with_):.2f} us/call"
    )
    print()
    print("| measurement | result | target |")
    print("|---|---|---|")
    print(
        f"| `add_scalar` with a board vs without ({calls:,} calls) | {statistics.median(ratios):.2f}x "
        f"[{min(ratios):.2f}-{max(ratios):.2f}] | <= 1.5x |"
    )
    print(
        f"| messages for a {steps:,}-step run x {tags} scalars | {msgs} messages, "
        f"{msgs / elapsed:.1f} msg/s | <= ~10/s (Jupyter drops above 1000/s) |"
    )
    print(
        f"| bytes sent | {nbytes / 1e6:.1f} MB, {nbytes / elapsed / 1e6:.2f} MB/s, "
        f"{nbytes / calls:.1f} bytes per point | 24 bytes/point (3 float64) |"
    )


if __name__ == "__main__":
    main()
