"""Keras models in the Graph tab: the config Keras' ``TensorBoard(write_graph=True)`` callback writes
(plugin ``graph_keras_model``, tag ``keras``; TensorBoard's "conceptual graph"), one node per layer."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import warnings

import pytest

import cellboard
from cellboard.kinds import graph as graph_kind
from cellboard.tfevents import messages as M
from cellboard.tfevents.records import CorruptRecordWarning, frame

WALL = 1_700_000_000.0

# Trains a Sequential model and a Functional one (two branches merged by Concatenate, then a nested
# Sequential) for one epoch with the TensorBoard callback: runs seq/train and func/train.
KERAS_SCRIPT = r"""
import sys

import keras
import numpy as np

logdir = sys.argv[1]
x, y = np.random.rand(16, 8).astype("float32"), np.random.rand(16, 1).astype("float32")

seq = keras.Sequential(
    [keras.Input((8,), name="features"), keras.layers.Dense(16, activation="relu", name="hidden"),
     keras.layers.Dense(1, name="out")],
    name="seq",
)
inp = keras.Input((8,), name="x")
left = keras.layers.Dense(4, activation="relu", name="left")(inp)
right = keras.layers.Dense(4, activation="tanh", name="right")(inp)
merged = keras.layers.Concatenate(name="merge")([left, right])
head = keras.Sequential([keras.layers.Dense(6, activation="relu", name="h1"), keras.layers.Dense(1, name="h2")], name="head")
func = keras.Model(inp, head(merged), name="func")
for model in (seq, func):
    model.compile(optimizer="sgd", loss="mse")
    board = keras.callbacks.TensorBoard(f"{logdir}/{model.name}", write_graph=True)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[board])
