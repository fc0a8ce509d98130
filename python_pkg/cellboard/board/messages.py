"""Assembling the board's delta messages (docs/protocol.md), generic over the kinds registry.

Scalars are sent as float64 columns, min/max-bucketed when a series is longer than its share
of the point budget (spikes are never dropped); every other kind is a list of records, each
turned into an entry by its kind module (``kinds.<kind>.entry``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..store import TagDescription

MAX_RAW_POINTS = 100_000  # per series; longer series are sent as min/max buckets
TOTAL_POINTS_BUDGET = 2_000_000  # over all series: 2000 series of 10k points get 1000 each
MIN_SERIES_POINTS = 1_024
MAX_MESSAGE_BYTES = 2_000_000  # buffers per message, well under Jupyter's ~10 MB limits

Send = Callable[[dict[str, Any], list[bytes | memoryview]], None]


class DeltaMessage:
    """Accumulates delta entries and their buffers, split at ``MAX_MESSAGE_BYTES``."""

    def __init__(self, send: Send, runs: list[str], sync: int | None = None) -> None:
        self._send, self._runs, self._sync = send, runs, sync
        self.messages = 0
        self.bytes = 0
        self._reset()

    def _reset(self) -> None:
        self.entries: dict[str, list[dict[str, Any]]] = {}
        self.resets: list[dict[str, str]] = []
        self.notices: list[dict[str, str]] | None = None
        self.progress: dict[str, int | bool] | None = None
        self.descriptions: list[dict[str, str]] | None = None
        self.buffers: list[bytes | memoryview] = []
        self.size = 0

    def add(self, kind: str, entry: dict[str, Any], buffer: bytes | memoryview | None = None) -> None:
        if buffer is not None:
            if self.size and self.size + len(buffer) > MAX_MESSAGE_BYTES:
                self.flush()
            entry["buffer"] = len(self.buffers)
            self.buffers.append(buffer)
            self.size += len(buffer)
        self.entries.setdefault(kind, []).append(entry)

    def reset(self, kind: str, run: str, tag: str) -> None:
        """The view drops what it holds of this record list (a purge); the list follows."""
        self.resets.append({"kind": kind, "run": run, "tag": tag})

    def set_notices(self, notices: dict[str, str]) -> None:
        self.notices = [{"source": k, "message": v} for k, v in sorted(notices.items())]

    def set_descriptions(self, descriptions: dict[tuple[str, str], TagDescription]) -> None:
        """Every tag's display name and description (``Store.descriptions``), the whole list."""
        self.descriptions = [
            {"run": run, "tag": tag, "display_name": d.display_name, "description": d.description}
            for (run, tag), d in sorted(descriptions.items())
        ]

    def flush(self, force: bool = False, last: bool = False) -> None:
        """Send what is accumulated; ``last`` marks the end of this delta (and of its sync group)."""
        if not force and not (
            self.entries
            or self.resets
            or self.notices is not None
            or self.progress is not None
            or self.descriptions is not None
        ):
            return
        content: dict[str, Any] = {"type": "delta", "runs": self._runs, "reset": self.resets, "entries": self.entries}
        if self.notices is not None:
            content["notices"] = self.notices
        if self.progress is not None:
            content["progress"] = self.progress
        if self.descriptions is not None:
            content["descriptions"] = self.descriptions
        if self._sync is not None:
            # a full resend, possibly split over several messages: the view is complete once it
            # holds every message of the group (contiguous seqs, ending with sync_end)
            content["sync"] = self._sync
            if self.messages == 0:
                content["sync_first"] = True
            if last:
                content["sync_end"] = True
        self._send(content, self.buffers)
        self.messages += 1
        self.bytes += self.size
        self._reset()


def columns(steps: np.ndarray, walls: np.ndarray, values: np.ndarray) -> bytes:
    """steps | wall times | values as one little-endian float64 buffer."""
    return np.concatenate([steps.astype("<f8"), walls.astype("<f8"), values.astype("<f8")]).tobytes()


def bucket_size(n: int, cap: int) -> int:
    """1 if ``n`` points fit in ``cap``, else the power of two whose min/max pairs fit."""
    bucket = 1
    while n > cap and 2 * n > bucket * cap:
        bucket *= 2
    return bucket


def minmax_buckets(
    steps: np.ndarray, walls: np.ndarray, values: np.ndarray, bucket: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each full bucket of ``bucket`` points: its min and max points, in original order."""
    nb = len(values) // bucket
    v = values[: nb * bucket].reshape(nb, bucket)
    base = np.arange(nb) * bucket
    lo, hi = base + np.argmin(v, axis=1), base + np.argmax(v, axis=1)
    idx = np.stack([np.minimum(lo, hi), np.maximum(lo, hi)], axis=1).ravel()
    return steps[idx], walls[idx], values[idx]


def fold_sizes(old_bucket: int, held: int, new_bucket: int) -> tuple[int, int]:
    """How a view holding ``held`` points of a series bucketed by ``old_bucket`` (full buckets only:
    min/max pairs, or raw points when ``old_bucket`` is 1) reaches ``new_bucket`` without a resend.

    Returns ``(size, count)``: its first ``count`` groups of ``size`` held points each become the
    group's min and max point (``minmax_buckets(held, size)``), which are exactly the min/max
    buckets of ``new_bucket`` raw points (the first minimum of a bucket is the first minimum of the
    first of its halves that holds it; NaN counts as both, as ``np.argmin``). ``(0, 0)``: nothing
    can be folded (the bucket shrinks, or the view holds less than one new bucket).
    """
    if old_bucket < 1 or new_bucket <= old_bucket or new_bucket % old_bucket:
        return 0, 0
    per_bucket = 1 if old_bucket == 1 else 2
    factor = new_bucket // old_bucket
    count = (held // per_bucket) // factor
    return (factor * per_bucket, count) if count else (0, 0)


def series_cap(n_series: int) -> int:
    """Points a series may hold in the view: the total budget shared by every series.

    A power of two, so that it changes only ~log2(series) times as runs arrive: each change
    re-buckets the series sent under a bigger share (the view stays within the budget).
    """
    share = TOTAL_POINTS_BUDGET // max(1, n_series)
    return max(MIN_SERIES_POINTS, min(MAX_RAW_POINTS, 1 << max(0, share.bit_length() - 1)))
