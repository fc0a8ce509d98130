"""The board as a TensorBoard user sees it (issue 8, section 3), in headless Chromium through the
frontend harness (js/harness/): full run names, a legend and the hovered run highlighted,
one-point series drawn, run colours equal to Python's ``assign_colors`` (one palette, a function of
the name), images scaled with crisp pixels and a lightbox, a board height that holds (also after
ipywidgets' LayoutView clears the inline height) and a drag handle that changes and saves it.
Screenshots in test-artifacts/board-ux-*.png (look at them).
"""

from __future__ import annotations

import base64
import io
import math

import numpy as np
import pytest

from cellboard.board.snapshot import assign_colors, palette, run_color

from .frontend_harness import ROOT, open_harness, real_errors

ARTIFACTS = ROOT / "test-artifacts"

# four runs that differ only at the end of a long name (what TensorBoard users name their runs)
RUNS = [f"fashion_mnist_experiment_lr{lr}_batch64_seed{i}" for i, lr in enumerate(["0.1", "0.01", "0.001", "0.0001"])]
T0 = 1.7e9


def make_scalars() -> list[dict]:
    """[{run, tag, steps, walls, values}]: losses per run, a tag where one run has one point,
    and a tag with a single run and a single point."""
    rng = np.random.default_rng(0)
    out = []
    steps = np.arange(0, 1000, 5, dtype=np.float64)
    for i, run in enumerate(RUNS):
        rate = [0.002, 0.004, 0.006, 0.009][i]
        loss = 2.3 * np.exp(-rate * steps) + 0.1 + 0.08 * rng.normal(size=steps.size)
        acc = 0.1 + 0.85 * (1 - np.exp(-rate * 1.3 * steps)) + 0.02 * rng.normal(size=steps.size)
        out.append({"run": run, "tag": "train/loss", "steps": steps, "values": loss})
        out.append({"run": run, "tag": "train/accuracy", "steps": steps, "values": acc})
        ev = steps[::20]
        if i == 3:  # the last run was evaluated once
            out.append({"run": run, "tag": "eval/accuracy", "steps": np.array([500.0]), "values": np.array([0.8])})
        else:
            out.append(
                {
                    "run": run,
                    "tag": "eval/accuracy",
                    "steps": ev,
                    "values": 0.1 + 0.8 * (1 - np.exp(-rate * ev)) + 0.01 * rng.normal(size=ev.size),
                }
            )
    out.append({"run": RUNS[1], "tag": "test/final_accuracy", "steps": np.array([1000.0]), "values": np.array([0.912])})
    for s in out:
        s["walls"] = T0 + s["steps"] * 0.5 + RUNS.index(s["run"]) * 900
    return out


