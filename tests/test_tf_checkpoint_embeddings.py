"""The Projector opens embeddings stored in TensorFlow checkpoints, read without TensorFlow
(``cellboard/tfcheckpoint.py``, ``kinds/embeddings.py``).

The real TensorFlow writes checkpoints in a subprocess, as its projector tutorial does
(``tf.train.Checkpoint.save`` + ``projector.visualize_embeddings``), as TF1 did (``Saver``, graph mode),
in two shards, sliced, with bfloat16/float16 variables, with Keras' and nested names; it saves what it
wrote with ``np.save`` and what ``tf.train.load_checkpoint`` lists, the oracles here. Damaged files use
bundles built here (``_write_bundle``: the format as documented; TensorFlow reads them back in the same
subprocess, so they are what TensorFlow writes), so they run without TensorFlow too.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from _watching import require_notifications

import cellboard
from cellboard import tfcheckpoint as T
from cellboard.fs import LocalFS
from cellboard.kinds import embeddings as E
from cellboard.logdir import LogdirFollower
from cellboard.reader import UnreadableFileWarning
from cellboard.tfevents import messages as M
from cellboard.tfevents.crc import masked_crc32c
from cellboard.tfevents.wire import I32, f_bytes, f_varint, key, varint

FS = LocalFS()
TUTORIAL_TENSOR = "embedding/.ATTRIBUTES/VARIABLE_VALUE"

# --------------------------------------------------------------------------- checkpoints built here

_DTYPES = {np.dtype("float32"): 1, np.dtype("float64"): 2, np.dtype("int32"): 3, np.dtype("int64"): 9}
_DTYPES[np.dtype("float16")] = 19


def _block(entries: list[tuple[bytes, bytes]], restart_interval: int = 2) -> bytes:
    """A table block: prefix-compressed entries, a key stored whole every ``restart_interval``."""
    out, restarts, prev = bytearray(), [], b""
    for i, (k, v) in enumerate(entries):
        shared = 0
        if i % restart_interval:
            while shared < min(len(k), len(prev)) and k[shared] == prev[shared]:
                shared += 1
        else:
            restarts.append(len(out))
        out += varint(shared) + varint(len(k) - shared) + varint(len(v)) + k[shared:] + v
        prev = k
    restarts = restarts or [0]
    return bytes(out) + struct.pack(f"<{len(restarts) + 1}I", *restarts, len(restarts))


def _trailed(block: bytes, compression: int = 0) -> bytes:
    kind = bytes([compression])
    return block + kind + struct.pack("<I", masked_crc32c(block + kind))


def _write_bundle(
    prefix: Path, tensors: dict[str, np.ndarray], shards: int = 1, per_block: int = 2, compression: int = 0
) -> None:
    """A V2 checkpoint: tensor ``i`` (in name order) in shard ``i % shards``, ``per_block`` entries a data block."""
    data = [bytearray() for _ in range(shards)]
    rows = [(b"", f_varint(1, shards) + f_bytes(3, f_varint(1, 1)))]  # BundleHeaderProto: num_shards, version
    for i, (name, arr) in enumerate(sorted(tensors.items())):
        shard, raw = i % shards, np.ascontiguousarray(arr, arr.dtype.newbyteorder("<")).tobytes()
        entry = f_varint(1, _DTYPES[arr.dtype]) + f_bytes(2, M.tensor_shape(arr.shape)) + f_varint(3, shard)
        entry += (
            f_varint(4, len(data[shard])) + f_varint(5, len(raw)) + key(6, I32) + struct.pack("<I", masked_crc32c(raw))
        )
        data[shard] += raw
        rows.append((name.encode(), entry))
    index_file, index = bytearray(), []
    for a in range(0, len(rows), per_block):
        block = _block(rows[a : a + per_block])
        index.append((rows[a + len(rows[a : a + per_block]) - 1][0], varint(len(index_file)) + varint(len(block))))
        index_file += _trailed(block, compression)
    meta, meta_at = _block([]), len(index_file)
    index_file += _trailed(meta, compression)
    top, top_at = _block(index, 1), len(index_file)
    index_file += _trailed(top, compression)
    footer = varint(meta_at) + varint(len(meta)) + varint(top_at) + varint(len(top))
    index_file += footer.ljust(40, b"\0") + struct.pack("<Q", 0xDB4775248B80FB57)
    Path(f"{prefix}.index").write_bytes(bytes(index_file))
    for s in range(shards):
        Path(f"{prefix}.data-{s:05d}-of-{shards:05d}").write_bytes(bytes(data[s]))


def _hand_tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    return {
        "emb/a": rng.standard_normal((12, 5)).astype(np.float32),
        "emb/b": rng.standard_normal((7, 3)),  # float64
        "counts": np.arange(24, dtype=np.int64).reshape(6, 4),
        "half": rng.standard_normal((9, 2)).astype(np.float16),
        "scalar": np.array(3, np.int32),
        "vector": np.arange(5, dtype=np.float32),
    }


CONFIG = """embeddings {
  tensor_name: "emb/a:0"
  metadata_path: "meta.tsv"
}
embeddings {
  tensor_name: "emb/b"
}
embeddings {
  tensor_name: "t:00002"
  tensor_path: "t.tsv"
}
"""


@pytest.fixture
def hand_dir(tmp_path) -> Path:
    """A run as TensorFlow's tutorial leaves it, built here: a 2-shard checkpoint (emb/a in shard 1,
    emb/b in shard 0), the ``checkpoint`` file, labels; and a torch-style tensors.tsv embedding."""
    run = tmp_path / "logs"
    run.mkdir()
    _write_bundle(run / "emb.ckpt-1", _hand_tensors(), shards=2)
    (run / "checkpoint").write_text('model_checkpoint_path: "emb.ckpt-1"\nall_model_checkpoint_paths: "emb.ckpt-1"\n')
    (run / "meta.tsv").write_text("".join(f"p{i}\n" for i in range(12)))
    (run / "t.tsv").write_text("1\t2\n3\t4\n")
    (run / E.CONFIG).write_text(CONFIG)
    return run


def _load(logdir: Path | str) -> tuple[cellboard.Store, list[str]]:
    """``cellboard.load``, and the messages of the ``UnreadableFileWarning``s it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store = cellboard.load(logdir, progress=False)
    return store, [str(w.message) for w in caught if issubclass(w.category, UnreadableFileWarning)]


def test_reads_a_bundle_built_as_documented(hand_dir):
    prefix = str(hand_dir / "emb.ckpt-1")
    tensors = _hand_tensors()
    assert T.list_tensors(FS, prefix) == {n: (a.dtype.name, a.shape) for n, a in tensors.items()}
    for name, arr in tensors.items():
        got = T.read_tensor(FS, prefix, name)
        assert got.dtype == arr.dtype and np.array_equal(got, arr), name
        assert got.flags.writeable
    assert T.read_index(FS, prefix).num_shards == 2
    with pytest.raises(ValueError, match="no tensor 'nope' in this checkpoint"):
        T.read_tensor(FS, prefix, "nope")


def test_load_reads_checkpoint_embeddings_of_the_log_directory(hand_dir):
    """No event file: the log directory itself is run "." (as TensorBoard's projector reads it)."""
    store, caught = _load(hand_dir)
    assert caught == [] and store.notices == {}
    recs = {r.tag: r for r in store.embeddings(".")}
    assert sorted(recs) == ["emb/a", "emb/b", "t"]  # ":0", a tensor's output index, dropped as TensorBoard does
    a, b = recs["emb/a"], recs["emb/b"]
    tensors = _hand_tensors()
    assert np.array_equal(a.mat, tensors["emb/a"]) and a.mat.dtype == np.float32
    assert np.array_equal(b.mat, tensors["emb/b"]) and b.mat.dtype == np.float64
    # the step: the checkpoint's number (the save counter)
    assert (a.step, a.metadata, a.checkpoint) == (1, [f"p{i}" for i in range(12)], str(hand_dir / "emb.ckpt-1"))
    assert b.metadata is None and recs["t"].mat.tolist() == [[1, 2], [3, 4]]


