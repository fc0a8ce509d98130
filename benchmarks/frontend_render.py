"""Frontend rendering cost in headless Chromium, through the standalone harness (js/harness/).

    .venv/bin/python benchmarks/frontend_render.py

1. First render: 10 runs x 100,000 steps of one tag (1M points) delivered as ONE delta, from the
   message to the drawn chart (decode + store + smoothing + min/max bucketing + uPlot draw).
2. Live update: append 10 points to each of the 10 series (one delta) and redraw, repeated.

"work" is main-thread time spent by the widget (message handling + the animation-frame redraw);
"latency" is from the message to the end of the redraw, so it includes waiting for the next
animation frame (up to one frame, ~16 ms at 60 Hz). Targets: first render < 500 ms, live update
< 16 ms of work. Numbers vary with the machine; this prints them and never fails on timing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.frontend_harness import chromium, ensure_bundle, run_benchmark, serve


def main() -> int:
    reason = ensure_bundle()
    if reason:
        print(f"cannot run: {reason}")
        return 1
    with serve() as base, chromium() as browser:
        runs = [run_benchmark(browser, base) for _ in range(3)]
    best = min(runs, key=lambda r: r["firstRenderWorkMs"])
    print(f"points held by the view:     {best['heldPoints']:,}")
    for i, r in enumerate(runs, 1):
        print(
            f"run {i}: first render {r['firstRenderMs']:7.1f} ms latency, {r['firstRenderWorkMs']:7.1f} ms work"
            f" (decode+store {r['firstRenderDecodeMs']:.1f} ms) | live update median "
            f"{r['liveUpdateMedianMs']:5.1f} ms latency, {r['liveUpdateWorkMedianMs']:5.2f} ms work "
            f"(p95 {r['liveUpdateWorkP95Ms']:.2f} ms)"
        )
    print(json.dumps(best, indent=1))
    errors = [e for r in runs for e in r.get("errors", [])]
    if errors:
        print("page errors:", *errors, sep="\n  ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
