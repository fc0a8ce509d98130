"""The O(n) "tensorflow" histogram (numpy) and the device path (torch ops, run here on CPU tensors)
give exactly the counts of the reference binning, ``np.histogram(finite float64, tensorflow_bins())``."""

import os
import warnings

import numpy as np
import pytest
from _kernels import set_kernels, use_kernels

import cellboard
from cellboard import binning, device, kernels
from cellboard import summaries as S

torch = pytest.importorskip("torch")
EDGES = binning.tensorflow_bins()


def reference(values):
    """What add_histogram computed before the fast path: counts over the TF edges, and the stats."""
    f = np.asarray(values).astype(np.float64).ravel()
    f = f[np.isfinite(f)]
    return np.histogram(f, EDGES)[0], f


@np.errstate(over="ignore")
def adversarial(dtype, n=200_000, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * 10.0 ** rng.uniform(-14, 21, n)).astype(dtype)
    info = np.finfo(dtype)
    e = EDGES.astype(dtype)
    e = e[np.isfinite(e)]
    near = np.concatenate([e, np.nextafter(e, dtype(np.inf)), np.nextafter(e, dtype(-np.inf))])
    specials = np.array(
        [
            0.0,
            -0.0,
            np.inf,
            -np.inf,
            np.nan,
            -np.nan,
            info.max,
            -info.max,
            info.tiny,
            -info.tiny,
            info.smallest_subnormal,
            -info.smallest_subnormal,
            1e-12,
            -1e-12,
        ],
        dtype,
    )
    k = min(n // 2, near.size)
    x[:k] = rng.choice(near, k)
    x[k : k + specials.size] = specials
    rng.shuffle(x)
    return x


def _assert_sums_close(got, want, rel: float = 1e-9) -> None:
    """Sums in float64 in another order are equal up to rounding: the adversarial values hold +-max
    (they cancel), so the sum's rounding is relative to the sum of magnitudes, not to the sum
    (numpy 1.24's and 2's own summations differ by 5e21 here); sums of squares are all positive."""
    scale = abs(want.max) + abs(want.min)  # the largest magnitudes, which set the rounding
    assert got.sum == pytest.approx(want.sum, rel=rel, abs=1e-12 * scale * want.num)
    assert got.sum_squares == pytest.approx(want.sum_squares, rel=rel)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_counts_equal_reference_on_edges_and_specials(dtype):
    x = adversarial(dtype)
    counts, mn, mx, num, total, sq = binning.tf_counts(x)
    ref, f = reference(x)
    assert np.array_equal(counts, ref)
    assert (mn, mx, num) == (f.min(), f.max(), f.size)
    with np.errstate(over="ignore"):  # the reference's own sums of |x| and x*x overflow to inf here
        # float64 sums in another order: equal up to rounding (+-max cancel each other here)
        assert total == pytest.approx(f.sum(), rel=1e-9, abs=1e-12 * np.abs(f).sum())
        assert sq == pytest.approx(f.dot(f), rel=1e-9)


def test_every_edge_and_its_neighbours_float64():
    e = EDGES
    x = np.concatenate([e, np.nextafter(e, np.inf), np.nextafter(e, -np.inf), [0.0, -0.0]])
    assert np.array_equal(binning.tf_counts(x)[0], reference(x)[0])
    e32 = EDGES.astype(np.float32)
    x32 = np.concatenate([e32, np.nextafter(e32, np.float32(np.inf)), np.nextafter(e32, np.float32(-np.inf))])
    assert np.array_equal(binning.tf_counts(x32)[0], reference(x32)[0])


@pytest.mark.parametrize(
    "values",
    [
        np.arange(-1000, 1000, dtype=np.int64),
        np.array([2**62, -(2**62), 3, 0], np.int64),
        np.arange(300, dtype=np.uint8),
        np.array([True, False, True]),
        np.array([1e30, -1e30, 5.0], np.float32),
        np.array([np.nan, 1.0], np.float32),
        np.array([-3.0 + 1j, 2.0], np.complex64)[:1].real,
        np.ones((3, 4, 5), np.float32)[:, ::2],  # non-contiguous
        np.array([1.0, -2.0, 3.0], ">f4"),
        np.array([1.0, -2.0, 3.0], ">f8"),  # non-native byte order
    ],
)
def test_other_dtypes_and_layouts(values):
    counts, mn, mx, num, _, _ = binning.tf_counts(np.asarray(values).ravel())
    ref, f = reference(values)
    assert np.array_equal(counts, ref) and num == f.size and (mn, mx) == (f.min(), f.max())


def test_chunk_boundaries(monkeypatch):
    x = adversarial(np.float32, n=50_001, seed=3)
    monkeypatch.setattr(binning, "_CHUNK", 997)  # many chunks, some all-NaN/inf, a short last one
    x[:997] = np.nan
    got = binning.tf_counts(x)
    ref, f = reference(x)
    assert np.array_equal(got[0], ref) and got[3] == f.size


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int64, "strided"])
def test_chunks_in_parallel_parts(monkeypatch, dtype):
    """Other dtypes than float32 (and strided float32) are counted in parallel parts too."""
    monkeypatch.setattr(binning, "_CHUNK", 997)
    monkeypatch.setattr(binning, "_PARALLEL_MIN", 1 << 14)
    monkeypatch.setattr(binning, "HISTOGRAM_THREADS", 3)
    if dtype == "strided":
        x = adversarial(np.float32, n=100_002, seed=5)[::2]
    elif dtype == np.int64:
        x = np.random.default_rng(5).integers(-(2**40), 2**40, 50_001) >> np.arange(50_001) % 41
    else:
        x = adversarial(dtype, n=50_001, seed=5)
    parts = []
    real = binning._chunk_counts
    monkeypatch.setattr(binning, "_chunk_counts", lambda part, *a: parts.append(part.size) or real(part, *a))
    counts, mn, mx, num, total, sq = binning.tf_counts(x)
    ref, f = reference(x)
    assert len(parts) == 3 and sum(parts) == x.size
    assert np.array_equal(counts, ref) and (mn, mx, num) == (f.min(), f.max(), f.size)
    with np.errstate(over="ignore"):
        assert total == pytest.approx(f.sum(), rel=1e-9, abs=1e-12 * np.abs(f).sum())
        assert sq == pytest.approx(f.dot(f), rel=1e-9)


