"""add_graph / add_onnx_graph as torch writes them, read by TensorBoard and by cellboard.load."""

from __future__ import annotations

import os
import sys

import pytest

import cellboard
from cellboard.kinds import graph as graph_kind

torch = pytest.importorskip("torch")
nn = torch.nn
torch_tb = pytest.importorskip("torch.utils.tensorboard")
ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(8, 16), nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class CNN(nn.Module):  # the PyTorch TensorBoard tutorial's network
    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.pool, self.conv2 = nn.Conv2d(1, 6, 5), nn.MaxPool2d(2, 2), nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.fc3 = nn.Linear(16 * 4 * 4, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = x.view(-1, 16 * 4 * 4)
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


class DictIn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(3, 2), nn.Linear(5, 2)

    def forward(self, d):
        return self.a(d["x"]) + self.b(d["y"])


class TwoIn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(3, 2)

    def forward(self, x, y):
        return self.a(x) * y


def nested():
    return nn.Sequential(
        nn.Linear(4, 8), nn.Sequential(nn.ReLU(), nn.Sequential(nn.Linear(8, 8), nn.Tanh())), nn.Linear(8, 2)
    )


CASES = {
    "mlp": (MLP, lambda: torch.randn(2, 8)),
    "cnn": (CNN, lambda: torch.randn(4, 1, 28, 28)),
    "dict": (DictIn, lambda: {"x": torch.randn(2, 3), "y": torch.randn(2, 5)}),
    "tuple": (TwoIn, lambda: (torch.randn(2, 3), torch.randn(2, 2))),
    "nested": (nested, lambda: torch.randn(3, 4)),
}


def _graph(path):
    acc = ea.EventAccumulator(os.fspath(path))
    acc.Reload()
    return acc, acc.Graph()


def _log_with_both(tmp_path, method: str, *args) -> None:
    """The same ``add_graph``/``add_onnx_graph`` call through torch's writer (``tmp_path/torch``)
    and cellboard's (``tmp_path/ours``)."""
    for writer_class, name in ((torch_tb.SummaryWriter, "torch"), (cellboard.SummaryWriter, "ours")):
        w = writer_class(tmp_path / name)
        getattr(w, method)(*args)
        w.close()


@pytest.mark.parametrize("case", sorted(CASES))
def test_tensorboard_reads_the_same_graph_as_torchs(tmp_path, case):
    make_model, make_input = CASES[case]
    torch.manual_seed(0)
    model, x = make_model(), make_input()
    _log_with_both(tmp_path, "add_graph", model, x)
    acc_t, theirs = _graph(tmp_path / "torch")
    acc_o, ours = _graph(tmp_path / "ours")
    assert len(ours.node) > 3
    assert [n.name for n in ours.node] == [n.name for n in theirs.node]
    assert ours == theirs  # ops, inputs, attributes (_output_shapes, attr) and versions
    assert acc_o.Tags()["run_metadata"] == acc_t.Tags()["run_metadata"] == ["step1"]
    assert acc_o.RunMetadata("step1") == acc_t.RunMetadata("step1")

    # cellboard.load reads ours and torch's alike
    logs = cellboard.load(tmp_path)
    for run in ("ours", "torch"):
        (rec,) = logs.graph(run)
        assert [n.name for n in rec.nodes] == [n.name for n in theirs.node]
        assert [n.op for n in rec.nodes] == [n.op for n in theirs.node]
        assert [list(n.inputs) for n in rec.nodes] == [list(n.input) for n in theirs.node]
    (rec,) = logs.graph("ours")
    io = [n for n in rec.nodes if n.op == "IO Node"]
    assert io and all(n.output_shapes for n in io)


def test_graph_and_summary_table_reach_the_live_store_and_load(tmp_path):
    model, x = CNN(), torch.randn(4, 1, 28, 28)
    w = cellboard.SummaryWriter(tmp_path / "r")
    w.add_graph(model, x)
    w.flush()
    (rec,) = w.store.graph("r")
    assert rec.nodes[0].name == "input/x.1" and rec.nodes[0].output_shapes == ((4, 1, 28, 28),)
    assert graph_kind.decode_graph_def(rec.graph_def) == rec.nodes
    expected = cellboard.summary(model, x)
    assert rec.summary is not None and rec.summary.rows == expected.rows
    w.close()
    (loaded,) = cellboard.load(tmp_path).graph("r")
    table = loaded.summary
    assert table is not None and table.rows == expected.rows and str(table) == str(expected)
    assert [r.name for r in table.rows] == ["", "conv1", "pool", "conv2", "pool", "fc1", "fc2", "fc3"]
    assert table.total_params == sum(p.numel() for p in model.parameters()) == 44_426
    assert table.rows[1].kernel_shape == (1, 6, 5, 5) and table.rows[1].mult_adds == 359_424


def test_summary_table_keeps_tuple_list_and_dict_shapes():
    from cellboard.summary import ModelSummary

    table = cellboard.summary(DictIn(), {"x": torch.randn(2, 3), "y": torch.randn(2, 5)})
    back = ModelSummary.from_dict(__import__("json").loads(__import__("json").dumps(table.to_dict())))
    assert back.rows == table.rows and back.rows[0].input_shapes == {"x": (2, 3), "y": (2, 5)}
    with pytest.raises(ValueError, match="not an encoded shape"):
        ModelSummary.from_dict({**table.to_dict(), "rows": [{**table.to_dict()["rows"][0], "input_shapes": 3}]})


def test_tensorboard_ignores_the_summary_table(tmp_path):
    """TensorBoard's event accumulator, data provider and graphs plugin read our file as torch's."""
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider
    from tensorboard.backend.event_processing import plugin_event_multiplexer as pem
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.graph import graphs_plugin

    model, x = CNN(), torch.randn(1, 1, 28, 28)
    _log_with_both(tmp_path, "add_graph", model, x)
    acc, ours = _graph(tmp_path / "ours")
    assert ours == _graph(tmp_path / "torch")[1]
    assert acc.Tags()["tensors"] == [graph_kind.SUMMARY_TAG]  # kept as a tensor no dashboard lists
    mux = pem.EventMultiplexer()
    mux.AddRunsFromDirectory(str(tmp_path))
    mux.Reload()
    provider = data_provider.MultiplexerDataProvider(mux, str(tmp_path))
    ctx = context.RequestContext()
    for plugin_name in ("scalars", "images", "histograms", "text", graph_kind.SUMMARY_PLUGIN):
        assert provider.list_scalars(ctx, experiment_id="", plugin_name=plugin_name) == {}
        assert provider.list_tensors(ctx, experiment_id="", plugin_name=plugin_name) == {}
    plugin = graphs_plugin.GraphsPlugin(base_plugin.TBContext(data_provider=provider, multiplexer=mux))
    info = plugin.info_impl(ctx, experiment="")
    assert {**info["ours"], "run": "torch"} == info["torch"] and info["ours"]["run_graph"]
    ours_pbtxt, _ = plugin.graph_impl(ctx, "ours", None, False, experiment="")
    theirs_pbtxt, _ = plugin.graph_impl(ctx, "torch", None, False, experiment="")
    assert ours_pbtxt == theirs_pbtxt and "aten::_convolution" in ours_pbtxt


def test_a_graph_given_to_the_file_writers_add_event_reaches_the_store(tmp_path):
    from tensorboard.compat.proto import event_pb2
    from torch.utils.tensorboard._pytorch_graph import graph

    gdef, _ = graph(MLP(), torch.randn(2, 8))
    w = cellboard.SummaryWriter(tmp_path / "r")
    w._get_file_writer().add_event(event_pb2.Event(graph_def=gdef.SerializeToString()))
    with pytest.raises(ValueError, match="graph_def is not a valid serialized GraphDef"):
        w._get_file_writer().add_event(event_pb2.Event(graph_def=b"\x0a\xff").SerializeToString())
    w.flush()
    (rec,) = w.store.graph("r")
    assert [n.name for n in rec.nodes] == [n.name for n in gdef.node] and rec.summary is None
    w.close()
    assert _graph(tmp_path / "r")[1] == gdef
    assert len(cellboard.load(tmp_path).graph("r")) == 1


def test_reads_graphs_tensorboardx_wrote(tmp_path):
    tbx = pytest.importorskip("tensorboardX")
    model = CNN()
    with tbx.SummaryWriter(tmp_path / "tbx") as t:
        t.add_graph(model, torch.randn(1, 1, 28, 28))
    _, theirs = _graph(tmp_path / "tbx")
    (rec,) = cellboard.load(tmp_path).graph("tbx")
    assert [n.name for n in rec.nodes] == [n.name for n in theirs.node] and len(rec.nodes) > 5


def test_training_mode_restored_no_gradients_and_verbose(tmp_path, capsys):
    model = CNN().train()
    x = torch.randn(1, 1, 28, 28, requires_grad=True)
    w = cellboard.SummaryWriter(tmp_path / "r")
    w.add_graph(model, x, verbose=True)
    assert model.training and all(m.training for m in model.modules())
    assert x.grad is None and all(p.grad is None for p in model.parameters())
    assert "graph(" in capsys.readouterr().out
    model.eval()
    w.add_graph(model, x)
    assert not model.training
    w.close()


def test_wrong_input_size_raises_torchs_error_naming_the_module(tmp_path):
    model = CNN().train()
    w = cellboard.SummaryWriter(tmp_path / "r")
    w.add_scalar("loss", 1.0, 0)
    t = torch_tb.SummaryWriter(tmp_path / "torch")
    bad_inputs = (
        (torch.randn(1, 3, 28, 28), "module 'conv1' (Conv2d)"),  # wrong channels: conv1 raises
        (torch.randn(1, 1, 32, 32), "the model's own forward (CNN)"),
    )  # wrong size: forward's view raises
    for bad, module in bad_inputs:
        with pytest.raises(RuntimeError) as theirs:
            t.add_graph(model, bad)
        with pytest.raises(RuntimeError) as ours:
            w.add_graph(model, bad)
        assert str(ours.value).startswith(str(theirs.value))
        assert f"failed in {module}" in str(ours.value)
        assert model.training
    t.close()
    w.add_scalar("loss", 2.0, 1)  # the writer still works; what was logged before is kept
    w.close()
    logs = cellboard.load(tmp_path)
    assert list(logs.scalars("r", "loss").values) == [1.0, 2.0]
    assert logs.tags("r")["graph"] == []


class Untraceable(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(3, 2)

    def forward(self, x):
        return {"out": self.a(x)}


def test_untraceable_model_says_why(tmp_path):
    w = cellboard.SummaryWriter(tmp_path / "r")
    with pytest.raises(RuntimeError, match=r"cannot trace Untraceable .*use_strict_trace=False") as err:
        w.add_graph(Untraceable(), torch.randn(1, 3))
    assert "dict" in str(err.value)
    w.add_graph(Untraceable(), torch.randn(1, 3), use_strict_trace=False)  # as torch: fine without strict
    with pytest.raises(TypeError, match="model must be"):
        w.add_graph("not a model", torch.randn(1, 3))
    w.close()
    assert len(cellboard.load(tmp_path).graph("r")) == 1


def test_file_writer_add_graph_takes_protobufs_and_bytes(tmp_path):
    from torch.utils.tensorboard._pytorch_graph import graph

    profile = graph(MLP(), torch.randn(2, 8))
    w = cellboard.SummaryWriter(tmp_path / "r")
    w._get_file_writer().add_graph(profile)
    w._get_file_writer().add_onnx_graph(profile[0].SerializeToString())
    with pytest.raises(TypeError, match="graph must be"):
        w._get_file_writer().add_graph((object(), profile[1]))
    w.close()
    _, g = _graph(tmp_path / "r")
    assert g == profile[0]
    assert len(cellboard.load(tmp_path).graph("r")) == 2


def test_add_onnx_graph_as_torch(tmp_path):
    pytest.importorskip("onnx")
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(18, 4))
    path = str(tmp_path / "m.onnx")
    try:
        torch.onnx.export(model, (torch.randn(1, 1, 5, 5),), path, dynamo=False)
    except Exception as exc:  # noqa: BLE001 - an exporter that cannot run here is not what this tests
        pytest.skip(f"torch.onnx.export failed: {exc}")
    _log_with_both(tmp_path, "add_onnx_graph", path)
    assert _graph(tmp_path / "ours")[1] == _graph(tmp_path / "torch")[1]
    (rec,) = cellboard.load(tmp_path).graph("ours")
    assert rec.nodes[0].op == "Variable" and rec.nodes[0].output_shapes == ((1, 1, 5, 5),)
    assert [n.op for n in rec.nodes if n.op != "Variable"] == ["Conv", "Relu", "Flatten", "Gemm"]


def test_add_onnx_graph_without_onnx_names_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    w = cellboard.SummaryWriter(tmp_path / "r")
    with pytest.raises(ImportError, match="optional 'onnx' package: pip install onnx"):
        w.add_onnx_graph(str(tmp_path / "m.onnx"))
    w.close()


def test_a_malformed_graph_is_refused_and_a_corrupt_one_skipped_by_the_reader(tmp_path):
    w = cellboard.SummaryWriter(tmp_path / "r")
    with pytest.raises(ValueError):
        w._get_file_writer().add_onnx_graph(b"\x0a\xff")  # a truncated node
    w.close()
    assert graph_kind.decode_graph_def(graph_kind.graph_def([graph_kind.node_def("a", "Op", ["b"])])) == (
        graph_kind.GraphNode("a", "Op", ("b",)),
    )


def test_the_board_is_sent_the_graph_and_its_table(tmp_path):
    import json

    pytest.importorskip("anywidget")
    from cellboard.board import Board

    board = Board(interval=0.0)
    sent: list[tuple[dict, list]] = []
    board.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))  # type: ignore[method-assign]
    board._on_msg(board, {"type": "hello"}, [])
    w = board.writer(str(tmp_path / "run"))
    w.add_scalar("loss", 1.0, 0)
    model, x = CNN(), torch.randn(4, 1, 28, 28)
    w.add_graph(model, x)
    w.flush()
    board.send_pending()
    entries = [(e, bufs) for c, bufs in sent for e in c.get("entries", {}).get("graph", [])]
    by_tag = {e["tag"]: (e, bytes(bufs[e["buffer"]])) for e, bufs in entries}
    assert set(by_tag) == {graph_kind.TAG, graph_kind.SUMMARY_TAG}
    g, g_buf = by_tag[graph_kind.TAG]
    s, s_buf = by_tag[graph_kind.SUMMARY_TAG]
    assert g["run"] == s["run"] == "run" and g["wall"] == s["wall"] and g["index"] == s["index"] == 0
    (rec,) = board.store.graph("run")
    nodes = json.loads(g_buf)["nodes"]
    assert g["what"] == "graph" and g["nodes"] == len(nodes) == len(rec.nodes)
    names = [n[0] for n in nodes]
    assert names == [n.name for n in rec.nodes]
    conv = names.index("CNN/Conv2d[conv1]/156")
    _, op, inputs, shapes, attr = nodes[conv]
    assert op == "aten::_convolution" and shapes == [[4, 6, 24, 24]] and attr == ""
    assert names[inputs[0]] == "input/x.1"  # inputs are node indices; the module object input is left out
    assert "CNN/Conv2d[conv1]/weight/weight.5" in [names[i] for i in inputs]
    assert all(0 <= i < len(nodes) for n in nodes for i in n[2])
    assert [n[4] for n in nodes if n[1] == "prim::Constant"][:2] == ["value: 1", "value: 0"]
    table = json.loads(s_buf)
    assert s["what"] == "summary" and table == cellboard.summary(model, x).to_dict()
    assert [r["name"] for r in table["rows"]][:3] == ["", "conv1", "pool"]
    w.close()
    board.close()


