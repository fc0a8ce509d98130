"""A run's colour picked in the run list (TensorBoard's run colour picker), in headless Chromium
through the frontend harness (js/harness/): the swatch opens the browser's colour input without
toggling the run, the chart's lines, legend and swatch follow the colour while it is picked, the
Board's ``run_colors`` trait saves it once the picker closes, and the sidebar's "palette colours"
link or the kernel clearing the trait gives the palette's colour back. Screenshot:
test-artifacts/harness-run-colors.png (look at it).
"""

from __future__ import annotations

from cellboard.board.snapshot import run_color

from .frontend_harness import ROOT, real_errors
from .test_harness_board_ux import COLOR_INK_JS, RUNS, css_rgb, make_scalars, rgb
from .test_harness_scalar_toggle import CARD, mounted, settle

ARTIFACTS = ROOT / "test-artifacts"
MODEL = "window.__ux.model"
RUN = RUNS[1]
CHOSEN = "#00c853"  # a green no palette entry is near

PICK_JS = """([run, color, event]) => {
  const input = document.querySelector(`#ux .cb-run[data-run='${run}'] + .cb-color-pick`);
  input.value = color;
  input.dispatchEvent(new Event(event, { bubbles: true }));
}"""


def line_ink(page, color: str) -> int:
    return page.evaluate(COLOR_INK_JS, [CARD + " canvas", rgb(color), 12])


def test_a_run_colour_picked_in_the_run_list_recolours_its_line_and_is_saved(site):
    from playwright.sync_api import expect

    page, errors, board = mounted(site, make_scalars())
    item = board.locator(f".cb-run[data-run='{RUN}']")
    swatch, legend = item.locator(".cb-swatch"), page.locator(f"{CARD} .cb-legend-item[data-run='{RUN}'] .cb-swatch")
    background = "(e) => getComputedStyle(e).backgroundColor"
    assert line_ink(page, CHOSEN) == 0 and line_ink(page, run_color(RUN)) > 50
    picker = board.locator(f".cb-run[data-run='{RUN}'] + .cb-color-pick")
    assert picker.get_attribute("aria-label") == f"Colour of {RUN}"
    assert picker.input_value() == run_color(RUN)

    # reached with the keyboard (Tab from the run's checkbox), the invisible input shows itself: a
    # focus ring where the swatch is
    item.locator("input").focus()
    page.keyboard.press("Tab")
    assert picker.evaluate("(e) => e === document.activeElement && getComputedStyle(e).opacity") == "1"
    page.keyboard.press("Shift+Tab")
    assert picker.evaluate("(e) => getComputedStyle(e).opacity") == "0"

    # a click on the swatch is the picker's (it is what the pointer hits there); the run stays shown
    box = swatch.bounding_box()
    hit = "([x, y]) => document.elementFromPoint(x, y).className"
    assert page.evaluate(hit, [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]) == "cb-color-pick"
    picker.dispatch_event("click")
    assert item.locator("input").is_checked()
    assert item.locator("input").evaluate("(e) => e.labels[0].textContent") == RUN  # the checkbox's name

    # while the colour is picked: the line, its legend entry and the swatch follow; nothing saved yet
    page.evaluate(PICK_JS, [RUN, CHOSEN, "input"])
    settle(page)
    assert line_ink(page, CHOSEN) > 50
    assert line_ink(page, run_color(RUN)) == 0
    assert swatch.evaluate(background) == css_rgb(CHOSEN) == legend.evaluate(background)
    assert page.evaluate(f"() => {MODEL}.get('run_colors')") in (None, {})

    # the picker closed on it: saved with the widget
    saved = page.evaluate(f"() => {MODEL}.saved.length")
    page.evaluate(PICK_JS, [RUN, CHOSEN, "change"])
    assert page.evaluate(f"() => {MODEL}.get('run_colors')") == {RUN: CHOSEN}
    assert page.evaluate(f"() => {MODEL}.saved.length") > saved
    board.screenshot(path=str(ARTIFACTS / "harness-run-colors.png"))

    # back to the palette: the sidebar's link (shown only while a colour is picked), or the kernel
    # clearing the trait (board.run_colors = {} in Python)
    reset = board.get_by_role("button", name="palette colours")
    for how in ("link", "kernel"):
        if how == "link":
            expect(reset).to_be_visible()
            reset.click()
            assert page.evaluate(f"() => {MODEL}.get('run_colors')") == {}
        else:
            page.evaluate(PICK_JS, [RUN, CHOSEN, "change"])
            settle(page)
            assert line_ink(page, CHOSEN) > 50
            page.evaluate(f"() => {MODEL}.set('run_colors', {{}})")
        settle(page)
        assert line_ink(page, CHOSEN) == 0 and line_ink(page, run_color(RUN)) > 50, how
        assert swatch.evaluate(background) == css_rgb(run_color(RUN)), how
        assert picker.input_value() == run_color(RUN), how
        expect(reset).to_be_hidden()
    assert real_errors(errors) == []


def test_a_board_opens_in_the_colours_its_trait_holds(site):
    page, errors, board = mounted(site, make_scalars(), run_colors={RUN: CHOSEN})
    assert line_ink(page, CHOSEN) > 50
    item = board.locator(f".cb-run[data-run='{RUN}']")
    assert item.locator(".cb-swatch").evaluate("(e) => getComputedStyle(e).backgroundColor") == css_rgb(CHOSEN)
    assert real_errors(errors) == []
