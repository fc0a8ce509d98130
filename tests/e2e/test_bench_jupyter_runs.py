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


def test_bench_jupyter_breaks_long_tasks_down():
    """``--trace``: each main-thread task of 50 ms or more, by exclusive time (an event's duration
    less its children's); with ``--profile`` too, the JavaScript sampled within each long task."""
    import bench_jupyter as bj

    main = {"pid": 1, "tid": 2}

    def span(name, ts_ms, dur_ms, fn=None):
        args = {"data": {"functionName": fn}} if fn else {}
        return {"name": name, "ph": "X", "ts": ts_ms * 1000, "dur": dur_ms * 1000, "args": args, **main}

    events = [
        {"name": "thread_name", "ph": "M", "args": {"name": "CrRendererMain"}, **main},
        span("RunTask", 0, 120),
        span("FunctionCall", 1, 70, "draw"),
        span("Paint", 80, 30),
        span("RunTask", 200, 20),  # short: not listed
        {**span("RunTask", 0, 500), "tid": 9},  # another thread: not the main one
    ]
    assert bj.long_tasks(events, 50.0) == ["at      0 ms,  120 ms: FunctionCall draw 70, Paint 30, RunTask 20"]
    # a click dispatched inside the task at 200 ms: that task, then those that start within 100 ms
    click = {**span("EventDispatch", 210, 1), "args": {"data": {"type": "click"}}}
    later = [span("RunTask", 250, 30), span("Paint", 255, 10), span("RunTask", 400, 5)]
    assert bj.after_clicks([*events, click, *later], span_ms=100.0) == [
        "click at    210 ms:\n        -10 ms,  20 ms: RunTask 19, EventDispatch 1\n        +40 ms,  30 ms: RunTask 20, Paint 10"
    ]
    assert bj.top_trace_events(events, 2) == ["     70 ms  FunctionCall (x1)", "     40 ms  RunTask (x2)"]
    frame = {"functionName": "", "url": "x/widget.js", "lineNumber": 9}
    profile = {
        "startTime": 0,
        "nodes": [{"id": 1, "callFrame": {**frame, "functionName": "draw"}}, {"id": 2, "callFrame": frame}],
        "samples": [1, 1, 2, 1],
        "timeDeltas": [10_000, 50_000, 100_000, 10_000],  # at 10, 60, 160 and 170 ms
    }
    assert bj.top_self_time(profile, 5, (0, 120_000)) == ["     60 ms  draw widget.js:10"]
    assert bj.top_self_time(profile, 5) == ["    100 ms  (anonymous) widget.js:10", "     70 ms  draw widget.js:10"]
