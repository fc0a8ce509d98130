"""``add_mesh``: TensorBoard's mesh plugin summary byte for byte as torch writes it, read by TensorBoard's
accumulator and mesh metadata parser, and by ``cellboard.load`` (``logs.mesh(run, tag)``), also from
torch's and tensorboardX's files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from _tbutil import event_files, plugin_acc, raw_events, tensors
from tensorboard.plugins.mesh import metadata as mesh_metadata
from tensorboard.plugins.mesh import plugin_data_pb2
from torch.utils.tensorboard import SummaryWriter as TorchWriter
from torch.utils.tensorboard.summary import mesh as torch_mesh

import cellboard
from cellboard import kinds
from cellboard.kinds import mesh

VERTS = torch.tensor([[[1, 1, 1], [-1, -1, 1], [1, -1, -1], [-1, 1, -1]]], dtype=torch.float)
COLORS = torch.tensor([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 0, 255]]], dtype=torch.int)
FACES = torch.tensor([[[0, 2, 3], [0, 3, 1], [0, 1, 2], [1, 3, 2]]], dtype=torch.int)
CONFIG = {"camera": {"cls": "PerspectiveCamera", "fov": 75}, "material": {"cls": "PointsMaterial", "size": 0.1}}


@pytest.mark.parametrize(
    "colors,faces,config",
    [
        (COLORS, FACES, CONFIG),
        (None, None, None),
        (COLORS, None, None),
        (None, FACES, {"a": 1}),
        (COLORS.numpy().astype(np.uint8), FACES.numpy(), None),
    ],
)
def test_summary_bytes_equal_torchs(colors, faces, config):
    theirs = torch_mesh("m/x", VERTS, colors, faces, config).SerializeToString()
    assert mesh.encode("m/x", VERTS, colors, faces, config) == theirs


def test_event_files_match_torch_and_tensorboard_reads_them(tmp_path):
    for cls, name in ((TorchWriter, "torch"), (cellboard.SummaryWriter, "ours")):
        with cls(str(tmp_path / name)) as w:
            w.add_mesh("m", VERTS, COLORS, FACES, CONFIG, 4, walltime=1234.5)
            w.add_mesh("m", VERTS * 2, global_step=5, walltime=1235.5)
    (t_file,), (o_file,) = event_files(tmp_path / "torch"), event_files(tmp_path / "ours")
    t_events, o_events = raw_events(t_file)[1:], raw_events(o_file)[1:]  # after the file_version event
    assert [e.SerializeToString() for e in o_events] == [e.SerializeToString() for e in t_events]
    acc = plugin_acc(tmp_path / "ours")
    assert sorted(acc.PluginTagToContent("mesh")) == ["m_COLOR", "m_FACE", "m_VERTEX"]
    data = mesh_metadata.parse_plugin_metadata(acc.PluginTagToContent("mesh")["m_FACE"])
    assert data.name == "m" and data.content_type == plugin_data_pb2.MeshPluginData.FACE
    assert list(data.shape) == [1, 4, 3] and data.components == 0b1110
    assert data.json_config == json.dumps(CONFIG, sort_keys=True)
    (s4, w4, v4), (s5, _, v5) = tensors(acc, "m_VERTEX")
    assert (s4, w4, s5) == (4, 1234.5, 5)
    np.testing.assert_array_equal(v4, VERTS.numpy())
    np.testing.assert_array_equal(v5, VERTS.numpy() * 2)


@pytest.mark.parametrize("writer", ["ours", "torch", "tensorboardX"])
def test_load_reads_meshes(tmp_path, writer):
    if writer == "tensorboardX":
        cls = pytest.importorskip("tensorboardX").SummaryWriter
    else:
        cls = cellboard.SummaryWriter if writer == "ours" else TorchWriter
    w = cls(str(tmp_path / "r"))
    w.add_mesh("m", VERTS, COLORS, FACES, CONFIG, 1)
    w.add_mesh("m", VERTS * 2, global_step=2)
    w.add_mesh("cloud", VERTS, colors=COLORS, global_step=1)
    w.close()
    logs = cellboard.load(tmp_path)
    first, second = logs.mesh("r", "m")
    assert (first.step, second.step) == (1, 2)
    np.testing.assert_array_equal(first.vertices, VERTS.numpy())
    np.testing.assert_array_equal(first.faces, FACES.numpy())
    assert first.faces.dtype == np.int64
    np.testing.assert_array_equal(first.colors, COLORS.numpy())
    assert first.config == CONFIG
    assert second.faces is None and second.colors is None and second.config == {}
    (cloud,) = logs.mesh("r", "cloud")
    assert cloud.faces is None and cloud.colors is not None
    if writer == "tensorboardX":  # tags by content type number, json_config "null"
        assert logs.tags("r")["mesh"] == ["cloud_1", "cloud_3", "m_1", "m_2", "m_3"]
    else:
        assert logs.tags("r")["mesh"] == ["cloud_COLOR", "cloud_VERTEX", "m_COLOR", "m_FACE", "m_VERTEX"]
    with pytest.raises(KeyError, match="no mesh tag"):
        logs.mesh("r", "nope")
    if writer == "ours":  # the live store holds the same
        live = w.store.mesh("r", "m")
        np.testing.assert_array_equal(live[0].faces, first.faces)


def test_entries_one_buffer_per_tensor_in_its_smallest_exact_type():
    assert kinds.BY_NAME["mesh"].board is True and kinds.BY_NAME["mesh"].entry is mesh.entry
    assert kinds.for_value("tensor", "mesh").name == "mesh"
    from cellboard.tfevents import messages as M

    recs = [mesh.decode(v, "mesh", 3, 1.5)[0] for v in M.decode_summary(mesh.encode("m", VERTS, COLORS, FACES, CONFIG))]
    (vf, vb), (ff, fb), (cf, cb) = (mesh.entry(r) for r in recs)
    assert vf == {"name": "m", "content": "VERTEX", "shape": [1, 4, 3], "config": CONFIG}
    assert (ff["content"], cf["content"]) == ("FACE", "COLOR") and ff["shape"] == cf["shape"] == [1, 4, 3]
    np.testing.assert_array_equal(np.frombuffer(vb, "<f4").reshape(1, 4, 3), VERTS.numpy())
    np.testing.assert_array_equal(np.frombuffer(fb, "<u4").reshape(1, 4, 3), FACES.numpy())
    np.testing.assert_array_equal(np.frombuffer(cb, np.uint8).reshape(1, 4, 3), COLORS.numpy())
    # colours outside 0..255 (and NaN) are clamped; fractional ones rounded
    odd = mesh.MeshTensorRecord(0, 0.0, "m", "COLOR", np.array([[[-5, 300, np.nan], [1.6, 0, 0]]], np.float32))
    assert list(mesh.entry(odd)[1]) == [0, 255, 0, 2, 0, 0]


def test_bad_input(tmp_path):
    w = cellboard.SummaryWriter(str(tmp_path / "r"))
    with pytest.raises(ValueError, match=r"vertices must have shape \(B, N, 3\)"):
        w.add_mesh("m", VERTS[0])
    with pytest.raises(ValueError, match=r"faces must have shape \(B, N, 3\)"):
        w.add_mesh("m", VERTS, faces=FACES[..., :2])
    with pytest.raises(ValueError, match=r"faces must hold vertex indices, integers from 0 to 3 .* from 0 to 4"):
        w.add_mesh("m", VERTS, faces=FACES + (FACES == 3).int())  # an index past the 4 vertices
    with pytest.raises(ValueError, match=r"faces must hold vertex indices, .* from -1 to 3"):
        w.add_mesh("m", VERTS, faces=FACES - (FACES == 0).int())
    with pytest.raises(ValueError, match=r"faces must hold vertex indices, .* from 0 to 3\.5"):
        w.add_mesh("m", VERTS, faces=FACES.float() + (FACES == 3).float() * 0.5)
    with pytest.raises(ValueError, match=r"faces must have the batch size of vertices \(1\), got shape \(2, 4, 3\)"):
        w.add_mesh("m", VERTS, faces=torch.cat([FACES, FACES]))
    with pytest.raises(ValueError, match=r"colors must have a colour per vertex, shape \(1, 4, 3\) .* got \(1, 3, 3\)"):
        w.add_mesh("m", VERTS, colors=COLORS[:, :3])
    with pytest.raises(TypeError, match="config_dict must be a dict"):
        w.add_mesh("m", VERTS, config_dict=[1])
    with pytest.raises(ValueError, match="JSON"):
        w.add_mesh("m", VERTS, config_dict={"x": object()})
    w.close()
    assert cellboard.load(tmp_path).tags("r")["mesh"] == []


def test_the_board_gets_mesh_entries_and_boxes(tmp_path):
    from cellboard.board import Board

    board = Board(interval=0.05)
    sent: list[tuple[dict, list]] = []
    board.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))
    board._on_msg(board, {"type": "hello"}, [])
    w = board.writer(str(tmp_path / "run"))
    w.add_mesh("m", VERTS, COLORS, FACES, CONFIG, global_step=1)
    w.add_mesh("cloud", VERTS * 3, global_step=2)
    w.add_image_with_boxes("b", np.zeros((3, 8, 8)), np.array([[1, 1, 5, 5]]), labels=["x"])
    w.flush()
    board.send_pending()
    entries = {k: [(e, bufs) for c, bufs in sent for e in c.get("entries", {}).get(k, [])] for k in ("mesh", "images")}
    by_tag = {e["tag"]: (e, bufs[e["buffer"]]) for e, bufs in entries["mesh"]}
    assert sorted(by_tag) == ["cloud_VERTEX", "m_COLOR", "m_FACE", "m_VERTEX"]
    e, buf = by_tag["m_FACE"]
    assert {k: e[k] for k in ("run", "name", "content", "index", "step", "shape")} == {
        "run": "run",
        "name": "m",
        "content": "FACE",
        "index": 0,
        "step": 1,
        "shape": [1, 4, 3],
    }
    np.testing.assert_array_equal(np.frombuffer(bytes(buf), "<u4"), FACES.numpy().ravel())
    e, buf = by_tag["cloud_VERTEX"]
    assert (e["name"], e["step"], e["config"]) == ("cloud", 2, {})
    np.testing.assert_array_equal(np.frombuffer(bytes(buf), "<f4"), VERTS.numpy().ravel() * 3)
    ((img, _),) = entries["images"]
    assert img["boxes"] == [[1.0, 1.0, 5.0, 5.0]] and img["labels"] == ["x"]
    assert w.store.tags("run")["mesh"]
    w.close()
    board.close()


def test_mesh_tensors_without_metadata_are_named_by_their_tag():
    from cellboard.tfevents import messages as M

    vals = M.decode_summary(mesh.encode("m", VERTS, COLORS, FACES))
    for v, content in zip(vals, ("VERTEX", "FACE", "COLOR")):
        v.metadata = None  # TensorBoard keeps metadata of a tag's first value only
        (r,) = mesh.decode(v, "mesh", 1, 0.0)
        assert (r.name, r.content) == ("m", content)
    tbx = M.decode_summary(
        M.summary(M.value("m_2", tensor=M.decode_summary(mesh.encode("m", VERTS))[0].payload.tobytes()))
    )
    assert mesh.decode(tbx[0], "mesh", 0, 0.0)[0].content == "FACE"
