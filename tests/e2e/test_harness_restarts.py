"""A resumed run on the board, in headless Chromium: the steps it logs again replace the first pass
(as TensorBoard's data server shows it), and the cards say how many points and images were replaced.

The messages are a real Board's for a writer that logs steps 0-59, then resumes from step 30 and
logs 30-79 (the values of the second pass are 0.5 higher). Screenshot in
test-artifacts/restart-scalars.png (look at it: one line, no zigzag).
"""

from __future__ import annotations

import json

import numpy as np

from .frontend_harness import ROOT, open_harness, real_errors
from .test_harness_custom_distributions import MOUNT_JS, captured_board

ARTIFACTS = ROOT / "test-artifacts"


def test_a_resumed_run_draws_one_line_and_says_what_it_replaced(site, tmp_path):
    from playwright.sync_api import expect

    from cellboard import SummaryWriter

    board, cap = captured_board()
    with SummaryWriter(str(tmp_path / "run"), store=board.store) as w:
        for s in range(60):
            w.add_scalar("loss", float(np.sin(s / 8)), s)
            if s % 10 == 0:
                w.add_image("sample", np.full((3, 4, 4), s / 100), s)
    with SummaryWriter(str(tmp_path / "run"), store=board.store) as w:  # resumed from step 30
        for s in range(30, 80):
            w.add_scalar("loss", 0.5 + float(np.sin(s / 8)), s)
            if s % 10 == 0:
                w.add_image("sample", np.full((3, 4, 4), s / 100), s)
    board.send_pending()
    messages = cap.take()
    board.close()
    entries = [e for m in messages for e in m["content"].get("entries", {}).get("scalars", [])]
    assert entries[-1]["replaced"] == 30, json.dumps(entries[-1])

    base, browser = site
    page, errors = open_harness(browser, base, "?auto=0", viewport=(1280, 900))
    page.evaluate(MOUNT_JS, {"messages": messages, "theme": "light"})
    card = page.locator("#out .cellboard .cb-scalar-card[data-tag='loss']")
    expect(card.locator("canvas")).to_have_count(1)
    note = card.locator(".cb-card-note")
    expect(note).to_have_text("30 replaced")
    assert "Steps logged again replaced 30 points" in (note.get_attribute("title") or "")
    page.wait_for_timeout(200)
    card.screenshot(path=str(ARTIFACTS / "restart-scalars.png"))
    # the view holds the series once: steps 0-29 of the first pass, 30-79 of the second
    expect(page.locator("#out .cellboard .cb-summary")).to_contain_text("80 points")
    # the image card too: steps 30, 40, 50 of the first pass replaced
    page.locator("#out .cellboard .cb-tab[data-kind='images']").click()
    image_card = page.locator("#out .cellboard .cb-panel-images .cb-card").first
    expect(image_card.locator(".cb-card-replaced")).to_have_text("3 replaced")
    assert not real_errors(errors)
    page.close()