def test_model_checkpoint_path_of_the_config_and_tensor_ranks(hand_dir):
    """The config's ``model_checkpoint_path`` wins over the ``checkpoint`` file; a tensor that is not
    2-D, or not there: each a problem naming it, the others load."""
    (hand_dir / "checkpoint").write_text('model_checkpoint_path: "nowhere"\n')
    (hand_dir / E.CONFIG).write_text(
        'model_checkpoint_path: "emb.ckpt-1"\n'
        'embeddings { tensor_name: "counts" }\nembeddings { tensor_name: "vector" }\n'
        'embeddings { tensor_name: "scalar" }\nembeddings { tensor_name: "missing" }\n'
    )
    records, problems = E.read(FS, str(hand_dir))
    assert [r.tag for r in records] == ["counts"]
    assert records[0].mat.dtype == np.float32  # integers as float32, as TensorBoard serves them
    assert np.array_equal(records[0].mat, _hand_tensors()["counts"])
    why = {p.tensor: str(p.error) for p in problems}
    assert "has shape [5]; the projector needs a 2-D" in why["vector"]
    assert "has shape []; the projector needs a 2-D" in why["scalar"]
    assert "no tensor 'missing' in this checkpoint" in why["missing"]
    assert {p.source for p in problems} == {str(hand_dir / "emb.ckpt-1.index")}


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _damage_flip(run: Path) -> tuple[str, str, set[str]]:
    """A flipped byte in emb/a's bytes (shard 1): emb/a fails, emb/b (shard 0) loads."""
    _flip(run / "emb.ckpt-1.data-00001-of-00002", 10)
    return "emb.ckpt-1.data-00001-of-00002", "checksum mismatch in tensor 'emb/a'", {"emb/b", "t"}


def _damage_truncated_index(run: Path) -> tuple[str, str, set[str]]:
    index = run / "emb.ckpt-1.index"
    index.write_bytes(index.read_bytes()[:-20])
    return "emb.ckpt-1.index", "not a checkpoint index", {"t"}


def _damage_index_block(run: Path) -> tuple[str, str, set[str]]:
    _flip(run / "emb.ckpt-1.index", 3)  # inside the first data block of the table
    return "emb.ckpt-1.index", "checksum mismatch in the block at byte 0", {"t"}


def _damage_missing_shard(run: Path) -> tuple[str, str, set[str]]:
    (run / "emb.ckpt-1.data-00000-of-00002").unlink()
    return "emb.ckpt-1.data-00000-of-00002", "No such file", {"emb/a", "t"}


def _damage_checkpoint_nowhere(run: Path) -> tuple[str, str, set[str]]:
    (run / "checkpoint").write_text('model_checkpoint_path: "gone.ckpt-7"\n')
    return "gone.ckpt-7.index", "No such file", {"t"}


def _damage_no_checkpoint_file(run: Path) -> tuple[str, str, set[str]]:
    (run / "checkpoint").unlink()
    return "checkpoint", "names no model_checkpoint_path: no checkpoint to read", {"t"}


def _damage_empty_checkpoint_file(run: Path) -> tuple[str, str, set[str]]:
    (run / "checkpoint").write_text("")
    return "checkpoint", "names no model_checkpoint_path", {"t"}


DAMAGES = [
    _damage_flip,
    _damage_truncated_index,
    _damage_index_block,
    _damage_missing_shard,
    _damage_checkpoint_nowhere,
    _damage_no_checkpoint_file,
    _damage_empty_checkpoint_file,
]


@pytest.mark.parametrize("damage", DAMAGES, ids=lambda f: f.__name__[len("_damage_") :])
def test_damaged_checkpoints_are_reported_and_the_rest_loads(hand_dir, damage):
    name, why, loaded = damage(hand_dir)
    source = str(hand_dir / name)
    store, caught = _load(hand_dir)
    assert {r.tag for r in store.embeddings(".")} == loaded
    assert list(store.notices) == [source], store.notices
    assert why in store.notices[source] and "of run '.'" in store.notices[source]
    failed = [name for tag, name in (("emb/a", "emb/a:0"), ("emb/b", "emb/b")) if tag not in loaded]
    assert len(caught) == len(failed), caught  # one warning per embedding, naming it and the file
    for tensor in failed:
        assert any(f"embedding {tensor!r} of run '.'" in m and source in m for m in caught), caught


def test_follower_reports_a_damaged_checkpoint_and_reads_it_once_repaired(hand_dir):
    shard = hand_dir / "emb.ckpt-1.data-00001-of-00002"
    good = shard.read_bytes()
    _flip(shard, 10)
    follower = LogdirFollower(str(hand_dir), notifications=False)
    follower.poll()  # the first pass reports at once: it may be the only one (follow=False)
    assert {r.tag for r in follower.store.embeddings(".")} == {"emb/b", "t"}
    assert "checksum mismatch in tensor 'emb/a'" in follower.store.notices[str(shard)]
    follower.poll()
    assert len(follower.store.embeddings(".")) == 2 and str(shard) in follower.store.notices
    shard.write_bytes(good)
    follower.poll()
    assert follower.store.notices == {}
    assert sorted(r.tag for r in follower.store.embeddings(".")) == ["emb/a", "emb/b", "t"]
    follower.poll()  # read once
    assert len(follower.store.embeddings(".")) == 3


def test_follower_picks_up_a_checkpoint_saved_after_the_config(tmp_path):
    """The config first, the checkpoint later: no notice while it is being saved, the embedding once it is."""
    (tmp_path / "events.out.tfevents.0.host").write_bytes(b"")  # a run directory
    follower = LogdirFollower(str(tmp_path), notifications=False)
    follower.poll()
    (tmp_path / E.CONFIG).write_text('embeddings { tensor_name: "emb/a" }\n')
    follower.poll()
    follower.poll()  # not saved yet: the same problem at two polls is a notice
    source = str(tmp_path / "checkpoint")
    assert list(follower.store.notices) == [source]
    _write_bundle(tmp_path / "emb.ckpt-1", _hand_tensors())
    follower.poll()  # the index is there, the checkpoint file (written last) not yet
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "emb.ckpt-1"\n')
    follower.poll()
    assert follower.store.notices == {}
    (rec,) = follower.store.embeddings(".")
    assert rec.tag == "emb/a" and np.array_equal(rec.mat, _hand_tensors()["emb/a"])
    # a second config entry, appended later, is read too; the first is not read again
    (tmp_path / E.CONFIG).write_text('embeddings { tensor_name: "emb/a" }\nembeddings { tensor_name: "emb/b" }\n')
    follower.poll()
    follower.poll()
    assert [r.tag for r in follower.store.embeddings(".")] == ["emb/a", "emb/b"]


def test_follower_reads_each_newer_checkpoint_at_its_step(tmp_path):
    """A script saving its embedding as it trains (``Checkpoint.save`` each epoch): each newer
    checkpoint's tensors arrive at its number; an unchanged one is not read again."""
    (tmp_path / "events.out.tfevents.0.host").write_bytes(b"")
    (tmp_path / E.CONFIG).write_text('embeddings { tensor_name: "emb/a" }\n')
    tensors = _hand_tensors()
    _write_bundle(tmp_path / "emb.ckpt-1", tensors)
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "emb.ckpt-1"\n')
    follower = LogdirFollower(str(tmp_path), notifications=False)
    follower.poll()
    follower.poll()
    assert [r.step for r in follower.store.embeddings(".")] == [1]
    later = {**tensors, "emb/a": tensors["emb/a"] * 2}
    _write_bundle(tmp_path / "emb.ckpt-2", later)
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "emb.ckpt-2"\n')
    follower.poll()
    follower.poll()
    recs = follower.store.embeddings(".")
    assert [(r.tag, r.step, r.checkpoint) for r in recs] == [
        ("emb/a", 1, str(tmp_path / "emb.ckpt-1")),
        ("emb/a", 2, str(tmp_path / "emb.ckpt-2")),
    ]
    assert np.array_equal(recs[1].mat, later["emb/a"]) and follower.store.notices == {}


