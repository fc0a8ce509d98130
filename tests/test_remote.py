"""Log directories behind fsspec URLs: memory://, and s3:// against a real S3-compatible server
(moto's standalone server on 127.0.0.1, as s3fs's own tests do)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import numpy as np
import pytest

import cellboard
from cellboard.logdir import LogdirFollower, open_logdir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(endpoint, timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("moto_server did not start")
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def s3(s3_server, monkeypatch):
    """Credentials and endpoint from the environment, as users configure them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem()
    bucket = f"cellboard-{uuid.uuid4().hex[:8]}"
    fs.mkdir(bucket)
    yield f"s3://{bucket}"
    s3fs.S3FileSystem.clear_instance_cache()


def _log(writer, n=20):
    for i in range(n):
        writer.add_scalar("train/loss", 1.0 / (i + 1), i)
    writer.add_histogram("w", np.arange(10.0), 0)
    writer.add_image("img", np.zeros((3, 4, 4), np.uint8), 0)


def test_write_and_read_s3(s3):
    with cellboard.SummaryWriter(f"{s3}/exp1/run-a") as w:
        _log(w)
        w.add_scalars("cmp", {"x": 1.0, "y": 2.0}, 0)
    logs = cellboard.load(f"{s3}/exp1")
    assert logs.runs == ["run-a", "run-a/cmp_x", "run-a/cmp_y"]
    s = logs.scalars("run-a", "train/loss")
    np.testing.assert_allclose(s.values, np.float32(1.0 / (np.arange(20) + 1)))
    assert len(logs.images("run-a", "img")) == 1 and len(logs.histograms("run-a", "w")) == 1


def test_tensorboard_reads_what_we_wrote_to_s3(s3, tmp_path):
    """The object holds a valid event file: download it and let TensorBoard's reader open it."""
    import s3fs
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    with cellboard.SummaryWriter(f"{s3}/tb/run") as w:
        _log(w)
    s3fs.S3FileSystem().get(f"{s3}/tb/run/", str(tmp_path / "run"), recursive=True)
    acc = EventAccumulator(str(tmp_path / "run"), size_guidance={"scalars": 0})
    acc.Reload()
    assert [e.step for e in acc.Scalars("train/loss")] == list(range(20))


def test_follow_s3_while_a_writer_flushes(s3):
    w = cellboard.SummaryWriter(f"{s3}/live/run", flush_secs=1)
    follower = LogdirFollower(f"{s3}/live", reload_interval=0.2).start()
    try:
        for i in range(5):
            w.add_scalar("x", float(i), i)
            w.flush()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    if len(follower.store.scalars("run", "x")) == i + 1:
                        break
                except KeyError:
                    pass
                time.sleep(0.05)
            assert len(follower.store.scalars("run", "x")) == i + 1
        w.add_scalar("x", 5.0, 5)
        w.close()
    finally:
        follower.stop()
    follower.poll()
    assert follower.store.scalars("run", "x").values.tolist() == [0, 1, 2, 3, 4, 5]


def test_magic_opens_an_s3_url(s3):
    with cellboard.SummaryWriter(f"{s3}/magic/r1") as w:
        _log(w, 5)
    board = open_logdir(f"{s3}/magic", follow=False)
    assert board.follower.wait(30)  # read in the background: the board shows at once
    assert board.store.runs == ["r1"]
    with pytest.raises(cellboard.logdir.LogdirError, match="does not exist"):
        open_logdir(f"{s3}/nothing-here", follow=False)


def test_credentials_are_never_shown(s3, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    from cellboard import magics

    sh = InteractiveShell.instance()
    magics.load_ipython_extension(sh)
    sh.run_line_magic("cellboard", f"{s3}/missing")
    out = capsys.readouterr()
    assert "testing-secret" not in out.out + out.err


def test_memory_filesystem_round_trip():
    url = f"memory://cellboard-{uuid.uuid4().hex[:8]}"
    with cellboard.SummaryWriter(f"{url}/run") as w:
        _log(w, 7)
    logs = cellboard.load(url)
    assert logs.runs == ["run"] and len(logs.scalars("run", "train/loss")) == 7
