"""Side-by-side I/O benchmark: cellboard vs torch.utils.tensorboard vs tensorboardX (writers) and
cellboard.load vs TensorBoard's EventMultiplexer/EventAccumulator vs the Rust data server (reader).

    .venv/bin/python benchmarks/bench_io.py            # full run, ~3-5 min on 2 cores
    .venv/bin/python benchmarks/bench_io.py --quick    # every count / 20, < 1 min (CI smoke)
    .venv/bin/python benchmarks/bench_io.py --freeze   # measure a copy of cellboard taken at start
    .venv/bin/python benchmarks/bench_io.py --profile scalar_tensor   # cProfile one cellboard case

Quote the RATIOS, not the absolute times: the machine is shared and noisy. Every measurement is
repeated (``--reps``, default 3), the libraries are interleaved (the order rotates each
repetition) and the ratio reported is the median of the per-repetition ratios.

Methodology notes
-----------------
* Writers: each run constructs a writer on a fresh temp dir, makes all the calls and ``close()``s
  it; the timed region covers constructor + calls + close. Inputs (python floats, 0-dim CPU
  tensors, float32 arrays, uint8 images) are created before timing. One small untimed warm-up run
  per library and case comes first. After the first repetition every library's output is read
  back (untimed) with ``cellboard.load`` and the point/record counts are checked.
* Reader: the log dir (5 runs x 10 tags x 20k steps = 1M legacy ``simple_value`` scalars) is
  written once by cellboard. Each load runs in a fresh interpreter that imports only what it
  needs, records its RSS after imports, times the load, then reads ``ru_maxrss``.
  IMPORTANT: ``ru_maxrss`` survives ``execve`` on Linux -- a child started directly from this (big)
  process reports *this* process's peak RSS as its own. Each worker is therefore started through
  a tiny launcher interpreter (parent -> launcher -> worker): the worker inherits the launcher's
  few-MB high-water mark instead. The worker also reports ``VmHWM`` from /proc as a cross-check.
* Rust data server (``tensorboard_data_server``, "rustboard"): started with ``--reload once
  --samples-per-plugin scalars=all`` bound to 127.0.0.1 on a free port; its load time is the time
  from spawn until it logs "Finished load cycle" (its own figure is printed too); then all points
  are fetched over gRPC (ReadScalars) and counted. Its peak memory is ``VmHWM`` of the server
  process, the baseline being ``VmHWM`` of a server that loaded an empty log dir. Note it is
  multi-threaded (it parses runs in parallel on both cores) and skips record checksums unless a
  record fails to parse; the Python loaders are single-threaded.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings

THIS = os.path.abspath(__file__)

# --------------------------------------------------------------------------- sizes

FULL = dict(scalars=200_000, histograms=500, hist_values=10_000, images=500, runs=5, tags=10, steps=20_000)
QUICK = dict(scalars=10_000, histograms=25, hist_values=10_000, images=25, runs=5, tags=10, steps=1_000)

TARGETS = {  # minimum speed-up of cellboard over torch's SummaryWriter
    "scalar_float": 30.0,  # issue 13
    "scalar_tensor": 10.0,
    "histogram": 3.0,
    "image": 3.0,
}
LOAD_TIME_TARGET = 10.0  # x faster than EventAccumulator
LOAD_MEM_TARGET = 0.5  # <= this fraction of EventAccumulator's peak memory (delta over post-import RSS)


# --------------------------------------------------------------------------- /proc helpers


def _proc_status_kb(field: str, pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _mb(kb: float) -> float:
    return kb / 1024.0


# --------------------------------------------------------------------------- reader worker (subprocess)


def _worker(kind: str, logdir: str) -> None:
    """Runs in a fresh interpreter: import, baseline, load, peak, count; prints one JSON line."""
    import resource

    start_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # before the heavy imports
    if kind == "cellboard":
        import cellboard
    elif kind == "eventaccumulator":
        from tensorboard.backend.event_processing import event_accumulator as ea
        from tensorboard.backend.event_processing import event_multiplexer as em
    else:
        raise SystemExit(f"unknown worker kind {kind!r}")
    gc.collect()
    base_rss = _proc_status_kb("VmRSS")
    base_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if kind == "cellboard":
        logs = cellboard.load(logdir)
    else:
        mux = em.EventMultiplexer(size_guidance={ea.SCALARS: 0}).AddRunsFromDirectory(logdir).Reload()
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    hwm = _proc_status_kb("VmHWM")
    module_file = None
    if kind == "cellboard":
        module_file = cellboard.__file__
        runs = logs.runs
        count = sum(len(logs.scalars(r, t)) for r in runs for t in logs.tags(r)["scalars"])
        ntags = sum(len(logs.tags(r)["scalars"]) for r in runs)
    else:
        info = mux.Runs()
        runs = sorted(info)
        count = sum(len(mux.Scalars(r, t)) for r in runs for t in info[r]["scalars"])
        ntags = sum(len(info[r]["scalars"]) for r in runs)
    print(
        json.dumps(
            dict(
                kind=kind,
                seconds=dt,
                count=count,
                runs=len(runs),
                tags=ntags,
                module_file=module_file,
                start_maxrss_kb=start_maxrss,
                base_rss_kb=base_rss,
                base_maxrss_kb=base_maxrss,
                peak_kb=peak,
                hwm_kb=hwm,
            )
        )
    )


_LAUNCHER = "import subprocess, sys\nsys.exit(subprocess.run(sys.argv[1:]).returncode)\n"


def run_worker(kind: str, logdir: str) -> dict:
    """parent -> tiny launcher -> worker, so the worker's ru_maxrss starts from the launcher's."""
    cmd = [sys.executable, "-c", _LAUNCHER, sys.executable, THIS, "--_worker", kind, logdir]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(f"{kind} worker failed ({out.returncode}):\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- Rust data server


def rust_server_binary() -> str | None:
    try:
        import tensorboard_data_server
    except ImportError:
        return None
    path = tensorboard_data_server.server_binary()
    return path if path and os.access(path, os.X_OK) else None


_DURATION = re.compile(r"Finished load cycle \(([\d.]+)(ns|µs|us|ms|s)\)")
_UNIT = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def run_rust_server(binary: str, logdir: str, expected: int | None, timeout: float = 600.0) -> dict:
    """Start rustboard on 127.0.0.1, wait for its first (only) load cycle, fetch and count all points."""
    tmp = tempfile.mkdtemp(prefix="cb_rust_")
    port_file = os.path.join(tmp, "port")
    cmd = [
        binary,
        "--logdir",
        logdir,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--port-file",
        port_file,
        "--reload",
        "once",
        "--samples-per-plugin",
        "scalars=all",
        "--die-after-stdin",
        "-v",
    ]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    watchdog = threading.Timer(timeout, proc.terminate)  # a hung server is stopped by its own pid
    watchdog.start()
    try:
        internal = None
        log_tail = []
        for line in proc.stderr:
            log_tail = ([*log_tail, line.rstrip()])[-20:]
            m = _DURATION.search(line)
            if m:
                internal = float(m.group(1)) * _UNIT[m.group(2)]
                break
        t_loaded = time.perf_counter() - t0
        if internal is None:
            raise RuntimeError("rust data server exited before finishing its load cycle:\n" + "\n".join(log_tail))
        hwm = _proc_status_kb("VmHWM", proc.pid)  # before any gRPC traffic
        # keep draining stderr so the server can never block on a full pipe
        threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
        count = None
        t_read = None
        if expected is not None:
            count, t_read = _rust_count(open(port_file).read().strip())
        return dict(seconds=t_loaded, internal_seconds=internal, hwm_kb=hwm, count=count, read_seconds=t_read)
    finally:
        watchdog.cancel()
        try:
            proc.stdin.close()  # --die-after-stdin
        except OSError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def _rust_count(port: str) -> tuple[int, float]:
    import grpc
    from tensorboard.data.proto import data_provider_pb2 as pb
    from tensorboard.data.proto import data_provider_pb2_grpc as pb_grpc

    with grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", 1 << 30)]) as ch:
        stub = pb_grpc.TensorBoardDataProviderStub(ch)
        req = pb.ReadScalarsRequest()
        req.plugin_filter.plugin_name = "scalars"
        req.downsample.num_points = 1 << 40  # i.e. everything
        t = time.perf_counter()
        res = stub.ReadScalars(req, timeout=300)
        dt = time.perf_counter() - t
    return sum(len(tag.data.step) for run in res.runs for tag in run.tags), dt


# --------------------------------------------------------------------------- writers


def writer_classes() -> dict:
    import tensorboardX
    import torch.utils.tensorboard

    import cellboard

    return {
        "cellboard": cellboard.SummaryWriter,
        "torch": torch.utils.tensorboard.SummaryWriter,
        "tbx": tensorboardX.SummaryWriter,
    }


SCALAR_TAGS = ("train/loss", "train/acc", "lr", "grad_norm")


def make_inputs(sizes: dict) -> dict:
    import numpy as np
    import torch

    rng = np.random.default_rng(0)
    n = sizes["scalars"]
    floats = (np.cumsum(rng.standard_normal(n)) * 0.01 + 1.0).tolist()
    nt = len(SCALAR_TAGS)
    tags = [SCALAR_TAGS[i % nt] for i in range(n)]
    steps = [i // nt for i in range(n)]
    scalar_float = list(zip(tags, floats, steps))
    scalar_tensor = [(t, torch.tensor(v), s) for t, v, s in scalar_float]  # 0-dim float32 CPU tensors
    hists = rng.standard_normal((sizes["histograms"], sizes["hist_values"]), dtype=np.float32)
    hists *= np.linspace(0.5, 2.0, sizes["histograms"], dtype=np.float32)[:, None]
    # Images: a smooth, shifting colour pattern plus a little noise (closer to real images than
    # pure noise, which PNG cannot compress at all), 3x64x64 uint8 CHW.
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32)
    imgs = np.empty((sizes["images"], 3, 64, 64), np.uint8)
    for i in range(sizes["images"]):
        for c in range(3):
            base = 127.5 + 100 * np.sin((xx + 3 * i) / (7 + 3 * c)) * np.cos((yy - 2 * i) / (9 + c))
            imgs[i, c] = np.clip(base + rng.normal(0, 8, (64, 64)), 0, 255).astype(np.uint8)
    return dict(
        scalar_float=scalar_float,
        scalar_tensor=scalar_tensor,
        histogram=[("weights", h, i) for i, h in enumerate(hists)],
        image=[("samples", im, i) for i, im in enumerate(imgs)],
    )


def _run_calls(cls, case: str, calls: list, logdir: str, collect: bool = True) -> float:
    if collect:
        gc.collect()
    t0 = time.perf_counter()
    w = cls(logdir)
    if case.startswith("scalar"):
        for tag, v, step in calls:
            w.add_scalar(tag, v, step)
    elif case == "histogram":
        for tag, v, step in calls:
            w.add_histogram(tag, v, step)
    elif case == "image":
        for tag, v, step in calls:
            w.add_image(tag, v, step)
    else:
        raise ValueError(case)
    w.close()
    return time.perf_counter() - t0


def _dir_bytes(path: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def _check_output(case: str, logdir: str, n: int, lib: str) -> None:
    """Read a writer's output back with cellboard.load and check nothing was lost."""
    import cellboard

    logs = cellboard.load(logdir)
    (run,) = logs.runs
    tags = logs.tags(run)
    if case.startswith("scalar"):
        got = sum(len(logs.scalars(run, t)) for t in tags["scalars"])
    elif case == "histogram":
        got = sum(len(logs.histograms(run, t)) for t in tags["histograms"])
    else:
        got = sum(len(logs.images(run, t)) for t in tags["images"])
    assert got == n, f"{lib} {case}: read back {got} points/records, expected {n}"