def test_follower_saved_before_its_second_poll_shows_no_notice(tmp_path):
    """The other order of the tutorial's two calls: a config, then the checkpoint before the next poll."""
    (tmp_path / "events.out.tfevents.0.host").write_bytes(b"")
    follower = LogdirFollower(str(tmp_path), notifications=False)
    follower.poll()
    (tmp_path / E.CONFIG).write_text('embeddings { tensor_name: "emb/b" }\n')
    follower.poll()
    assert follower.store.notices == {}
    _write_bundle(tmp_path / "emb.ckpt-1", _hand_tensors())
    (tmp_path / "checkpoint").write_text(f'model_checkpoint_path: "{tmp_path / "emb.ckpt-1"}"\n')  # absolute (TF1)
    follower.poll()
    assert follower.store.notices == {}
    assert [r.tag for r in follower.store.embeddings(".")] == ["emb/b"]


def test_index_errors_name_the_file(tmp_path):
    prefix = tmp_path / "x.ckpt"
    _write_bundle(prefix, {"a": np.zeros((2, 2), np.float32)})
    index = Path(f"{prefix}.index")
    data = index.read_bytes()
    index.write_bytes(b"")
    with pytest.raises(T.CheckpointError, match=r"x\.ckpt\.index: not a checkpoint index \(0 bytes"):
        T.list_tensors(FS, str(prefix))
    # a compressed table (snappy: TensorFlow never writes one): said, not misread
    _write_bundle(prefix, {"a": np.zeros((2, 2), np.float32)}, compression=1)
    with pytest.raises(T.CheckpointError, match=r"x\.ckpt\.index: compressed block \(type 1\)"):
        T.list_tensors(FS, str(prefix))
    # a tensor entry whose bytes do not fit its shape
    index.write_bytes(data)
    Path(f"{prefix}.data-00000-of-00001").write_bytes(b"\0" * 8)
    with pytest.raises(T.CheckpointError, match="the file ends first"):
        T.read_tensor(FS, str(prefix), "a")


def test_board_receives_the_checkpoint_embedding(hand_dir):
    """``cellboard.open`` of the tutorial's directory (no event file): the Projector gets the matrix."""
    board = cellboard.open(hand_dir, follow=False, background=False)
    sent: list[tuple[dict, list]] = []
    try:
        board.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))
        board._on_msg(board, {"type": "hello"}, [])
        entries = {e["tag"]: (e, b) for c, b in sent for e in c.get("entries", {}).get("embeddings", [])}
        e, buffers = entries["emb/a"]
        assert (e["run"], e["step"], e["n"], e["dim"], e["matrix"]) == (".", 1, 12, 5, "float32")
        assert e["metadata"] == [[f"p{i}" for i in range(12)]]
        at = 8 * e["components"] + 4 * e["n"] * e["components"]  # variances, PCA coordinates, then the matrix
        matrix = np.frombuffer(bytes(buffers[e["buffer"]]), "<f4", e["n"] * e["dim"], at).reshape(e["n"], e["dim"])
        assert np.array_equal(matrix, _hand_tensors()["emb/a"])
        assert sorted(entries) == ["emb/a", "emb/b", "t"]
    finally:
        board.close()


# --------------------------------------------------------------------------- the real TensorFlow

WRITE = textwrap.dedent(
    """
    import json, os, sys
    import numpy as np, tensorflow as tf, keras
    from tensorboard.plugins import projector

    root = sys.argv[1]
    rng = np.random.default_rng(0)
    out = {}

    def listing(prefix):
        r = tf.train.load_checkpoint(prefix)
        dtypes = r.get_variable_to_dtype_map()
        out[os.path.relpath(prefix, root)] = {
            n: [dtypes[n].name, list(s)] for n, s in r.get_variable_to_shape_map().items()
        }
        values = {n: r.get_tensor(n) for n in dtypes if dtypes[n] not in (tf.string, tf.bfloat16)}
        np.savez(prefix + ".values.npz", **{f"t{i}": v for i, v in enumerate(values.values())})
        with open(prefix + ".values.json", "w") as f:
            json.dump(list(values), f)

    def config(log_dir, *names, metadata=None, model_checkpoint_path=None):
        c = projector.ProjectorConfig()
        if model_checkpoint_path:
            c.model_checkpoint_path = model_checkpoint_path
        for n in names:
            e = c.embeddings.add()
            e.tensor_name = n
            if metadata:
                e.metadata_path = metadata
        projector.visualize_embeddings(log_dir, c)

    # TensorFlow's projector tutorial
    d = os.path.join(root, "tutorial")
    os.makedirs(d)
    weights = rng.standard_normal((50, 8)).astype(np.float32)
    np.save(os.path.join(root, "tutorial.npy"), weights)
    with open(os.path.join(d, "metadata.tsv"), "w") as f:
        f.write("".join(f"word{i}\\n" for i in range(50)))
    checkpoint = tf.train.Checkpoint(embedding=tf.Variable(weights))
    listing(checkpoint.save(os.path.join(d, "embedding.ckpt")))
    config(d, "embedding/.ATTRIBUTES/VARIABLE_VALUE", metadata="metadata.tsv")

    # TF1: graph mode, Saver (absolute paths in the checkpoint file), the variable's name with ":0",
    # partitioned variables next to it: by rows, by columns, in parts whose starts take 3 bytes a key
    d = os.path.join(root, "tf1")
    words = rng.standard_normal((30, 4))
    np.save(os.path.join(root, "tf1.npy"), words)
    os.makedirs(d)
    with open(os.path.join(d, "meta.tsv"), "w") as f:
        f.write("word\\tcount\\n" + "".join(f"w{i}\\t{i * 10}\\n" for i in range(30)))
    with tf.Graph().as_default():
        v = tf.compat.v1.get_variable("words", initializer=tf.constant(words))
        tf.compat.v1.get_variable("part", shape=(10, 4), partitioner=tf.compat.v1.fixed_size_partitioner(2))
        tf.compat.v1.get_variable("wide", shape=(3, 200), partitioner=tf.compat.v1.fixed_size_partitioner(2, axis=1))
        tf.compat.v1.get_variable("big", shape=(100003, 2), partitioner=tf.compat.v1.fixed_size_partitioner(3))
        saver = tf.compat.v1.train.Saver()
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            listing(saver.save(sess, os.path.join(d, "model.ckpt"), global_step=3))
        config(d, v.name, "part", metadata="meta.tsv")

    # bfloat16 and float16 variables, the config naming its checkpoint (relative to the run directory)
    d = os.path.join(root, "half")
    os.makedirs(d)
    bf = tf.Variable(rng.standard_normal((20, 3)), dtype=tf.bfloat16)
    f16 = tf.Variable(rng.standard_normal((20, 3)).astype(np.float16))
    np.save(os.path.join(root, "bf16.npy"), tf.cast(bf, tf.float32).numpy())
    np.save(os.path.join(root, "f16.npy"), f16.numpy())
    listing(tf.train.Checkpoint(bf=bf, f16=f16).save(os.path.join(d, "half.ckpt")))
    os.remove(os.path.join(d, "checkpoint"))
    config(d, "bf/.ATTRIBUTES/VARIABLE_VALUE", "f16/.ATTRIBUTES/VARIABLE_VALUE", model_checkpoint_path="half.ckpt-1")

    # two shards (a fills the first exactly: no variable is sliced), and sliced at a shard's end
    for name, size in (("sharded", 960), ("sliced", 1000)):
        d = os.path.join(root, name)
        os.makedirs(d)
        a, b = rng.standard_normal((40, 6)).astype(np.float32), rng.standard_normal((30, 5)).astype(np.float32)
        np.save(os.path.join(root, name + "_a.npy"), a)
        np.save(os.path.join(root, name + "_b.npy"), b)
        policy = tf.train.experimental.MaxShardSizePolicy(max_shard_size=size)
        options = tf.train.CheckpointOptions(experimental_sharding_callback=policy)
        ck = tf.train.Checkpoint(a=tf.Variable(a), b=tf.Variable(b))
        listing(ck.save(os.path.join(d, "s.ckpt"), options=options))
        config(d, "a/.ATTRIBUTES/VARIABLE_VALUE", "b/.ATTRIBUTES/VARIABLE_VALUE")

    # names as Keras and nested objects give them, optimizer slots, many variables (several index blocks)
    d = os.path.join(root, "names")
    model = keras.Sequential([keras.Input((3,), dtype="int32"), keras.layers.Embedding(20, 4),
                              keras.layers.Flatten(), keras.layers.Dense(2)])
    model.compile(keras.optimizers.Adam(), "mse")
    model.fit(np.zeros((4, 3), "int32"), np.zeros((4, 2)), verbose=0)
    nested = tf.train.Checkpoint(layer=tf.train.Checkpoint(kernel=tf.Variable(rng.standard_normal((3, 2)))))
    many = {f"{i:04d}_" + "x" * 100: tf.Variable([i, -i], dtype=tf.int32) for i in range(2500)}
    ck = tf.train.Checkpoint(model=nested, keras=model, optimizer=model.optimizer, many=many)
    listing(ck.save(os.path.join(d, "names.ckpt")))

    # the bundle this test built: TensorFlow reads it as its own
    listing(os.path.join(root, "hand", "emb.ckpt-1"))

    with open(os.path.join(root, "listing.json"), "w") as f:
        json.dump(out, f)
    """
)


