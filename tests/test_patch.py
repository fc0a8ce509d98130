"""``cellboard.patch()``/``unpatch()``: torch's and tensorboardX's SummaryWriter become cellboard's."""

from __future__ import annotations

import sys
import types

import pytest

import cellboard
from cellboard import integrations

torch_tb = pytest.importorskip("torch.utils.tensorboard")
# in a tuple: patch() rebinds module globals bound to the class, this test module's included
_ORIGINAL = (torch_tb.SummaryWriter,)


def _torch_writer():
    return _ORIGINAL[0]


@pytest.fixture
def patched(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cellboard.patch(show=False)
    yield integrations.patched_board()
    cellboard.unpatch()


def test_patch_replaces_and_unpatch_restores(patched, tmp_path):
    import torch.utils.tensorboard as tb
    import torch.utils.tensorboard.writer as tbw

    assert issubclass(tb.SummaryWriter, cellboard.SummaryWriter) and tbw.SummaryWriter is tb.SummaryWriter
    w = tb.SummaryWriter("runs/a")
    w2 = tb.SummaryWriter(log_dir="runs/b", comment="x", flush_secs=5)
    for i in range(3):
        w.add_scalar("loss", float(i), i)
        w2.add_scalar("loss", float(-i), i)
    w.close()
    w2.close()
    assert patched.store.runs == ["runs/a", "runs/b"]
    assert patched.store.scalars("runs/a", "loss").values.tolist() == [0, 1, 2]
    assert cellboard.load(tmp_path / "runs").scalars("b", "loss").values.tolist() == [0, -1, -2]
    cellboard.unpatch()
    assert tb.SummaryWriter is _torch_writer() and tbw.SummaryWriter is _torch_writer()
    assert integrations.patched_board() is None
    cellboard.unpatch()  # twice is harmless


def test_modules_that_imported_the_class_before_are_rebound_unless_they_subclass_it(tmp_path, monkeypatch):
    before = types.ModuleType("imported_before")
    before.SummaryWriter = _torch_writer()
    before.SW = _torch_writer()  # an alias
    subclassing = types.ModuleType("subclassing")
    subclassing.SummaryWriter = _torch_writer()
    subclassing.Mine = type("Mine", (_torch_writer(),), {"__module__": "subclassing"})
    monkeypatch.setitem(sys.modules, "imported_before", before)
    monkeypatch.setitem(sys.modules, "subclassing", subclassing)
    monkeypatch.chdir(tmp_path)
    cellboard.patch(show=False)
    try:
        assert issubclass(before.SummaryWriter, cellboard.SummaryWriter) and before.SW is before.SummaryWriter
        assert subclassing.SummaryWriter is _torch_writer()  # left alone: Mine may call SummaryWriter.x(self)
    finally:
        cellboard.unpatch()
    assert before.SummaryWriter is _torch_writer() and before.SW is _torch_writer()


def test_tensorboardx_writer_is_patched_with_its_constructor(patched, tmp_path):
    tbx = pytest.importorskip("tensorboardX")
    w = tbx.SummaryWriter(logdir="tbx/run", flush_secs=1)
    w.add_scalar("acc", 0.5, 1, display_name="Accuracy")
    w.close()
    w2 = tbx.SummaryWriter(log_dir="tbx/run2")
    w2.add_scalar("acc", 0.7, 1)
    w2.close()
    assert patched.store.runs == ["tbx/run", "tbx/run2"]
    logs = cellboard.load(tmp_path / "tbx")
    assert logs.scalars("run", "acc").values.tolist() == [0.5]
    # tensorboardX's display_name reaches the file (TensorBoard's reader) and the live board's store
    assert logs.description("run", "acc") == ("Accuracy", "") == patched.store.description("tbx/run", "acc")
    assert _summary_metadata(tmp_path / "tbx" / "run", "acc").display_name == "Accuracy"
    assert logs.description("run2", "acc") is None


def test_tensorboardx_described_scalars_are_written_and_shown(patched, tmp_path):
    tbx = pytest.importorskip("tensorboardX")
    w = tbx.SummaryWriter(logdir="tbx/d")
    for step in range(3):  # the first metadata is the tag's, as TensorBoard keeps it
        w.add_scalar("loss", 1.0 / (step + 1), step, display_name="Loss", summary_description=f"**v{step}**")
    w.add_scalar("plain", 1.0, 0)
    with pytest.raises(TypeError, match="summary_description must be a str"):
        w.add_scalar("loss", 1.0, 3, summary_description=5)
    w.close()
    logs = cellboard.load(tmp_path / "tbx" / "d")
    assert logs.scalars(".", "loss").values.tolist() == pytest.approx([1.0, 0.5, 1 / 3])
    assert logs.description(".", "loss") == ("Loss", "**v0**") == patched.store.description("tbx/d", "loss")
    meta = _summary_metadata(tmp_path / "tbx" / "d", "loss")
    assert (meta.display_name, meta.summary_description, meta.plugin_data.plugin_name) == ("Loss", "**v0**", "")
    assert logs.description(".", "plain") is None


def _summary_metadata(path, tag):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(path))
    acc.Reload()
    return acc.SummaryMetadata(tag)


def test_run_names_are_relative_to_root(tmp_path):
    assert integrations.run_name(tmp_path / "a" / "b", str(tmp_path)) == "a/b"
    assert integrations.run_name("/elsewhere/x", str(tmp_path)) == "/elsewhere/x"
    assert integrations.run_name(tmp_path, str(tmp_path)) == tmp_path.name


def test_patch_again_starts_a_new_board(patched):
    import torch.utils.tensorboard as tb

    first = integrations.patched_board()
    cellboard.patch(show=False)
    second = integrations.patched_board()
    assert second is not first
    w = tb.SummaryWriter("r")
    w.add_scalar("x", 1.0, 0)
    w.close()
    assert second.store.runs == ["r"] and first.store.runs == []


def test_patch_shows_the_board_in_ipython(tmp_path, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    monkeypatch.chdir(tmp_path)
    sh = InteractiveShell.instance()
    sh.run_line_magic("load_ext", "cellboard")
    try:
        with capture_output() as out:
            sh.run_line_magic("cellboard", "--patch --height 300")
        shown = [o for o in out.outputs if "application/vnd.jupyter.widget-view+json" in o.data]
        assert len(shown) == 1
        board = integrations.patched_board()
        assert board.height == 300
        import torch.utils.tensorboard as tb

        with tb.SummaryWriter("logs/x") as w:
            w.add_scalar("y", 2.0, 0)
        assert board.store.runs == ["logs/x"]
    finally:
        cellboard.unpatch()