def bench_writers(sizes: dict, reps: int, out) -> dict:
    classes = writer_classes()
    libs = list(classes)
    inputs = make_inputs(sizes)
    results = {}
    root = tempfile.mkdtemp(prefix="cb_bench_w_")
    try:
        for case, calls in inputs.items():
            n = len(calls)
            warm = calls[: max(1, n // 100)]
            for lib in libs:  # untimed warm-up: lazy imports, first-use caches
                d = tempfile.mkdtemp(dir=root)
                _run_calls(classes[lib], case, warm, d)
                shutil.rmtree(d, ignore_errors=True)
            times = {lib: [] for lib in libs}
            sizes_b = {}
            for r in range(reps):
                order = libs[r % len(libs) :] + libs[: r % len(libs)]
                for lib in order:
                    d = tempfile.mkdtemp(dir=root)
                    times[lib].append(_run_calls(classes[lib], case, calls, d))
                    if r == 0:
                        sizes_b[lib] = _dir_bytes(d)
                        _check_output(case, d, n, lib)
                    shutil.rmtree(d, ignore_errors=True)
            results[case] = dict(n=n, times=times, bytes=sizes_b)
            us = {lib: statistics.median(times[lib]) / n * 1e6 for lib in libs}
            print(
                f"  {case:<14} n={n:<7} " + "  ".join(f"{lib} {us[lib]:8.2f} us/call" for lib in libs),
                file=out,
                flush=True,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return results


# --------------------------------------------------------------------------- big histograms


def bench_big_histograms(counts: list[int], reps: int, out) -> dict:
    """One ``add_histogram`` of n float32 values (default "tensorflow" bins) + ``flush()`` per library,
    for a numpy array and for a torch CPU tensor: wall time (interleaved, median of ``reps``) and,
    in one more untimed call, the peak extra memory during the call (tracemalloc, which sees numpy's
    and torch's CPU buffers; it slows small allocations, so it is off while timing)."""
    import tracemalloc

    import numpy as np
    import torch

    from cellboard import binning, kernels

    # numba compiles on a background thread at the first big histogram; here it is warmed up front,
    # like every writer's first call below
    kernel = kernels.wait()
    print(
        "  cellboard counts with "
        + ("its numba kernel (the `fast` extra)" if kernel else "numpy (no numba, or CELLBOARD_NUMBA=0)"),
        file=out,
        flush=True,
    )
    if kernel is None:
        print(
            "  (numpy: counting with torch's scatter_add_, as torch is imported; numpy-alone: with "
            "numpy's add.at, as in a process that never imported torch)",
            file=out,
            flush=True,
        )
    classes = writer_classes()
    libs = list(classes)
    res = {}
    root = tempfile.mkdtemp(prefix="cb_bench_h_")
    kinds = ["numpy", "torch"] + ([] if kernel else ["numpy-alone"])
    try:
        for n in counts:
            x = np.random.default_rng(0).standard_normal(n, dtype=np.float32)
            for kind in kinds:
                values = torch.from_numpy(x) if kind == "torch" else x
                binning._TORCH_COUNTS = kind != "numpy-alone"
                writers = {lib: classes[lib](tempfile.mkdtemp(dir=root)) for lib in libs}
                for w in writers.values():
                    w.add_histogram("warm", values[:1000], 0)
                    w.flush()
                times: dict[str, list[float]] = {lib: [] for lib in libs}
                peaks: dict[str, float] = {}
                for r in range(reps):
                    for lib in libs[r % len(libs) :] + libs[: r % len(libs)]:
                        gc.collect()
                        # torch's and tensorboardX's writers take sum_squares with numpy's dot, whose
                        # OpenBLAS threads then spin for ~0.1 s: the next call would find its cores taken
                        time.sleep(_SETTLE_S)
                        t0 = time.perf_counter()
                        writers[lib].add_histogram("weights", values, r)
                        writers[lib].flush()
                        times[lib].append(time.perf_counter() - t0)
                for lib in libs:
                    gc.collect()
                    tracemalloc.start()
                    base = tracemalloc.get_traced_memory()[0]
                    writers[lib].add_histogram("weights", values, reps)
                    writers[lib].flush()
                    peaks[lib] = tracemalloc.get_traced_memory()[1] - base
                    tracemalloc.stop()
                for w in writers.values():
                    w.close()
                res[(n, kind)] = dict(times=times, peaks=peaks)
                print(
                    f"  histogram n={n:.0e} {kind:<11}: "
                    + "  ".join(
                        f"{lib} {statistics.median(times[lib]):.3f}s +{peaks[lib] / 2**20:.0f} MiB" for lib in libs
                    ),
                    file=out,
                    flush=True,
                )
            del x
    finally:
        binning._TORCH_COUNTS = True
        shutil.rmtree(root, ignore_errors=True)
    return res


def report_big_histograms(res: dict) -> None:
    print(
        "\n== add_histogram of n float32 values, numpy array or torch CPU tensor (one call + flush; time "
        "ratio = median of per-rep ratios [min-max]; peak extra memory during the call) =="
    )
    for (n, kind), r in res.items():
        t, p = r["times"], r["peaks"]
        mem = "/".join(f"{p[lib] / 2**20:.0f}" for lib in ("cellboard", "torch", "tbx"))
        print(
            f"n={n:.0e} {kind:<11}: cellboard {statistics.median(t['cellboard']):.3f}s | torch/cellboard "
            f"{_fmt_ratio(_ratio_stats(t['torch'], t['cellboard']))} | tbx/cellboard "
            f"{_fmt_ratio(_ratio_stats(t['tbx'], t['cellboard']))} | peak MiB cb/torch/tbx {mem} "
            f"(target: >= {HIST_BIG_TARGET:g}x torch, memory <= torch's)"
        )


HIST_BIG_TARGET = 5.0
_SETTLE_S = 0.25  # idle time before each timed big histogram (longer than OpenBLAS's ~0.1 s of spinning)


# --------------------------------------------------------------------------- reader


def build_logdir(path: str, sizes: dict) -> float:
    import cellboard

    t0 = time.perf_counter()
    tags = [f"metrics/tag_{k:02d}" for k in range(sizes["tags"])]
    for r in range(sizes["runs"]):
        w = cellboard.SummaryWriter(os.path.join(path, f"run_{r}"))
        v = 0.0
        for step in range(sizes["steps"]):
            for k, tag in enumerate(tags):
                w.add_scalar(tag, v + k, step)  # legacy simple_value (the default)
            v += 0.001
        w.close()
    return time.perf_counter() - t0


def bench_reader(sizes: dict, reps: int, use_rust: bool, out) -> dict:
    expected = sizes["runs"] * sizes["tags"] * sizes["steps"]
    root = tempfile.mkdtemp(prefix="cb_bench_r_")
    try:
        logdir = os.path.join(root, "logs")
        t_build = build_logdir(logdir, sizes)
        print(
            f"  built {expected:,} scalars ({_dir_bytes(logdir) / 2**20:.1f} MiB) with cellboard in {t_build:.1f}s",
            file=out,
            flush=True,
        )
        binary = rust_server_binary() if use_rust else None
        loaders = ["cellboard", "eventaccumulator"] + (["rust"] if binary else [])
        res = {k: [] for k in loaders}
        rust_base_kb = None
        if binary:
            empty = os.path.join(root, "empty")
            os.makedirs(empty)
            rust_base_kb = run_rust_server(binary, empty, None)["hwm_kb"]
        for r in range(reps):
            order = loaders[r % len(loaders) :] + loaders[: r % len(loaders)]
            for kind in order:
                if kind == "rust":
                    m = run_rust_server(binary, logdir, expected)
                else:
                    m = run_worker(kind, logdir)
                    if kind == "cellboard":
                        import cellboard

                        want = os.path.dirname(os.path.abspath(cellboard.__file__))
                        got = os.path.dirname(os.path.abspath(m["module_file"]))
                        assert got == want, f"worker imported cellboard from {got}, this process from {want}"
                assert m["count"] == expected, f"{kind} loaded {m['count']} points, expected {expected}"
                res[kind].append(m)
                print(
                    f"  rep {r}: {kind:<16} {m['seconds']:7.2f}s  points={m['count']:,}  "
                    f"(load average {os.getloadavg()[0]:.1f})",
                    file=out,
                    flush=True,
                )
        return dict(expected=expected, results=res, rust_base_kb=rust_base_kb, rust_binary=binary)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- reader: histograms and images

MEDIA_FULL = dict(hist_runs=4, hist_tags=5, hist_steps=500, hist_values=10_000, img_runs=2, img_tags=2, img_steps=500)
MEDIA_QUICK = dict(hist_runs=2, hist_tags=2, hist_steps=50, hist_values=10_000, img_runs=1, img_tags=2, img_steps=50)
MEDIA_TARGET = 100.0  # x faster than EventAccumulator


def build_media_logdir(path: str, m: dict) -> tuple[int, int]:
    """Histograms (default "tensorflow" bins of ``hist_values`` normal values) and 3x64x64 images,
    written by cellboard. Returns (histograms, images)."""
    import numpy as np

    import cellboard

    rng = np.random.default_rng(0)
    values = [rng.standard_normal(m["hist_values"]).astype(np.float32) * (1 + i) for i in range(8)]
    for r in range(m["hist_runs"]):
        with cellboard.SummaryWriter(os.path.join(path, f"hist_{r}")) as w:
            for step in range(m["hist_steps"]):
                for t in range(m["hist_tags"]):
                    w.add_histogram(f"layer{t}/weight", values[(step + t) % len(values)], step)
    imgs = [rng.integers(0, 256, (3, 64, 64), dtype=np.uint8) for _ in range(8)]
    for r in range(m["img_runs"]):
        with cellboard.SummaryWriter(os.path.join(path, f"img_{r}")) as w:
            for step in range(m["img_steps"]):
                for t in range(m["img_tags"]):
                    w.add_image(f"samples/{t}", imgs[(step + t) % len(imgs)], step)
    return (m["hist_runs"] * m["hist_tags"] * m["hist_steps"], m["img_runs"] * m["img_tags"] * m["img_steps"])


def _media_worker(kind: str, logdir: str) -> None:
    """Fresh interpreter: load histograms and images (everything kept), print time and counts."""
    if kind == "cellboard":
        import cellboard
    else:
        from tensorboard.backend.event_processing import event_accumulator as ea
        from tensorboard.backend.event_processing import event_multiplexer as em
    gc.collect()
    base_rss = _proc_status_kb("VmRSS")
    t0 = time.perf_counter()
    if kind == "cellboard":
        logs = cellboard.load(logdir, progress=False)
        dt = time.perf_counter() - t0
        hist = sum(len(logs.histograms(r, t)) for r in logs.runs for t in logs.tags(r)["histograms"])
        img = sum(len(logs.images(r, t)) for r in logs.runs for t in logs.tags(r)["images"])
    else:
        guidance = {ea.HISTOGRAMS: 0, ea.IMAGES: 0, ea.COMPRESSED_HISTOGRAMS: 0, ea.SCALARS: 0, ea.TENSORS: 0}
        mux = em.EventMultiplexer(size_guidance=guidance).AddRunsFromDirectory(logdir).Reload()
        dt = time.perf_counter() - t0
        info = mux.Runs()
        hist = sum(len(mux.Histograms(r, t)) for r in info for t in info[r]["histograms"])
        img = sum(len(mux.Images(r, t)) for r in info for t in info[r]["images"])
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(dict(kind=kind, seconds=dt, histograms=hist, images=img, delta_kb=peak - base_rss)))


def bench_media_reader(m: dict, reps: int, out) -> dict:
    """cellboard.load vs EventMultiplexer on histograms and on images, each in a fresh process."""
    root = tempfile.mkdtemp(prefix="cb_bench_media_")
    try:
        res: dict = {}
        for part in ("histograms", "images"):
            logdir = os.path.join(root, part)
            sub = dict(m)
            if part == "histograms":
                sub["img_runs"] = 0
            else:
                sub["hist_runs"] = 0
            counts = build_media_logdir(logdir, sub)
            want = counts[0] if part == "histograms" else counts[1]
            print(f"  built {want:,} {part} ({_dir_bytes(logdir) / 2**20:.1f} MiB)", file=out, flush=True)
            times: dict = {"cellboard": [], "eventaccumulator": []}
            for r in range(reps):
                for kind in ["cellboard", "eventaccumulator"] if r % 2 == 0 else ["eventaccumulator", "cellboard"]:
                    cmd = [sys.executable, THIS, "--_media_worker", kind, logdir]
                    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
                    if proc.returncode != 0:
                        raise RuntimeError(f"{kind} media worker failed:\n{proc.stderr[-3000:]}")
                    got = json.loads(proc.stdout.strip().splitlines()[-1])
                    assert got[part] == want, f"{kind} loaded {got[part]} {part}, expected {want}"
                    times[kind].append(got["seconds"])
                    print(
                        f"  rep {r}: {part:<10} {kind:<16} {got['seconds']:7.3f}s  (load average {os.getloadavg()[0]:.1f})",
                        file=out,
                        flush=True,
                    )
            res[part] = dict(n=want, times=times)
        return res
    finally:
        shutil.rmtree(root, ignore_errors=True)


def report_media(res: dict) -> None:
    print("\n== Reader: histograms and images (median of per-rep ratios [min-max]) ==")
    for part, r in res.items():
        t = r["times"]
        ratio = _ratio_stats(t["eventaccumulator"], t["cellboard"])
        print(
            f"load {r['n']:,} {part:<10}: cellboard {statistics.median(t['cellboard']):.3f}s, EventAccumulator "
            f"{statistics.median(t['eventaccumulator']):.2f}s -> {_fmt_ratio(ratio)} faster "
            f"(target >= {MEDIA_TARGET:g}x: {'met' if ratio[0] >= MEDIA_TARGET else 'MISSED'})"
        )


# --------------------------------------------------------------------------- report


def _ratio_stats(num: list[float], den: list[float]) -> tuple[float, float, float]:
    rs = [a / b for a, b in zip(num, den)]
    return statistics.median(rs), min(rs), max(rs)


def _fmt_ratio(stats) -> str:
    med, lo, hi = stats
    return f"{med:5.1f}x [{lo:.1f}-{hi:.1f}]"


CASE_LABEL = {
    "scalar_float": "add_scalar (python float)",
    "scalar_tensor": "add_scalar (0-dim CPU tensor)",
    "histogram": "add_histogram (10k float32)",
    "image": "add_image (3x64x64 uint8)",
}


def report(wres: dict | None, rres: dict | None, sizes: dict, quick: bool, reps: int) -> None:
    md = []
    if wres:
        print(f"\n== Writers (median of {reps} interleaved reps; ratio = median of per-rep ratios [min-max]) ==")
        hdr = (
            f"{'case':<31} {'n':>7} | {'cellboard':>10} {'torch':>10} {'tbx':>10} us/call | "
            f"{'torch/cellboard':>19} {'tbx/cellboard':>19} | {'MiB cb/torch/tbx':>18}"
        )
        print(hdr)
        print("-" * len(hdr))
        for case, r in wres.items():
            n, t = r["n"], r["times"]
            us = {lib: statistics.median(v) / n * 1e6 for lib, v in t.items()}
            rt = _ratio_stats(t["torch"], t["cellboard"])
            rx = _ratio_stats(t["tbx"], t["cellboard"])
            mib = "/".join(f"{r['bytes'][lib] / 2**20:.1f}" for lib in ("cellboard", "torch", "tbx"))
            print(
                f"{CASE_LABEL[case]:<31} {n:>7} | {us['cellboard']:>10.2f} {us['torch']:>10.2f} {us['tbx']:>10.2f}"
                f"         | {_fmt_ratio(rt):>19} {_fmt_ratio(rx):>19} | {mib:>18}"
            )
            target = TARGETS[case]
            name, _, detail = CASE_LABEL[case].partition(" ")
            md.append(
                (
                    f"`{name}` {detail}, {n:,} calls",
                    f"{rt[0]:.1f}x faster",
                    f"{rx[0]:.1f}x faster",
                    f">= {target:g}x vs torch",
                    "met" if rt[0] >= target else "MISSED",
                )
            )
    if rres:
        exp = rres["expected"]
        res = rres["results"]
        print(
            f"\n== Reader: {exp:,} scalars ({sizes['runs']} runs x {sizes['tags']} tags x {sizes['steps']:,} steps), "
            f"median of {reps} reps, each loader in a fresh process =="
        )
        hdr = (
            f"{'loader':<34} | {'load s':>7} {'vs cellboard':>19} | {'peak RSS MiB':>12} {'baseline*':>11} "
            f"{'delta MiB':>9} {'delta vs cb':>11} | points"
        )
        print(hdr)
        print("-" * len(hdr))
        cb = res["cellboard"]
        names = {
            "cellboard": "cellboard.load",
            "eventaccumulator": "EventMultiplexer/EventAccumulator",
            "rust": "Rust data server (rustboard)",
        }
        deltas = {}
        for kind, ms in res.items():
            secs = [m["seconds"] for m in ms]
            tr = _ratio_stats(secs, [m["seconds"] for m in cb])
            if kind == "rust":
                peak = statistics.median(m["hwm_kb"] for m in ms)
                base = rres["rust_base_kb"]
            else:
                peak = statistics.median(m["peak_kb"] for m in ms)
                base = statistics.median(m["base_rss_kb"] for m in ms)
            deltas[kind] = [
                (
                    (m["hwm_kb"] if kind == "rust" else m["peak_kb"])
                    - (rres["rust_base_kb"] if kind == "rust" else m["base_rss_kb"])
                )
                for m in ms
            ]
            d = statistics.median(deltas[kind])
            dcb = statistics.median(deltas["cellboard"]) if "cellboard" in deltas else d
            print(
                f"{names[kind]:<34} | {statistics.median(secs):7.2f} {_fmt_ratio(tr):>19} | {_mb(peak):12.1f} "
                f"{_mb(base):11.1f} {_mb(d):9.1f} {d / dcb:10.2f}x | {ms[0]['count']:,}"
            )
        print(
            "  * baseline = RSS after imports (Python loaders) / VmHWM of a server on an empty logdir (Rust); "
            "delta = peak - baseline"
        )
        for kind, ms in res.items():  # cross-checks
            if kind == "rust":
                m = ms[0]
                print(
                    f"  rust: server's own load-cycle time (median) {statistics.median(x['internal_seconds'] for x in ms):.3f}s; "
                    f"fetching all {m['count']:,} points over gRPC took {statistics.median(x['read_seconds'] for x in ms):.2f}s; "
                    f"baseline VmHWM (empty logdir) {_mb(rres['rust_base_kb']):.1f} MiB; multi-threaded, no CRC by default"
                )
            else:
                worst = max(abs(m["peak_kb"] - m["hwm_kb"]) / m["hwm_kb"] for m in ms)
                print(
                    f"  {kind}: ru_maxrss vs /proc VmHWM differ by <= {worst * 100:.1f}%; "
                    f"ru_maxrss at worker start (inherited from the launcher) "
                    f"{_mb(statistics.median(m['start_maxrss_kb'] for m in ms)):.1f} MiB, after imports "
                    f"{_mb(statistics.median(m['base_maxrss_kb'] for m in ms)):.1f} MiB"
                )
        ea = res["eventaccumulator"]
        t_ratio = _ratio_stats([m["seconds"] for m in ea], [m["seconds"] for m in cb])
        mem_frac = statistics.median(deltas["cellboard"]) / statistics.median(deltas["eventaccumulator"])
        md.append(
            (
                f"`cellboard.load` {exp:,} scalars: time",
                f"{t_ratio[0]:.1f}x faster than EventAccumulator",
                "",
                f">= {LOAD_TIME_TARGET:g}x",
                "met" if t_ratio[0] >= LOAD_TIME_TARGET else "MISSED",
            )
        )
        md.append(
            (
                f"`cellboard.load` {exp:,} scalars: peak memory over post-import RSS",
                f"{mem_frac:.2f}x of EventAccumulator's "
                f"({_mb(statistics.median(deltas['cellboard'])):.0f} vs "
                f"{_mb(statistics.median(deltas['eventaccumulator'])):.0f} MiB)",
                "",
                f"<= {LOAD_MEM_TARGET:g}x",
                "met" if mem_frac <= LOAD_MEM_TARGET else "MISSED",
            )
        )
        if "rust" in res:
            rr = _ratio_stats([m["seconds"] for m in res["rust"]], [m["seconds"] for m in cb])
            md.append(
                (
                    f"vs TensorBoard's Rust data server, {exp:,} scalars: time",
                    f"rustboard takes {rr[0]:.2f}x cellboard's time",
                    "",
                    "(info)",
                    "",
                )
            )
        elif rres.get("rust_binary") is None:
            md.append(("vs TensorBoard's Rust data server", "not run (tensorboard-data-server missing)", "", "", ""))

    if md:
        print("\n== Markdown (paste into README.md) ==")
        import tensorboard
        import tensorboardX
        import torch

        print(
            f"\n<!-- benchmarks/bench_io.py{' --quick' if quick else ''}: Python {platform.python_version()}, "
            f"torch {torch.__version__}, tensorboard {tensorboard.__version__}, tensorboardX "
            f"{tensorboardX.__version__}, {os.cpu_count()} CPUs; medians of {reps} interleaved runs -->"
        )
        print("| Benchmark | cellboard vs torch `SummaryWriter` | vs tensorboardX | Target | |")
        print("|---|---|---|---|---|")
        for row in md:
            print("| " + " | ".join(row) + " |")


# --------------------------------------------------------------------------- profiling helper


def profile_case(case: str, sizes: dict) -> None:
    """cProfile cellboard alone on one case (writer case name, or "load")."""
    import cProfile
    import pstats

    import cellboard

    root = tempfile.mkdtemp(prefix="cb_prof_")
    try:
        prof = cProfile.Profile()
        if case == "load":
            logdir = os.path.join(root, "logs")
            build_logdir(logdir, sizes)
            prof.enable()
            t0 = time.perf_counter()
            cellboard.load(logdir)
            dt = time.perf_counter() - t0
            prof.disable()
        else:
            calls = make_inputs(sizes)[case]
            gc.collect()
            prof.enable()
            dt = _run_calls(cellboard.SummaryWriter, case, calls, os.path.join(root, "w"), collect=False)
            prof.disable()
        print(f"{case}: {dt:.3f}s under cProfile")
        st = pstats.Stats(prof)
        st.sort_stats("tottime").print_stats(18)
        st.sort_stats("cumulative").print_stats(18)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- main


def package_dir() -> str:
    """cellboard's source directory, found without importing it."""
    import importlib.util

    return os.path.abspath(importlib.util.find_spec("cellboard").submodule_search_locations[0])


def freeze_package() -> tuple[str, str]:
    """Copy cellboard's sources to a temp dir and import them from there (here and in the workers).

    Guards against the package being edited while the benchmark runs. Returns (temp root, live dir).
    """
    live = package_dir()
    root = tempfile.mkdtemp(prefix="cb_frozen_")
    shutil.copytree(live, os.path.join(root, "cellboard"), ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, root)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    return root, live


def package_digest(pkg: str | None = None) -> str:
    """Hash of cellboard's sources, to notice the package being edited while the benchmark runs."""
    import hashlib

    pkg = pkg or package_dir()
    h = hashlib.sha1()
    for d, _, fs in sorted(os.walk(pkg)):
        for f in sorted(fs):
            if f.endswith(".py"):
                with open(os.path.join(d, f), "rb") as fh:
                    h.update(f.encode() + b"\0" + fh.read())
    return h.hexdigest()[:12]


def code_version(pkg: str) -> str:
    """Which cellboard is measured: commit, plus the package files that differ from it."""
    import cellboard

    try:
        git = ["git", "-C", pkg]
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "."], capture_output=True, text=True, timeout=10
        ).stdout.split("\n")
        dirty = [line[3:].rsplit("/", 1)[-1] for line in dirty if line.strip()]
    except (OSError, subprocess.SubprocessError):
        return f"cellboard {cellboard.__version__} at {pkg}"
    return f"cellboard {cellboard.__version__} @ {head or '?'}" + (
        f" + uncommitted changes in {', '.join(dirty)}" if dirty else ""
    )


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "--_worker":
        _worker(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) >= 2 and sys.argv[1] == "--_media_worker":
        _media_worker(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="scale every count down 20x (CI smoke, < 1 min)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions per measurement (median reported)")
    ap.add_argument("--only", choices=["writers", "reader", "big-histograms"], help="run one part only")
    ap.add_argument(
        "--hist-1e8",
        action="store_true",
        help="also time add_histogram of 1e8 values (~2 min and ~3 GiB on 2 cores, torch's share)",
    )
    ap.add_argument("--no-rust", action="store_true", help="skip TensorBoard's Rust data server")
    ap.add_argument("--profile", choices=[*TARGETS, "load"], help="cProfile cellboard on one case and exit")
    ap.add_argument(
        "--freeze",
        action="store_true",
        help="measure a copy of cellboard's sources taken at start (if they are being edited meanwhile)",
    )
    args = ap.parse_args()
    frozen_root, live = freeze_package() if args.freeze else (None, package_dir())
    try:
        _main(args, live)
    finally:
        if frozen_root:
            shutil.rmtree(frozen_root, ignore_errors=True)