"""


def write_keras_logs(logdir) -> None:
    """Runs KERAS_SCRIPT in a subprocess (TensorFlow stays out of the test process); skips without Keras."""
    # find_spec, not importorskip: importing keras here would load TensorFlow into the test process
    if importlib.util.find_spec("keras") is None:
        pytest.skip("keras is not installed")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(
        [sys.executable, "-c", KERAS_SCRIPT, os.fspath(logdir)], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-4000:]


@pytest.fixture(scope="module")
def keras_logdir(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("keras")
    write_keras_logs(logdir)
    return logdir


def by_name(rec: graph_kind.GraphRecord) -> dict[str, graph_kind.GraphNode]:
    return {n.name: n for n in rec.nodes}


# --------------------------------------------------------------------------- real Keras


def test_a_keras_sequential_model_is_its_layers(keras_logdir):
    (rec,) = cellboard.load(keras_logdir).graph("seq/train")
    assert rec.source == "keras" and rec.graph_def == b"" and rec.summary is None
    assert [(n.name, n.op, n.inputs) for n in rec.nodes] == [
        ("features", "InputLayer", ()),
        ("hidden", "Dense", ("features",)),
        ("out", "Dense", ("hidden",)),
    ]
    nodes = by_name(rec)
    assert nodes["features"].output_shapes == ((-1, 8),)
    # Keras 3 records each layer's built input shape: the output shape of the layer before it
    assert nodes["hidden"].output_shapes == ((-1, 16),) and nodes["out"].output_shapes is None
    assert nodes["hidden"].attr.startswith("units: 16, activation: relu")
    assert "initializer" not in nodes["hidden"].attr and "dtype" not in nodes["hidden"].attr


def test_a_keras_functional_model_with_a_branch_and_a_nested_model(keras_logdir):
    (rec,) = cellboard.load(keras_logdir).graph("func/train")
    nodes = by_name(rec)
    assert {n: nodes[n].op for n in ("x", "left", "right", "merge")} == {
        "x": "InputLayer",
        "left": "Dense",
        "right": "Dense",
        "merge": "Concatenate",
    }
    assert nodes["x"].output_shapes == ((-1, 8),)
    assert nodes["left"].inputs == nodes["right"].inputs == ("x",)
    assert nodes["merge"].inputs == ("left", "right")
    # shapes as the layers reading them saw them (Keras 3's tensors carry theirs)
    assert nodes["left"].output_shapes == nodes["right"].output_shapes == ((-1, 4),)
    assert nodes["merge"].output_shapes == ((-1, 8),)
    # the nested Sequential's layers sit in its scope, fed by the merge; Keras 3 adds its InputLayer
    nested = [n for n in rec.nodes if n.name.startswith("head/")]
    assert [n.name for n in nested][-2:] == ["head/h1", "head/h2"] and "head" not in nodes
    assert nested[0].inputs == ("merge",)
    assert nodes["head/h2"].inputs == ("head/h1",) and nodes["head/h1"].attr.startswith("units: 6")
    assert len(rec.nodes) == 4 + len(nested)
    assert rec.groups == {"head": "Sequential"}  # the board titles the group with it


def test_the_board_is_sent_the_keras_graph(keras_logdir):
    pytest.importorskip("anywidget")
    from cellboard.board import Board
    from cellboard.logdir import LogdirFollower

    follower = LogdirFollower(str(keras_logdir), notifications=False)
    board = Board(follower.store, interval=0.0)
    sent: list[tuple[dict, list]] = []
    board.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))  # type: ignore[method-assign]
    board._on_msg(board, {"type": "hello"}, [])
    follower.poll()
    board.send_pending()
    entries = {
        e["run"]: (e, bytes(bufs[e["buffer"]])) for c, bufs in sent for e in c.get("entries", {}).get("graph", [])
    }
    assert set(entries) == {"seq/train", "func/train"}
    e, buf = entries["func/train"]
    assert e["tag"] == graph_kind.TAG and e["what"] == "graph" and e["source"] == "keras"
    nodes = json.loads(buf)["nodes"]
    assert e["nodes"] == len(nodes) == len(follower.store.graph("func/train")[0].nodes)
    names = [n[0] for n in nodes]
    merge = nodes[names.index("merge")]
    assert merge[1] == "Concatenate" and sorted(names[i] for i in merge[2]) == ["left", "right"]
    assert nodes[names.index("x")][3] == [[-1, 8]]
    assert json.loads(buf)["groups"] == {"head": "Sequential"}
    assert "groups" not in json.loads(entries["seq/train"][1])  # nothing nested
    board.close()


# --------------------------------------------------------------------------- hand-written configs

# tf.keras 2's to_json() of a Functional model: inbound_nodes as [[[layer, node, tensor, kwargs]]]
# (a TFOpLambda's kwargs naming a second tensor), batch_input_shape, a nested Sequential
KERAS2_FUNCTIONAL = {
    "class_name": "Functional",
    "config": {
        "name": "model",
        "layers": [
            {
                "class_name": "InputLayer",
                "config": {"batch_input_shape": [None, 8], "dtype": "float32", "sparse": False, "name": "in"},
                "name": "in",
                "inbound_nodes": [],
            },
            {
                "class_name": "Dense",
                "config": {"name": "a", "units": 4, "activation": "relu", "kernel_initializer": {"class_name": "X"}},
                "name": "a",
                "inbound_nodes": [[["in", 0, 0, {}]]],
            },
            {
                "class_name": "Dense",
                "config": {"name": "b", "units": 4, "activation": "linear"},
                "name": "b",
                "inbound_nodes": [[["in", 0, 0, {}]]],
            },
            {
                "class_name": "Concatenate",
                "config": {"name": "cat", "axis": -1},
                "name": "cat",
                "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]],
            },
            {
                "class_name": "Sequential",
                "config": {
                    "name": "head",
                    "layers": [
                        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 8], "name": "head_in"}},
                        {"class_name": "Dropout", "config": {"name": "drop", "rate": 0.10000000149011612}},
                        {"class_name": "Dense", "config": {"name": "out", "units": 2}},
                    ],
                },
                "name": "head",
                "inbound_nodes": [[["cat", 0, 0, {}]]],
            },
            {
                "class_name": "TFOpLambda",
                "config": {"name": "tf.math.add", "function": "math.add"},
                "name": "tf.math.add",
                "inbound_nodes": [["head", 0, 0, {"y": ["a", 0, 0], "name": None}]],
            },
        ],
        "input_layers": [["in", 0, 0]],
        "output_layers": [["tf.math.add", 0, 0]],
    },
    "keras_version": "2.15.0",
    "backend": "tensorflow",
}


def test_keras2_functional_config():
    nodes = graph_kind.keras_nodes(KERAS2_FUNCTIONAL)
    got = {n.name: n for n in nodes}
    assert [n.name for n in nodes] == ["in", "a", "b", "cat", "head/head_in", "head/drop", "head/out", "tf.math.add"]
    assert got["in"].output_shapes == ((-1, 8),) and got["head/head_in"].output_shapes == ((-1, 8),)
    assert got["cat"].op == "Concatenate" and got["cat"].inputs == ("a", "b")
    assert got["head/head_in"].inputs == ("cat",) and got["head/out"].inputs == ("head/drop",)
    assert got["tf.math.add"].inputs == ("head/out", "a")  # the nested model's output, and its kwargs' tensor
    assert got["a"].attr == "units: 4, activation: relu" and got["head/drop"].attr == "rate: 0.1"


def keras3_tensor(layer: str, index: int = 0) -> dict:
    return {"class_name": "__keras_tensor__", "config": {"shape": [None, 2], "keras_history": [layer, 0, index]}}


def test_a_nested_functional_model_with_two_inputs_and_two_outputs():
    """Keras 3: each input of the nested model is fed by its own outer tensor; each output by index."""
    inner = {
        "class_name": "Functional",
        "config": {
            "name": "pair",
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_shape": [None, 2], "name": "p"}, "inbound_nodes": []},
                {"class_name": "InputLayer", "config": {"batch_shape": [None, 3], "name": "q"}, "inbound_nodes": []},
                {
                    "class_name": "Dense",
                    "config": {"name": "fp", "units": 2},
                    "inbound_nodes": [{"args": [keras3_tensor("p")], "kwargs": {}}],
                },
                {
                    "class_name": "Dense",
                    "config": {"name": "fq", "units": 2},
                    "inbound_nodes": [{"args": [keras3_tensor("q")], "kwargs": {}}],
                },
            ],
            "input_layers": [["p", 0, 0], ["q", 0, 0]],
            "output_layers": [["fp", 0, 0], ["fq", 0, 0]],
        },
        "name": "pair",
        "inbound_nodes": [{"args": [[keras3_tensor("u"), keras3_tensor("v")]], "kwargs": {"training": None}}],
    }
    outer = {
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_shape": [None, 2], "name": "u"}, "inbound_nodes": []},
                {"class_name": "InputLayer", "config": {"batch_shape": [None, 3], "name": "v"}, "inbound_nodes": []},
                inner,
                {
                    "class_name": "Add",
                    "config": {"name": "add"},
                    "inbound_nodes": [{"args": [[keras3_tensor("pair", 1), keras3_tensor("pair", 0)]], "kwargs": {}}],
                },
            ],
            "input_layers": [["u", 0, 0], ["v", 0, 0]],
            "output_layers": ["add", 0, 0],
        },
    }
    got = {n.name: n for n in graph_kind.keras_nodes(outer)}
    assert set(got) == {"u", "v", "pair/p", "pair/q", "pair/fp", "pair/fq", "add"}
    assert got["pair/p"].inputs == ("u",) and got["pair/q"].inputs == ("v",)
    assert got["pair/fq"].inputs == ("pair/q",) and got["add"].inputs == ("pair/fq", "pair/fp")


def test_a_model_listing_no_layers_is_one_node():
    (node,) = graph_kind.keras_nodes({"class_name": "Sequential", "config": {"name": "empty", "layers": []}})
    assert node == graph_kind.GraphNode("empty", "Sequential", ())
    (node,) = graph_kind.keras_nodes({"class_name": "MyModel", "config": {"name": "mine", "width": 3}})
    assert node.op == "MyModel" and node.attr == "width: 3"


def test_odd_parts_of_a_config_are_tolerated():
    cfg = {
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": [
                "not a layer",
                {"class_name": "Dense", "config": "not a dict", "inbound_nodes": "?"},
                {
                    "class_name": "Dense",
                    "config": {"name": "d", "units": [1, None]},
                    "inbound_nodes": [[["nowhere", 0]]],
                },
            ],
            "output_layers": {"x": 1},
        },
    }
    nodes = graph_kind.keras_nodes(cfg)
    assert [(n.name, n.inputs, n.attr) for n in nodes] == [("Dense_0", (), ""), ("d", (), "")]
    with pytest.raises(ValueError, match="class_name"):
        graph_kind.keras_nodes([1, 2])


# --------------------------------------------------------------------------- reading a file


def keras_event(text: str, wall: float) -> bytes:
    tensor = M.tensor(M.DT_STRING, (), string_val=[text.encode("utf-8")])
    meta = M.plugin_metadata(graph_kind.KERAS_PLUGIN, b"1")
    return M.event(wall, summary=M.summary(M.value("keras", tensor=tensor, metadata=meta)))


def scalar_event(step: int) -> bytes:
    return M.event(WALL + step, step, summary=M.summary(M.value("loss", simple_value=float(step))))


def write_events(path, events: list[bytes]) -> None:
    os.makedirs(path, exist_ok=True)
    head = frame(M.event(WALL, file_version=M.FILE_VERSION))
    with open(os.path.join(path, "events.out.tfevents.1700000000.host.1.v2"), "wb") as f:
        f.write(head + b"".join(frame(e) for e in events))


@pytest.mark.parametrize("bad", ['{"class_name": "Sequential", "config": {', "[1, 2]"], ids=["json", "structure"])
def test_a_malformed_keras_config_is_skipped_with_a_warning(tmp_path, bad):
    good = json.dumps(KERAS2_FUNCTIONAL)
    write_events(
        tmp_path / "r", [scalar_event(1), keras_event(bad, WALL + 2), scalar_event(3), keras_event(good, WALL + 4)]
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        logs = cellboard.load(tmp_path)
    corrupt = [str(w.message) for w in caught if issubclass(w.category, CorruptRecordWarning)]
    assert len(corrupt) == 1 and "bad protobuf or payload" in corrupt[0], corrupt
    assert ("JSONDecodeError" if bad.startswith("{") else "ValueError") in corrupt[0]
    assert logs.scalars("r", "loss").values.tolist() == [1.0, 3.0]
    (rec,) = logs.graph("r")
    assert rec.wall_time == WALL + 4 and len(rec.nodes) == 8


def test_a_keras_config_given_to_the_file_writer_reaches_the_live_store(tmp_path):
    w = cellboard.SummaryWriter(tmp_path / "r")
    w._get_file_writer().add_event(keras_event(json.dumps(KERAS2_FUNCTIONAL), WALL))
    w.flush()
    (rec,) = w.store.graph("r")
    assert rec.source == "keras" and rec.nodes == graph_kind.keras_nodes(KERAS2_FUNCTIONAL)
    w.close()
    assert cellboard.load(tmp_path).graph("r") == [rec]


def test_the_entry_says_the_graph_is_a_keras_model():
    rec = graph_kind.GraphRecord(0, WALL, b"", graph_kind.keras_nodes(KERAS2_FUNCTIONAL), source="keras")
    fields, buf = graph_kind.entry(rec)
    assert fields == {"what": "graph", "nodes": 8, "source": "keras"}
    nodes = json.loads(buf)["nodes"]
    assert nodes[3] == ["cat", "Concatenate", [1, 2], None, "axis: -1"]
    assert nodes[0][3] == [[-1, 8]]
