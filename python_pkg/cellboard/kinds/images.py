"""Images: encoded pictures per step (``add_image``, ``add_images``, ``add_figure``,
``add_image_with_boxes``, ``add_video`` as an animated GIF).

Read from the legacy ``Summary.Image`` field and from the ``images`` plugin's blob tensors
(``[width, height, image...]``, as TF2 writes them). Boxes are drawn into the pixels as torch
does; the live record also keeps them and the clean pixels, so the board draws the boxes itself and
can hide them (event files stay what torch writes: read back, an image has its drawn boxes only).
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import summaries as S
from ..tfevents import messages as M
from ..tfevents.wire import LEN, iter_fields
from .base import Kind


class _Encoded:
    """``ImageRecord.png``: bytes to every reader. A record read from event files in bulk holds a
    read-only view of the file's bytes instead (no copy on load); the first access copies it to
    bytes and keeps those. The board sends what is held as it is (``encoded``)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, obj: Any, objtype: type | None = None) -> bytes:
        if obj is None:
            raise AttributeError(self.slot[1:])  # tells dataclasses the field has no default
        held = obj.__dict__[self.slot]
        if isinstance(held, memoryview):
            held = obj.__dict__[self.slot] = held.tobytes()
        return held

    def __set__(self, obj: Any, value: bytes | memoryview) -> None:
        obj.__dict__[self.slot] = value


@dataclass(frozen=True)
class ImageRecord:
    step: int
    wall_time: float
    # the encoded image as logged (PNG from cellboard/torch; may be JPEG/GIF from others); also
    # takes a read-only memoryview, given to readers as bytes (see ``_Encoded``)
    if TYPE_CHECKING:
        png: bytes
    else:
        png: bytes = _Encoded()
    width: int
    height: int
    # add_image_with_boxes: (xmin, ymin, xmax, ymax) per box, in the pixels of width x height
    boxes: tuple[tuple[float, float, float, float], ...] | None = None
    labels: tuple[str, ...] | None = None  # one per box, or None
    clean: bytes | None = None  # add_image_with_boxes, live only: the same image (PNG) without the boxes

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_png": bytes(encoded(self))}  # a view cannot be pickled


def encoded(r: ImageRecord) -> bytes | memoryview:
    """The record's encoded image as held: bytes, or a read-only view of an event file's bytes."""
    return r.__dict__["_png"]


def decode(val: M.Value, plugin: str, step: int, wall: float) -> list[ImageRecord]:
    if val.payload is None:
        return []
    if val.kind == "image":
        h = w = 0
        encoded = b""
        for f, wt, v in iter_fields(val.payload):
            if isinstance(v, int):  # VARINT
                if f == 1:
                    h = v
                elif f == 2:
                    w = v
            elif f == 4 and wt == LEN:
                encoded = bytes(v)
        return [ImageRecord(step, wall, encoded, w, h)]
    if val.kind != "tensor":
        return []
    blobs = M.decode_tensor(val.payload).string_val
    if len(blobs) < 3:
        return []
    w, h = _dimension(blobs[0]), _dimension(blobs[1])
    return [ImageRecord(step, wall, b, w, h) for b in blobs[2:]]


def _dimension(blob: bytes) -> int:
    """Width/height as TF2 writes them: decimal ASCII bytes (0 when unreadable)."""
    try:
        return int(blob) if len(blob) < 12 else 0
    except ValueError:
        return 0


def encode(tag: str, hwc: np.ndarray, step: int, wall: float) -> tuple[bytes, ImageRecord]:
    """The event for one HWC uint8 image, and its record for the live store."""
    png, h, w, colorspace = S.encode_png(hwc)
    ev = M.event(wall, step, summary=M.summary(M.value(tag, image=M.image(h, w, colorspace, png))))
    return ev, ImageRecord(step, wall, png, w, h)


def encode_boxes(
    tag: str, hwc: np.ndarray, boxes: np.ndarray, labels: Sequence[str] | None, rescale: float, step: int, wall: float
) -> tuple[bytes, ImageRecord]:
    """torch's ``image_boxes``: RGB(A) uint8 pixels, red boxes (and labels) drawn with Pillow, then
    resized by ``rescale`` (LANCZOS); the header keeps the size before rescaling, as torch writes it."""
    from PIL import Image

    img = np.ascontiguousarray(S._scale_to_uint8(hwc, "img_tensor"))
    if img.shape[2] == 1:
        img = np.concatenate([img, img, img], 2)  # as torch's convert_to_HWC
    h, w, c = img.shape
    image = Image.fromarray(img)
    size = (int(w * rescale), int(h * rescale))
    clean = _png(image.resize(size, Image.Resampling.LANCZOS))  # before drawing: the board's toggle
    kept = tuple((float(b[0]), float(b[1]), float(b[2]), float(b[3])) for b in boxes)
    for i, (x0, y0, x1, y1) in enumerate(kept):
        _draw_single_box(image, x0, y0, x1, y1, None if labels is None else labels[i])
    png = _png(image.resize(size, Image.Resampling.LANCZOS))
    ev = M.event(wall, step, summary=M.summary(M.value(tag, image=M.image(h, w, c, png))))
    return ev, ImageRecord(step, wall, png, w, h, kept, None if labels is None else tuple(labels), clean)


