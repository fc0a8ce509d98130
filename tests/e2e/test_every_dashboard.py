"""Every dashboard, live and from ``%cellboard``, in a real JupyterLab and Notebook 7.

A notebook in the shape of PyTorch's TensorBoard tutorial shows the board with
``writer.show()`` as a cell's last line (exactly one board must appear), then logs every kind
the writer has: scalars, custom-scalar layouts, images, audio, histograms, text, PR curves and
hparams. A second cell opens the same directory with ``%cellboard``. Each tab's data-* hook must
reach the logged totals on both boards, every tab is clicked and screenshotted (light, and dark
in JupyterLab), and no page error or error widget may appear. Look at the screenshots in
test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .frontend_harness import chromium
from .jupyter_server import JupyterServer, open_and_run_all, page_errors, wait_kernel_ready, write_notebook
from .pixel_checks import INK_JS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
EPOCHS, STEPS = 4, 40
RUNS = ("lr_0.1", "lr_0.01")

SHOW = f"""\
import numpy as np, torch
import cellboard
board = cellboard.Board(title="tutorial")
writers = {{name: board.writer(f"runs/tutorial/{{name}}") for name in {RUNS!r}}}
writers[{RUNS[0]!r}].show()
"""

TRAIN = f"""\
torch.manual_seed(0)
rng = np.random.default_rng(0)
for name, w in writers.items():
    lr = float(name.split("_")[1])
    w.add_custom_scalars({{"losses": {{"train vs test": ["Multiline", ["loss/train", "loss/test"]],
                                      "band": ["Margin", ["loss/train", "loss/low", "loss/high"]]}}}})
    for step in range({STEPS}):
        loss = float(np.exp(-lr * step) + 0.05 * rng.random())
        w.add_scalar("loss/train", loss, step)
        w.add_scalar("loss/test", loss * 1.1, step)
        w.add_scalar("loss/low", loss * 0.9, step)
        w.add_scalar("loss/high", loss * 1.2, step)
    for epoch in range({EPOCHS}):
        w.add_image("samples", torch.rand(3, 96, 96), epoch)  # most of each file: read back as views
        w.add_audio("tone", np.sin(np.linspace(0, 200 * (epoch + 1), 4000)) * 0.5, epoch, sample_rate=8000)
        w.add_histogram("weights", rng.normal(epoch, 1, 1000), epoch)
        w.add_text("notes", f"epoch **{{epoch}}** of run `{{name}}`", epoch)
        labels = rng.integers(0, 2, 200)
        w.add_pr_curve("pr", labels, np.clip(labels * 0.3 + rng.random(200) * 0.7, 0, 1), epoch)
    w.add_hparams({{"lr": lr, "batch_size": 64, "optimizer": "sgd"}}, {{"hparam/accuracy": 0.9 - lr}},
                  run_name="hparams")
    w.close()
from cellboard.kinds.images import encoded
held = cellboard.load("runs/tutorial", progress=False).images({RUNS[0]!r}, "samples")
print("TRAINED", type(encoded(held[0])).__name__)  # the reader's views, which the magic's board sends as they are
"""

RELOAD = "%load_ext cellboard\n%cellboard runs/tutorial --no-follow --height 520"

TOTALS = {
    "data-scalar-points": str(len(RUNS) * (4 * STEPS + 1)),  # + the hparams metric point
    "data-image-count": str(len(RUNS) * EPOCHS),
    "data-audio-count": str(len(RUNS) * EPOCHS),
    "data-histogram-steps": str(len(RUNS) * EPOCHS),
    "data-text-count": str(len(RUNS) * EPOCHS),
    "data-pr-curve-steps": str(len(RUNS) * EPOCHS),
    "data-hparams-sessions": str(len(RUNS)),
    "data-notice-count": "0",
}
TABS = ("scalars", "custom_scalars", "images", "audio", "histograms", "text", "pr_curves", "hparams")


def make_notebook(root: Path) -> str:
    return write_notebook(root, "tutorial.ipynb", SHOW, TRAIN, RELOAD)


@pytest.fixture
def browser():
    with chromium() as b:
        yield b


def _check_board(board, expect) -> None:
    expect(board).to_have_attribute("data-cellboard-ready", "1", timeout=60_000)
    for hook, value in TOTALS.items():
        expect(board).to_have_attribute(hook, value, timeout=30_000)
    # the multiline and the margin chart, per the layout both runs logged
    expect(board).to_have_attribute("data-custom-scalar-charts", "2", timeout=30_000)


def _screenshot_tabs(page, board, prefix: str) -> None:
    for kind in TABS:
        tab = board.locator(f'[role="tab"][data-kind="{kind}"]')
        assert tab.count() == 1, f"no {kind} tab"
        tab.click()
        page.wait_for_timeout(500)
        board.screenshot(path=str(ARTIFACTS / f"{prefix}-{kind}.png"))
        if kind in ("scalars", "custom_scalars", "histograms", "pr_curves", "audio"):
            assert board.evaluate(INK_JS) > 200, f"the {kind} tab draws nothing"
        if kind == "hparams":
            assert board.locator("tr, [role=row]").count() >= len(RUNS), "no hparams rows"


def _dark_theme(page) -> None:
    """JupyterLab's own theme switch, from the command palette (the board follows <body>)."""
    page.keyboard.press("Control+Shift+C")
    palette = page.locator(".lm-CommandPalette-input, .jp-mod-commandPalette input").first
    palette.wait_for(timeout=10_000)
    palette.fill("JupyterLab Dark")
    page.locator(".lm-CommandPalette-item", has_text="JupyterLab Dark").first.click()
    page.wait_for_function("document.body.dataset.jpThemeLight === 'false'", timeout=20_000)
    page.wait_for_timeout(800)


