"""Axes of values and steps far from 1, in headless Chromium.

Step axes whose steps are epoch milliseconds or nanoseconds, or near 1e17:

Their labels need nine or more digits ("1796051.95M"): at a fixed tick spacing they ran into each
other, past 5e13 the scalar chart had no ticks at all, and the last label was cut at the chart's
edge ("1796052" for "1796052.15M", a different number). Each step axis (scalar charts, a custom
scalars margin chart, the histograms' distribution view) must show at least two labels, apart from
each other, none cut at the canvas' edge: checked on the pixels of the label band; the offset
view's step labels right of the plot end inside the canvas.

Value axes of values from 1e16 up (1e30, steps summed in float32...): uPlot's increments stop at
5e15, and those charts drew without a single value label. Below, uPlot refuses increments under
1e-16 (it writes labels with toFixed): values of 1e-30 that vary had no label either; they get
ticks and labels of our own. Screenshots in test-artifacts/step-axis-*.png and value-axis-*.png
(look at them).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from .frontend_harness import ROOT, open_harness, real_errors
from .test_harness_custom_distributions import MOUNT_JS, captured_board

ARTIFACTS = ROOT / "test-artifacts"
STARTS = {"ms": (1_796_051_947_000, 1000), "ns": (1_796_051_947_000_000_000, 10**9), "e17": (10**17, 10**15)}
POINTS = 200

# Columns of a canvas with text ink in a band of rows (css px from the bottom), grouped into labels:
# runs of inked columns whose gaps are under 5 css px (the gaps between characters).
LABELS_JS = """([canvas, fromBottom, toBottom]) => {
  const r = canvas.width / canvas.getBoundingClientRect().width;
  const y0 = Math.round(canvas.height - fromBottom * r), y1 = Math.round(canvas.height - toBottom * r);
  const d = canvas.getContext('2d').getImageData(0, y0, canvas.width, y1 - y0).data;
  const inked = [];
  for (let x = 0; x < canvas.width; x++) {
    let hit = false;
    for (let y = 0; y < y1 - y0 && !hit; y++) hit = d[(y * canvas.width + x) * 4 + 3] > 60;
    if (hit) inked.push(x);
  }
  const labels = [];
  for (const x of inked) {
    const last = labels[labels.length - 1];
    if (last && x - last[1] < 5 * r) last[1] = x;
    else labels.push([x, x]);
  }
  return { labels: labels.map(([a, b]) => [a / r, b / r]), width: canvas.width / r };
}"""


# Inked pixels of a canvas inside a box given in css px from its left and top.
INK_IN_BOX_JS = """([canvas, x0, x1, y0, y1]) => {
  const r = canvas.width / canvas.getBoundingClientRect().width;
  const w = Math.round((x1 - x0) * r), h = Math.round((y1 - y0) * r);
  const d = canvas.getContext('2d').getImageData(Math.round(x0 * r), Math.round(y0 * r), w, h).data;
  let ink = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 60) ink++;
  return ink;
}"""


def assert_readable(found: dict, what: str) -> None:
    labels, width = found["labels"], found["width"]
    assert len(labels) >= 2, f"{what}: {len(labels)} step labels ({labels})"
    gaps = [b[0] - a[1] for a, b in itertools.pairwise(labels)]
    assert min(gaps) >= 8, f"{what}: labels {min(gaps):.1f} px apart ({labels})"
    assert labels[-1][1] <= width - 2, f"{what}: the last label is cut at the edge ({labels}, width {width})"
    assert labels[0][0] >= 1, f"{what}: the first label is cut at the edge ({labels})"


@pytest.fixture(scope="module")
def messages(tmp_path_factory):
    """The messages a Board sends for scalars, a margin chart and a histogram at each magnitude."""
    from cellboard import SummaryWriter

    board, cap = captured_board()
    w = SummaryWriter(str(tmp_path_factory.mktemp("steps") / "run"), store=board.store)
    w.add_custom_scalars({"band": {"ms band": ["Margin", ["ms/loss", "ms/low", "ms/high"]]}})
    rng = np.random.default_rng(0)
    for name, (start, stride) in STARTS.items():
        for i in range(POINTS):
            step = start + stride * i
            v = float(np.sin(i / 20))
            w.add_scalar(f"{name}/loss", v, step)
            if name == "ms":
                w.add_scalar("ms/low", v - 0.2, step)
                w.add_scalar("ms/high", v + 0.2, step)
                if i % 10 == 0:
                    w.add_histogram("ms/weights", rng.normal(i / 100, 1, 500), step)
    w.close()
    board.send_pending()
    out = cap.take()
    board.close()
    return out


def test_step_labels_of_huge_steps_are_apart_and_whole(site, messages):
    from playwright.sync_api import expect

    base, browser = site
    page, errors = open_harness(browser, base, "?auto=0", viewport=(1280, 1000))
    page.evaluate(MOUNT_JS, {"messages": messages, "theme": "light"})
    board = page.locator("#out .cellboard")
    expect(board).to_have_attribute("data-histogram-steps", str(POINTS // 10), timeout=15_000)

    for name in STARTS:
        card = board.locator(f".cb-scalar-card[data-tag='{name}/loss']")
        card.scroll_into_view_if_needed()
        canvas = card.locator("canvas")
        expect(canvas).to_have_count(1)
        page.wait_for_timeout(150)
        card.screenshot(path=str(ARTIFACTS / f"step-axis-scalars-{name}.png"))
        assert_readable(page.evaluate(LABELS_JS, [canvas.element_handle(), 16, 4]), f"{name} scalars")

    board.locator(".cb-tab[data-kind='custom_scalars']").click()
    card = board.locator(".cb-cs-card[data-chart='ms band']")
    expect(card.locator("canvas")).to_have_count(1)
    page.wait_for_timeout(200)
    card.screenshot(path=str(ARTIFACTS / "step-axis-margin-ms.png"))
    assert_readable(page.evaluate(LABELS_JS, [card.locator("canvas").element_handle(), 16, 4]), "ms margin chart")

    board.locator(".cb-tab[data-kind='histograms']").click()
    board.get_by_text("Distribution (percentiles over steps)").click()
    card = board.locator(".cb-hist-card").first
    expect(card.locator("canvas")).to_have_count(1)
    page.wait_for_timeout(200)
    card.screenshot(path=str(ARTIFACTS / "step-axis-distribution-ms.png"))
    assert_readable(page.evaluate(LABELS_JS, [card.locator("canvas").element_handle(), 24, 6]), "ms distribution")

    # the offset view writes steps right of the plot: the widest must end inside the canvas
    board.get_by_text("Offset (steps stacked)").click()
    page.wait_for_timeout(200)
    card.screenshot(path=str(ARTIFACTS / "step-axis-offset-ms.png"))
    canvas = card.locator("canvas").element_handle()
    found = page.evaluate(LABELS_JS, [canvas, canvas.evaluate("(c) => c.getBoundingClientRect().height"), 0])
    assert found["labels"][-1][1] <= found["width"] - 2, f"offset view: a step label is cut ({found})"
    assert not real_errors(errors)
    page.close()


def test_value_labels_of_huge_and_tiny_values(site):
    from .test_harness_board_ux import T0
    from .test_harness_scalar_toggle import mounted

    i = np.arange(100, dtype=np.float64)
    series = [
        {"run": "a", "tag": f"train/{name}", "steps": i, "walls": T0 + i, "values": base * (1 + i / 100)}
        for name, base in (("huge", 1e30), ("large", 3e17), ("small", 1e-14), ("tiny", 1e-30), ("plain", 1.0))
    ]
    page, errors, board = mounted(site, series, smoothing=0.0, tag_filter="^train/", tag="train/huge")
    inks = {}
    for name in ("huge", "large", "small", "tiny", "plain"):
        card = board.locator(f".cb-scalar-card[data-tag='train/{name}']")
        card.scroll_into_view_if_needed()
        page.wait_for_timeout(200)
        card.screenshot(path=str(ARTIFACTS / f"value-axis-{name}.png"))
        canvas = card.locator("canvas").element_handle()
        height = canvas.evaluate("(c) => c.getBoundingClientRect().height")
        # the y labels, left of the plot and above the x axis
        inks[name] = page.evaluate(INK_IN_BOX_JS, [canvas, 0, 40, 8, height - 30])
    assert inks["plain"] > 100, inks
    for name in ("huge", "large", "small", "tiny"):
        assert inks[name] > inks["plain"] / 2, f"{name}: no value labels ({inks})"
    assert not real_errors(errors)
    page.close()
