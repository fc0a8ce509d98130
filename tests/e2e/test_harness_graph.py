"""The GRAPH tab in headless Chromium (the frontend harness, js/harness/).

First the harness' fake kernel sends the PyTorch tutorial's CNN (``graphDelta`` in harness.js):
expand and collapse a module, search, pan, zoom, fit, the table view and its sorting, light and
dark themes. Then real graphs: ResNet-50 and ResNet-152 (built with ``torch.nn``, traced with
cellboard's ``add_graph``) as a ``cellboard.Board`` sends them, replayed into the harness; the
layout time of the fully expanded graph is read from the tab (``data-graph-layout-ms``), with
how long a zoom and a pan take to reach the screen. Screenshots: test-artifacts/harness-graph-*.png.
"""

from __future__ import annotations

import base64
import json
import time

import pytest

from .frontend_harness import ROOT, open_harness, real_errors

ARTIFACTS = ROOT / "test-artifacts"

EMIT_JS = """(msgs) => {
  const h = window.cellboardHarness;
  for (const [content, bufs] of msgs) {
    const buffers = bufs.map((b64) => {
      const s = atob(b64), u = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
      return new DataView(u.buffer);
    });
    h.model.emit('msg:custom', content, buffers);
  }
}"""

# what the Graph tab shows first for the tutorial's CNN: its six modules (pool once: shared),
# relu x4 and view in the model's own scope, the input and the output
CNN_FIRST_NODES = 6 + 5 + 2


def open_graph(site, query: str = "?auto=0"):
    from playwright.sync_api import expect

    base, browser = site
    page, errors = open_harness(browser, base, query, viewport=(1280, 900))
    page.evaluate("() => window.cellboardHarness.model.set('height', 760)")
    board = page.locator("#out.cellboard")
    return page, errors, board, expect


def graph_tab_of(site, messages: list, graphs: int):
    """A harness board fed a real Board's ``messages``, on its Graph tab once ``graphs`` graphs arrived:
    ``(page, errors, board, panel, expect)``."""
    page, errors, board, expect = open_graph(site)
    page.evaluate(EMIT_JS, messages)
    expect(board).to_have_attribute("data-graph-count", str(graphs), timeout=15_000)
    board.get_by_role("tab", name="Graph").click()
    return page, errors, board, board.locator(".cb-panel-graph"), expect