@pytest.fixture(scope="module")
def tf_logs(tmp_path_factory) -> Path:
    pytest.importorskip("tensorflow", reason="TensorFlow writes the checkpoints these tests read")
    root = tmp_path_factory.mktemp("tf")
    (root / "hand").mkdir()
    _write_bundle(root / "hand" / "emb.ckpt-1", _hand_tensors(), shards=2)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run([sys.executable, "-c", WRITE, str(root)], check=True, timeout=600, env=env)
    return root


def _listing(root: Path) -> dict[str, dict[str, list]]:
    return json.loads((root / "listing.json").read_text())


def test_tensorflow_reads_the_bundle_built_here(tf_logs):
    """The test's own bundles are what TensorFlow writes: it lists and reads them."""
    tensors = _hand_tensors()
    assert _listing(tf_logs)["hand/emb.ckpt-1"] == {n: [a.dtype.name, list(a.shape)] for n, a in tensors.items()}
    names = json.loads((tf_logs / "hand" / "emb.ckpt-1.values.json").read_text())
    with np.load(tf_logs / "hand" / "emb.ckpt-1.values.npz") as values:
        for i, name in enumerate(names):
            assert np.array_equal(values[f"t{i}"], tensors[name]), name


def test_the_projector_tutorial(tf_logs):
    store, caught = _load(tf_logs / "tutorial")
    assert caught == [] and store.notices == {}
    (rec,) = store.embeddings(".")
    assert (rec.tag, rec.step) == (TUTORIAL_TENSOR, 1)  # embedding.ckpt-1
    assert rec.mat.dtype == np.float32 and np.array_equal(rec.mat, np.load(tf_logs / "tutorial.npy"))
    assert rec.metadata == [f"word{i}" for i in range(50)] and rec.metadata_header is None


def test_a_tf1_saver_checkpoint(tf_logs):
    """Saver: absolute paths in ``checkpoint``, the variable named ``words:0``, float64; the partitioned
    variable next to it put together from its slices, as TensorFlow reads it."""
    store, caught = _load(tf_logs / "tf1")
    assert caught == [] and store.notices == {}
    recs = {r.tag: r for r in store.embeddings(".")}
    assert sorted(recs) == ["part", "words"]
    rec = recs["words"]
    assert rec.mat.dtype == np.float64 and np.array_equal(rec.mat, np.load(tf_logs / "tf1.npy"))
    assert rec.metadata_header == ["word", "count"] and rec.metadata[:2] == [["w0", "0"], ["w1", "10"]]
    names = json.loads((tf_logs / "tf1" / "model.ckpt-3.values.json").read_text())
    with np.load(tf_logs / "tf1" / "model.ckpt-3.values.npz") as values:
        assert np.array_equal(recs["part"].mat, values[f"t{names.index('part')}"])


def test_bfloat16_and_float16_variables(tf_logs):
    store, caught = _load(tf_logs / "half")
    assert caught == []
    recs = {r.tag.split("/")[0]: r for r in store.embeddings(".")}
    assert recs["bf"].mat.dtype == np.float32 and np.array_equal(recs["bf"].mat, np.load(tf_logs / "bf16.npy"))
    assert recs["f16"].mat.dtype == np.float16 and np.array_equal(recs["f16"].mat, np.load(tf_logs / "f16.npy"))


def test_two_shards_and_a_variable_sliced_across_them(tf_logs):
    assert (tf_logs / "sharded" / "s.ckpt-1.data-00001-of-00002").exists()
    store, caught = _load(tf_logs / "sharded")
    assert caught == []
    recs = {r.tag[0]: r.mat for r in store.embeddings(".")}
    for name in "ab":
        assert np.array_equal(recs[name], np.load(tf_logs / f"sharded_{name}.npy")), name
    # a shard size that cuts b in two: TensorFlow slices it, and b is put together again
    assert T.read_index(FS, str(tf_logs / "sliced" / "s.ckpt-1")).entries["b/.ATTRIBUTES/VARIABLE_VALUE"].sliced
    store, caught = _load(tf_logs / "sliced")
    assert caught == []
    recs = {r.tag[0]: r.mat for r in store.embeddings(".")}
    for name in "ab":
        assert np.array_equal(recs[name], np.load(tf_logs / f"sliced_{name}.npy")), name


@pytest.mark.parametrize(
    "prefix",
    [
        "tutorial/embedding.ckpt-1",
        "tf1/model.ckpt-3",
        "half/half.ckpt-1",
        "sharded/s.ckpt-1",
        "sliced/s.ckpt-1",
        "names/names.ckpt-1",
    ],
)
def test_list_and_read_as_tensorflow_does(tf_logs, prefix):
    """Names, dtypes and shapes as ``tf.train.load_checkpoint`` lists them, and every numeric tensor's
    value as it reads it; the string object graph is listed, and reading it is a clear error."""
    path = str(tf_logs / prefix)
    listed = T.list_tensors(FS, path)
    assert {n: [d, list(s)] for n, (d, s) in listed.items()} == _listing(tf_logs)[prefix]
    names = json.loads(Path(path + ".values.json").read_text())
    bundle = T.read_index(FS, path)
    with np.load(path + ".values.npz") as values:
        for i, name in enumerate(names):
            got, want = T.read_tensor(FS, path, name, bundle), values[f"t{i}"]
            assert got.dtype == want.dtype and np.array_equal(got, want), name
    if "_CHECKPOINTABLE_OBJECT_GRAPH" in listed:
        assert listed["_CHECKPOINTABLE_OBJECT_GRAPH"] == ("string", ())
        with pytest.raises(ValueError, match="tensor '_CHECKPOINTABLE_OBJECT_GRAPH' is a string tensor"):
            T.read_tensor(FS, path, "_CHECKPOINTABLE_OBJECT_GRAPH")


