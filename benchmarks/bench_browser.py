"""A big directory in the browser: responsiveness of the frontend while a Board's data arrives.

    .venv/bin/python benchmarks/bench_browser.py [--runs 100] [--tags 20] [--steps 10000]
                                                 [--interval-ms 0] [--repeat 1]
                                                 [--bundle OTHER_WIDGET.js ...]

1. Python: generate runs x tags x steps scalars straight into a ``cellboard.Store``
   (``append_scalars``, one run at a time, as a reader following a directory fills it) and
   capture every message a real ``cellboard.board.Board`` sends for it (its own decimation,
   throttle and message splitting), as a view that said hello receives them.
2. Chromium (headless, through the frontend harness js/harness/): a fresh widget is fed that
   stream, one message per task ``--interval-ms`` apart (0: as fast as the page takes them; the
   Board itself paces messages at ~10/s), while Playwright types a tag regex, toggles a run off
   and on twice and the log-scale y axis on and off twice; then the same again once everything
   is there.

Reported: main-thread long tasks (PerformanceObserver "longtask": count over 50 ms and over
100 ms, the longest) while data arrives; input-to-paint of each interaction that changed
something (a keystroke that edited the filter, a click that flipped a checkbox): from the input
event's timestamp to the first paint in which every chart in view shows it (the render event's
``oldest``: no change marked before the first redraw after the input began is left undrawn in
view; data arriving later does not count, and charts out of view are drawn when idle); the time
from the first
message until everything is applied and painted; once everything is there, the main thread's CPU
time per input of each kind (Chrome's ThreadTime: what the input costs, with little of the wait for
a core that a shared machine adds to input-to-paint). Targets (issue 13 section 4): no task over
100 ms while data arrives, every interaction repainted within 100 ms, everything within 10 s.
Figures depend on the machine (headless Chromium draws canvases on the CPU); this prints them
and never fails on timing. To compare two builds on a shared machine, pass each bundle with
``--bundle`` (default: the one built in python_pkg/cellboard/static): runs alternate between them,
so both see the same load, and the medians of each are printed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import statistics
import struct
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "python_pkg"))

from tests.e2e.frontend_harness import BUNDLE, _Quiet, chromium, ensure_bundle, open_harness  # noqa: E402

GROUPS = ["train", "eval", "opt", "sys"]
STREAM_PATH = "/bench-stream.bin"
BUNDLE_PATH = "/" + BUNDLE.relative_to(ROOT).as_posix()


def capture(runs: int, tags: int, steps: int) -> tuple[bytes, dict]:
    """The message stream a Board sends while a store fills with runs x tags x steps points."""
    from cellboard import Store
    from cellboard.board import Board

    t0 = time.perf_counter()
    store = Store()
    board = Board(store, interval=0.1)
    messages: list[tuple[dict, list[bytes]]] = []
    board.send = lambda content, buffers=None: messages.append((content, [bytes(b) for b in (buffers or [])]))
    board._on_msg(board, {"type": "hello"}, [])  # a view is there
    messages.clear()
    names = [f"{GROUPS[k % len(GROUPS)]}/metric_{k:02d}" for k in range(tags)]
    rng = np.random.default_rng(0)
    x = np.arange(steps, dtype=np.float64)
    # as LogdirFollower reports a directory's first read: the board knows how many runs will come
    progress = {"runs_read": 0, "runs": runs, "bytes_read": 0, "bytes": runs, "loading": True}
    store.set_progress(progress)
    for r in range(runs):
        walls = 1.7e9 + r * 100 + x * 0.05
        for k, tag in enumerate(names):
            v = np.exp(-x / max(1, steps / 3)) * (1 + 0.01 * r) + 0.05 * rng.standard_normal(steps) + k
            store.append_scalars(f"run_{r:03d}", tag, x, walls, v)
        store.set_progress(dict(progress, runs_read=r + 1, bytes_read=r + 1))
        board.send_pending()
    store.set_progress(dict(progress, runs_read=runs, bytes_read=runs, loading=False))
    board.send_pending()
    board.close()
    out = bytearray()
    nbytes = 0
    for content, buffers in messages:
        js = json.dumps(content).encode()
        out += struct.pack("<I", len(js)) + js + struct.pack("<I", len(buffers))
        for b in buffers:
            out += struct.pack("<I", len(b)) + b
            nbytes += len(b)
    info = {
        "messages": len(messages),
        "buffer_mb": nbytes / 1e6,
        "points_logged": runs * tags * steps,
        "capture_s": time.perf_counter() - t0,
    }
    return bytes(out), info


@contextlib.contextmanager
def serve_with_stream(stream: bytes, bundle: list[Path | None] | None = None):
    """The repository root (harness and bundle) plus the captured stream at STREAM_PATH.
    ``bundle[0]``, when set, is served in place of the built widget bundle (change it between pages)."""

    class Handler(_Quiet):
        def do_GET(self):
            path = self.path.split("?")[0]
            if path == BUNDLE_PATH and bundle and bundle[0] is not None:
                return self.send_bytes(bundle[0].read_bytes(), "text/javascript")
            if path != STREAM_PATH:
                return super().do_GET()
            self.send_bytes(stream, "application/octet-stream")

        def send_bytes(self, body: bytes, ctype: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(ROOT)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


TOGGLES = 4  # clicks on a run's checkbox, then as many on log-y (an even number: back as it was)
LOG_Y_LABEL = "Log-scale y axis"  # the log-y checkbox's aria-label and label text


FILTER_TEXT = "metric_0"  # typed key by key into the tag filter, then cleared (2 more keys)


class ThreadClock:
    """The page's main-thread CPU time (Chrome's Performance.getMetrics ThreadTime), in ms: unlike
    input-to-paint, what an interaction costs there barely moves with the load on a shared machine."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Performance.enable")

    def ms(self) -> float:
        metrics = self.cdp.send("Performance.getMetrics")["metrics"]
        return 1000 * next(m["value"] for m in metrics if m["name"] == "ThreadTime")


