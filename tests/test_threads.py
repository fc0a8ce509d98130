"""Logging from many threads, flush() without close(), and every kind of number users pass."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from _tbutil import f32, kept_by_tensorboard, legacy_acc, plugin_acc, tensors

import cellboard

THREADS, PER_THREAD = 8, 5000


def test_eight_threads_one_writer(tmp_path):
    w = cellboard.SummaryWriter(tmp_path)
    barrier = threading.Barrier(THREADS)
    errors = []

    def work(i):
        try:
            barrier.wait()
            for j in range(PER_THREAD):
                w.add_scalar(f"thread{i}", i * 100_000 + j, j)  # own tag
                w.add_scalar("shared", i * 100_000 + j, i * PER_THREAD + j)  # one tag for all
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    w.close()
    assert errors == []

    def check(steps_by_tag, values_by_tag):
        for i in range(THREADS):
            assert steps_by_tag[f"thread{i}"] == list(range(PER_THREAD))
            assert values_by_tag[f"thread{i}"] == [float(i * 100_000 + j) for j in range(PER_THREAD)]

    # the file: every point exactly once, each thread's in the order it logged them
    tags = [f"thread{i}" for i in range(THREADS)] + ["shared"]
    acc = legacy_acc(tmp_path)
    events = {t: acc.Scalars(t) for t in tags}
    check(
        {t: [e.step for e in evs] for t, evs in events.items()},
        {t: [e.value for e in evs] for t, evs in events.items()},
    )
    steps, values = [e.step for e in events["shared"]], [e.value for e in events["shared"]]
    assert sorted(steps) == list(range(THREADS * PER_THREAD))
    for i in range(THREADS):
        mine = [v for v in values if i * 100_000 <= v < (i + 1) * 100_000]
        assert mine == [float(i * 100_000 + j) for j in range(PER_THREAD)]
    assert all(v == s // PER_THREAD * 100_000 + s % PER_THREAD for s, v in zip(steps, values))
    # the stores: the same, but of "shared" what TensorBoard's data server keeps (the threads' steps
    # interleave, and a step below the last replaces the series from there on)
    kept = kept_by_tensorboard(steps)
    for store, run in ((cellboard.load(tmp_path), "."), (w.store, w.run)):
        assert store.tags(run)["scalars"] == sorted(tags)
        scal = {t: store.scalars(run, t) for t in tags}
        check({t: s.steps.tolist() for t, s in scal.items()}, {t: s.values.tolist() for t, s in scal.items()})
        assert scal["shared"].steps.tolist() == [steps[i] for i in kept]
        assert scal["shared"].values.tolist() == [values[i] for i in kept]


def test_flush_makes_data_readable_without_close(tmp_path):
    w = cellboard.SummaryWriter(tmp_path, flush_secs=3600)
    for s in range(50):
        w.add_scalar("loss", s / 2, s, walltime=1000.0 + s)
    w.add_image("img", np.full((3, 2, 2), 7, np.uint8), 3, walltime=1003.0)
    w.add_text("note", "first", 4, walltime=1004.0)
    w.flush()
    logs = cellboard.load(tmp_path)
    sc = logs.scalars(".", "loss")
    assert sc.steps.tolist() == list(range(50)) and sc.values.tolist() == [s / 2 for s in range(50)]
    assert [r.step for r in logs.images(".", "img")] == [3]
    assert [r.text for r in logs.text(".", "note/text_summary")] == ["first"]
    assert [e.step for e in legacy_acc(tmp_path).Scalars("loss")] == list(range(50))

    for s in range(50, 60):
        w.add_scalar("loss", s / 2, s, walltime=1000.0 + s)
    w.flush()
    assert cellboard.load(tmp_path).scalars(".", "loss").steps.tolist() == list(range(60))
    w.close()
    assert cellboard.load(tmp_path).scalars(".", "loss").steps.tolist() == list(range(60))


def test_context_manager_closes_and_flushes(tmp_path):
    with cellboard.SummaryWriter(tmp_path, flush_secs=3600) as w:
        w.add_scalar("x", 1.0, 1)
    assert cellboard.load(tmp_path).scalars(".", "x").values.tolist() == [1.0]


def test_live_store_sees_data_without_flush(tmp_path):
    w = cellboard.SummaryWriter(tmp_path, flush_secs=3600)
    w.add_scalar("x", 1.0, 1)
    w.add_scalar("x", 2.0, 2)
    w.flush()
    assert w.store.scalars(w.run, "x").steps.tolist() == [1, 2]
    w.close()


VALUES = [  # (id, value, what the file holds as float64 for legacy float32)
    ("torch_0d_grad", lambda: torch.tensor(1.25, requires_grad=True) * 2, 2.5),
    ("torch_1_grad", lambda: torch.tensor([0.1], requires_grad=True), f32(0.1)),
    ("torch_float64", lambda: torch.tensor(0.1, dtype=torch.float64), f32(0.1)),
    ("torch_float16", lambda: torch.tensor(0.5, dtype=torch.float16), 0.5),
    ("torch_bfloat16", lambda: torch.tensor(3.0, dtype=torch.bfloat16), 3.0),
    ("torch_int", lambda: torch.tensor(7), 7.0),
    ("torch_bool", lambda: torch.tensor(True), 1.0),
    ("np_float32", lambda: np.float32(0.1), f32(0.1)),
    ("np_float64", lambda: np.float64(-2.75), -2.75),
    ("np_int64", lambda: np.int64(-9), -9.0),
    ("np_bool", lambda: np.bool_(True), 1.0),
    ("np_0d", lambda: np.array(4.5), 4.5),
    ("np_1x1", lambda: np.array([[6.0]]), 6.0),
    ("py_int", lambda: 2**40, float(2**40)),
    ("py_bool", lambda: False, 0.0),
    ("py_float", lambda: 1e-3, f32(1e-3)),
]


@pytest.mark.parametrize("make,expected", [v[1:] for v in VALUES], ids=[v[0] for v in VALUES])
def test_scalar_value_types(tmp_path, make, expected):
    w = cellboard.SummaryWriter(tmp_path)
    w.add_scalar("legacy", make(), 1, walltime=5.0)
    w.add_scalar("double", make(), 2, walltime=6.0, new_style=True, double_precision=True)
    w.close()
    exact = float(make().item() if hasattr(make(), "item") else make())
    logs = cellboard.load(tmp_path)
    assert logs.scalars(".", "legacy").values.tolist() == [expected]
    assert logs.scalars(".", "double").values.tolist() == [exact]
    assert w.store.scalars(w.run, "legacy").values.tolist() == [expected]  # live store == file
    assert [e.value for e in legacy_acc(tmp_path).Scalars("legacy")] == [expected]
    assert [float(a) for _, _, a in tensors(plugin_acc(tmp_path), "double")] == [exact]


def test_tensor_updated_in_place_after_logging_keeps_logged_value(tmp_path):
    w = cellboard.SummaryWriter(tmp_path)
    t = torch.tensor(1.0)
    w.add_scalar("x", t, 1)
    t.add_(10)  # the training loop reuses the tensor before the writer drains
    w.add_scalar("x", t, 2)
    w.close()
    assert cellboard.load(tmp_path).scalars(".", "x").values.tolist() == [1.0, 11.0]


def _wait_for(predicate, timeout=10.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_quiet_writer_is_drained_to_the_live_store_in_the_background(tmp_path):
    w = cellboard.SummaryWriter(tmp_path, flush_secs=3600)
    w.add_scalar("x", 1.0, 1)
    w.add_scalar("x", 2.0, 2)  # then the loop stops logging: no flush, no close
    assert _wait_for(lambda: "x" in w.store.tags(w.run)["scalars"] and len(w.store.scalars(w.run, "x")) == 2)
    assert w.store.scalars(w.run, "x").values.tolist() == [1.0, 2.0]
    w.close()


def test_flush_secs_writes_to_disk_without_flush_or_close(tmp_path):
    w = cellboard.SummaryWriter(tmp_path, flush_secs=0.3)
    for s in range(5):
        w.add_scalar("x", float(s), s)

    def on_disk():
        logs = cellboard.load(tmp_path)
        return "x" in logs.tags(".")["scalars"] and logs.scalars(".", "x").steps.tolist() == list(range(5))

    assert _wait_for(on_disk)
    w.close()


def test_unclosed_writer_is_flushed_at_interpreter_exit(tmp_path):
    import subprocess
    import sys

    code = (
        "import cellboard, sys; w = cellboard.SummaryWriter(sys.argv[1], flush_secs=3600); "
        "[w.add_scalar('x', float(s), s) for s in range(100)]"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, timeout=60)
    sc = cellboard.load(tmp_path).scalars(".", "x")
    assert sc.steps.tolist() == list(range(100)) and sc.values.tolist() == [float(s) for s in range(100)]
