"""``cellboard.load`` (and so ``%cellboard``) reads what TensorFlow and Keras write.

The logs are written by the real TensorFlow in a subprocess (TensorFlow is heavy and starts
threads): ``tf.summary`` scalars, histograms, images, text and audio; Keras' TensorBoard callback
with ``hp.KerasCallback`` (sessions without metric names, as Keras users log them); an
``hp.hparams_config`` experiment whose metrics have groups, another with interval domains and
descriptions; a PR curve; a ``tf.function`` traced
with ``tf.summary.trace_export``. TensorBoard's own reader
is the oracle where values are not known up front. flax's and clu's writers log through
``tf.summary``, so their files are these.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
import wave

import numpy as np
import pytest

import cellboard
from cellboard.kinds import hparams as hparams_kind

pytest.importorskip("tensorflow", reason="TensorFlow writes the logs these tests read")

WRITE = textwrap.dedent(
    """
    import os, sys
    import numpy as np, tensorflow as tf, keras
    from tensorboard.plugins.hparams import api as hp
    from tensorboard.plugins.pr_curve import summary as pr_summary

    root = sys.argv[1]
    rng = np.random.default_rng(0)
    w = tf.summary.create_file_writer(os.path.join(root, "summaries"))
    with w.as_default():
        for s in range(3):
            tf.summary.scalar("loss", 1.0 / (s + 1), step=s, description="Training **loss**, per batch")
            tf.summary.scalar("lr", tf.constant(0.5 ** s, tf.float64), step=s)
            tf.summary.histogram("w", np.arange(100, dtype=np.float32) / 10 + s, step=s, buckets=20,
                                 description="The first layer's weights")
            tf.summary.image("img", np.full((2, 4, 6, 3), 40 * s, np.uint8), step=s, max_outputs=2)
            tf.summary.text("notes", f"step **{s}**", step=s)
            tone = np.sin(np.arange(800) / 8)[None, :, None].repeat(2, axis=2).astype(np.float32) * 0.5
            tf.summary.audio("tone", tone, 8000, step=s)
        tf.summary.text("table", tf.constant([["**a**", "b"], ["c", "d"]]), step=0)
        tf.summary.text("column", tf.constant(["x", "y", "z"]), step=0)
        tf.summary.text("cube", tf.constant([[["p", "q"]], [["r", "s"]]]), step=0)
        # the TensorBoard graph tutorial's way: trace a tf.function
        @tf.function
        def layer(x):
            return tf.nn.relu(tf.matmul(x, tf.ones((3, 2)))) + 1.0

        tf.summary.trace_on(graph=True)
        layer(tf.ones((4, 3)))
        tf.summary.trace_export("trace", step=0)
        labels = np.array([True, False, True, True, False, False])
        preds = np.array([0.9, 0.1, 0.6, 0.4, 0.7, 0.2], np.float32)
        v = pr_summary.pb("pr", labels, preds, num_thresholds=11).value[0]
        tf.summary.write("pr", tf.make_ndarray(v.tensor), step=0, metadata=v.metadata)
    w.flush()

    # an experiment naming grouped metrics, then Keras runs as the hparams tutorial logs them
    with tf.summary.create_file_writer(os.path.join(root, "keras")).as_default():
        hp.hparams_config(
            hparams=[
                hp.HParam("units", hp.Discrete([4, 8]), display_name="Units"),
                hp.HParam("opt", hp.Discrete(["sgd", "adam"])),
            ],
            metrics=[
                hp.Metric("epoch_accuracy", group="validation", display_name="Accuracy (val.)"),
                hp.Metric("epoch_loss", group="train"),
            ],
        )
    # interval domains and descriptions, as TensorBoard's hparams tutorial declares a search space;
    # clip's lower bound 0.0 is a proto3 default, so it is absent from the file
    with tf.summary.create_file_writer(os.path.join(root, "described")).as_default():
        hp.hparams_config(
            hparams=[
                hp.HParam("lr", hp.RealInterval(1e-4, 1e-1), description="Learning rate, log-uniform"),
                hp.HParam("layers", hp.IntInterval(1, 4), display_name="Layers", description="Hidden layers"),
                hp.HParam("clip", hp.RealInterval(0.0, float("inf"))),
                hp.HParam("opt", hp.Discrete(["sgd", "adam"]), description="The **optimizer**"),
            ],
            metrics=[
                hp.Metric("accuracy", description="Top-1 accuracy on the held-out set"),
                hp.Metric("epoch_loss", group="train", display_name="Loss"),
            ],
        )
    x = rng.standard_normal((64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    for units, opt in ((4, "sgd"), (8, "adam")):
        d = os.path.join(root, "keras", f"units_{units}")
        keras.utils.set_random_seed(units)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation="relu"),
                                  keras.layers.Dense(2, activation="softmax")])
        model.compile(opt, "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, epochs=2, batch_size=32, validation_split=0.25, verbose=0,
                  callbacks=[keras.callbacks.TensorBoard(d, histogram_freq=1),
                             hp.KerasCallback(d, {"units": units, "opt": opt})])
    """
)


@pytest.fixture(scope="module")
def tf_logs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tf-logs")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(
        [sys.executable, "-c", WRITE, str(root)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return root


def _accumulator(path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(path), size_guidance={"tensors": 0})
    acc.Reload()
    return acc


def test_tf_summary_kinds_read_as_tensorflow_wrote_them(tf_logs):
    logs = cellboard.load(tf_logs / "summaries", progress=False)
    assert logs.notices == {}
    tags = logs.tags(".")
    assert (tags["scalars"], tags["histograms"], tags["images"]) == (["loss", "lr"], ["w"], ["img"])
    assert (tags["text"], tags["audio"], tags["pr_curves"]) == (["column", "cube", "notes", "table"], ["tone"], ["pr"])

    loss, lr = logs.scalars(".", "loss"), logs.scalars(".", "lr")
    assert loss.steps.tolist() == [0, 1, 2]
    np.testing.assert_allclose(loss.values, [1.0, 0.5, 1 / 3], rtol=1e-7)  # float32 as written
    assert lr.values.tolist() == [1.0, 0.5, 0.25]  # float64 tensors stay exact

    # TF2 histograms are [k, 3] (left, right, count) tensors: every value counted, edges as written
    acc = _accumulator(tf_logs / "summaries")
    for rec, ev in zip(logs.histograms(".", "w"), acc.Tensors("w"), strict=True):
        import tensorflow as tf

        k3 = tf.make_ndarray(ev.tensor_proto)
        assert rec.counts.sum() == 100
        np.testing.assert_allclose(rec.counts[-len(k3) :], k3[:, 2])
        np.testing.assert_allclose(rec.edges[-1], k3[-1, 1])

    images = logs.images(".", "img")
    assert [(i.step, i.width, i.height) for i in images] == [(s, 6, 4) for s in range(3) for _ in range(2)]
    from PIL import Image

    assert np.asarray(Image.open(io.BytesIO(images[-1].png))).tolist() == np.full((4, 6, 3), 80).tolist()

    assert [t.text for t in logs.text(".", "notes")] == [f"step **{s}**" for s in range(3)]
    assert all(t.table is None for t in logs.text(".", "notes"))
    # string tensors of rank 1+ are tables (TensorBoard's, without a header); rank 3: the first 2-D block
    (table,) = logs.text(".", "table")
    assert (table.table, table.text, table.note) == ((("**a**", "b"), ("c", "d")), "**a**\tb\nc\td", "")
    assert logs.text(".", "column")[0].table == (("x",), ("y",), ("z",))
    (cube,) = logs.text(".", "cube")
    assert cube.table == (("p", "q"),) and "3 dimensions (2, 1, 2)" in cube.note

    # TF's audio plugin stores no sample rate: it is read from each clip's WAV header
    clips = logs.audio(".", "tone")
    assert [(c.sample_rate, c.channels, c.frames) for c in clips] == [(8000.0, 2, 800)] * 3
    with wave.open(io.BytesIO(clips[0].wav)) as f:
        assert (f.getframerate(), f.getnchannels(), f.getnframes()) == (8000, 2, 800)

    # tf.summary.trace_export: the traced function's ops, as TensorBoard's Graphs dashboard shows them
    (graph,) = logs.graph(".")
    assert graph.source == "trace"
    by_op = {n.op: n for n in graph.nodes}
    assert {"MatMul", "Relu", "AddV2"} <= set(by_op)
    scope = by_op["MatMul"].name.rsplit("/", 1)[0] + "/"  # graph_<i>/: one of several function graphs
    assert by_op["Relu"].inputs == (scope + "MatMul",) and by_op["AddV2"].inputs[0] == scope + "Relu"
    assert {"_Arg", "_Retval"} <= set(by_op)

    pr = logs.pr_curves(".", "pr")[0]
    assert pr.data.shape == (6, 11)
    assert pr.data[0, 0] == 3 and pr.data[1, 0] == 3  # every positive and negative above threshold 0

    # tf.summary's description= (a scalar's on the vectorised path, a histogram's record by record),
    # as TensorBoard's reader keeps it; tags without one have none
    for tag in ("loss", "w"):
        assert logs.description(".", tag) == ("", acc.SummaryMetadata(tag).summary_description)
    assert logs.description(".", "loss").description == "Training **loss**, per batch"
    assert logs.description(".", "lr") is None
    # the PR summary's pb() gives its name as display name, as TensorBoard's reader sees it too
    meta = acc.SummaryMetadata("pr")
    assert logs.description(".", "pr") == (meta.display_name, meta.summary_description) == ("pr", "")
    assert set(logs.descriptions) == {(".", "loss"), (".", "w"), (".", "pr")}


def test_keras_callback_runs_and_hparams(tf_logs, tmp_path):
    logs = cellboard.load(tf_logs / "keras", progress=False)
    assert logs.notices == {}
    for units in (4, 8):
        run = f"units_{units}"
        assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= set(logs.tags(f"{run}/train")["scalars"])
        assert {"epoch_loss", "epoch_accuracy"} <= set(logs.tags(f"{run}/validation")["scalars"])
        assert len(logs.tags(f"{run}/train")["histograms"]) == 4  # kernel and bias of both layers
        # the same values TensorBoard's reader gives
        import tensorflow as tf

        acc = _accumulator(tf_logs / "keras" / run / "validation")
        expected = [float(tf.make_ndarray(e.tensor_proto)) for e in acc.Tensors("epoch_accuracy")]
        assert logs.scalars(f"{run}/validation", "epoch_accuracy").values.tolist() == expected
        (session,) = logs.hparams(run)
        assert session.hparams == {"units": units, "opt": {4: "sgd", 8: "adam"}[units]}
        # the experiment's metrics; a metric's group is the session's sub-run that logs it
        assert session.metrics == ["validation/epoch_accuracy", "train/epoch_loss"]
    (experiment,) = logs.records(".", "hparams", hparams_kind.EXPERIMENT_TAG)
    assert experiment.domains == {"units": [4, 8], "opt": ["adam", "sgd"]}  # hp.Discrete sorts them
    assert (experiment.hparam_labels, experiment.metric_labels) == (
        {"units": "Units"},
        {"validation/epoch_accuracy": "Accuracy (val.)"},
    )

    # without hp.hparams_config (Keras' callback alone) the metrics are inferred, as TensorBoard
    # does: every scalar of the sessions' runs and sub-runs
    shutil.copytree(tf_logs / "keras" / "units_4", tmp_path / "units_4")
    shutil.copytree(tf_logs / "keras" / "units_8", tmp_path / "units_8")
    (session,) = cellboard.load(tmp_path, progress=False).hparams("units_8")
    assert session.metrics == [
        "train/epoch_accuracy",
        "train/epoch_learning_rate",
        "train/epoch_loss",
        "validation/epoch_accuracy",
        "validation/epoch_loss",
        "validation/evaluation_accuracy_vs_iterations",
        "validation/evaluation_loss_vs_iterations",
    ]


def test_hparams_descriptions_and_intervals(tf_logs):
    """``hp.HParam(..., description=)`` with ``hp.RealInterval``/``hp.IntInterval``/``hp.Discrete``
    and ``hp.Metric(..., description=)`` read back as written, and as TensorBoard's reader sees them."""
    logs = cellboard.load(tf_logs / "described", progress=False)
    assert logs.notices == {}
    (experiment,) = logs.records(".", "hparams", hparams_kind.EXPERIMENT_TAG)
    assert experiment.hparam_descriptions == {
        "lr": "Learning rate, log-uniform",
        "layers": "Hidden layers",
        "opt": "The **optimizer**",
    }
    assert experiment.metric_descriptions == {"accuracy": "Top-1 accuracy on the held-out set"}
    # IntInterval's bounds are doubles in the file; clip's absent min is proto3's 0.0
    assert experiment.intervals == {"lr": (1e-4, 1e-1), "layers": (1.0, 4.0), "clip": (0.0, math.inf)}
    assert experiment.domains == {"opt": ["adam", "sgd"]}
    assert (experiment.hparam_labels, experiment.metric_labels) == ({"layers": "Layers"}, {"train/epoch_loss": "Loss"})
    assert experiment.metrics == ["accuracy", "train/epoch_loss"]

    # TensorBoard's reader of the same file
    from tensorboard.plugins.hparams import metadata as hp_metadata

    acc = _accumulator(tf_logs / "described")
    exp = hp_metadata.parse_experiment_plugin_data(acc.SummaryMetadata(hparams_kind.EXPERIMENT_TAG).plugin_data.content)
    assert experiment.intervals == {
        i.name: (i.domain_interval.min_value, i.domain_interval.max_value)
        for i in exp.hparam_infos
        if i.HasField("domain_interval")
    }
    assert experiment.hparam_descriptions == {i.name: i.description for i in exp.hparam_infos if i.description}

    # the board's record: both only when there are any; an infinite bound as its text, so the JSON
    # is strict (the view reads "inf" back as a number)
    out, buffer = hparams_kind.entry(experiment)
    assert buffer is None
    assert out["descriptions"] == {
        "hparams": {"lr": "Learning rate, log-uniform", "layers": "Hidden layers", "opt": "The **optimizer**"},
        "metrics": {"accuracy": "Top-1 accuracy on the held-out set"},
    }
    assert out["intervals"] == {"lr": [1e-4, 1e-1], "layers": [1.0, 4.0], "clip": [0.0, "inf"]}
    json.dumps(out, allow_nan=False)
    plain, _ = hparams_kind.entry(hparams_kind.HParamsRecord(0, 0.0, {}, ["m"], {"x": [1.5, math.inf]}))
    assert "descriptions" not in plain and "intervals" not in plain
    assert plain["domains"] == {"x": [1.5, "inf"]}  # a discrete domain's non-finite value too


