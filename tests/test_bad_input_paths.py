"""Bad input that used to fail badly (issue 7): a clear error naming the argument, nothing lost;
paths that could not be opened (quotes, ``file://``, chained URLs); credentials in URLs never
shown; an unreachable store gives a clear error in bounded time."""

from __future__ import annotations

import io
import os
import re
import socket
import time
import traceback
import uuid
import wave

import numpy as np
import pytest

import cellboard
from cellboard import fs as cfs
from cellboard.logdir import LogdirError, open_logdir

BAD_CALLS = [
    (
        "bins_huge",
        lambda w: w.add_histogram("h", [1.0, 2.0], bins=10**9),
        ValueError,
        r"bins must be at most 100000 .*got 1000000000",
    ),
    (
        "bins_huge_edges",
        lambda w: w.add_histogram("h", [1.0, 2.0], bins=np.arange(200_002.0)),
        ValueError,
        r"bins must give at most 100000 buckets",
    ),
    (
        "text_lone_surrogate",
        lambda w: w.add_text("t", "ok \ud800"),
        ValueError,
        r"text_string must be valid Unicode.*'\\ud800' at index 3",
    ),
    ("tag_lone_surrogate", lambda w: w.add_scalar("loss\udcff", 1.0), ValueError, r"tag must be valid Unicode"),
    (
        "image_tag_surrogate",
        lambda w: w.add_image("\ud800", np.zeros((3, 2, 2))),
        ValueError,
        r"tag must be valid Unicode",
    ),
    (
        "scalars_key_surrogate",
        lambda w: w.add_scalars("m", {"\ud800": 1.0}),
        ValueError,
        r"tag_scalar_dict key must be valid Unicode",
    ),
    (
        "hparams_value_surrogate",
        lambda w: w.add_hparams({"opt": "\ud800"}, {"m": 1.0}),
        ValueError,
        r"hparam_dict\['opt'\] must be valid Unicode",
    ),
    (
        "hparams_metric_key",
        lambda w: w.add_hparams({"lr": 0.1}, {3: 1.0}),
        TypeError,
        r"metric_dict key must be a non-empty str",
    ),
    (
        "audio_channels_last",
        lambda w: w.add_audio("a", np.zeros((1000, 2))),
        ValueError,
        r"snd_tensor must have shape \(L,\) or \(C, L\) with at most 8 channels.*\(1000, 2\).*snd_tensor\.T",
    ),
    (
        "walltime_numeric_str",
        lambda w: w.add_scalar("x", 1.0, 1, walltime="1.5"),
        TypeError,
        r"walltime must be a number .*got '1.5'",
    ),
    (
        "walltime_str_image",
        lambda w: w.add_image("i", np.zeros((3, 2, 2)), walltime="1.5"),
        TypeError,
        r"walltime must be a number",
    ),
    ("walltime_bool", lambda w: w.add_scalar("x", 1.0, 1, walltime=True), TypeError, r"walltime must be a number"),
    (
        "walltime_nan",
        lambda w: w.add_scalar("x", 1.0, 1, walltime=float("nan")),
        ValueError,
        r"walltime must be a finite number",
    ),
]


@pytest.mark.parametrize("call,exc,message", [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS])
def test_bad_call_raises_and_keeps_what_was_logged(tmp_path, call, exc, message):
    w = cellboard.SummaryWriter(tmp_path)
    w.add_scalar("before", 1.0, 1, walltime=1000.0)
    with pytest.raises(exc) as info:
        call(w)
    assert re.search(message, str(info.value)), str(info.value)
    w.add_scalar("after", 2.0, 2, walltime=1001.0)
    w.close()  # a bad value never reached the queue: the drain and close() do not fail
    logs = cellboard.load(tmp_path)
    assert logs.runs == ["."]
    assert logs.tags(".")["scalars"] == ["after", "before"]
    assert logs.scalars(".", "before").values.tolist() == [1.0]


def _wav(record) -> tuple[int, int, np.ndarray]:
    with wave.open(io.BytesIO(record.wav)) as f:
        return f.getnchannels(), f.getnframes(), np.frombuffer(f.readframes(f.getnframes()), "<i2")


def test_stereo_audio_is_real_stereo(tmp_path):
    """(2, N) is two channels of N frames (channels first, as torchaudio), interleaved in the WAV."""
    n = 800
    left, right = np.linspace(-1, 1, n), np.full(n, 0.5)
    with cellboard.SummaryWriter(tmp_path) as w:
        w.add_audio("stereo", np.stack([left, right]), 0, sample_rate=8000)
        w.add_audio("mono_column", np.zeros((n, 1)), 0, sample_rate=8000)  # torch squeezes: mono
    logs = cellboard.load(tmp_path)
    channels, frames, pcm = _wav(logs.audio(".", "stereo")[0])
    assert (channels, frames) == (2, n)
    np.testing.assert_array_equal(pcm.reshape(n, 2)[:, 1], np.full(n, int(0.5 * 32767)))
    np.testing.assert_array_equal(pcm.reshape(n, 2)[:, 0], (left * 32767).astype("<i2"))
    assert _wav(logs.audio(".", "mono_column")[0])[:2] == (1, n)


def test_walltime_numbers_are_still_accepted(tmp_path):
    import torch

    with cellboard.SummaryWriter(tmp_path) as w:
        w.add_scalar("x", 1.0, 1, walltime=10)
        w.add_scalar("x", 2.0, 2, walltime=np.float64(11.5))
        w.add_scalar("x", 3.0, 3, walltime=torch.tensor(12.0))
    assert cellboard.load(tmp_path).scalars(".", "x").wall_times.tolist() == [10.0, 11.5, 12.0]


# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize("name", ["'quoted'", '"dq', "ends'", " spaced "])
def test_directory_names_with_quotes_open_from_python(tmp_path, name):
    with cellboard.SummaryWriter(tmp_path / name / "run") as w:
        w.add_scalar("x", 1.0, 0)
    assert cellboard.load(tmp_path / name).runs == ["run"]
    board = open_logdir(str(tmp_path / name), follow=False)
    board.follower.wait()  # --no-follow reads in the background: the board shows at once
    assert board.store.runs == ["run"]


def test_file_urls_are_local_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"file://{tmp_path}/exp"
    with cellboard.SummaryWriter(f"{url}/run") as w:
        w.add_scalar("x", 1.0, 0)
    assert not os.path.exists(tmp_path / "file:")  # no literal ./file: directory
    assert os.path.isdir(tmp_path / "exp" / "run")
    assert cellboard.load(url).runs == ["run"]
    board = open_logdir(url, follow=False)
    board.follower.wait()
    assert board.store.runs == ["run"]


def test_chained_urls(tmp_path):
    root = f"memory://cellboard-{uuid.uuid4().hex[:8]}"
    with cellboard.SummaryWriter(f"{root}/a") as w:
        w.add_scalar("x", 1.0, 0)
    with cellboard.SummaryWriter(f"simplecache::{root}/b") as w:
        w.add_scalar("x", 2.0, 0)
    assert cellboard.load(f"simplecache::{root}").runs == ["a", "b"]
    assert cellboard.load(root).scalars("b", "x").values.tolist() == [2.0]


# --------------------------------------------------------------------------- credentials, reachability

KEY, SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PIECES = (KEY, SECRET, "wJalrXUtnFEMI", "K7MDENG", "bPxRfiCYEXAMPLEKEY")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _shown(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def _assert_clean(text: str) -> None:
    for piece in PIECES:
        assert piece not in text, f"{piece!r} shown in: {text}"


def _magic_output(line: str, capsys) -> str:
    from IPython.core.interactiveshell import InteractiveShell

    from cellboard import magics

    sh = InteractiveShell.instance()
    magics.load_ipython_extension(sh)
    sh.run_line_magic("cellboard", line)
    out = capsys.readouterr()
    return out.out + out.err


@pytest.mark.parametrize(
    "url",
    [
        f"s3://{KEY}:{SECRET}@bucket/exp",
        f"gs://{KEY}:{SECRET}@bucket/exp",
        f"simplecache::s3://{KEY}:{SECRET}@bucket/exp",
    ],
)
def test_credentials_in_object_store_urls_are_refused_and_never_shown(url, capsys):
    for call in (cellboard.load, cellboard.SummaryWriter, lambda u: open_logdir(u, follow=False)):
        with pytest.raises(ValueError, match=r"credentials in a (s3|gs):// URL are not supported") as info:
            call(url)
        _assert_clean(_shown(info.value))
        assert "***@bucket/exp" in str(info.value)
    out = _magic_output(f"{url} --no-follow", capsys)
    assert "credentials in a" in out
    _assert_clean(out)


def test_credentials_in_other_urls_are_redacted_from_errors(capsys):
    """ftp/http take user:password in the URL; their errors never show it."""
    for scheme in ("ftp", "http"):
        url = f"{scheme}://{KEY}:{SECRET}@127.0.0.1:{_closed_port()}/exp"
        for call in (cellboard.load, cellboard.SummaryWriter):
            t0 = time.monotonic()
            with pytest.raises((OSError, ValueError)) as info:  # unreachable, or a '/' in the secret
                call(url)
            assert time.monotonic() - t0 < 10
            _assert_clean(_shown(info.value))
            assert f"{scheme}://***@127.0.0.1" in str(info.value)
        out = _magic_output(url, capsys)
        assert out.startswith("cellboard: ")
        _assert_clean(out)


def test_cellboard_redact():
    cfs._remember_secrets(f"s3://{KEY}:{SECRET}@b/x")
    shown = cfs.redact(f'Invalid bucket name "{KEY}:wJalrXUtnFEMI"')  # what botocore says of such a URL
    assert shown.startswith('Invalid bucket name "***') and "EXAMPLE" not in shown and "wJalr" not in shown
    assert cfs.redact("memory://plain/path and s3://bucket/a@b") == "memory://plain/path and s3://bucket/a@b"


def test_unreachable_endpoint_gives_a_clear_error_in_bounded_time(monkeypatch, capsys):
    pytest.importorskip("s3fs")
    import s3fs

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setattr(cfs, "REMOTE_TIMEOUT", 0.5)
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        for call in (cellboard.load, cellboard.SummaryWriter):
            t0 = time.monotonic()
            with pytest.raises(OSError, match=r"s3://bucket/exp.*(no answer within 0.5 s|connect)") as info:
                call("s3://bucket/exp")
            assert time.monotonic() - t0 < 3
            assert "testing-secret" not in _shown(info.value)
        t0 = time.monotonic()
        out = _magic_output("s3://bucket/exp --no-follow", capsys)
        assert time.monotonic() - t0 < 3
        assert out.startswith("cellboard: cannot open s3://bucket/exp") and "Traceback" not in out
        with pytest.raises(LogdirError, match="no answer within"):
            open_logdir("s3://bucket/exp", follow=False)
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
