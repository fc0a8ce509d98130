"""The in-memory store both feeders fill: a live SummaryWriter and the log-directory reader.

Generic over the kinds registry (``cellboard.kinds``): the columnar scalars kind, and a list of
records per (run, kind, tag) for every other kind.

Scalars are columnar numpy arrays per (run, tag) that grow by doubling, so appending a batch
is O(batch) and a consumer (the board) can ask for "everything after index i" cheaply.
Every change bumps ``version``; a purge (``SessionLog.START``) bumps the series' ``epoch`` so
consumers know to resend it whole. Listeners are called in the thread that changed the store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from . import restarts
from .kinds import BY_NAME, RECORD_KINDS
from .kinds.audio import AudioRecord
from .kinds.custom_scalars import CustomScalarsRecord
from .kinds.embeddings import EmbeddingRecord
from .kinds.graph import SUMMARY_TAG as GRAPH_SUMMARY_TAG
from .kinds.graph import TAG as GRAPH_TAG
from .kinds.graph import GraphRecord, with_summaries
from .kinds.histograms import HistogramRecord
from .kinds.hparams import EXPERIMENT_TAG, SESSION_START_TAG, HParamsRecord
from .kinds.images import ImageRecord
from .kinds.mesh import Mesh
from .kinds.mesh import assemble as assemble_mesh
from .kinds.pr_curves import PrCurveRecord
from .kinds.scalars import ScalarColumn, Scalars
from .kinds.text import TextRecord


class TagDescription(NamedTuple):
    """What a tag's SummaryMetadata says about it besides its plugin (either may be "")."""

    display_name: str
    description: str


@dataclass
class RunData:
    scalars: dict[str, ScalarColumn] = field(default_factory=dict)
    records: dict[str, dict[str, list]] = field(default_factory=lambda: {k: {} for k in RECORD_KINDS})
    versions: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, tag) -> version
    # (kind, tag) -> times its records were cut (a purge, a step logged again): consumers that
    # hold them from an older epoch start over
    epochs: dict[tuple[str, str], int] = field(default_factory=dict)
    # (kind, tag) -> records steps logged again replaced
    replaced: dict[tuple[str, str], int] = field(default_factory=dict)

    def cut(self, kind: str, tag: str) -> None:
        """A (kind, tag)'s records were cut: a new epoch."""
        self.epochs[(kind, tag)] = self.epochs.get((kind, tag), 0) + 1


