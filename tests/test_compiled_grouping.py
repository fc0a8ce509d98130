"""numba's split of scalar records by template (``fastscalars._grouped_compiled``) against numpy's
(``fastscalars._grouped``), called directly on damaged records of one length."""

from __future__ import annotations

import os

import numpy as np
import pytest
from _kernels import use_kernels

import cellboard
from cellboard import fastscalars, kernels
from cellboard.tfevents.records import scan_records


@pytest.mark.parametrize("seed", range(6))
def test_compiled_grouping_equals_numpy_grouping_on_damaged_rows(tmp_path, monkeypatch, seed):
    """``_grouped_compiled`` (numba) and ``_grouped`` (numpy) take the same rows with the same
    values from records of one length, whatever bytes are changed (constant bytes, step varint
    continuation bits, values)."""
    use_kernels(monkeypatch, True)
    rng = np.random.default_rng(seed)
    with cellboard.SummaryWriter(str(tmp_path)) as w:
        for step in range(200, 600):  # 2-byte step varints: every record of a tag has one length
            for t in range(6):
                w.add_scalar(f"tag_{t}", float(rng.standard_normal()), step)
    (name,) = [f for f in os.listdir(tmp_path) if "tfevents" in f]
    data = bytearray((tmp_path / name).read_bytes())
    scan = scan_records(bytes(data))
    length = int(np.bincount(scan.lengths).argmax())
    rows = np.flatnonzero(scan.lengths == length)
    at = scan.starts[rows].astype(np.int64)
    for r in rng.choice(rows.size, 40, replace=False):  # damage 40 records anywhere in their bytes
        data[int(at[r]) + int(rng.integers(length))] ^= 1 << int(rng.integers(8))
    buf = np.frombuffer(bytes(data), np.uint8)
    numpy_matches: list = []
    rem = fastscalars._grouped(buf[at[:, None] + np.arange(length)], rows, np.arange(rows.size), numpy_matches)
    compiled_matches: list = []
    rem_c = fastscalars._grouped_compiled(kernels.peek(), buf, at, rows, length, compiled_matches)
    assert rem_c.tolist() == rem.tolist() and 0 < rem.size <= 40  # damaged constant bytes: left over
    assert len(compiled_matches) == len(numpy_matches) >= 6
    for a, b in zip(compiled_matches, numpy_matches):
        assert (a.tag, a.plugin, a.simple) == (b.tag, b.plugin, b.simple)
        assert a.idx.tolist() == b.idx.tolist() and a.step.tolist() == b.step.tolist()
        assert a.wall.view(np.int64).tolist() == b.wall.view(np.int64).tolist()
        assert a.value.view(np.int64).tolist() == b.value.view(np.int64).tolist()


@pytest.mark.parametrize(("distinct", "rows"), [(1, 1), (1, 300), (20, 50_000), (2048, 30_000), (3000, 30_000)])
def test_grouping_kernel_equals_a_stable_sort(monkeypatch, distinct, rows):
    """``group_by_hash`` groups rows as a stable argsort of their hashes does, with the groups in
    the order of their first rows; past its table (2048 groups) it says so (-1) and the caller
    sorts, so the split is the same either way."""
    use_kernels(monkeypatch, True)
    k = kernels.peek()
    assert k is not None
    rng = np.random.default_rng(distinct)
    h = rng.integers(0, 2**64, distinct, dtype=np.uint64)[rng.integers(0, distinct, rows)]
    order = np.argsort(h, kind="stable")
    hs = h[order]
    want = np.split(order, np.flatnonzero(hs[1:] != hs[:-1]) + 1)
    want.sort(key=lambda g: g[0])
    got_order, starts = np.empty(rows, np.int64), np.empty(rows + 1, np.int64)
    count = k.group_by_hash(h, got_order, starts)
    if len(want) > 2048:
        assert count == -1
        return
    assert count == len(want) == min(distinct, 2048)
    got = np.split(got_order, starts[1:count])
    assert len(got) == len(want) and all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
