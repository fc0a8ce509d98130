"""Every public method and attribute of torch's SummaryWriter, with torch's exact signatures."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import cellboard

torch_tb = pytest.importorskip("torch.utils.tensorboard")
TorchWriter = torch_tb.SummaryWriter


def _public_methods(cls) -> list[str]:
    return sorted(n for n, v in inspect.getmembers(cls, callable) if not n.startswith("_") or n == "_get_file_writer")


def _shape(sig: inspect.Signature) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in sig.parameters.values()]


def test_every_public_method_of_torch_has_the_same_signature():
    ours = cellboard.SummaryWriter
    missing = [n for n in _public_methods(TorchWriter) if not hasattr(ours, n)]
    assert not missing, f"missing torch methods: {missing}"
    for name in _public_methods(TorchWriter):
        theirs = _shape(inspect.signature(getattr(TorchWriter, name)))
        mine = _shape(inspect.signature(getattr(ours, name)))
        assert mine == theirs, f"{name}: {mine} != torch's {theirs}"


def test_constructor_takes_torchs_parameters_first():
    theirs = _shape(inspect.signature(TorchWriter.__init__))
    mine = _shape(inspect.signature(cellboard.SummaryWriter.__init__))
    assert mine[: len(theirs)] == theirs
    assert all(kind is inspect.Parameter.KEYWORD_ONLY for _, kind, _ in mine[len(theirs) :])


def test_torchs_attributes(tmp_path):
    tw = TorchWriter(tmp_path / "torch")
    ours = cellboard.SummaryWriter(tmp_path / "ours")
    try:
        for attr in vars(tw):
            assert hasattr(ours, attr), attr
        assert ours.default_bins == tw.default_bins
        for attr in ("max_queue", "flush_secs", "filename_suffix", "purge_step"):
            assert getattr(ours, attr) == getattr(tw, attr), attr
    finally:
        tw.close()
        ours.close()
    assert tw.file_writer is None and tw.all_writers is None
    assert ours.file_writer is None and ours.all_writers is None


def test_file_writer_and_all_writers(tmp_path):
    w = cellboard.SummaryWriter(tmp_path / "r")
    fw = w.file_writer
    assert fw is w._get_file_writer() and fw.get_logdir() == str(tmp_path / "r")
    w.add_scalars("loss", {"a": 1.0, "b": 2.0}, 0)
    assert set(w.all_writers) == {str(tmp_path / "r"), str(tmp_path / "r" / "loss_a"), str(tmp_path / "r" / "loss_b")}
    w.close()
    assert w.file_writer is None
    fw2 = w._get_file_writer()  # reopens, as torch
    assert w.file_writer is fw2
    w.close()


def test_get_file_writer_accepts_protobuf_and_bytes_as_lightning_calls_it(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from torch.utils.tensorboard.summary import hparams, scalar

    w = cellboard.SummaryWriter(tmp_path / "r")
    exp, ssi, sei = hparams({"lr": 0.1, "opt": "adam"}, {"hp_metric": -1})
    fw = w._get_file_writer()
    for s in (exp, ssi, sei):
        fw.add_summary(s, None)
    fw.add_summary(scalar("x", 3.0), 5)
    fw.add_summary(scalar("x", 4.0).SerializeToString(), 6, walltime=1234.5)
    from tensorboard.compat.proto import event_pb2

    fw.add_event(event_pb2.Event(summary=scalar("y", 1.0)), step=7)
    with pytest.raises(TypeError, match="summary must be a protobuf message"):
        fw.add_summary({"x": 1})
    with pytest.raises(ValueError, match="not a valid serialized Summary"):
        fw.add_summary(b"\xff\xff")
    w.close()
    s = w.store.scalars("r", "x")
    assert s.steps.tolist() == [5, 6] and s.values.tolist() == [3.0, 4.0] and s.wall_times[1] == 1234.5
    assert w.store.scalars("r", "y").steps.tolist() == [7]
    (session,) = w.store.hparams("r")
    assert session.hparams == {"lr": 0.1, "opt": "adam"} and session.metrics == ["hp_metric"]
    ea = EventAccumulator(str(tmp_path / "r"))
    ea.Reload()
    assert [e.value for e in ea.Scalars("x")] == [3.0, 4.0]
    assert "_hparams_/experiment" in ea.PluginTagToContent("hparams")


@pytest.mark.parametrize(
    "make",
    [
        lambda torch: torch.arange(6, dtype=torch.float32).reshape(2, 3),
        lambda torch: torch.tensor([1, -2, 3], dtype=torch.int64),
        lambda torch: torch.tensor([True, False]),
        lambda torch: torch.tensor(2.5, dtype=torch.float64),
        lambda torch: np.arange(4, dtype=np.int16),
    ],
)
def test_add_tensor_is_read_by_tensorboard_as_torchs(tmp_path, make):
    import torch
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    value = make(torch)
    w = cellboard.SummaryWriter(tmp_path / "ours")
    w.add_tensor("t", value, 3)
    w.close()
    tw = TorchWriter(tmp_path / "torch")
    tw.add_tensor("t", torch.as_tensor(value), 3)
    tw.close()
    arrays = []
    for run in ("ours", "torch"):
        ea = EventAccumulator(str(tmp_path / run), size_guidance={"tensors": 0})
        ea.Reload()
        (ev,) = ea.Tensors("t")
        assert ev.step == 3
        arrays.append(tensor_util.make_ndarray(ev.tensor_proto))
        assert ea.summary_metadata["t"].plugin_data.plugin_name == "tensor"
    np.testing.assert_array_equal(arrays[0], arrays[1])
    assert arrays[0].dtype == arrays[1].dtype and arrays[0].shape == arrays[1].shape


def test_add_tensor_bad_input(tmp_path):
    w = cellboard.SummaryWriter(tmp_path / "r")
    with pytest.raises(TypeError, match="tensor must be"):
        w.add_tensor("t", "abc")
    with pytest.raises(ValueError, match="unsupported dtype"):
        w.add_tensor("t", np.array(["a"], dtype=object))
    w.close()


@pytest.mark.parametrize("method", ["add_embedding", "add_video", "add_mesh", "add_image_with_boxes"])
def test_issue_10_methods_refuse_none_with_a_type_error(tmp_path, method):
    """Implemented (issue 10): required arguments given as None are refused, naming what was expected."""
    w = cellboard.SummaryWriter(tmp_path / "r")
    n_required = sum(
        p.default is inspect.Parameter.empty for p in inspect.signature(getattr(w, method)).parameters.values()
    )
    with pytest.raises(TypeError, match="must be"):
        getattr(w, method)(*([None] * n_required))
    w.close()
