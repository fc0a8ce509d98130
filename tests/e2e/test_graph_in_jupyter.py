"""The GRAPH tab in a real JupyterLab, on the PyTorch TensorBoard tutorial's CNN, next to TensorBoard.

A notebook logs the tutorial's network (conv1, pool, conv2, fc1-3) with cellboard's ``add_graph``
and opens the directory with ``%cellboard``: the Graph tab shows the model collapsed to its
modules; a module expands and collapses; search finds fc2; the table view lists the summary and
sorts by parameters. Then TensorBoard itself is started on the same directory and its GRAPHS
dashboard screenshotted. Screenshots (look at them): the test's tmp dir and test-artifacts/
(jupyter-graph-*.png, tensorboard-graphs.png).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .frontend_harness import chromium, save_screenshot
from .jupyter_server import JupyterServer, open_and_run_all, page_errors, write_notebook
from .tensorboard_server import tensorboard

LOG = """\
import torch
from torch import nn
import torch.nn.functional as F
import cellboard


class Net(nn.Module):  # the PyTorch TensorBoard tutorial's network
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 4 * 4)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


net = Net()
images = torch.randn(4, 1, 28, 28)
writer = cellboard.SummaryWriter("runs/fashion_mnist_experiment_1")
writer.add_graph(net, images)
writer.close()
print("GRAPHED")
"""

SHOW = "%load_ext cellboard\n%cellboard --logdir runs --height 760"

# the tutorial's CNN as first shown: six modules (pool once: it is called twice), relu x4 and
# view in Net's own scope, the input and the output
FIRST_NODES = 13


@pytest.fixture
def browser():
    with chromium() as b:
        yield b


def _notebook(root: Path) -> str:
    return write_notebook(root, "graph.ipynb", LOG, SHOW)


def test_graph_tab_in_jupyterlab_next_to_tensorboard(tmp_path, browser):
    from playwright.sync_api import expect

    root = tmp_path / "root"
    root.mkdir()
    name = _notebook(root)
    server = JupyterServer("lab", root, tmp_path).start()
    logs: list[str] = []
    try:
        page = open_and_run_all(browser, server, name, logs, height=1100)
        expect(page.locator(".jp-OutputArea-output", has_text="GRAPHED")).to_have_count(1, timeout=120_000)
        board = page.locator(".jp-OutputArea-output .cellboard")
        err = page.locator(".jp-OutputArea-output .jupyter-widgets-error-widget")
        expect(board.or_(err).first).to_be_visible(timeout=60_000)
        assert err.count() == 0, err.first.inner_text()
        expect(board).to_have_attribute("data-graph-count", "1", timeout=60_000)
        # the only data is a graph: the board opens on the Graph tab
        tab = board.locator('[role="tab"][data-kind="graph"]')
        expect(tab).to_have_attribute("aria-selected", "true", timeout=10_000)
        panel = board.locator(".cb-panel-graph")
        expect(panel).to_have_attribute("data-graph-nodes", str(FIRST_NODES), timeout=20_000)
        modules = sorted(panel.locator(".cb-graph-module .cb-graph-name").all_text_contents())
        assert modules == ["+ conv1", "+ conv2", "+ fc1", "+ fc2", "+ fc3", "+ pool"]
        fc1 = panel.locator('[data-name="Net/Linear[fc1]"]')
        assert "30.8K params" in (fc1.text_content() or "") and "[4, 120]" in (fc1.text_content() or "")
        board.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        save_screenshot(board, tmp_path, "jupyter-graph.png")

        # expand conv2 down to its ops (weight, bias, convolution), then collapse it
        panel.locator('[data-name="Net/Conv2d[conv2]"]').click()
        expect(panel).to_have_attribute("data-graph-nodes", str(FIRST_NODES + 2))
        ops = panel.locator('.cb-graph-cluster[data-path="Net/Conv2d[conv2]"]')
        expect(ops).to_have_count(1)
        page.wait_for_timeout(300)
        save_screenshot(board, tmp_path, "jupyter-graph-expanded.png")
        ops.locator(".cb-graph-cluster-title").click()
        expect(panel).to_have_attribute("data-graph-nodes", str(FIRST_NODES))

        # search
        panel.get_by_role("searchbox", name="Search nodes").fill("fc2")
        expect(panel).to_have_attribute("data-graph-matches", "1")
        expect(panel.locator(".cb-graph-node.cb-graph-lit")).to_have_attribute("data-name", "Net/Linear[fc2]")

        # the table view, sorted by parameters
        panel.get_by_role("button", name="Table").click()
        table = panel.locator(".cb-graph-table")
        expect(table).to_have_attribute("data-graph-table-rows", "8")
        table.get_by_role("button", name="Params").click()
        first = table.locator("tbody tr").first.locator("td")
        assert first.nth(0).inner_text() == "fc1" and first.nth(5).inner_text() == "30,840"
        assert "44,426" in table.inner_text()  # total params, as cellboard.summary / torchinfo
        page.wait_for_timeout(200)
        save_screenshot(board, tmp_path, "jupyter-graph-table.png")
        assert page_errors(logs) == []
    finally:
        server.stop()

    # TensorBoard's own GRAPHS dashboard on the same directory
    with tensorboard(root / "runs") as url:
        tb = browser.new_page(viewport={"width": 1280, "height": 900})
        tb.goto(f"{url}/#graphs")
        # TensorBoard draws its graph as SVG groups of class "node" (inside its web components)
        tb.locator("g.node").first.wait_for(timeout=60_000)
        tb.wait_for_timeout(1500)
        save_screenshot(tb, tmp_path, "tensorboard-graphs.png")
        node_names = tb.locator("g.node").evaluate_all("els => els.map(e => e.getAttribute('data-name'))")
        assert "Net" in node_names, node_names