def _png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _draw_single_box(image, xmin: float, ymin: float, xmax: float, ymax: float, label: str | None) -> None:
    """torch's ``_draw_single_box`` with its defaults (red, 2 px, black label on red)."""
    from PIL import ImageDraw, ImageFont

    font = ImageFont.load_default()
    draw = ImageDraw.Draw(image)
    draw.line([(xmin, ymin), (xmin, ymax), (xmax, ymax), (xmax, ymin), (xmin, ymin)], width=2, fill="Red")
    if label:
        left, top, right, bottom = font.getbbox(label)
        tw, th = right - left, bottom - top
        margin = math.ceil(0.05 * th)
        draw.rectangle([(xmin, ymax - th - 2 * margin), (xmin + tw, ymax)], fill="Red")
        draw.text((xmin + margin, ymax - th - margin), label, fill="black", font=font)


def video_frames(vid: np.ndarray) -> np.ndarray:
    """torch's ``_prepare_video``: ``(N, T, C, H, W)`` into ``(T, H', W', C)`` uint8 frames, the N clips
    tiled in a grid (N padded with black clips to a power of two)."""
    if vid.ndim != 5:
        raise ValueError(f"vid_tensor must have shape (N, T, C, H, W), got {vid.shape}")
    b, t, c, h, w = vid.shape
    if min(b, t, h, w) == 0:
        raise ValueError(f"vid_tensor must not be empty, got shape {vid.shape}")
    if c not in (1, 3, 4):
        raise ValueError(f"vid_tensor must have 1, 3 or 4 channels (N, T, C, H, W), got shape {vid.shape}")
    v = S._scale_to_uint8(vid, "vid_tensor")
    if b & (b - 1):
        v = np.concatenate([v, np.zeros((2 ** b.bit_length() - b, t, c, h, w), np.uint8)], 0)
    rows = 2 ** ((b.bit_length() - 1) // 2)
    cols = v.shape[0] // rows
    v = v.reshape(rows, cols, t, c, h, w).transpose(2, 0, 4, 1, 5, 3)
    return np.ascontiguousarray(v.reshape(t, rows * h, cols * w, c))


def encode_gif(frames: np.ndarray, fps: float) -> bytes:
    """An animated GIF (looping) of ``(T, H, W, C)`` uint8 frames: each frame encoded by Pillow (its own
    palette), assembled here so that every frame is kept (Pillow's animated writer merges identical
    consecutive frames: a static stretch would play right but count fewer frames than logged)."""
    from PIL import Image

    c = frames.shape[3]
    delay = max(1, round(100 / fps))  # centiseconds
    h, w = frames.shape[1], frames.shape[2]
    out = [
        b"GIF89a",
        struct.pack("<HHBBB", w, h, 0, 0, 0),  # no global colour table
        b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00",  # loop forever
    ]
    for f in frames:
        im = Image.fromarray(np.ascontiguousarray(f[:, :, 0] if c == 1 else f))
        if c == 4:
            im = im.convert("RGB")  # GIF has no alpha channel
        buf = io.BytesIO()
        im.save(buf, format="GIF")
        out.append(b"\x21\xf9\x04\x04" + struct.pack("<H", delay) + b"\x00\x00")  # keep the frame, delay
        out.append(_gif_image_block(buf.getvalue()))
    out.append(b"\x3b")
    return b"".join(out)


def _gif_image_block(gif: bytes) -> bytes:
    """The first image of a one-frame GIF as an image block with a local colour table."""
    flags = gif[10]
    pos = 13
    table = b""
    if flags & 0x80:
        size = 3 << ((flags & 7) + 1)
        table, pos = gif[pos : pos + size], pos + size
    while gif[pos] == 0x21:  # extensions: skipped
        pos += 2
        while gif[pos]:
            pos += gif[pos] + 1
        pos += 1
    if gif[pos] != 0x2C:
        raise ValueError("unexpected GIF block from Pillow")
    desc = bytearray(gif[pos : pos + 10])
    pos += 10
    start = pos
    if desc[9] & 0x80:  # a local table already: kept
        pos += 3 << ((desc[9] & 7) + 1)
    elif table:
        desc[9] |= 0x80 | (flags & 7)
        desc += table
    pos += 1  # LZW minimum code size
    while gif[pos]:
        pos += gif[pos] + 1
    return bytes(desc) + gif[start : pos + 1]


def encode_video(tag: str, vid: np.ndarray, fps: float, step: int, wall: float) -> tuple[bytes, ImageRecord]:
    """torch's ``add_video`` summary (a GIF in the legacy ``Summary.Image`` field), without moviepy."""
    frames = video_frames(vid)
    _, h, w, c = frames.shape
    gif = encode_gif(frames, fps)
    ev = M.event(wall, step, summary=M.summary(M.value(tag, image=M.image(h, w, c, gif))))
    return ev, ImageRecord(step, wall, gif, w, h)


def mime(data: bytes | memoryview) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] == b"GIF8":
        return "image/gif"
    return "image/png"


def entry(r: ImageRecord) -> tuple[dict[str, Any], bytes | memoryview | None]:
    if r.boxes is not None and r.clean is not None:  # live add_image_with_boxes: the board draws the boxes
        fields: dict[str, Any] = {"width": r.width, "height": r.height, "mime": mime(r.clean)}
        fields["boxes"] = [list(b) for b in r.boxes]
        if r.labels is not None:
            fields["labels"] = list(r.labels)
        return fields, r.clean
    held = encoded(r)  # a view is sent as it is: no copy
    return {"width": r.width, "height": r.height, "mime": mime(held)}, held


KIND = Kind("images", decode, entry, plugins=("images",), legacy=("image",), preempts=True)
