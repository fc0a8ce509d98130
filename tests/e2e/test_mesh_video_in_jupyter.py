"""Meshes, a video and boxes in a real JupyterLab, logged with ``cellboard.SummaryWriter`` (live board)
and reopened from disk (``cellboard.open``).

Live: the Mesh tab renders a coloured tetrahedron (4 vertices, 4 faces) and a point cloud (pixels not
all background, read from screenshots: WebGL through SwiftShader); the video's frames change over time
and "stop" holds its first frame; the boxes toggle hides the boxes drawn over the clean image. Reopened:
the same meshes, and the image shows the boxes torch drew into the file's pixels (no toggle: the file
has only those). Screenshots in test-artifacts/jupyter-mesh-*.png (look at them).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .frontend_harness import chromium
from .jupyter_server import JupyterServer, open_and_run_all, page_errors, write_notebook
from .pixel_checks import check_video_plays_and_stops, drawn_fraction, pixels, red_pixels

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

LOG = """\
import numpy as np, torch, cellboard
w = cellboard.SummaryWriter("runs/media")
w.show(title="media live")
verts = torch.tensor([[[1, 1, 1], [-1, -1, 1], [1, -1, -1], [-1, 1, -1]]], dtype=torch.float)
colors = torch.tensor([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 0, 255]]])
faces = torch.tensor([[[0, 2, 3], [0, 3, 1], [0, 1, 2], [1, 3, 2]]])
cfg = {"camera": {"cls": "PerspectiveCamera", "fov": 60}}
for step in range(2):
    w.add_mesh("shapes/tetra", verts * (1 + step), colors=colors, faces=faces, config_dict=cfg, global_step=step)
rng = np.random.default_rng(0)
pts = rng.normal(size=(1, 3000, 3)).astype(np.float32)
pts /= np.linalg.norm(pts, axis=2, keepdims=True)
w.add_mesh("shapes/cloud", pts, colors=((pts + 1) * 127.5).astype(np.uint8), global_step=0)
vid = np.zeros((1, 8, 3, 32, 48), np.uint8)
vid[:, :, 2] = 90  # a dark blue background, a white bar moving right
for t in range(8):
    vid[0, t, :, 6:26, 4 + 5 * t:10 + 5 * t] = 255
w.add_video("media/video", vid, 0, fps=4)
img = np.tile(np.linspace(40, 200, 64, dtype=np.uint8), (3, 48, 1))
w.add_image_with_boxes("media/boxes", img, np.array([[4, 4, 30, 30], [28, 10, 60, 44]]), 0, labels=["cat", "dog"])
w.close()
print("LOGGED")
"""

REOPEN = """\
board = cellboard.open("runs", follow=False, title="media reopened")
board
"""


@pytest.fixture
def browser():
    with chromium() as b:
        yield b


def check_meshes(board, expect, page) -> None:
    board.locator(".cb-tab[data-kind='mesh']").click()
    tetra = board.locator(".cb-mesh-card", has_text="shapes/tetra")
    cloud = board.locator(".cb-mesh-card", has_text="shapes/cloud")
    expect(tetra).to_have_attribute("data-mesh-vertices", "4", timeout=20_000)
    expect(tetra).to_have_attribute("data-mesh-faces", "4")
    expect(tetra).to_have_attribute("data-mesh-step", "1")
    expect(cloud).to_have_attribute("data-mesh-vertices", "3000")
    expect(cloud).to_have_attribute("data-mesh-faces", "0")
    assert board.locator(".cb-webgl-note").count() == 0
    page.wait_for_timeout(300)
    tetra.scroll_into_view_if_needed()
    assert drawn_fraction(pixels(tetra.locator(".cb-mesh-stage"))) > 0.03
    assert drawn_fraction(pixels(cloud.locator(".cb-mesh-stage"))) > 0.01


def test_mesh_video_boxes_live_and_reopened(tmp_path, browser):
    from playwright.sync_api import expect

    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root, "media.ipynb", LOG, REOPEN)
    ARTIFACTS.mkdir(exist_ok=True)
    server = JupyterServer("lab", root, tmp_path).start()
    logs: list[str] = []
    try:
        page = open_and_run_all(browser, server, "media.ipynb", logs, height=1300)
        done = page.locator(".jp-RenderedText", has_text=re.compile(r"^\s*LOGGED\s*$"))
        expect(done).to_have_count(1, timeout=120_000)
        err = page.locator(".jp-OutputArea-output .jupyter-widgets-error-widget")
        cells = page.locator(".jp-Cell")
        live = cells.nth(0).locator(".cellboard")
        reopened = cells.nth(1).locator(".cellboard")
        expect(live).to_have_attribute("data-mesh-count", "3", timeout=60_000)
        assert err.count() == 0, err.first.inner_text()

        # ---- live: meshes
        check_meshes(live, expect, page)
        live.screenshot(path=str(ARTIFACTS / "jupyter-mesh-live.png"))

        # ---- live: the video plays, stop holds it, boxes toggle
        live.locator(".cb-tab[data-kind='images']").click()
        video = live.locator(".cb-image-card", has_text="media/video")
        expect(video).to_have_attribute("data-video-frames", "8", timeout=20_000)
        expect(video.locator(".cb-img-info")).to_contain_text("video · 8 frames · 4 fps")
        check_video_plays_and_stops(page, video, expect)

        boxed = live.locator(".cb-image-card", has_text="media/boxes")
        expect(boxed).to_have_attribute("data-box-count", "2")
        frame = boxed.locator(".cb-img-frame")
        assert red_pixels(pixels(frame)) > 200
        live.screenshot(path=str(ARTIFACTS / "jupyter-mesh-live-images.png"))
        boxed.locator("button.cb-toggle", has_text="boxes").click()
        expect(boxed).to_have_attribute("data-boxes-shown", "0")
        assert red_pixels(pixels(frame)) == 0
        live.screenshot(path=str(ARTIFACTS / "jupyter-mesh-live-boxes-hidden.png"))

        # ---- reopened from disk: the same meshes; the file's pixels hold the boxes (no toggle)
        expect(reopened).to_have_attribute("data-mesh-count", "3", timeout=60_000)
        reopened.scroll_into_view_if_needed()
        check_meshes(reopened, expect, page)
        reopened.locator(".cb-tab[data-kind='images']").click()
        boxed = reopened.locator(".cb-image-card", has_text="media/boxes")
        expect(boxed).to_be_visible()
        assert boxed.get_attribute("data-box-count") is None
        assert not boxed.locator("button.cb-toggle", has_text="boxes").is_visible()
        assert red_pixels(pixels(boxed.locator(".cb-img-frame"))) > 200
        expect(reopened.locator(".cb-image-card", has_text="media/video")).to_have_attribute("data-video-frames", "8")
        reopened.screenshot(path=str(ARTIFACTS / "jupyter-mesh-reopened-images.png"))
        assert page_errors(logs) == [], page_errors(logs)
    finally:
        server.stop()
