"""The Mesh tab, videos and the boxes toggle in headless Chromium (WebGL through SwiftShader), on
the frontend harness (js/harness/: ``sendMeshVideo`` sends a coloured tetrahedron at two steps, a
2,000-point coloured sphere cloud, a 4-frame GIF as add_video writes it and an image with boxes).

Checks the data-* hooks (vertex/face counts), that the 3D views drew pixels that are not the
background (read from screenshots), that dragging rotates and the step slider changes the mesh,
that the video's frames change over time and stop on "stop", and that the boxes toggle hides the
boxes drawn over the clean image. Saves screenshots to test-artifacts/ (look at them).
"""

from __future__ import annotations

import numpy as np

from .frontend_harness import ROOT, open_harness, real_errors
from .pixel_checks import check_video_plays_and_stops, drawn_fraction, pixels, red_pixels

ARTIFACTS = ROOT / "test-artifacts"


def settle(page, frames: int = 3) -> None:
    page.evaluate(
        f"() => new Promise((r) => {{ let n = {frames}; const f = () => (--n ? requestAnimationFrame(f) : r()); "
        "requestAnimationFrame(f); })"
    )


def test_meshes_video_and_boxes(site):
    from playwright.sync_api import expect

    base, browser = site
    page, errors = open_harness(browser, base, "?auto=0", viewport=(1280, 1000))
    board = page.locator("#out.cellboard")
    page.evaluate("() => window.cellboardHarness.sendMeshVideo()")
    expect(board).to_have_attribute("data-mesh-count", "3", timeout=10_000)  # 2 tetrahedra + 1 cloud
    expect(board).to_have_attribute("data-mesh-parts", "8")

    # ---- the Mesh tab: a card per (run, name), counts on the card, pixels drawn
    board.locator(".cb-tab[data-kind='mesh']").click()
    tetra = board.locator(".cb-mesh-card", has_text="shapes/tetra")
    cloud = board.locator(".cb-mesh-card", has_text="shapes/cloud")
    expect(tetra).to_have_attribute("data-mesh-vertices", "4")
    expect(tetra).to_have_attribute("data-mesh-faces", "4")
    expect(tetra).to_have_attribute("data-mesh-step", "10")  # follows the latest step
    expect(cloud).to_have_attribute("data-mesh-vertices", "2000")
    expect(cloud).to_have_attribute("data-mesh-faces", "0")
    assert tetra.locator("canvas").count() == 1 and cloud.locator("canvas").count() == 1
    assert not board.locator(".cb-webgl-note").count(), "WebGL unavailable in this Chromium"
    settle(page, 6)
    stage = tetra.locator(".cb-mesh-stage")
    before = pixels(stage)
    assert drawn_fraction(before) > 0.03, drawn_fraction(before)  # the tetrahedron fills part of the view
    # vertex colours: red, green, blue and magenta corners shade the faces: many distinct hues
    hues = {tuple(c // 32) for c in before.reshape(-1, 3)[::7]}
    assert len(hues) > 12, len(hues)
    cloud_px = pixels(cloud.locator(".cb-mesh-stage"))
    assert drawn_fraction(cloud_px) > 0.01, drawn_fraction(cloud_px)
    board.screenshot(path=str(ARTIFACTS / "harness-mesh.png"))

    # drag rotates (orbit), rendered on demand
    box = stage.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 120, cy + 40, steps=8)
    page.mouse.up()
    settle(page, 30)  # damping settles within a few dozen frames
    rotated = pixels(stage)
    assert np.abs(rotated - before).sum(2).astype(bool).mean() > 0.02
    # the wheel zooms in: more of the view is covered
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -400)
    settle(page, 30)
    assert drawn_fraction(pixels(stage)) > drawn_fraction(rotated)

    # the step slider: step 0 holds a tetrahedron half the size (the camera stays where it is)
    tetra.locator("input[aria-label='Step']").fill("0")
    expect(tetra).to_have_attribute("data-mesh-step", "0")
    settle(page, 4)
    assert drawn_fraction(pixels(stage)) < drawn_fraction(rotated)
    # reset view fits the mesh again
    tetra.locator("button[aria-label='Reset the view']").click()
    settle(page, 4)
    fitted = pixels(stage)
    assert drawn_fraction(fitted) > 0.03

    # ---- the Images tab: the mesh views give their WebGL contexts back while hidden
    board.locator(".cb-tab[data-kind='images']").click()
    expect(board.locator(".cb-mesh-card canvas")).to_have_count(0)
    # the video plays (frames change), "stop" shows its first frame still
    video = board.locator(".cb-image-card", has_text="media/video")
    expect(video).to_have_attribute("data-video-frames", "4")
    expect(video).to_have_attribute("data-video-playing", "1")
    expect(video.locator(".cb-img-info")).to_contain_text("video · 4 frames · 4 fps")
    check_video_plays_and_stops(page, video, expect)

    # ---- boxes: drawn over the clean image; the toggle hides them
    boxed = board.locator(".cb-image-card", has_text="media/boxes")
    expect(boxed).to_have_attribute("data-box-count", "2")
    expect(boxed).to_have_attribute("data-boxes-shown", "1")
    expect(boxed.locator("svg.cb-boxes text")).to_have_text(["cat", "dog"])
    frame = boxed.locator(".cb-img-frame")
    with_boxes = red_pixels(pixels(frame))
    assert with_boxes > 200, with_boxes
    board.screenshot(path=str(ARTIFACTS / "harness-video-boxes.png"))
    toggle = boxed.locator("button.cb-toggle", has_text="boxes")
    toggle.click()
    expect(boxed).to_have_attribute("data-boxes-shown", "0")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert boxed.locator("svg.cb-boxes").count() == 0
    assert red_pixels(pixels(frame)) == 0
    toggle.click()
    expect(boxed).to_have_attribute("data-boxes-shown", "1")
    # plain images show neither toggle
    plain = board.locator(".cb-image-card", has_text="media/video").locator("button.cb-toggle", has_text="boxes")
    assert not plain.is_visible()

    # the lightbox shows the boxes too
    frame.click()
    expect(board.locator(".cb-lightbox svg.cb-boxes")).to_have_count(1)
    page.keyboard.press("Escape")

    # back on the Mesh tab: new views, each with the camera it had
    board.locator(".cb-tab[data-kind='mesh']").click()
    expect(board.locator(".cb-mesh-card canvas")).to_have_count(2)
    settle(page, 6)
    assert np.abs(pixels(stage) - fitted).mean() < 2

    # leaving: WebGL contexts are released with the board
    page.evaluate("() => window.cellboardHarness.cleanup()")
    assert page.locator("canvas").count() == 0
    assert real_errors(errors) == []
    page.close()


