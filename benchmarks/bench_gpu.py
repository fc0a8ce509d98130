"""GPU training-loop benchmark: no logging vs torch's SummaryWriter vs cellboard's.

    .venv/bin/python benchmarks/bench_gpu.py [--steps 500] [--reps 3]

Cases (a small MLP trained with Adam on random data, ~3-4 ms a step on a big GPU):
  * loss logged every step as a CUDA tensor (``add_scalar("loss", loss, step)``);
  * that plus every parameter's histogram every 50 steps;
  * one ``add_histogram`` of a 50M-element CUDA tensor (cellboard: until the record is written).
Prints step-time ratios against the loop without logging (median of interleaved reps [min-max]).
Without a CUDA device it prints why and exits 0.
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


def train_loop(writer_cls, steps: int, hist_every: int | None, device="cuda") -> float:
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(1024, 4096),
        torch.nn.ReLU(),
        torch.nn.Linear(4096, 4096),
        torch.nn.ReLU(),
        torch.nn.Linear(4096, 10),
    ).to(device)
    opt = torch.optim.Adam(model.parameters(), 1e-4)
    x = torch.randn(512, 1024, device=device)
    y = torch.randint(0, 10, (512,), device=device)
    w = writer_cls(tempfile.mkdtemp()) if writer_cls else None
    torch.cuda.synchronize()
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
    torch.cuda.synchronize()
    dt = (time.perf_counter() - t0) / steps
    if w is not None:
        w.close()
    return dt


def big_histogram(writer_cls, n: int = 50_000_000) -> float:
    import torch

    t = torch.randn(n, device="cuda")
    w = writer_cls(tempfile.mkdtemp())
    w.add_histogram("warm", t[:1000], 0)
    w.flush()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    w.add_histogram("big", t, 1)
    w.flush()  # cellboard: waits for the device's counts, so the whole cost is measured
    dt = time.perf_counter() - t0
    w.close()
    return dt


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args(argv)
    ok, why = gpu_available()
    if not ok:
        print(f"bench_gpu: skipped: {why}. Run it on a machine with an NVIDIA GPU.")
        return 0
    import torch.utils.tensorboard

    import cellboard

    libs = {"none": None, "torch": torch.utils.tensorboard.SummaryWriter, "cellboard": cellboard.SummaryWriter}
    print(f"bench_gpu on {why}: {args.steps} steps x {args.reps} interleaved reps")
    for label, hist_every in (("loss every step", None), ("+ every parameter's histogram / 50 steps", 50)):
        times = {k: [] for k in libs}
        for r in range(args.reps):
            order = list(libs)[r % 3 :] + list(libs)[: r % 3]
            for k in order:
                times[k].append(train_loop(libs[k], args.steps, hist_every))
        print(f"{label}: step without logging {statistics.median(times['none']) * 1e3:.2f} ms")
        for k in ("torch", "cellboard"):
            print("  " + ratio_line(f"{k} / no logging", times["none"], times[k]))
    bt = {k: [big_histogram(libs[k]) for _ in range(args.reps)] for k in ("torch", "cellboard")}
    print(
        f"add_histogram of a 50M-element CUDA tensor: torch {statistics.median(bt['torch']):.3f}s, "
        f"cellboard {statistics.median(bt['cellboard']):.3f}s"
    )
    print("  " + ratio_line("torch / cellboard (speed-up)", bt["cellboard"], bt["torch"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
