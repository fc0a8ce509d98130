"""What Visdom's media calls take, as cellboard logs it: HTML text as markdown (the board renders
markdown, sanitized), and video files as frames (decoded with PyAV, the ``video`` extra)."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser

import numpy as np

from .args import need


def html_to_markdown(text: str) -> str:
    """Visdom's text windows take HTML; the board (and TensorBoard) show markdown, sanitized. The
    HTML a script writes becomes its markdown: headings, paragraphs, line breaks, bold, italic,
    strikethrough, code and pre blocks, lists, links, images, rules and tables (GFM). Other tags
    are dropped and their text kept; script and style content is dropped. Text is escaped where
    markdown would read it as markup (``*``, ``_``, backquotes), so it shows as the HTML did."""
    md = _Markdown()
    md.feed(text)
    md.close()
    return md.result()


_SKIP = {"script", "style", "head", "title", "template", "noscript"}
_BLOCKS = {"p", "div", "section", "article", "header", "footer", "blockquote", "center", "figure"}
_INLINE = {"b": "**", "strong": "**", "i": "*", "em": "*", "s": "~~", "strike": "~~", "del": "~~"}
_ESCAPE = re.compile(r"([\\`*_])")


class _Markdown(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0  # inside script / style
        self.pre = 0
        self.code = 0  # inside inline code: text as it is (escapes would show)
        self.lists: list[list[int]] = []  # per open list: [ordered, items so far]
        self.links: list[str | None] = []
        self.table: list[list[str]] | None = None  # rows of cells while inside a table
        self.cell: list[str] | None = None
        self.header_rows = 0

    def _emit(self, s: str) -> None:
        if self.cell is not None:
            self.cell.append(s)
        else:
            self.out.append(s)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in _SKIP:
            self.skip += 1
        elif self.skip:
            return
        elif tag in _INLINE:
            self._emit(_INLINE[tag])
        elif tag == "br":
            self._emit(" " if self.cell is not None else "  \n")
        elif tag in _BLOCKS:
            self._emit("\n\n")
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self._emit("\n\n" + "#" * int(tag[1]) + " ")
        elif tag == "pre":
            self.pre += 1
            self._emit("\n\n```\n")
        elif tag == "code" and not self.pre:
            self.code += 1
            self._emit("`")
        elif tag in ("ul", "ol"):
            self.lists.append([tag == "ol", 0])
            self._emit("\n")
        elif tag == "li" and self.lists:
            ordered = self.lists[-1]
            ordered[1] += 1
            marker = f"{ordered[1]}. " if ordered[0] else "- "
            self._emit("\n" + "  " * (len(self.lists) - 1) + marker)
        elif tag == "a":
            self.links.append(a.get("href"))
            self._emit("[")
        elif tag == "img":
            alt = _ESCAPE.sub(r"\\\1", a.get("alt") or "")
            if a.get("src"):
                self._emit(f"![{alt}]({a['src']})")
        elif tag == "hr":
            self._emit("\n\n---\n\n")
        elif tag == "table":
            self.table, self.header_rows = [], 0
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag in ("td", "th") and self.table is not None:
            if not self.table:
                self.table.append([])
            if tag == "th" and len(self.table) == 1:
                self.header_rows = 1
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif self.skip:
            return
        elif tag in _INLINE:
            self._emit(_INLINE[tag])
        elif tag in _BLOCKS or (len(tag) == 2 and tag[0] == "h" and tag[1] in "123456"):
            self._emit("\n\n")
        elif tag == "pre" and self.pre:
            self.pre -= 1
            self._emit("\n```\n\n")
        elif tag == "code" and not self.pre and self.code:
            self.code -= 1
            self._emit("`")
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self._emit("\n\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            self._emit(f"]({href})" if href else "]")
        elif tag in ("td", "th") and self.table is not None and self.cell is not None:
            cell = " ".join("".join(self.cell).split()).replace("|", "\\|")
            self.table[-1].append(cell)
            self.cell = None
        elif tag == "table" and self.table is not None:
            rows, self.table = [r for r in self.table if r], None
            if rows:
                width = max(len(r) for r in rows)
                rows = [r + [""] * (width - len(r)) for r in rows]
                head = rows[0] if self.header_rows else [""] * width
                body = rows[1:] if self.header_rows else rows
                lines = [head, ["---"] * width, *body]
                self.out.append("\n\n" + "\n".join("| " + " | ".join(r) + " |" for r in lines) + "\n\n")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self._emit(data if self.pre or self.code else _ESCAPE.sub(r"\\\1", data))

    def result(self) -> str:
        if self.cell is not None:  # an unclosed cell or table: keep what it held
            self.handle_endtag("td")
        if self.table is not None:
            self.handle_endtag("table")
        text = "".join(self.out)
        text = re.sub(r"[ \t]+\n", lambda m: m.group(0) if m.group(0).startswith("  ") else "\n", text)
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


VIDEO_FILE_MAX_BYTES = 256 << 20  # decoded RGB frames of one video file (a GIF of more is no use in a cell)


def decode_video(path) -> tuple[np.ndarray, float]:
    """The frames (L x H x W x 3 uint8) and frame rate of a video file (a path, or a binary file
    object such as the ``BytesIO`` of a data URL), decoded with PyAV."""
    try:
        import av
    except ImportError:
        raise ImportError(
            "video(videofile=...) decodes the file with PyAV, which is not installed: pip install av "
            "(or cellboard[video]); or pass the frames: viz.video(tensor=frames)"
        ) from None
    source = path if hasattr(path, "read") else os.fspath(path)
    name = repr(source) if isinstance(source, str) else "(a file object)"
    frames: list[np.ndarray] = []
    held = 0
    try:
        with av.open(source) as container:
            need(len(container.streams.video) > 0, f"videofile {name} holds no video stream")
            stream = container.streams.video[0]
            rate = float(stream.average_rate or 25)
            for frame in container.decode(stream):
                rgb = frame.to_ndarray(format="rgb24")
                held += rgb.nbytes
                need(
                    held <= VIDEO_FILE_MAX_BYTES,
                    f"videofile {name} decodes to more than {VIDEO_FILE_MAX_BYTES >> 20} MiB of frames "
                    f"(frame {len(frames) + 1}, {rgb.shape[1]} x {rgb.shape[0]}); pass fewer or smaller frames as tensor",
                )
                frames.append(rgb)
    except FileNotFoundError:
        raise
    except av.error.FFmpegError as exc:
        raise ValueError(f"videofile {name} cannot be decoded: {exc}") from None
    need(len(frames) > 0, f"videofile {name} holds no frames")
    return np.stack(frames), rate
