"""The Projector in a real JupyterLab: notebooks/projector.ipynb runs the official PyTorch tutorial's
call, ``writer.add_embedding(features, metadata=class_labels, label_img=images.unsqueeze(1))``, on
scikit-learn's digits (1,797 points, 64 dimensions, real labels, 8x8 images), and the board in the cell
shows it: the projector draws every point (data-projector-points), coloured by the label column,
hover names a point, a regex search selects the matching digits, a click lists the neighbours; the
``cellboard.open`` board reads the same embeddings from the files. WebGL is SwiftShader's (software).

With CELLBOARD_TB_REFERENCE=1 it also starts TensorBoard on the same log directory and screenshots
its PROJECTOR (projector-tensorboard.png), to compare as a user would. Screenshots: the test's tmp dir.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from .frontend_harness import chromium
from .jupyter_server import JupyterServer, open_and_run_all, page_errors
from .tensorboard_server import tensorboard

ROOT = Path(__file__).resolve().parents[2]
N_THREES = 183  # digits whose label is 3 in scikit-learn's digits


@pytest.fixture
def browser():
    with chromium() as b:
        yield b


def _cosine_neighbours(i: int, k: int) -> list[int]:
    from sklearn.datasets import load_digits

    x = load_digits().images.reshape(-1, 64) / 16.0  # exact in float32 too: what the kernel sent
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    dist = 1 - unit @ unit[i]
    dist[i] = np.inf
    return [int(j) for j in np.lexsort((np.arange(len(x)), dist))[:k]]


def _hover_a_point(page, projector) -> str:
    stage = projector.locator(".cb-pj-stage")
    box = stage.bounding_box()
    for gy in range(30, int(box["height"]) - 30, 8):
        for gx in range(30, int(box["width"]) - 30, 8):
            page.mouse.move(box["x"] + gx, box["y"] + gy)
            page.wait_for_timeout(16)
            label = projector.get_attribute("data-projector-hover")
            if label:
                return label
    raise AssertionError("no point under the mouse anywhere on the projector")


def test_tutorial_embedding_in_the_cell(tmp_path, browser):
    from playwright.sync_api import expect

    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(ROOT / "notebooks" / "projector.ipynb", root / "projector.ipynb")
    server = JupyterServer("lab", root, tmp_path).start()
    logs: list[str] = []
    try:
        page = open_and_run_all(browser, server, "projector.ipynb", logs, height=1300)
        expect(page.locator(".jp-OutputArea-output", has_text="TRAINED")).to_have_count(1, timeout=180_000)
        board = page.locator(".jp-Cell").nth(1).locator(".cellboard")
        expect(board).to_have_attribute("data-embedding-count", "2", timeout=60_000)
        board.locator('[role="tab"][data-kind="embeddings"]').click()  # the board opened on its Scalars
        projector = board.locator(".cb-projector")
        # the newest embedding (the hidden layer, 32 dims) is shown; pick the tutorial's (64 pixels)
        expect(projector).to_have_attribute("data-projector-points", "1797", timeout=60_000)
        picker = projector.locator("select[aria-label=Embedding]")
        assert picker.locator("option").count() == 2
        picker.select_option(label=next(t for t in picker.locator("option").all_inner_texts() if "default" in t))
        expect(projector.locator(".cb-pj-status")).to_contain_text("1,797 points × 64 dims")
        expect(projector).to_have_attribute("data-projector-color-by", "label")
        assert projector.locator(".cb-pj-legend span").all_inner_texts() == [str(d) for d in range(10)]
        board.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.screenshot(path=str(tmp_path / "projector-pca.png"))

        label = _hover_a_point(page, projector)
        assert label in [str(d) for d in range(10)]
        expect(projector.locator(".cb-pj-tip")).to_contain_text(label)
        expect(projector.locator(".cb-pj-tip canvas")).to_have_count(1)  # the digit's 8x8 image
        page.screenshot(path=str(tmp_path / "projector-hover.png"))
        page.mouse.down()
        page.mouse.up()  # a click where the hovered point is
        expect(projector).to_have_attribute("data-projector-neighbours", "10")
        # the same 10 neighbours as numpy's cosine distances over the 64 pixels (the matrix the kernel sent)
        chosen = int(re.search(r"\(#(\d+)\)", projector.locator(".cb-pj-side").inner_text()).group(1))
        shown = [
            int(i) for i in projector.locator(".cb-pj-neighbours li").evaluate_all("ls => ls.map(l => l.dataset.index)")
        ]
        assert shown == _cosine_neighbours(chosen, 10)
        assert projector.locator(".cb-pj-neighbours .cb-pj-name").nth(0).inner_text() in [str(d) for d in range(10)]
        page.screenshot(path=str(tmp_path / "projector-neighbours.png"))

        projector.locator(".cb-pj-search").fill("^3$")
        expect(projector).to_have_attribute("data-projector-matches", str(N_THREES))
        expect(projector.locator(".cb-pj-search + span")).to_have_text(f"{N_THREES} matches")
        page.screenshot(path=str(tmp_path / "projector-search.png"))
        projector.locator(".cb-pj-search").fill("")

        projector.locator("select[aria-label=Projection]").select_option("umap")
        expect(projector).to_have_attribute("data-projector-layout", "done", timeout=120_000)
        page.screenshot(path=str(tmp_path / "projector-umap.png"))

        # the board of cellboard.open("runs") reads the same embeddings from the files
        opened = page.locator(".jp-Cell").nth(5).locator(".cellboard")
        expect(opened).to_have_attribute("data-embedding-count", "2", timeout=60_000)
        errors = page_errors(logs)
        assert not errors, errors
        if os.environ.get("CELLBOARD_TB_REFERENCE") == "1":
            _tensorboard_projector(browser, root / "runs", tmp_path / "projector-tensorboard.png")
    finally:
        server.stop()


def _tensorboard_projector(browser, logdir: Path, out: Path) -> None:
    """TensorBoard's own PROJECTOR on the same directory, screenshotted (started and stopped here)."""
    with tensorboard(logdir) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{url}/#projector")
        page.wait_for_timeout(15_000)  # the projector loads the tensors and runs its PCA
        page.screenshot(path=str(out))
        page.close()
