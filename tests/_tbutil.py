"""Helpers shared by the interop tests: TensorBoard's own readers, PNG/WAV decoding, file access."""

from __future__ import annotations

import io
import os
import wave

import numpy as np
from PIL import Image
from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.backend.event_processing import plugin_event_accumulator as pea
from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader
from tensorboard.util import tensor_util


def legacy_acc(path) -> ea.EventAccumulator:
    """TensorBoard's classic accumulator (scalars/images/histograms/audio), keeping every event."""
    acc = ea.EventAccumulator(os.fspath(path), size_guidance={k: 0 for k in ea.DEFAULT_SIZE_GUIDANCE})
    acc.Reload()
    return acc


def plugin_acc(path) -> pea.EventAccumulator:
    """The accumulator TensorBoard's plugins use (everything migrated to tensors), keeping every event."""
    acc = pea.EventAccumulator(os.fspath(path), size_guidance={k: 0 for k in pea.DEFAULT_SIZE_GUIDANCE})
    acc.Reload()
    return acc


def tensors(acc: pea.EventAccumulator, tag: str) -> list[tuple[int, float, np.ndarray]]:
    return [(e.step, e.wall_time, tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]


def event_files(path) -> list[str]:
    return sorted(os.path.join(path, n) for n in os.listdir(path) if "tfevents" in n)


def raw_events(file_path) -> list:
    """Every Event proto in one file, in order, as written (TensorBoard's loader, no migration)."""
    return list(LegacyEventFileLoader(os.fspath(file_path)).Load())


def decode_png(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def wav_frames(data: bytes) -> tuple[int, int, np.ndarray]:
    """``(channels, rate, int16 samples)`` of a WAV byte string."""
    with wave.open(io.BytesIO(data), "rb") as w:
        return w.getnchannels(), w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), "<i2")


def f32(x) -> float:
    return float(np.float32(x))


def same_floats(a, b) -> bool:
    """Element-wise equal, NaN equal to NaN (and nothing else)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def tb_histogram(acc: pea.EventAccumulator, tag: str) -> list[tuple[int, float, np.ndarray, np.ndarray]]:
    """``(step, wall, edges, counts)`` from TensorBoard's ``[k, 3]`` histogram tensors."""
    out = []
    for step, wall, arr in tensors(acc, tag):
        arr = np.asarray(arr, np.float64).reshape(-1, 3)
        edges = np.concatenate([arr[:, 0], arr[-1:, 1]]) if len(arr) else np.zeros(0)
        out.append((step, wall, edges, arr[:, 2]))
    return out


def kept_by_tensorboard(steps: list[int]) -> list[int]:
    """Indices of the records of one series TensorBoard's data server keeps, offered one by one:
    one at or below the last step held drops every held record at its step or later (its
    reservoirs' preemption; a run resumed into the same directory replaces what it logs again)."""
    held: list[int] = []
    for i, s in enumerate(steps):
        while held and steps[held[-1]] >= s:
            held.pop()
        held.append(i)
    return held
