"""The notebooks in notebooks/ run top to bottom (as CI's user would run them) and do their job."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import cellboard

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run_notebook(name: str, tmp_path: Path) -> nbformat.NotebookNode:
    shutil.copy(NOTEBOOKS / name, tmp_path / name)
    nb = nbformat.read(tmp_path / name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb


def outputs(nb) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def test_quickstart_trains_and_shows_a_board(tmp_path):
    nb = run_notebook("quickstart.ipynb", tmp_path)
    outs = outputs(nb)
    errors = [o for o in outs if o.output_type == "error" or o.get("name") == "stderr"]
    assert not errors, errors
    text = "".join(o.get("text", "") for o in outs if o.output_type == "stream")
    acc = float(re.search(r"final test accuracy ([\d.]+)%", text).group(1))
    assert acc > 90.0, text
    boards = [o for o in outs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(boards) == 1
    # close() attached a static PNG to the board's own output, for viewers without widgets
    png = base64.b64decode(boards[0]["data"]["image/png"])
    assert png.startswith(b"\x89PNG")
    logs = cellboard.load(tmp_path / "runs")
    assert logs.runs == ["digits-cnn"]
    tags = logs.tags("digits-cnn")
    assert {"train/loss", "train/lr", "test/accuracy"} <= set(tags["scalars"])
    assert len(logs.scalars("digits-cnn", "train/loss")) == 12 * 44
    assert {"test/samples"} <= set(tags["images"])
    assert len(logs.images("digits-cnn", "test/samples")) == 12
    assert any(t.startswith("weights/") for t in tags["histograms"])
    assert len(logs.text("digits-cnn", "test/predictions/text_summary")) == 12


@pytest.mark.parametrize("name", ["reopen_logs.ipynb", "follow_a_run.ipynb", "projector.ipynb"])
def test_logdir_notebooks_run_cleanly(name, tmp_path):
    nb = run_notebook(name, tmp_path)
    outs = outputs(nb)
    assert not [o for o in outs if o.output_type == "error"]
    assert [o for o in outs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    text = "".join(o.get("text", "") for o in outs if o.output_type == "stream")
    if name == "reopen_logs.ipynb":
        assert "lr=0.03" in text and "does not exist" in text
    elif name == "follow_a_run.ipynb":
        assert "run-2: 60 points" in text
    else:
        assert "EMBEDDED 1797 points of 64 dimensions" in text and "TRAINED" in text
        assert [(r.tag, r.step) for r in cellboard.load(tmp_path / "runs").embeddings("digits")] == [
            ("default", 0),
            ("hidden", 1),
        ]


def test_visdom_notebook_runs_with_only_the_import_changed(tmp_path):
    from cellboard.visdom import windows

    nb = run_notebook("visdom.ipynb", tmp_path)
    outs = outputs(nb)
    assert not [o for o in outs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outs if o.output_type == "stream")
    assert "LOGGED" in text and "PLOTTED" in text and "CHARTED" in text and "PROPERTIES" in text
    # the live board and the %cellboard board
    assert len([o for o in outs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]) == 2
    logs = cellboard.load(tmp_path / "runs" / "visdom")
    wins = windows(logs, "main")
    assert {
        "train_loss",
        "train_vs_test",
        "sample",
        "batch",
        "notes",
        "tone",
        "scatter",
        "scatter_100k",
        "bar",
        "heatmap",
        "heatmap_500",
        "histogram",
        "boxplot",
        "stem",
        "pie",
        "surf",
        "contour",
        "quiver",
        "svg",
        "mesh",
        "dual_axis",
        "sunburst",
        "graph",
        "embeddings",
        "settings",
        "pad",
        "scatter3d",
    } == set(wins)
    assert logs.mesh("main", "mesh")[0].faces.shape == (1, 4, 3)
    assert len(wins["train_loss"]["traces"][0]["x"]) == 100
    assert len(logs.scalars("main", "train_loss/1")) == 100
    assert len(logs.scalars("main", "train_vs_test/test")) == 10
    assert len(logs.scalars("main", "dual_axis/lr")) == 50
    assert wins["graph"]["nodes"] == 7 and [t["name"] for t in wins["embeddings"]["traces"]] == ["cat", "dog", "bird"]
    assert logs.embeddings("main", "embeddings")[0].mat.shape == (180, 16)


def test_keras_notebook_trains_and_its_logs_read_back(tmp_path):
    pytest.importorskip("tensorflow", reason="the notebook trains with Keras")
    nb = run_notebook("keras.ipynb", tmp_path)
    outs = outputs(nb)
    errors = [o for o in outs if o.output_type == "error"]
    assert not errors, errors
    text = "".join(o.get("text", "") for o in outs if o.output_type == "stream")
    accuracies = [float(a) for a in re.findall(r"final validation accuracy ([\d.]+)%", text)]
    assert len(accuracies) == 2 and max(accuracies) > 90.0, text
    boards = [o for o in outs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(boards) == 1  # the %cellboard board, shown before training
    logs = cellboard.load(tmp_path / "logs" / "keras", progress=False)
    assert logs.notices == {}
    assert {"lr_0.003", "lr_0.003/train", "lr_0.03/validation"} <= set(logs.runs)
    assert len(logs.scalars("lr_0.03/validation", "epoch_accuracy")) == 8
    assert len(logs.tags("lr_0.03/train")["histograms"]) == 6  # conv, hidden, classes: kernel and bias
    (graph,) = logs.graph("lr_0.03/train")
    assert [n.op for n in graph.nodes] == ["InputLayer", "Conv2D", "Flatten", "Dense", "Dense"]
    (session,) = logs.hparams("lr_0.03")
    assert session.hparams == {"learning_rate": 0.03, "optimizer": "adam"}
    assert "validation/epoch_accuracy" in session.metrics  # TensorBoard's inferred metrics
