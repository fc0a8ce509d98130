"""``cellboard.Board``: the anywidget that shows a ``Store`` live in a notebook cell.

The board pushes binary deltas (see docs/protocol.md): a store change (from the logging
thread) sends at once if the last send is older than ``interval``, otherwise a one-shot
timer sends what is pending when the interval is up. Each message carries only what the
view does not have yet; a view that renders late says ``hello`` and gets everything again.
History stays here, never in synced traits.

In Colab (see ``_environment``), only messages sent from the thread that runs cells are rendered:
there the board sends only from the main thread (the logging thread of a training loop), never
from its timer or a background follower; what is pending is sent by the next change on the main
thread, by ``send_pending()`` (``flush()``/``close()`` of a writer, ``%%cellboard``'s loop) and when
the cell finishes (an IPython ``post_execute`` hook).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
import threading
import time
import weakref
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import anywidget
import numpy as np
import traitlets

from .. import _environment, kinds
from ..store import Store
from .messages import MAX_RAW_POINTS, DeltaMessage, bucket_size, columns, fold_sizes, minmax_buckets, series_cap

_STATIC = Path(__file__).parent.parent / "static"
_HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
_MISSING_BUNDLE = """
export default { render({ el }) {
  el.textContent = "cellboard: the frontend bundle (static/widget.js, static/loader.js) is missing. "
    + "Reinstall cellboard, or build it with `npm run build` in js/.";
} };
"""

# Until a view's hello is read, the kernel cannot know what reached it: messages sent before the
# frontend model exists are lost, and a busy kernel reads no hello. So it resends everything
# ("keyframes") at 0.5, 1, 2, 4, 8 and 16 s after the first send: geometric spacing keeps the
# extra traffic below the data logged by then, and after that a frontend is there or is not.
KEYFRAME_FIRST = 0.5
KEYFRAME_WINDOW = 20.0
# A range request's `points` (what the zoomed plot can show, ~4 per pixel column) is honoured
# from this many up to MAX_RAW_POINTS; a view that sends none (or a bad value) gets MAX_RAW_POINTS.
MIN_RANGE_POINTS = 100


def _bundle(name: str, fallback: str) -> Path | str:
    path = _STATIC / name
    return path if path.exists() else fallback


@lru_cache(maxsize=1)
def _board_code() -> tuple[str, str]:
    """The board's module (static/widget.js) gzip-compressed, as base64 text, and a key naming it:
    what loader.js (the board's ``_esm``) inflates and imports, once per page and key. anywidget
    sends ``_esm`` as text with every board: 1.1 MB; this is 0.46 MB (compressed once per process,
    ~40 ms). Text, not a bytes trait: a binary buffer in a widget's opening state is one more thing
    each host (Colab's widget manager, VS Code's) must get right, and a string is not."""
    path = _STATIC / "widget.js"
    if not path.exists():
        return "", ""
    code = path.read_bytes()
    gz = gzip.compress(code, compresslevel=6, mtime=0)
    return base64.b64encode(gz).decode("ascii"), hashlib.sha1(code).hexdigest()[:16]


def _send_after_each_cell(board: Board):
    """Send what is pending when each cell finishes (in the kernel's main thread); returns the undo."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None:
        return None
    ref = weakref.ref(board)  # the hook must not keep a closed or forgotten board alive

    def send() -> None:
        b = ref()
        if b is None:
            shell.events.unregister("post_execute", send)
        else:
            b.send_pending()

    shell.events.register("post_execute", send)

    def undo() -> None:
        try:
            shell.events.unregister("post_execute", send)
        except ValueError:
            pass

    return undo


class _SeriesState:
    __slots__ = ("bucket", "epoch", "sent")

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch
        self.sent = 0  # points the view holds (decimated coordinates when bucket > 1)
        self.bucket = 1


class Follower(Protocol):
    """What feeds a board opened from a log directory: a ``LogdirFollower``, or the magic's group of them."""

    def poll(self) -> int: ...
    def wait(self, timeout: float | None = None) -> bool: ...
    def stop(self) -> None: ...
    @property
    def following(self) -> bool: ...


class Board(anywidget.AnyWidget):
    """A live TensorBoard-style board for one or more runs, fed by a ``Store``.

    ``SummaryWriter.show()`` creates one for its writer; to compare runs, give several
    writers the same board: ``board.writer("runs/a")``, ``board.writer("runs/b")``.
    """

    _esm = _bundle("loader.js", _MISSING_BUNDLE) if (_STATIC / "widget.js").exists() else _MISSING_BUNDLE
    _board_gz64 = traitlets.Unicode("").tag(sync=True)
    _board_key = traitlets.Unicode("").tag(sync=True)

    #: Height in pixels: it holds (panels scroll inside the board); the view saves a new one when
    #: the user drags the board's bottom edge. 0: as tall as its content (no inner scrolling).
    height = traitlets.Int(560, min=0).tag(sync=True)
    smoothing = traitlets.Float(0.6).tag(sync=True)
    x_axis = traitlets.Unicode("step").tag(sync=True)
    log_y = traitlets.Bool(False).tag(sync=True)
    #: Fit scalar charts' y axis to the 5th-95th percentile of the values drawn and those near it (on, as TensorBoard).
    ignore_outliers = traitlets.Bool(True).tag(sync=True)
    tag_filter = traitlets.Unicode("").tag(sync=True)
    run_filter = traitlets.Unicode("").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    #: Scalar tags shown first, in a "pinned" section, in this order, whatever the tag filter (each
    #: chart's pin button adds or removes its tag).
    pinned = traitlets.List(traitlets.Unicode()).tag(sync=True)
    #: Run colours chosen over the palette's, ``{run: "#rrggbb"}`` (the run list's swatches set them),
    #: in the light and dark themes and the PNG snapshot.
    run_colors = traitlets.Dict(key_trait=traitlets.Unicode()).tag(sync=True)
    #: Someone in the kernel wants key presses and clicks on windows (Visdom's
    #: register_event_handler sets it): the view then sends them, and keeps keys typed to a
    #: window from the notebook's shortcuts.
    window_events = traitlets.Bool(False).tag(sync=True)

    @traitlets.validate("run_colors")
    def _valid_run_colors(self, proposal: dict) -> dict[str, str]:
        """``#rgb`` or ``#rrggbb`` colours, stored as lowercase ``#rrggbb`` (what the view's picker
        and the snapshot take)."""
        out = {}
        for run, color in proposal["value"].items():
            if not isinstance(color, str) or not _HEX_COLOR.fullmatch(color):
                raise traitlets.TraitError(
                    f"run_colors[{run!r}] must be a colour like '#1f77b4' or '#17b', got {color!r}"
                )
            out[run] = ("#" + "".join(c * 2 for c in color[1:]) if len(color) == 4 else color).lower()
        return out

    def __init__(self, store: Store | None = None, *, interval: float = 0.1, **kwargs) -> None:
        gz64, key = _board_code()
        super().__init__(_board_gz64=gz64, _board_key=key, **kwargs)
        self.store = store if store is not None else Store()
        self.interval = interval
        self._lock = threading.RLock()
        self._seen = 0  # store version already sent
        self._series: dict[tuple[str, str], _SeriesState] = {}
        self._cap = series_cap(0)  # points per series the view may hold (see messages.series_cap)
        self._estimated: set[tuple[str, str]] = set()  # series bucketed by a run still being read
        # (kind, run, tag) -> (records sent, the store's epoch of that tag when they were)
        self._records: dict[tuple[str, str, str], tuple[int, int]] = {}
        self._notices_sent = 0  # store.notices_version the view has
        self._progress_sent = 0  # store.progress_version the view has
        self._descriptions_sent = 0  # store.descriptions_version the view has
        self._confirmed = False  # a view said hello: it holds what we sent since
        self._t0: float | None = None  # first send
        self._next_keyframe = 0.0
        self._sync = 0  # id of the last full resend (keyframe or hello answer)
        self._pending_sync: int | None = None  # a hello asked for a full resend
        self._last_send = 0.0
        self._timer: threading.Timer | None = None
        self._handle = None
        self._close_callbacks: list = []
        self._window_listeners: list[Callable[[str, str, dict], None]] = []  # on_window_event listeners
        self.follower: Follower | None = None  # feeds the store, when opened from a log directory
        self.seq = 0
        self.messages_sent = 0
        self.bytes_sent = 0
        self._unsubscribe = self.store.subscribe(self._on_change)
        self.store.on_writer_closed(self._on_writer_closed)
        self.on_msg(self._on_msg)
        # Colab renders only what the cell's own thread sends (see the module docstring)
        self._main_thread_only = _environment.sends_from_main_thread_only()
        self._unhook = _send_after_each_cell(self) if self._main_thread_only else None

    # ------------------------------------------------------------------ display
    def _bundle(self) -> tuple[dict, dict]:
        bundle = self._repr_mimebundle_()
        if bundle is None:  # ipywidgets returns None only for a widget without a view
            raise RuntimeError("the board has no widget view to display")
        return bundle

    def _ipython_display_(self) -> None:
        self.show()

    def show(self) -> None:
        """Display the board here (its output also carries a PNG fallback once snapshotted).

        Returns None, so that ``board.show()`` as a cell's last line displays one board, not two.
        """
        from IPython.display import display

        data, metadata = self._bundle()
        self._handle = display(data, metadata=metadata, raw=True, display_id=True)
        self.send_pending()

    def snapshot(self) -> bytes:
        """Render the scalar charts to PNG and attach it to the board's output.

        Notebook viewers without widget support (GitHub, nbviewer, VS Code after reload)
        show the PNG; live frontends keep showing the widget.
        """
        from .snapshot import render_png

        self.send_pending()
        png = render_png(
            self.store,
            smoothing=self.smoothing,
            title=self.title,
            ignore_outliers=self.ignore_outliers,
            pinned=self.pinned,
            run_colors=self.run_colors,
        )
        if self._handle is not None:
            import base64

            data, metadata = self._bundle()
            data = dict(data, **{"image/png": base64.b64encode(png).decode("ascii")})
            self._handle.update(data, metadata=metadata, raw=True)
        return png

    def _on_writer_closed(self, _run: str) -> None:
        if self._handle is not None:
            self.snapshot()

    def writer(self, log_dir=None, **kwargs):
        """A ``SummaryWriter`` whose run shows on this board."""
        from ..writer import SummaryWriter

        return SummaryWriter(log_dir, store=self.store, **kwargs)

    def on_close(self, callback) -> None:
        """Call ``callback()`` when the board is closed (e.g. to stop following a directory)."""
        self._close_callbacks.append(callback)

    def close(self) -> None:
        for cb in self._close_callbacks:
            cb()
        self._close_callbacks.clear()
        self._unsubscribe()
        if self._unhook is not None:
            self._unhook()
            self._unhook = None
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
        super().close()

    # ------------------------------------------------------------------ sending
    def _on_change(self) -> None:
        if self._main_thread_only and not _environment.on_main_thread():
            return  # Colab drops it: the next main-thread change, send_pending() or the cell's end sends it
        now = time.monotonic()
        if now - self._last_send >= self.interval:
            self.send_pending()
            return
        if self._main_thread_only:
            return  # no timer thread: the logging thread's next change (or the cell's end) sends it
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
            now = self._last_send = time.monotonic()
            if self._t0 is None:
                self._t0, self._next_keyframe = now, now + KEYFRAME_FIRST
            sync, self._pending_sync = self._pending_sync, None
            if (
                sync is None
                and not self._confirmed
                and now >= self._next_keyframe
                and now - self._t0 <= KEYFRAME_WINDOW
            ):
                self._next_keyframe = self._t0 + 2 * (now - self._t0)
                sync = self._resend_all()
            version = self.store.version
            if version == self._seen and sync is None:
                return
            changes = self.store.changes_since(self._seen)
            self._seen = version
            # never grows back: a bigger share would resend every series at a finer resolution
            cap = min(self._cap, series_cap(self._expected_series()))
            if cap != self._cap:
                self._cap = cap
                changes = sorted(set(changes) | set(self._rebucketed(cap)))
            if self._estimated:  # bucketed by an estimate: checked again once their run is read
                done = {
                    key
                    for key in self._estimated
                    if self.store.expected_points(*key, 0) == 0  # no estimate left
                }
                if done:
                    self._estimated -= done
                    changes = sorted(set(changes) | {(run, "scalars", tag) for run, tag in done})
            msg = DeltaMessage(self._send_raw, self.store.runs, sync)
            if self.store.notices_version != self._notices_sent:
                self._notices_sent = self.store.notices_version
                msg.set_notices(self.store.notices)
            if self.store.progress_version != self._progress_sent:
                self._progress_sent = self.store.progress_version
                msg.progress = self.store.progress
            if self.store.descriptions_version != self._descriptions_sent:
                self._descriptions_sent = self.store.descriptions_version
                msg.set_descriptions(self.store.descriptions)
            for run, kind, tag in sorted(changes):
                if kind == "scalars":
                    self._add_scalars(msg, run, tag)
                else:
                    self._add_records(msg, kind, run, tag)
            msg.flush(force=not changes or sync is not None, last=True)
            # a delta split in several messages spends several intervals: ~10 messages/s on average
            self._last_send += max(0, msg.messages - 1) * self.interval

    def _expected_series(self) -> int:
        """Scalar series the view will hold: while a directory's first read runs, the series read so
        far extrapolated to every run listed, so that the first runs are sent at their final share of
        the budget (not whole, then reduced run after run)."""
        series, runs_with_scalars = self.store.scalar_series_shape()
        progress = self.store.progress
        if progress and progress.get("loading") and runs_with_scalars:
            runs = int(progress.get("runs", 0))
            if runs > runs_with_scalars:
                series = max(series, -(-series * runs // runs_with_scalars))
        return series

    def _rebucketed(self, cap: int) -> list[tuple[str, str, str]]:
        """Series whose bucket differs under ``cap``: sent again, re-bucketed (folded in the view
        when the bucket grows: see ``_add_scalars``)."""
        out = []
        for (run, tag), st in self._series.items():
            try:
                n = self.store.scalar_column(run, tag).n
            except KeyError:
                continue
            if bucket_size(self.store.expected_points(run, tag, n), cap) != st.bucket:
                out.append((run, "scalars", tag))
        return out

    def _resend_all(self) -> int:
        """Forget what the view was sent: the next delta carries everything, as one sync group."""
        self._series.clear()
        self._records.clear()
        self._notices_sent = -1
        self._progress_sent = -1
        self._descriptions_sent = -1
        self._seen = 0
        self._sync += 1
        return self._sync

    def _send_raw(self, content: dict, buffers: list[bytes | memoryview]) -> None:
        self.seq += 1
        content["seq"] = self.seq
        self.messages_sent += 1
        self.bytes_sent += sum(len(b) for b in buffers)
        if self.comm is not None:
            self.send(content, buffers)

    def _add_scalars(self, msg: DeltaMessage, run: str, tag: str) -> None:
        col = self.store.scalar_column(run, tag)
        with self.store._lock:  # a consistent (n, epoch) and arrays
            n, epoch, replaced = col.n, col.epoch, col.replaced
            steps, walls, values = col.steps[:n], col.walls[:n], col.values[:n]
            st = self._series.get((run, tag))
            if st is None or st.epoch != epoch:
                st = self._series[(run, tag)] = _SeriesState(epoch)
            # a run being read: buckets for the points it will hold, so it is not sent finer first
            expected = self.store.expected_points(run, tag, n)
            if expected != n:
                self._estimated.add((run, tag))
            bucket = bucket_size(expected, self._cap)
            fold_size = fold_count = 0
            if bucket != st.bucket:
                # a bigger bucket: the view folds what it holds (messages.fold_sizes) and gets only
                # the rest; a smaller one: the series again from offset 0
                fold_size, fold_count = fold_sizes(st.bucket, st.sent, bucket)
                st.bucket, st.sent = bucket, 2 * fold_count
            if bucket == 1:
                start = st.sent
                count = n - start
                payload = columns(steps[start:], walls[start:], values[start:])
                offset, st.sent = start, n
            else:
                # only the points to bucket are copied under the lock (readers append under it);
                # the bucketing runs after it
                done = st.sent // 2  # full buckets the view has
                full = n // bucket
                lo = done * bucket
                points = steps[lo:].copy(), walls[lo:].copy(), values[lo:].copy()
                offset, st.sent = 2 * done, 2 * full
        if bucket > 1:
            cut = (full - done) * bucket
            bs, bw, bv = minmax_buckets(points[0][:cut], points[1][:cut], points[2][:cut], bucket)
            count = len(bs) + len(points[0]) - cut
            payload = columns(*(np.concatenate([b, p[cut:]]) for b, p in zip((bs, bw, bv), points, strict=True)))
        entry = {
            "run": run,
            "tag": tag,
            "epoch": epoch,
            "offset": int(offset),
            "count": count,
            "decimated": bucket > 1,
            "total": int(n),
        }
        if fold_count:
            entry["fold_size"], entry["fold_count"] = fold_size, fold_count
        if replaced:
            entry["replaced"] = replaced
        msg.add("scalars", entry, payload)

    def _add_records(self, msg: DeltaMessage, kind: str, run: str, tag: str) -> None:
        key = (kind, run, tag)
        sent, sent_epoch = self._records.get(key, (0, 0))
        try:
            count, epoch, replaced, new = self.store.records_from(run, kind, tag, sent)
            if epoch != sent_epoch or sent > count:
                # cut (a purge, a step logged again): the view drops what it holds, then gets the list again
                if sent:
                    msg.reset(kind, run, tag)
                sent = 0
                count, epoch, replaced, new = self.store.records_from(run, kind, tag, 0)
        except KeyError:
            return
        kind_def = kinds.BY_NAME[kind]
        to_entry = kind_def.entry
        if to_entry is None or not kind_def.board:  # a kind the board has no tab for (graph): sent nothing
            return
        for i in range(sent, count):
            r = new[i - sent]
            fields, buffer = to_entry(r)
            base = {"run": run, "tag": tag, "index": i, "step": int(r.step), "wall": float(r.wall_time)}
            if replaced:
                base["replaced"] = replaced
            msg.add(kind, {**base, **fields}, buffer)
        self._records[key] = (count, epoch)

    # ------------------------------------------------------------------ requests from the view
    def _on_msg(self, _widget, content: dict, buffers: list) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "hello":
            with self._lock:
                self._confirmed = True
                # a view that holds every message up to our last one needs nothing resent
                # (a --no-follow board would otherwise be sent everything twice)
                if not (content.get("complete") is True and content.get("seq") == self.seq):
                    self._pending_sync = self._resend_all()
            self.send_pending()
        elif kind == "range":
            self._answer_range(content)
        elif kind == "window_event":
            self._window_event(content)

    def on_window_event(self, callback: Callable[[str, str, dict], None]) -> None:
        """Call ``callback(run, tag, event)`` when a view reports a user event on a window (a Visdom
        property edited, a window closed; key presses and clicks once ``window_events`` is set);
        added once however often it is passed."""
        if callback not in self._window_listeners:
            self._window_listeners.append(callback)

    def _window_event(self, content: dict) -> None:
        run, tag, event = content.get("run"), content.get("tag"), content.get("event")
        if not (isinstance(run, str) and isinstance(tag, str) and isinstance(event, dict)):
            return  # not from our view: nothing to report it to
        if not isinstance(event.get("event_type"), str):
            return
        for callback in list(self._window_listeners):
            callback(run, tag, dict(event))

    def _answer_range(self, req: dict) -> None:
        try:
            s = self.store.scalars(req["run"], req["tag"])
            x0, x1 = float(req["x0"]), float(req["x1"])
        except (KeyError, TypeError, ValueError):
            return
        mask = (s.steps >= x0) & (s.steps <= x1)
        steps, walls, values = s.steps[mask], s.wall_times[mask], s.values[mask]
        steps, walls, values, decimated = range_points(steps, walls, values, range_budget(req.get("points")))
        self._send_raw(
            {
                "type": "range",
                "id": req.get("id"),
                "run": req["run"],
                "tag": req["tag"],
                "count": len(values),
                "decimated": decimated,
            },
            [columns(steps, walls, values)],
        )


def range_budget(points: object) -> int:
    """The points a range reply may hold: the view's ``points`` (what its plot can show) when it is
    an int in [MIN_RANGE_POINTS, MAX_RAW_POINTS]; else MAX_RAW_POINTS (views that send none)."""
    if isinstance(points, int) and not isinstance(points, bool) and MIN_RANGE_POINTS <= points <= MAX_RAW_POINTS:
        return points
    return MAX_RAW_POINTS


def range_points(
    steps: np.ndarray, walls: np.ndarray, values: np.ndarray, budget: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """The points of a range, min/max bucketed to at most ``budget`` (>= 4) points when longer.

    Returns the three columns and whether they were bucketed. The buckets are sized for
    ``budget - 2`` points and the partial last bucket is reduced to its own min and max, so the
    reply never exceeds ``budget`` and every bucket keeps its extremes (spikes show).
    """
    n = len(values)
    if n <= budget:
        return steps, walls, values, False
    bucket = bucket_size(n, budget - 2)
    full = n // bucket * bucket
    parts = [minmax_buckets(steps, walls, values, bucket)]
    tail = n - full
    if tail > 2:
        parts.append(minmax_buckets(steps[full:], walls[full:], values[full:], tail))
    elif tail:
        parts.append((steps[full:], walls[full:], values[full:]))
    bs, bw, bv = (np.concatenate(cols) for cols in zip(*parts, strict=True))
    return bs, bw, bv, True