class Store:
    """Thread-safe store of everything logged, keyed by run and tag."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._runs: dict[str, RunData] = {}
        self.version = 0
        self._listeners: list[Callable[[], None]] = []
        self._close_listeners: list[Callable[[str], None]] = []
        self._notices: dict[str, str] = {}
        self.notices_version = 0
        self._progress: dict[str, int | bool] | None = None
        self.progress_version = 0
        self._expected: dict[tuple[str, str], int] = {}  # (run, tag) -> points once its run is read
        self._descriptions: dict[tuple[str, str], TagDescription] = {}
        self.descriptions_version = 0

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

    def append_scalars(self, run: str, tag: str, steps, walls, values, expected: int | None = None) -> None:
        """Append points; ``expected``: a reader's estimate of the points the series will hold once
        its run is read (see ``expected_points``), given with the points it follows from."""
        if len(steps) == 0:
            return
        with self._lock:
            data = self._run(run)
            col = data.scalars.get(tag)
            if col is None:
                col = data.scalars[tag] = ScalarColumn()
            col.append(steps, walls, values)
            if expected is not None and expected > col.n:
                self._expected[(run, tag)] = expected
            else:
                self._expected.pop((run, tag), None)
            self._bump(data, "scalars", tag)
        self._notify()

    def append_records(self, run: str, kind: str, tag: str, records: list) -> None:
        """Append records in logged order; for a kind kept per step (``Kind.preempts``), a step
        logged again replaces the tag's records from that step on (``cellboard.restarts``)."""
        if not records:
            return
        with self._lock:
            data = self._run(run)
            held = data.records[kind].setdefault(tag, [])
            if BY_NAME[kind].preempts:
                replaced, cut = restarts.extend(held, records)
                if cut:
                    data.cut(kind, tag)
                if replaced:
                    data.replaced[(kind, tag)] = data.replaced.get((kind, tag), 0) + replaced
            else:
                held.extend(records)
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
                        data.cut(kind, tag)
                        self._bump(data, kind, tag)
                        changed = True
        if changed:
            self._notify()

    def _bump(self, data: RunData, kind: str, tag: str) -> None:
        self.version += 1
        data.versions[(kind, tag)] = self.version

    def describe(self, run: str, tag: str, display_name: str, description: str) -> None:
        """A tag's display name and description (its SummaryMetadata's): the first ones given are
        kept, as TensorBoard keeps a tag's first metadata. Nothing is kept when both are empty."""
        if not (display_name or description):
            return
        with self._lock:
            if (run, tag) in self._descriptions:
                return
            self._descriptions[(run, tag)] = TagDescription(display_name, description)
            self.descriptions_version += 1
            self.version += 1
        self._notify()

    # ------------------------------------------------------------------ notices
    def set_notice(self, source: str, message: str | None) -> None:
        """Record (or with ``None`` clear) why ``source`` (a file, run or URL) could not be read.

        The board shows the current notices so that nothing unreadable is a silent gap.
        """
        with self._lock:
            if self._notices.get(source) == message or (message is None and source not in self._notices):
                return
            if message is None:
                del self._notices[source]
            else:
                self._notices[source] = message
            self.notices_version += 1
            self.version += 1
        self._notify()

    def set_progress(self, progress: dict[str, int | bool] | None) -> None:
        """How far a first read of a log directory has got (``runs_read``, ``runs``,
        ``bytes_read``, ``bytes``, ``loading``), for the board's header; None when unknown."""
        with self._lock:
            if progress == self._progress:
                return
            self._progress = None if progress is None else dict(progress)
            self.progress_version += 1
            self.version += 1
        self._notify()

    @property
    def progress(self) -> dict[str, int | bool] | None:
        with self._lock:
            return None if self._progress is None else dict(self._progress)

    @property
    def notices(self) -> dict[str, str]:
        """``{source: why it could not be read}`` for everything currently unreadable."""
        with self._lock:
            return dict(self._notices)

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

    def description(self, run: str, tag: str) -> TagDescription | None:
        """The display name and description the tag was logged with (TensorFlow's
        ``description=``, tensorboardX's ``display_name=``/``summary_description=``), or None."""
        with self._lock:
            return self._descriptions.get((run, tag))

    @property
    def descriptions(self) -> dict[tuple[str, str], TagDescription]:
        """``{(run, tag): TagDescription}`` of every tag logged with a display name or description."""
        with self._lock:
            return dict(self._descriptions)

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

    def expected_points(self, run: str, tag: str, n: int) -> int:
        """The points the series will hold once its run's files are read (a reader's estimate given
        with its last append), at least ``n``: the board sizes its buckets by it, so that a run
        being read is sent once at its final resolution rather than reduced chunk after chunk."""
        with self._lock:
            return max(n, self._expected.get((run, tag), n))

    def read_done(self, run: str) -> None:
        """A reader has read every byte listed for ``run``: its estimates no longer hold."""
        with self._lock:
            for key in [k for k in self._expected if k[0] == run]:
                del self._expected[key]

    def scalar_series_shape(self) -> tuple[int, int]:
        """``(scalar series, runs with at least one)``, at one instant."""
        with self._lock:
            counts = [len(d.scalars) for d in self._runs.values()]
        return sum(counts), sum(1 for c in counts if c)

    def scalar_column(self, run: str, tag: str) -> ScalarColumn:
        """The live column (for consumers that track ``n``/``epoch`` themselves)."""
        return self._data(run).scalars[tag]

    def records(self, run: str, kind: str, tag: str) -> list:
        """A copy of the records of one (run, kind, tag), in logged order."""
        with self._lock:
            recs = self._data(run).records[kind].get(tag)
            if recs is None:
                raise KeyError(f"run {run!r} has no {kind} tag {tag!r}")
            return list(recs)

    def record_count(self, run: str, kind: str, tag: str) -> int:
        with self._lock:
            return len(self._data(run).records[kind].get(tag, ()))

    def records_from(self, run: str, kind: str, tag: str, start: int) -> tuple[int, int, int, list]:
        """``(count, epoch, replaced, records[start:])`` read under one lock (the board sends only
        what is new; a new epoch means the records were cut, and it sends them all again)."""
        with self._lock:
            data = self._data(run)
            recs = data.records[kind].get(tag, [])
            key = (kind, tag)
            return len(recs), data.epochs.get(key, 0), data.replaced.get(key, 0), recs[start:]

    def replaced(self, run: str, kind: str, tag: str) -> int:
        """How many points or records of a series steps logged again have replaced
        (``cellboard.restarts``; the event files still hold them)."""
        with self._lock:
            data = self._data(run)
            if kind == "scalars":
                return self.scalar_column(run, tag).replaced
            if kind not in data.records:
                raise ValueError(f"kind must be 'scalars' or one of {', '.join(RECORD_KINDS)}, got {kind!r}")
            if tag not in data.records[kind]:
                raise KeyError(f"run {run!r} has no {kind} tag {tag!r}")
            return data.replaced.get((kind, tag), 0)

    def images(self, run: str, tag: str) -> list[ImageRecord]:
        return self.records(run, "images", tag)

    def histograms(self, run: str, tag: str) -> list[HistogramRecord]:
        return self.records(run, "histograms", tag)

    def text(self, run: str, tag: str) -> list[TextRecord]:
        return self.records(run, "text", tag)

    def audio(self, run: str, tag: str) -> list[AudioRecord]:
        return self.records(run, "audio", tag)

    def pr_curves(self, run: str, tag: str) -> list[PrCurveRecord]:
        return self.records(run, "pr_curves", tag)

    def hparams(self, run: str) -> list[HParamsRecord]:
        """The run's sessions; metric names come from the experiment record when the session's
        own list is empty (torch and tensorboardX write them only there). With no experiment
        (Keras' ``hp.KerasCallback``), they are TensorBoard's inferred ones: every scalar of a
        session's run (``tag``) or its sub-runs (``sub/run/tag``), the board's metric columns."""
        with self._lock:
            tags = self._data(run).records["hparams"]
            sessions = list(tags.get(SESSION_START_TAG, []))
            experiments = list(tags.get(EXPERIMENT_TAG, [])) or [
                r for d in self._runs.values() for r in d.records["hparams"].get(EXPERIMENT_TAG, [])
            ]
            metrics = list(dict.fromkeys(m for e in experiments for m in e.metrics))
            if not metrics and sessions:
                metrics = self._inferred_metrics()
        return [r if r.metrics else HParamsRecord(r.step, r.wall_time, r.hparams, metrics, r.domains) for r in sessions]

    def _inferred_metrics(self) -> list[str]:
        """Scalar series under session runs, named from their session (held lock)."""
        session_runs = {r for r, d in self._runs.items() if d.records["hparams"].get(SESSION_START_TAG)}
        names: set[str] = set()
        for run, data in self._runs.items():
            session = next((s for s in _run_and_parents(run) if s in session_runs), None)
            if session is None:
                continue
            sub = run if session == "." else run[len(session) + 1 :]
            names.update(t if run == session else f"{sub}/{t}" for t, c in data.scalars.items() if c.n)
        return sorted(names)

    def mesh(self, run: str, tag: str) -> list[Mesh]:
        """The meshes / point clouds logged with ``add_mesh(tag, ...)``, one per logged step (vertices,
        faces, colors, three.js config), from its tensors (tagged ``<tag>_VERTEX``... by torch, ``<tag>_1``...
        by tensorboardX: found by the name in their metadata)."""
        parts: dict[str, list] = {"VERTEX": [], "FACE": [], "COLOR": []}
        with self._lock:
            for recs in self._data(run).records["mesh"].values():
                for r in recs:
                    if r.name == tag:
                        parts[r.content].append(r)
        if not parts["VERTEX"]:
            raise KeyError(f"run {run!r} has no mesh tag {tag!r}")
        return assemble_mesh(parts)

    def embeddings(self, run: str, tag: str | None = None) -> list[EmbeddingRecord]:
        """The run's embeddings (``add_embedding``; all tags, or one), with matrix, metadata and sprite."""
        with self._lock:
            tags = self._data(run).records["embeddings"]
            if tag is not None and tag not in tags:
                raise KeyError(f"run {run!r} has no embedding tag {tag!r}")
            return [r for t, recs in tags.items() if tag is None or t == tag for r in recs]

    def custom_scalars(self, run: str) -> list[CustomScalarsRecord]:
        """The custom-scalar layouts logged in this run (``add_custom_scalars``)."""
        with self._lock:
            return [r for recs in self._data(run).records["custom_scalars"].values() for r in recs]

    def graph(self, run: str) -> list[GraphRecord]:
        """The model graphs of this run (``add_graph``, ``add_onnx_graph``; also torch's, tensorboardX's and
        TensorFlow's ``graph_def`` events and ``tf.summary.trace_export`` graphs, and the Keras TensorBoard
        callback's model config), in logged order: each has ``graph_def`` (the serialized ``GraphDef``;
        b"" for a Keras model, ``source`` "keras", and a trace, ``source`` "trace"), ``nodes`` (name, op,
        inputs, output shapes, attributes; a Keras model's layers) and
        ``summary`` (the per-module ``cellboard.summary`` table cellboard's ``add_graph`` logs with it, else None)."""
        with self._lock:
            recs = self._data(run).records["graph"]
            graphs, tables = list(recs.get(GRAPH_TAG, [])), list(recs.get(GRAPH_SUMMARY_TAG, []))
        return with_summaries(graphs, tables)

    def to_pandas(self):
        """Every scalar point as one long ``pandas.DataFrame`` (as tbparse gives it): columns ``run``,
        ``tag``, ``step``, ``wall_time``, ``value``; runs and tags sorted, points in logged order (a step
        logged again replaced the points from that step on: ``cellboard.restarts``)."""
        pd = require_pandas()
        with self._lock:
            parts = [
                (run, tag, col.snapshot())
                for run in sorted(self._runs)
                for tag, col in sorted(self._runs[run].scalars.items())
                if col.n
            ]
        counts = [len(s) for _, _, s in parts]
        return pd.DataFrame(
            {
                "run": pd.Categorical(np.repeat([r for r, _, _ in parts], counts) if parts else []),
                "tag": pd.Categorical(np.repeat([t for _, t, _ in parts], counts) if parts else []),
                "step": np.concatenate([s.steps for _, _, s in parts]) if parts else np.empty(0, np.int64),
                "wall_time": np.concatenate([s.wall_times for _, _, s in parts]) if parts else np.empty(0, np.float64),
                "value": np.concatenate([s.values for _, _, s in parts]) if parts else np.empty(0, np.float64),
            }
        )

    def changes_since(self, version: int) -> list[tuple[str, str, str]]:
        """``(run, kind, tag)`` of every series changed after ``version``."""
        with self._lock:
            return [
                (run, kind, tag)
                for run, data in self._runs.items()
                for (kind, tag), v in data.versions.items()
                if v > version
            ]

    def __repr__(self) -> str:
        with self._lock:
            n = sum(c.n for d in self._runs.values() for c in d.scalars.values())
        return f"<cellboard.Store {len(self._runs)} runs, {n} scalar points>"


def require_pandas():
    """The ``pandas`` module, or an ImportError saying how to get it (it is optional)."""
    try:
        import pandas
    except ImportError as exc:
        raise ImportError("cellboard: to_pandas() needs pandas, which is optional: pip install pandas") from exc
    return pandas


__all__ = [
    "AudioRecord",
    "CustomScalarsRecord",
    "GraphRecord",
    "HParamsRecord",
    "HistogramRecord",
    "ImageRecord",
    "PrCurveRecord",
    "RunData",
    "ScalarColumn",
    "Scalars",
    "Store",
    "TextRecord",
]


def _run_and_parents(run: str) -> list[str]:
    """``a/b/c``, ``a/b``, ``a``, ``.``: where a run's session may be, nearest first."""
    parts = run.split("/") if run != "." else []
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)] + ["."]
