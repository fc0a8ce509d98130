"""``add_image_with_boxes``: the same PNG as torch (boxes and labels drawn with Pillow, then rescaled),
read by TensorBoard; the live record also keeps the boxes, labels and clean pixels, which the board gets
(it draws the boxes itself, so they can be hidden)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from _tbutil import event_files, legacy_acc
from torch.utils.tensorboard import SummaryWriter as TorchWriter

import cellboard
from cellboard.kinds import images

RNG = np.random.default_rng(0)
IMG = RNG.integers(0, 256, (3, 40, 60), dtype=np.uint8)
BOXES = np.array([[5, 5, 30, 20], [10, 15, 50, 35.5]], np.float32)


def _both(tmp_path, *args, **kwargs):
    """(torch's, ours) legacy Image protos of the same add_image_with_boxes call."""
    out = []
    for cls, name in ((TorchWriter, "torch"), (cellboard.SummaryWriter, "ours")):
        with cls(str(tmp_path / name)) as w:
            w.add_image_with_boxes("b", *args, **kwargs)
        (ev,) = legacy_acc(tmp_path / name).Images("b")
        out.append(ev)
    return out


@pytest.mark.filterwarnings("ignore:cellboard. 1 labels for 2 boxes")
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"labels": ["cat", "dog"]},
        {"labels": ["cat", "dog"], "rescale": 1.5},
        {"labels": "only one", "rescale": 0.5},  # torch drops labels that do not match the boxes
    ],
)
def test_same_png_as_torch(tmp_path, kwargs):
    theirs, ours = _both(tmp_path, torch.from_numpy(IMG), torch.from_numpy(BOXES), 7, **kwargs)
    assert ours.encoded_image_string == theirs.encoded_image_string
    assert (ours.step, ours.height, ours.width) == (theirs.step, theirs.height, theirs.width) == (7, 40, 60)


def test_hwc_and_one_channel_as_torch(tmp_path):
    theirs, ours = _both(tmp_path, IMG.transpose(1, 2, 0), BOXES, dataformats="HWC", labels=["a", "b"])
    assert ours.encoded_image_string == theirs.encoded_image_string
    gray = IMG[:1]
    theirs, ours = _both(tmp_path / "g", gray, BOXES)
    assert ours.encoded_image_string == theirs.encoded_image_string


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


@pytest.mark.parametrize("rescale", [1, 1.5])
def test_board_gets_the_clean_image_and_the_boxes(tmp_path, rescale):
    w = cellboard.SummaryWriter(str(tmp_path / "r"))
    w.add_image_with_boxes("b", IMG, BOXES, 2, labels=["cat", "dog"], rescale=rescale)
    w.add_image("plain", IMG, 2)
    w.flush()
    (rec,) = w.store.images("r", "b")
    assert rec.boxes == ((5.0, 5.0, 30.0, 20.0), (10.0, 15.0, 50.0, 35.5)) and rec.labels == ("cat", "dog")
    fields, buf = images.entry(rec)
    # boxes in the pixels of width x height (before rescale); the buffer is the image without them
    assert fields == {
        "width": 60,
        "height": 40,
        "mime": "image/png",
        "boxes": [[5.0, 5.0, 30.0, 20.0], [10.0, 15.0, 50.0, 35.5]],
        "labels": ["cat", "dog"],
    }
    assert buf == rec.clean and buf != rec.png
    clean, drawn = _pixels(buf), _pixels(rec.png)
    assert clean.shape == drawn.shape == (int(40 * rescale), int(60 * rescale), 3)
    if rescale == 1:
        np.testing.assert_array_equal(clean, IMG.transpose(1, 2, 0))  # exactly the logged pixels
        assert tuple(drawn[5, 15]) == (255, 0, 0)  # the top edge of box 1, red in the file's pixels
    (plain,) = w.store.images("r", "plain")
    assert images.entry(plain) == ({"width": 60, "height": 40, "mime": "image/png"}, plain.png)  # plain: unchanged
    w.close()
    # read back: the file's pixels hold the boxes (as torch); the event file has no place for the boxes
    (back,) = cellboard.load(tmp_path).images("r", "b")
    assert back.png == rec.png and back.boxes is None and back.clean is None
    assert images.entry(back) == ({"width": 60, "height": 40, "mime": "image/png"}, rec.png)
    assert len(event_files(tmp_path / "r")) == 1


def test_bad_input(tmp_path):
    w = cellboard.SummaryWriter(str(tmp_path / "r"))
    with pytest.raises(ValueError, match=r"box_tensor must have shape \(K, 4\)"):
        w.add_image_with_boxes("b", IMG, np.zeros(4))
    for rescale in (0, 0.01, float("nan"), float("inf"), "2"):
        with pytest.raises(ValueError, match="rescale"):
            w.add_image_with_boxes("b", IMG, BOXES, rescale=rescale)
    with pytest.raises(ValueError, match="finite"):
        w.add_image_with_boxes("b", IMG, BOXES * np.nan)
    with pytest.warns(UserWarning, match="1 labels for 2 boxes"):
        w.add_image_with_boxes("b", IMG, BOXES, labels=["x"])
    w.close()