def test_compact_nodes_resolve_tensorflow_inputs():
    nodes = graph_kind.decode_graph_def(
        graph_kind.graph_def(
            [
                graph_kind.node_def("a/x", "Placeholder", attr=[("_output_shapes", graph_kind.attr_shapes([[-1, 3]]))]),
                graph_kind.node_def("a/y", "Split", ["a/x"]),
                graph_kind.node_def("b/z", "AddN", ["a/y:1", "^a/x", "a/y", "missing"]),
                graph_kind.node_def(
                    "long", "Op", attr=[("attr", graph_kind.attr_string(b"{ k : " + b"v" * 500 + b"}"))]
                ),
            ]
        )
    )
    compact = graph_kind.compact_nodes(nodes)
    assert compact[0] == ["a/x", "Placeholder", [], [[-1, 3]], ""]
    assert compact[2][2] == [0, 1]
    assert len(compact[3][4]) == graph_kind.ATTR_MAX and compact[3][4].startswith("k: vvv")


def tensorflow_graph_def():
    """A TensorFlow-style GraphDef (scopes a/b/c, ports x:1, control inputs ^x), as TensorFlow writes one."""
    from tensorboard.compat.proto import attr_value_pb2, graph_pb2, node_def_pb2, tensor_shape_pb2

    def node(name, op, inputs=(), shape=None):
        n = node_def_pb2.NodeDef(name=name, op=op, input=list(inputs))
        if shape is not None:
            dims = [tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in shape]
            n.attr["_output_shapes"].CopyFrom(
                attr_value_pb2.AttrValue(
                    list=attr_value_pb2.AttrValue.ListValue(shape=[tensor_shape_pb2.TensorShapeProto(dim=dims)])
                )
            )
        return n

    return graph_pb2.GraphDef(
        node=[
            node("x", "Placeholder", shape=[-1, 784]),
            node("dense/kernel", "VariableV2", shape=[784, 10]),
            node("dense/MatMul", "MatMul", ["x", "dense/kernel"], [-1, 10]),
            node("dense/BiasAdd", "BiasAdd", ["dense/MatMul"], [-1, 10]),
            node("loss/split", "Split", ["dense/BiasAdd"], [-1, 5]),
            node("loss/Mean", "Mean", ["loss/split:1", "^x"], []),
        ]
    )


