"""GPU training-loop benchmark: no logging vs torch's SummaryWriter vs cellboard's.

    .venv/bin/python benchmarks/bench_gpu.py [--steps 500] [--reps 3]
    .venv/bin/python benchmarks/bench_gpu.py --device cpu --steps 2 --reps 1 --width 64 --size 100000  # smoke

On a lent GPU machine, run benchmarks/gpu_check.sh instead: the GPU tests, then this.

Cases (a small MLP trained with Adam on random data, ~3-4 ms a step on a big GPU):
  * loss logged every step as a CUDA tensor (``add_scalar("loss", loss, step)``);
  * that plus every parameter's histogram every 50 steps;
  * one ``add_histogram`` of a 50M-element CUDA tensor (cellboard: until the record is written).
Prints step-time ratios against the loop without logging (median of interleaved reps [min-max])
and whether issue 13's targets are met. Without a CUDA device it prints why and exits 0
(``--device cpu`` runs the same code on the CPU: a smoke test of the script, not a figure).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time


def ratio_line(name: str, base: list[float], other: list[float]) -> str:
    """``name: median x [min-max]`` of per-repetition ratios other/base."""
    rs = sorted(o / b for o, b in zip(other, base))
    return f"{name:<44} {statistics.median(rs):6.3f}x [{rs[0]:.3f}-{rs[-1]:.3f}]"


def gpu_available() -> tuple[bool, str]:
    try:
        import torch
    except ImportError:
        return False, "torch is not installed"
    if not torch.cuda.is_available():
        return False, "no CUDA device (torch.cuda.is_available() is False)"
    return True, torch.cuda.get_device_name(0)


# issue 13's targets: a 50M-element histogram at least 50x torch's speed; histograms of every
# parameter every 50 steps adding at most 20% to the step; a loss logged every step at most 1%
TARGET_BIG_SPEEDUP = 50.0
TARGET_HIST_OVERHEAD = 1.20
TARGET_LOSS_OVERHEAD = 1.01


def synchronize(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def train_loop(writer_cls, steps: int, hist_every: int | None, device: str = "cuda", width: int = 4096) -> float:
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(1024, width),
        torch.nn.ReLU(),
        torch.nn.Linear(width, width),
        torch.nn.ReLU(),
        torch.nn.Linear(width, 10),
    ).to(device)
    opt = torch.optim.Adam(model.parameters(), 1e-4)
    x = torch.randn(512, 1024, device=device)
    y = torch.randint(0, 10, (512,), device=device)
    w = writer_cls(tempfile.mkdtemp()) if writer_cls else None
    synchronize(device)
    t0 = time.perf_counter()
    for step in range(steps):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if w is not None:
            w.add_scalar("loss", loss.detach(), step)
            if hist_every and step % hist_every == 0:
                for name, p in model.named_parameters():
                    w.add_histogram(name, p.detach(), step)
    synchronize(device)
    dt = (time.perf_counter() - t0) / steps
    if w is not None:
        w.close()
    return dt


def big_histogram(writer_cls, n: int = 50_000_000, device: str = "cuda") -> float:
    import torch

    t = torch.randn(n, device=device)
    w = writer_cls(tempfile.mkdtemp())
    w.add_histogram("warm", t[:1000], 0)
    w.flush()
    synchronize(device)
    t0 = time.perf_counter()
    w.add_histogram("big", t, 1)
    w.flush()  # cellboard: waits for the device's counts, so the whole cost is measured
    dt = time.perf_counter() - t0
    w.close()
    return dt


def per_call_costs(libs: dict, device: str, width: int, calls: int = 2000) -> None:
    """What one call costs the caller (host time), outside a training loop: ``add_scalar`` of a
    device scalar, and ``add_histogram`` of each of the MLP's parameters, with the device time
    of the latter (CUDA events around the calls)."""
    import torch

    loss = torch.tensor(2.5, device=device)
    model = torch.nn.Sequential(
        torch.nn.Linear(1024, width), torch.nn.ReLU(), torch.nn.Linear(width, width), torch.nn.Linear(width, 10)
    ).to(device)
    params = [p.detach() for p in model.parameters()]
    n_values = sum(p.numel() for p in params)
    for k in ("torch", "cellboard"):
        w = libs[k](tempfile.mkdtemp())
        for i in range(100):  # warm-up: tag checks, pinned buffers, kernels
            w.add_scalar("loss", loss, i)
        w.flush()
        synchronize(device)
        t0 = time.perf_counter()
        for i in range(calls):
            w.add_scalar("loss", loss, 100 + i)
        scalar_us = (time.perf_counter() - t0) / calls * 1e6
        w.flush()
        for p in params:
            w.add_histogram("warm", p, 0)
        w.flush()
        synchronize(device)
        start = end = None
        if device.startswith("cuda"):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
        t0 = time.perf_counter()
        for j, p in enumerate(params):
            w.add_histogram(f"p{j}", p, 1)
        host_ms = (time.perf_counter() - t0) * 1e3
        if end is not None:
            end.record()
            end.synchronize()
            dev = f", device {start.elapsed_time(end):.2f} ms"
        else:
            dev = ""
        w.close()
        print(
            f"  {k:<9} add_scalar(device scalar): {scalar_us:6.1f} us a call; add_histogram of "
            f"{len(params)} parameters ({n_values / 1e6:.1f}M values): host {host_ms:.2f} ms{dev}"
        )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--device", default="cuda", help="cuda (the figures) or cpu (a smoke test of this script)")
    ap.add_argument("--width", type=int, default=4096, help="the MLP's hidden width")
    ap.add_argument("--size", type=int, default=50_000_000, help="elements of the one big histogram")
    args = ap.parse_args(argv)
    if args.device.startswith("cuda"):
        ok, why = gpu_available()
        if not ok:
            print(f"bench_gpu: skipped: {why}. Run it on a machine with an NVIDIA GPU.")
            return 0
    else:
        why = f"{args.device} (a smoke test: not figures to quote)"
    import torch.utils.tensorboard

    import cellboard

    libs = {"none": None, "torch": torch.utils.tensorboard.SummaryWriter, "cellboard": cellboard.SummaryWriter}
    print(f"bench_gpu on {why}: {args.steps} steps x {args.reps} interleaved reps")
    train_loop(None, max(2, args.steps // 10), None, args.device, args.width)  # warm-up: context, kernels, clocks
    verdicts = []
    cases = (
        ("loss every step", None, TARGET_LOSS_OVERHEAD),
        ("+ every parameter's histogram / 50 steps", 50, TARGET_HIST_OVERHEAD),
    )
    for label, hist_every, target in cases:
        times: dict[str, list[float]] = {k: [] for k in libs}
        for r in range(args.reps):
            order = list(libs)[r % 3 :] + list(libs)[: r % 3]
            for k in order:
                times[k].append(train_loop(libs[k], args.steps, hist_every, args.device, args.width))
        print(f"{label}: step without logging {statistics.median(times['none']) * 1e3:.2f} ms")
        for k in ("torch", "cellboard"):
            print("  " + ratio_line(f"{k} / no logging", times["none"], times[k]))
        got = statistics.median(c / b for c, b in zip(times["cellboard"], times["none"]))
        verdicts.append((f"{label}: cellboard at most {target:.2f}x the step", got <= target, f"{got:.3f}x"))
    bt: dict[str, list[float]] = {k: [] for k in ("torch", "cellboard")}
    for r in range(args.reps):
        for k in ("torch", "cellboard") if r % 2 == 0 else ("cellboard", "torch"):
            bt[k].append(big_histogram(libs[k], args.size, args.device))
    print(
        f"add_histogram of a {args.size:,}-element {args.device} tensor: torch {statistics.median(bt['torch']):.3f}s, "
        f"cellboard {statistics.median(bt['cellboard']):.3f}s"
    )
    print("  " + ratio_line("torch / cellboard (speed-up)", bt["cellboard"], bt["torch"]))
    speedup = statistics.median(t / c for t, c in zip(bt["torch"], bt["cellboard"]))
    verdicts.append(
        (f"big histogram: at least {TARGET_BIG_SPEEDUP:g}x torch", speedup >= TARGET_BIG_SPEEDUP, f"{speedup:.1f}x")
    )
    print("per call, outside the loop:")
    per_call_costs(libs, args.device, args.width)
    print("targets (issue 13):")
    for what, met, got in verdicts:
        print(f"  {what}: {got} -> {'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
