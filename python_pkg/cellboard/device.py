"""Values on an accelerator, logged without waiting for it.

A loss on a CUDA device is copied back with a non-blocking copy into pinned memory and read once
that copy is done; a histogram of a device tensor is counted there with torch operations (the
same table lookup as ``binning.tf_counts``) and only its counts and statistics travel. The same
code runs on CPU tensors, which is how the tests check it against the numpy path.
"""

from __future__ import annotations

import math
from contextlib import nullcontext
from functools import lru_cache

import numpy as np

from .binning import Histogram, finish_histogram, tensorflow_bins, tf_tables
from .summaries import is_torch_tensor


def is_device_tensor(value) -> bool:
    """A torch tensor on an accelerator (bucketed there, read back later without a sync)."""
    return is_torch_tensor(value) and value.device.type not in ("cpu", "meta", "mps")  # MPS has no float64


class DeviceResult:
    """A small tensor copied to the host without waiting for the device.

    CUDA: a non-blocking copy into pinned memory and an event recorded after it; ``ready()``
    asks the event (no sync), ``get()`` waits for that event only. CPU tensors are ready at
    once; other accelerators are copied (synchronously) when read.
    """

    __slots__ = ("event", "host", "src")

    def __init__(self, src) -> None:
        self.src, self.host, self.event = src, None, None
        if src.is_cuda:
            import torch

            self.host = torch.empty(src.shape, dtype=src.dtype, pin_memory=True)
            self.host.copy_(src, non_blocking=True)
            self.event = torch.cuda.Event()
            self.event.record(torch.cuda.current_stream(src.device))
        elif src.is_cpu:
            self.host = src

    def ready(self) -> bool:
        return self.event is None or bool(self.event.query())

    def get(self) -> np.ndarray:
        if self.event is not None:
            self.event.synchronize()  # this copy only, not the whole device
            self.event = None
        elif self.host is None:
            self.host = self.src.cpu()
        self.src = None
        assert self.host is not None  # set above, or in __init__ when a CUDA copy was started
        return self.host.numpy()


class DeferredScalar:
    """One value of a batch of device scalars copied back together (see ``launch_scalars``)."""

    __slots__ = ("index", "result")

    def __init__(self, result: DeviceResult, index: int) -> None:
        self.result, self.index = result, index

    def ready(self) -> bool:
        return self.result.ready()

    def value(self) -> float:
        return float(self.result.get()[self.index])


def _by_stream(values: list, ids) -> dict:
    """``{(device, stream): [index, ...]}``: the scalars of ``ids`` grouped by where they were
    cloned. ``stream`` is None for a device's default stream (``scalar_value`` notes others)."""
    groups: dict = {}
    for i in ids:
        v = values[i]
        groups.setdefault((v.device, getattr(v, "_cellboard_stream", None)), []).append(i)
    return groups


def _on_stream(stream):
    """Run on the stream a scalar was cloned on (after that clone; no context for the default)."""
    if stream is None:
        return nullcontext()
    import torch

    return torch.cuda.stream(stream)


def launch_scalars(values: list) -> list:
    """Start the device-to-host copies of deferred scalar tensors (one stacked copy per device
    and stream), without waiting; returns the ``DeferredScalar`` of each, in order."""
    import torch

    out = list(values)
    for (_, stream), ids in _by_stream(values, range(len(values))).items():
        with _on_stream(stream):
            res = DeviceResult(torch.stack([values[i] for i in ids]).to(torch.float64))
        for j, i in enumerate(ids):
            out[i] = DeferredScalar(res, j)
    return out


class DeferredHistogram:
    """A "tensorflow"-bins histogram computed on the device: counts and stats read when ready."""

    __slots__ = ("max_bins", "result")

    def __init__(self, result: DeviceResult, max_bins: int | None) -> None:
        self.result, self.max_bins = result, max_bins

    def ready(self) -> bool:
        return self.result.ready()

    def resolve(self) -> Histogram | None:
        """The histogram, or None if no value was finite (known only once read back)."""
        a = self.result.get()
        mn, mx, num, total, sq = (float(x) for x in a[:5])
        if num == 0:
            return None
        return finish_histogram(a[5:], tensorflow_bins(), self.max_bins, mn, mx, num, total, sq)