def test_keras_and_nested_names(tf_logs):
    listed = _listing(tf_logs)["names/names.ckpt-1"]
    assert listed["model/layer/kernel/.ATTRIBUTES/VARIABLE_VALUE"] == ["float64", [3, 2]]
    assert any(n.startswith("optimizer/") for n in listed) and len(listed) > 2500
    assert len(T.list_tensors(FS, str(tf_logs / "names/names.ckpt-1"))) == len(listed)


def test_a_flipped_byte_in_a_tensorflow_checkpoint(tf_logs, tmp_path):
    run = tmp_path / "tutorial"
    shutil.copytree(tf_logs / "tutorial", run)
    shard = run / "embedding.ckpt-1.data-00000-of-00001"
    entry = T.read_index(FS, str(run / "embedding.ckpt-1")).entries[TUTORIAL_TENSOR]
    _flip(shard, entry.offset + 100)
    (run / "other.tsv").write_text("1\t2\n")
    with open(run / E.CONFIG, "a") as f:
        f.write('embeddings { tensor_name: "other" tensor_path: "other.tsv" }\n')
    store, caught = _load(run)
    assert [r.tag for r in store.embeddings(".")] == ["other"]
    assert list(store.notices) == [str(shard)]
    assert f"checksum mismatch in tensor {TUTORIAL_TENSOR!r}" in store.notices[str(shard)]
    (message,) = caught
    assert str(shard) in message


def test_the_board_of_the_tutorials_directory(tf_logs):
    board = cellboard.open(tf_logs / "tutorial", follow=False, background=False)
    sent: list[tuple[dict, list]] = []
    try:
        board.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))
        board._on_msg(board, {"type": "hello"}, [])
        (e, buffers), *more = [(e, b) for c, b in sent for e in c.get("entries", {}).get("embeddings", [])]
        assert more == []
        assert (e["run"], e["tag"], e["n"], e["dim"]) == (".", TUTORIAL_TENSOR, 50, 8)
        assert e["metadata"] == [[f"word{i}" for i in range(50)]]
        at = 8 * e["components"] + 4 * e["n"] * e["components"]
        matrix = np.frombuffer(bytes(buffers[e["buffer"]]), "<f4", 50 * 8, at).reshape(50, 8)
        assert np.array_equal(matrix, np.load(tf_logs / "tutorial.npy"))
    finally:
        board.close()


def test_an_fsspec_directory(hand_dir):
    """All I/O goes through cellboard's ``fs``: a checkpoint in an object store reads the same, and a
    missing shard there is a notice naming it."""
    fsspec = pytest.importorskip("fsspec")
    memory = fsspec.filesystem("memory")
    for path in hand_dir.iterdir():
        memory.pipe_file(f"/cellboard-tf-checkpoint/{path.name}", path.read_bytes())
    url = "memory://cellboard-tf-checkpoint"
    try:
        store, caught = _load(url)
        assert caught == [] and sorted(r.tag for r in store.embeddings(".")) == ["emb/a", "emb/b", "t"]
        memory.rm_file("/cellboard-tf-checkpoint/emb.ckpt-1.data-00000-of-00002")
        store, caught = _load(url)
        assert sorted(r.tag for r in store.embeddings(".")) == ["emb/a", "t"]
        (source,) = store.notices
        assert source.endswith("/cellboard-tf-checkpoint/emb.ckpt-1.data-00000-of-00002"), source
        assert len(caught) == 1 and "embedding 'emb/b'" in caught[0]
    finally:
        memory.rm("/cellboard-tf-checkpoint", recursive=True)


def test_a_watched_directory_reads_the_checkpoint_when_it_is_saved(tmp_path):
    """File-system notifications wake the follower for TensorFlow's ``checkpoint`` file (written last
    by ``save``), not only for the config: no timed poll here."""
    pytest.importorskip("watchdog")
    (tmp_path / "events.out.tfevents.0.host").write_bytes(b"")
    follower = LogdirFollower(str(tmp_path), reload_interval=60)
    follower.start()
    try:
        assert follower.wait(10)
        require_notifications(follower)
        (tmp_path / E.CONFIG).write_text('embeddings { tensor_name: "emb/a" }\n')
        time.sleep(0.3)  # read: no checkpoint yet
        _write_bundle(tmp_path / "emb.ckpt-1", _hand_tensors())
        (tmp_path / "checkpoint").write_text('model_checkpoint_path: "emb.ckpt-1"\n')
        assert [r.tag for r in _wait_for_embeddings(follower)] == ["emb/a"]
    finally:
        follower.stop()


def _wait_for_embeddings(follower: LogdirFollower, timeout: float = 10) -> list:
    """The follower's embeddings of run ".", once there are any (or after ``timeout`` s: none)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not _embeddings(follower):
        time.sleep(0.05)
    return _embeddings(follower)


def _embeddings(follower: LogdirFollower) -> list:
    try:
        return follower.store.embeddings(".")
    except KeyError:  # no embedding yet
        return []


# --------------------------------------------------------------------------- a config naming no embedding


def _unlisted_run(tmp_path: Path, config: str = "") -> Path:
    """A run whose projector config names no embedding: the hand checkpoint, an optimizer slot in it."""
    run = tmp_path / "logs"
    run.mkdir()
    tensors = {
        **_hand_tensors(),
        "emb/a/.OPTIMIZER_SLOT/opt/m/.ATTRIBUTES/VARIABLE_VALUE": np.ones((12, 5), np.float32),
    }
    _write_bundle(run / "emb.ckpt-1", tensors)
    (run / "checkpoint").write_text('model_checkpoint_path: "emb.ckpt-1"\n')
    (run / "meta.tsv").write_text("".join(f"p{i}\n" for i in range(12)))  # as many rows as emb/a
    (run / E.CONFIG).write_text(config)
    return run


@pytest.mark.parametrize("config", ["", 'model_checkpoint_path: "emb.ckpt-1"\n'])
def test_a_config_naming_no_embedding_shows_every_2d_tensor(tmp_path, config):
    """As TensorBoard's projector: every 2-D real tensor of the checkpoint but optimizer slots (ints as
    float32, float16 as it is), at the checkpoint's number; scalars, vectors and slots are not."""
    run = _unlisted_run(tmp_path, config)
    store, caught = _load(run)
    tensors = _hand_tensors()
    recs = {r.tag: r for r in store.embeddings(".")}
    assert sorted(recs) == ["counts", "emb/a", "emb/b", "half"] and caught == [] and store.notices == {}
    for tag, r in recs.items():
        assert np.array_equal(r.mat, tensors[tag]) and (r.step, r.checkpoint) == (1, str(run / "emb.ckpt-1"))
    assert recs["counts"].mat.dtype == np.float32 and recs["half"].mat.dtype == np.float16


def test_a_config_naming_no_embedding_and_no_checkpoint_shows_nothing_and_says_nothing(tmp_path):
    (tmp_path / E.CONFIG).write_text("")
    store, caught = _load(tmp_path)
    assert store.runs in ([], ["."]) and caught == [] and store.notices == {}
    assert not store.runs or store.embeddings(".") == []


def test_an_unnamed_tensor_too_big_is_a_notice_and_the_rest_show(tmp_path, monkeypatch):
    monkeypatch.setattr(E, "UNLISTED_MAX_VALUES", 40)  # emb/a holds 60 values; the others at most 24
    run = _unlisted_run(tmp_path)
    store, caught = _load(run)
    assert sorted(r.tag for r in store.embeddings(".")) == ["counts", "emb/b", "half"]
    index = str(run / "emb.ckpt-1.index")
    assert (
        list(store.notices) == [index]
        and "'emb/a' of shape [12, 5] is not shown: over 40 values" in store.notices[index]
    )
    assert len(caught) == 1 and "name it in the projector config" in caught[0]


