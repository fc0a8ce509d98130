"""benchmarks/bench_browser.py still runs and times what it says (a tiny directory): every key and
click that changed something gets an input-to-paint figure, and only those (Ctrl+A changes
nothing), so the harness's measuring logic cannot silently drop or invent inputs. The figures
themselves are not checked here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .frontend_harness import CHROMIUM, ROOT, chromium, ensure_bundle

sys.path.insert(0, str(ROOT / "benchmarks"))


def test_bench_browser_times_every_input_that_changed_something():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    reason = ensure_bundle()
    if reason:
        pytest.skip(reason)
    import bench_browser as bb

    stream, info = bb.capture(3, 4, 300)
    assert info["messages"] >= 1
    with bb.serve_with_stream(stream, [None]) as base, chromium() as browser:
        # (no interactions while arriving: with messages back to back, the data may finish arriving
        # in the middle of them, and the later inputs would count as made once it is there)
        result = bb.run_once(browser, base, 0, arriving=False)
    assert not result.get("errors"), result.get("errors")
    assert (result["runs"], result["scalarTags"], result["heldPoints"]) == (3, 4, 3 * 4 * 300)
    # once the data is there: the filter typed key by key and cleared (Ctrl+A edits nothing,
    # Backspace does), a run's checkbox and the log-y checkbox clicked TOGGLES times each
    keys = len(bb.FILTER_TEXT) + 1
    for what, n in (("filter keystroke", keys), ("run toggle", bb.TOGGLES), ("log-y toggle", bb.TOGGLES)):
        timed = result[f"{what} (idle) input-to-paint ms"]
        assert timed["n"] == n, (what, timed)
        assert all(ms > 0 for ms in timed["all"]), (what, timed)
    assert bb.headline([result])["run toggle, idle (ms)"] > 0