def interact(page, label: str, log: list, clock: ThreadClock | None = None, cpu: dict | None = None) -> None:
    """A tag regex typed key by key and cleared, a run toggled off and on, log-y on and off (each TOGGLES clicks).
    With `clock`, ``cpu[what]`` gets the main-thread CPU ms per input of each group (all of it, up to
    the sleep after the last input: the redraws it caused, and the charts near the view drawn when idle)."""

    def timed(what: str, inputs: int, fn) -> None:
        t0 = clock.ms() if clock else 0.0
        fn()
        if clock and cpu is not None:
            cpu[what] = round((clock.ms() - t0) / inputs, 1)

    box = page.locator('input[aria-label="Filter tags"]')
    box.click()

    def keys() -> None:
        box.press_sequentially(FILTER_TEXT, delay=120)
        time.sleep(0.3)
        box.press("Control+a")
        box.press("Backspace")
        time.sleep(0.3)

    timed("filter keystroke", len(FILTER_TEXT) + 2, keys)
    run = page.locator('label.cb-run[data-run="run_000"] input')
    logy = page.get_by_label(LOG_Y_LABEL)

    def clicks(target, pause: float):
        def go() -> None:
            for _ in range(TOGGLES):
                target.click()
                time.sleep(pause)

        return go

    timed("run toggle", TOGGLES, clicks(run, 0.4))
    timed("log-y toggle", TOGGLES, clicks(logy, 0.5))
    log.append(label)


def summarize(state: dict) -> dict:
    lt = [t for t in state["longtasks"] if t["phase"] == "arriving"]
    lt_idle = [t for t in state["longtasks"] if t["phase"] == "idle"]
    out = dict(state["result"])
    out.update(
        {
            "longtasks_arriving_over_50ms": len(lt),
            "longtasks_arriving_over_100ms": sum(t["ms"] > 100 for t in lt),
            "longest_task_arriving_ms": max((t["ms"] for t in lt), default=0.0),
            "longtasks_idle_over_100ms": sum(t["ms"] > 100 for t in lt_idle),
            "longest_task_idle_ms": max((t["ms"] for t in lt_idle), default=0.0),
        }
    )
    # where a long task comes from: applying one message, or one redraw of the board
    for key, name in (("msgMs", "message handling ms"), ("renderMs", "redraw ms")):
        ms = state.get(key) or []
        if ms:
            out[name] = {
                "n": len(ms),
                "median": statistics.median(ms),
                "max": max(ms),
                "over_50": sum(m > 50 for m in ms),
            }
    for phase in ("arriving", "idle"):
        keys = [i["ms"] for i in state["inputs"] if i["phase"] == phase and i["what"] == "key"]
        # clicks by their target's aria-label (the run list's checkboxes have none)
        runs = [i["ms"] for i in state["inputs"] if i["phase"] == phase and i["label"] == "checkbox"]
        logy = [i["ms"] for i in state["inputs"] if i["phase"] == phase and i["label"] == LOG_Y_LABEL]
        for name, ms in (("filter keystroke", keys), ("run toggle", runs), ("log-y toggle", logy)):
            if ms:
                out[f"{name} ({phase}) input-to-paint ms"] = {
                    "n": len(ms),
                    "median": round(statistics.median(ms), 1),
                    "max": round(max(ms), 1),
                    "all": [round(m) for m in ms],
                }
    return out