def test_no_finite_values():
    counts, *_, num, _total, _sq = binning.tf_counts(np.array([np.nan, np.inf], np.float32))
    assert num == 0 and counts.sum() == 0
    with pytest.raises(ValueError, match="at least one finite"):
        binning.histogram(np.array([np.nan, -np.inf]))
    with pytest.raises(ValueError, match="at least one finite"):
        binning.histogram(np.zeros(0, np.float32))


@np.errstate(over="ignore")
def _old_histogram(values, max_bins=None):
    ref, f = reference(values)
    return binning.finish_histogram(ref, EDGES, max_bins, f.min(), f.max(), f.size, f.sum(), f.dot(f))


@pytest.mark.parametrize("max_bins", [None, 7, 100])
def test_histogram_proto_matches_reference(max_bins):
    x = adversarial(np.float32, n=20_000, seed=5)
    got, want = binning.histogram(x, max_bins=max_bins), _old_histogram(x, max_bins)
    assert np.array_equal(got.limits, want.limits) and np.array_equal(got.counts, want.counts)
    assert (got.min, got.max, got.num) == (want.min, want.max, want.num)
    _assert_sums_close(got, want)


# ------------------------------------------------------------------ the device path, on CPU tensors


@pytest.mark.parametrize(
    "dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int32, torch.bool]
)
def test_torch_path_equals_numpy_path(dtype, monkeypatch):
    monkeypatch.setattr(device, "_TORCH_CHUNK", 4099)
    if dtype.is_floating_point:
        np_dtype = np.float64 if dtype == torch.float64 else np.float32
        t = torch.from_numpy(adversarial(np_dtype, n=30_000, seed=7)).to(dtype)
    else:
        t = torch.randint(-1000, 1000, (30_000,)).to(dtype)
    d = device.tf_histogram_torch(t)
    assert d.ready()
    got = d.resolve()
    want = _old_histogram(S.to_numpy(t, "values"))
    assert np.array_equal(got.limits, want.limits) and np.array_equal(got.counts, want.counts)
    assert (got.min, got.max, got.num) == (want.min, want.max, want.num)
    _assert_sums_close(got, want)


