"""The batch decoder of histogram and image events (``cellboard.fastrecords``) and the
record-by-record decoder agree, record for record, bit for bit, warning for warning.

``fastrecords.ENABLED = False`` sends every record down the record-by-record path; a whole log
read each way must give identical stores and identical warnings: histograms of every shape
(no buckets, one bucket, 100k buckets, empty at both ends, negative and NaN edges and counts,
+-DBL_MAX outer limits, stats left out when 0 as protobuf writes them), images, both mixed with
scalars, metadata, purges, corrupt records and records only the slow path can read (unpacked
repeated doubles, mismatched lengths); read whole and in small chunks; and the logs torch's and
tensorboardX's writers produce.
"""

from __future__ import annotations

import dataclasses
import os
import warnings

import numpy as np
import pytest
from tensorboard.compat.proto import event_pb2, summary_pb2

import cellboard
from cellboard import fastrecords, reader
from cellboard.kinds.images import encoded
from cellboard.tfevents import messages as M
from cellboard.tfevents.records import CorruptRecordWarning, frame

DBL_MAX = np.finfo(np.float64).max


def _histo_pb(hmin, hmax, limits, counts, num=None, total=0.0, squares=0.0) -> bytes:
    """A HistogramProto as protobuf serializes it (fields equal to 0 left out)."""
    h = summary_pb2.HistogramProto(
        min=hmin,
        max=hmax,
        num=float(np.sum(counts)) if num is None else num,
        sum=total,
        sum_squares=squares,
        bucket_limit=list(limits),
        bucket=list(counts),
    )
    return h.SerializeToString()


def _event(step: int, wall: float, value: summary_pb2.Summary.Value) -> bytes:
    return event_pb2.Event(step=step, wall_time=wall, summary=summary_pb2.Summary(value=[value])).SerializeToString()


def _histograms() -> list[bytes]:
    """HistogramProto payloads of many shapes."""
    rng = np.random.default_rng(3)
    nan, inf = float("nan"), float("inf")
    shapes = [
        (0.0, 0.0, [], []),  # no buckets
        (1.0, 1.0, [DBL_MAX], [5.0]),  # one bucket
        (-1.0, 1.0, [-1.0, 0.0, 1.0, DBL_MAX], [0.0, 3.0, 4.0, 0.0]),  # empty at both ends
        (-3.0, -1.0, [-DBL_MAX, -2.0, -1.0], [1.0, 0.0, 2.0]),  # negative edges, a zero inside
        (0.0, 7.0, [1.0, 2.0, 7.0], [0.0, 0.0, 0.0]),  # all counts zero: an empty histogram
        (nan, nan, [nan, 1.0, 2.0], [1.0, nan, 2.0]),  # NaN edges and counts
        (-inf, inf, [-1.0, 1.0, inf], [-2.0, 3.0, -1.0]),  # negative counts count as empty
        (0.0, 2.0, [1.0, 2.0], [1.0, 1.0]),  # min = 0: left out by protobuf
        (-5.0, 0.0, [-DBL_MAX, 0.0], [0.0, 4.0]),  # max = 0
        # empty runs longer than the buckets the batch decoder probes at each end (6 shapes: the
        # tags are i % 3, so the test below still finds its shapes on their tags)
        (-1.0, 1.0, np.arange(14.0), [0.0] * 6 + [2.0, 0.0, 3.0] + [0.0] * 5),
        (0.0, 1.0, np.arange(12.0), [1.0] + [0.0] * 11),  # the only count first
        (0.0, 1.0, np.arange(12.0), [0.0] * 11 + [1.0]),  # the only count last
        (0.0, 1.0, np.arange(12.0), [0.0] * 12),  # many buckets, all empty
        (0.0, 1.0, np.arange(12.0), [0.0] * 5 + [1.0] + [0.0] * 6),  # the only count amid empty runs
        (0.0, 1.0, np.arange(12.0), [0.0, -1.0, nan, 0.0, -0.0, 4.0, nan, -2.0, 0.0, 0.0, -0.0, 0.0]),
    ]
    out = [_histo_pb(*s) for s in shapes]
    out.append(_histo_pb(0.0, 0.0, [], [], num=0.0))  # every field left out: an empty payload
    big = np.sort(rng.standard_normal(100_000))
    out.append(_histo_pb(float(big[0]), float(big[-1]), big, rng.integers(0, 3, big.size).astype(float)))
    for k in (2, 30, 700):  # typical sizes, each a few times (batches of one layout)
        limits = np.sort(rng.standard_normal(k))
        for _ in range(3):
            out.append(_histo_pb(float(limits[0]), float(limits[-1]), limits, rng.integers(0, 5, k).astype(float)))
    return out


