"""What the media views draw, read back from the screen (meshes, videos, boxes), for the harness
and the JupyterLab tests alike."""

from __future__ import annotations

import io

import numpy as np


def pixels(locator) -> np.ndarray:
    """The element as shown on screen, RGB."""
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("RGB")).astype(int)


def drawn_fraction(img: np.ndarray) -> float:
    """Share of pixels that differ from the background (the most common colour)."""
    flat = img.reshape(-1, 3)
    colors, counts = np.unique(flat, axis=0, return_counts=True)
    bg = colors[counts.argmax()]
    return float((np.abs(flat - bg).sum(1) > 30).mean())


def red_pixels(img: np.ndarray) -> int:
    """Pixels of the boxes' pure red."""
    return int(((img[..., 0] > 200) & (img[..., 1] < 60) & (img[..., 2] < 60)).sum())


def check_video_plays_and_stops(page, video, expect) -> None:
    """A video card (4 fps) shows changing frames, holds one frame after "stop", plays again on "play"."""
    img = video.locator("img")
    seen = set()
    for _ in range(8):  # frames of 250 ms: over 1.2 s at least 3 different ones
        seen.add(pixels(img).tobytes())
        page.wait_for_timeout(150)
    assert len(seen) >= 3, len(seen)
    video.locator("button", has_text="stop").click()
    expect(video).to_have_attribute("data-video-playing", "0")
    page.wait_for_timeout(100)
    still = set()
    for _ in range(4):  # longer than a frame: the first frame, held
        still.add(pixels(img).tobytes())
        page.wait_for_timeout(200)
    assert len(still) == 1
    video.locator("button", has_text="play").click()
    expect(video).to_have_attribute("data-video-playing", "1")


# Canvas pixels with any ink (every 4th pixel's alpha) under a root element, shown canvases only:
# a blank chart reads 0.
INK_JS = """(root) => {
  let ink = 0;
  for (const c of root.querySelectorAll('canvas')) {
    if (!c.width || !c.height || !c.offsetParent) continue;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 16) if (d[i] !== 0) ink++;
  }
  return ink;
}"""
