"""The CUSTOM SCALARS tab and the histograms' DISTRIBUTION view in headless Chromium, fed with real
messages: a log directory written by ``cellboard.SummaryWriter`` (two runs; ``add_custom_scalars``
with two multiline charts and a margin chart, the scalars they reference, histograms over 30 steps),
the messages a ``Board`` sends for it (comm captured), replayed into the harness page (js/harness/)
and then a live update. Screenshots (light and dark) go to test-artifacts/ (look at them).

    python -m tests.e2e.test_harness_custom_distributions DIR   # only writes the log directory
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from .frontend_harness import ROOT, open_harness, real_errors
from .pixel_checks import INK_JS

ARTIFACTS = ROOT / "test-artifacts"
RUNS = ("run_a", "run_b")
LAYOUT = {
    "Losses": {
        "all losses": ["Multiline", ["loss/.*"]],  # matches loss/train and loss/eval (re.match)
        "train loss": ["Multiline", [r"loss/train$"]],
    },
    "Accuracy": {"accuracy band": ["Margin", ["acc/value", "acc/lower", "acc/upper"]]},
}
HIST_STEPS = 30

MOUNT_JS = """async ({messages, theme}) => {
  const H = window.cellboardHarness;
  H.cleanup?.();
  const host = document.getElementById('out');
  const el = document.createElement('div');
  host.replaceChildren(el);
  const model = new H.FakeModel({ smoothing: 0.6, x_axis: 'step', log_y: false, tag_filter: '', run_filter: '',
    height: 720, title: 'custom scalars + distributions (' + theme + ')' });
  H.cleanup = H.mount(model, el);
  H.model = model;
  H.board = el;
  H.replay = (msgs) => {
    for (const m of msgs) {
      const bufs = m.buffers.map((b) => {
        const bytes = Uint8Array.from(atob(b), (ch) => ch.charCodeAt(0));
        const ab = new ArrayBuffer(bytes.length + 3);  // at an odd byteOffset, as a comm may hand it over
        new Uint8Array(ab, 3, bytes.length).set(bytes);
        return new DataView(ab, 3, bytes.length);
      });
      model.emit('msg:custom', m.content, bufs);
    }
  };
  H.replay(messages);
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
}"""


def log_run(w, run_index: int, steps: range) -> None:
    """Scalars the layout references (and one it does not) and histograms, for one run."""
    rng = np.random.default_rng(10 + run_index)
    rate = (0.012, 0.02)[run_index]
    for s in steps:
        w.add_scalar("loss/train", 2.0 * np.exp(-rate * s) + 0.2 + 0.08 * rng.standard_normal(), s)
        if s % 10 == 0:
            w.add_scalar("loss/eval", 2.1 * np.exp(-rate * 0.8 * s) + 0.3 + 0.03 * rng.standard_normal(), s)
        acc = 0.95 - 0.8 * np.exp(-rate * s) + 0.02 * rng.standard_normal()
        spread = 0.15 * np.exp(-rate * 0.5 * s) + 0.02
        w.add_scalar("acc/value", acc, s)
        w.add_scalar("acc/lower", acc - spread, s)
        w.add_scalar("acc/upper", acc + spread, s)
        w.add_scalar("lr", 0.1 * 0.99**s, s)  # no chart matches it
        if s % 10 == 0 and s // 10 < HIST_STEPS:
            k = s // 10
            values = rng.normal(0.3 * np.sin(k / 5) * (run_index + 1), 0.5 + 0.03 * k, 2000)
            w.add_histogram("weights/fc1", values, s)


def write_logs(logdir: Path, store=None) -> list:
    """Two runs, 300 steps each, plus the layout. Returns the writers (still open)."""
    from cellboard import SummaryWriter

    writers = []
    for i, run in enumerate(RUNS):
        w = SummaryWriter(str(logdir / run), store=store) if store is not None else SummaryWriter(str(logdir / run))
        if i == 0:
            w.add_custom_scalars(LAYOUT)
        log_run(w, i, range(0, 300))
        w.flush()
        writers.append(w)
    return writers


class Captured:
    def __init__(self, board) -> None:
        self.messages: list[dict] = []
        board.send = lambda content, buffers=None: self.messages.append(
            {
                "content": json.loads(json.dumps(content)),
                "buffers": [base64.b64encode(bytes(b)).decode("ascii") for b in (buffers or [])],
            }
        )

    def take(self) -> list[dict]:
        out, self.messages = self.messages, []
        return out


def captured_board():
    """``(board, captured)``: a Board whose view has said hello, its messages captured from then on."""
    from cellboard.board import Board

    board = Board(interval=0.0)
    cap = Captured(board)
    board._on_msg(board, {"type": "hello"}, [])
    cap.take()
    return board, cap


@pytest.fixture(scope="module")
def messages(tmp_path_factory):
    """(first messages, live-update messages) of a Board on a store the writers fill."""
    board, cap = captured_board()
    writers = write_logs(tmp_path_factory.mktemp("cs_logs"), store=board.store)
    board.send_pending()
    first = cap.take()
    # live: 100 more steps in run_a (the charts must follow)
    log_run(writers[0], 0, range(300, 400))
    writers[0].flush()
    board.send_pending()
    live = cap.take()
    for w in writers:
        w.close()
    board.close()
    assert first and live
    return first, live


def max_step(tip_text: str) -> int:
    """The largest value in the tooltip table's Step column."""
    rows = [line.split("\t") for line in tip_text.splitlines() if line.strip()]
    col = [c.strip() for c in rows[0]].index("Step")
    cells = [r[col].strip().replace(",", "") for r in rows[1:] if len(r) > col]
    return max(int(c) for c in cells if c.isdigit())


