"""A Keras user's logs in a real JupyterLab, next to TensorBoard.

A notebook trains two small Keras models as TensorFlow's hparams tutorial does: Keras'
TensorBoard callback (``train``/``validation`` sub-runs, weight histograms, the model) and
``hp.KerasCallback`` (a session per model, no metric names). ``%cellboard`` opens the directory:
the Scalars tab shows both sub-runs' curves; the HParams tab lists both sessions with the
metrics TensorBoard infers (every scalar of a session's sub-runs) filled in; the Histograms tab
shows the weights. TensorBoard's HPARAMS dashboard on the same directory is screenshotted for
comparison. Screenshots (look at them): test-artifacts/keras-*.png, tensorboard-keras-hparams.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .frontend_harness import chromium, save_screenshot
from .jupyter_server import JupyterServer, open_and_run_all, page_errors, write_notebook
from .tensorboard_server import tensorboard

pytest.importorskip("tensorflow", reason="the notebook trains with Keras")

TRAIN = """\
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, keras
from tensorboard.plugins.hparams import api as hp

rng = np.random.default_rng(0)
x = rng.standard_normal((256, 8)).astype("float32")
y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int32")
for units, lr in ((8, 0.05), (32, 0.2)):
    logdir = f"logs/units_{units}"
    keras.utils.set_random_seed(units)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(units, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.SGD(lr), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=6, batch_size=32, validation_split=0.25, verbose=0,
              callbacks=[keras.callbacks.TensorBoard(logdir, histogram_freq=1),
                         hp.KerasCallback(logdir, {"units": units, "lr": lr})])
import tensorflow as tf
with tf.summary.create_file_writer("logs/units_8/validation").as_default():  # a metric only this session has
    tf.summary.scalar("epoch_auc", 0.7, step=5)
with tf.summary.create_file_writer("logs/units_32/validation").as_default():
    report = [["class", "precision", "recall"], ["0", "**0.91**", "0.88"], ["1", "0.86", "`0.90`"]]
    tf.summary.text("report", tf.constant(report), step=5, description="Per-class **precision** and recall")
    for epoch in range(6):  # a scalar with a description, as tf.summary takes one
        tf.summary.scalar("learning_rate", 0.2 * 0.5 ** epoch, step=epoch, description="Halved every epoch: `0.2 * 0.5**epoch`")


@tf.function
def layer(x):
    return tf.nn.relu(tf.matmul(x, tf.ones((3, 2)))) + 1.0


with tf.summary.create_file_writer("logs/trace").as_default():  # TensorBoard's graph tutorial's way
    tf.summary.trace_on(graph=True)
    layer(tf.ones((4, 3)))
    tf.summary.trace_export("layer", step=0)

# TensorFlow's projector tutorial: the embedding in a checkpoint, the config next to it
from tensorboard.plugins import projector

words = tf.Variable(rng.standard_normal((60, 8)).astype("float32"))
tf.train.Checkpoint(embedding=words).save("logs/embedding.ckpt")
with open("logs/metadata.tsv", "w") as f:
    f.write("".join(f"word_{i % 3}\\n" for i in range(60)))
config = projector.ProjectorConfig()
emb = config.embeddings.add()
emb.tensor_name = "embedding/.ATTRIBUTES/VARIABLE_VALUE"
emb.metadata_path = "metadata.tsv"
projector.visualize_embeddings("logs", config)

# Keras 3's own projector logging: HDF5 weights each epoch, which TensorBoard's projector cannot read
os.makedirs("logs/words", exist_ok=True)
with open("logs/words/labels.tsv", "w") as f:
    f.write("".join(f"token_{i % 4}\\n" for i in range(40)))
tokens = keras.Sequential([keras.Input((4,), dtype="int32"), keras.layers.Embedding(40, 6, name="tokens"),
                           keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(1)])
tokens.compile("adam", "mse")
tokens.fit(rng.integers(0, 40, (64, 4)).astype("int32"), rng.standard_normal((64, 1)), epochs=2, verbose=0,
           callbacks=[keras.callbacks.TensorBoard("logs/words", embeddings_freq=1, embeddings_metadata="labels.tsv")])
