"""PR curves: precision/recall at ``n`` thresholds per step (``add_pr_curve``), from the
``pr_curves`` plugin's ``[6, n]`` tensors (TP, FP, TN, FN, precision, recall)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..tfevents import messages as M
from ..tfevents.wire import f_varint
from .base import Kind


@dataclass(frozen=True)
class PrCurveRecord:
    step: int
    wall_time: float
    data: np.ndarray  # [6, num_thresholds]: TP, FP, TN, FN, precision, recall


def decode(val: M.Value, plugin: str, step: int, wall: float) -> list[PrCurveRecord]:
    if val.kind != "tensor" or val.payload is None:
        return []
    data = M.decode_tensor(val.payload).numbers()
    if data.ndim != 2 or data.shape[0] != 6:
        raise ValueError(f"a PR curve tensor must have shape [6, n], got {list(data.shape)}")
    return [PrCurveRecord(step, wall, data.astype(np.float32))]


def encode(tag: str, data: np.ndarray, step: int, wall: float) -> tuple[bytes, PrCurveRecord]:
    content = f_varint(2, data.shape[1])  # PrCurvePluginData{version=0, num_thresholds}
    meta = M.plugin_metadata("pr_curves", content, M.DATA_CLASS_TENSOR)
    ev = M.event(wall, step, summary=M.summary(M.value(tag, tensor=M.array_tensor(data), metadata=meta)))
    return ev, PrCurveRecord(step, wall, data)


def entry(r: PrCurveRecord) -> tuple[dict[str, Any], bytes | None]:
    return {"thresholds": int(r.data.shape[1])}, np.asarray(r.data, "<f8").tobytes()


KIND = Kind("pr_curves", decode, entry, plugins=("pr_curves",), preempts=True)
