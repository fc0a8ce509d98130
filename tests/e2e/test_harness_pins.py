"""Pinned scalar charts (TensorBoard's pinned cards), in headless Chromium through the frontend
harness (js/harness/): a chart's pin button moves it into a "pinned" section at the top and saves
its tag in the Board's ``pinned`` trait; pinned charts stay in view whatever the tag filter, keep
the order they were pinned in, go back to their section when unpinned, and a board whose trait
already holds pins (set from Python, or a saved notebook) opens with them. Screenshot:
test-artifacts/harness-scalars-pinned.png (look at it).
"""

from __future__ import annotations

from .frontend_harness import ROOT, real_errors
from .pixel_checks import INK_JS
from .test_harness_board_ux import make_scalars
from .test_harness_scalar_toggle import mounted, settle

ARTIFACTS = ROOT / "test-artifacts"
MODEL = "window.__ux.model"

# [section name, [tags of its cards]] in the order shown
SECTIONS_JS = """() => [...document.querySelectorAll('#ux .cb-section')].map((s) => [
  s.querySelector('.cb-section-name').textContent,
  [...s.querySelectorAll('.cb-scalar-card')].map((c) => c.dataset.tag),
])"""

IN_VIEW_JS = """(tag) => {
  const card = document.querySelector(`#ux .cb-scalar-card[data-tag='${tag}']`);
  const main = document.querySelector('#ux .cb-main').getBoundingClientRect(), r = card.getBoundingClientRect();
  return r.top >= main.top - 1 && r.top < main.bottom;
}"""


def pin_button(board, tag: str):
    return board.locator(f".cb-scalar-card[data-tag='{tag}'] .cb-pin")


def test_pin_moves_a_chart_to_the_top_saves_it_and_survives_the_tag_filter(site):
    from playwright.sync_api import expect

    page, errors, board = mounted(site, make_scalars(), tag="eval/accuracy", tag_filter="")
    assert page.evaluate(SECTIONS_JS) == [
        ["eval", ["eval/accuracy"]],
        ["test", ["test/final_accuracy"]],
        ["train", ["train/accuracy", "train/loss"]],
    ]
    pin = pin_button(board, "train/loss")
    expect(pin).to_have_attribute("aria-pressed", "false")
    expect(pin).to_have_attribute("aria-label", "Pin to the top (pinned section)")

    pin.click()
    expect(pin).to_have_attribute("aria-pressed", "true")
    assert page.evaluate(f"() => {MODEL}.get('pinned')") == ["train/loss"]
    assert page.evaluate(f"() => {MODEL}.saved.length") >= 1  # saved with the widget
    pin_button(board, "eval/accuracy").click()
    settle(page)
    assert page.evaluate(SECTIONS_JS) == [
        ["pinned", ["train/loss", "eval/accuracy"]],  # in the order pinned
        ["test", ["test/final_accuracy"]],
        ["train", ["train/accuracy"]],
    ]
    # the chart just pinned was followed to the top: it is in the board's scrolling area
    assert page.evaluate(IN_VIEW_JS, "eval/accuracy"), "a chart pinned from below the view moved out of sight"
    page.wait_for_timeout(200)
    pinned = board.locator(".cb-section").first
    assert pinned.evaluate(INK_JS) > 1000, "pinned charts are blank"
    board.screenshot(path=str(ARTIFACTS / "harness-scalars-pinned.png"))

    # a tag filter hides the other charts, not the pinned ones
    board.get_by_label("Filter tags").fill("^test/")
    settle(page)
    assert page.evaluate(SECTIONS_JS) == [
        ["pinned", ["train/loss", "eval/accuracy"]],
        ["test", ["test/final_accuracy"]],
    ]
    board.get_by_label("Filter tags").fill("")

    # unpinned, a chart goes back to its section
    pin.click()
    expect(pin).to_have_attribute("aria-pressed", "false")
    assert page.evaluate(f"() => {MODEL}.get('pinned')") == ["eval/accuracy"]
    settle(page)
    assert page.evaluate(SECTIONS_JS) == [
        ["pinned", ["eval/accuracy"]],
        ["test", ["test/final_accuracy"]],
        ["train", ["train/accuracy", "train/loss"]],
    ]

    # the kernel setting the trait (board.pinned = [...] in Python) re-orders the view
    page.evaluate(f"() => {MODEL}.set('pinned', ['test/final_accuracy', 'train/accuracy'])")
    settle(page)
    assert page.evaluate(SECTIONS_JS) == [
        ["pinned", ["test/final_accuracy", "train/accuracy"]],
        ["eval", ["eval/accuracy"]],
        ["train", ["train/loss"]],
    ]
    expect(pin_button(board, "eval/accuracy")).to_have_attribute("aria-pressed", "false")
    expect(pin_button(board, "train/accuracy")).to_have_attribute("aria-pressed", "true")
    assert real_errors(errors) == []


def test_a_board_opens_with_the_pins_its_trait_holds(site):
    # a tag pinned but not logged (yet) is kept in the trait and shown once it has points
    page, errors, _ = mounted(
        site, make_scalars(), tag="eval/accuracy", tag_filter="", pinned=["later/metric", "eval/accuracy"]
    )
    assert page.evaluate(SECTIONS_JS)[0] == ["pinned", ["eval/accuracy"]]
    assert page.evaluate(f"() => {MODEL}.get('pinned')") == ["later/metric", "eval/accuracy"]
    assert real_errors(errors) == []
