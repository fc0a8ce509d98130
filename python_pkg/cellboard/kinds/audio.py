"""Audio: a clip per step (``add_audio``), from the legacy ``Summary.Audio`` field and the
``audio`` plugin's ``[k, 2]`` string tensors (encoded clip, label)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import summaries as S
from ..tfevents import messages as M
from ..tfevents.wire import I32, LEN, iter_fields
from .base import Kind


@dataclass(frozen=True)
class AudioRecord:
    step: int
    wall_time: float
    wav: bytes
    sample_rate: float
    content_type: str = "audio/wav"
    channels: int = 0  # 0 when the file does not say
    frames: int = 0


def decode(val: M.Value, plugin: str, step: int, wall: float) -> list[AudioRecord]:
    if val.payload is None:
        return []
    if val.kind == "audio":
        rate, channels, frames, data, ctype = 0.0, 0, 0, b"", "audio/wav"
        for f, wt, v in iter_fields(val.payload):
            if isinstance(v, int):  # VARINT
                if f == 2:
                    channels = v
                elif f == 3:
                    frames = v
            elif f == 1 and wt == I32:
                rate = float(np.frombuffer(v, "<f4")[0])
            elif f == 4 and wt == LEN:
                data = bytes(v)
            elif f == 5 and wt == LEN:
                ctype = bytes(v).decode("utf-8", "replace")
        return [AudioRecord(step, wall, data, rate, ctype, channels, frames)]
    if val.kind != "tensor":
        return []
    # the plugin's metadata carries no sample rate: the WAV header does (TensorFlow's clips)
    return [AudioRecord(step, wall, s, *_wav_format(s)) for s in M.decode_tensor(val.payload).string_val[::2]]


def _wav_format(data: bytes) -> tuple[float, str, int, int]:
    """``(sample_rate, content type, channels, frames)`` from a RIFF/WAVE header; 0s where the
    clip is not a WAV or its header is damaged (the browser may still play it)."""
    rate, channels, block, frames = 0, 0, 0, 0
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        pos = 12
        while pos + 8 <= len(data):
            cid, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
            if cid == b"fmt " and size >= 16 and pos + 24 <= len(data):
                channels, rate, _, block = struct.unpack_from("<HIIH", data, pos + 10)
            elif cid == b"data":
                # the bytes present: a streamed WAV may declare 0 or 0xFFFFFFFF
                frames = min(size, len(data) - pos - 8) // block if block else 0
                break
            pos += 8 + size + (size & 1)  # chunks are padded to an even size
    return float(rate), "audio/wav", channels, frames


def encode(tag: str, snd: Any, sample_rate: int, step: int, wall: float) -> tuple[bytes, AudioRecord]:
    """A 16-bit PCM WAV in the legacy ``Summary.Audio`` field, as torch writes it."""
    wav, channels, frames = S.encode_wav(snd, sample_rate)
    audio = M.audio(float(sample_rate), channels, frames, wav)
    ev = M.event(wall, step, summary=M.summary(M.value(tag, audio=audio)))
    return ev, AudioRecord(step, wall, wav, float(sample_rate), "audio/wav", channels, frames)


def entry(r: AudioRecord) -> tuple[dict[str, Any], bytes | None]:
    return {"sample_rate": r.sample_rate, "mime": r.content_type or "audio/wav"}, r.wav


KIND = Kind("audio", decode, entry, plugins=("audio",), legacy=("audio",), preempts=True)