NO_WEBGL_JS = """(() => {
  const get = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
    return /webgl/.test(kind) ? null : get.call(this, kind, ...rest);
  };
})()"""


def test_without_webgl_the_mesh_card_says_so(site):
    """A browser without WebGL (disabled, blocklisted GPU): a note in the card, the rest of the board works."""
    from playwright.sync_api import expect

    base, browser = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.add_init_script(NO_WEBGL_JS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.goto(f"{base}/js/harness/index.html?auto=0")
    page.wait_for_function("() => window.cellboardHarness && window.cellboardHarness.ready", timeout=30_000)
    board = page.locator("#out.cellboard")
    page.evaluate("() => window.cellboardHarness.sendMeshVideo()")
    expect(board).to_have_attribute("data-mesh-count", "3", timeout=10_000)
    board.locator(".cb-tab[data-kind='mesh']").click()
    tetra = board.locator(".cb-mesh-card", has_text="shapes/tetra")
    expect(tetra.locator(".cb-webgl-note")).to_contain_text("3D view unavailable")
    expect(tetra).to_have_attribute("data-mesh-webgl", "0")
    expect(tetra).to_have_attribute("data-mesh-vertices", "4")  # the counts and the slider still work
    expect(tetra.locator(".cb-mesh-info")).to_contain_text("4 vertices · 4 faces")
    tetra.locator("input[aria-label='Step']").fill("0")
    expect(tetra).to_have_attribute("data-mesh-step", "0")
    board.screenshot(path=str(ARTIFACTS / "harness-mesh-no-webgl.png"))
    assert errors == []
    page.close()
