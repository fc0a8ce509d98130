"""The live board in a real JupyterLab and Notebook 7, in headless Chromium.

A notebook trains a small torch model and logs scalars, images and histograms; the test
watches the board's data-* hooks grow while the cell runs, checks they reach the logged
totals, that canvases are drawn, that no error widget or page error shows up, and saves
screenshots to test-artifacts/ (look at them).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .frontend_harness import chromium
from .jupyter_server import JupyterServer, open_and_run_all, page_errors, wait_kernel_ready, write_notebook

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
STEPS, EPOCHS = 150, 6
SCALAR_POINTS = STEPS * 2 + EPOCHS  # train/loss + train/lr per step, test/accuracy per epoch
IMAGES = EPOCHS
HISTOGRAM_STEPS = EPOCHS * 2  # two parameters

TRAIN = f"""\
import time, torch, numpy as np
from torch import nn
import cellboard
torch.manual_seed(0)
X = torch.randn(512, 16); y = (X[:, :4].sum(1) > 0).long()
model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
writer = cellboard.SummaryWriter("runs/e2e")
writer.show(title="e2e run")
per_epoch = {STEPS} // {EPOCHS}
for step in range({STEPS}):
    idx = torch.randint(0, 512, (32,))
    loss = nn.functional.cross_entropy(model(X[idx]), y[idx])
    opt.zero_grad(); loss.backward(); opt.step()
    writer.add_scalar("train/loss", loss, step)
    writer.add_scalar("train/lr", 0.1 * (1 - step / {STEPS}), step)
    if (step + 1) % per_epoch == 0:
        epoch = step // per_epoch
        acc = (model(X).argmax(1) == y).float().mean()
        writer.add_scalar("test/accuracy", acc, step)
        writer.add_histogram("weights/fc1", model[0].weight, epoch)
        writer.add_histogram("weights/fc2", model[2].weight, epoch)
        img = torch.rand(3, 32, 32) * torch.linspace(0, 1, 32)
        writer.add_image("samples/gradient", img, epoch)
        writer.add_text("notes", f"epoch **{{epoch}}** accuracy {{acc:.2f}}", epoch)
    time.sleep(0.02)
