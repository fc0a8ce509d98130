"""A failure while encoding a batch loses nothing: the batch is kept for the next drain."""

import pytest

import cellboard
from cellboard import summaries


def test_failed_drain_keeps_the_batch(tmp_path, monkeypatch):
    w = cellboard.SummaryWriter(tmp_path / "run")
    for i in range(10):
        w.add_scalar("x", float(i), i)
    real = summaries.resolve_deferred
    calls = {"n": 0}

    def flaky(values):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("device lost")
        return real(values)

    monkeypatch.setattr(summaries, "resolve_deferred", flaky)
    with pytest.raises(RuntimeError, match="device lost"):
        w.flush()
    w.add_scalar("x", 10.0, 10)
    w.close()
    logs = cellboard.load(tmp_path)
    assert logs.scalars("run", "x").steps.tolist() == list(range(11))