def _main(args, live: str) -> None:
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    sizes = QUICK if args.quick else FULL
    if args.profile:
        profile_case(args.profile, sizes)
        return
    t0 = time.perf_counter()
    print(
        f"bench_io{' --quick' if args.quick else ''}: sizes {sizes}, reps {args.reps}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        flush=True,
    )
    import cellboard

    measured = os.path.dirname(os.path.abspath(cellboard.__file__))
    digest = package_digest(live)
    print(
        f"measuring {code_version(live)} (sources sha1 {digest})"
        + (f"\n  frozen copy at start, imported from {measured}" if measured != live else ""),
        flush=True,
    )
    wres = rres = mres = None
    if args.only in (None, "writers"):
        print("\n-- writers (each: new writer on a fresh temp dir, all calls, close()) --", flush=True)
        wres = bench_writers(sizes, args.reps, sys.stdout)
    hres = None
    if args.only in (None, "big-histograms"):
        print("\n-- big histograms (one add_histogram + flush per call) --", flush=True)
        hres = bench_big_histograms(
            [10**6] if args.quick else [10**7] + ([10**8] if args.hist_1e8 else []), args.reps, sys.stdout
        )
    if args.only in (None, "reader"):
        print("\n-- reader --", flush=True)
        rres = bench_reader(sizes, args.reps, not args.no_rust, sys.stdout)
        print("\n-- reader: histograms and images --", flush=True)
        mres = bench_media_reader(MEDIA_QUICK if args.quick else MEDIA_FULL, args.reps, sys.stdout)
    report(wres, rres, sizes, args.quick, args.reps)
    if mres:
        report_media(mres)
    if hres:
        report_big_histograms(hres)
    if package_digest(live) != digest:
        print(
            "\nNOTE: cellboard's sources changed while the benchmark ran; the frozen copy was measured."
            if measured != live
            else "\nWARNING: cellboard's sources changed while the benchmark ran; results mix two versions "
            "(use --freeze)."
        )
    print(f"\n(total wall time {time.perf_counter() - t0:.0f}s)")


if __name__ == "__main__":
    main()
