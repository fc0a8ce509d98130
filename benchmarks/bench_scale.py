"""Scale: a log dir of 100 runs x 20 tags x 10k steps (20M scalars), cellboard vs EventMultiplexer.

    .venv/bin/python benchmarks/bench_scale.py [--quick] [--dir DIR] [--em-budget SECONDS] [--profile]

The directory is written once by cellboard's ``SummaryWriter`` (legacy ``simple_value`` scalars,
tags ``train/loss_00``.., steps 0..N-1; two writer processes) and cached under ``--dir``
(default /tmp/cellboard-bench-scale, one sub-directory per shape). A JSON marker next to it
records every event file's size; a missing/incomplete directory is rewritten.

Every loader runs in a fresh interpreter (parent -> tiny launcher -> worker: ``ru_maxrss``
survives ``execve`` on Linux, so the worker must not inherit a big parent's high-water mark).
Memory = peak ``ru_maxrss`` and its delta over the RSS right after the imports (``VmHWM`` is
printed as a cross-check).

1. ``cellboard.open(dir)`` (background follower, default ``reload_interval``): time until the
   first scalar message leaves the board, until the store holds one complete run (all tags,
   all steps: the first charts are complete), until all points are loaded; peak memory.
   ``Board.send`` is monkeypatched (class-wide, before ``open``, so no message is missed) to
   record each message: JSON content size, buffer bytes, points sent, decimated or not.
   ``send_pending()`` is called once at the end. A view is simulated as JupyterLab's: it renders
   ``VIEW_DELAY`` s after the board's first message and says ``hello`` (not complete: it missed
   what came before it), read at once (the kernel is idle: ``%cellboard`` returns at once); the
   board then stops its keyframes. ``--no-view`` also measures a board nobody shows (keyframes
   resend everything at 0.5, 1, 2, 4, 8 and 16 s: the worst case for traffic). Meanwhile the main thread loops on
   ``time.sleep(0.01)`` + a small numpy op and records how late each iteration is: GIL
   contention from the follower (and the board's sending, which runs on the follower's
   thread) shows up there. An idle baseline of the same loop is taken before ``open``.
2. ``cellboard.load(dir)``: time and memory.
3. TensorBoard's ``EventMultiplexer`` + ``AddRunsFromDirectory(dir)`` + ``Reload()``:
   - default size guidance: ``event_accumulator.DEFAULT_SIZE_GUIDANCE`` keeps a reservoir of
     **10,000** scalars per tag -- with 10k steps that is every point (same work as keep-all);
   - ``size_guidance={'scalars': 1000}``: what the TensorBoard *app* keeps for its scalar
     dashboard (a 1000-point reservoir per tag; it still parses every record) -- less kept;
   - ``size_guidance={'scalars': 0}`` (keep all): first on a 10-run subset (symlinks), then on the
     whole directory if the subset, extrapolated, fits in ``--em-budget`` seconds; otherwise the
     extrapolation is reported and labelled as such.
Single measurements, not medians: read ratios, the machine is shared and noisy.
``--profile`` also runs cProfile over ``cellboard.load`` of 10 runs and prints the top hotspots.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

THIS = os.path.abspath(__file__)
DEFAULT_DIR = "/tmp/cellboard-bench-scale"
VIEW_DELAY = 1.0  # s from the board's first message to a JupyterLab view's hello (renders in ~0.2-0.5 s)


# --------------------------------------------------------------------------- generating the log dir


def _tag_names(tags: int) -> list[str]:
    return [f"train/loss_{i:02d}" for i in range(tags)]


def _write_run(job: tuple[str, int, int, int]) -> str:
    """One run: ``tags`` legacy scalars per step, steps 0..steps-1 (a noisy decaying curve)."""
    path, seed, tags, steps = job
    import numpy as np

    import cellboard

    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    curves = [
        (np.exp(-t / (steps / 3)) * (1 + 0.1 * i) + 0.05 * rng.standard_normal(steps)).tolist() for i in range(tags)
    ]
    names = _tag_names(tags)
    with cellboard.SummaryWriter(path) as w:
        for step in range(steps):
            for name, curve in zip(names, curves):
                w.add_scalar(name, curve[step], step)
    return path


def _event_file_sizes(data: str) -> dict[str, int]:
    sizes = {}
    for run in sorted(os.listdir(data)):
        d = os.path.join(data, run)
        if os.path.isdir(d) and not os.path.islink(d):
            for name in os.listdir(d):
                if "tfevents" in name:
                    sizes[f"{run}/{name}"] = os.path.getsize(os.path.join(d, name))
    return sizes


def ensure_logdir(root: str, runs: int, tags: int, steps: int) -> str:
    """The cached log dir for this shape, written (with 2 processes) if missing or incomplete."""
    shape = f"{runs}x{tags}x{steps}"
    data = os.path.join(root, shape)
    marker = os.path.join(root, f"{shape}.complete.json")
    if os.path.exists(marker) and os.path.isdir(data):
        with open(marker) as f:
            expected = json.load(f)
        if _event_file_sizes(data) == expected and len(expected) == runs:
            return data
        print(f"cached {data} is incomplete: regenerating", flush=True)
    shutil.rmtree(data, ignore_errors=True)
    if os.path.exists(marker):
        os.remove(marker)
    os.makedirs(data)
    jobs = [(os.path.join(data, f"run_{r:03d}"), r, tags, steps) for r in range(runs)]
    t0 = time.perf_counter()
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(2) as pool:
        for i, _ in enumerate(pool.imap_unordered(_write_run, jobs), 1):
            if i % 10 == 0 or i == runs:
                print(f"  generated {i}/{runs} runs ({time.perf_counter() - t0:.0f}s)", flush=True)
    sizes = _event_file_sizes(data)
    if len(sizes) != runs:
        raise RuntimeError(f"expected {runs} event files under {data}, found {len(sizes)}")
    with open(marker, "w") as f:
        json.dump(sizes, f)
    dt = time.perf_counter() - t0
    n = runs * tags * steps
    print(
        f"generated {n:,} points ({sum(sizes.values()) / 2**20:.0f} MiB) in {dt:.0f}s "
        f"({dt / n * 1e6 * 2:.2f} us/point/process) under {data}",
        flush=True,
    )
    return data


def subset_dir(root: str, data: str, k: int) -> str:
    """A directory of symlinks to the first ``k`` runs of ``data``."""
    sub = f"{data}-subset{k}"
    want = sorted(r for r in os.listdir(data) if os.path.isdir(os.path.join(data, r)))[:k]
    if os.path.isdir(sub) and sorted(os.listdir(sub)) == want:
        return sub
    shutil.rmtree(sub, ignore_errors=True)
    os.makedirs(sub)
    for r in want:
        os.symlink(os.path.join(data, r), os.path.join(sub, r))
    return sub


# --------------------------------------------------------------------------- workers (fresh interpreters)


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _mem(out: dict, base_rss_kb: int) -> None:
    import resource

    out["base_rss_mib"] = base_rss_kb / 1024
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    out["hwm_mib"] = _status_kb("VmHWM") / 1024
    out["delta_mib"] = out["peak_mib"] - out["base_rss_mib"]


def _pctl(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def _latency_loop(np, until, budget: float = 1800.0) -> list[float]:
    """Run ``sleep(10 ms)`` + a small numpy op until ``until()`` is true; return each iteration's
    lateness (actual duration - 10 ms). ``until`` is called outside the timed region."""
    a = np.arange(1000, dtype=np.float64)
    late = []
    t_end = time.perf_counter() + budget
    while True:
        t = time.perf_counter()
        time.sleep(0.01)
        float((a * 1.0001).sum())
        late.append(time.perf_counter() - t - 0.01)
        if until() or time.perf_counter() > t_end:
            return late


def _worker_open(path: str, runs: int, tags: int, steps: int, follow: bool = True, view: bool = True) -> dict:
    import gc

    import numpy as np

    import cellboard
    from cellboard.board import TOTAL_POINTS_BUDGET, Board

    gc.collect()
    base = _status_kb("VmRSS")
    # idle baseline of the latency loop (nothing else running)
    idle_n = [0]

    def idle_done():
        idle_n[0] += 1
        return idle_n[0] >= 200

    idle = _latency_loop(np, idle_done)

    msgs = []  # (t, json bytes, buffer bytes, points sent, decimated entries, scalar entries)
    t0 = time.perf_counter()

    def capture(self, content, buffers=None):
        buffers = buffers or []
        sc = (
            content.get("entries", {}).get("scalars", []) or content.get("scalars", [])
            if isinstance(content, dict)
            else []
        )
        msgs.append(
            (
                time.perf_counter() - t0,
                len(json.dumps(content)),
                sum(len(b) for b in buffers),
                sum(e.get("count", 0) for e in sc),
                sum(1 for e in sc if e.get("decimated")),
                len(sc),
            )
        )

    Board.send = capture  # class-wide and before open(): the follower starts sending at once
    t0 = time.perf_counter()
    board = cellboard.open(path, follow=follow)
    t_open_returned = time.perf_counter() - t0
    store = board.store
    state = {"first_point": None, "first_run": None, "complete": set(), "version": -1, "hello": None}

    def view_says_hello() -> None:
        if view and state["hello"] is None and msgs and time.perf_counter() - t0 >= msgs[0][0] + VIEW_DELAY:
            state["hello"] = time.perf_counter() - t0
            board._on_msg(board, {"type": "hello", "complete": False, "seq": board.seq}, [])

    def check():
        view_says_hello()
        v = store.version
        if v == state["version"]:
            return False
        state["version"] = v
        now = time.perf_counter() - t0
        for r in store.runs:
            if r in state["complete"]:
                continue
            names = store.tags(r)["scalars"]
            if names and state["first_point"] is None:
                state["first_point"] = now
            if len(names) == tags and all(store.scalar_column(r, g).n >= steps for g in names):
                state["complete"].add(r)
                if state["first_run"] is None:
                    state["first_run"] = now
        return len(state["complete"]) == runs

    late = _latency_loop(np, check)
    t_all = time.perf_counter() - t0
    while view and state["hello"] is None:  # loaded before the view rendered
        time.sleep(0.01)
        view_says_hello()
    follower_alive = board.follower.following
    time.sleep(2 * board.interval)  # let a pending timer fire
    board.send_pending()
    n_points = sum(store.scalar_column(r, g).n for r in store.runs for g in store.tags(r)["scalars"])
    held = sum(st.sent for st in board._series.values())  # points the view would hold now
    first_msg = next((m[0] for m in msgs if m[5]), None)
    out = dict(
        open_returned_s=t_open_returned,
        first_message_s=first_msg,
        first_point_s=state["first_point"],
        first_run_s=state["first_run"],
        all_loaded_s=t_all,
        points=n_points,
        follower_alive=follower_alive,
        messages=len(msgs),
        json_bytes=sum(m[1] for m in msgs),
        buffer_bytes=sum(m[2] for m in msgs),
        biggest_message_bytes=max((m[1] + m[2] for m in msgs), default=0),
        biggest_buffers_bytes=max((m[2] for m in msgs), default=0),
        points_sent=sum(m[3] for m in msgs),
        decimated_entries=sum(m[4] for m in msgs),
        scalar_entries=sum(m[5] for m in msgs),
        view_holds_points=held,
        view_hello_s=state["hello"],
        budget_points=TOTAL_POINTS_BUDGET,
        messages_during_load=sum(1 for m in msgs if m[0] <= t_all),
        latency_iterations=len(late),
        late_max_ms=max(late) * 1e3,
        late_p95_ms=_pctl(late, 0.95) * 1e3,
        late_p50_ms=_pctl(late, 0.5) * 1e3,
        over_20ms=sum(1 for x in late if x > 0.02),
        idle_late_max_ms=max(idle) * 1e3,
        idle_late_p95_ms=_pctl(idle, 0.95) * 1e3,
        switch_interval_ms=sys.getswitchinterval() * 1e3,
        checksum=_checksum(store.scalars("run_000", "train/loss_00").values),
    )
    _mem(out, base)
    board.close()
    return out


def _checksum(values) -> float:
    return float(sum(float(v) for v in values))


def _worker_load(path: str, runs: int, tags: int, steps: int) -> dict:
    import gc

    import cellboard

    gc.collect()
    base = _status_kb("VmRSS")
    t0 = time.perf_counter()
    logs = cellboard.load(path)
    dt = time.perf_counter() - t0
    out = dict(total_s=dt)
    _mem(out, base)
    out["points"] = sum(len(logs.scalars(r, g)) for r in logs.runs for g in logs.tags(r)["scalars"])
    out["checksum"] = _checksum(logs.scalars("run_000", "train/loss_00").values)
    return out


def _worker_em(path: str, guidance: str) -> dict:
    import gc

    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer

    gc.collect()
    base = _status_kb("VmRSS")
    t0 = time.perf_counter()
    em = EventMultiplexer() if guidance == "default" else EventMultiplexer(size_guidance={"scalars": int(guidance)})
    em.AddRunsFromDirectory(path)
    em.Reload()
    dt = time.perf_counter() - t0
    out = dict(
        total_s=dt, guidance=guidance, default_scalars_reservoir=event_accumulator.DEFAULT_SIZE_GUIDANCE["scalars"]
    )
    _mem(out, base)
    info = em.Runs()
    out["runs"] = len(info)
    out["points"] = sum(len(em.Scalars(r, g)) for r in info for g in info[r]["scalars"])
    out["checksum"] = _checksum(e.value for e in em.Scalars("run_000", "train/loss_00"))
    return out


def _worker_profile(path: str) -> dict:
    import cProfile
    import io
    import pstats

    import cellboard

    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    cellboard.load(path)
    prof.disable()
    dt = time.perf_counter() - t0
    s = io.StringIO()
    st = pstats.Stats(prof, stream=s)
    st.sort_stats("tottime").print_stats(15)
    st.sort_stats("cumulative").print_stats(20)
    return dict(total_s=dt, report=s.getvalue())


def worker_main(argv: list[str]) -> None:
    mode, path = argv[0], argv[1]
    if mode == "open":
        out = _worker_open(path, *map(int, argv[2:5]))
    elif mode == "open-no-follow":  # %cellboard DIR --no-follow: the board at once, filled in the background
        out = _worker_open(path, *map(int, argv[2:5]), follow=False)
    elif mode == "open-no-view":  # a board nobody shows: keyframes until 16 s
        out = _worker_open(path, *map(int, argv[2:5]), view=False)
    elif mode == "load":
        out = _worker_load(path, *map(int, argv[2:5]))
    elif mode == "em":
        out = _worker_em(path, argv[2])
    elif mode == "profile":
        out = _worker_profile(path)
    else:
        raise SystemExit(f"unknown worker mode {mode!r}")
    print(json.dumps(out))


_LAUNCHER = "import subprocess, sys\nsys.exit(subprocess.run(sys.argv[1:]).returncode)\n"


def measure(*args: str, timeout: float = 3600) -> dict:
    """One worker in a fresh interpreter, started through a tiny launcher (clean ru_maxrss)."""
    cmd = [sys.executable, "-c", _LAUNCHER, sys.executable, THIS, "--_worker", *map(str, args)]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if res.returncode != 0:
        raise RuntimeError(f"worker {args} failed ({res.returncode}):\n{res.stderr[-4000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    print(f"  [{args[0]} {args[2] if args[0] == 'em' else ''}] done in {time.perf_counter() - t0:.1f}s", flush=True)
    return out


# --------------------------------------------------------------------------- report


def _s(x) -> str:
    if x is None:
        return "n/a"
    return f"{x:.2f} s" if x < 10 else f"{x:.1f} s"


def report(shape, op, ld, em, em1k, ema, ema_full, factor, sub_runs, budget) -> None:
    runs, tags, steps = shape
    n = runs * tags * steps
    print()
    print(
        f"bench_scale: {runs} runs x {tags} tags x {steps:,} steps = {n:,} scalars "
        f"({os.cpu_count()} CPUs, Python {sys.version.split()[0]})"
    )
    print(
        json.dumps(
            dict(
                open=op,
                load=ld,
                em_default=em,
                em_reservoir_1000=em1k,
                em_keep_all_subset=ema,
                em_keep_all_full=ema_full,
            ),
            indent=1,
        )
    )

    def mem(r):
        return f"{r['delta_mib']:.0f} MiB (+{r['base_rss_mib']:.0f} base, peak {r['peak_mib']:.0f})"

    if ema_full is not None:
        all_t, all_m, all_label = ema_full["total_s"], ema_full["delta_mib"], "measured on the whole dir"
    else:
        all_t, all_m = ema["total_s"] * factor, ema["delta_mib"] * factor
        all_label = f"EXTRAPOLATED x{factor:g} from {sub_runs} runs ({_s(ema['total_s'])}, {ema['delta_mib']:.0f} MiB)"
    base_t, base_m = ld["total_s"], ld["delta_mib"]
    rows = [
        ("cellboard.load", ld["total_s"], ld["delta_mib"], mem(ld), ld["points"], ""),
        (
            "cellboard.open (background, all loaded)",
            op["all_loaded_s"],
            op["delta_mib"],
            mem(op),
            op["points"],
            "incl. board sending",
        ),
        (
            f"EventMultiplexer default guidance (reservoir {em['default_scalars_reservoir']:,}/tag)",
            em["total_s"],
            em["delta_mib"],
            mem(em),
            em["points"],
            "keeps every point here",
        ),
        (
            "EventMultiplexer scalars=1000 (TensorBoard app)",
            em1k["total_s"],
            em1k["delta_mib"],
            mem(em1k),
            em1k["points"],
            "keeps 1000/tag: less kept",
        ),
        (
            "EventMultiplexer scalars=0 (keep all)",
            all_t,
            all_m,
            "~" + f"{all_m:.0f} MiB" if ema_full is None else mem(ema_full),
            n if ema_full is None else ema_full["points"],
            all_label,
        ),
    ]
    print()
    print(f"{'loader':<62} {'time':>9} {'mem delta':>10} {'t / load':>9} {'mem / load':>10} {'points':>11}  note")
    for name, t, m, _, pts, note in rows:
        print(f"{name:<62} {t:>8.1f}s {m:>7.0f}MiB {t / base_t:>8.1f}x {m / base_m:>9.1f}x {pts:>11,}  {note}")
    print()
    print(
        f"cellboard.open: returned in {op['open_returned_s'] * 1e3:.0f} ms; first scalar message "
        f"{_s(op['first_message_s'])}; first complete run ({tags} tags x {steps:,} steps) {_s(op['first_run_s'])}; "
        f"all {op['points']:,} points {_s(op['all_loaded_s'])}"
    )
    print(
        f"main thread (sleep 10 ms + numpy op) while loading: {op['latency_iterations']} iterations, late by "
        f"p50 {op['late_p50_ms']:.1f} ms, p95 {op['late_p95_ms']:.1f} ms, max {op['late_max_ms']:.1f} ms, "
        f"{op['over_20ms']} iterations > 20 ms late (idle: p95 {op['idle_late_p95_ms']:.2f} ms, "
        f"max {op['idle_late_max_ms']:.2f} ms; switch interval {op['switch_interval_ms']:.0f} ms)"
    )
    print(
        f"sent to the browser (a view says hello {_s(op['view_hello_s'])} in): {op['messages']} messages "
        f"({op['messages_during_load']} during the load), "
        f"{(op['buffer_bytes'] + op['json_bytes']) / 1e6:.1f} MB ({op['buffer_bytes'] / 1e6:.1f} MB buffers + "
        f"{op['json_bytes'] / 1e6:.2f} MB JSON), biggest message {op['biggest_message_bytes'] / 1e6:.2f} MB; "
        f"{op['points_sent']:,} points sent ({op['points_sent'] / op['points']:.1%} of {op['points']:,}; "
        f"{op['decimated_entries']}/{op['scalar_entries']} series entries min/max-decimated); the view ends up "
        f"holding {op['view_holds_points']:,} points (budget {op['budget_points']:,})"
    )
    ok = {k: r["checksum"] for k, r in (("open", op), ("load", ld), ("em", em), ("em_all", ema)) if r}
    same = max(ok.values()) - min(ok.values()) <= 1e-6 * max(1.0, abs(max(ok.values())))
    print(f"cross-check run_000/train/loss_00 value sums: {'equal' if same else 'DIFFER'} {ok}")

    print()
    print(f"Markdown ({runs} runs x {tags} tags x {steps:,} steps = {n / 1e6:g}M scalars):")
    print()
    print("| measurement | cellboard | TensorBoard `EventMultiplexer` | EM / cellboard |")
    print("|---|---|---|---|")
    print(
        f"| `cellboard.open`: first complete run ({tags} tags x {steps:,} steps) in the board's store | "
        f"{_s(op['first_run_s'])} (first message {_s(op['first_message_s'])}) | - | - |"
    )
    print(
        f"| `cellboard.open`: all {n / 1e6:g}M points loaded (background thread) | {_s(op['all_loaded_s'])}, "
        f"{op['delta_mib']:.0f} MiB | - | - |"
    )
    print(
        f"| main thread while it loads (10 ms sleep + numpy op, lateness) | p95 {op['late_p95_ms']:.1f} ms, "
        f"max {op['late_max_ms']:.0f} ms | - | - |"
    )
    print(
        f"| sent to the browser | {op['messages']} messages, {(op['buffer_bytes'] + op['json_bytes']) / 1e6:.0f} MB "
        f"(biggest {op['biggest_message_bytes'] / 1e6:.1f} MB); view holds {op['view_holds_points'] / 1e6:.1f}M "
        f"points | - | - |"
    )
    print(
        f"| load, default guidance (EM keeps {em['default_scalars_reservoir']:,}/tag = every point here) | "
        f"`load` {_s(ld['total_s'])}, {ld['delta_mib']:.0f} MiB | {_s(em['total_s'])}, {em['delta_mib']:.0f} MiB | "
        f"{em['total_s'] / base_t:.1f}x time, {em['delta_mib'] / base_m:.1f}x memory |"
    )
    print(
        f"| load, EM `scalars=1000` (TensorBoard app; keeps 1000/tag, cellboard keeps all) | "
        f"`load` {_s(ld['total_s'])}, {ld['delta_mib']:.0f} MiB | {_s(em1k['total_s'])}, {em1k['delta_mib']:.0f} MiB | "
        f"{em1k['total_s'] / base_t:.1f}x time, {em1k['delta_mib'] / base_m:.1f}x memory |"
    )
    tilde = "" if ema_full is not None else "~"
    note = "" if ema_full is not None else f" (extrapolated x{factor:g} from {sub_runs} runs)"
    print(
        f"| load, keep everything (EM `scalars=0`){note} | `load` {_s(ld['total_s'])}, {ld['delta_mib']:.0f} MiB | "
        f"{tilde}{_s(all_t)}, {tilde}{all_m:.0f} MiB | {tilde}{all_t / base_t:.1f}x time, "
        f"{tilde}{all_m / base_m:.1f}x memory |"
    )
    print()
    print("Memory: peak ru_maxrss minus the RSS after imports, fresh interpreter per loader.")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--_worker":
        worker_main(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10 runs x 20 tags x 1k steps (under a minute)")
    ap.add_argument("--dir", default=DEFAULT_DIR, help=f"cache root for the generated log dirs ({DEFAULT_DIR})")
    ap.add_argument(
        "--em-budget",
        type=float,
        default=600.0,
        help="run EM keep-all on the whole dir only if its extrapolation fits (seconds; default 600)",
    )
    ap.add_argument("--profile", action="store_true", help="also cProfile cellboard.load on 10 runs")
    ap.add_argument("--no-view", action="store_true", help="also measure the traffic of a board nobody shows")
    args = ap.parse_args()
    runs, tags, steps = (10, 20, 1000) if args.quick else (100, 20, 10_000)
    t_start = time.perf_counter()
    data = ensure_logdir(args.dir, runs, tags, steps)
    sub_runs = min(10, runs)
    sub = subset_dir(args.dir, data, sub_runs) if sub_runs < runs else data
    factor = runs / sub_runs
    n = runs * tags * steps

    try:
        import numba  # noqa: F401 - only whether it is there

        compiled = "off (CELLBOARD_NUMBA=0)" if os.environ.get("CELLBOARD_NUMBA") == "0" else "on (numba installed)"
    except ImportError:
        compiled = "off (numba not installed)"
    print(f"measuring (each in a fresh interpreter); compiled kernels for big reads: {compiled}", flush=True)
    op = measure("open", data, runs, tags, steps)
    opn = measure("open-no-follow", data, runs, tags, steps)
    print(
        f"--no-follow: open returned in {opn['open_returned_s'] * 1e3:.0f} ms; first complete run "
        f"{_s(opn['first_run_s'])}; all {opn['points']:,} points {_s(opn['all_loaded_s'])}",
        flush=True,
    )
    if args.no_view:
        nv = measure("open-no-view", data, runs, tags, steps)
        print(
            f"a board nobody shows (keyframes until {16}s): sent {nv['messages']} messages, "
            f"{(nv['buffer_bytes'] + nv['json_bytes']) / 1e6:.1f} MB",
            flush=True,
        )
    ld = measure("load", data, runs, tags, steps)
    em = measure("em", data, "default")
    em1k = measure("em", data, "1000")
    ema = measure("em", sub, "0")
    ema_full = None
    if sub is data:
        ema_full = ema
    elif ema["total_s"] * factor <= args.em_budget:
        ema_full = measure("em", data, "0")
    else:
        print(
            f"  EM keep-all on the whole dir would take ~{ema['total_s'] * factor:.0f}s > --em-budget "
            f"{args.em_budget:.0f}s: reporting the {sub_runs}-run subset x{factor:g}",
            flush=True,
        )
    assert op["points"] == n and ld["points"] == n and opn["points"] == n, (op["points"], ld["points"])
    assert ema["points"] == sub_runs * tags * steps, ema["points"]
    report((runs, tags, steps), op, ld, em, em1k, ema, ema_full, factor, sub_runs, args.em_budget)
    if args.profile:
        prof = measure("profile", sub, "-")
        print()
        print(f"cProfile of cellboard.load on {sub_runs} runs ({_s(prof['total_s'])} under the profiler):")
        print(prof["report"])
    print(f"(benchmark wall time {time.perf_counter() - t_start:.0f}s)")


if __name__ == "__main__":
    main()
