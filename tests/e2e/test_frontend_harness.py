"""The frontend bundle in headless Chromium, without Jupyter: js/harness/ mounts widget.js with a
fake anywidget model and a fake kernel streaming synthetic deltas (3 runs; scalars with a spike
and a NaN, real PNG images, uniform and TensorFlow-style histograms, markdown text with an XSS
attempt). Checks the data-* hooks, drawn canvases, every control, resync after a gap, cleanup,
and saves screenshots to test-artifacts/ (look at them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .frontend_harness import ROOT, open_harness, real_errors
from .pixel_checks import INK_JS

ARTIFACTS = ROOT / "test-artifacts"

EXPECTED = {  # js/harness/harness.js: 3 runs x (3 tags x 1000 steps + 2 tags x 21 evals), ...
    "data-runs": "baseline,lr_0.001,lr_0.01",
    "data-scalar-tags": "5",
    "data-scalar-points": str(3 * (3 * 1000 + 2 * 21)),
    "data-image-count": str(3 * 10 + 3),
    "data-histogram-steps": str(3 * 20 + 20 + 20),
}

UNSAFE_JS = """(root) => {
  const bad = [];
  for (const el of root.querySelectorAll('*')) {
    if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED'].includes(el.tagName)) bad.push(el.tagName);
    for (const a of el.attributes) if (/^on/i.test(a.name)) bad.push(el.tagName + '[' + a.name + ']');
    const href = el.getAttribute('href') || el.getAttribute('src') || '';
    if (/^\\s*javascript:/i.test(href)) bad.push(el.tagName + ' ' + href);
  }
  return bad;
}"""


def wait_streamed(page):
    page.wait_for_function("() => window.cellboardHarness.streamed === true", timeout=30_000)


def expect_totals(board):
    from playwright.sync_api import expect

    for attr, value in EXPECTED.items():
        expect(board).to_have_attribute(attr, value, timeout=15_000)
    expect(board).to_have_attribute("data-cellboard-ready", "1")


def shot(board, name: str):
    board.screenshot(path=str(ARTIFACTS / f"harness-{name}.png"))


def test_harness_renders_every_kind_and_control(site):
    from playwright.sync_api import expect

    base, browser = site
    page, errors = open_harness(browser, base)
    board = page.locator("#out.cellboard")
    wait_streamed(page)
    expect_totals(board)
    page.wait_for_timeout(300)
    assert board.evaluate(INK_JS) > 2000, "scalar charts are blank"
    assert board.locator(".cb-scalar-card").count() == 5
    assert page.evaluate("() => window.cellboardHarness.model.sent[0]") == {
        "type": "hello",
        "complete": False,
        "seq": -1,
    }
    shot(board, "scalars")

    # hover: tooltip with every run
    plot = board.locator(".cb-scalar-card[data-tag='train/loss'] .u-over")
    plot.scroll_into_view_if_needed()
    page.wait_for_timeout(100)
    box = plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5)
    tip = board.locator(".cb-scalar-card[data-tag='train/loss'] .cb-tooltip")
    expect(tip).to_be_visible()
    for run in ("baseline", "lr_0.001", "lr_0.01"):
        expect(tip).to_contain_text(run)
    expect(tip).to_contain_text("Smoothed")
    shot(board, "scalars-tooltip")
    # tooltip order: by the smoothed value shown, or by run name
    rows_js = """el => [...el.querySelectorAll('tr.cb-tip-row')].map(r => [r.querySelector('.cb-tip-run').textContent,
        Number(r.children[1].textContent)])"""
    for order, check in (
        ("descending", lambda rows: [v for _, v in rows] == sorted((v for _, v in rows), reverse=True)),
        ("ascending", lambda rows: [v for _, v in rows] == sorted(v for _, v in rows)),
        ("name", lambda rows: [r for r, _ in rows] == sorted(r for r, _ in rows)),
    ):
        board.get_by_label("Tooltip order").select_option(order)
        page.mouse.move(box["x"] + box["width"] * 0.61, box["y"] + box["height"] * 0.5)
        expect(tip).to_be_visible()
        rows = tip.evaluate(rows_js)
        assert len(rows) == 3 and check(rows), (order, rows)
    board.get_by_label("Tooltip order").select_option("nearest")

    # drag to zoom, double-click to reset
    reset = board.locator(".cb-scalar-card[data-tag='train/loss'] button[title^='Reset zoom']")
    page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + 40, steps=5)
    page.mouse.up()
    expect(reset).to_be_visible()
    page.wait_for_timeout(100)
    shot(board, "scalars-zoomed")
    page.mouse.dblclick(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    expect(reset).to_be_hidden()

    # CSV: every point held, for the runs shown
    with page.expect_download() as dl:
        board.locator(".cb-scalar-card[data-tag='train/loss'] button[title^='Download CSV']").click()
    assert dl.value.suggested_filename == "train_loss.csv"
    lines = Path(dl.value.path()).read_text().splitlines()
    assert lines[0] == "run,step,wall_time,value"
    assert len(lines) == 1 + 3 * 1000
    nan_row = next(line for line in lines if line.startswith("lr_0.01,400,"))
    assert nan_row.endswith(",NaN"), nan_row  # the diverged batch is exported as logged
    assert any(line.startswith("lr_0.01,700,") and line.endswith(",9.5") for line in lines)  # the spike
    # every scalar shown, long form (as cellboard.load(...).to_pandas()), then with a tag filter
    with page.expect_download() as dl:
        board.get_by_text("download every scalar shown (CSV)").click()
    assert dl.value.suggested_filename == "scalars.csv"
    rows = Path(dl.value.path()).read_text().splitlines()
    assert rows[0] == "run,tag,step,wall_time,value"
    assert len(rows) == 1 + 3 * (3 * 1000 + 2 * 21)
    assert any(r.startswith("lr_0.01,train/loss,700,") and r.endswith(",9.5") for r in rows)
    board.get_by_label("Filter tags").fill("train/loss")
    with page.expect_download() as dl:
        board.get_by_text("download every scalar shown (CSV)").click()
    assert len(Path(dl.value.path()).read_text().splitlines()) == 1 + 3 * 1000
    board.get_by_label("Filter tags").fill("")

    # settings: every control writes its synced trait
    model = "window.cellboardHarness.model"
    board.get_by_label("Log-scale y axis").check()
    assert page.evaluate(f"() => {model}.get('log_y')") is True
    assert page.evaluate(f"() => {model}.saved.length") >= 1
    page.wait_for_timeout(150)
    assert board.evaluate(INK_JS) > 2000
    shot(board, "scalars-logy")
    board.get_by_label("Log-scale y axis").uncheck()

    smoothing = board.get_by_label("Smoothing value")
    smoothing.fill("0.95")
    smoothing.dispatch_event("change")
    assert abs(page.evaluate(f"() => {model}.get('smoothing')") - 0.95) < 1e-9
    smoothing.fill("0")
    smoothing.dispatch_event("change")
    page.wait_for_timeout(100)
    assert board.evaluate(INK_JS) > 2000

    for axis in ("relative", "wall", "step"):
        board.get_by_label("Horizontal axis").select_option(axis)
        assert page.evaluate(f"() => {model}.get('x_axis')") == axis
        page.wait_for_timeout(150)
        assert board.evaluate(INK_JS) > 2000, f"blank charts with x axis {axis}"
        if axis != "step":
            shot(board, f"scalars-x-{axis}")

    # ignore outliers: on by default, as TensorBoard; off, lr_0.01's spike to 9.5 sets the y range
    outliers = board.get_by_label("Ignore outliers in y range")
    expect(outliers).to_be_checked()
    loss = board.locator(".cb-scalar-card[data-tag='train/loss'] canvas").first
    fitted = loss.screenshot()
    outliers.uncheck()
    assert page.evaluate(f"() => {model}.get('ignore_outliers')") is False
    page.wait_for_timeout(150)
    assert loss.screenshot() != fitted
    outliers.check()
    assert page.evaluate(f"() => {model}.get('ignore_outliers')") is True

    # the model changing a trait (as Python would) updates the controls
    page.evaluate(f"() => {model}.set('smoothing', 0.6)")
    expect(smoothing).to_have_value("0.600")

    # tag and run filters
    tags = board.get_by_label("Filter tags")
    tags.fill("loss$")
    expect(board.locator(".cb-scalar-card")).to_have_count(2)
    tags.fill("")
    expect(board.locator(".cb-scalar-card")).to_have_count(5)
    board.get_by_label("Filter runs").fill("^lr_")
    page.wait_for_timeout(100)
    expect(board.locator(".cb-run")).to_have_count(2)
    board.get_by_label("Filter runs").fill("")
    board.locator(".cb-run", has_text="lr_0.01").locator("input").uncheck()
    page.wait_for_timeout(100)
    assert board.evaluate(INK_JS) > 1000
    board.locator(".cb-run", has_text="lr_0.01").locator("input").check()

    # tabs appear for the kinds that have data
    assert [t.inner_text().strip().lower() for t in board.get_by_role("tab").all()] == [
        "scalars",
        "images",
        "histograms",
        "text",
    ]

    board.get_by_role("tab", name="Images").click()
    cards = board.locator(".cb-image-card")
    expect(cards).to_have_count(4)
    page.wait_for_function(
        """() => [...document.querySelectorAll('.cb-image-card img')]
        .every((i) => i.complete && i.naturalWidth > 0)""",
        timeout=10_000,
    )
    first = cards.filter(has_text="samples/generated").first
    expect(first.locator(".cb-step")).to_have_text("step 900")
    slider = first.locator("input[type=range]")
    assert slider.get_attribute("max") == "9", "the slider covers every logged step"
    slider.fill("0")
    expect(first.locator(".cb-step")).to_have_text("step 0")
    shot(board, "images")

    board.get_by_role("tab", name="Histograms").click()
    expect(board.locator(".cb-hist-card")).to_have_count(5)
    page.wait_for_timeout(200)
    assert board.evaluate(INK_JS) > 2000, "histograms are blank"
    hist = board.locator(".cb-hist-card canvas").nth(1).bounding_box()
    page.mouse.move(hist["x"] + hist["width"] * 0.4, hist["y"] + hist["height"] * 0.6)
    expect(board.locator(".cb-hist-card .cb-tooltip").nth(1)).to_contain_text("step")
    shot(board, "histograms-offset")
    board.get_by_label("Overlay").check()
    page.wait_for_timeout(200)
    assert board.evaluate(INK_JS) > 1000
    shot(board, "histograms-overlay")
    board.get_by_label("Offset (steps stacked)").check()

    board.get_by_role("tab", name="Text").click()
    expect(board.locator(".cb-text-card")).to_have_count(3)
    expect(board.locator(".cb-md table").first).to_be_visible()
    assert board.evaluate(UNSAFE_JS) == []
    assert page.evaluate("() => window.__xss") is None
    expect(board.locator(".cb-md", has_text="Sanitizer check")).to_contain_text("<script>")
    shot(board, "text")
    # "Enable Markdown" off: the texts as logged (the markdown table's pipes, no <table>), then back
    board.get_by_label("Enable Markdown").uncheck()
    expect(board.locator(".cb-text-card .cb-md table")).to_have_count(0)
    expect(board.locator(".cb-text-card pre.cb-md-plain", has_text="|").first).to_be_visible()
    expect(board.locator(".cb-text-card pre.cb-md-plain", has_text="> Finished in").first).to_be_visible()
    assert board.evaluate(UNSAFE_JS) == []
    board.get_by_label("Enable Markdown").check()
    expect(board.locator(".cb-md table").first).to_be_visible()
    board.get_by_role("tab", name="Scalars").click()

    # a gap (offset beyond what the view holds) asks for a hello; the snapshot restores everything
    page.evaluate("""() => {
      const h = window.cellboardHarness;
      const ab = new ArrayBuffer(24 + 3);
      const dv = new DataView(ab, 3, 24);
      dv.setFloat64(0, 5000, true); dv.setFloat64(8, 1.7e9, true); dv.setFloat64(16, 1, true);
      h.model.emit('msg:custom', {type: 'delta', seq: 999, runs: ['baseline', 'lr_0.01', 'lr_0.001'],
        entries: {scalars: [{run: 'baseline', tag: 'train/loss', epoch: 0, offset: 5000, count: 1,
                             decimated: false, total: 5001, buffer: 0}]}}, [dv]);
    }""")
    assert page.evaluate("() => window.cellboardHarness.kernel.hellos") >= 2
    expect_totals(board)

    # cleanup removes every listener and element
    page.evaluate("() => window.cellboardHarness.cleanup()")
    assert page.evaluate("() => window.cellboardHarness.model.listenerCount()") == 0
    assert board.evaluate("(el) => el.children.length") == 0

    assert not real_errors(errors), real_errors(errors)
    page.close()


def test_harness_tabs_runs_and_notices(site):
    """Opens on the first kind in dashboard order (not the first to arrive) until the user picks a
    tab; the run list keeps its elements (and checkbox states) while runs appear; notices banner."""
    from playwright.sync_api import expect

    base, browser = site
    page, errors = open_harness(browser, base, "?auto=0")
    board = page.locator("#out.cellboard")
    emit = """([runs, kinds, extra]) => {
      const h = window.cellboardHarness, k = h.kernel, buffers = [], entries = {};
      for (const kind of kinds) {
        if (kind === 'scalars') {
          entries.scalars = h.data.scalars.filter((s) => runs.includes(s.run))
            .map((s) => k.scalarEntry(s, 0, s.steps.length, buffers));
          continue;
        }
        const {list, buffers: b} = k.recordEntries(kind, h.data[kind].length);
        const keep = list.map((e, i) => [e, b[i]]).filter(([e]) => runs.includes(e.run));
        entries[kind] = keep.map(([e, buf]) => {
          if (buf) { e.buffer = buffers.length; buffers.push(buf); }
          return e;
        });
      }
      h.model.emit('msg:custom', {type: 'delta', seq: ++k.seq, runs, entries, ...extra}, buffers);
    }"""
    selected = board.locator(".cb-tab[aria-selected='true']")

    # images arrive first: the board shows them; scalars arrive: it moves to Scalars (dashboard order)
    page.evaluate(emit, [["baseline"], ["images"], {}])
    expect(selected).to_have_text("Images")
    li = "() => document.querySelector('#out .cb-runs li')"
    page.evaluate(f"() => {{ window.__li = ({li})(); }}")
    board.locator(".cb-run", has_text="baseline").locator("input").uncheck()
    page.evaluate(emit, [["baseline", "lr_0.01"], ["scalars"], {}])
    expect(selected).to_have_text("Scalars")
    assert [t.text_content().strip() for t in board.get_by_role("tab").all()] == ["Scalars", "Images"]

    # the run list was updated in place: same element, the unchecked box stayed unchecked
    expect(board.locator(".cb-run")).to_have_count(2)
    assert page.evaluate(f"() => ({li})() === window.__li && window.__li.isConnected")
    assert not board.locator(".cb-run", has_text="baseline").locator("input").is_checked()
    assert board.locator(".cb-run", has_text="lr_0.01").locator("input").is_checked()

    # once the user picks a tab it stays, whatever arrives next
    board.get_by_role("tab", name="Images").click()
    page.evaluate(emit, [["baseline", "lr_0.01", "lr_0.001"], ["scalars", "histograms", "text"], {}])
    expect(board.get_by_role("tab")).to_have_count(4)
    expect(selected).to_have_text("Images")
    assert page.evaluate(f"() => ({li})() === window.__li")

    # notices: a dismissible banner; hidden until the list changes; an empty list clears it
    banner = board.locator(".cb-notices")
    expect(banner).to_be_hidden()
    expect(board).to_have_attribute("data-notice-count", "0")
    notices = [
        {"source": "runs/b/events.out.tfevents.1", "message": "PermissionError: denied"},
        {"source": "runs/c/events.out.tfevents.2", "message": "truncated record"},
    ]
    page.evaluate(emit, [["baseline"], [], {"notices": notices}])
    expect(board).to_have_attribute("data-notice-count", "2")
    expect(banner).to_be_visible()
    expect(banner.locator("summary")).to_have_text("Could not read 2 files")
    banner.locator("summary").click()
    expect(banner.locator("li").first).to_contain_text("runs/b/events.out.tfevents.1: PermissionError: denied")
    shot(board, "notices")
    banner.get_by_role("button", name="Dismiss").click()
    expect(banner).to_be_hidden()
    page.evaluate(emit, [["baseline"], [], {"notices": notices}])  # the same list again
    page.wait_for_timeout(100)
    expect(banner).to_be_hidden()
    page.evaluate(emit, [["baseline"], [], {"notices": notices[:1]}])
    expect(banner).to_be_visible()
    expect(banner.locator("summary")).to_have_text("Could not read 1 file")
    page.evaluate(emit, [["baseline"], [], {"notices": []}])
    expect(board).to_have_attribute("data-notice-count", "0")
    expect(banner).to_be_hidden()

    # an unknown kind and a reset of one are ignored
    page.evaluate(
        emit,
        [
            ["baseline"],
            [],
            {
                "entries": {"hologram": [{"run": "x", "tag": "y", "index": 0}]},
                "reset": [{"kind": "hologram", "run": "x", "tag": "y"}],
            },
        ],
    )
    expect(board).to_have_attribute("data-runs", "baseline,lr_0.001,lr_0.01")

    assert not real_errors(errors), real_errors(errors)
    page.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_harness_follows_jupyterlab_theme(site, theme):
    base, browser = site
    page, errors = open_harness(browser, base, f"?theme={theme}")
    board = page.locator("#out.cellboard")
    wait_streamed(page)
    expect_totals(board)
    bg = board.evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert bg == ("rgb(255, 255, 255)" if theme == "light" else "rgb(33, 33, 33)")
    page.wait_for_timeout(300)
    assert board.evaluate(INK_JS) > 2000
    shot(board, f"scalars-{theme}")
    board.get_by_role("tab", name="Histograms").click()
    page.wait_for_timeout(200)
    shot(board, f"histograms-{theme}")
    assert not real_errors(errors), real_errors(errors)
    page.close()


def test_harness_narrow_cell(site):
    base, browser = site
    page, errors = open_harness(browser, base, viewport=(560, 900))
    board = page.locator("#out.cellboard")
    wait_streamed(page)
    expect_totals(board)
    assert "cb-narrow" in board.get_attribute("class")
    page.wait_for_timeout(300)
    assert board.evaluate(INK_JS) > 1000
    shot(board, "narrow")
    assert not real_errors(errors), real_errors(errors)
    page.close()


@pytest.mark.skipif(not os.environ.get("CELLBOARD_BENCH"), reason="timing: run benchmarks/frontend_render.py")
def test_benchmark_smoke(site):
    from .frontend_harness import run_benchmark

    base, browser = site
    result = run_benchmark(browser, base)
    assert result["heldPoints"] >= 1_000_000
    print(result)