def _image_pb(h: int, w: int, colorspace: int, data: bytes) -> bytes:
    return summary_pb2.Summary.Image(
        height=h, width=w, colorspace=colorspace, encoded_image_string=data
    ).SerializeToString()


def _write_log(path: str, extra: list[bytes] = ()) -> None:
    """One event file: histograms, images, scalars, metadata, a purge, odd and corrupt records."""
    os.makedirs(path, exist_ok=True)
    events = [M.event(1e9, file_version=M.FILE_VERSION)]
    histos, meta = _histograms(), M.plugin_metadata("histograms")
    step = 0
    for rep in range(4):
        for i, h in enumerate(histos):
            step += 1
            value = summary_pb2.Summary.Value(tag=f"h/{i % 3}", histo=summary_pb2.HistogramProto.FromString(h))
            if rep == 0 and i < 3:  # the first record of each tag carries metadata
                value.metadata.CopyFrom(summary_pb2.SummaryMetadata.FromString(meta))
            events.append(_event(step, 1e9 + step, value))
            events.append(M.event(1e9 + step, step, summary=M.summary(M.value("loss", simple_value=step * 0.5))))
        for j, (h, w, cs) in enumerate([(2, 3, 3), (0, 0, 0), (1, 300, 4), (2**31 - 1, 1, 1)]):
            step += 1
            img = summary_pb2.Summary.Image.FromString(_image_pb(h, w, cs, bytes([j, rep]) * (j * 50)))
            events.append(_event(step, 1e9 + step, summary_pb2.Summary.Value(tag=f"img/{j % 2}", image=img)))
        if rep == 1:  # a restart: everything from step 10 on is dropped
            events.append(
                event_pb2.Event(step=10, wall_time=2e9, session_log=event_pb2.SessionLog(status=1)).SerializeToString()
            )
            step = 9
    # records the batch decoder leaves to the record-by-record one
    unpacked = M.f_double(1, -1.0) + M.f_double(2, 1.0) + M.f_double(6, 0.5) + M.f_double(6, 1.0)
    unpacked += M.f_double(7, 1.0) + M.f_double(7, 2.0)
    events.append(M.event(3e9, 500, summary=M.summary(M.value("h/odd", histo=unpacked))))
    mismatched = M.histogram(0.0, 1.0, 1.0, 0.0, 0.0, [1.0, 2.0], [1.0])
    events.append(M.event(3e9, 501, summary=M.summary(M.value("h/0", histo=mismatched))))
    ragged = M.f_double(1, 0.0) + M.f_bytes(6, bytes(12)) + M.f_bytes(7, bytes(12))
    events.append(M.event(3e9, 502, summary=M.summary(M.value("h/0", histo=ragged))))
    truncated = M.histogram(0.0, 1.0, 1.0, 0.0, 0.0, [1.0], [1.0])[:-3]
    events.append(M.event(3e9, 503, summary=M.summary(M.value("h/1", histo=truncated))))
    two = M.summary(M.value("h/2", histo=histos[2]), M.value("img/0", image=_image_pb(1, 1, 1, b"x")))
    events.append(M.event(3e9, 504, summary=two))  # two values in one event
    bad_meta = M.value("img/1", image=_image_pb(1, 1, 1, b"y")) + M.f_bytes(9, b"\x0a\x05ab")
    events.append(M.event(3e9, 505, summary=M.summary(bad_meta)))
    events.extend(extra)
    blob = bytearray(b"".join(frame(e) for e in events))
    # a record whose payload CRC fails (one warning, the rest loads)
    where = blob.find(frame(events[5])[:12])
    blob[where + 20] ^= 0xFF
    with open(os.path.join(path, "events.out.tfevents.1.test"), "wb") as f:
        f.write(bytes(blob))


def _load(path: str, enabled: bool) -> tuple[dict, list[str]]:
    fastrecords.ENABLED = enabled
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            store = cellboard.load(path, progress=False)
    finally:
        fastrecords.ENABLED = True
    out: dict = {}
    for run in store.runs:
        tags = store.tags(run)
        for kind, names in tags.items():
            for tag in names:
                if kind == "scalars":
                    s = store.scalars(run, tag)
                    out[(run, kind, tag)] = [(s.steps, s.wall_times, s.values)]
                else:
                    out[(run, kind, tag)] = [dataclasses.astuple(r) for r in store.records(run, kind, tag)]
    return out, [str(w.message) for w in caught if issubclass(w.category, Warning)]