@pytest.mark.parametrize("app", ["lab", "notebook"])
def test_every_dashboard_live_and_from_the_magic(app, tmp_path, browser):
    from playwright.sync_api import expect

    root = tmp_path / "root"
    root.mkdir()
    name = make_notebook(root)
    ARTIFACTS.mkdir(exist_ok=True)
    server = JupyterServer(app, root, tmp_path).start()
    logs: list[str] = []
    try:
        page = open_and_run_all(browser, server, name, logs, height=1100)
        outputs = page.locator(".jp-Cell")
        expect(page.locator(".jp-OutputArea-output", has_text="TRAINED")).to_have_count(1, timeout=120_000)
        assert "TRAINED memoryview" in page.locator(".jp-OutputArea-output", has_text="TRAINED").inner_text()
        err = page.locator(".jp-OutputArea-output .jupyter-widgets-error-widget")
        assert err.count() == 0, err.first.inner_text()

        # `writer.show()` as the cell's last line: exactly one board in that cell
        assert outputs.nth(0).locator(".cellboard").count() == 1
        live = outputs.nth(0).locator(".cellboard")
        _check_board(live, expect)
        assert live.get_attribute("data-runs") == ",".join(
            sorted([f"{r}" for r in RUNS] + [f"{r}/hparams" for r in RUNS])
        )
        wait_kernel_ready(page)

        magic = outputs.nth(2).locator(".cellboard")
        expect(magic).to_have_count(1, timeout=60_000)
        _check_board(magic, expect)

        live.scroll_into_view_if_needed()
        _screenshot_tabs(page, live, f"every-{app}-live")
        magic.scroll_into_view_if_needed()
        _screenshot_tabs(page, magic, f"every-{app}-magic")
        # the magic's title (the directory's name) is shown whole, not squeezed to "ru…" by the tabs
        title = magic.locator(".cb-title")
        assert title.evaluate("t => t.scrollWidth <= t.clientWidth"), title.inner_text()
        # and the run summary at the header's end is cut short inside it, not clipped by the board's edge
        summary = magic.locator(".cb-summary")
        assert summary.evaluate(
            "s => s.getBoundingClientRect().right <= s.parentElement.getBoundingClientRect().right + 0.5"
        ), summary.get_attribute("title")
        if app == "lab":
            _dark_theme(page)
            live.scroll_into_view_if_needed()
            _screenshot_tabs(page, live, "every-lab-dark")
            # inputs in the sidebar have the sidebar's colour in this theme: their border must show
            border, side = live.locator(".cb-sidebar .cb-input").first.evaluate(
                "e => [getComputedStyle(e).borderTopColor, getComputedStyle(e.closest('.cb-sidebar')).backgroundColor]"
            )
            assert border != side, (border, side)
        assert not page_errors(logs), page_errors(logs)
    except Exception:
        print("\n".join(logs[-40:]))
        print(server.log_path.read_text()[-4000:])
        raise
    finally:
        server.stop()
