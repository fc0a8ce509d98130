"""Images: encoded pictures per step (``add_image``, ``add_images``, ``add_figure``).

Read from the legacy ``Summary.Image`` field and from the ``images`` plugin's blob tensors
(``[width, height, image...]``, as TF2 writes them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import summaries as S
from ..tfevents import messages as M
from ..tfevents.wire import LEN, VARINT, iter_fields
from .base import Kind


@dataclass(frozen=True)
class ImageRecord:
    step: int
    wall_time: float
    png: bytes  # encoded image as logged (PNG from cellboard/torch; may be JPEG/GIF from others)
    width: int
    height: int


def decode(val: M.Value, plugin: str, step: int, wall: float) -> list[ImageRecord]:
    if val.payload is None:
        return []
    if val.kind == "image":
        h = w = 0
        encoded = b""
        for f, wt, v in iter_fields(val.payload):
            if f == 1 and wt == VARINT:
                h = v
            elif f == 2 and wt == VARINT:
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


def mime(data: bytes) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] == b"GIF8":
        return "image/gif"
    return "image/png"


def entry(r: ImageRecord) -> tuple[dict[str, Any], bytes | None]:
    return {"width": r.width, "height": r.height, "mime": mime(r.png)}, r.png


KIND = Kind("images", decode, entry, plugins=("images",), legacy=("image",))