def test_follower_shows_the_tensors_of_each_checkpoint_of_a_config_naming_none(tmp_path, monkeypatch):
    """The config before any checkpoint: nothing, and no notice; each checkpoint's tensors once, at its
    number; a tensor too big stays a notice at every poll until a newer checkpoint replaces it."""
    monkeypatch.setattr(E, "UNLISTED_MAX_VALUES", 40)
    (tmp_path / "events.out.tfevents.0.host").write_bytes(b"")
    (tmp_path / E.CONFIG).write_text("")
    follower = LogdirFollower(str(tmp_path), notifications=False)
    follower.poll()
    follower.poll()
    assert follower.store.embeddings(".") == [] and follower.store.notices == {}
    tensors = _hand_tensors()
    _write_bundle(tmp_path / "emb.ckpt-1", tensors)
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "emb.ckpt-1"\n')
    for _ in range(3):
        follower.poll()
    assert sorted((r.tag, r.step) for r in follower.store.embeddings(".")) == [("counts", 1), ("emb/b", 1), ("half", 1)]
    assert list(follower.store.notices) == [str(tmp_path / "emb.ckpt-1.index")]
    smaller = {**tensors, "emb/a": tensors["emb/a"][:6]}  # 30 values: shown now
    _write_bundle(tmp_path / "emb.ckpt-2", smaller)
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "emb.ckpt-2"\n')
    follower.poll()
    follower.poll()
    at2 = sorted(r.tag for r in follower.store.embeddings(".") if r.step == 2)
    assert at2 == ["counts", "emb/a", "emb/b", "half"] and follower.store.notices == {}
    assert len(follower.store.embeddings(".")) == 7  # nothing read twice


def test_a_keras_checkpoint_without_named_embeddings_as_tensorflow_reads_it(tf_logs, tmp_path):
    """The Keras model checkpoint (an Embedding layer, Dense kernels, optimizer variables, 2,500 small
    ones): every 2-D real tensor but optimizer slots, each equal to what TensorFlow reads."""
    run = tmp_path / "names"
    shutil.copytree(tf_logs / "names", run)
    (run / E.CONFIG).write_text('model_checkpoint_path: "names.ckpt-1"\n')
    store, caught = _load(run)
    listed = _listing(tf_logs)["names/names.ckpt-1"]
    real = {"float16", "float32", "float64", "int32", "int64"}
    want = sorted(n for n, (d, s) in listed.items() if len(s) == 2 and d in real and ".OPTIMIZER_SLOT" not in n)
    assert want and sorted(r.tag for r in store.embeddings(".")) == want and caught == []
    names = json.loads((run / "names.ckpt-1.values.json").read_text())
    with np.load(run / "names.ckpt-1.values.npz") as values:
        for r in store.embeddings("."):
            assert np.array_equal(r.mat, values[f"t{names.index(r.tag)}"]), r.tag


def test_a_damaged_slice_of_a_partitioned_variable_is_a_notice_and_the_rest_show(tf_logs, tmp_path):
    """A flipped byte in one slice of TF1's partitioned variables, in a config naming none: that
    variable is a notice naming the slice and the shard; its other slices' variable and the rest show."""
    run = tmp_path / "tf1"
    shutil.copytree(tf_logs / "tf1", run)
    (run / E.CONFIG).write_text('model_checkpoint_path: "model.ckpt-3"\n')  # the copy (Saver's paths are absolute)
    prefix = str(run / "model.ckpt-3")
    bundle = T.read_index(FS, prefix)
    (extents, part), *_ = sorted(bundle.slice_entries["wide"].items())
    shard = Path(bundle.data_path(part.shard))
    _flip(shard, part.offset + 5)
    store, caught = _load(run)
    assert sorted(r.tag for r in store.embeddings(".")) == ["big", "part", "words"]
    (message,) = caught
    assert f"checksum mismatch in slice {list(extents)} of tensor 'wide'" in message and str(shard) in message
    assert list(store.notices) == [str(shard)]


def _ordered_signed(v: int) -> bytes:
    """TensorFlow's ``OrderedCode::WriteSignedNumIncreasing`` as its comments define it: the value in
    two's complement over the fewest bytes ``n`` that hold it in ``7n - 1`` bits, its first ``n`` bits
    flipped (a length header of 1s, or of 0s for a negative number)."""
    n = next(n for n in range(1, 11) if (~v if v < 0 else v) < 1 << (7 * n - 1))
    raw = v & ((1 << 8 * n) - 1)
    return (raw ^ (((1 << n) - 1) << (8 * n - n))).to_bytes(n, "big")


def test_slice_keys_decode_every_int64():
    """Slice keys hold starts and lengths (-1: the whole dimension) as ordered, variable-length numbers:
    every length from 1 to 10 bytes, both signs, round trip; the byte order is the numbers' order."""
    values = [0, 1, 4, 63, 64, -1, -64, -65, 100, 8191, 8192, -8192, -8193, 33334, 2**40, -(2**40), 2**63 - 1, -(2**63)]
    values += [s * (1 << (7 * n - 1)) + d for n in range(1, 10) for s in (1, -1) for d in (-1, 0)]
    for v in values:
        enc = _ordered_signed(v)
        assert T._signed(enc + b"rest", 0) == (v, len(enc)), v
    assert sorted(values, key=_ordered_signed) == sorted(values)
    name = b"a\x00b\xffc"  # escaped in the key: \0 as \0\xff, \xff as \xff\0
    key = b"\0a\0\xffb\xff\0c\0\1\1\2" + b"".join(map(_ordered_signed, (5, 33334, 0, -1)))
    assert T._slice_key(key) == (name.decode("utf-8", "replace"), ((5, 33334), (0, -1)))
    for bad in (key[:-1], key + b"\x80", b"\0a\0\2"):
        with pytest.raises(ValueError):
            T._slice_key(bad)


def test_follower_keeps_the_notice_of_an_unreadable_checkpoint_file_of_a_config_naming_none(tmp_path):
    """A ``checkpoint`` file that names no checkpoint stays a notice at every poll, as it would for a
    config naming an embedding; the tensors show once it names one."""
    (tmp_path / "events.out.tfevents.0.host").write_bytes(b"")
    (tmp_path / E.CONFIG).write_text("")
    (tmp_path / "checkpoint").write_text("")
    follower = LogdirFollower(str(tmp_path), notifications=False)
    for _ in range(3):
        follower.poll()
        assert list(follower.store.notices) == [str(tmp_path / "checkpoint")]
    _write_bundle(tmp_path / "emb.ckpt-1", _hand_tensors())
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "emb.ckpt-1"\n')
    follower.poll()
    assert follower.store.notices == {} and len(follower.store.embeddings(".")) == 4


def test_follower_gives_the_metadata_of_a_config_naming_no_tensor_to_each_checkpoints_tensors(tmp_path):
    """TensorBoard's first entry naming no tensor, before any checkpoint: nothing and no notice; then
    every 2-D tensor of each checkpoint, the metadata with the one of as many rows."""
    (tmp_path / "events.out.tfevents.0.host").write_bytes(b"")
    (tmp_path / "meta.tsv").write_text("".join(f"p{i}\n" for i in range(12)))
    (tmp_path / E.CONFIG).write_text(SPECIAL)
    follower = LogdirFollower(str(tmp_path), notifications=False)
    follower.poll()
    follower.poll()
    assert follower.store.embeddings(".") == [] and follower.store.notices == {}
    _write_bundle(tmp_path / "emb.ckpt-1", _hand_tensors())
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "emb.ckpt-1"\n')
    follower.poll()
    follower.poll()
    recs = {r.tag: r for r in follower.store.embeddings(".")}
    assert sorted(recs) == ["counts", "emb/a", "emb/b", "half"] and follower.store.notices == {}
    assert recs["emb/a"].metadata == [f"p{i}" for i in range(12)] and recs["emb/b"].metadata is None