def png_bytes(arr: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def make_images() -> list[dict]:
    """Small (28x28, MNIST-like) images at 5 steps for two runs, under a long tag."""
    rng = np.random.default_rng(1)
    out = []
    yy, xx = np.mgrid[0:28, 0:28]
    for ri, run in enumerate(RUNS[:2]):
        for k in range(5):
            ring = np.exp(-((np.hypot(xx - 14, yy - 14) - 7 - ri) ** 2) * (0.1 + k * 0.1))
            img = np.clip(ring + rng.normal(size=ring.shape) * (0.3 - k * 0.05), 0, 1)
            rgb = (np.stack([img, img * (0.6 + 0.3 * ri), img * 0.9], axis=-1) * 255).astype(np.uint8)
            out.append(
                {
                    "run": run,
                    "tag": "reconstructions/decoder_output_after_epoch_end",
                    "index": k,
                    "step": k * 200,
                    "wall": T0 + k * 100 + ri * 900,
                    "width": 28,
                    "height": 28,
                    "png": png_bytes(rgb),
                }
            )
    return out


MOUNT_JS = """([attrs, theme]) => {
  const h = window.cellboardHarness;
  document.body.classList.remove('jp-light', 'jp-dark');
  if (theme) document.body.classList.add('jp-' + theme);
  const old = window.__ux;
  if (old) old.cleanup();
  if (h.cleanup) { h.cleanup(); h.cleanup = null; }
  const host = document.getElementById('out');
  host.removeAttribute('class');
  host.removeAttribute('style');
  const el = document.createElement('div');
  el.id = 'ux';
  host.replaceChildren(el);
  const model = new h.FakeModel(attrs);
  window.__ux = { model, el, seq: 0, cleanup: h.mount(model, el) };
}"""

EMIT_JS = """([scalars, images]) => {
  const ux = window.__ux, buffers = [], entries = {scalars: [], images: []};
  for (const s of scalars) {
    const n = s.steps.length;
    const dv = new DataView(new ArrayBuffer(24 * n));
    [s.steps, s.walls, s.values].forEach((col, c) => col.forEach((v, i) => dv.setFloat64(8 * (c * n + i), v, true)));
    entries.scalars.push({run: s.run, tag: s.tag, epoch: 0, offset: 0, count: n, decimated: false, total: n, buffer: buffers.length});
    buffers.push(dv);
  }
  for (const im of images) {
    const raw = atob(im.png), bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    entries.images.push({run: im.run, tag: im.tag, index: im.index, step: im.step, wall: im.wall,
                         width: im.width, height: im.height, mime: 'image/png', buffer: buffers.length});
    buffers.push(new DataView(bytes.buffer));
  }
  const runs = [...new Set([...scalars.map((s) => s.run), ...images.map((i) => i.run)])];
  ux.model.emit('msg:custom', {type: 'delta', seq: ++ux.seq, runs, entries}, buffers);
}"""

# pixels of a colour (within a tolerance) on the visible canvases under a root element
COLOR_INK_JS = """([sel, rgb, tol]) => {
  let n = 0;
  for (const c of document.querySelectorAll(sel)) {
    if (!c.width || !c.height || !c.offsetParent) continue;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 200 && Math.abs(d[i] - rgb[0]) + Math.abs(d[i + 1] - rgb[1]) + Math.abs(d[i + 2] - rgb[2]) <= tol) n++;
    }
  }
  return n;
}"""


def wire_scalars(series) -> list[dict]:
    return [
        {
            "run": s["run"],
            "tag": s["tag"],
            "steps": s["steps"].tolist(),
            "walls": s["walls"].tolist(),
            "values": s["values"].tolist(),
        }
        for s in series
    ]


def wire_images(images) -> list[dict]:
    return [
        {**{k: v for k, v in im.items() if k != "png"}, "png": base64.b64encode(im["png"]).decode()} for im in images
    ]


def rgb(color: str) -> list[int]:
    return [int(color[i : i + 2], 16) for i in (1, 3, 5)]


def css_rgb(color: str) -> str:
    r, g, b = rgb(color)
    return f"rgb({r}, {g}, {b})"


def board_page(site, theme="light", height=620, viewport=(1280, 900)):
    base, browser = site
    page, errors = open_harness(browser, base, "?auto=0", viewport=viewport)
    attrs = {
        "smoothing": 0.6,
        "x_axis": "step",
        "log_y": False,
        "tag_filter": "",
        "run_filter": "",
        "height": height,
        "title": "fashion_mnist",
    }
    page.evaluate(MOUNT_JS, [attrs, theme])
    return page, errors, page.locator("#ux.cellboard")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_run_names_legend_highlight_points_and_colours(site, theme):
    from playwright.sync_api import expect

    page, errors, board = board_page(site, theme)
    page.evaluate(EMIT_JS, [wire_scalars(make_scalars()), []])
    expect(board).to_have_attribute("data-scalar-tags", "4")
    page.wait_for_timeout(300)
    dark = theme == "dark"

    # run list: every name in full (wrapped, never cut), its swatch in Python's colour for the name
    names = board.locator(".cb-run .cb-run-name")
    expect(names).to_have_count(4)
    for run in RUNS:
        item = board.locator(f".cb-run[data-run='{run}']")
        assert item.locator(".cb-run-name").text_content() == run
        assert item.get_attribute("title") == run
        assert item.locator(".cb-run-name").evaluate("(e) => e.scrollWidth <= e.clientWidth + 1"), f"{run} is cut"
        swatch = item.locator(".cb-swatch").evaluate("(e) => getComputedStyle(e).backgroundColor")
        assert swatch == css_rgb(run_color(run, dark=dark)), run

    # a legend under each multi-run chart, full names, in the same colours
    card = board.locator(".cb-scalar-card[data-tag='train/loss']")
    legend = card.locator(".cb-legend-item")
    expect(legend).to_have_count(4)
    for run in RUNS:
        item = card.locator(f".cb-legend-item[data-run='{run}']")
        assert item.text_content() == run
        assert item.locator(".cb-swatch").evaluate("(e) => getComputedStyle(e).backgroundColor") == css_rgb(
            run_color(run, dark=dark)
        )
    # the lines are drawn in those colours (smoothed lines are the solid ones)
    for run in RUNS:
        ink = page.evaluate(
            COLOR_INK_JS, ["#ux .cb-scalar-card[data-tag='train/loss'] canvas", rgb(run_color(run, dark=dark)), 12]
        )
        assert ink > 50, f"no line in {run}'s colour ({ink} px)"
    # a chart of one run names it too (the board has several)
    expect(board.locator(".cb-scalar-card[data-tag='test/final_accuracy'] .cb-legend-item")).to_have_text([RUNS[1]])

    # hover the legend: that run is highlighted, the others dimmed (in the legend and on the canvas)
    target = RUNS[2]
    before = page.evaluate(
        COLOR_INK_JS, ["#ux .cb-scalar-card[data-tag='train/loss'] canvas", rgb(run_color(RUNS[0], dark=dark)), 12]
    )
    card.locator(f".cb-legend-item[data-run='{target}']").hover()
    expect(card.locator(".cb-legend-item.cb-hl")).to_have_count(1)
    expect(card.locator(".cb-legend-item.cb-dim")).to_have_count(3)
    assert card.locator(".cb-legend-item.cb-hl").get_attribute("data-run") == target
    page.wait_for_timeout(50)
    after = page.evaluate(
        COLOR_INK_JS, ["#ux .cb-scalar-card[data-tag='train/loss'] canvas", rgb(run_color(RUNS[0], dark=dark)), 12]
    )
    assert after < before * 0.2, f"the other runs are not dimmed ({before} -> {after} px of full colour)"
    shot = f"board-ux-legend-hover-{theme}.png"
    card.screenshot(path=str(ARTIFACTS / shot))
    page.mouse.move(5, 5)
    expect(card.locator(".cb-legend-item.cb-hl")).to_have_count(0)

    # hover the chart: the run nearest the cursor is highlighted, and bold in the tooltip
    plot = card.locator(".u-over")
    box = plot.bounding_box()
    found = None
    for fy in np.linspace(0.05, 0.95, 19):
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * fy)
        page.wait_for_timeout(30)
        if card.locator(".cb-legend-item.cb-hl").count():
            found = card.locator(".cb-legend-item.cb-hl").get_attribute("data-run")
            break
    assert found in RUNS, "hovering the lines highlights none"
    expect(card.locator(".cb-tooltip tr.cb-hl")).to_contain_text(found)
    expect(card.locator(".cb-tooltip")).to_contain_text(RUNS[0])  # full names in the tooltip
    card.screenshot(path=str(ARTIFACTS / f"board-ux-chart-hover-{theme}.png"))
    page.mouse.move(5, 5)

    # one-point series draw a dot: alone, and next to runs with many points
    one = rgb(run_color(RUNS[1], dark=dark))
    ink = page.evaluate(COLOR_INK_JS, ["#ux .cb-scalar-card[data-tag='test/final_accuracy'] canvas", one, 12])
    assert ink >= 12, f"a one-point series draws {ink} px"
    last = rgb(run_color(RUNS[3], dark=dark))
    ink = page.evaluate(COLOR_INK_JS, ["#ux .cb-scalar-card[data-tag='eval/accuracy'] canvas", last, 12])
    assert ink >= 12, f"the run with one point among others draws {ink} px"

    board.screenshot(path=str(ARTIFACTS / f"board-ux-scalars-{theme}.png"))
    assert not real_errors(errors), real_errors(errors)
    page.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_images_scaled_filters_and_lightbox(site, theme):
    from playwright.sync_api import expect

    page, errors, board = board_page(site, theme)
    images = make_images()
    page.evaluate(EMIT_JS, [[], wire_images(images)])
    expect(board).to_have_attribute("data-image-count", str(len(images)))
    cards = board.locator(".cb-image-card")
    expect(cards).to_have_count(2)
    page.wait_for_function(
        """() => [...document.querySelectorAll('#ux .cb-image-card img')]
        .every((i) => i.complete && i.naturalWidth > 0)""",
        timeout=10_000,
    )
    page.wait_for_timeout(100)
    card = board.locator(".cb-image-card", has=page.locator(f".cb-card-run[data-run='{RUNS[0]}']"))
    img = card.locator(".cb-img-box img")

    # scaled to the card with crisp pixels; the full title, the step and the wall time shown
    w = img.evaluate("(i) => i.getBoundingClientRect().width")
    assert w >= 6 * 28, f"a 28px image is drawn {w}px wide in a card"
    assert img.evaluate("(i) => getComputedStyle(i).imageRendering") == "pixelated"
    title = card.locator(".cb-card-title")
    assert title.text_content() == "reconstructions/decoder_output_after_epoch_end"
    assert title.evaluate("(e) => e.scrollWidth <= e.clientWidth + 1")
    assert card.locator(".cb-card-run").text_content() == RUNS[0]
    expect(card.locator(".cb-step")).to_have_text("step 800")
    expect(card.locator(".cb-img-info")).to_contain_text("28×28")
    expect(card.locator(".cb-img-info")).to_contain_text(":")  # wall time (local time zone)
    board.screenshot(path=str(ARTIFACTS / f"board-ux-images-{theme}.png"))

    # brightness and contrast (sidebar, per view) filter every image
    bright = board.get_by_label("Brightness")
    bright.fill("1.5")
    assert "brightness(1.5)" in img.evaluate("(i) => getComputedStyle(i).filter")
    board.get_by_label("Contrast").fill("2")
    assert "contrast(2)" in img.evaluate("(i) => getComputedStyle(i).filter")
    board.get_by_role("button", name="reset").click()
    assert img.evaluate("(i) => getComputedStyle(i).filter") == "none"

    # actual size, and back
    board.get_by_label("Show actual image size").check()
    page.wait_for_timeout(50)
    assert img.evaluate("(i) => i.getBoundingClientRect().width") == 28
    board.get_by_label("Show actual image size").uncheck()

    # linked steps: moving one card's slider moves the other card to that step (off: it stays)
    other = board.locator(".cb-image-card", has=page.locator(f".cb-card-run[data-run='{RUNS[1]}']"))
    slide = "(s, v) => { s.value = v; s.dispatchEvent(new Event('input', {bubbles: true})); }"
    card.get_by_label("Step").evaluate(slide, "1")
    expect(card).to_have_attribute("data-step", "200")
    expect(other).to_have_attribute("data-step", "800")
    board.get_by_label("Link steps across cards").check()
    card.get_by_label("Step").evaluate(slide, "2")
    expect(card).to_have_attribute("data-step", "400")
    expect(other).to_have_attribute("data-step", "400")
    expect(other.locator(".cb-step")).to_have_text("step 400")
    card.get_by_label("Step").evaluate(slide, "4")  # the end: both follow their newest again
    expect(other).to_have_attribute("data-step", "800")
    board.get_by_label("Link steps across cards").uncheck()

    # expand a card to the full width
    card.get_by_role("button", name="Expand to the full width").click()
    expect(card).to_have_class("cb-card cb-image-card cb-wide")
    wide = img.evaluate("(i) => i.getBoundingClientRect().width")
    assert wide > w
    card.get_by_role("button", name="Back to the grid").click()

    # click to enlarge: a lightbox inside the board; Esc closes it; a click too; arrows step
    img.click()
    box = board.locator(".cb-lightbox")
    expect(box).to_be_visible()
    big = box.locator("img")
    page.wait_for_function("() => document.querySelector('#ux .cb-lightbox img').naturalWidth > 0")
    page.wait_for_timeout(50)
    bw = big.evaluate("(i) => i.getBoundingClientRect().height")
    assert bw > 300, f"lightbox image {bw}px"
    assert big.evaluate("(i) => getComputedStyle(i).imageRendering") == "pixelated"
    expect(box).to_contain_text("step 800")
    page.keyboard.press("ArrowLeft")
    expect(box).to_contain_text("step 600")
    lb = board.bounding_box()
    inner = box.bounding_box()
    assert inner["width"] == pytest.approx(lb["width"] - 2, abs=2) and inner["y"] >= lb["y"] - 1
    board.screenshot(path=str(ARTIFACTS / f"board-ux-lightbox-{theme}.png"))
    page.keyboard.press("Escape")
    expect(box).to_have_count(0)
    img.click()
    expect(board.locator(".cb-lightbox")).to_be_visible()
    board.locator(".cb-lightbox").click(position={"x": 10, "y": 10})
    expect(board.locator(".cb-lightbox")).to_have_count(0)

    assert not real_errors(errors), real_errors(errors)
    page.close()