def test_graph_tab_from_the_fake_kernel(site, tmp_path):
    page, errors, board, expect = open_graph(site)
    page.evaluate("() => window.cellboardHarness.sendGraph()")
    expect(board).to_have_attribute("data-graph-count", "1")
    tab = board.get_by_role("tab", name="Graph")
    tab.click()
    panel = board.locator(".cb-panel-graph")
    expect(panel).to_have_attribute("data-graph-nodes", str(CNN_FIRST_NODES))
    expect(panel).to_have_attribute("data-graph-expanded", "1")
    boxes = panel.locator(".cb-graph-module")
    names = sorted(boxes.evaluate_all("els => els.map(e => e.querySelector('.cb-graph-name').textContent)"))
    assert names == ["+ conv1", "+ conv2", "+ fc1", "+ fc2", "+ fc3", "+ pool"]
    conv1 = panel.locator('[data-name="CNN/Conv2d[conv1]"]')
    text = conv1.text_content() or ""
    assert "Conv2d" in text and "156 params" in text and "[4, 6, 24, 24]" in text
    labels = panel.locator(".cb-graph-edge-label").all_text_contents()
    assert "[4, 1, 28, 28]" in labels and "[4, 256]" in labels
    page.wait_for_timeout(150)
    board.screenshot(path=str(ARTIFACTS / "harness-graph-cnn.png"))

    # expand conv1: its weight, bias and convolution replace its box, inside a cluster
    conv1.click()
    expect(panel).to_have_attribute("data-graph-nodes", str(CNN_FIRST_NODES + 2))
    expect(panel).to_have_attribute("data-graph-expanded", "2")
    assert panel.locator('.cb-graph-cluster[data-path="CNN/Conv2d[conv1]"]').count() == 1
    # collapse it again from its title
    panel.locator('.cb-graph-cluster[data-path="CNN/Conv2d[conv1]"] .cb-graph-cluster-title').click()
    expect(panel).to_have_attribute("data-graph-nodes", str(CNN_FIRST_NODES))

    # search: fc2 is lit; "weight" opens every module with a weight
    search = panel.get_by_role("searchbox", name="Search nodes")
    search.fill("fc2")
    expect(panel).to_have_attribute("data-graph-matches", "1")
    assert panel.locator(".cb-graph-node.cb-graph-lit").evaluate("e => e.dataset.name") == "CNN/Linear[fc2]"
    search.fill("weight")
    expect(panel).to_have_attribute("data-graph-matches", "5")
    expect(panel).to_have_attribute("data-graph-expanded", "6")
    assert panel.locator(".cb-graph-op.cb-graph-lit").count() == 5
    search.fill("")
    panel.get_by_role("button", name="collapse").click()
    expect(panel).to_have_attribute("data-graph-nodes", str(CNN_FIRST_NODES))

    # pan (drag) and zoom (wheel) move the drawing; Fit brings it back
    view = panel.locator(".cb-graph-view")
    vp = panel.locator(".cb-graph-canvas")
    transform = lambda: vp.evaluate("e => e.style.transform")  # noqa: E731
    before = transform()
    box = view.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 140, box["y"] + 90, steps=5)
    page.mouse.up()
    panned = transform()
    assert panned != before
    zoom = float(view.get_attribute("data-graph-zoom") or "0")
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)
    expect(view).not_to_have_attribute("data-graph-zoom", f"{zoom:.3f}")
    assert float(view.get_attribute("data-graph-zoom") or "0") > zoom
    panel.get_by_role("button", name="Fit").click()
    assert transform() == before
    assert panel.locator(".cb-graph-node").count() == CNN_FIRST_NODES  # a drag is not a click: nothing expanded

    # the table view: the summary's rows, sortable by parameters and mult-adds
    panel.get_by_role("button", name="Table").click()
    expect(panel).to_have_attribute("data-graph-view", "table")
    table = panel.locator(".cb-graph-table")
    expect(table).to_have_attribute("data-graph-table-rows", "8")
    first = lambda: table.locator("tbody tr").first.locator("td").first.inner_text()  # noqa: E731
    assert first() == "(model)"
    table.get_by_role("button", name="Params").click()
    expect(table).to_have_attribute("data-graph-table-sort", "params:desc")
    assert first() == "fc1"
    table.get_by_role("button", name="Mult-adds").click()
    assert first() == "conv2"
    assert "44,426" in table.inner_text()
    board.screenshot(path=str(ARTIFACTS / "harness-graph-table.png"))
    panel.get_by_role("button", name="Graph").click()
    expect(panel).to_have_attribute("data-graph-view", "graph")

    # a second run with a graph: the run picker appears and switches graphs
    picker = panel.get_by_role("combobox", name="Run")
    assert not picker.is_visible()
    page.evaluate("() => window.cellboardHarness.sendGraph({ run: 'lr_0.01' })")
    expect(board).to_have_attribute("data-graph-count", "2")
    expect(picker).to_be_visible()
    assert picker.locator("option").all_text_contents() == ["baseline", "lr_0.01"]
    picker.select_option("lr_0.01")
    expect(panel).to_have_attribute("data-graph-run", "lr_0.01")
    expect(panel).to_have_attribute("data-graph-nodes", str(CNN_FIRST_NODES))
    assert real_errors(errors) == []


def test_graph_tab_dark_theme(site):
    page, errors, board, expect = open_graph(site, "?auto=0&theme=dark")
    page.evaluate("() => window.cellboardHarness.sendGraph()")
    board.get_by_role("tab", name="Graph").click()
    panel = board.locator(".cb-panel-graph")
    expect(panel).to_have_attribute("data-graph-nodes", str(CNN_FIRST_NODES))
    # text on the boxes follows the theme: light text on the dark board
    fill = panel.locator(".cb-graph-name").first.evaluate("e => getComputedStyle(e).fill")
    rgb = [int(v) for v in fill[fill.index("(") + 1 : fill.index(")")].split(",")[:3]]
    assert sum(rgb) / 3 > 150, fill
    page.wait_for_timeout(150)
    board.screenshot(path=str(ARTIFACTS / "harness-graph-dark.png"))
    assert real_errors(errors) == []


def _resnet(blocks: tuple[int, ...]):
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Bottleneck(nn.Module):
        def __init__(self, cin: int, width: int, stride: int = 1) -> None:
            super().__init__()
            cout = width * 4
            self.conv1, self.bn1 = nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width)
            self.conv2, self.bn2 = nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width)
            self.conv3, self.bn3 = nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.relu(self.bn2(self.conv2(out)))
            return self.relu(self.bn3(self.conv3(out)) + identity)

    class ResNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64)
            self.relu, self.maxpool = nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)
            cin, stages = 64, []
            for i, (width, count) in enumerate(zip((64, 128, 256, 512), blocks)):
                mods = []
                for b in range(count):
                    mods.append(Bottleneck(cin, width, (1 if i == 0 else 2) if b == 0 else 1))
                    cin = width * 4
                stages.append(nn.Sequential(*mods))
            self.layer1, self.layer2, self.layer3, self.layer4 = stages
            self.avgpool, self.fc = nn.AdaptiveAvgPool2d(1), nn.Linear(2048, 1000)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return ResNet(), torch.randn(1, 3, 224, 224)