def test_a_tensorflow_graph_def_reaches_the_board(tmp_path):
    import json

    from tensorboard.compat.proto import config_pb2

    gdef = tensorflow_graph_def()
    w = cellboard.SummaryWriter(tmp_path / "tf")
    w._get_file_writer().add_graph((gdef, config_pb2.RunMetadata()))
    w.close()
    assert _graph(tmp_path / "tf")[1] == gdef
    (rec,) = cellboard.load(tmp_path).graph("tf")
    fields, buf = graph_kind.entry(rec)
    assert fields == {"what": "graph", "nodes": 6}
    nodes = json.loads(buf)["nodes"]
    assert nodes[2] == ["dense/MatMul", "MatMul", [0, 1], [[-1, 10]], ""]
    assert nodes[5] == ["loss/Mean", "Mean", [0, 4], [[]], ""]  # "loss/split:1" and "^x" name nodes 4 and 0


def test_a_model_summary_cannot_follow_logs_its_graph_and_says_why(tmp_path):
    w = cellboard.SummaryWriter(tmp_path / "r")
    with pytest.warns(RuntimeWarning, match=r"without its summary table .*not supported on ScriptModules"):
        w.add_graph(torch.jit.script(MLP()), torch.randn(2, 8))
    w.close()
    (rec,) = cellboard.load(tmp_path).graph("r")
    assert rec.summary is None and len(rec.nodes) > 3