@pytest.mark.parametrize("deterministic", [False, True])  # histc, or scatter_add_ (deterministic)
def test_torch_path_counting_kernels_agree(deterministic, monkeypatch):
    monkeypatch.setattr(device, "_TORCH_CHUNK", 5003)
    t = torch.from_numpy(adversarial(np.float32, n=40_000, seed=21))
    was = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(deterministic)
    try:
        got = device.tf_histogram_torch(t).resolve()
    finally:
        torch.use_deterministic_algorithms(was)
    want = _old_histogram(t.numpy())
    assert np.array_equal(got.limits, want.limits) and np.array_equal(got.counts, want.counts)


# ------------------------------------------------------------------ on a real CUDA device
# Skipped here; benchmarks/gpu_check.sh runs them on a lent GPU machine.
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@needs_cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_cuda_tensors_give_the_reference_counts(dtype):
    np_dtype = np.float64 if dtype == torch.float64 else np.float32
    t = torch.from_numpy(adversarial(np_dtype, n=300_000, seed=11)).to(dtype)
    d = device.tf_histogram_torch(t.to("cuda"))
    got = d.resolve()  # waits for the device's event only
    want = _old_histogram(S.to_numpy(t, "values"))
    assert np.array_equal(got.limits, want.limits) and np.array_equal(got.counts, want.counts)
    assert (got.min, got.max, got.num) == (want.min, want.max, want.num)
    _assert_sums_close(got, want, rel=1e-6)


def _training_values_reach_the_file(tmp_path, device):
    """A training loop's values on `device`: written without a sync in the loop, each one in the
    file, the histograms as the same values logged from the CPU give them."""
    losses = torch.linspace(2.0, 0.5, 200, device=device)
    weights = torch.randn(1_000_000, device=device)
    with cellboard.SummaryWriter(tmp_path) as w:
        for step in range(200):
            w.add_scalar("loss", losses[step], step)
            if step % 50 == 0:
                w.add_histogram("weights", weights * (1 + step), step)
        w.add_histogram("weights_host", (weights * 51).cpu().numpy(), 50)
    logs = cellboard.load(tmp_path)
    run = logs.runs[0]
    assert logs.scalars(run, "loss").values.tolist() == pytest.approx(losses.cpu().tolist(), rel=1e-6)
    hists = logs.histograms(run, "weights")
    assert [h.step for h in hists] == [0, 50, 100, 150]
    (host,) = logs.histograms(run, "weights_host")
    assert np.array_equal(hists[1].edges, host.edges) and np.array_equal(hists[1].counts, host.counts)


@needs_cuda
def test_cuda_losses_and_histograms_reach_the_file(tmp_path):
    _training_values_reach_the_file(tmp_path, "cuda")


def test_cpu_tensor_losses_and_histograms_reach_the_file(tmp_path):
    _training_values_reach_the_file(tmp_path, "cpu")


def test_torch_path_all_nonfinite_resolves_to_none():
    assert device.tf_histogram_torch(torch.tensor([float("nan"), float("inf")])).resolve() is None
    with pytest.raises(ValueError, match="at least one finite"):
        device.tf_histogram_torch(torch.zeros(0))


class _Event:
    """A CUDA event stand-in: not done until told."""

    def __init__(self):
        self.done = False
        self.waited = 0

    def query(self):
        return self.done

    def synchronize(self):
        self.waited += 1
        self.done = True


