"""``cellboard.Board``: the anywidget that shows a ``Store`` live in a notebook cell.

The board pushes binary deltas (see docs/protocol.md): a store change (from the logging
thread) sends at once if the last send is older than ``interval``, otherwise a one-shot
timer sends what is pending when the interval is up. Each message carries only what the
view does not have yet; a view that renders late says ``hello`` and gets everything again.
History stays here, never in synced traits.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import anywidget
import numpy as np
import traitlets

from .store import Store

_STATIC = Path(__file__).parent / "static"
_MISSING_BUNDLE = """
export default { render({ el }) {
  el.textContent = "cellboard: the frontend bundle (static/widget.js) is missing. "
    + "Reinstall cellboard, or build it with `npm run build` in js/.";
} };
"""

MAX_RAW_POINTS = 100_000  # per series; longer series are sent as min/max buckets
TOTAL_POINTS_BUDGET = 2_000_000  # over all series: 2000 series of 10k points get 1000 each
MIN_SERIES_POINTS = 1_000
MAX_MESSAGE_BYTES = 2_000_000  # buffers per message, well under Jupyter's ~10 MB limits
UNCONFIRMED_RESEND_POINTS = 5_000  # until the view says hello, small series are resent whole


def _bundle(name: str, fallback: str) -> Path | str:
    path = _STATIC / name
    return path if path.exists() else fallback


class _SeriesState:
    __slots__ = ("epoch", "sent", "bucket")

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch
        self.sent = 0  # points the view holds (decimated coordinates when bucket > 1)
        self.bucket = 1


class _Message:
    """Accumulates delta entries and their buffers, split at ``MAX_MESSAGE_BYTES``."""

    def __init__(self, send, runs: list[str]) -> None:
        self._send, self._runs = send, runs
        self._reset()
        self.messages = 0
        self.bytes = 0

    def _reset(self) -> None:
        self.content: dict = {"type": "delta", "reset": [], "scalars": [], "images": [], "histograms": [],
                              "text": []}
        self.buffers: list[bytes] = []
        self.size = 0

    def add(self, kind: str, entry: dict, buffer: bytes | None = None) -> None:
        if buffer is not None:
            if self.size and self.size + len(buffer) > MAX_MESSAGE_BYTES:
                self.flush()
            entry["buffer"] = len(self.buffers)
            self.buffers.append(buffer)
            self.size += len(buffer)
        self.content[kind].append(entry)

    def flush(self, force: bool = False) -> None:
        if not force and not any(self.content[k] for k in ("reset", "scalars", "images", "histograms", "text")):
            return
        self.content["runs"] = self._runs
        self._send(self.content, self.buffers)
        self.messages += 1
        self.bytes += self.size
        self._reset()


def _columns(steps: np.ndarray, walls: np.ndarray, values: np.ndarray) -> bytes:
    return np.concatenate([steps.astype("<f8"), walls.astype("<f8"), values.astype("<f8")]).tobytes()


def bucket_size(n: int, cap: int) -> int:
    """1 if ``n`` points fit in ``cap``, else the power of two whose min/max pairs fit."""
    bucket = 1
    while n > cap and 2 * n > bucket * cap:
        bucket *= 2
    return bucket


def minmax_buckets(steps, walls, values, bucket: int):
    """For each full bucket of ``bucket`` points: its min and max points, in original order."""
    nb = len(values) // bucket
    v = values[: nb * bucket].reshape(nb, bucket)
    base = np.arange(nb) * bucket
    lo, hi = base + np.argmin(v, axis=1), base + np.argmax(v, axis=1)
    idx = np.stack([np.minimum(lo, hi), np.maximum(lo, hi)], axis=1).ravel()
    return steps[idx], walls[idx], values[idx]


class Board(anywidget.AnyWidget):
    """A live TensorBoard-style board for one or more runs, fed by a ``Store``.

    ``SummaryWriter.show()`` creates one for its writer; to compare runs, give several
    writers the same board: ``board.writer("runs/a")``, ``board.writer("runs/b")``.
    """

    _esm = _bundle("widget.js", _MISSING_BUNDLE)
    _css = _bundle("widget.css", "")

    height = traitlets.Int(560).tag(sync=True)
    smoothing = traitlets.Float(0.6).tag(sync=True)
    x_axis = traitlets.Unicode("step").tag(sync=True)
    log_y = traitlets.Bool(False).tag(sync=True)
    tag_filter = traitlets.Unicode("").tag(sync=True)
    run_filter = traitlets.Unicode("").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)

    def __init__(self, store: Store | None = None, *, interval: float = 0.1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store if store is not None else Store()
        self.interval = interval
        self._lock = threading.RLock()
        self._seen = 0  # store version already sent
        self._series: dict[tuple[str, str], _SeriesState] = {}
        self._records: dict[tuple[str, str, str], int] = {}  # (kind, run, tag) -> records sent
        self._confirmed = False  # a view said hello: it holds what we sent since
        self._last_send = 0.0
        self._timer: threading.Timer | None = None
        self._handle = None
        self._close_callbacks: list = []
        self.follower = None  # a LogdirFollower feeding the store, when opened from a log directory
        self.seq = 0
        self.messages_sent = 0
        self.bytes_sent = 0
        self._unsubscribe = self.store.subscribe(self._on_change)
        self.store.on_writer_closed(self._on_writer_closed)
        self.on_msg(self._on_msg)

    # ------------------------------------------------------------------ display
    def _ipython_display_(self) -> None:
        self.show()

    def show(self) -> Board:
        """Display the board (the output also carries a PNG fallback once snapshotted)."""
        from IPython.display import display

        data, metadata = self._repr_mimebundle_()
        self._handle = display(data, metadata=metadata, raw=True, display_id=True)
        self.send_pending()
        return self

    def snapshot(self) -> bytes:
        """Render the scalar charts to PNG and attach it to the board's output.

        Notebook viewers without widget support (GitHub, nbviewer, VS Code after reload)
        show the PNG; live frontends keep showing the widget.
        """
        from .snapshot import render_png

        self.send_pending()
        png = render_png(self.store, smoothing=self.smoothing, title=self.title)
        if self._handle is not None:
            import base64

            data, metadata = self._repr_mimebundle_()
            data = dict(data, **{"image/png": base64.b64encode(png).decode("ascii")})
            self._handle.update(data, metadata=metadata, raw=True)
        return png

    def _on_writer_closed(self, _run: str) -> None:
        if self._handle is not None:
            self.snapshot()

    def writer(self, log_dir=None, **kwargs):
        """A ``SummaryWriter`` whose run shows on this board."""
        from .writer import SummaryWriter

        return SummaryWriter(log_dir, store=self.store, **kwargs)

    def on_close(self, callback) -> None:
        """Call ``callback()`` when the board is closed (e.g. to stop following a directory)."""
        self._close_callbacks.append(callback)

    def close(self) -> None:
        for cb in self._close_callbacks:
            cb()
        self._close_callbacks.clear()
        self._unsubscribe()
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
        super().close()

    # ------------------------------------------------------------------ sending
    def _on_change(self) -> None:
        now = time.monotonic()
        if now - self._last_send >= self.interval:
            self.send_pending()
            return
        with self._lock:
            if self._timer is None:
                delay = max(0.0, self.interval - (now - self._last_send))
                self._timer = threading.Timer(delay, self._timer_fired)
                self._timer.daemon = True
                self._timer.start()

    def _timer_fired(self) -> None:
        with self._lock:
            self._timer = None
        self.send_pending()

    def send_pending(self) -> None:
        """Send everything the view does not have yet (no-op when nothing changed)."""
        with self._lock:
            self._last_send = time.monotonic()
            version = self.store.version
            if version == self._seen:
                return
            changes = self.store.changes_since(self._seen)
            self._seen = version
            msg = _Message(self._send_raw, self.store.runs)
            for run, kind, tag in sorted(changes):
                if kind == "scalars":
                    self._add_scalars(msg, run, tag)
                else:
                    self._add_records(msg, kind, run, tag)
            msg.flush(force=not changes)
            # a delta split in several messages spends several intervals: ~10 messages/s on average
            self._last_send += max(0, msg.messages - 1) * self.interval

    def _send_raw(self, content: dict, buffers: list[bytes]) -> None:
        self.seq += 1
        content["seq"] = self.seq
        self.messages_sent += 1
        self.bytes_sent += sum(len(b) for b in buffers)
        if self.comm is not None:
            self.send(content, buffers)

    def _add_scalars(self, msg: _Message, run: str, tag: str) -> None:
        col = self.store.scalar_column(run, tag)
        with self.store._lock:  # a consistent (n, epoch) and arrays
            n, epoch = col.n, col.epoch
            steps, walls, values = col.steps[:n], col.walls[:n], col.values[:n]
            st = self._series.get((run, tag))
            if st is None or st.epoch != epoch:
                st = self._series[(run, tag)] = _SeriesState(epoch)
            bucket = bucket_size(n, self._series_cap())
            if bucket != st.bucket:
                st.bucket, st.sent = bucket, 0
            if bucket == 1:
                start = 0 if (not self._confirmed and n <= UNCONFIRMED_RESEND_POINTS) else st.sent
                s, w, v = steps[start:], walls[start:], values[start:]
                offset, st.sent = start, n
            else:
                done = st.sent // 2  # full buckets the view has
                full = n // bucket
                bs, bw, bv = minmax_buckets(steps[done * bucket : full * bucket], walls[done * bucket : full * bucket],
                                            values[done * bucket : full * bucket], bucket)
                tail = slice(full * bucket, n)
                s = np.concatenate([bs, steps[tail]])
                w = np.concatenate([bw, walls[tail]])
                v = np.concatenate([bv, values[tail]])
                offset, st.sent = 2 * done, 2 * full
            payload = _columns(s, w, v)
        msg.add("scalars", {"run": run, "tag": tag, "epoch": epoch, "offset": int(offset), "count": len(s),
                            "decimated": bucket > 1, "total": int(n)}, payload)

    def _series_cap(self) -> int:
        """Points a series may send whole: the total budget shared by every series."""
        n_series = max(1, self.store.n_scalar_series)
        return max(MIN_SERIES_POINTS, min(MAX_RAW_POINTS, TOTAL_POINTS_BUDGET // n_series))

    def _add_records(self, msg: _Message, kind: str, run: str, tag: str) -> None:
        try:
            recs = self.store._records(run, kind, tag)
        except KeyError:
            return
        key = (kind, run, tag)
        sent = self._records.get(key, 0)
        if sent > len(recs):  # purged: the view drops what it holds, then gets the list again
            msg.content["reset"].append({"kind": kind, "run": run, "tag": tag})
            sent = 0
        elif not self._confirmed:
            sent = 0  # the view may have missed them: resend (idempotent by index)
        for i in range(sent, len(recs)):
            r = recs[i]
            base = {"run": run, "tag": tag, "index": i, "step": int(r.step), "wall": float(r.wall_time)}
            if kind == "images":
                msg.add("images", dict(base, width=r.width, height=r.height, mime=_mime(r.png)), r.png)
            elif kind == "histograms":
                buf = np.concatenate([r.edges, r.counts]).astype("<f8").tobytes()
                msg.add("histograms", dict(base, k=len(r.counts)), buf)
            elif kind == "text":
                msg.add("text", dict(base, text=r.text))
        self._records[key] = len(recs)

    # ------------------------------------------------------------------ requests from the view
    def _on_msg(self, _widget, content: dict, buffers: list) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "hello":
            with self._lock:
                self._series.clear()
                self._records.clear()
                self._seen = 0
                self._confirmed = True
            self.send_pending()
        elif kind == "range":
            self._answer_range(content)

    def _answer_range(self, req: dict) -> None:
        try:
            s = self.store.scalars(req["run"], req["tag"])
            x0, x1 = float(req["x0"]), float(req["x1"])
        except (KeyError, TypeError, ValueError):
            return
        mask = (s.steps >= x0) & (s.steps <= x1)
        steps, walls, values = s.steps[mask], s.wall_times[mask], s.values[mask]
        bucket = bucket_size(len(values), MAX_RAW_POINTS)
        if bucket > 1:
            full = len(values) // bucket * bucket
            bs, bw, bv = minmax_buckets(steps, walls, values, bucket)
            steps, walls, values = (np.concatenate([a, b[full:]]) for a, b in ((bs, steps), (bw, walls), (bv, values)))
        self._send_raw({"type": "range", "id": req.get("id"), "run": req["run"], "tag": req["tag"],
                        "count": len(values), "decimated": bucket > 1}, [_columns(steps, walls, values)])


def _mime(data: bytes) -> str:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] == b"GIF8":
        return "image/gif"
    return "image/png"