def many_tags(n: int, start: int = 0) -> list[dict]:
    steps = np.arange(50, dtype=np.float64)
    return [
        {
            "run": RUNS[k % 2],
            "tag": f"layer_{k // 10:02d}/metric_{k:03d}",
            "steps": steps,
            "walls": T0 + steps,
            "values": np.sin(steps / 7 + k),
        }
        for k in range(start, start + n)
    ]


@pytest.mark.parametrize("height", [360, 560])
def test_height_holds_and_the_drag_handle_resizes(site, height):
    from playwright.sync_api import expect

    page, errors, board = board_page(site, "light", height=height)
    rect_h = "(el) => el.getBoundingClientRect().height"
    page.evaluate(EMIT_JS, [wire_scalars(many_tags(20)), []])
    expect(board).to_have_attribute("data-scalar-tags", "20")
    page.wait_for_timeout(200)
    assert board.evaluate(rect_h) == height
    # ipywidgets' LayoutView clears the view element's inline height when it attaches (after
    # render): the board must keep its height (it grew to 5,684 px for 20 charts before)
    board.evaluate("(el) => el.style.removeProperty('height')")
    page.evaluate(EMIT_JS, [wire_scalars(many_tags(80, 20)), []])
    expect(board).to_have_attribute("data-scalar-tags", "100")
    page.wait_for_timeout(200)
    assert board.evaluate(rect_h) == height
    main = board.locator(".cb-main")
    assert main.evaluate("(e) => e.scrollHeight > e.clientHeight + 1000"), "the charts scroll inside the board"

    # drag the bottom edge: the board follows, the height trait is saved at the end
    grip = board.locator(".cb-resize")
    gb = grip.bounding_box()
    x, y = gb["x"] + gb["width"] / 2, gb["y"] + gb["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + 120, steps=6)
    page.mouse.up()
    page.wait_for_timeout(100)
    model = "window.__ux.model"
    assert page.evaluate(f"() => {model}.get('height')") == height + 120
    assert page.evaluate(f"() => {model}.saved.at(-1).height") == height + 120
    assert board.evaluate(rect_h) == height + 120
    # arrow keys on the focused handle
    grip.focus()
    page.keyboard.press("ArrowUp")
    assert page.evaluate(f"() => {model}.get('height')") == height + 80
    # Python changing the trait wins too
    page.evaluate(f"() => {model}.set('height', 400)")
    page.wait_for_timeout(50)
    assert board.evaluate(rect_h) == 400
    board.evaluate("(el) => el.style.removeProperty('height')")
    assert board.evaluate(rect_h) == 400
    if height == 360:
        board.screenshot(path=str(ARTIFACTS / "board-ux-height-400.png"))
    assert not real_errors(errors), real_errors(errors)
    page.close()


def test_each_tab_keeps_its_scroll(site):
    """Switching tabs shows each tab where it was left; the first tab shown starts at the top."""
    from playwright.sync_api import expect

    page, errors, board = board_page(site, "light", height=400)
    page.evaluate(EMIT_JS, [wire_scalars(many_tags(40)), wire_images(make_images())])
    expect(board).to_have_attribute("data-scalar-tags", "40")
    main = board.locator(".cb-main")
    tab = lambda kind: board.locator(f'.cb-tab[data-kind="{kind}"]')  # noqa: E731
    expect(tab("scalars")).to_have_attribute("aria-selected", "true")
    assert main.evaluate("(e) => e.scrollTop") == 0
    main.evaluate("(e) => { e.scrollTop = 900; }")
    tab("images").click()
    expect(tab("images")).to_have_attribute("aria-selected", "true")
    assert main.evaluate("(e) => e.scrollTop") == 0
    tab("scalars").click()
    expect(tab("scalars")).to_have_attribute("aria-selected", "true")
    assert main.evaluate("(e) => e.scrollTop") == 900
    assert not real_errors(errors), real_errors(errors)
    page.close()


def test_python_and_view_agree_on_colours_of_many_names(site):
    """The view's run colours for 40 names equal the snapshot's (light and dark): each name's
    palette slot, the next free one on a clash (40 names > 12 colours: clashes are shared once
    the palette is used up, the same way on both sides)."""
    names = [f"runs/exp_{i}" for i in range(20)] + [f"seed={i}/lr=0.{i}" for i in range(20)]
    for theme in ("light", "dark"):
        page, errors, board = board_page(site, theme)
        series = [
            {
                "run": n,
                "tag": "loss",
                "steps": np.array([0.0, 1.0]),
                "walls": np.array([T0, T0 + 1]),
                "values": np.array([1.0, math.pi]),
            }
            for n in names
        ]
        page.evaluate(EMIT_JS, [wire_scalars(series), []])
        from playwright.sync_api import expect

        expect(board.locator(".cb-run")).to_have_count(len(names))
        got = board.evaluate("""(el) => Object.fromEntries([...el.querySelectorAll('.cb-run')]
            .map((r) => [r.dataset.run, getComputedStyle(r.querySelector('.cb-swatch')).backgroundColor]))""")
        pal = palette(dark=theme == "dark")
        assert got == {n: css_rgb(pal[i]) for n, i in assign_colors(names).items()}
        assert not real_errors(errors), real_errors(errors)
        page.close()