def _same(a, b) -> bool:
    if isinstance(a, memoryview) or isinstance(b, memoryview):  # an image viewed in the chunk: its bytes
        return isinstance(a, (bytes, memoryview)) and isinstance(b, (bytes, memoryview)) and bytes(a) == bytes(b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and a.tobytes() == b.tobytes()
        )
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and (a == b or (a != a and b != b))


def _assert_same_store(fast, slow) -> None:
    assert fast[0].keys() == slow[0].keys()
    for key in fast[0]:
        assert _same(fast[0][key], slow[0][key]), key
    assert fast[1] == slow[1]


def _count_batched(monkeypatch) -> list[int]:
    """Spy on the batch decoder: the list gets how many records each call took."""
    taken: list[int] = []
    real = fastrecords.Decoder.decode

    def spy(self, data, starts, lengths, plugins, writable=None):
        batch = real(self, data, starts, lengths, plugins, writable)
        taken.append(int(batch.handled.sum()))
        return batch

    monkeypatch.setattr(fastrecords.Decoder, "decode", spy)
    return taken


@pytest.fixture(params=["views", "copies"])
def reuse(request, monkeypatch) -> str:
    """Both ways the batch decoder gives records: views of the chunk (edges and counts in place,
    images as memoryviews) or copies; which one it picks depends on how much of the chunk they fill."""
    monkeypatch.setattr(fastrecords._Reuse, "worth", lambda self, nbytes: request.param == "views")
    return request.param


def test_batch_equals_record_by_record(tmp_path, reuse):
    _write_log(str(tmp_path / "run"))
    fast, slow = _load(str(tmp_path), True), _load(str(tmp_path), False)
    _assert_same_store(fast, slow)
    # what the log holds, as the slow path reads it: nothing was silently lost on either path
    store, warned = fast
    assert len(store[("run", "histograms", "h/0")]) > 10
    assert len(store[("run", "images", "img/1")]) >= 4
    assert sum("corrupted record" in w for w in warned) == 5  # CRC, mismatched, ragged, truncated, bad metadata
    assert any("h/odd" in k[2] for k in store)  # unpacked doubles: read by the slow path


def test_batch_decoder_takes_the_bulk(tmp_path, monkeypatch):
    """The batch decoder really runs: it takes every well-formed histogram and image record."""
    _write_log(str(tmp_path / "run"))
    taken = _count_batched(monkeypatch)
    with pytest.warns(CorruptRecordWarning):
        cellboard.load(str(tmp_path), progress=False)
    histos = len(_histograms())
    # 4 reps of histograms and 4 images each; the first 3 histograms carry metadata of a tag not
    # known yet (the slow path learns it); the corrupted record is not offered at all
    assert sum(taken) >= 4 * (histos + 4) - 3 - 1


@pytest.mark.parametrize("chunk", [1 << 10, 5000, 1 << 16])
def test_chunked_reads_give_the_same_store(tmp_path, monkeypatch, chunk, reuse):
    _write_log(str(tmp_path / "run"))
    whole = _load(str(tmp_path), True)
    monkeypatch.setattr(reader, "READ_CHUNK", chunk)
    _assert_same_store(_load(str(tmp_path), True), whole)
    _assert_same_store(_load(str(tmp_path), False), whole)


def test_views_of_the_chunk(tmp_path, monkeypatch):
    """Where histograms or images fill the chunk they are views of it, not copies: the same values
    as the record-by-record decoder's, images as bytes through ``png``, and records still pickle."""
    import pickle

    # files of several chunks: the first is read as bytes, the next (once the records are known
    # to be big) into arrays of their own, whose histograms become views
    monkeypatch.setattr(reader, "READ_CHUNK", 1 << 16)
    rng = np.random.default_rng(5)
    with cellboard.SummaryWriter(str(tmp_path / "h")) as w:
        for step in range(40):
            w.add_histogram("w", rng.standard_normal(5000) * (step + 1), step)
            w.add_image("img", rng.integers(0, 256, (3, 8, 8), dtype=np.uint8), step)
    with cellboard.SummaryWriter(str(tmp_path / "i")) as w:
        for step in range(40):
            w.add_image("img", rng.integers(0, 256, (3, 32, 32), dtype=np.uint8), step)
    fast = cellboard.load(str(tmp_path), progress=False)
    _assert_same_store(_load(str(tmp_path), True), _load(str(tmp_path), False))
    hist = fast.histograms("h", "w")

    def in_chunk(a: np.ndarray) -> bool:  # a view of a chunk's bytes (copies are slices of float64 arrays)
        return a.base is not None and a.base.dtype == np.uint8

    assert len(hist) == 40 and sum(in_chunk(r.edges) and in_chunk(r.counts) for r in hist) >= 30
    assert all(r.edges[0] == r.edges.min() and np.all(np.diff(r.edges) > 0) for r in hist)  # min written in
    assert all(isinstance(encoded(r), bytes) for r in fast.images("h", "img"))  # a small part of that chunk: copies
    images = fast.images("i", "img")
    assert len(images) == 40 and all(isinstance(encoded(r), memoryview) and encoded(r).readonly for r in images)
    first = images[0]
    view = encoded(first)
    png = first.png  # bytes to the reader, kept as bytes from then on
    assert isinstance(png, bytes) and png == view and png[:8] == b"\x89PNG\r\n\x1a\n" and encoded(first) is png
    assert dataclasses.astuple(images[2])[2] == bytes(encoded(images[2]))
    again = pickle.loads(pickle.dumps(images[1]))
    assert isinstance(encoded(again), bytes) and isinstance(encoded(images[1]), memoryview)  # pickling copies
    assert again == images[1]
    back = pickle.loads(pickle.dumps(hist[3]))
    np.testing.assert_array_equal(back.edges, hist[3].edges)


