"""A directory loading in the background: the board's header says how far it has got, with a thin
bar, and both go away when the first read is done (headless Chromium, frontend harness)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .frontend_harness import real_errors
from .test_harness_board_ux import EMIT_JS, T0, board_page, wire_scalars

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

PROGRESS_JS = """(p) => {
  const ux = window.__ux;
  ux.model.emit('msg:custom', {type: 'delta', seq: ++ux.seq, runs: [], entries: {}, progress: p}, []);
}"""


def test_loading_progress_in_the_header(site):
    from playwright.sync_api import expect

    page, errors, board = board_page(site)
    steps = np.arange(20, dtype=np.float64)
    page.evaluate(
        EMIT_JS,
        [
            wire_scalars(
                [{"run": "run_000", "tag": "loss", "steps": steps, "walls": T0 + steps, "values": np.cos(steps)}]
            ),
            [],
        ],
    )
    page.evaluate(
        PROGRESS_JS, {"runs_read": 37, "runs": 100, "bytes_read": 380_000_000, "bytes": 992_000_000, "loading": True}
    )
    expect(board).to_have_attribute("data-loading", "1")
    expect(board.locator(".cb-summary")).to_contain_text("loading 37/100 runs, 380 MB of 992 MB")
    bar = board.locator(".cb-progress")
    expect(bar).to_be_visible()
    width = bar.evaluate("(e) => e.getBoundingClientRect().width / e.parentElement.getBoundingClientRect().width")
    assert abs(width - 0.383) < 0.02, width
    ARTIFACTS.mkdir(exist_ok=True)
    board.screenshot(path=str(ARTIFACTS / "harness-loading-progress.png"))
    page.evaluate(
        PROGRESS_JS, {"runs_read": 100, "runs": 100, "bytes_read": 992_000_000, "bytes": 992_000_000, "loading": False}
    )
    expect(board).to_have_attribute("data-loading", "0")
    expect(board.locator(".cb-summary")).not_to_contain_text("loading")
    expect(bar).to_be_hidden()
    assert not real_errors(errors), real_errors(errors)
    page.close()
