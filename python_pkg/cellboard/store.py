"""The in-memory store both feeders fill: a live SummaryWriter and the log-directory reader.

Scalars are columnar numpy arrays per (run, tag) that grow by doubling, so appending a batch
is O(batch) and a consumer (the board) can ask for "everything after index i" cheaply.
Every change bumps ``version``; a purge (``SessionLog.START``) bumps the series' ``epoch`` so
consumers know to resend it whole. Listeners are called in the thread that changed the store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

KINDS = ("scalars", "images", "histograms", "text", "audio", "pr_curves", "hparams")


@dataclass(frozen=True)
class Scalars:
    """A scalar series: three aligned numpy arrays in the order they were logged."""

    steps: np.ndarray  # int64
    wall_times: np.ndarray  # float64
    values: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class ImageRecord:
    step: int
    wall_time: float
    png: bytes  # encoded image as logged (PNG from cellboard/torch; may be JPEG/GIF from others)
    width: int
    height: int


@dataclass(frozen=True)
class HistogramRecord:
    step: int
    wall_time: float
    edges: np.ndarray  # k+1 bucket edges
    counts: np.ndarray  # k counts


@dataclass(frozen=True)
class TextRecord:
    step: int
    wall_time: float
    text: str


@dataclass(frozen=True)
class AudioRecord:
    step: int
    wall_time: float
    wav: bytes
    sample_rate: float
    content_type: str = "audio/wav"


@dataclass(frozen=True)
class PrCurveRecord:
    step: int
    wall_time: float
    data: np.ndarray  # [6, num_thresholds]: TP, FP, TN, FN, precision, recall


@dataclass(frozen=True)
class HParamsRecord:
    step: int
    wall_time: float
    hparams: dict
    metrics: list[str]


class ScalarColumn:
    """Growable aligned arrays; ``epoch`` changes when history is rewritten (purge)."""

    __slots__ = ("steps", "walls", "values", "n", "epoch")

    def __init__(self) -> None:
        self.steps = np.empty(64, np.int64)
        self.walls = np.empty(64, np.float64)
        self.values = np.empty(64, np.float64)
        self.n = 0
        self.epoch = 0

    def append(self, steps, walls, values) -> None:
        k = len(steps)
        need = self.n + k
        if need > len(self.steps):
            cap = max(need, 2 * len(self.steps))
            for name in ("steps", "walls", "values"):
                old = getattr(self, name)
                new = np.empty(cap, old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        self.steps[self.n : need] = steps
        self.walls[self.n : need] = walls
        self.values[self.n : need] = values
        self.n = need

    def purge(self, step: int) -> bool:
        keep = self.steps[: self.n] < step
        if keep.all():
            return False
        m = int(keep.sum())
        for name in ("steps", "walls", "values"):
            arr = getattr(self, name)
            arr[:m] = arr[: self.n][keep]
        self.n = m
        self.epoch += 1
        return True

    def snapshot(self, start: int = 0) -> Scalars:
        return Scalars(self.steps[start : self.n].copy(), self.walls[start : self.n].copy(),
                       self.values[start : self.n].copy())


@dataclass
class RunData:
    scalars: dict[str, ScalarColumn] = field(default_factory=dict)
    records: dict[str, dict[str, list]] = field(default_factory=lambda: {k: {} for k in KINDS[1:]})
    versions: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, tag) -> version


class Store:
    """Thread-safe store of everything logged, keyed by run and tag."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._runs: dict[str, RunData] = {}
        self.version = 0
        self._listeners: list[Callable[[], None]] = []
        self._close_listeners: list[Callable[[str], None]] = []

    # ------------------------------------------------------------------ writing
    def _run(self, run: str) -> RunData:
        data = self._runs.get(run)
        if data is None:
            data = self._runs[run] = RunData()
        return data

    def ensure_run(self, run: str) -> None:
        with self._lock:
            if run not in self._runs:
                self._run(run)
                self.version += 1
        self._notify()

    def append_scalars(self, run: str, tag: str, steps, walls, values) -> None:
        if len(steps) == 0:
            return
        with self._lock:
            data = self._run(run)
            col = data.scalars.get(tag)
            if col is None:
                col = data.scalars[tag] = ScalarColumn()
            col.append(steps, walls, values)
            self._bump(data, "scalars", tag)
        self._notify()

    def append_records(self, run: str, kind: str, tag: str, records: list) -> None:
        if not records:
            return
        with self._lock:
            data = self._run(run)
            data.records[kind].setdefault(tag, []).extend(records)
            self._bump(data, kind, tag)
        self._notify()

    def purge(self, run: str, step: int) -> None:
        """Drop everything at ``step`` or later, as TensorBoard does on ``SessionLog.START``."""
        changed = False
        with self._lock:
            data = self._runs.get(run)
            if data is None:
                return
            for tag, col in data.scalars.items():
                if col.purge(step):
                    self._bump(data, "scalars", tag)
                    changed = True
            for kind, tags in data.records.items():
                for tag, recs in tags.items():
                    kept = [r for r in recs if r.step < step]
                    if len(kept) != len(recs):
                        tags[tag] = kept
                        self._bump(data, kind, tag)
                        changed = True
        if changed:
            self._notify()

    def _bump(self, data: RunData, kind: str, tag: str) -> None:
        self.version += 1
        data.versions[(kind, tag)] = self.version

    # ------------------------------------------------------------------ listeners
    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return unsubscribe

    def on_writer_closed(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(run)`` when a writer feeding this store is closed."""
        with self._lock:
            self._close_listeners.append(callback)

    def writer_closed(self, run: str) -> None:
        for cb in list(self._close_listeners):
            cb(run)

    def _notify(self) -> None:
        for cb in list(self._listeners):
            cb()

    # ------------------------------------------------------------------ reading
    @property
    def runs(self) -> list[str]:
        with self._lock:
            return sorted(self._runs)

    def tags(self, run: str) -> dict[str, list[str]]:
        with self._lock:
            data = self._data(run)
            out = {"scalars": sorted(t for t, c in data.scalars.items() if c.n)}
            for kind, tags in data.records.items():
                out[kind] = sorted(t for t, recs in tags.items() if recs)
            return out

    def _data(self, run: str) -> RunData:
        try:
            return self._runs[run]
        except KeyError:
            raise KeyError(f"no run {run!r}; runs are {self.runs}") from None

    def scalars(self, run: str, tag: str) -> Scalars:
        with self._lock:
            col = self._data(run).scalars.get(tag)
            if col is None:
                raise KeyError(f"run {run!r} has no scalar tag {tag!r}")
            return col.snapshot()

    @property
    def n_scalar_series(self) -> int:
        with self._lock:
            return sum(len(d.scalars) for d in self._runs.values())

    def scalar_column(self, run: str, tag: str) -> ScalarColumn:
        """The live column (for consumers that track ``n``/``epoch`` themselves)."""
        return self._data(run).scalars[tag]

    def _records(self, run: str, kind: str, tag: str) -> list:
        with self._lock:
            recs = self._data(run).records[kind].get(tag)
            if recs is None:
                raise KeyError(f"run {run!r} has no {kind} tag {tag!r}")
            return list(recs)

    def images(self, run: str, tag: str) -> list[ImageRecord]:
        return self._records(run, "images", tag)

    def histograms(self, run: str, tag: str) -> list[HistogramRecord]:
        return self._records(run, "histograms", tag)

    def text(self, run: str, tag: str) -> list[TextRecord]:
        return self._records(run, "text", tag)

    def audio(self, run: str, tag: str) -> list[AudioRecord]:
        return self._records(run, "audio", tag)

    def pr_curves(self, run: str, tag: str) -> list[PrCurveRecord]:
        return self._records(run, "pr_curves", tag)

    def hparams(self, run: str) -> list[HParamsRecord]:
        with self._lock:
            return [r for recs in self._data(run).records["hparams"].values() for r in recs]

    def changes_since(self, version: int) -> list[tuple[str, str, str]]:
        """``(run, kind, tag)`` of every series changed after ``version``."""
        with self._lock:
            return [(run, kind, tag) for run, data in self._runs.items()
                    for (kind, tag), v in data.versions.items() if v > version]

    def __repr__(self) -> str:
        with self._lock:
            n = sum(c.n for d in self._runs.values() for c in d.scalars.values())
        return f"<cellboard.Store {len(self._runs)} runs, {n} scalar points>"
