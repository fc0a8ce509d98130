"""The Projector tab in headless Chromium (the frontend harness: js/harness/, ``?auto=0``), fed the
``embeddings`` entries the kernel sends (``projectorDelta`` in harness.js builds them as
docs/protocol.md describes). WebGL is SwiftShader's (software, ``--use-angle=swiftshader``): the
speed figures are a CPU renderer's, a GPU draws faster.

Checks the data-* hooks (points drawn, colour-by column, hover label, search matches, neighbours),
3D, UMAP and t-SNE, the embedding picker; measures the first render and frame times of 10,000 points
of 784 dimensions with sprites (3D rotation) and 100,000 points in 2D (pan). Screenshots are saved
in the test's tmp dir.
"""

from __future__ import annotations

import statistics

import pytest

from .frontend_harness import open_harness, real_errors

HOOKS = "() => ({...document.querySelector('.cb-projector').dataset})"

# send one embedding and wait until the projector has drawn it; returns ms from the message to the frame
SEND_AND_WAIT = """async (opts) => {
  const h = window.cellboardHarness;
  const { entries, buffers } = await h.projectorDelta(opts);
  const t0 = performance.now();
  h.kernel.send(entries, buffers);
  await new Promise((resolve) => {
    const check = () => {
      const d = document.querySelector('.cb-projector')?.dataset;
      if (d && d.projectorPoints === String(opts.n) && d.projectorFirstRenderMs) resolve();
      else requestAnimationFrame(check);
    };
    check();
  });
  return performance.now() - t0;
}"""

# frame intervals (ms) while the page is dragged, and long tasks (> 50 ms) meanwhile
RECORD_FRAMES = """() => {
  window.__frames = [];
  window.__longtasks = [];
  const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longtasks.push(e.duration); });
  obs.observe({ entryTypes: ['longtask'] });
  window.__obs = obs;
  let last = performance.now();
  const tick = (t) => { window.__frames.push(t - last); last = t; if (window.__frames.length < 100000) window.__rec = requestAnimationFrame(tick); };
  window.__rec = requestAnimationFrame(tick);
}"""
STOP_FRAMES = "() => { cancelAnimationFrame(window.__rec); window.__obs.disconnect(); return [window.__frames, window.__longtasks]; }"


def _find_point(page) -> tuple[float, float, str]:
    """Move the mouse over the stage until the hover hook names a point."""
    box = page.locator(".cb-pj-stage").bounding_box()
    for gy in range(30, int(box["height"]) - 30, 10):
        for gx in range(30, int(box["width"]) - 30, 10):
            page.mouse.move(box["x"] + gx, box["y"] + gy)
            page.wait_for_timeout(16)
            label = page.evaluate(HOOKS).get("projectorHover")
            if label:
                return box["x"] + gx, box["y"] + gy, label
    raise AssertionError("no point under the mouse anywhere on the stage")


def _drag_frames(page, dx: int, steps: int) -> tuple[list[float], list[float]]:
    box = page.locator(".cb-pj-stage").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.evaluate(RECORD_FRAMES)
    page.mouse.move(cx, cy)
    page.mouse.down()
    for k in range(1, steps + 1):
        page.mouse.move(cx + dx * k / steps, cy + (k % 7) - 3)
    page.mouse.up()
    page.wait_for_timeout(100)
    frames, longtasks = page.evaluate(STOP_FRAMES)
    return frames[2:], longtasks