@pytest.mark.parametrize("size", [100, 3 << 20])  # numpy's memory, an anonymous mapping
def test_local_reads_as_arrays(tmp_path, size):
    """``LocalFS.read(array=True)``: the same bytes as a plain read, writable, memory of its own,
    and fewer bytes at the end of the file."""
    from cellboard.fs import LocalFS

    path = tmp_path / "f"
    blob = np.random.default_rng(1).integers(0, 256, size, dtype=np.uint8).tobytes()
    path.write_bytes(blob)
    fs = LocalFS()
    whole = fs.read(str(path), 0, size, array=True)
    assert isinstance(whole, np.ndarray) and whole.flags.writeable and whole.tobytes() == blob
    tail = fs.read(str(path), size - 10, size + 1000, array=True)
    assert tail.tobytes() == blob[-10:] == fs.read(str(path), size - 10, size + 1000)
    whole[:] = 0  # its own memory: neither the file nor another read changes
    assert fs.read(str(path), 0, size, array=True).tobytes() == blob == path.read_bytes()


def test_no_bytes_rewritten_before_every_record_is_decoded(tmp_path, monkeypatch, reuse):
    """Views of a writable chunk get their outer edges written over the record's own bytes, and
    only once the whole batch is decoded: a batch that fails part way is decoded again record by
    record from intact bytes."""
    _write_log(str(tmp_path / "run"))
    slow = _load(str(tmp_path), False)

    def broken(*args):
        raise RuntimeError("batch decoding failed after the histograms")

    monkeypatch.setattr(fastrecords, "_images", broken)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _assert_same_store(_load(str(tmp_path), True), slow)


def test_histogram_values(tmp_path):
    """The batch path's records, checked against TensorBoard's data_compat rule directly."""
    _write_log(str(tmp_path / "run"))
    with pytest.warns(CorruptRecordWarning):
        store = cellboard.load(str(tmp_path), progress=False)
    # shapes[2]: empty buckets at both ends dropped, min and max as the outer edges
    trimmed = [r for r in store.histograms("run", "h/2") if r.counts.tolist() == [3.0, 4.0]]
    assert trimmed and all(r.edges.tolist() == [-1.0, 0.0, 1.0] for r in trimmed)
    empty = [r for r in store.histograms("run", "h/1") if r.counts.size == 0]
    assert empty and all(r.edges.size == 0 for r in empty)
    big = max((r for r in store.histograms("run", "h/1")), key=lambda r: r.counts.size)
    assert big.counts.size > 90_000 and big.edges.size == big.counts.size + 1


def test_values_no_default_bucket_counts_are_one_bucket(tmp_path):
    """Values beyond the default bins' +-1e20 are counted in no bucket (torch's writer raises "The
    histogram is empty" then; TensorBoard shows nothing): read back, by either decoder and in the
    writer's live store, they are one bucket from their min to their max."""
    w = cellboard.SummaryWriter(str(tmp_path / "run"))
    values = np.random.default_rng(0).normal(1e30, 1e29, 1000)
    w.add_histogram("overflowed", values, 0)
    w.close()
    live = w.store.histograms("run", "overflowed")
    fast, slow = _load(str(tmp_path), True), _load(str(tmp_path), False)
    _assert_same_store(fast, slow)
    for records in (live, cellboard.load(str(tmp_path), progress=False).histograms("run", "overflowed")):
        assert records[0].edges.tolist() == [values.min(), values.max()]
        assert records[0].counts.tolist() == [1000.0]