def test_traced_run_metadata_graphs_are_merged_as_tensorboard_merges_them():
    """tf.summary.trace_export's RunMetadata: each function graph's pre-optimisation GraphDef;
    several are put under graph_<i>/ (names repeat across them), inputs included."""
    from cellboard.tfevents.wire import f_bytes

    g1 = graph_kind.graph_def([graph_kind.node_def("x", "_Arg"), graph_kind.node_def("y", "Relu", ["x:0", "^x"])])
    g2 = graph_kind.graph_def([graph_kind.node_def("x", "_Arg")])

    def function_graphs(g: bytes) -> bytes:  # RunMetadata.function_graphs { pre_optimization_graph }
        return f_bytes(4, f_bytes(1, b"") + f_bytes(2, g))

    nodes = graph_kind.run_metadata_nodes(function_graphs(g1) + function_graphs(g2))
    assert [(n.name, n.op, n.inputs) for n in nodes] == [
        ("graph_1/x", "_Arg", ()),
        ("graph_1/y", "Relu", ("graph_1/x:0", "^graph_1/x")),
        ("graph_2/x", "_Arg", ()),
    ]
    assert [n[2] for n in graph_kind.compact_nodes(nodes)] == [[], [0], []]  # ports and ^ stripped
    assert graph_kind.run_metadata_nodes(function_graphs(g1)) == graph_kind.decode_graph_def(g1)
    assert graph_kind.run_metadata_nodes(f_bytes(1, b"\x0a\x00")) == ()  # step stats only: no graph