print("KERAS DONE")
"""

SHOW = "%load_ext cellboard\n%cellboard logs --height 760"

METRICS = ["validation/epoch_accuracy", "validation/epoch_loss", "train/epoch_accuracy", "train/epoch_loss"]


@pytest.fixture
def browser():
    with chromium() as b:
        yield b


def _column(board, name: str) -> list[str]:
    idx = board.locator(".cb-hp-table thead tr:first-child th").evaluate_all(
        f"(ths) => ths.findIndex((th) => th.textContent.replace(/[▲▼]/g, '') === {name!r})"
    )
    assert idx >= 0, name
    return board.locator(f".cb-hp-table tbody tr td:nth-child({idx + 1})").all_inner_texts()


def _pick_embedding(pj, name: str, points: int, dims: int) -> None:
    """Pick the embedding ``name`` ("run · tag · step N") in the Projector and wait until it is drawn."""
    from playwright.sync_api import expect

    picker = pj.get_by_label("Embedding")
    option = picker.locator("option", has_text=name)
    expect(option).to_have_count(1, timeout=30_000)
    picker.select_option(label=option.inner_text())
    expect(pj).to_have_attribute("data-projector-points", str(points), timeout=30_000)
    expect(pj.locator(".cb-pj-status")).to_contain_text(f"{points} points × {dims} dims")


def _shot(board, tmp_path: Path, name: str) -> None:
    board.scroll_into_view_if_needed()
    board.page.wait_for_timeout(400)
    save_screenshot(board, tmp_path, name)


def test_keras_logs_in_jupyterlab_next_to_tensorboard(tmp_path, browser):
    from playwright.sync_api import expect

    root = tmp_path / "root"
    root.mkdir()
    name = write_notebook(root, "keras.ipynb", TRAIN, SHOW)
    server = JupyterServer("lab", root, tmp_path).start()
    logs: list[str] = []
    try:
        page = open_and_run_all(browser, server, name, logs, height=1100)
        expect(page.locator(".jp-OutputArea-output", has_text="KERAS DONE")).to_have_count(1, timeout=180_000)
        board = page.locator(".jp-OutputArea-output .cellboard")
        err = page.locator(".jp-OutputArea-output .jupyter-widgets-error-widget")
        expect(board.or_(err).first).to_be_visible(timeout=60_000)
        assert err.count() == 0, err.first.inner_text()

        # Scalars: Keras' epoch curves of both sub-runs of both models
        expect(board.locator('[role="tab"][data-kind="scalars"]')).to_have_attribute("aria-selected", "true")
        card = board.locator('.cb-card[data-tag="epoch_loss"]')
        expect(card).to_have_count(1, timeout=30_000)
        runs = [r.replace("\u200b", "") for r in board.locator(".cb-run-name").all_text_contents()]
        assert {"units_8/train", "units_8/validation", "units_32/train", "units_32/validation"} <= set(runs), runs
        _shot(board, tmp_path, "keras-scalars.png")
        # tf.summary's description=: an info button at the end of the card's title opens it, rendered
        lr = board.locator('.cb-card[data-tag="learning_rate"]')
        lr.locator(".cb-desc-btn").click()
        expect(lr.locator(".cb-card-desc code")).to_have_text("0.2 * 0.5**epoch")
        expect(lr.locator(".cb-card-desc")).to_be_visible()
        assert board.locator('.cb-card[data-tag="epoch_loss"] .cb-desc-btn').count() == 0
        lr.scroll_into_view_if_needed()
        board.page.wait_for_timeout(300)
        save_screenshot(lr, tmp_path, "keras-scalar-description.png")

        # HParams: both sessions, the inferred metrics filled in with each run's last value
        board.locator('[role="tab"][data-kind="hparams"]').click()
        expect(board).to_have_attribute("data-hparams-sessions", "2", timeout=30_000)
        expect(board.locator(".cb-hp-table tbody tr")).to_have_count(2)
        heads = board.locator(".cb-hp-table thead tr:first-child th").all_inner_texts()
        heads = [h.replace("▲", "").replace("▼", "") for h in heads]
        assert set(METRICS) <= set(heads), heads
        for metric in METRICS:
            cells = _column(board, metric)
            assert len(cells) == 2 and all(c and float(c) >= 0 for c in cells), (metric, cells)
        accuracy = [float(c) for c in _column(board, "validation/epoch_accuracy")]
        assert all(0.4 <= a <= 1 for a in accuracy), accuracy
        expect(board.locator("path.cb-hp-line")).to_have_count(2)
        _shot(board, tmp_path, "keras-hparams.png")
        assert "validation/epoch_auc" in heads  # inferred from units_8's scalars alone
        # hiding a session's run hides its row; the inferred metrics stay (they are every session's,
        # so units_8's own metric keeps its column while its session is hidden)
        box = board.locator('.cb-run[data-run="units_8"] input')
        box.uncheck()
        expect(board.locator(".cb-hp-table tbody tr")).to_have_count(1)
        assert {*METRICS, "validation/epoch_auc"} <= {
            h.replace("▲", "").replace("▼", "")
            for h in board.locator(".cb-hp-table thead tr:first-child th").all_inner_texts()
        }
        box.check()
        expect(board.locator(".cb-hp-table tbody tr")).to_have_count(2)

        # Histograms: the dense layers' kernels and biases (Keras names each model's layers apart)
        board.locator('[role="tab"][data-kind="histograms"]').click()
        kernels = board.locator(".cb-card", has_text="kernel/histogram")
        expect(kernels).to_have_count(4, timeout=20_000)  # two layers per model
        _shot(board, tmp_path, "keras-histograms.png")

        # Graph: each model's layers (Keras' conceptual graph); the traced function's ops
        board.locator('[role="tab"][data-kind="graph"]').click()
        panel = board.locator(".cb-panel-graph")
        panel.get_by_label("Run").select_option("units_32/train")
        dense = panel.locator(
            '.cb-graph-node[data-name^="dense"]'
        )  # dense_2, dense_3: Keras numbers layers per process
        expect(dense).to_have_count(2, timeout=20_000)
        assert all("Dense" in t for t in dense.all_text_contents())
        expect(panel.locator('.cb-graph-node[data-name="input_layer_1"]')).to_have_count(1)
        _shot(board, tmp_path, "keras-graph.png")
        panel.get_by_label("Run").select_option("trace")
        panel.get_by_role("button", name="expand all").click()
        matmul = panel.locator(".cb-graph-node", has_text="MatMul")
        expect(matmul.first).to_be_visible(timeout=20_000)
        _shot(board, tmp_path, "keras-trace-graph.png")

        # Projector: the checkpoint's embedding, read without TensorFlow, coloured by its labels
        board.locator('[role="tab"][data-kind="embeddings"]').click()
        pj = board.locator(".cb-projector")
        _pick_embedding(pj, ". · embedding/.ATTRIBUTES/VARIABLE_VALUE · step 1", 60, 8)
        _shot(board, tmp_path, "keras-projector.png")
        # Keras' embeddings_freq: the Embedding layer's weights of the last epoch, labelled
        _pick_embedding(pj, "words · tokens/embeddings · step 1", 40, 6)
        _shot(board, tmp_path, "keras-projector-embeddings-freq.png")

        # Text: a string matrix is a table without a header, its cells rendered as markdown
        board.locator('[role="tab"][data-kind="text"]').click()
        table = board.locator(".cb-text-card table.cb-text-table")
        expect(table).to_have_count(1, timeout=20_000)
        assert table.locator("thead").count() == 0
        assert table.locator("tbody tr").count() == 3 and table.locator("td").count() == 9
        assert table.locator("td strong").inner_text() == "0.91" and table.locator("td code").inner_text() == "0.90"
        text_card = board.locator(".cb-text-card", has=page.locator("table.cb-text-table"))
        text_card.locator(".cb-desc-btn").click()
        expect(text_card.locator(".cb-card-desc strong")).to_have_text("precision")
        _shot(board, tmp_path, "keras-text-table.png")
        assert page_errors(logs) == []
    finally:
        server.stop()

    with tensorboard(root / "logs") as url:
        tb = browser.new_page(viewport={"width": 1280, "height": 900})
        tb.goto(f"{url}/#hparams")
        # TensorBoard names an inferred metric "<sub-run>.<tag>"; cellboard "<sub-run>/<tag>", as its runs
        tb.get_by_text("validation.epoch_accuracy").first.wait_for(timeout=60_000)
        tb.wait_for_timeout(1500)
        save_screenshot(tb, tmp_path, "tensorboard-keras-hparams.png")
        if os.environ.get(
            "CELLBOARD_TB_REFERENCE"
        ):  # TensorBoard 2.21's card of the described tag shows no description
            tb.goto(f"{url}/#timeseries")
            tb.locator("input[placeholder*=tags]").first.fill("learning_rate")
            tb.keyboard.press("Escape")
            tb.wait_for_timeout(3000)
            save_screenshot(tb, tmp_path, "tensorboard-keras-description.png")