def test_hparams_domain_oneof_last_one_wins():
    """``domain_discrete`` and ``domain_interval`` are a oneof: of both in one message (two
    serialized messages merged), the last is the domain, as protobuf parses it."""
    from tensorboard.plugins.hparams import api_pb2

    from cellboard.tfevents.wire import f_bytes

    discrete = api_pb2.HParamInfo(name="x")
    discrete.domain_discrete.extend([1.0, 2.0])
    interval = api_pb2.HParamInfo(name="x", domain_interval=api_pb2.Interval(max_value=3.0))  # min absent: 0.0
    for first, last in ((discrete, interval), (interval, discrete)):
        info = first.SerializeToString() + last.SerializeToString()  # one HParamInfo, both domains
        oracle = api_pb2.HParamInfo.FromString(info)
        assert oracle.WhichOneof("domain") == last.WhichOneof("domain")
        record = hparams_kind._experiment(memoryview(f_bytes(4, info)), 0, 0.0)  # Experiment.hparam_infos
        if last is interval:
            assert (record.intervals, record.domains) == ({"x": (0.0, oracle.domain_interval.max_value)}, {})
        else:
            assert (record.intervals, record.domains) == ({}, {"x": [1, 2]})


def test_the_board_sends_tensorflow_logs(tf_logs):
    """What ``%cellboard`` sends the view: every kind, the audio's rate, the grouped metrics."""
    from cellboard.logdir import open_logdir

    board = open_logdir(tf_logs, follow=False)
    sent: list[dict] = []
    board.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    try:
        assert board.follower.wait(60)
        board._on_msg(board, {"type": "hello"}, [])  # a view asks for everything
        board.send_pending()
        entries: dict[str, list[dict]] = {}
        for content in sent:
            for kind, es in content.get("entries", {}).items():
                entries.setdefault(kind, []).extend(es)
        runs = {e["run"] for es in entries.values() for e in es}
        assert {"summaries", "keras", "keras/units_4", "keras/units_4/train", "keras/units_8/validation"} <= runs
        assert {kind for kind, es in entries.items() if es} >= {
            "scalars",
            "histograms",
            "images",
            "text",
            "audio",
            "pr_curves",
            "hparams",
        }
        assert {e["sample_rate"] for e in entries["audio"]} == {8000.0}
        assert [e["source"] for e in entries["graph"] if e["run"] == "summaries"] == ["trace"]
        (table,) = [e for e in entries["text"] if e["tag"] == "table"]
        assert (table["table"], table["note"]) == ([["**a**", "b"], ["c", "d"]], "")
        experiment = [e for e in entries["hparams"] if e["run"] == "keras" and e["metrics"]]
        assert experiment[0]["metrics"] == ["validation/epoch_accuracy", "train/epoch_loss"]
        assert experiment[0]["labels"] == {
            "hparams": {"units": "Units"},
            "metrics": {"validation/epoch_accuracy": "Accuracy (val.)"},
        }
        (described,) = [e for e in entries["hparams"] if e["run"] == "described"]
        assert described["descriptions"]["metrics"] == {"accuracy": "Top-1 accuracy on the held-out set"}
        assert described["intervals"] == {"lr": [1e-4, 1e-1], "layers": [1.0, 4.0], "clip": [0.0, "inf"]}
        assert "descriptions" not in experiment[0] and "intervals" not in experiment[0]  # the keras one has none
        sessions = {e["run"]: e["hparams"] for e in entries["hparams"] if e["hparams"]}
        assert sessions == {"keras/units_4": {"units": 4, "opt": "sgd"}, "keras/units_8": {"units": 8, "opt": "adam"}}
    finally:
        board.close()