HEADLINE = {
    "tasks > 100 ms while arriving": "longtasks_arriving_over_100ms",
    "longest task while arriving (ms)": "longest_task_arriving_ms",
    "everything painted (ms)": "allDataMs",
    "filter keystroke, idle (ms)": "filter keystroke (idle) input-to-paint ms",
    "run toggle, idle (ms)": "run toggle (idle) input-to-paint ms",
    "log-y toggle, idle (ms)": "log-y toggle (idle) input-to-paint ms",
    "run toggle, arriving (ms)": "run toggle (arriving) input-to-paint ms",
    "log-y toggle, arriving (ms)": "log-y toggle (arriving) input-to-paint ms",
    "filter keystroke, idle, cpu (ms)": "filter keystroke (idle) main-thread cpu ms",
    "run toggle, idle, cpu (ms)": "run toggle (idle) main-thread cpu ms",
    "log-y toggle, idle, cpu (ms)": "log-y toggle (idle) main-thread cpu ms",
}


WORST = {
    "worst run toggle, idle (ms)": "run toggle (idle) input-to-paint ms",
    "worst run toggle, arriving (ms)": "run toggle (arriving) input-to-paint ms",
    "worst log-y toggle, idle (ms)": "log-y toggle (idle) input-to-paint ms",
}


def headline(results: list[dict]) -> dict:
    """Per figure, the median over runs (of each run's median, for the interactions); then the
    worst single input of some kinds over all runs."""
    out = {}
    for name, key in HEADLINE.items():
        vals = [r[key]["median"] if isinstance(r.get(key), dict) else r.get(key) for r in results]
        vals = [v for v in vals if v is not None]
        if vals:
            out[name] = round(statistics.median(vals), 1)
    for name, key in WORST.items():
        worst = [r[key]["max"] for r in results if isinstance(r.get(key), dict)]
        if worst:
            out[name] = round(max(worst), 1)
    return out


def run_once(browser, base: str, interval_ms: int, arriving: bool = True) -> dict:
    """One fresh page fed the stream; interactions while data arrives (unless ``arriving`` is
    false, or it has all arrived within 0.3 s), then once everything is there."""
    page, errors = open_harness(browser, base, "?mode=bench", viewport=(1280, 900))
    try:
        page.evaluate(
            f"() => {{ window.__feed = window.cellboardHarness.bigBench("
            f"{{ url: '{STREAM_PATH}', intervalMs: {interval_ms} }}); }}"
        )
        page.wait_for_function("() => window.__bigBench && window.__bigBench.phase !== 'loading'", timeout=120_000)
        done: list = []
        # interactions while data arrives (as long as it does), then once everything is there
        page.wait_for_timeout(300)
        if arriving and page.evaluate("() => window.__bigBench.phase") == "arriving":
            interact(page, "arriving", done)
        page.evaluate("() => window.__feed")
        page.wait_for_timeout(500)
        cpu: dict[str, float] = {}
        interact(page, "idle", done, ThreadClock(page), cpu)
        page.wait_for_timeout(500)
        state = page.evaluate("() => window.__bigBench")
        res = summarize(state)
        for what, ms in cpu.items():
            res[f"{what} (idle) main-thread cpu ms"] = ms
        if errors:
            res["errors"] = errors
        return res
    finally:
        page.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--tags", type=int, default=20)
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--interval-ms", type=int, default=0, help="delay between messages (0: back to back)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument(
        "--bundle",
        type=Path,
        action="append",
        help="a widget bundle to measure instead of the built one (give several to compare them: runs alternate)",
    )
    args = ap.parse_args()
    bundles: list[Path | None] = list(args.bundle or [None])
    for b in bundles:
        if b is not None and not b.is_file():
            print(f"--bundle: no file at {b}")
            return 1
    reason = ensure_bundle()
    if reason:
        print(f"cannot run: {reason}")
        return 1
    stream, info = capture(args.runs, args.tags, args.steps)
    print(
        f"store: {args.runs} runs x {args.tags} tags x {args.steps:,} steps = {info['points_logged']:,} points; "
        f"the Board sent {info['messages']} messages, {info['buffer_mb']:.1f} MB of buffers "
        f"(captured in {info['capture_s']:.1f} s)"
    )
    results: dict[str, list[dict]] = {str(b or BUNDLE.relative_to(ROOT)): [] for b in bundles}
    current: list[Path | None] = [None]
    with serve_with_stream(stream, current) as base, chromium() as browser:
        for i in range(args.repeat):
            for b, runs in zip(bundles, results.values(), strict=True):
                current[0] = b
                r = run_once(browser, base, args.interval_ms)
                runs.append(r)
                print(f"--- run {i + 1} of {b or 'the built bundle'} (messages {args.interval_ms} ms apart)")
                for k, v in r.items():
                    print(f"  {k}: {v}")
    print(f"=== medians over {args.repeat} run(s)")
    summary = {name: headline(runs) for name, runs in results.items()}
    for name, figures in summary.items():
        print(f"  {name}: {figures}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"setup": vars(args) | {"json": None}, "stream": info, "results": results, "medians": summary},
                indent=1,
                default=str,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