def test_torch_and_tensorboardx_logs(tmp_path):
    """Histograms and images as torch's and tensorboardX's writers write them."""
    torch = pytest.importorskip("torch")
    tbx = pytest.importorskip("tensorboardX")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    rng = np.random.default_rng(0)
    for name, cls in (("torch", TorchWriter), ("tbx", tbx.SummaryWriter)):
        w = cls(str(tmp_path / name))
        for step in range(12):
            w.add_histogram("relu", np.maximum(rng.standard_normal(500), 0), step)  # min = 0
            w.add_histogram("const", np.full(10, 2.5), step)  # one bucket
            w.add_histogram("weights", torch.randn(1000) * (step + 1), step)
            w.add_histogram("auto", rng.standard_normal(100), step, bins="auto")
            w.add_image("img", rng.integers(0, 256, (3, 8, 8), dtype=np.uint8), step)
            w.add_scalar("loss", 1.0 / (step + 1), step)
        w.close()
    fast, slow = _load(str(tmp_path), True), _load(str(tmp_path), False)
    _assert_same_store(fast, slow)
    for name in ("torch", "tbx"):
        assert len(fast[0][(name, "histograms", "relu")]) == 12
        assert len(fast[0][(name, "images", "img")]) == 12


def _write_tensor_histograms(path: str) -> None:
    """The histograms plugin's [k, 3] tensors as TF2 writes them (metadata on every record)."""
    os.makedirs(path, exist_ok=True)
    rng = np.random.default_rng(7)
    meta = M.plugin_metadata("histograms", data_class=M.DATA_CLASS_TENSOR)
    events = [M.event(1e9, file_version=M.FILE_VERSION)]
    for step in range(60):
        for tag, dtype, k in (("t/double", np.float64, 30), ("t/float", np.float32, 5), ("t/one", np.float64, 1)):
            edges = np.sort(rng.standard_normal(k + 1)).astype(dtype)
            table = np.stack([edges[:-1], edges[1:], rng.integers(0, 9, k).astype(dtype)], axis=1)
            value = M.value(tag, tensor=M.array_tensor(table), metadata=meta)
            events.append(M.event(1e9 + step, step, summary=M.summary(value)))
        empty = M.value("t/empty", tensor=M.tensor(M.DT_DOUBLE, (0, 3)), metadata=meta)
        events.append(M.event(1e9 + step, step, summary=M.summary(empty)))
        # a tag whose first records carry no metadata: until one does, its plugin is unknown
        # (record by record they are skipped), so the batch decoder must not take them either
        late = M.array_tensor(np.array([[0.0, 1.0, float(step)]]))
        late_meta = meta if step >= 3 else None
        events.append(M.event(1e9 + step, step, summary=M.summary(M.value("t/late", tensor=late, metadata=late_meta))))
        if step % 20 == 7:  # content one value short: reported by the record-by-record decoder
            short = M.tensor(M.DT_DOUBLE, (2, 3), content=bytes(40))
            events.append(M.event(1e9 + step, step, summary=M.summary(M.value("t/double", tensor=short))))
    with open(os.path.join(path, "events.out.tfevents.2.test"), "wb") as f:
        f.write(b"".join(frame(e) for e in events))


def test_tensor_histograms(tmp_path, monkeypatch):
    _write_tensor_histograms(str(tmp_path / "tf2"))
    taken = _count_batched(monkeypatch)
    whole_fast, whole_slow = _load(str(tmp_path), True), _load(str(tmp_path), False)
    _assert_same_store(whole_fast, whole_slow)
    # one chunk: a tag's plugin is learned from its first record there (which goes record by
    # record), so the rest of its records are batched: t/double, t/float and t/one 59 each, t/late
    # from the record after its first metadata (56); empty tensors and short ones go one by one
    assert sum(taken) == 3 * 59 + 56
    assert [r[0] for r in whole_slow[0][("tf2", "histograms", "t/late")]] == list(range(3, 60))  # steps
    monkeypatch.setattr(reader, "READ_CHUNK", 4096)  # the plugin is known after the first chunk
    taken.clear()
    chunked = _load(str(tmp_path), True)
    _assert_same_store(chunked, whole_slow)
    assert sum(taken) > 150  # most tensors after the first chunk went through the batch decoder
    store = whole_slow[0]
    assert len(store[("tf2", "histograms", "t/float")]) == 60
    assert all(r[2].size == 0 and r[3].size == 0 for r in store[("tf2", "histograms", "t/empty")])
    assert sum("corrupted record" in w for w in whole_slow[1]) == 3