def test_projector_hooks_hover_search_neighbours(site, tmp_path):
    base, browser = site
    page, errors = open_harness(browser, base, "?auto=0")
    try:
        page.evaluate(SEND_AND_WAIT, {"n": 600, "dim": 16})
        page.click(".cb-tab[data-kind=embeddings]")
        page.wait_for_selector(".cb-projector[data-projector-points='600']")
        hooks = page.evaluate(HOOKS)
        assert hooks["projectorColorBy"] == "label" and hooks["projectorMethod"] == "pca"
        assert page.get_attribute(".cellboard", "data-embedding-count") == "1"
        assert "PCA: 2 components explain" in page.inner_text(".cb-pj-status")
        assert page.locator(".cb-pj-legend span").count() == 6  # c0..c5

        x, y, label = _find_point(page)
        assert label.startswith("c")
        tip = page.inner_text(".cb-pj-tip")
        assert f"label: {label}" in tip and "size:" in tip
        assert page.locator(".cb-pj-tip canvas").count() == 1  # the sprite thumbnail
        page.screenshot(path=str(tmp_path / "hover.png"))

        page.mouse.click(x, y)
        page.wait_for_selector(".cb-projector[data-projector-neighbours='10']")
        items = page.locator(".cb-pj-neighbours li")
        assert items.count() == 10
        # the clusters are far apart in the original space: every neighbour has the point's label
        assert page.locator(".cb-pj-neighbours .cb-pj-name").all_inner_texts() == [label] * 10
        assert "cosine, original space" in page.inner_text(".cb-pj-side")
        page.select_option(".cb-projector select[aria-label=Distance]", "euclidean")
        assert "euclidean" in page.inner_text(".cb-pj-side")
        page.screenshot(path=str(tmp_path / "neighbours.png"))
        page.mouse.click(*[v + 1 for v in page.locator(".cb-pj-stage").bounding_box().values()][:2])  # empty spot
        page.wait_for_selector(".cb-projector[data-projector-neighbours='0']")

        page.fill(".cb-pj-search", "^c[12]$")
        page.wait_for_selector(".cb-projector[data-projector-matches='200']")
        assert page.inner_text(".cb-pj-search + span") == "200 matches"
        page.screenshot(path=str(tmp_path / "search.png"))
        page.fill(".cb-pj-search", "([")
        assert page.inner_text(".cb-pj-search + span") == "invalid regex"
        page.fill(".cb-pj-search", "")

        page.select_option(".cb-projector select[aria-label='Colour by']", "size")
        assert page.evaluate(HOOKS)["projectorColorBy"] == "size"
        assert page.locator(".cb-pj-ramp").count() == 1  # numeric: a gradient
        page.select_option(".cb-projector select[aria-label='Colour by']", "label")

        page.check(".cb-pj-bar input[type=checkbox]")
        page.select_option(".cb-projector select[aria-label=Dimensions]", "3")
        assert page.evaluate(HOOKS)["projectorDims"] == "3" and page.evaluate(HOOKS)["projectorSprites"] == "1"
        page.screenshot(path=str(tmp_path / "pca3d_sprites.png"))
        page.uncheck(".cb-pj-bar input[type=checkbox]")

        for method in ("umap", "tsne"):
            page.select_option(".cb-projector select[aria-label=Projection]", method)
            page.wait_for_function(
                "() => document.querySelector('.cb-projector').dataset.projectorLayout === 'done'", timeout=90_000
            )
            hooks = page.evaluate(HOOKS)
            assert hooks["projectorMethod"] == method and hooks["projectorPoints"] == "600"
            page.screenshot(path=str(tmp_path / f"{method}3d.png"))
            print(f"{method} 3D on 600 points: longest slice {hooks['projectorLayoutMs']} ms")

        # a second embedding: the picker lists both and shows the latest until one is picked
        page.evaluate(SEND_AND_WAIT, {"n": 300, "dim": 8, "tag": "other", "step": 5, "sprites": False})
        assert page.locator(".cb-projector select[aria-label=Embedding] option").count() == 2
        assert page.locator(".cb-pj-bar label:has(input[type=checkbox])").is_hidden()  # no sprite
        page.select_option(".cb-projector select[aria-label=Embedding]", index=0)
        page.wait_for_selector(".cb-projector[data-projector-points='600']")
        assert real_errors(errors) == []
    finally:
        page.close()


@pytest.mark.parametrize(
    ("n", "dim", "encoding", "sprites", "dims"),
    [(10_000, 784, "float16", True, 3), (100_000, 20, "none", False, 2)],
    ids=["10k_x_784_sprites_3d", "100k_2d"],
)
def test_projector_speed(site, tmp_path, n, dim, encoding, sprites, dims):
    """First render and frame times in software WebGL (SwiftShader): printed, and bounded loosely."""
    base, browser = site
    page, errors = open_harness(browser, base, "?auto=0")
    try:
        page.evaluate(SEND_AND_WAIT, {"n": 50, "dim": 4, "tag": "warmup", "sprites": False})
        page.click(".cb-tab[data-kind=embeddings]")
        if dims == 3:
            page.select_option(".cb-projector select[aria-label=Dimensions]", "3")
        opts = {"n": n, "dim": dim, "encoding": encoding, "sprites": sprites, "cell": 28, "classes": 10, "index": 1}
        first_ms = page.evaluate(SEND_AND_WAIT, opts)
        assert page.evaluate(HOOKS)["projectorPoints"] == str(n)
        frames, longtasks = _drag_frames(page, 240, 60)
        assert len(frames) >= 10
        median, p95 = statistics.median(frames), sorted(frames)[int(0.95 * (len(frames) - 1))]
        page.screenshot(path=str(tmp_path / f"speed_{n}.png"))
        line = f"{n} points x {dim} dims, {dims}D: first render {first_ms:.0f} ms; drag: {len(frames)} frames"
        line += f", median {median:.1f} ms, p95 {p95:.1f} ms, long tasks {len(longtasks)}"
        if sprites:
            page.check(".cb-pj-bar input[type=checkbox]")
            sframes, _ = _drag_frames(page, -240, 60)
            line += f"; with sprites as points: median {statistics.median(sframes):.1f} ms"
            page.screenshot(path=str(tmp_path / f"speed_{n}_sprites.png"))
        x, y, _label = _find_point(page)
        page.mouse.click(x, y)
        page.wait_for_selector(".cb-projector[data-projector-neighbours='10']")
        print(f"\nprojector speed (SwiftShader software WebGL): {line}")
        assert first_ms < 15_000 and median < 250
        assert real_errors(errors) == []
    finally:
        page.close()
