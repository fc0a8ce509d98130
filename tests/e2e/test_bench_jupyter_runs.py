"""benchmarks/bench_jupyter.py runs end to end on a small directory: a real JupyterLab opens it
with ``%cellboard``, and the figures it reports are there and consistent (timing is not judged)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .frontend_harness import CHROMIUM, ROOT, ensure_bundle

sys.path.insert(0, str(ROOT / "benchmarks"))


def test_bench_jupyter_times_a_directory_opened_in_jupyterlab(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    reason = ensure_bundle()
    if reason:
        pytest.skip(reason)
    import bench_jupyter as bj
    import bench_scale

    runs, tags, steps = 3, 2, 500
    data = bench_scale.ensure_logdir(str(tmp_path / "logs"), runs, tags, steps)
    (result,) = bj.measure(data, runs, tags, shot=tmp_path / "shot.png")
    assert "page errors" not in result, result["page errors"]
    assert result["points held / tags / runs"] == f"{runs * tags * steps:,} / {tags} / {runs}"
    shown, first, everything = (
        result[k] for k in ("board shown (ms)", "first points painted (ms)", "everything painted (ms)")
    )
    assert 0 < shown <= first <= everything
    # the toggles once everything is there: each click on the run and on log-y repainted
    assert len(result["run toggle, idle (ms)"]) == bj.TOGGLES
    assert len(result["log-y toggle, idle (ms)"]) == bj.TOGGLES
    assert all(ms > 0 for ms in result["run toggle, idle (ms)"] + result["log-y toggle, idle (ms)"])
    # the CPU by process is reported, and the by-second timeline ends with everything held
    assert "chromium renderer" in result["cpu seconds until then"]
    assert result["held points (M) / runs, by second"].endswith("done")
    assert (tmp_path / "shot.png").stat().st_size > 0