writer.close()
print("DONE", {STEPS})
"""

CANVAS_INK_JS = """(root) => {
  let ink = 0;
  for (const c of root.querySelectorAll('canvas')) {
    if (!c.width || !c.height) continue;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 16) if (d[i] !== 0) ink++;
  }
  return ink;
}"""


def make_notebook(root: Path) -> str:
    return write_notebook(root, "board.ipynb", TRAIN)


@pytest.fixture
def browser():
    with chromium() as b:
        yield b


# what the browser's colour dialog does when a colour is chosen and the dialog closed
PICK_COLOR_JS = """(input, color) => {
  input.value = color;
  for (const type of ['input', 'change']) input.dispatchEvent(new Event(type, { bubbles: true }));
}"""


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_board_updates_live_in_jupyter(app, tmp_path, browser):
    from playwright.sync_api import expect

    root = tmp_path / "root"
    root.mkdir()
    name = make_notebook(root)
    ARTIFACTS.mkdir(exist_ok=True)
    server = JupyterServer(app, root, tmp_path).start()
    logs: list[str] = []
    try:
        page = open_and_run_all(browser, server, name, logs)

        board = page.locator(".jp-OutputArea-output .cellboard")
        err = page.locator(".jp-OutputArea-output .jupyter-widgets-error-widget")
        expect(board.or_(err).first).to_be_visible(timeout=60_000)
        assert err.count() == 0, err.first.inner_text()
        expect(board).to_have_attribute("data-cellboard-ready", "1", timeout=30_000)

        # live: the point count grows while the cell is still running
        seen = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            seen.add(int(board.get_attribute("data-scalar-points") or 0))
            if page.locator(".jp-OutputArea-output", has_text=f"DONE {STEPS}").count():
                break
            time.sleep(0.1)
        growing = sorted(v for v in seen if 0 < v < SCALAR_POINTS)
        assert len(growing) >= 3, f"board did not update live while training: {sorted(seen)}"

        expect(board).to_have_attribute("data-scalar-points", str(SCALAR_POINTS), timeout=30_000)
        expect(board).to_have_attribute("data-image-count", str(IMAGES), timeout=30_000)
        expect(board).to_have_attribute("data-histogram-steps", str(HISTOGRAM_STEPS), timeout=30_000)
        expect(board).to_have_attribute("data-scalar-tags", "3")
        assert board.get_attribute("data-runs") == "e2e"
        wait_kernel_ready(page)
        page.wait_for_timeout(500)
        assert board.evaluate(CANVAS_INK_JS) > 500, "scalar charts are blank"
        board.screenshot(path=str(ARTIFACTS / f"board-{app}-scalars.png"))
        for tab in ("Images", "Histograms", "Text"):
            board.get_by_role("tab", name=tab).click()
            page.wait_for_timeout(400)
            board.screenshot(path=str(ARTIFACTS / f"board-{app}-{tab.lower()}.png"))
            if tab == "Histograms":
                assert board.evaluate(CANVAS_INK_JS) > 500, "histograms are blank"
        assert not page_errors(logs), page_errors(logs)

        if app == "lab":
            # a pin and a picked run colour go through JupyterLab's widget manager to the kernel's
            # traits (checked after the reload below); the colour input is what the pointer hits
            # on the run's swatch here too
            board.get_by_role("tab", name="Scalars").click()
            card = board.locator(".cb-scalar-card").last
            pinned_tag = card.get_attribute("data-tag")
            card.locator(".cb-pin").click()
            expect(board.locator(".cb-section-name").first).to_have_text("pinned")
            box = board.locator(".cb-run[data-run='e2e'] .cb-swatch").bounding_box()
            hit = "([x, y]) => document.elementFromPoint(x, y).className"
            assert page.evaluate(hit, [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]) == "cb-color-pick"
            board.locator(".cb-run[data-run='e2e'] + .cb-color-pick").evaluate(PICK_COLOR_JS, "#00c853")
            page.wait_for_timeout(500)

            # a page reload renders the board again: the new view says hello and gets everything
            page.keyboard.press("Control+s")  # the output must be in the saved notebook to come back
            page.wait_for_timeout(1000)
            page.reload()
            board = page.locator(".jp-OutputArea-output .cellboard")
            expect(board).to_have_attribute("data-scalar-points", str(SCALAR_POINTS), timeout=60_000)
            expect(board).to_have_attribute("data-image-count", str(IMAGES), timeout=30_000)
            board.screenshot(path=str(ARTIFACTS / "board-lab-after-reload.png"))
            first = board.locator(".cb-section").first
            expect(first.locator(".cb-section-name")).to_have_text("pinned")
            assert [c.get_attribute("data-tag") for c in first.locator(".cb-scalar-card").all()] == [pinned_tag]
            swatch = board.locator(".cb-run[data-run='e2e'] .cb-swatch")
            assert swatch.evaluate("(e) => getComputedStyle(e).backgroundColor") == "rgb(0, 200, 83)"
    except Exception:
        print("\n".join(logs[-40:]))
        print(server.log_path.read_text()[-4000:])
        raise
    finally:
        server.stop()


FOLLOW_START = """\
import subprocess, sys, pathlib
pathlib.Path("bg").mkdir(exist_ok=True)
pathlib.Path("writer.py").write_text('''
import sys, time
from torch.utils.tensorboard import SummaryWriter
w = SummaryWriter(sys.argv[1])
for i in range(40):
    w.add_scalar("train/loss", 1.0 / (i + 1), i)
    w.flush()
    time.sleep(0.15)
w.close()
''')
proc = subprocess.Popen([sys.executable, "writer.py", "bg/torch-run"])
"""
FOLLOW_SHOW = "%load_ext cellboard\n%cellboard bg --reload-interval 0.3"


def test_board_follows_a_torch_writer_in_another_process(tmp_path, browser):
    from playwright.sync_api import expect

    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root, "follow.ipynb", FOLLOW_START, FOLLOW_SHOW)
    ARTIFACTS.mkdir(exist_ok=True)
    server = JupyterServer("lab", root, tmp_path).start()
    logs: list[str] = []
    try:
        page = open_and_run_all(browser, server, "follow.ipynb", logs)
        board = page.locator(".jp-OutputArea-output .cellboard")
        expect(board).to_have_attribute("data-cellboard-ready", "1", timeout=60_000)
        seen = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            n = int(board.get_attribute("data-scalar-points") or 0)
            seen.add(n)
            if n == 40:
                break
            time.sleep(0.1)
        assert 40 in seen, sorted(seen)
        assert len([v for v in seen if 0 < v < 40]) >= 3, f"the board did not grow while following: {sorted(seen)}"
        assert board.get_attribute("data-runs") == "torch-run"
        board.screenshot(path=str(ARTIFACTS / "board-lab-follow.png"))
        assert not page_errors(logs), page_errors(logs)
    except Exception:
        print("\n".join(logs[-40:]))
        print(server.log_path.read_text()[-4000:])
        raise
    finally:
        server.stop()