def _as_device(monkeypatch, events):
    """Route CPU tensors through the device path, with mock events that complete when told."""
    monkeypatch.setattr(device, "is_device_tensor", lambda v: S.is_torch_tensor(v))
    real_init = device.DeviceResult.__init__

    def init(self, src):
        real_init(self, src)
        self.event = _Event()
        events.append(self.event)

    monkeypatch.setattr(device.DeviceResult, "__init__", init)


def test_writer_defers_device_histograms_until_ready(tmp_path, monkeypatch):
    events = []
    _as_device(monkeypatch, events)
    x = torch.from_numpy(adversarial(np.float32, n=10_000, seed=9))
    w = cellboard.SummaryWriter(tmp_path / "dev")
    w.add_histogram("h", x, 1)
    w.add_scalar("after", 2.0, 1)  # queued behind the histogram: stays in order
    w._drain()
    assert len(w._queue) == 2 and events and not any(e.waited for e in events)  # nothing waited
    events[0].done = True
    w._drain()
    assert not w._queue
    w.add_histogram("h", x, 2)
    w.add_histogram("nan", torch.tensor([float("nan")]), 2)
    with pytest.warns(RuntimeWarning, match="no finite value"):
        w.close()  # waits for what is still on the device
    ref = cellboard.SummaryWriter(tmp_path / "host")
    ref.add_histogram("h", x.numpy(), 1)
    ref.close()
    logs = cellboard.load(tmp_path)
    a, b = logs.histograms("dev", "h"), logs.histograms("host", "h")
    assert [r.step for r in a] == [1, 2]
    assert np.array_equal(a[0].edges, b[0].edges) and np.array_equal(a[0].counts, b[0].counts)
    assert logs.scalars("dev", "after").values.tolist() == [2.0]
    assert "nan" not in logs.tags("dev")["histograms"]


def test_deferred_scalars_are_copied_in_one_batch_and_read_when_ready():
    vals = [torch.tensor(1.5), torch.tensor(2.5, dtype=torch.float64), torch.tensor(3)]
    out = device.launch_scalars(vals)
    assert all(isinstance(v, device.DeferredScalar) for v in out) and out[0].result is out[2].result
    assert device.resolve_deferred(list(out)) == [1.5, 2.5, 3.0]


def test_writer_keeps_unready_scalars_queued(tmp_path, monkeypatch):
    events = []
    _as_device(monkeypatch, events)
    w = cellboard.SummaryWriter(tmp_path / "run")
    w._enqueue((0, "", "loss", torch.tensor(0.25), 1, 1.0, 0))  # what add_scalar queues for a CUDA loss
    w._drain()
    assert len(w._queue) == 1 and len(events) == 1
    w._drain()
    assert len(events) == 1  # launched once, not per drain
    w.flush()
    assert events[0].waited == 1 and not w._queue
    w.close()
    assert cellboard.load(tmp_path).scalars("run", "loss").values.tolist() == [0.25]