def _load_test_module(name: str):
    """A module of tests/ (not a package) by its path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_cellboard_{name}", ROOT / "tests" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _board_messages(logdir) -> list:
    import cellboard
    from cellboard.board import Board

    board = Board(cellboard.load(str(logdir)), interval=0.0)
    sent: list = []
    board.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))
    board._on_msg(board, {"type": "hello"}, [])
    board.close()
    return [(c, [base64.b64encode(bytes(b)).decode("ascii") for b in bufs]) for c, bufs in sent]


@pytest.mark.parametrize("name,blocks", [("resnet50", (3, 4, 6, 3)), ("resnet152", (3, 8, 36, 3))])
def test_resnet_lays_out_fully_expanded_under_2s(site, tmp_path, name, blocks):
    import cellboard

    model, x = _resnet(blocks)
    with cellboard.SummaryWriter(str(tmp_path / name)) as w:
        w.add_graph(model, x)
    (rec,) = cellboard.load(str(tmp_path)).graph(name)
    assert rec.summary is not None and rec.summary.total_params == sum(p.numel() for p in model.parameters())
    msgs = _board_messages(tmp_path)
    page, errors, board, panel, expect = graph_tab_of(site, msgs, 1)
    expect(panel).to_have_attribute("data-graph-view", "graph")
    first_ms = float(panel.get_attribute("data-graph-layout-ms") or "nan")
    total = int(panel.get_attribute("data-graph-total") or "0")
    t0 = time.perf_counter()
    panel.get_by_role("button", name="expand all").click()
    expect(panel).to_have_attribute("data-graph-nodes", str(total), timeout=20_000)
    click_to_drawn = time.perf_counter() - t0
    layout_ms = float(panel.get_attribute("data-graph-layout-ms") or "nan")
    # responsiveness on the fully expanded graph: a zoom and a pan, event to next frame
    view = panel.locator(".cb-graph-view")
    box = view.bounding_box()
    assert box is not None
    frame_ms = page.evaluate(
        """async (el) => {
          const r = el.getBoundingClientRect();
          const times = [];
          for (let i = 0; i < 10; i++) {
            const t = performance.now();
            el.dispatchEvent(new WheelEvent('wheel', {deltaY: i % 2 ? 120 : -120, clientX: r.x + 300, clientY: r.y + 200, bubbles: true, cancelable: true}));
            await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
            times.push(performance.now() - t);
          }
          times.sort((a, b) => a - b);
          return times[Math.floor(times.length / 2)];
        }""",
        view.element_handle(),
    )
    page.mouse.move(box["x"] + 100, box["y"] + 100)
    page.mouse.down()
    page.mouse.move(box["x"] + 300, box["y"] + 250, steps=10)
    page.mouse.up()
    panel.get_by_role("button", name="collapse").click()
    expect(panel).not_to_have_attribute("data-graph-nodes", str(total))
    t1 = time.perf_counter()
    panel.get_by_role("button", name="expand all").click()
    expect(panel).to_have_attribute("data-graph-nodes", str(total), timeout=20_000)
    again = time.perf_counter() - t1
    figures = {
        "graph_def_nodes": len(rec.nodes),
        "drawn_nodes": total,
        "first_view_layout_ms": first_ms,
        "expand_all_layout_ms": layout_ms,
        "expand_all_click_to_drawn_s": round(click_to_drawn, 3),
        "re_expand_click_to_drawn_s": round(again, 3),
        "zoom_to_frame_ms_median": round(frame_ms, 1),
    }
    (ARTIFACTS / f"harness-graph-{name}.json").write_text(json.dumps(figures, indent=1))
    print(name, figures)
    panel.get_by_role("button", name="Fit").click()
    board.screenshot(path=str(ARTIFACTS / f"harness-graph-{name}.png"))
    assert layout_ms < 2000, figures
    assert frame_ms < 150, figures  # ~33 ms (two animation frames) when the machine is not busy
    assert real_errors(errors) == []


def test_a_tensorflow_graph_opens_in_the_same_tab(site, tmp_path):
    """A TensorFlow GraphDef (scopes, ports, control inputs) written with the file writer's add_graph."""
    pytest.importorskip("tensorboard")
    from tensorboard.compat.proto import config_pb2

    import cellboard

    tensorflow_graph_def = _load_test_module("test_graph").tensorflow_graph_def
    with cellboard.SummaryWriter(str(tmp_path / "tf")) as w:
        w._get_file_writer().add_graph((tensorflow_graph_def(), config_pb2.RunMetadata()))
    page, errors, board, panel, expect = graph_tab_of(site, _board_messages(tmp_path), 1)
    # TensorFlow's top-level scopes, collapsed: x, dense, loss
    expect(panel).to_have_attribute("data-graph-nodes", "3")
    expect(panel).to_have_attribute("data-graph-edges", "3")  # x -> dense -> loss, and ^x -> loss
    assert sorted(panel.locator(".cb-graph-node").evaluate_all("els => els.map(e => e.dataset.name)")) == [
        "dense",
        "loss",
        "x",
    ]
    panel.locator('[data-name="loss"]').click()
    expect(panel).to_have_attribute("data-graph-nodes", "4")
    # the table view says why there is no table (only cellboard's add_graph logs one)
    panel.get_by_role("button", name="Table").click()
    assert "No summary table" in panel.locator(".cb-graph-table").inner_text()
    panel.get_by_role("button", name="Graph").click()
    page.wait_for_timeout(150)
    board.screenshot(path=str(ARTIFACTS / "harness-graph-tensorflow.png"))
    assert real_errors(errors) == []


