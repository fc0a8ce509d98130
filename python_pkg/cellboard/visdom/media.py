"""What Visdom's media calls take, as cellboard logs it: HTML text as markdown (the board renders
markdown, sanitized), and video files as frames (decoded with PyAV, the ``video`` extra)."""

from __future__ import annotations

import html
import os
import re

import numpy as np

from .args import need

_TAGS = [
    (r"<\s*br\s*/?>", "  \n"),
    (r"<\s*/?\s*(b|strong)\s*>", "**"),
    (r"<\s*/?\s*(i|em)\s*>", "*"),
    (r"<\s*h1[^>]*>", "# "),
    (r"<\s*h2[^>]*>", "## "),
    (r"<\s*h3[^>]*>", "### "),
    (r"<\s*/\s*(h[1-6]|p|div)\s*>", "\n\n"),
    (r"<\s*(p|div)[^>]*>", ""),
    (r"<\s*/?\s*code\s*>", "`"),
]


def html_to_markdown(text: str) -> str:
    """Visdom's text windows take HTML: the common tags become markdown (rendered sanitized);
    any other tag is dropped, its text kept."""
    for pat, rep in _TAGS:
        text = re.sub(pat, rep, text, flags=re.I)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text)


VIDEO_FILE_MAX_BYTES = 256 << 20  # decoded RGB frames of one video file (a GIF of more is no use in a cell)


def decode_video(path) -> tuple[np.ndarray, float]:
    """The frames (L x H x W x 3 uint8) and frame rate of a video file, decoded with PyAV."""
    try:
        import av
    except ImportError:
        raise ImportError(
            "video(videofile=...) decodes the file with PyAV, which is not installed: pip install av "
            "(or cellboard[video]); or pass the frames: viz.video(tensor=frames)"
        ) from None
    frames: list[np.ndarray] = []
    held = 0
    try:
        with av.open(os.fspath(path)) as container:
            need(len(container.streams.video) > 0, f"videofile {os.fspath(path)!r} holds no video stream")
            stream = container.streams.video[0]
            rate = float(stream.average_rate or 25)
            for frame in container.decode(stream):
                rgb = frame.to_ndarray(format="rgb24")
                held += rgb.nbytes
                need(
                    held <= VIDEO_FILE_MAX_BYTES,
                    f"videofile {os.fspath(path)!r} decodes to more than {VIDEO_FILE_MAX_BYTES >> 20} MiB of frames "
                    f"(frame {len(frames) + 1}, {rgb.shape[1]} x {rgb.shape[0]}); pass fewer or smaller frames as tensor",
                )
                frames.append(rgb)
    except FileNotFoundError:
        raise
    except av.error.FFmpegError as exc:
        raise ValueError(f"videofile {os.fspath(path)!r} cannot be decoded: {exc}") from None
    need(len(frames) > 0, f"videofile {os.fspath(path)!r} holds no frames")
    return np.stack(frames), rate