@lru_cache(maxsize=8)
def _tf_tables_torch(device, fmt: str):
    import torch

    base, thr = tf_tables(fmt)
    return torch.from_numpy(base.copy()).to(device), torch.from_numpy(thr.copy()).to(device)


_TORCH_CHUNK = 1 << 24  # bounds the device temporaries (~0.5 GiB at 16M values); histc counts it exactly


def tf_histogram_torch(values, max_bins: int | None = None) -> DeferredHistogram:
    """The "tensorflow" histogram of a torch tensor, with torch ops on its device (the same
    table lookup as ``tf_counts``); only counts and stats travel, copied without a sync."""
    import torch

    t = values.detach().reshape(-1)
    if t.numel() == 0:
        raise ValueError("values must contain at least one finite number")
    if t.is_complex():
        t = t.real
    f4 = t.dtype in (torch.float32, torch.float16, torch.bfloat16)  # float16/bfloat16: exact in float32
    work, itype, shift = (torch.float32, torch.int32, 16) if f4 else (torch.float64, torch.int64, 48)
    base, thr = _tf_tables_torch(t.device, "f4" if f4 else "f8")
    nb = len(tensorflow_bins()) - 1
    counts = torch.zeros(nb + 2, dtype=torch.int64, device=t.device)
    one = torch.ones(1, dtype=torch.int64, device=t.device)
    # histc counts in per-block (shared) memory on CUDA, where scatter_add_'s atomics pile up on
    # the few buckets that hold most values; with min and max given it does not sync. It has no
    # deterministic CUDA kernel: scatter_add_ (deterministic for 1-D) when those are asked for,
    # and on other accelerators, which may lack histc (CPU: the tests run this path there).
    use_histc = t.device.type in ("cuda", "cpu") and not torch.are_deterministic_algorithms_enabled()
    mins, maxs, nums, sums, sqs = [], [], [], [], []
    for c in t.split(_TORCH_CHUNK):
        c = c.to(work)
        key = (c.view(itype) >> shift) & 0xFFFF
        idx = base[key] + (c >= thr[key])  # NaN thresholds compare False
        if use_histc:
            # bins of width 1 over the integer indices: exact (a chunk of at most 2**24 values
            # is counted exactly in float32; indices < nb + 2 never reach the top edge)
            counts += torch.histc(idx.to(torch.float32), bins=nb + 2, min=0, max=nb + 2).to(torch.int64)
        else:
            counts.scatter_add_(0, idx, one.expand(idx.numel()))  # no sync (bincount reads its max)
        fin = torch.isfinite(c)
        c64 = torch.where(fin, c, 0).to(torch.float64)
        sums.append(c64.sum())
        sqs.append(torch.dot(c64, c64))
        nums.append(fin.sum())
        mins.append(torch.where(fin, c, math.inf).amin())
        maxs.append(torch.where(fin, c, -math.inf).amax())
    stats = torch.stack(
        [
            torch.stack(mins).amin().to(torch.float64),
            torch.stack(maxs).amax().to(torch.float64),
            torch.stack(nums).sum().to(torch.float64),
            torch.stack(sums).sum(),
            torch.stack(sqs).sum(),
        ]
    )
    return DeferredHistogram(DeviceResult(torch.cat([stats, counts[1 : nb + 1].to(torch.float64)])), max_bins)


def resolve_deferred(values: list) -> list[float]:
    """Convert the accelerator tensors ``scalar_value`` deferred, with one sync for all."""
    idx = [i for i, v in enumerate(values) if type(v) is not float]
    if not idx:
        return values
    for i in idx:
        if isinstance(values[i], DeferredScalar):  # copied back already (waits for that copy only)
            values[i] = values[i].value()
    idx = [i for i in idx if type(values[i]) is not float]
    if not idx:
        return values
    import torch

    for (_, stream), ids in _by_stream(values, idx).items():
        with _on_stream(stream):
            host = torch.stack([values[i] for i in ids]).to(torch.float64).cpu().tolist()
        for i, v in zip(ids, host):
            values[i] = v
    return values
