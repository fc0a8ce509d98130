"""``add_embedding``: the files torch writes, byte for byte (``tensors.tsv``, ``metadata.tsv``, ``sprite.png``,
``projector_config.pbtxt``), served by TensorBoard's own projector plugin, written to fsspec URLs too, with
torch's validation errors; ``cellboard.load(...).embeddings(run)`` reads ours, torch's and tensorboardX's."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
import torch
from google.protobuf import text_format
from PIL import Image
from tensorboard.backend.event_processing import data_provider as tb_data_provider  # noqa: F401 (werkzeug ready)
from tensorboard.plugins import base_plugin
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig
from tensorboard.plugins.projector.projector_plugin import ProjectorPlugin
from torch.utils.tensorboard import SummaryWriter as TorchWriter
from werkzeug import test as wtest
from werkzeug import wrappers

import cellboard
from cellboard.kinds.embeddings import EmbeddingError, parse_config

torch.manual_seed(0)
MAT = torch.randn(10, 5)
META = [f"w{i}" for i in range(10)]
ROWS = [[f"a{i}", i % 3] for i in range(10)]
IMGS = torch.rand(10, 3, 8, 6)


def _log(w, mat=MAT, imgs=IMGS) -> None:
    w.add_embedding(mat, metadata=META, label_img=imgs, global_step=3)
    w.add_embedding(mat, metadata=ROWS, metadata_header=["name", "k"], tag="x/y%z", global_step=1)
    w.add_embedding(mat.numpy(), label_img=imgs[:, :1])  # one-channel sprite, no metadata, step 0
    w.add_embedding(mat, metadata=torch.arange(10), tag="t")  # labels are str() of each element, as torch


def _files(root) -> dict[str, bytes]:
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            if "tfevents" not in n:
                with open(os.path.join(d, n), "rb") as f:
                    out[os.path.relpath(os.path.join(d, n), root)] = f.read()
    return out


def test_same_files_as_torch(tmp_path):
    for cls, name in ((TorchWriter, "torch"), (cellboard.SummaryWriter, "ours")):
        with cls(str(tmp_path / name)) as w:
            _log(w)
    theirs, ours = _files(tmp_path / "torch"), _files(tmp_path / "ours")
    assert sorted(ours) == sorted(theirs) and len(ours) == 10
    for path, data in theirs.items():
        assert ours[path] == data, path
    config = text_format.Parse(ours["projector_config.pbtxt"].decode(), ProjectorConfig())
    assert [e.tensor_name for e in config.embeddings] == ["default:00003", "x/y%z:00001", "default:00000", "t:00000"]


def test_config_text_matches_protobufs_printer_for_odd_tags(tmp_path):
    with cellboard.SummaryWriter(str(tmp_path / "r")) as w:
        w.add_embedding(MAT, tag='a"b\\c\té\x01', global_step=-2)
    config = ProjectorConfig()
    e = config.embeddings.add()
    e.tensor_name, e.tensor_path = 'a"b\\c\té\x01:-0002', '-0002/a"b%5cc\té\x01/tensors.tsv'
    text = (tmp_path / "r" / "projector_config.pbtxt").read_text("utf-8")
    assert text == text_format.MessageToString(config)
    assert parse_config(text)[0]["tensor_name"] == ['a"b\\c\té\x01:-0002']


def _projector(logdir):
    plugin = ProjectorPlugin(base_plugin.TBContext(logdir=str(logdir)))
    apps = plugin.get_plugin_apps()

    def get(route, **args):
        client = wtest.Client(apps[route], wrappers.Response)
        return client.get(route, query_string=args)

    return get


def test_tensorboards_projector_plugin_serves_them(tmp_path):
    with cellboard.SummaryWriter(str(tmp_path / "r")) as w:
        _log(w)
    get = _projector(tmp_path / "r")
    assert get("/runs").get_json() == ["."]
    info = get("/info", run=".").get_json()
    assert [e["tensorName"] for e in info["embeddings"]] == ["default:00003", "x/y%z:00001", "default:00000", "t:00000"]
    tensor = np.frombuffer(get("/tensor", run=".", name="default:00003").data, "<f4").reshape(10, 5)
    np.testing.assert_array_equal(tensor, MAT.numpy())
    meta = get("/metadata", run=".", name="x/y%z:00001").data.decode()
    assert meta.splitlines()[:2] == ["name\tk", "a0\t0"]
    sprite = Image.open(io.BytesIO(get("/sprite_image", run=".", name="default:00003").data))
    assert sprite.size == (24, 24) and sprite.mode == "RGB"


def test_fsspec_url(tmp_path):
    pytest.importorskip("fsspec")
    url = "memory://cellboard-embedding-test/run"
    with cellboard.SummaryWriter(url) as w:
        _log(w)
    with TorchWriter(str(tmp_path / "torch")) as tw:
        _log(tw)
    import fsspec

    fs = fsspec.filesystem("memory")
    for path, data in _files(tmp_path / "torch").items():
        assert fs.cat_file(f"/cellboard-embedding-test/run/{path}") == data, path
    logs = cellboard.load("memory://cellboard-embedding-test")
    assert [r.tag for r in logs.embeddings("run")] == ["default", "default", "x/y%z", "t"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning:tensorboardX")  # its sprite arithmetic
@pytest.mark.parametrize("writer", ["ours", "torch", "tensorboardX"])
def test_load_reads_embeddings(tmp_path, writer):
    if writer == "tensorboardX":
        cls = pytest.importorskip("tensorboardX").SummaryWriter
    else:
        cls = cellboard.SummaryWriter if writer == "ours" else TorchWriter
    w = cls(str(tmp_path / "r"))
    _log(w, imgs=IMGS[..., :6, :])  # tensorboardX takes square images only
    w.close()
    logs = cellboard.load(tmp_path)
    recs = logs.embeddings("r")
    by = {(r.tag, r.step): r for r in recs}
    assert sorted(by) == [("default", 0), ("default", 3), ("t", 0), ("x/y%z", 1)]
    first = by[("default", 3)]
    np.testing.assert_array_equal(first.mat, MAT.numpy())
    assert first.metadata == META and first.metadata_header is None
    assert first.sprite_dim == (6, 6) and Image.open(io.BytesIO(first.sprite)).size == (24, 24)
    rows = by[("x/y%z", 1)]
    assert rows.metadata_header == ["name", "k"] and rows.metadata[1] == ["a1", "1"]
    assert by[("t", 0)].metadata[:2] == ["tensor(0)", "tensor(1)"]  # torch's str() of tensor elements
    assert by[("default", 0)].metadata is None and by[("default", 0)].sprite is not None
    assert [r.step for r in logs.embeddings("r", "default")] == [3, 0]
    if writer == "ours":
        live = {(r.tag, r.step): r for r in w.store.embeddings("r")}
        assert live.keys() == by.keys()
        assert live[("default", 3)].sprite == first.sprite and live[("x/y%z", 1)].metadata == rows.metadata


def test_torchs_errors_before_anything_is_written(tmp_path):
    w = cellboard.SummaryWriter(str(tmp_path / "r"))
    cases = [
        ({"metadata": META[:3]}, "#labels should equal with #data points: metadata has 3 labels, mat 10 rows"),
        ({"label_img": IMGS[:3]}, "#images should equal with #data points: label_img has 3 images, mat 10 rows"),
        (
            {"metadata": ROWS, "metadata_header": ["only"]},
            "len of header must be equal to the number of columns in metadata: metadata_header has 1, metadata.0. 2",
        ),
    ]
    for kwargs, message in cases:
        with pytest.raises(AssertionError, match=message):
            w.add_embedding(MAT, **kwargs)
        with pytest.raises(ValueError, match=message):  # cellboard's convention, the same exception
            w.add_embedding(MAT, **kwargs)
    with pytest.raises(EmbeddingError, match=r"mat should be 2D, .* got shape \(5,\)"):
        w.add_embedding(MAT[0])
    with pytest.raises(ValueError, match=r"label_img must have shape \(N, C, H, W\)"):
        w.add_embedding(MAT, label_img=IMGS[0])
    with pytest.raises(TypeError, match="metadata must be a list"):
        w.add_embedding(MAT, metadata="abc")
    w.close()
    assert _files(tmp_path / "r") == {}
    (tmp_path / "f" / "00000").mkdir(parents=True)
    (tmp_path / "f" / "00000" / "default").write_text("a file")
    with cellboard.SummaryWriter(str(tmp_path / "f")) as w2, pytest.raises(NotADirectoryError, match="is a file"):
        w2.add_embedding(MAT)


def test_same_step_twice_warns_as_torch_prints(tmp_path):
    with cellboard.SummaryWriter(str(tmp_path / "r")) as w:
        w.add_embedding(MAT)
        with pytest.warns(UserWarning, match="Embedding dir exists|embedding dir exists"):
            w.add_embedding(MAT)
    assert (tmp_path / "r" / "projector_config.pbtxt").read_text().count("embeddings {") == 2


def test_uint8_label_images_are_taken_as_they_are(tmp_path):
    """torch multiplies uint8 images by 255 again (everything non-zero turns white); cellboard does not."""
    imgs = np.random.default_rng(0).integers(0, 256, (4, 3, 5, 5), dtype=np.uint8)
    with cellboard.SummaryWriter(str(tmp_path / "r")) as w:
        w.add_embedding(MAT[:4], label_img=imgs)
    sprite = np.asarray(Image.open(tmp_path / "r" / "00000" / "default" / "sprite.png"))
    assert sprite.shape == (10, 10, 3)
    np.testing.assert_array_equal(sprite[:5, 5:10], imgs[1].transpose(1, 2, 0))


def test_a_binary_tensors_file_reads_as_tensorboard_reads_it(tmp_path):
    """A ``tensor_path`` that is not TSV text is raw float32 of the entry's ``tensor_shape`` (TensorBoard's
    projector reads big tensors so); without a 2-D shape, or of another size, it is an error naming it."""
    mat = np.random.default_rng(3).standard_normal((50, 3)).astype("<f4")
    mat[0, 0] = -1.7392e38  # bytes that are not UTF-8
    (tmp_path / "big.bytes").write_bytes(mat.tobytes())
    (tmp_path / "projector_config.pbtxt").write_text(
        'embeddings { tensor_name: "big" tensor_path: "big.bytes" tensor_shape: 50 tensor_shape: 3 }\n'
    )
    (rec,) = cellboard.load(tmp_path, progress=False).embeddings(".")
    np.testing.assert_array_equal(rec.mat, mat)
    theirs = np.frombuffer(_projector(tmp_path)("/tensor", run=".", name="big").data, "<f4").reshape(50, 3)
    np.testing.assert_array_equal(rec.mat, theirs)
    for shape, why in (("", "needs a 2-D tensor_shape"), ("tensor_shape: 49 tensor_shape: 3", "600 bytes, where")):
        (tmp_path / "projector_config.pbtxt").write_text(
            f'embeddings {{ tensor_name: "big" tensor_path: "big.bytes" {shape} }}\n'
        )
        with pytest.warns(UserWarning, match=why) as caught:
            cellboard.load(tmp_path, progress=False)
        assert "big.bytes" in str(caught[0].message)


def test_a_torch_embedding_whose_labels_are_gone_still_shows(tmp_path):
    with TorchWriter(str(tmp_path)) as tw:
        tw.add_embedding(MAT, metadata=META, tag="t", global_step=2)
    meta = tmp_path / "00002" / "t" / "metadata.tsv"
    meta.unlink()
    with pytest.warns(UserWarning, match="its points show without labels") as caught:
        (rec,) = cellboard.load(tmp_path, progress=False).embeddings(".")
    assert rec.tag == "t" and rec.metadata is None and rec.mat.shape == (10, 5)
    assert str(meta) in str(caught[0].message)
