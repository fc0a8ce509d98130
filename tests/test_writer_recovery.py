"""A failure while encoding a batch loses nothing: the batch is kept for the next drain."""

import pytest

import cellboard
from cellboard.kinds import scalars


def test_failed_drain_keeps_the_batch(tmp_path, monkeypatch):
    w = cellboard.SummaryWriter(tmp_path / "run")
    for i in range(10):
        w.add_scalar("x", float(i), i)
    real = scalars.encode_batch
    calls = {"n": 0}

    def flaky(*args):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("device lost")
        return real(*args)

    monkeypatch.setattr(scalars, "encode_batch", flaky)
    with pytest.raises(RuntimeError, match="device lost"):
        w.flush()
    w.add_scalar("x", 10.0, 10)
    w.close()
    logs = cellboard.load(tmp_path)
    assert logs.scalars("run", "x").steps.tolist() == list(range(11))