def test_a_keras_model_opens_as_its_layers(site, tmp_path):
    """The config Keras' TensorBoard callback writes (real Keras, in a subprocess): layers as boxes, the
    nested Sequential as a module that expands; a run with an op graph too shows that first."""
    import cellboard

    _load_test_module("test_keras_graph").write_keras_logs(tmp_path)
    page, errors, board, panel, expect = graph_tab_of(site, _board_messages(tmp_path), 2)
    expect(panel).to_have_attribute("data-graph-run", "func/train")
    # x, left, right, merge and the nested Sequential "head", collapsed
    expect(panel).to_have_attribute("data-graph-nodes", "5")
    drawn = lambda: sorted(panel.locator(".cb-graph-node").evaluate_all("els => els.map(e => e.dataset.name)"))  # noqa: E731
    assert drawn() == ["head", "left", "merge", "right", "x"]
    assert "Concatenate" in (panel.locator('[data-name="merge"]').text_content() or "")
    assert "[?, 8]" in (panel.locator('[data-name="x"]').text_content() or "")
    assert "Sequential" in (panel.locator('[data-name="head"]').text_content() or "")  # the nested model's class
    # x -> left, x -> right, left -> merge, right -> merge, merge -> head
    expect(panel).to_have_attribute("data-graph-edges", "5")
    page.wait_for_timeout(150)
    board.screenshot(path=str(ARTIFACTS / "harness-graph-keras.png"))
    panel.locator('[data-name="head"]').click()
    expect(panel).to_have_attribute("data-graph-nodes", "7")
    assert drawn() == ["head/h1", "head/h2", "head/input_layer", "left", "merge", "right", "x"]
    assert panel.locator('.cb-graph-cluster[data-path="head"]').count() == 1
    panel.get_by_role("button", name="Fit").click()
    page.wait_for_timeout(150)
    board.screenshot(path=str(ARTIFACTS / "harness-graph-keras-expanded.png"))
    assert real_errors(errors) == []
    page.close()

    # an op graph in the same run (as tf.keras 2 writes one): shown first, the Keras model one pick away
    pytest.importorskip("tensorboard")
    from tensorboard.compat.proto import config_pb2

    tensorflow_graph_def = _load_test_module("test_graph").tensorflow_graph_def
    with cellboard.SummaryWriter(str(tmp_path / "func" / "train")) as w:
        w._get_file_writer().add_graph((tensorflow_graph_def(), config_pb2.RunMetadata()))
    page, errors, board, panel, expect = graph_tab_of(site, _board_messages(tmp_path), 3)
    expect(panel).to_have_attribute("data-graph-nodes", "3")  # TensorFlow's scopes: x, dense, loss
    picker = panel.get_by_role("combobox", name="Graph")
    expect(picker).to_be_visible()
    options = picker.locator("option").all_text_contents()
    assert [o.split(" (")[0] for o in options] == ["Keras model", "graph 2 of 2"], options
    picker.select_option(index=0)
    expect(panel).to_have_attribute("data-graph-nodes", "5")
    assert real_errors(errors) == []
