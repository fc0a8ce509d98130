"""A histogram of one repeated value is drawn, in headless Chromium, in both histogram views.

TensorFlow 2 writes a constant tensor (a bias still at zero, a frozen layer) as buckets of zero
width, and torch's writer as one bucket that ``min == max`` narrows to nothing. Until session 16
the board drew such a histogram as an outline of zero width: an empty card, where TensorBoard
shows a peak at the value. Real ``Board`` messages are replayed into the harness page.
"""

from __future__ import annotations

import numpy as np
import pytest

from .frontend_harness import open_harness, real_errors, save_screenshot
from .test_harness_custom_distributions import MOUNT_JS, Captured

# pixels of the run's colour (saturated), not the grey grid and labels
COLOURED_JS = """(card) => {
  let n = 0;
  for (const c of card.querySelectorAll('canvas')) {
    if (!c.width || !c.height || !c.offsetParent) continue;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 0 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) n++;
    }
  }
  return n;
}"""


@pytest.fixture(scope="module")
def messages():
    from cellboard.board import Board
    from cellboard.kinds.histograms import HistogramRecord

    board = Board(interval=0.0)
    cap = Captured(board)
    board._on_msg(board, {"type": "hello"}, [])
    cap.take()
    records = {
        # tf.summary.histogram of 64 zeros: 30 buckets [0, 0], the count in the last
        "tf_zeros": [HistogramRecord(s, 1e9 + s, np.zeros(31), np.r_[np.zeros(29), 64.0]) for s in range(5)],
        # torch's writer, 64 threes: one bucket, its edges narrowed to min == max
        "torch_threes": [HistogramRecord(s, 1e9 + s, np.array([3.0, 3.0]), np.array([64.0])) for s in range(5)],
    }
    for tag, recs in records.items():
        board.store.append_records("run", "histograms", tag, recs)
    board.send_pending()
    first = cap.take()
    board.close()
    return first


@pytest.mark.parametrize("mode", ["offset", "overlay"])
def test_a_point_mass_is_a_visible_peak(site, messages, mode, tmp_path):
    from playwright.sync_api import expect

    base, browser = site
    page, errors = open_harness(browser, base, "?auto=0", viewport=(1100, 800))
    page.evaluate(MOUNT_JS, {"messages": messages, "theme": "light"})
    board = page.locator("#out .cellboard")
    expect(board).to_have_attribute("data-histogram-steps", "10", timeout=15_000)
    board.locator(".cb-tab[data-kind='histograms']").click()
    panel = board.locator(".cb-panel-histograms")
    expect(panel).to_be_visible()
    if mode == "overlay":
        panel.page.get_by_label("Overlay").check()
    page.wait_for_timeout(300)
    for tag in ("tf_zeros", "torch_threes"):
        card = panel.locator(".cb-card", has_text=tag)
        expect(card).to_have_count(1)
        card.scroll_into_view_if_needed()
        page.wait_for_timeout(100)
        assert card.evaluate(COLOURED_JS) > 100, f"{tag} ({mode}) draws no peak"
    save_screenshot(panel, tmp_path, f"harness-point-mass-{mode}.png")
    assert real_errors(errors) == []
