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


@pytest.mark.parametrize("case", sorted(CASES))
def test_tensorboard_reads_the_same_graph_as_torchs(tmp_path, case):
    make_model, make_input = CASES[case]
    torch.manual_seed(0)
    model, x = make_model(), make_input()
    t = torch_tb.SummaryWriter(tmp_path / "torch")
    t.add_graph(model, x)
    t.close()
    w = cellboard.SummaryWriter(tmp_path / "ours")
    w.add_graph(model, x)
    w.close()
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


def test_graph_records_reach_the_live_store_not_the_board(tmp_path):
    w = cellboard.SummaryWriter(tmp_path / "r")
    w.add_graph(MLP(), torch.randn(2, 8))
    w.flush()
    (rec,) = w.store.graph("r")
    assert rec.nodes[0].name == "input/x" and rec.nodes[0].output_shapes == ((2, 8),)
    assert graph_kind.decode_graph_def(rec.graph_def) == rec.nodes
    assert not graph_kind.KIND.board
    w.close()


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
    t = torch_tb.SummaryWriter(tmp_path / "torch")
    t.add_onnx_graph(path)
    t.close()
    w = cellboard.SummaryWriter(tmp_path / "ours")
    w.add_onnx_graph(path)
    w.close()
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


def test_the_board_is_sent_no_graph_entries(tmp_path):
    pytest.importorskip("anywidget")
    from cellboard.board import Board

    board = Board(interval=0.0)
    sent: list[dict] = []
    board.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    board._on_msg(board, {"type": "hello"}, [])
    w = board.writer(str(tmp_path / "run"))
    w.add_scalar("loss", 1.0, 0)
    w.add_graph(MLP(), torch.randn(2, 8))
    w.flush()
    board.send_pending()
    assert len(board.store.graph("run")) == 1
    kinds_sent = {k for c in sent for k in c.get("entries", {})}
    assert "scalars" in kinds_sent and "graph" not in kinds_sent
    w.close()
    board.close()