def test_bench_gpu_skips_cleanly_without_a_gpu_and_runs_on_the_cpu(capsys):
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "bench_gpu.py"
    spec = importlib.util.spec_from_file_location("bench_gpu", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.ratio_line("x", [1.0, 2.0, 4.0], [1.5, 2.0, 8.0]).split()[1:] == ["1.500x", "[1.000-2.000]"]
    if not torch.cuda.is_available():
        assert bench.main(["--steps", "1", "--reps", "1"]) == 0
        assert "skipped: no CUDA device" in capsys.readouterr().out
    # the whole script runs (on the CPU: the same code a GPU machine runs, at a toy size)
    assert bench.main(["--device", "cpu", "--steps", "2", "--reps", "2", "--width", "32", "--size", "20000"]) == 0
    out = capsys.readouterr().out
    assert "add_histogram of a 20,000-element cpu tensor" in out
    assert out.count(" -> met") + out.count(" -> MISSED") == 3, out
    assert out.count("add_scalar(device scalar)") == 2, out  # the per-call costs, torch's and cellboard's


# ------------------------------------------------------------------ float32: the cell-count path


@pytest.fixture(autouse=True, params=["add.at", "bincount", "torch"])
def numpy_counts(request, monkeypatch):
    """numpy counts every test's histograms unless it asks for the compiled kernel (``cell_path``):
    with ``np.add.at`` (numpy >= 1.25), with ``bincount`` (numpy 1.24), and with torch's
    ``scatter_add_`` (the count of big float32 arrays once torch is imported), each test each way."""
    use_kernels(monkeypatch, False)
    monkeypatch.setattr(binning, "_ADD_AT", request.param == "add.at")
    monkeypatch.setattr(binning, "_TORCH_COUNTS", request.param == "torch")


@pytest.fixture(params=["numpy", "numba"])
def cell_path(request, monkeypatch):
    """Each cell-path test runs twice: numpy's chunks, and the numba kernel (the ``fast`` extra)."""
    use_kernels(monkeypatch, request.param == "numba")
    return request.param


@pytest.fixture
def small_cells(monkeypatch, cell_path):
    """Small chunks and parallel parts: a test-sized array crosses every boundary of the cell path."""
    monkeypatch.setattr(binning, "_CELL_MIN", 1000)
    monkeypatch.setattr(binning, "_CELL_CHUNK", 4096)
    monkeypatch.setattr(binning, "_PARALLEL_MIN", 1 << 14)
    monkeypatch.setattr(binning, "HISTOGRAM_THREADS", 3)


def _spy_cell_path(monkeypatch) -> list:
    """Sizes of the arrays that the cell path (numpy's or the kernel's, whichever runs) counted."""
    calls = []
    for name in ("_tf_counts_f4", "_tf_counts_compiled"):
        real = getattr(binning, name)

        def spy(flat, *args, real=real):
            calls.append(flat.size)
            return real(flat, *args)

        monkeypatch.setattr(binning, name, spy)
    return calls


@np.errstate(over="ignore")
def _assert_like_reference(x, got):
    counts, mn, mx, num, total, sq = got
    ref, f = reference(x)
    assert np.array_equal(counts, ref)
    assert (mn, mx, num) == (f.min(), f.max(), f.size)
    # numpy: float32 sums per chunk (accumulated in float64), as torch sums in float32: relative
    # ~1e-6; the kernel sums in float64
    assert total == pytest.approx(f.sum(), rel=1e-5, abs=1e-6 * np.abs(f).sum())
    assert sq == pytest.approx(f.dot(f), rel=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cell_path_equals_reference_on_adversarial_float32(seed, small_cells, monkeypatch):
    calls = _spy_cell_path(monkeypatch)
    x = adversarial(np.float32, n=100_003, seed=seed)
    _assert_like_reference(x, binning.tf_counts(x))
    assert calls == [x.size]


def test_cell_path_every_edge_and_its_neighbours(small_cells, monkeypatch):
    calls = _spy_cell_path(monkeypatch)
    e32 = EDGES.astype(np.float32)
    near = np.concatenate([e32, np.nextafter(e32, np.float32(np.inf)), np.nextafter(e32, np.float32(-np.inf))])
    x = np.tile(np.concatenate([near, np.float32([0.0, -0.0])]), 8)
    np.random.default_rng(4).shuffle(x)
    assert np.array_equal(binning.tf_counts(x)[0], reference(x)[0]) and calls


def test_cell_path_keys_of_finite_chunks_are_exact(small_cells, monkeypatch):
    """Chunks without NaN or inf are counted by their keys (no chunk goes the general way): every
    edge whose square float32 holds, its neighbours, +-0 (-0.0 is the one value moved into another
    cell's key) and subnormals."""
    general = []
    real = binning._chunk_counts
    monkeypatch.setattr(binning, "_chunk_counts", lambda *a: general.append(a[0].size) or real(*a))
    calls = _spy_cell_path(monkeypatch)
    e32 = EDGES[np.abs(EDGES) <= 1e15].astype(np.float32)
    near = np.concatenate([e32, np.nextafter(e32, np.float32(np.inf)), np.nextafter(e32, np.float32(-np.inf))])
    info = np.finfo(np.float32)
    tiny = [info.tiny, -info.tiny, info.smallest_subnormal, -info.smallest_subnormal, 0.0, -0.0, -0.0]
    x = np.tile(np.concatenate([near, np.float32(tiny)]), 6)
    np.random.default_rng(14).shuffle(x)
    _assert_like_reference(x, binning.tf_counts(x))
    assert calls == [x.size] and general == []


@pytest.mark.parametrize("seed", [0, 1])
def test_float64_numpy_and_kernel_equal_reference(seed, small_cells, monkeypatch, cell_path):
    """float64 values: numpy's chunks, or the numba kernel (``counts_f8``) when it is there."""
    calls = _spy_cell_path(monkeypatch)
    e = EDGES
    edges = np.concatenate([e, np.nextafter(e, np.inf), np.nextafter(e, -np.inf), [0.0, -0.0]])
    x = np.concatenate([adversarial(np.float64, n=60_000, seed=seed), np.tile(edges, 2)])
    np.random.default_rng(seed).shuffle(x)
    counts, mn, mx, num, total, sq = binning.tf_counts(x)
    ref, f = reference(x)
    assert np.array_equal(counts, ref) and (mn, mx, num) == (f.min(), f.max(), f.size)
    assert calls == ([x.size] if cell_path == "numba" else [])
    with np.errstate(over="ignore"):
        assert total == pytest.approx(f.sum(), rel=1e-9, abs=1e-12 * np.abs(f).sum())
        assert sq == pytest.approx(f.dot(f), rel=1e-9)


def test_cell_path_chunks_with_nan_inf_overflow_and_underflow(small_cells):
    x = np.random.default_rng(6).standard_normal(60_000).astype(np.float32)
    x[:4096] = np.nan  # a whole chunk without a finite value
    x[5000:5010] = [np.inf, -np.inf, np.nan, np.inf, 1, 2, 3, -np.inf, np.nan, 0]
    x[9000:9100] = 3e38  # float32 sums overflow: summed again in float64
    x[12288:16384] = 1e-30  # a chunk of tiny values: float32 squares underflow
    x[16384:16400] = np.float32(1e-45)  # subnormals
    x[20480:24576] = 0.0  # a chunk of zeros: sums 0, nothing underflowed
    x[24576:24600] = -0.0
    _assert_like_reference(x, binning.tf_counts(x))


def test_cell_path_sums_of_ordinary_data(small_cells):
    x = (np.random.default_rng(8).standard_normal(300_000) * 3 + 1).astype(np.float32)
    *_, total, sq = binning.tf_counts(x)
    f = x.astype(np.float64)
    assert total == pytest.approx(f.sum(), rel=1e-6) and sq == pytest.approx(f.dot(f), rel=1e-6)


def test_cell_path_single_thread_equals_parallel(monkeypatch, small_cells):
    x = adversarial(np.float32, n=70_000, seed=11)
    par = binning.tf_counts(x)
    monkeypatch.setattr(binning, "HISTOGRAM_THREADS", 1)
    one = binning.tf_counts(x)
    assert np.array_equal(par[0], one[0]) and par[1:4] == one[1:4]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_torch_cpu_tensors_take_the_host_path_with_the_same_counts(dtype, small_cells):
    x = torch.from_numpy(adversarial(np.float32, n=50_000, seed=12)).to(dtype)
    got = binning.histogram(x)
    want = _old_histogram(S.to_numpy(x, "values"))
    assert np.array_equal(got.limits, want.limits) and np.array_equal(got.counts, want.counts)
    assert (got.min, got.max, got.num) == (want.min, want.max, want.num)


def test_cell_path_needs_no_float64_copy(monkeypatch, cell_path):
    import tracemalloc

    monkeypatch.setattr(binning, "HISTOGRAM_THREADS", 2)
    calls = _spy_cell_path(monkeypatch)
    x = np.random.default_rng(0).standard_normal(1 << 22, dtype=np.float32)  # 16 MiB; as float64, 32 MiB
    binning.histogram(x[:100_000])  # tables built outside the measurement
    tracemalloc.start()
    try:
        binning.histogram(x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert calls and peak < x.nbytes  # not even a float32 copy (a float64 one: twice that)


def test_cell_path_in_a_forked_child_gets_its_own_threads(small_cells):
    x = adversarial(np.float32, n=50_000, seed=13)
    want = binning.tf_counts(x)[0]  # the parent's pool now exists
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports by exit status
        ok = np.array_equal(binning.tf_counts(x)[0], want)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


# ------------------------------------------------------------------ the numba kernel's life cycle


def _big():
    return np.random.default_rng(21).standard_normal(binning._CELL_MIN, dtype=np.float32)


def test_a_big_histogram_compiles_the_kernel_in_the_background_and_numpy_counts_meanwhile(monkeypatch):
    pytest.importorskip("numba")
    import threading

    release = threading.Event()
    real_compile = kernels._compile

    def slow_compile():
        assert release.wait(30)
        return real_compile()

    monkeypatch.setattr(kernels, "_compile", slow_compile)
    set_kernels(monkeypatch, None, "idle")
    numpy_calls, kernel_calls = [], []
    for name, calls in (("_tf_counts_f4", numpy_calls), ("_tf_counts_compiled", kernel_calls)):
        real = getattr(binning, name)
        monkeypatch.setattr(
            binning, name, lambda flat, *a, real=real, calls=calls: calls.append(flat.size) or real(flat, *a)
        )
    x = _big()
    small = x[:10_000]
    first = binning.tf_counts(x)
    assert numpy_calls == [x.size] and kernel_calls == [] and kernels._state == "compiling"
    binning.tf_counts(small)  # a small histogram neither waits for nor starts anything
    assert kernel_calls == []
    release.set()
    assert kernels.wait() is not None
    second = binning.tf_counts(x)
    assert kernel_calls == [x.size] and np.array_equal(first[0], second[0]) and first[1:4] == second[1:4]
    assert binning.tf_counts(small)[0].sum() == small.size and kernel_calls == [x.size, small.size]


def test_small_histograms_do_not_start_compiling(monkeypatch):
    set_kernels(monkeypatch, None, "idle")
    binning.tf_counts(_big()[:100_000])
    assert kernels._state == "idle"


def test_cellboard_numba_0_keeps_numpy(monkeypatch):
    set_kernels(monkeypatch, None, "idle")
    monkeypatch.setenv("CELLBOARD_NUMBA", "0")
    x = _big()
    assert np.array_equal(binning.tf_counts(x)[0], reference(x)[0])
    assert kernels._state == "unavailable" and kernels.wait() is None


def test_a_failed_compile_warns_and_numpy_counts(monkeypatch):
    def broken():
        raise RuntimeError("LLVM said no")

    monkeypatch.setattr(kernels, "_compile", broken)
    set_kernels(monkeypatch, None, "idle")
    with pytest.warns(RuntimeWarning, match="could not compile its kernels .*LLVM said no.* numpy"):
        assert kernels.wait() is None
    x = _big()
    assert kernels._state == "unavailable"
    assert np.array_equal(binning.tf_counts(x)[0], reference(x)[0])


def test_without_numba_numpy_counts_silently(monkeypatch):
    def missing():
        raise ImportError("No module named 'numba'")

    monkeypatch.setattr(kernels, "_compile", missing)
    set_kernels(monkeypatch, None, "idle")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kernels.wait() is None
    assert kernels._state == "unavailable"


def test_a_forked_child_compiles_its_own_kernel(monkeypatch):
    pytest.importorskip("numba")
    set_kernels(monkeypatch, None, "compiling")  # as if the parent's compile thread were running
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports by exit status
        ok = kernels.wait() is not None
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