def hover_step(page, card) -> str:
    """Hover near the right end of a chart card's plot; the tooltip's text."""
    over = card.locator(".u-over")
    over.scroll_into_view_if_needed()
    page.wait_for_timeout(50)
    box = over.bounding_box()
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] * 0.5)
    tip = card.locator(".cb-tooltip")
    tip.wait_for(state="visible", timeout=5000)
    return tip.inner_text()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_custom_scalars_and_distributions(site, messages, theme):
    from playwright.sync_api import expect

    base, browser = site
    first, live = messages
    page, errors = open_harness(browser, base, f"?auto=0&theme={theme}", viewport=(1280, 1000))
    page.evaluate(MOUNT_JS, {"messages": first, "theme": theme})
    board = page.locator("#out .cellboard")
    expect(board).to_have_attribute("data-runs", ",".join(RUNS), timeout=15_000)
    expect(board).to_have_attribute("data-custom-scalar-charts", "3")
    expect(board).to_have_attribute("data-histogram-steps", str(2 * HIST_STEPS))

    # the tab, after Scalars (TensorBoard's order); categories in layout order
    tabs = board.locator(".cb-tab:visible")
    names = [tabs.nth(i).get_attribute("data-kind") for i in range(tabs.count())]
    assert names.index("custom_scalars") == names.index("scalars") + 1, names
    board.locator(".cb-tab[data-kind='custom_scalars']").click()
    panel = board.locator(".cb-panel-custom_scalars")
    expect(panel).to_be_visible()
    assert [panel.locator(".cb-section").nth(i).get_attribute("data-category") for i in range(2)] == [
        "Losses",
        "Accuracy",
    ]
    cards = panel.locator(".cb-cs-card")
    expect(cards).to_have_count(3)
    page.wait_for_timeout(200)
    for i in range(3):
        assert cards.nth(i).evaluate(INK_JS) > 500, f"custom scalar chart {i} is blank"

    # multiline: one line per (run, tag), legend with run and tag
    multi = panel.locator(".cb-cs-card[data-chart='all losses']")
    legend = multi.locator(".cb-legend .cb-legend-item")
    expect(legend).to_have_count(4)
    assert sorted(t.strip() for t in legend.all_inner_texts()) == sorted(
        f"{r} · loss/{t}" for r in RUNS for t in ("eval", "train")
    )
    expect(panel.locator(".cb-cs-card[data-chart='train loss'] .cb-legend-item")).to_have_count(2)
    expect(panel.locator(".cb-cs-card[data-chart='accuracy band'] .cb-legend-item")).to_have_count(2)
    text = hover_step(page, multi)
    assert "run_a · loss/train" in text and "Smoothed" in text, text
    assert 295 <= max_step(text) <= 299, text
    page.screenshot(path=str(ARTIFACTS / f"harness-custom-scalars-{theme}.png"), full_page=True)

    # margin: tooltip with value, lower and upper
    margin = panel.locator(".cb-cs-card[data-chart='accuracy band']")
    text = hover_step(page, margin)
    for word in ("Value", "Lower", "Upper", "run_a", "run_b"):
        assert word in text, text
    page.mouse.move(0, 0)
    margin.screenshot(path=str(ARTIFACTS / f"harness-custom-scalars-margin-{theme}.png"))

    # live: new steps arrive, the charts follow
    page.evaluate("(msgs) => window.cellboardHarness.replay(msgs)", live)
    page.wait_for_timeout(300)
    assert max_step(hover_step(page, multi)) >= 395
    assert max_step(hover_step(page, margin)) >= 395
    page.mouse.move(0, 0)

    # the tag filter keeps the charts whose title or tags match
    tag_filter = board.get_by_placeholder("Filter tags (regex)")
    tag_filter.fill("acc/")
    expect(multi).to_be_hidden()
    expect(margin).to_be_visible()
    tag_filter.fill("")
    expect(multi).to_be_visible()

    # a closed category hides its charts; opening draws them
    panel.locator(".cb-section[data-category='Accuracy'] .cb-section-head").click()
    expect(margin).to_be_hidden()
    panel.locator(".cb-section[data-category='Accuracy'] .cb-section-head").click()
    expect(margin).to_be_visible()

    # smoothing is the synced setting: 0 draws the raw lines only (no "Smoothed" column)
    board.get_by_label("Custom scalars smoothing value").fill("0")
    board.get_by_label("Custom scalars smoothing value").press("Enter")
    assert page.evaluate("() => window.cellboardHarness.model.get('smoothing')") == 0
    page.wait_for_timeout(150)
    assert "Smoothed" not in hover_step(page, multi)
    page.mouse.move(0, 0)

    # distributions: the histograms tab's third mode
    board.locator(".cb-tab[data-kind='histograms']").click()
    hist = board.locator(".cb-panel-histograms")
    expect(hist.locator(".cb-hist-card")).to_have_count(2)
    ink_offset = hist.evaluate(INK_JS)
    board.get_by_label("Distribution (percentiles over steps)").check()
    boxes = hist.locator(".cb-hist[data-distribution-columns]")
    expect(boxes).to_have_count(2)
    assert boxes.nth(0).get_attribute("data-distribution-columns") == str(HIST_STEPS)
    page.wait_for_timeout(100)
    ink = hist.evaluate(INK_JS)
    assert ink > 2000 and ink != ink_offset, (ink, ink_offset)
    # bands: the middle of the plot at the middle step is covered by the innermost (darkest) band
    canvas = hist.locator(".cb-hist-card canvas").first
    alpha = canvas.evaluate("""(c) => {
      const g = c.getContext('2d'), a = (x, y) => g.getImageData(Math.round(x), Math.round(y), 1, 1).data[3];
      // scan the middle column for the most opaque pixel and the count of distinct band alphas
      const x = c.width * 0.55, seen = new Set();
      let max = 0;
      for (let y = 0; y < c.height; y++) { const v = a(x, y); if (v) seen.add(v); if (v > max) max = v; }
      return { max, levels: seen.size };
    }""")
    assert alpha["max"] > 100 and alpha["levels"] >= 4, alpha
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    tip = hist.locator(".cb-hist-card .cb-tooltip").first
    expect(tip).to_be_visible()
    for word in ("step", "max", "median", "min", "84.1%"):
        expect(tip).to_contain_text(word)
    page.screenshot(path=str(ARTIFACTS / f"harness-distributions-{theme}.png"), full_page=True)

    # the horizontal axis follows the board's x axis setting (set here, or in the Scalars tab)
    page.mouse.move(0, 0)
    pixels = "(c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let h = 0; for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) >>> 0; return h; }"
    by_step = canvas.evaluate(pixels)
    board.get_by_label("Distribution horizontal axis").select_option("relative")
    expect(board).to_have_attribute("data-cellboard-ready", "1")
    page.wait_for_function("() => window.cellboardHarness.model.get('x_axis') === 'relative'")
    page.wait_for_timeout(150)
    assert canvas.evaluate(pixels) != by_step  # the same bands under time labels
    assert boxes.nth(0).get_attribute("data-distribution-columns") == str(HIST_STEPS)
    canvas.screenshot(path=str(ARTIFACTS / f"harness-distributions-relative-{theme}.png"))
    board.get_by_label("Distribution horizontal axis").select_option("step")

    # back to offset: the bands go
    board.get_by_label("Offset (steps stacked)").check()
    expect(hist.locator(".cb-hist[data-distribution-columns]")).to_have_count(0)

    assert not real_errors(errors), real_errors(errors)
    page.close()


if __name__ == "__main__":  # write the log directory only (e.g. to compare with TensorBoard)
    out = Path(sys.argv[1])
    for w in write_logs(out):
        w.close()
    print(out)
