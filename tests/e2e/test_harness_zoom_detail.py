"""Zoom detail at pixel resolution, in headless Chromium with a real ``Board`` answering the view.

The frontend harness page (js/harness/) mounts the widget on a fake model; here its messages are
carried both ways to a kernel-side ``Board`` (no Jupyter): the board's decimated deltas to the view,
the view's hello and range requests to ``Board._on_msg``. A board of 100 runs, each decimated; a
drag-zoom asks every run for about 4 points per pixel column of the plot, the replies stay within
that, a deeper zoom asks again (the first details were min/max buckets), a double-click drops them.
Screenshots in test-artifacts/zoom-detail-*.png (look at them).
"""

from __future__ import annotations

import base64

import numpy as np

from cellboard.board import MAX_RAW_POINTS, Board

from .frontend_harness import ROOT, open_harness, real_errors
from .test_harness_board_ux import MOUNT_JS

ARTIFACTS = ROOT / "test-artifacts"
TAG = "train/loss"
CARD = f"#ux .cb-scalar-card[data-tag='{TAG}']"
RUNS = 100
STEPS = 20_000

DELIVER_JS = """([content, b64s]) => {
  const buffers = b64s.map((b) => {
    const raw = atob(b), bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return new DataView(bytes.buffer);
  });
  window.__ux.model.emit('msg:custom', content, buffers);
}"""


class Bridge:
    """Carries messages between the page's fake model and a kernel-side Board."""

    def __init__(self, page, board: Board) -> None:
        self.page, self.board = page, board
        self.outbox: list[tuple[dict, list[bytes]]] = []
        board.send = lambda content, buffers=None: self.outbox.append((content, list(buffers or [])))
        self.requests: list[dict] = []  # range requests the view sent
        self.replies: list[dict] = []  # range replies the board sent

    def pump(self) -> None:
        for content in self.page.evaluate("() => window.__ux.model.sent.splice(0)"):
            if content.get("type") == "range":
                self.requests.append(content)
            self.board._on_msg(self.board, content, [])
        sent, self.outbox = self.outbox, []
        for content, buffers in sent:
            if content.get("type") == "range":
                self.replies.append(content)
            self.page.evaluate(DELIVER_JS, [content, [base64.b64encode(bytes(b)).decode() for b in buffers]])


def drag(page, plot, f0: float, f1: float) -> None:
    box = plot.bounding_box()
    y = box["y"] + box["height"] * 0.5
    page.mouse.move(box["x"] + box["width"] * f0, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * f1, y, steps=6)
    page.mouse.up()


def zoom_and_answer(page, bridge: Bridge, plot, f0: float, f1: float) -> tuple[list[dict], list[dict]]:
    """Drag-zoom, wait out the view's debounce, answer its range requests; the new (requests, replies)."""
    nreq, nrep = len(bridge.requests), len(bridge.replies)
    drag(page, plot, f0, f1)
    page.wait_for_timeout(400)
    bridge.pump()
    page.wait_for_timeout(200)
    return bridge.requests[nreq:], bridge.replies[nrep:]


def test_a_zoom_on_100_runs_brings_pixel_resolution_and_a_reset_drops_it(site, monkeypatch):
    from playwright.sync_api import expect

    # a small total budget so that a browser test holds 100 decimated runs cheaply (~600 points each)
    monkeypatch.setattr("cellboard.board.messages.TOTAL_POINTS_BUDGET", 100_000)
    board = Board(interval=0.0)
    rng = np.random.default_rng(7)
    x = np.arange(STEPS, dtype=np.float64)
    for r in range(RUNS):
        values = np.exp(-x / 8000) * (1 + r / 100) + 0.05 * rng.normal(size=STEPS)
        board.store.append_scalars(f"run{r:03d}", TAG, x, 1.7e9 + x, values)

    base, browser = site
    page, errors = open_harness(browser, base, "?auto=0", viewport=(1280, 900))
    try:
        attrs = {"smoothing": 0.0, "x_axis": "step", "log_y": False, "tag_filter": "", "run_filter": ""}
        page.evaluate(MOUNT_JS, [attrs | {"height": 620, "title": "zoom detail"}, "light"])
        bridge = Bridge(page, board)
        bridge.pump()  # the view's hello; the board's answer: every run, decimated
        card = page.locator(CARD)
        expect(card.locator("canvas")).to_have_count(1)
        note = card.locator(".cb-card-note")
        expect(note).to_have_text(f"min/max of {RUNS * STEPS:,} points")
        card.locator("button[title^='Expand']").click()  # the full width: the most points asked
        page.wait_for_timeout(200)
        plot = card.locator(".u-over")
        card.screenshot(path=str(ARTIFACTS / "zoom-detail-before.png"))

        # 1. a zoom over half the steps: every run asked for `points`, ~4 per pixel column
        requests, replies = zoom_and_answer(page, bridge, plot, 0.25, 0.75)
        assert len(requests) == RUNS and len(replies) == RUNS
        width = card.bounding_box()["width"]
        points = requests[0]["points"]
        assert all(q["points"] == points for q in requests)
        assert max(1000, 4 * (width - 100)) <= points <= 4 * width, (points, width)
        assert all(r["decimated"] and points // 2 <= r["count"] <= points for r in replies)
        zoomed = sum(r["count"] for r in replies)
        span = requests[0]["x1"] - requests[0]["x0"] + 1
        # what the same requests brought before `points` (every point of the range, up to 100k each)
        old = RUNS * min(span, MAX_RAW_POINTS)
        expect(note).to_have_text("min/max per pixel in zoom")
        card.screenshot(path=str(ARTIFACTS / "zoom-detail-zoomed.png"))

        # 2. deeper, inside the first zoom: its details were buckets, so every run is asked again
        requests2, replies2 = zoom_and_answer(page, bridge, plot, 0.4, 0.5)
        assert len(requests2) == RUNS
        assert requests2[0]["x1"] - requests2[0]["x0"] < span / 5
        assert all(r["count"] <= q["points"] for q, r in zip(requests2, replies2, strict=True))
        card.screenshot(path=str(ARTIFACTS / "zoom-detail-deeper.png"))

        # 3. a double-click resets the zoom: the details are dropped, the held points drawn again
        box = plot.bounding_box()
        page.mouse.dblclick(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
        expect(card.locator("button[title^='Reset zoom']")).to_be_hidden()
        expect(note).to_have_text(f"min/max of {RUNS * STEPS:,} points")
        assert not real_errors(errors), errors
        print(f"\n100-run zoom at {points} points/series: {zoomed:,} points in the replies; before: {old:,}")
    finally:
        page.close()
        board.close()
