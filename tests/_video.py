"""Video files for the tests of Visdom's video(videofile=...): encoded with PyAV (the video extra)."""

from __future__ import annotations

import numpy as np
import pytest


def encode_video(path, frames: np.ndarray, fps: int) -> None:
    """``frames`` (L x H x W x 3 uint8) as an MPEG-4 file at ``fps`` (skips the test without PyAV)."""
    av = pytest.importorskip("av")
    with av.open(str(path), "w") as c:
        s = c.add_stream("mpeg4", rate=fps)
        s.height, s.width = frames.shape[1:3]
        s.pix_fmt = "yuv420p"
        for f in frames:
            for p in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
