"""``add_video``: torch's layout (``(N, T, C, H, W)``, clips tiled as ``_prepare_video`` tiles them) as an
animated GIF in the legacy image field, encoded with Pillow (torch needs moviepy, and fails on 1 channel)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from _tbutil import legacy_acc, plugin_acc
from PIL import Image, ImageSequence
from torch.utils.tensorboard._utils import _prepare_video

import cellboard
from cellboard.kinds import images


def _frames(gif: bytes, mode: str) -> list[np.ndarray]:
    return [np.asarray(f.convert(mode)) for f in ImageSequence.Iterator(Image.open(io.BytesIO(gif)))]


def _expected(vid: np.ndarray) -> np.ndarray:
    """torch's frames (T, H', W', C) in 0..255, before its (moviepy) GIF encoding."""
    v = _prepare_video(vid.astype(np.float32) / 255.0 if vid.dtype == np.uint8 else vid)
    return np.rint(v * 255).astype(np.uint8)


@pytest.mark.parametrize("n", [1, 3, 4, 5])
def test_gray_video_as_torch_lays_it_out(tmp_path, n):
    rng = np.random.default_rng(n)
    vid = rng.integers(0, 256, (n, 6, 1, 8, 10), dtype=np.uint8)
    with cellboard.SummaryWriter(str(tmp_path / "r")) as w:
        w.add_video("v", torch.from_numpy(vid), 3, fps=5)
    (ev,) = legacy_acc(tmp_path / "r").Images("v")  # TensorBoard's reader
    want = _expected(vid)
    assert ev.step == 3 and (ev.height, ev.width) == want.shape[1:3]
    gif = ev.encoded_image_string
    assert gif[:6] == b"GIF89a"
    frames = _frames(gif, "L")
    assert len(frames) == 6
    np.testing.assert_array_equal(np.stack(frames), want[..., 0])  # grayscale GIF: exact
    im = Image.open(io.BytesIO(gif))
    assert im.info["duration"] == 200 and im.info.get("loop") == 0


def test_rgb_float_video_and_the_images_plugin(tmp_path):
    rng = np.random.default_rng(1)
    vid = rng.random((2, 4, 3, 16, 12), np.float32)
    with cellboard.SummaryWriter(str(tmp_path / "r")) as w:
        w.add_video("v", vid)
    (ev,) = legacy_acc(tmp_path / "r").Images("v")
    want = _expected(vid)
    frames = np.stack(_frames(ev.encoded_image_string, "RGB"))
    assert frames.shape == want.shape == (4, 16, 24, 3)
    assert np.abs(frames.astype(int) - want).mean() < 12  # a 256-colour palette per frame
    # the images dashboard reads it as its blob sequence: [width, height, gif]
    (t,) = plugin_acc(tmp_path / "r").Tensors("v")
    blobs = t.tensor_proto.string_val
    assert blobs[0] == b"24" and blobs[1] == b"16" and blobs[2] == ev.encoded_image_string


def test_stored_and_loaded_as_an_image_record(tmp_path):
    vid = np.zeros((1, 3, 4, 5, 5), np.uint8)  # RGBA: GIF has no alpha, written as RGB
    w = cellboard.SummaryWriter(str(tmp_path / "r"))
    w.add_video("v", vid, 1)
    w.close()
    (live,) = w.store.images("r", "v")
    (back,) = cellboard.load(tmp_path).images("r", "v")
    assert live.png == back.png and back.png[:4] == b"GIF8" and (back.width, back.height) == (5, 5)
    assert images.entry(back)[0]["mime"] == "image/gif"
    assert len(_frames(back.png, "RGB")) == 3


def test_load_reads_a_video_tensorboardx_wrote(tmp_path):
    """torch's and tensorboardX's ``add_video`` need moviepy (not installed here); what they write is a
    legacy image value holding a GIF, which is written here through tensorboardX's own protobufs."""
    from tensorboardX import FileWriter
    from tensorboardX.proto.summary_pb2 import Summary

    frames = [Image.new("RGB", (6, 4), (40 * i, 0, 0)) for i in range(5)]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=250, loop=0)
    gif = buf.getvalue()
    image = Summary.Image(height=4, width=6, colorspace=3, encoded_image_string=gif)
    fw = FileWriter(str(tmp_path / "tbx"))
    fw.add_summary(Summary(value=[Summary.Value(tag="clip", image=image)]), global_step=7)
    fw.close()
    (rec,) = cellboard.load(tmp_path).images("tbx", "clip")
    assert rec.step == 7 and rec.png == gif and (rec.width, rec.height) == (6, 4)
    assert images.entry(rec)[0]["mime"] == "image/gif" and len(_frames(rec.png, "RGB")) == 5


@pytest.mark.parametrize("fps", [4, 10, 25])
def test_the_board_entry_is_the_looping_gif_with_the_frame_delay_of_fps(tmp_path, fps):
    """The board plays the GIF an <img> shows, and reads its frame count and delays (js: images-video.ts)."""
    w = cellboard.SummaryWriter(str(tmp_path / "r"))
    w.add_video("v", np.random.default_rng(0).integers(0, 256, (1, 6, 3, 8, 8), dtype=np.uint8), 1, fps=fps)
    w.flush()
    (rec,) = w.store.images("r", "v")
    fields, buf = images.entry(rec)
    assert fields == {"width": 8, "height": 8, "mime": "image/gif"} and buf == rec.png
    im = Image.open(io.BytesIO(buf))
    assert im.n_frames == 6 and im.info["loop"] == 0  # NETSCAPE2.0: loop forever
    delays = []
    for frame in ImageSequence.Iterator(im):
        delays.append(frame.info["duration"])
    assert set(delays) == {round(100 / fps) * 10}  # centiseconds in the file: 1000 / fps ms, rounded to 10 ms
    w.close()


def test_bad_input(tmp_path):
    w = cellboard.SummaryWriter(str(tmp_path / "r"))
    with pytest.raises(ValueError, match=r"\(N, T, C, H, W\)"):
        w.add_video("v", np.zeros((3, 1, 8, 8)))
    with pytest.raises(ValueError, match="1, 3 or 4 channels"):
        w.add_video("v", np.zeros((1, 3, 2, 8, 8)))
    with pytest.raises(ValueError, match="empty"):
        w.add_video("v", np.zeros((1, 0, 3, 8, 8)))
    with pytest.raises(ValueError, match="fps"):
        w.add_video("v", np.zeros((1, 2, 3, 8, 8)), fps=0)
    w.close()