# --------------------------------------------------------------------------- as TensorBoard's projector lists them

SPECIAL = 'embeddings { metadata_path: "meta.tsv" }\n'


def _tensorboards_projector_info(run_dir: Path) -> list[dict]:
    """The embeddings TensorBoard's own projector plugin lists for run ``.`` (it reads the checkpoint
    with TensorFlow)."""
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.projector.projector_plugin import ProjectorPlugin
    from werkzeug import test as wtest
    from werkzeug import wrappers

    app = ProjectorPlugin(base_plugin.TBContext(logdir=str(run_dir))).get_plugin_apps()["/info"]
    return wtest.Client(app, wrappers.Response).get("/info", query_string={"run": "."}).get_json()["embeddings"]


ALL_2D = ["counts", "emb/a", "emb/b", "half"]


@pytest.mark.parametrize(
    "config, ours_labelled",
    [("", set()), (SPECIAL, {"emb/a"}), ('embeddings { tensor_name: "emb/b" }\n', None)],
    ids=["empty", "metadata-only", "naming-one"],
)
def test_checkpoint_tensors_listed_as_tensorboards_projector_lists_them(tmp_path, config, ours_labelled):
    """TensorBoard's own projector plugin is the oracle. A config naming no tensor (empty, or TensorBoard's
    first entry giving only metadata): every 2-D tensor but optimizer slots, in both; the metadata goes
    with the tensor of as many rows (TensorBoard gives it to every tensor, then cannot show the others).
    A config naming a tensor: TensorBoard adds the others, cellboard shows the one named
    (docs/decisions.md: the board is sent everything up front)."""
    pytest.importorskip("tensorflow", reason="TensorBoard's projector reads checkpoints with TensorFlow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    run = _unlisted_run(tmp_path, config)
    theirs = {e["tensorName"]: e for e in _tensorboards_projector_info(run)}
    store, caught = _load(run)
    ours = {r.tag: r for r in store.embeddings(".")}
    assert caught == [] and store.notices == {} and sorted(theirs) == ALL_2D
    for tag, r in ours.items():
        assert list(r.mat.shape) == [int(d) for d in theirs[tag]["tensorShape"]], tag
    labelled = {tag for tag, r in ours.items() if r.metadata is not None}
    if ours_labelled is None:  # naming one
        assert sorted(ours) == ["emb/b"] and labelled == set()
        return
    assert sorted(ours) == ALL_2D and labelled == ours_labelled
    assert {t for t, e in theirs.items() if e.get("metadataPath")} == (set(ALL_2D) if config else set())


# --------------------------------------------------------------------------- Keras 3's TensorBoard(embeddings_freq=...)

KERAS_WRITE = textwrap.dedent(
    """
    import os, sys
    import numpy as np, keras

    root = sys.argv[1]
    rng = np.random.default_rng(0)

    class Keep(keras.callbacks.Callback):  # each epoch's embeddings, after the TensorBoard callback saved them
        def __init__(self, name):
            super().__init__()
            self.name = name

        def on_epoch_end(self, epoch, logs=None):
            for layer in self.model.layers:
                if isinstance(layer, keras.layers.Embedding):
                    np.save(os.path.join(root, f"{self.name}-{layer.name}-{epoch}.npy"), layer.embeddings.numpy())

    def fit(name, model, x, y, **tb):
        log = os.path.join(root, name)
        os.makedirs(log)
        with open(os.path.join(log, "meta.tsv"), "w") as f:  # the tutorial's labels, one per row
            f.write("".join(f"w{i}\\n" for i in range(20)))
        model.compile("adam", "mse")
        model.fit(x, y, epochs=2, verbose=0, callbacks=[keras.callbacks.TensorBoard(log, embeddings_freq=1, **tb), Keep(name)])

    x = rng.integers(0, 20, (16, 3)).astype("int32")
    seq = keras.Sequential([keras.Input((3,), dtype="int32"), keras.layers.Embedding(20, 4), keras.layers.Flatten(),
                            keras.layers.Dense(2)])
    fit("seq", seq, x, rng.standard_normal((16, 2)), embeddings_metadata="meta.tsv")

    # a functional model: two Embedding layers, named; the Dense layer holds the first weights
    inp = keras.Input((3,), dtype="int32")
    a = keras.layers.Flatten()(keras.layers.Embedding(20, 5, name="words")(inp))
    b = keras.layers.Flatten()(keras.layers.Embedding(20, 3, name="chars")(inp))
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([a, b]))
    fit("two", keras.Model(inp, out), x, rng.standard_normal((16, 1)), embeddings_metadata={"chars": "meta.tsv"})

    try:  # tf.keras 2 (TensorFlow <= 2.15's Keras, now tf-keras): a TensorFlow checkpoint in train/
        import tf_keras
    except ImportError:
        tf_keras = None
    if tf_keras is not None:
        legacy = tf_keras.Sequential([tf_keras.Input((3,), dtype="int32"), tf_keras.layers.Embedding(20, 4),
                                      tf_keras.layers.Flatten(), tf_keras.layers.Dense(2)])
        legacy.compile("adam", "mse")
        log = os.path.join(root, "legacy")
        legacy.fit(x, rng.standard_normal((16, 2)), epochs=2, verbose=0,
                   callbacks=[tf_keras.callbacks.TensorBoard(log, embeddings_freq=1)])
        np.save(os.path.join(root, "legacy.npy"), legacy.layers[0].embeddings.numpy())
    """
)


def _keras_run_without_weights(keras_logs: Path, tmp_path: Path) -> Path:
    """Keras' "seq" run as it is when training starts: its config and labels, an event file, no weights."""
    src, log = keras_logs / "seq", tmp_path / "seq"
    (log / "train").mkdir(parents=True)
    shutil.copy(src / E.CONFIG, log / E.CONFIG)
    shutil.copy(src / "meta.tsv", log / "meta.tsv")
    (log / "events.out.tfevents.0.host").write_bytes(b"")
    return log


@pytest.fixture(scope="module")
def keras_logs(tmp_path_factory) -> Path:
    pytest.importorskip("keras", reason="Keras writes the weights these tests read")
    pytest.importorskip("h5py", reason="Keras' weights are HDF5")
    root = tmp_path_factory.mktemp("keras")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run([sys.executable, "-c", KERAS_WRITE, str(root)], check=True, timeout=600, env=env)
    return root


def test_keras_embeddings_freq_shows_the_last_epochs_embedding(keras_logs):
    """Keras 3 names a TensorFlow checkpoint's tensor in its projector config but saves HDF5 weights,
    which TensorBoard's projector does not read (it lists no run); the latest epoch's shows here, as
    the Embedding layer's own variable path, with its labels."""
    log = keras_logs / "seq"
    assert (log / "train" / "keras_embedding.ckpt-1.weights.h5").exists()
    assert E.KERAS_TENSOR in (log / E.CONFIG).read_text()
    store, caught = _load(log)
    assert caught == [] and store.notices == {}
    (rec,) = store.embeddings(".")
    assert (rec.tag, rec.step) == ("embedding/embeddings", 1)
    assert rec.checkpoint == str(log / "train" / "keras_embedding.ckpt-1.weights.h5")
    assert np.array_equal(rec.mat, np.load(keras_logs / "seq-embedding-1.npy")) and rec.mat.dtype == np.float32
    assert rec.metadata == [f"w{i}" for i in range(20)]
    assert _tensorboards_projector_runs(log) == []


def test_keras_two_embedding_layers_in_the_models_order(keras_logs):
    """Every Embedding layer is ``layer_with_weights-0`` in Keras' config: the k-th entry is the
    model's k-th Embedding layer, named by its layer; labels where the config gives them."""
    store, caught = _load(keras_logs / "two")
    assert caught == [] and store.notices == {}
    recs = {r.tag: r for r in store.embeddings(".")}
    assert sorted(recs) == ["chars/embeddings", "words/embeddings"]
    for name, r in recs.items():
        layer = name.split("/")[0]
        assert r.step == 1 and np.array_equal(r.mat, np.load(keras_logs / f"two-{layer}-1.npy")), name
    assert (
        recs["chars/embeddings"].metadata == [f"w{i}" for i in range(20)] and recs["words/embeddings"].metadata is None
    )


def test_keras_follower_shows_each_epoch_as_it_is_saved(keras_logs, tmp_path):
    """Following a Keras run: nothing until the first epoch's weights exist (Keras writes the config
    when training starts), then each epoch's embedding at its number, read once."""
    src, log = keras_logs / "seq", _keras_run_without_weights(keras_logs, tmp_path)
    follower = LogdirFollower(str(log), notifications=False)
    follower.poll()
    assert _embeddings(follower) == []
    for epoch in (0, 1):
        name = f"keras_embedding.ckpt-{epoch}.weights.h5"
        shutil.copy(src / "train" / name, log / "train" / name)
        follower.poll()
        follower.poll()
        recs = _embeddings(follower)
        assert [r.step for r in recs] == list(range(epoch + 1)) and follower.store.notices == {}
        assert np.array_equal(recs[-1].mat, np.load(keras_logs / f"seq-embedding-{epoch}.npy"))


def test_keras_weights_without_h5py_say_what_to_install(keras_logs, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)  # import h5py raises ImportError
    _, caught = _load(keras_logs / "seq")
    (message,) = caught
    assert "install h5py" in message and "keras_embedding.ckpt-1.weights.h5" in message


def test_keras_weights_wake_a_watched_follower(keras_logs, tmp_path):
    """File-system notifications wake the follower for Keras' weights file (no timed poll here)."""
    pytest.importorskip("watchdog")
    src, log = keras_logs / "seq", _keras_run_without_weights(keras_logs, tmp_path)
    follower = LogdirFollower(str(log), reload_interval=60)
    follower.start()
    try:
        assert follower.wait(10)
        require_notifications(follower)
        name = "keras_embedding.ckpt-1.weights.h5"
        shutil.copy(src / "train" / name, log / "train" / name)
        assert [(r.tag, r.step) for r in _wait_for_embeddings(follower)] == [("embedding/embeddings", 1)]
    finally:
        follower.stop()


def test_keras_configs_next_to_their_runs_are_read_from_the_parent_directory(keras_logs):
    """Keras writes its projector config in its log_dir and its events in log_dir/train: opening the
    directory above several such log_dirs reads each config as a run of its own (TensorBoard reads
    only run directories and the root)."""
    store, caught = _load(keras_logs)
    assert caught == [] and store.notices == {}
    assert {"seq", "seq/train", "two", "two/train"} <= set(store.runs)
    assert [r.tag for r in store.embeddings("seq")] == ["embedding/embeddings"]
    assert sorted(r.tag for r in store.embeddings("two")) == ["chars/embeddings", "words/embeddings"]
    follower = LogdirFollower(str(keras_logs), notifications=False, runs="^seq")
    follower.poll()
    assert [r.tag for r in follower.store.embeddings("seq")] == ["embedding/embeddings"]
    assert "two" not in follower.store.runs


def test_labels_that_cannot_be_read_leave_the_points_shown(hand_dir):
    """A metadata file that is missing (a path relative to somewhere else) hides nothing: the points
    show without labels, and the warning names the file."""
    (hand_dir / "meta.tsv").unlink()
    store, caught = _load(hand_dir)
    recs = {r.tag: r for r in store.embeddings(".")}
    assert sorted(recs) == ["emb/a", "emb/b", "t"] and recs["emb/a"].metadata is None
    (message,) = caught
    assert str(hand_dir / "meta.tsv") in message and "its points show without labels" in message
    assert list(store.notices) == [str(hand_dir / "meta.tsv")]


def test_follower_labels_the_points_once_the_metadata_reads(hand_dir):
    """While the labels cannot be read the points show and the notice stays at every poll; once the
    file is there the embedding is read again with them (the board shows the latest of a step), once."""
    meta = hand_dir / "meta.tsv"
    labels = meta.read_text()
    meta.unlink()
    follower = LogdirFollower(str(hand_dir), notifications=False)
    for _ in range(3):
        follower.poll()
        assert list(follower.store.notices) == [str(meta)]
    assert [(r.tag, r.metadata) for r in follower.store.embeddings(".") if r.tag == "emb/a"] == [("emb/a", None)]
    meta.write_text(labels)
    follower.poll()
    follower.poll()
    assert follower.store.notices == {}
    a = [r for r in follower.store.embeddings(".") if r.tag == "emb/a"]
    assert [r.step for r in a] == [1, 1] and a[-1].metadata == [f"p{i}" for i in range(12)]
    assert len(follower.store.embeddings(".")) == 4  # emb/a twice, emb/b and t once


def test_tf_keras_2_embeddings_freq_reads_its_checkpoint_in_train(keras_logs):
    """tf.keras 2's callback saves a TensorFlow checkpoint (and its ``checkpoint`` file) in train/, not
    next to its config: read from there, the last epoch's, under the name the config gives."""
    log = keras_logs / "legacy"
    if not log.exists():
        pytest.skip("tf-keras (tf.keras 2) is not installed")
    assert (log / "train" / "checkpoint").exists() and not (log / "checkpoint").exists()
    store, caught = _load(log)
    assert caught == [] and store.notices == {}
    (rec,) = store.embeddings(".")
    assert (rec.tag, rec.step, rec.checkpoint) == (E.KERAS_TENSOR, 1, str(log / "train" / "keras_embedding.ckpt-1"))
    assert np.array_equal(rec.mat, np.load(keras_logs / "legacy.npy"))
    assert _tensorboards_projector_runs(log) == []  # it looks for the checkpoint next to the config


def _tensorboards_projector_runs(log: Path) -> list[str]:
    """The runs TensorBoard's own projector plugin lists for ``log`` (it reads checkpoints with TensorFlow)."""
    pytest.importorskip("tensorflow", reason="TensorBoard's projector reads checkpoints with TensorFlow")
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.projector.projector_plugin import ProjectorPlugin
    from werkzeug import test as wtest
    from werkzeug import wrappers

    app = ProjectorPlugin(base_plugin.TBContext(logdir=str(log))).get_plugin_apps()["/runs"]
    return wtest.Client(app, wrappers.Response).get("/runs").get_json()


def test_keras_weights_caught_while_being_written_are_read_once_complete(keras_logs, tmp_path):
    """A follower polling while Keras writes an epoch's weights finds a truncated HDF5 file: the
    points arrive once it is complete, and nothing was shown from the half-written one."""
    src, log = keras_logs / "seq", _keras_run_without_weights(keras_logs, tmp_path)
    name = "keras_embedding.ckpt-0.weights.h5"
    whole = (src / "train" / name).read_bytes()
    (log / "train" / name).write_bytes(whole[: len(whole) // 2])
    follower = LogdirFollower(str(log), notifications=False)
    follower.poll()  # the first pass reports at once
    assert _embeddings(follower) == []
    (message,) = follower.store.notices.values()
    assert "not a readable HDF5 weights file" in message
    (log / "train" / name).write_bytes(whole)
    follower.poll()
    assert follower.store.notices == {}
    (rec,) = _embeddings(follower)
    assert rec.step == 0 and np.array_equal(rec.mat, np.load(keras_logs / "seq-embedding-0.npy"))
