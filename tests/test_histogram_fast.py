"""The O(n) "tensorflow" histogram (numpy) and the device path (torch ops, run here on CPU tensors)
give exactly the counts of the reference binning, ``np.histogram(finite float64, tensorflow_bins())``."""

import numpy as np
import pytest

import cellboard
from cellboard import summaries as S

torch = pytest.importorskip("torch")
EDGES = S.tensorflow_bins()


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


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_counts_equal_reference_on_edges_and_specials(dtype):
    x = adversarial(dtype)
    counts, mn, mx, num, total, sq = S.tf_counts(x)
    ref, f = reference(x)
    assert np.array_equal(counts, ref)
    assert (mn, mx, num) == (f.min(), f.max(), f.size)
    # float64 sums in another order: equal up to rounding (+-max cancel each other here)
    assert total == pytest.approx(f.sum(), rel=1e-9, abs=1e-12 * np.abs(f).sum())
    with np.errstate(over="ignore"):
        assert sq == pytest.approx(f.dot(f), rel=1e-9)


def test_every_edge_and_its_neighbours_float64():
    e = EDGES
    x = np.concatenate([e, np.nextafter(e, np.inf), np.nextafter(e, -np.inf), [0.0, -0.0]])
    assert np.array_equal(S.tf_counts(x)[0], reference(x)[0])
    e32 = EDGES.astype(np.float32)
    x32 = np.concatenate([e32, np.nextafter(e32, np.float32(np.inf)), np.nextafter(e32, np.float32(-np.inf))])
    assert np.array_equal(S.tf_counts(x32)[0], reference(x32)[0])


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
    counts, mn, mx, num, _, _ = S.tf_counts(np.asarray(values).ravel())
    ref, f = reference(values)
    assert np.array_equal(counts, ref) and num == f.size and (mn, mx) == (f.min(), f.max())


def test_chunk_boundaries(monkeypatch):
    x = adversarial(np.float32, n=50_001, seed=3)
    monkeypatch.setattr(S, "_CHUNK", 997)  # many chunks, some all-NaN/inf, a short last one
    x[:997] = np.nan
    got = S.tf_counts(x)
    ref, f = reference(x)
    assert np.array_equal(got[0], ref) and got[3] == f.size


def test_no_finite_values():
    counts, *_, num, _total, _sq = S.tf_counts(np.array([np.nan, np.inf], np.float32))
    assert num == 0 and counts.sum() == 0
    with pytest.raises(ValueError, match="at least one finite"):
        S.histogram(np.array([np.nan, -np.inf]))
    with pytest.raises(ValueError, match="at least one finite"):
        S.histogram(np.zeros(0, np.float32))


@np.errstate(over="ignore")
def _old_histogram(values, max_bins=None):
    ref, f = reference(values)
    return S.finish_histogram(ref, EDGES, max_bins, f.min(), f.max(), f.size, f.sum(), f.dot(f))


@pytest.mark.parametrize("max_bins", [None, 7, 100])
def test_histogram_proto_matches_reference(max_bins):
    x = adversarial(np.float32, n=20_000, seed=5)
    got, want = S.histogram(x, max_bins=max_bins), _old_histogram(x, max_bins)
    assert np.array_equal(got.limits, want.limits) and np.array_equal(got.counts, want.counts)
    assert (got.min, got.max, got.num) == (want.min, want.max, want.num)
    assert got.sum == pytest.approx(want.sum, rel=1e-9) and got.sum_squares == pytest.approx(want.sum_squares, rel=1e-9)


# ------------------------------------------------------------------ the device path, on CPU tensors


@pytest.mark.parametrize(
    "dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int32, torch.bool]
)
def test_torch_path_equals_numpy_path(dtype, monkeypatch):
    monkeypatch.setattr(S, "_TORCH_CHUNK", 4099)
    if dtype.is_floating_point:
        np_dtype = np.float64 if dtype == torch.float64 else np.float32
        t = torch.from_numpy(adversarial(np_dtype, n=30_000, seed=7)).to(dtype)
    else:
        t = torch.randint(-1000, 1000, (30_000,)).to(dtype)
    d = S.tf_histogram_torch(t)
    assert d.ready()
    got = d.resolve()
    want = _old_histogram(S.to_numpy(t, "values"))
    assert np.array_equal(got.limits, want.limits) and np.array_equal(got.counts, want.counts)
    assert (got.min, got.max, got.num) == (want.min, want.max, want.num)
    assert got.sum == pytest.approx(want.sum, rel=1e-9) and got.sum_squares == pytest.approx(want.sum_squares, rel=1e-9)


def test_torch_path_all_nonfinite_resolves_to_none():
    assert S.tf_histogram_torch(torch.tensor([float("nan"), float("inf")])).resolve() is None
    with pytest.raises(ValueError, match="at least one finite"):
        S.tf_histogram_torch(torch.zeros(0))


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
    monkeypatch.setattr(S, "is_device_tensor", lambda v: S.is_torch_tensor(v))
    real_init = S.DeviceResult.__init__

    def init(self, src):
        real_init(self, src)
        self.event = _Event()
        events.append(self.event)

    monkeypatch.setattr(S.DeviceResult, "__init__", init)


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
    out = S.launch_scalars(vals)
    assert all(isinstance(v, S.DeferredScalar) for v in out) and out[0].result is out[2].result
    assert S.resolve_deferred(list(out)) == [1.5, 2.5, 3.0]


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


def test_bench_gpu_skips_cleanly_without_a_gpu(capsys):
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
