"""The Projector's Python side: the board entry an embedding becomes (PCA, metadata, sprite, the
original matrix within its byte budget; docs/protocol.md ``embeddings``), what a board sends, and a
followed directory picking up the embeddings another process writes (projector_config.pbtxt
appearing, growing, rewritten by a new writer, half written)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from _watching import require_notifications

import cellboard
from cellboard.board import Board
from cellboard.kinds import embeddings as E
from cellboard.logdir import LogdirFollower


def _unpack(fields: dict, buf: bytes):
    n, d, k = fields["n"], fields["dim"], fields["components"]
    at = 0
    variance = np.frombuffer(buf, "<f8", k, at)
    at += 8 * k
    coords = np.frombuffer(buf, "<f4", n * k, at).reshape(n, k)
    at += 4 * n * k
    matrix = None
    if fields["matrix"] != "none":
        dtype, size = ("<f4", 4) if fields["matrix"] == "float32" else ("<f2", 2)
        matrix = np.frombuffer(buf, dtype, n * d, at).reshape(n, d).astype(np.float32) * fields["scale"]
        at += size * n * d
    sprite = buf[at : at + fields["sprite_bytes"]]
    assert at + fields["sprite_bytes"] == len(buf)
    return variance, coords, matrix, sprite


def _record(mat, **kw):
    return E.EmbeddingRecord(step=kw.pop("step", 0), wall_time=1.0, tag=kw.pop("tag", "t"), mat=mat, **kw)


def test_entry_holds_pca_metadata_sprite_and_the_matrix():
    rng = np.random.default_rng(0)
    mat = (rng.standard_normal((200, 12)) * np.linspace(5, 0.1, 12)).astype(np.float32)
    rec = _record(mat, metadata=[str(i % 4) for i in range(200)], sprite=b"\x89PNG...", sprite_dim=(8, 8))
    fields, buf = E.entry(rec)
    assert {k: fields[k] for k in ("n", "dim", "components", "matrix", "sprite_bytes", "sprite_dim", "columns")} == {
        "n": 200,
        "dim": 12,
        "components": 12,
        "matrix": "float32",
        "sprite_bytes": 7,
        "sprite_dim": [8, 8],
        "columns": ["label"],
    }
    assert fields["metadata"] == [[str(i % 4) for i in range(200)]]
    variance, coords, matrix, sprite = _unpack(fields, buf)
    np.testing.assert_array_equal(matrix, mat)
    assert sprite == b"\x89PNG..."
    # the PCA is numpy's SVD of the centred matrix, up to each component's sign
    xc = mat.astype(np.float64) - mat.mean(0)
    _, s, vt = np.linalg.svd(xc, full_matrices=False)
    np.testing.assert_allclose(variance, s**2 / (s**2).sum(), rtol=1e-6)
    np.testing.assert_allclose(np.abs(coords), np.abs(xc @ vt.T), rtol=1e-3, atol=1e-3)
    assert variance[0] > variance[1] > variance[-1] and abs(variance.sum() - 1) < 1e-9
    # the sign convention: each component's largest loading is positive (the same picture every time)
    comps = np.linalg.lstsq(xc, coords.astype(np.float64), rcond=None)[0]
    assert (comps[np.abs(comps).argmax(0), np.arange(12)] > 0).all()
    assert E.entry(rec)[1] is buf  # computed once per record: a board's resends reuse it


def test_entry_metadata_columns_and_no_metadata():
    mat = np.eye(5, 3, dtype=np.float32)
    rows = [[f"w{i}", str(i * 10)] for i in range(5)]
    fields, _ = E.entry(_record(mat, metadata=rows, metadata_header=["word", "count"]))
    assert fields["columns"] == ["word", "count"]
    assert fields["metadata"] == [[f"w{i}" for i in range(5)], [str(i * 10) for i in range(5)]]
    fields, _ = E.entry(_record(mat))
    assert fields["columns"] == [] and fields["metadata"] == [] and fields["sprite_dim"] is None
    assert fields["components"] == 3  # min(50, dim, n)


def test_metadata_or_a_sprite_that_does_not_fit_is_left_out_and_said():
    """Labels of another row count, or a sprite of fewer images than points (a hand-edited
    metadata.tsv, a config pointing at another tensor's files): the points still show, with a note
    the view puts in its status line, where the view would otherwise drop the whole embedding."""
    import io

    from PIL import Image

    mat = np.eye(5, 3, dtype=np.float32)
    png = io.BytesIO()
    Image.new("RGB", (16, 8)).save(png, "PNG")  # 2 x 1 images of 8 x 8: too few for 5 points
    rec = _record(mat, metadata=["a", "b"], sprite=png.getvalue(), sprite_dim=(8, 8))
    fields, buf = E.entry(rec)
    assert (fields["columns"], fields["metadata"], fields["sprite_bytes"], fields["sprite_dim"]) == ([], [], 0, None)
    assert fields["note"] == (
        "labels not shown: the metadata has 2 rows for 5 points; "
        "images not shown: the sprite holds 2 images of [8, 8] for 5 points"
    )
    assert _unpack(fields, buf)[3] == b""
    rows = [["w", "1"]] * 6  # header + rows: one row too many
    assert "6 rows for 5 points" in E.entry(_record(mat, metadata=rows, metadata_header=["word", "n"]))[0]["note"]
    fitting = Image.new("RGB", (24, 16))  # 3 x 2 images: room for 5
    png = io.BytesIO()
    fitting.save(png, "PNG")
    fields, _ = E.entry(_record(mat, metadata=list("abcde"), sprite=png.getvalue(), sprite_dim=(8, 8)))
    assert "note" not in fields and fields["sprite_dim"] == [8, 8] and fields["columns"] == ["label"]


def test_matrix_budget_float32_then_float16_then_none(monkeypatch):
    rng = np.random.default_rng(1)
    mat = (rng.standard_normal((100, 40)) * 1000).astype(np.float32)
    monkeypatch.setattr(E, "MATRIX_BYTES", 100 * 40 * 4)
    assert E.entry(_record(mat))[0]["matrix"] == "float32"
    monkeypatch.setattr(E, "MATRIX_BYTES", 100 * 40 * 2)
    fields, buf = E.entry(_record(mat))
    assert fields["matrix"] == "float16" and fields["scale"] == pytest.approx(np.abs(mat).max())
    _, _, half, _ = _unpack(fields, buf)
    np.testing.assert_allclose(half, mat, rtol=2e-3, atol=fields["scale"] * 1e-3)  # no overflow past 65504
    monkeypatch.setattr(E, "MATRIX_BYTES", 100)
    fields, buf = E.entry(_record(mat))
    assert fields["matrix"] == "none" and len(buf) == 8 * 40 + 4 * 100 * 40
    monkeypatch.setattr(E, "COMPONENTS_BYTES", 100 * 5 * 4)
    assert E.entry(_record(mat))[0]["components"] == 5  # fewer components for many points


def test_entry_of_odd_matrices():
    fields, buf = E.entry(_record(np.array([[1.0, np.nan], [np.inf, 2.0], [0.0, 0.0]], np.float32)))
    variance, coords, _, _ = _unpack(fields, buf)
    assert np.isfinite(coords).all() and np.isfinite(variance).all()
    fields, buf = E.entry(_record(np.ones((4, 6), np.float32)))  # no variance at all
    variance, coords, _, _ = _unpack(fields, buf)
    assert (variance == 0).all() and (coords == 0).all()
    assert E.entry(_record(np.zeros((1, 3), np.float32)))[0]["components"] == 1
    # wide data (N < D): through the Gram matrix
    rng = np.random.default_rng(2)
    wide = rng.standard_normal((30, 3000)).astype(np.float32)
    variance, coords, _, _ = _unpack(*E.entry(_record(wide)))
    s = np.linalg.svd(wide - wide.mean(0), compute_uv=False)
    np.testing.assert_allclose(variance, (s**2 / (s**2).sum())[:30], rtol=1e-4, atol=1e-9)


def test_randomized_pca_for_large_wide_matrices():
    rng = np.random.default_rng(3)
    latent = rng.standard_normal((2500, 5)) * [10, 8, 6, 4, 2]
    mat = latent @ rng.standard_normal((5, 2100)) + 0.01 * rng.standard_normal((2500, 2100))
    coords, ratio = E.pca(mat, 5)
    xc = mat - mat.mean(0)
    _, s, vt = np.linalg.svd(xc, full_matrices=False)
    np.testing.assert_allclose(ratio, (s**2 / (s**2).sum())[:5], rtol=1e-3)
    np.testing.assert_allclose(np.abs(coords), np.abs(xc @ vt[:5].T), rtol=1e-2, atol=1e-2)


def test_a_board_sends_the_embedding_once(tmp_path):
    board = Board(interval=0.01)
    sent: list[tuple[dict, list]] = []
    board.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))
    board._on_msg(board, {"type": "hello"}, [])
    w = board.writer(str(tmp_path / "run"))
    mat = np.random.default_rng(4).standard_normal((50, 8)).astype(np.float32)
    w.add_embedding(mat, metadata=[f"p{i}" for i in range(50)], label_img=np.zeros((50, 1, 4, 4)), global_step=7)
    board.send_pending()
    entries = [(c, b) for c, b in sent for _ in c.get("entries", {}).get("embeddings", [])]
    assert len(entries) == 1
    content, buffers = entries[0]
    (e,) = content["entries"]["embeddings"]
    assert (e["run"], e["tag"], e["step"], e["index"], e["n"], e["dim"]) == ("run", "default", 7, 0, 50, 8)
    assert e["metadata"] == [[f"p{i}" for i in range(50)]] and e["sprite_dim"] == [4, 4]
    _, _, matrix, sprite = _unpack(e, bytes(buffers[e["buffer"]]))
    np.testing.assert_array_equal(matrix, mat)
    assert sprite.startswith(b"\x89PNG")
    w.close()
    board.close()


def _embeddings(follower: LogdirFollower, run: str) -> list:
    try:
        return follower.store.embeddings(run)
    except KeyError:  # the run is not in the store yet
        return []


def _write(log_dir, n, step, tag="emb", metadata=True):
    """add_embedding from another process (torch's SummaryWriter), as a training script would."""
    code = textwrap.dedent(
        f"""
        import torch
        from torch.utils.tensorboard import SummaryWriter
        torch.manual_seed({step})
        w = SummaryWriter({str(log_dir)!r})
        w.add_embedding(torch.randn({n}, 6), metadata={[f"m{i}" for i in range(n)] if metadata else None},
                        label_img=torch.rand({n}, 1, 4, 4), global_step={step}, tag={tag!r})
        w.close()
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_follower_picks_up_embeddings_another_process_writes(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "events.out.tfevents.0.host").write_bytes(b"")  # a run directory (the writer's event file)
    follower = LogdirFollower(str(tmp_path), notifications=False)
    follower.poll()
    assert _embeddings(follower, "run") == []
    _write(run, 20, 1)
    follower.poll()
    (rec,) = follower.store.embeddings("run")
    assert (rec.tag, rec.step, rec.mat.shape, rec.metadata[:2]) == ("emb", 1, (20, 6), ["m0", "m1"])
    assert rec.sprite is not None and rec.sprite_dim == (4, 4)
    follower.poll()  # nothing new: nothing appended
    assert len(follower.store.embeddings("run")) == 1
    # a new process rewrites the config with its own entries only: they are new
    _write(run, 30, 2, tag="other", metadata=False)
    follower.poll()
    recs = follower.store.embeddings("run")
    assert [(r.tag, r.step, r.mat.shape[0]) for r in recs] == [("emb", 1, 20), ("other", 2, 30)]
    assert recs[1].metadata is None


def test_follower_appends_what_a_writer_adds_and_reports_a_broken_config(tmp_path):
    follower = LogdirFollower(str(tmp_path), notifications=False)
    w = cellboard.SummaryWriter(str(tmp_path / "a"))
    w.add_scalar("x", 1.0, 0)
    w.flush()
    w.add_embedding(np.eye(4, 3), global_step=0)
    follower.poll()
    w.add_embedding(np.eye(5, 3), global_step=1)  # the config grows: only the new entry is read
    follower.poll()
    assert [(r.step, r.mat.shape) for r in follower.store.embeddings("a")] == [(0, (4, 3)), (1, (5, 3))]
    config = tmp_path / "a" / E.CONFIG
    good = config.read_bytes()
    config.write_bytes(good + b"embeddings { tensor_name: ")  # half written
    follower.poll()
    assert follower.store.notices == {}  # may still be being written: no notice yet
    follower.poll()  # the same bytes again: broken
    source = str(tmp_path / "a" / E.CONFIG)
    assert "cannot read the embeddings" in follower.store.notices[source]
    config.write_bytes(good)
    follower.poll()
    assert follower.store.notices == {}
    w.close()


def test_a_following_board_gets_embeddings_through_notifications(tmp_path):
    pytest.importorskip("watchdog")
    w = cellboard.SummaryWriter(str(tmp_path / "r"))
    w.add_scalar("x", 1.0, 0)
    w.flush()
    follower = LogdirFollower(str(tmp_path), reload_interval=60)  # no timed poll: only notifications wake it
    follower.start()
    try:
        assert follower.wait(10)
        require_notifications(follower)
        w.add_embedding(np.arange(12.0).reshape(4, 3), metadata=list("abcd"), global_step=3)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            recs = _embeddings(follower, "r")
            if recs:
                break
            time.sleep(0.05)
        assert [(r.step, r.metadata) for r in recs] == [(3, list("abcd"))]
    finally:
        follower.stop()
        w.close()
