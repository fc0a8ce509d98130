"""``cellboard.Visdom``: Visdom's client API with the board in the notebook cell (no server).

``viz = Visdom()`` then ``viz.line(...)``, ``viz.image(...)``, ``viz.text(...)``: each window is
a (run = env, tag = win) pair, logged as it is called to ``<log_dir>/<env>`` (default
``runs/visdom/<env>``) and shown live on a ``cellboard.Board`` (``viz`` as a cell's last
expression, or ``viz.show()``), one window per ``win`` in a grid (the *Visdom* tab).

What is written where (one format, re-openable with ``cellboard.load`` / ``%cellboard``):

- every window's state as records of the ``cellboard_plots`` plugin (``kinds/plots.py``; TensorBoard
  skips them): line and scatter points, bar / heatmap / boxplot / pie / ... data, options, closes;
- ``line`` (and ``dual_axis_lines``) traces also as standard scalars, tag ``<win>/<trace name>``,
  step = X when X is integral, otherwise the point's index in its trace: TensorBoard plots them.
  This mirror is an append-only log of the points logged; the window itself follows ``update``
  (replace, remove...);
- images (``image``, ``images``, ``matplot``, ``video``) as image summaries tagged ``<win>``, text
  as ``<win>/text_summary``, audio as ``<win>``, meshes as TensorBoard's mesh summary ``<win>``,
  embeddings as the Projector's files: what the window shows is that summary.

``dual_axis_lines``, ``sunburst``, ``graph`` and ``properties`` windows are built by ``charts.py``
(a graph is laid out there, once); ``embeddings`` shows the first two principal components of
its features as a scatter. ``properties`` panes send their edits to ``register_event_handler``'s
handlers through the board. ``fork_env`` copies an env's windows and log; ``get_window_data`` /
``set_window_data`` read and set a window as JSON (``state.py``). ``plotlyplot``, ``replay_log``
and the generic ``_send`` turn Visdom's wire messages into these calls (``messages.py``);
``video(videofile=...)`` decodes the file with PyAV (``media.py``). Bad input raises
``ValueError`` naming the argument, where Visdom asserts.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
import traceback
import uuid
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import summaries as S
from ..kinds import plots
from ..kinds.mesh import check_vertex_indices
from ..store import Store
from ..writer import SummaryWriter
from . import charts, messages
from .args import as_array, clean_opts, color_opt, need
from .media import decode_video, html_to_markdown
from .state import window_parts

if TYPE_CHECKING:
    from ..board import Board

LINE_UPDATES = ("append", "replace", "remove", "insert")
HEATMAP_UPDATES = ("replace", "remove", "appendRow", "appendColumn", "prependRow", "prependColumn")
_noted = False


class VisdomNote(UserWarning):
    """Visdom's server arguments are accepted and ignored: the board lives in the cell."""


class _Window:
    __slots__ = ("data", "extra", "opts", "text_from", "traces", "type")

    def __init__(self, type_: str, opts: dict) -> None:
        self.type = type_
        self.opts = opts
        self.traces: dict[str, list[np.ndarray]] = {}  # name -> [x, y(, z)] concatenated lazily
        self.data: np.ndarray | None = None
        self.extra: dict[str, Any] = {}
        self.text_from = 0


class Visdom:
    """Visdom's client API; the env's board shows in the cell, everything is logged to ``log_dir``.

    ``log_dir``: the root of the envs (each env is a run in ``<log_dir>/<env>``); default
    ``runs/visdom``. Server arguments (``server``, ``port``, ...) are accepted and ignored.
    """

    def __init__(
        self,
        server: str = "http://localhost",
        endpoint: str = "events",
        port: int = 8097,
        base_url: str = "/",
        ipv6: bool = True,
        http_proxy_host: str | None = None,
        http_proxy_port: int | None = None,
        env: str = "main",
        send: bool = True,
        raise_exceptions: bool | None = None,
        use_incoming_socket: bool = True,
        log_to_filename: str | None = None,
        username: str | None = None,
        password: str | None = None,
        proxies=None,
        offline: bool = False,
        use_polling: bool = False,
        *,
        log_dir: str | os.PathLike | None = None,
        **ignored,
    ) -> None:
        global _noted
        S.check_tag(env, "env")
        if not _noted and (server != "http://localhost" or port != 8097 or ignored or log_to_filename):
            _noted = True
            warnings.warn(
                "cellboard.Visdom: no Visdom server is used (server, port, base_url... are ignored): "
                "the board lives in the notebook cell (viz.show()), logs go to "
                f"{os.fspath(log_dir or os.path.join('runs', 'visdom'))}",
                VisdomNote,
                stacklevel=2,
            )
        self.env = env
        self.log_root = os.fspath(log_dir) if log_dir is not None else os.path.join("runs", "visdom")
        self.store = Store()
        self._writers: dict[str, SummaryWriter] = {}
        self._windows: dict[tuple[str, str], _Window] = {}
        self._steps: dict[tuple[str, str], int] = {}
        self._lock = threading.RLock()
        self._board: Board | None = None
        self._handlers: dict[str, list] = {}  # win -> event handlers (register_event_handler)
        self.offline = offline
        self.send = send
        self._writer(env)

    # ------------------------------------------------------------------ plumbing
    def _writer(self, env: str | None) -> SummaryWriter:
        env = self.env if env is None else S.check_tag(env, "env")
        w = self._writers.get(env)
        if w is None:
            w = self._writers[env] = SummaryWriter(os.path.join(self.log_root, env), store=self.store, run=env)
        return w

    def _env(self, env) -> str:
        return self.env if env is None else S.check_tag(env, "env")

    @staticmethod
    def _win(win) -> str:
        if win is None:
            return f"window_{uuid.uuid4().hex[:13]}"
        if not isinstance(win, str) or not win:
            raise ValueError(f"win must be a non-empty str or None, got {win!r}")
        return S.check_text(win, "win")

    def _step(self, env: str, win: str) -> int:
        k = (env, win)
        s = self._steps.get(k, 0)
        self._steps[k] = s + 1
        return s

    def _record(self, env: str, win: str, op: str, spec: dict, data: np.ndarray | None = None) -> None:
        w = self._writer(env)
        ev, rec = plots.encode(win, op, spec, data, self._step(env, win), time.time())
        w._add_event("", ev, "plots", win, rec)

    def _set(self, env: str, win: str, w: _Window) -> None:
        spec: dict[str, Any] = {"type": w.type, "opts": w.opts, **w.extra}
        data = w.data
        if w.traces:
            spec["traces"], data = self._trace_layout(w.traces)
        self._windows[(env, win)] = w
        self._record(env, win, "set", spec, data)

    @staticmethod
    def _trace_layout(traces: Mapping[str, list[np.ndarray]]) -> tuple[list[dict], np.ndarray]:
        meta, cols = [], []
        for name, tr in traces.items():
            meta.append({"name": name, "n": len(tr[0]), "dims": len(tr)})
            cols.extend(tr)
        return meta, (np.concatenate(cols) if cols else np.zeros(0))

    # ------------------------------------------------------------------ display
    @property
    def board(self):
        """The live board of this Visdom object's envs (a ``cellboard.Board``)."""
        if self._board is None:
            from ..board import Board

            self._board = Board(self.store, title=f"visdom · {self.env}")
            self._board.on_window_event(self._window_event)  # a window closed in the view, edits
        return self._board

    def show(self, **board_options) -> None:
        """Display the board here (``height``, ``title`` ... set on it). Returns None."""
        for w in self._writers.values():
            w._drain()
        for k, v in board_options.items():
            setattr(self.board, k, v)
        self.board.show()

    def _ipython_display_(self) -> None:
        self.show()

    def flush(self) -> None:
        for w in self._writers.values():
            w.flush()

    def __repr__(self) -> str:
        return f"<cellboard.Visdom env={self.env!r} log_dir={os.path.join(self.log_root, self.env)!r}>"

    # ------------------------------------------------------------------ lines and scatter
    def line(self, Y, X=None, win=None, env=None, opts=None, update=None, name=None) -> str:
        """Lines: ``Y`` N or NxM (M traces), ``X`` N or NxM (default: 0..1). ``update``:
        append / replace / remove / insert; ``name`` picks the trace."""
        need(update is None or update in LINE_UPDATES, f"update must be None or one of {LINE_UPDATES}, got {update!r}")
        if update == "remove":
            return self._remove_trace(win, env, name, opts)
        Y = as_array(Y, "Y")
        need(Y.ndim in (1, 2), f"Y should have 1 or 2 dims, got shape {Y.shape}")
        need(Y.shape[-1] > 0 and Y.shape[0] > 0, "Y must hold at least one point")
        if X is None:
            need(update is None, f"X must be given to update a line (update={update!r})")
            X = np.linspace(0, 1, Y.shape[0])
        else:
            X = as_array(X, "X")
            need(X.ndim in (1, 2), f"X should have 1 or 2 dims, got shape {X.shape}")
        if Y.ndim == 2 and X.ndim == 1:
            need(X.shape[0] == Y.shape[0], f"X and Y should be the same shape, got {X.shape} and {Y.shape}")
            X = np.tile(X, (Y.shape[1], 1)).T
        need(X.shape == Y.shape, f"X and Y should be the same shape, got {X.shape} and {Y.shape}")
        o = clean_opts(opts)
        xs = [X] if Y.ndim == 1 else [X[:, k] for k in range(Y.shape[1])]
        ys = [Y] if Y.ndim == 1 else [Y[:, k] for k in range(Y.shape[1])]
        names = self._trace_names(len(ys), o, name)
        return self._xy("line", win, env, o, update, {n: [x, y] for n, x, y in zip(names, xs, ys)})

    def scatter(self, X, Y=None, win=None, env=None, opts=None, update=None, name=None) -> str:
        """Points: ``X`` Nx2 or Nx3; ``Y`` N integer labels 1..K (a trace and colour each)."""
        need(update is None or update in LINE_UPDATES, f"update must be None or one of {LINE_UPDATES}, got {update!r}")
        if update == "remove":
            return self._remove_trace(win, env, name, opts)
        X = as_array(X, "X")
        if name is not None and update is not None and X.ndim == 1:
            need(Y is not None, "Y must be given with a 1-dim X")
            Yv = as_array(Y, "Y")
            need(Yv.ndim == 1 and Yv.shape[0] == X.shape[0], "X and Y should have the same shape")
            X, Y = np.column_stack((X, Yv)), None
        need(X.ndim == 2, f"X should have two dims, got shape {X.shape}")
        need(X.shape[1] in (2, 3), f"X should have 2 or 3 cols, got shape {X.shape}")
        o = clean_opts(opts)
        if Y is not None:
            labels = as_array(Y, "Y").ravel()
            need(
                labels.shape[0] == X.shape[0], f"sizes of X and Y should match, got {X.shape[0]} and {labels.shape[0]}"
            )
            need(bool(np.all(np.mod(labels, 1) == 0)), "Y: labels should be integers")
            need(labels.size == 0 or labels.min() >= 1, "Y: labels are assumed to be at least 1")
            labels = labels.astype(int)
        else:
            labels = np.ones(X.shape[0], int)
        ks = np.unique(labels)
        need(len(ks) <= 1 or name is None, "name should not be specified with multiple labels")
        K = int(labels.max()) if labels.size else 1
        if o.get("legend"):
            need(K <= len(o["legend"]), "Y: largest label should not be greater than the size of opts['legend']")
        traces = {}
        for k in ks:
            ind = labels == k
            tname = o["legend"][k - 1] if o.get("legend") else (name if len(ks) == 1 and name else str(k))
            traces[tname] = [X[ind, d] for d in range(X.shape[1])]
        if not traces:
            traces[name or "1"] = [np.zeros(0) for _ in range(X.shape[1])]
        return self._xy("scatter", win, env, o, update, traces)

    def updateTrace(self, X, Y, win, env=None, name=None, append=True, opts=None) -> str:
        """The legacy call: ``line(Y, X, win, update='append' | 'replace', name=name)``."""
        return self.line(Y, X, win=win, env=env, opts=opts, update="append" if append else "replace", name=name)

    @staticmethod
    def _trace_names(m: int, o: dict, name) -> list[str]:
        if o.get("legend"):
            need(len(o["legend"]) >= m, f"opts['legend'] names {len(o['legend'])} traces, Y has {m}")
            return list(o["legend"][:m])
        if m == 1:
            return [str(name) if name is not None else "1"]
        need(name is None, "name should not be specified with multiple lines")
        return [str(k + 1) for k in range(m)]

    def _xy(self, type_: str, win, env, o: dict, update, traces: dict[str, list[np.ndarray]]) -> str:
        env, win = self._env(env), self._win(win)
        with self._lock:
            cur = self._windows.get((env, win))
            if cur is not None and cur.type != type_:
                cur = None
            if type_ == "line":
                self._mirror(env, win, cur, traces, update)
            if update is None or cur is None:
                w = _Window(type_, {**(cur.opts if cur and update else {}), **o})
                w.traces = {n: [np.asarray(c, np.float64) for c in tr] for n, tr in traces.items()}
                self._set(env, win, w)
            elif update == "append":
                for n, tr in traces.items():
                    old = cur.traces.get(n)
                    cur.traces[n] = tr if old is None else [np.concatenate([a, b]) for a, b in zip(old, tr)]
                meta, data = self._trace_layout(traces)
                self._record(env, win, "append", {"traces": meta}, data)
            else:  # replace (the named traces) or insert (points merged in, sorted by x)
                for n, tr in traces.items():
                    old = cur.traces.get(n)
                    if update == "insert" and old is not None:
                        merged = [np.concatenate([a, b]) for a, b in zip(old, tr)]
                        order = np.argsort(merged[0], kind="stable")
                        tr = [c[order] for c in merged]
                    cur.traces[n] = tr
                if o:
                    cur.opts.update(o)
                self._set(env, win, cur)
        return win

    def _mirror(self, env: str, win: str, cur: _Window | None, traces, update) -> None:
        """Line points as scalars ``<win>/<trace>`` (TensorBoard reads them)."""
        w = self._writer(env)
        for n, (x, y) in traces.items():
            held = len(cur.traces[n][0]) if cur is not None and update == "append" and n in cur.traces else 0
            integral = (
                bool(np.all(np.isfinite(x))) and bool(np.all(np.mod(x, 1) == 0)) and bool(np.all(np.abs(x) < 2**62))
            )
            steps = x.astype(np.int64) if integral else np.arange(held, held + len(x))
            tag = f"{win}/{n}"
            for s, v in zip(steps.tolist(), y.tolist()):
                w.add_scalar(tag, v, s)

    def _remove_trace(self, win, env, name, opts) -> str:
        need(win is not None, "win must be given to remove a trace")
        need(name is not None, "name: a trace must be named for deletion")
        need(opts is None, "opts cannot be updated on trace deletion")
        env, win = self._env(env), self._win(win)
        with self._lock:
            cur = self._windows.get((env, win))
            if cur is not None:
                cur.traces.pop(str(name), None)
                self._record(env, win, "remove", {"name": str(name)})
        return win

    # ------------------------------------------------------------------ matrices and charts
    def _matrix_window(self, type_: str, X, win, env, opts, **extra) -> str:
        env, win = self._env(env), self._win(win)
        w = _Window(type_, clean_opts(opts))
        X = np.asarray(X, np.float64)
        w.extra = {"rows": int(X.shape[0]), "cols": int(X.shape[1]) if X.ndim > 1 else 1, **extra}
        w.data = X
        with self._lock:
            self._set(env, win, w)
        return win

    def heatmap(self, X, win=None, env=None, update=None, opts=None) -> str:
        """A matrix as colours; ``opts``: ``columnnames``, ``rownames``, ``colormap``, ``xmin``, ``xmax``."""
        need(
            update is None or update in HEATMAP_UPDATES,
            f"update must be None or one of {HEATMAP_UPDATES}, got {update!r}",
        )
        if update == "remove":
            return self.close(win, env) or self._win(win)
        X = as_array(X, "X")
        need(X.ndim == 2, f"X should be two-dimensional, got shape {X.shape}")
        o = clean_opts(opts)
        if update in ("appendRow", "appendColumn", "prependRow", "prependColumn"):
            cur = self._windows.get((self._env(env), self._win(win))) if win is not None else None
            if cur is not None and cur.type == "heatmap" and cur.data is not None:
                axis = 0 if "Row" in update else 1
                old = cur.data.reshape(cur.extra["rows"], cur.extra["cols"])
                need(
                    old.shape[1 - axis] == X.shape[1 - axis],
                    f"X: shape {X.shape} does not fit the heatmap's {old.shape} for {update}",
                )
                X = np.concatenate([old, X] if update.startswith("append") else [X, old], axis=axis)
                o = {**cur.opts, **o}
        if o.get("columnnames") is not None:
            need(len(o["columnnames"]) == X.shape[1], "opts['columnnames']: one name per column of X")
        if o.get("rownames") is not None:
            need(len(o["rownames"]) == X.shape[0], "opts['rownames']: one name per row of X")
        return self._matrix_window("heatmap", X, win, env, o)

    def surf(self, X, win=None, env=None, opts=None) -> str:
        """A surface, drawn heatmap-style (colour = height)."""
        X = as_array(X, "X")
        need(X.ndim == 2, f"X should be two-dimensional, got shape {X.shape}")
        return self._matrix_window("surf", X, win, env, opts)

    def contour(self, X, win=None, env=None, opts=None) -> str:
        """Contours, drawn heatmap-style with banded colours."""
        X = as_array(X, "X")
        need(X.ndim == 2, f"X should be two-dimensional, got shape {X.shape}")
        return self._matrix_window("contour", X, win, env, opts)

    def bar(self, X, Y=None, win=None, env=None, opts=None) -> str:
        """Bars: ``X`` N or NxM (grouped, or ``opts['stacked']``); ``Y``: the N x positions."""
        X = np.squeeze(as_array(X, "X"))
        need(X.ndim in (1, 2), f"X should be one or two-dimensional, got shape {X.shape}")
        o = clean_opts(opts)
        if X.ndim == 1:
            if o.get("legend") is not None:
                need(o.get("rownames") is None, "opts: both rownames and legend cannot be given for a 1-dim X")
                X = X[None, :]
            else:
                X = X[:, None]
        if Y is not None:
            Yv = np.squeeze(as_array(Y, "Y")).reshape(-1)
            need(len(Yv) == len(X), f"sizes of X and Y should match, got {len(X)} and {len(Yv)}")
            labels = [f"{v:g}" for v in Yv]
        else:
            labels = [str(i + 1) for i in range(len(X))]
        if o.get("rownames") is not None:
            need(len(o["rownames"]) == X.shape[0], "opts['rownames']: one name per row of X")
            labels = o["rownames"]
        if o.get("legend") is not None:
            need(len(o["legend"]) == X.shape[1], "opts['legend']: one label per column of X")
        return self._matrix_window("bar", X, win, env, o, labels=labels, stacked=bool(o.get("stacked", False)))

    def histogram(self, X, win=None, env=None, opts=None) -> str:
        """The histogram of a 1-dim ``X`` (``opts['numbins']``, default 30)."""
        X = as_array(X, "X")
        need(X.ndim == 1 or X.squeeze().ndim == 1, f"X should be one-dimensional, got shape {X.shape}")
        o = clean_opts(opts)
        nb = int(o.get("numbins", 30))
        need(nb >= 1, "opts['numbins'] must be at least 1")
        x = X.ravel()
        x = x[np.isfinite(x)]
        counts, edges = np.histogram(x, bins=nb) if x.size else (np.zeros(nb), np.linspace(0, 1, nb + 1))
        return self._matrix_window("histogram", np.concatenate([edges, counts]), win, env, o, bins=nb)

    def boxplot(self, X, win=None, env=None, opts=None) -> str:
        """Box plots of the columns of ``X`` (N or NxM): quartiles, whiskers at 1.5 IQR."""
        X = as_array(X, "X")
        need(X.ndim in (1, 2), f"X should be one or two-dimensional, got shape {X.shape}")
        X = X[:, None] if X.ndim == 1 else X
        o = clean_opts(opts)
        if o.get("legend") is not None:
            need(len(o["legend"]) == X.shape[1], "opts['legend']: one label per column of X")
        stats = []
        for k in range(X.shape[1]):
            c = X[:, k][np.isfinite(X[:, k])]
            if not c.size:
                stats.append([np.nan] * 5)
                continue
            q1, med, q3 = np.percentile(c, [25, 50, 75])
            lo = c[c >= q1 - 1.5 * (q3 - q1)].min()
            hi = c[c <= q3 + 1.5 * (q3 - q1)].max()
            stats.append([lo, q1, med, q3, hi])
        return self._matrix_window("boxplot", np.array(stats, np.float64), win, env, o)

    def stem(self, X, Y=None, win=None, env=None, opts=None) -> str:
        """Stems: ``X`` N or NxM values at the N x positions ``Y`` (default 0..N-1)."""
        X = np.squeeze(as_array(X, "X"))
        need(X.ndim in (1, 2), f"X should be one or two-dimensional, got shape {X.shape}")
        X = X[:, None] if X.ndim == 1 else X
        if Y is None:
            Yv = np.arange(X.shape[0], dtype=np.float64)
        else:
            Yv = np.squeeze(as_array(Y, "Y")).reshape(-1)
            need(len(Yv) == X.shape[0], f"sizes of X and Y should match, got {X.shape[0]} and {len(Yv)}")
        return self._matrix_window("stem", np.column_stack([Yv, X]), win, env, opts)

    def pie(self, X, win=None, env=None, opts=None) -> str:
        """A pie of the non-negative values ``X`` (``opts['legend']`` names the slices)."""
        X = np.squeeze(as_array(X, "X")).reshape(-1)
        need(bool(np.all(X >= 0)), "X cannot contain negative values")
        o = clean_opts(opts)
        if o.get("legend") is not None:
            need(len(o["legend"]) == len(X), "opts['legend']: one label per value of X")
        return self._matrix_window("pie", X, win, env, o)

    def quiver(self, X, Y, gridX=None, gridY=None, win=None, env=None, opts=None) -> str:
        """Arrows (X, Y) (same 2-dim shape) at gridX, gridY (default: their indices)."""
        U, V = as_array(X, "X"), as_array(Y, "Y")
        need(
            U.ndim == 2 and U.shape == V.shape, f"X and Y should be 2-dim with the same shape, got {U.shape}, {V.shape}"
        )
        gy, gx = np.mgrid[0 : U.shape[0], 0 : U.shape[1]].astype(np.float64)
        if gridX is not None:
            gx = as_array(gridX, "gridX")
            need(gx.shape == U.shape, "gridX must have the same shape as X")
        if gridY is not None:
            gy = as_array(gridY, "gridY")
            need(gy.shape == U.shape, "gridY must have the same shape as X")
        return self._matrix_window("quiver", np.stack([gx, gy, U, V]).reshape(4, -1), win, env, opts)

    # ------------------------------------------------------------------ structured charts
    def _window(self, type_: str, built: charts.WindowData, win, env) -> str:
        env, win = self._env(env), self._win(win)
        w = _Window(type_, built.opts)
        w.extra, w.data = built.extra, built.data
        with self._lock:
            self._set(env, win, w)
        return win

    def dual_axis_lines(self, X=None, Y1=None, Y2=None, opts=None, win=None, env=None) -> str:
        """``Y1`` and ``Y2`` over the same ``X`` (N each), each on its own y axis. ``opts``:
        ``name_y1``, ``name_y2`` (axis titles and legend), ``color_title_y1`` / ``color_tick_y1``
        (and ``_y2``), ``side`` (Y2's ticks: ``'right'`` or ``'left'``), ``showlegend``. Both
        lines are also logged as scalars ``<win>/<name>`` (TensorBoard plots them)."""
        built = charts.dual_axis_lines(X, Y1, Y2, opts)
        n = built.extra["rows"]
        x, y1, y2 = built.data[:n], built.data[n : 2 * n], built.data[2 * n :]
        n1, n2 = built.opts["name_y1"], built.opts["name_y2"]
        env, win = self._env(env), self._win(win)
        with self._lock:
            self._mirror(env, win, None, {n1: [x, y1], (n2 if n2 != n1 else f"{n2} (Y2)"): [x, y2]}, None)
            return self._window("dual_axis_lines", built, win, env)

    def sunburst(self, labels, parents, values=None, win=None, env=None, opts=None) -> str:
        """A sunburst of the hierarchy ``labels`` / ``parents`` (the parent's label, ``""`` for a
        root); ``values`` add to the sector sizes (as plotly's default ``branchvalues``). ``opts``:
        ``font_size``, ``font_color``, ``opacity``, ``line_width`` (Visdom's ``size`` and
        ``marker_width`` too)."""
        return self._window("sunburst", charts.sunburst(labels, parents, values, opts), win, env)

    def graph(self, edges, edgeLabels=None, nodeLabels=None, opts=None, env=None, win=None) -> str:
        """A network of nodes 0..n-1 joined by ``edges`` (M x 2 node indices), laid out by force
        direction. ``edgeLabels`` / ``nodeLabels`` name them (default ``"a-b"`` and the index);
        ``opts``: ``directed``, ``showVertexLabels``, ``showEdgeLabels``, ``scheme`` (``'same'``
        or ``'different'`` node colours)."""
        return self._window("graph", charts.graph(edges, edgeLabels, nodeLabels, opts), win, env)

    def embeddings(self, features, labels, data_getter=None, data_type=None, win=None, env=None, opts=None) -> str:
        """Points with labels: ``features`` (N x D, or a list of N tensors) logged as an embedding
        (the Projector tab: PCA, t-SNE, UMAP, search) and shown in the window as a scatter of their
        first two principal components, a colour per label. ``data_getter`` / ``data_type``
        (Visdom's hover previews) are checked but not shown."""
        mat = charts.embedding_matrix(features)
        names = charts.strings(labels, "labels")
        need(len(names) == len(mat), f"labels should have one entry per feature row ({len(mat)}), got {len(names)}")
        if data_getter is not None:
            need(callable(data_getter), f"data_getter must be callable, got {type(data_getter).__name__}")
            need(data_type == "html", f"data_type must be 'html' with a data_getter, got {data_type!r}")
        o = clean_opts(opts)
        env, win = self._env(env), self._win(win)
        plane = charts.pca_plane(mat)
        legend = {name: i for i, name in enumerate(dict.fromkeys(names))}  # in order of first appearance
        at = np.array([legend[x] for x in names])
        traces = {name: [plane[at == i, 0], plane[at == i, 1]] for name, i in legend.items()}
        with self._lock:
            self._writer(env).add_embedding(mat, metadata=names, global_step=self._steps.get((env, win), 0), tag=win)
            return self._xy("scatter", win, env, o, None, traces)

    # ------------------------------------------------------------------ properties and events
    def properties(self, data, win=None, env=None, opts=None) -> str:
        """A pane of editable properties: ``data`` lists ``{type, name, value}`` with type ``text``,
        ``number``, ``button``, ``checkbox`` or ``select`` (``values``: the choices, ``value``: an
        index). An edit calls the handlers ``register_event_handler(handler, win)`` added with
        Visdom's ``PropertyUpdate`` event (between cells: Jupyter delivers the view's messages to
        the kernel when it is idle). Call ``properties`` again to change the pane."""
        props = charts.properties(data)
        env, win = self._env(env), self._win(win)
        w = _Window("properties", clean_opts(opts))
        w.extra = {"properties": props}
        with self._lock:
            self._set(env, win, w)
        return win

    def register_event_handler(self, handler, target) -> None:
        """Call ``handler(event)`` for the events of window ``target`` (a property edited):
        Visdom's event dict, ``event_type``, ``propertyId``, ``value``, ``eid``, ``target`` and
        ``pane_data`` (the window as ``get_window_data`` returns it, its properties as ``content``)."""
        need(callable(handler), f"handler must be callable, got {type(handler).__name__}")
        self._handlers.setdefault(target, []).append(handler)
        self.board.window_events = True  # the views now send key presses and clicks too

    def clear_event_handlers(self, target) -> None:
        self._handlers[target] = []

    def _window_event(self, env: str, win: str, event: dict[str, Any]) -> None:
        """A view's event on window ``win`` of ``env``: the handlers are called (with the window as
        it is), and a ``Close`` closes the window, in the log and so in every view."""
        if env not in self._writers:
            return  # not one of this object's envs
        handlers = list(self._handlers.get(win, []))
        if handlers:
            pane = json.loads(self.get_window_data(win, env)) or {}
            if "properties" in pane:
                pane["content"] = pane["properties"]  # Visdom's name for them
            full = {**event, "eid": env, "target": win, "pane_data": pane}
            for handler in handlers:
                try:
                    handler(full)
                except Exception:  # noqa: BLE001 - a user handler's bug must not stop the others; shown in the output
                    traceback.print_exc()
        if event.get("event_type") == "Close":
            self.close(win, env)

    # ------------------------------------------------------------------ images, text, audio, svg
    def _source_window(self, type_: str, env: str, win: str, o: dict, source: dict, **extra) -> None:
        w = _Window(type_, o)
        w.extra = {"source": source, **extra}
        self._set(env, win, w)

    def image(self, img, win=None, env=None, opts=None) -> str:
        """An image, C x H x W (1 or 3 channels) or H x W; floats in [0, 1] or uint8."""
        arr = S.to_numpy(img, "img")
        need(arr.ndim in (2, 3), f"img should have 2 or 3 dims (C x H x W or H x W), got shape {arr.shape}")
        if arr.ndim == 3 and arr.shape[0] not in (1, 3, 4) and arr.shape[2] in (1, 3, 4):
            raise ValueError(f"img should be C x H x W (channels first), got shape {arr.shape}")
        return self._log_image(arr, "CHW" if arr.ndim == 3 else "HW", win, env, opts)

    def _log_image(self, arr, fmt: str, win, env, opts) -> str:
        env, win, o = self._env(env), self._win(win), clean_opts(opts)
        if np.issubdtype(arr.dtype, np.floating) and arr.size and np.nanmax(arr) > 1.0:
            arr = arr / 255.0  # Visdom takes 0..255 floats too
        with self._lock:
            self._writer(env).add_image(win, arr, self._steps.get((env, win), 0), dataformats=fmt)
            self._source_window("image", env, win, o, {"kind": "images", "tag": win})
        return win

    def images(self, tensor, nrow=8, padding=2, win=None, env=None, opts=None) -> str:
        """A batch B x C x H x W as one grid image, ``nrow`` per row, ``padding`` pixels apart."""
        arr = S.to_numpy(tensor, "tensor")
        need(arr.ndim == 4, f"tensor should be B x C x H x W, got shape {arr.shape}")
        need(isinstance(nrow, int) and nrow >= 1, f"nrow must be a positive int, got {nrow!r}")
        need(isinstance(padding, int) and padding >= 0, f"padding must be a non-negative int, got {padding!r}")
        b, c, h, w = arr.shape
        need(c in (1, 3), f"tensor should have 1 or 3 channels, got {c}")
        cols = min(nrow, b)
        rows = -(-b // cols)
        grid = np.zeros((c, rows * (h + padding) + padding, cols * (w + padding) + padding), arr.dtype)
        for i in range(b):
            r, q = divmod(i, cols)
            y0, x0 = r * (h + padding) + padding, q * (w + padding) + padding
            grid[:, y0 : y0 + h, x0 : x0 + w] = arr[i]
        return self._log_image(grid, "CHW", win, env, opts)

    def video(self, tensor=None, videofile=None, win=None, env=None, opts=None, dim="LxHxWxC") -> str:
        """A video from its frames, ``tensor`` L x H x W x C (``dim="LxCxHxW"`` for channels first), uint8
        or floats in [0, 1] (0..255 floats too), or from ``videofile`` (any format FFmpeg reads,
        decoded with PyAV: ``pip install av``), shown as the animated GIF ``add_video`` writes
        (``opts`` ``fps``: default the file's rate, else 25)."""
        o = clean_opts(opts)
        if videofile is not None:
            need(tensor is None, "give tensor or videofile, not both")
            tensor, rate = decode_video(videofile)
            dim = "LxHxWxC"
            o.setdefault("fps", rate)
        need(tensor is not None, "tensor must be given: the frames, L x H x W x C")
        need(dim in ("LxHxWxC", "LxCxHxW"), f"dim must be 'LxHxWxC' or 'LxCxHxW', got {dim!r}")
        arr = S.to_numpy(tensor, "tensor")
        need(arr.ndim == 4, f"tensor should be L x H x W x C or L x C x H x W (dim), got shape {arr.shape}")
        if dim == "LxHxWxC":
            arr = arr.transpose(0, 3, 1, 2)
        need(arr.shape[1] in (1, 3, 4), f"the frames should have 1, 3 or 4 channels, got shape {arr.shape} ({dim})")
        env, win = self._env(env), self._win(win)
        if np.issubdtype(arr.dtype, np.floating) and arr.size and np.nanmax(arr) > 1.0:
            arr = arr / 255.0
        fps = o.get("fps", 25)
        with self._lock:
            self._writer(env).add_video(win, arr[None], self._steps.get((env, win), 0), fps=fps)
            self._source_window("image", env, win, o, {"kind": "images", "tag": win})
        return win

    def matplot(self, plot, opts=None, env=None, win=None) -> str:
        """A matplotlib figure (or ``pyplot`` itself), as an image window."""
        fig = plot.gcf() if hasattr(plot, "gcf") else plot
        need(hasattr(fig, "savefig"), f"plot must be a matplotlib figure or pyplot, got {type(plot).__name__}")
        hwc = S.figure_to_hwc(fig)
        return self._log_image(hwc, "HWC", win, env, opts)

    def text(self, text, win=None, env=None, opts=None, append=False) -> str:
        """HTML or markdown text (HTML's common tags become markdown; shown sanitized).
        ``append=True`` adds to the window's text."""
        need(isinstance(text, str), f"text must be a str, got {type(text).__name__}")
        env, win, o = self._env(env), self._win(win), clean_opts(opts)
        tag = f"{win}/text_summary"
        with self._lock:
            cur = self._windows.get((env, win))
            # a step of its own: texts appended to a window are a series, and one logged at the step
            # of the last would replace it (a step logged again replaces the series from there on)
            self._writer(env).add_text(win, html_to_markdown(text), self._step(env, win))
            if not (append and cur is not None and cur.type == "text"):
                self._source_window(
                    "text", env, win, o, {"kind": "text", "tag": tag}, **{"from": self._texts(env, tag)}
                )
        return win

    def _texts(self, env: str, tag: str) -> int:
        """Text records of ``tag`` logged so far, this one excluded (the window shows from there)."""
        w = self._writers[env]
        w._drain()
        try:
            return self.store.record_count(env, "text", tag) - 1
        except KeyError:
            return 0

    def audio(self, tensor=None, audiofile=None, win=None, env=None, opts=None) -> str:
        """Sound in [-1, 1], N (mono) or N x 2 (averaged to mono); ``opts['sample_frequency']``
        (default 44100). ``audiofile``: a WAV file (a path, or a binary file object)."""
        o = clean_opts(opts)
        rate = int(o.get("sample_frequency", 44100))
        if audiofile is not None:
            import wave

            with wave.open(audiofile if hasattr(audiofile, "read") else os.fspath(audiofile), "rb") as f:
                rate, width, ch = f.getframerate(), f.getsampwidth(), f.getnchannels()
                raw = f.readframes(f.getnframes())
            need(width == 2, "audiofile: only 16-bit PCM WAV files are read")
            snd = np.frombuffer(raw, "<i2").astype(np.float64).reshape(-1, ch).mean(axis=1) / 32768.0
        else:
            need(tensor is not None, "tensor or audiofile must be given")
            snd = as_array(tensor, "tensor")
            need(
                snd.ndim == 1 or (snd.ndim == 2 and snd.shape[1] == 2),
                f"tensor should be N or N x 2, got shape {snd.shape}",
            )
            if snd.ndim == 2:
                snd = snd.mean(axis=1)
        env, win = self._env(env), self._win(win)
        with self._lock:
            self._writer(env).add_audio(win, np.clip(snd, -1, 1), self._steps.get((env, win), 0), sample_rate=rate)
            self._source_window("audio", env, win, o, {"kind": "audio", "tag": win})
        return win

    def svg(self, svgstr=None, svgfile=None, win=None, env=None, opts=None) -> str:
        """An SVG drawing (shown as an image: scripts in it never run)."""
        if svgfile is not None:
            with open(svgfile, encoding="utf-8") as f:
                svgstr = f.read()
        need(isinstance(svgstr, str), "svgstr or svgfile must be given")
        m = re.search(r"<svg.*</svg>", svgstr, re.S)
        if m is None:
            raise ValueError("svgstr must contain an <svg> element")
        env, win = self._env(env), self._win(win)
        w = _Window("svg", clean_opts(opts))
        w.extra = {"svg": m.group(0)}
        with self._lock:
            self._set(env, win, w)
        return win

    def mesh(self, X, Y=None, win=None, env=None, opts=None) -> str:
        """A 3D mesh: vertices ``X`` (N x 3) and triangles ``Y`` (M x 3 vertex indices; without
        them, a point cloud); ``opts`` ``color`` (a CSS colour) and ``opacity``. Logged as
        TensorBoard's mesh summary (so its Mesh dashboard and the board's Mesh tab show it too)
        and drawn in the window in the same rotatable 3D view."""
        verts = as_array(X, "X")
        need(
            verts.ndim == 2 and verts.shape[1] == 3 and verts.shape[0] > 0,
            f"X should be N x 3, got shape {verts.shape}",
        )
        faces = None
        if Y is not None:
            faces = as_array(Y, "Y")
            need(
                faces.ndim == 2 and faces.shape[1] == 3, f"Y should be M x 3 (vertex indices), got shape {faces.shape}"
            )
            check_vertex_indices(faces, verts.shape[0], "Y")
        o = clean_opts(opts)
        material: dict[str, Any] = {"cls": "MeshStandardMaterial" if faces is not None else "PointsMaterial"}
        color_opt(o, "color")
        if o.get("color") is not None:
            material["color"] = o["color"]
        if o.get("opacity") is not None:
            try:
                opacity = float(o["opacity"])
            except (TypeError, ValueError):
                opacity = math.nan  # refused just below, naming the option
            need(0.0 <= opacity <= 1.0, f"opts['opacity'] should be in [0, 1], got {o['opacity']!r}")
            material.update(opacity=opacity, transparent=opacity < 1.0)
        env, win = self._env(env), self._win(win)
        with self._lock:
            self._writer(env).add_mesh(
                win,
                verts[None],
                faces=None if faces is None else faces[None],
                config_dict={"material": material},
                global_step=self._steps.get((env, win), 0),
            )
            self._source_window("mesh", env, win, o, {"kind": "mesh", "tag": win})
        return win

    # ------------------------------------------------------------------ windows and envs
    def close(self, win=None, env=None) -> str:
        """Close ``win`` (every window of the env when None)."""
        env = self._env(env)
        with self._lock:
            wins = [k[1] for k in self._windows if k[0] == env] if win is None else [self._win(win)]
            for w in wins:
                if self._windows.pop((env, w), None) is not None:
                    self._record(env, w, "close", {})
        return ""

    def win_exists(self, win, env=None) -> bool:
        return (self._env(env), win) in self._windows

    def get_window_data(self, win=None, env=None) -> str:
        """The window's data as JSON (``{type, opts, traces | data ...}``); every window when None."""
        env = self._env(env)
        for w in self._writers.values():
            w._drain()

        def one(name: str) -> dict | None:
            st = (
                plots.fold(self.store.records(env, "plots", name))
                if name in self.store.tags(env).get("plots", [])
                else None
            )
            return None if st is None else _jsonable(st)

        if win is not None:
            return json.dumps(one(win))
        return json.dumps({w: one(w) for (e, w) in list(self._windows) if e == env})

    def update_window_opts(self, win, opts, env=None) -> str:
        env = self._env(env)
        need(win is not None and (env, win) in self._windows, f"win {win!r} does not exist in env {env!r}")
        o = clean_opts(opts)
        with self._lock:
            self._windows[(env, win)].opts.update(o)
            self._record(env, win, "opts", {"opts": o})
        return win

    def save(self, envs) -> str:
        """Everything is saved as it is logged: this flushes the envs' event files to disk."""
        need(isinstance(envs, (list, tuple)), f"envs must be a list of env names, got {type(envs).__name__}")
        for e in envs:
            if e in self._writers:
                self._writers[e].flush()
        return json.dumps(list(envs))

    def delete_env(self, env) -> str:
        """Close the env's windows and its event files (the files stay on disk: they are the log)."""
        env = S.check_tag(env, "env")
        self.close(None, env)
        w = self._writers.pop(env, None)
        if w is not None:
            w.close()
        return ""

    def check_connection(self, timeout_seconds=0) -> bool:
        return True  # nothing to connect to: the board is in the cell

    def disconnect(self) -> None:
        """Write everything and close the event files (logging again reopens them)."""
        for w in self._writers.values():
            w.close()

    def get_env_list(self) -> list[str]:
        return sorted(self._writers)

    # ------------------------------------------------------------------ envs and window data
    def fork_env(self, prev_eid, eid) -> str:
        """A copy of env ``prev_eid`` named ``eid``: its windows, and its log (event files and
        embeddings) copied to ``<log_dir>/<eid>``; the two envs go their own ways afterwards."""
        prev, new = S.check_tag(prev_eid, "prev_eid"), S.check_tag(eid, "eid")
        need(prev in self._writers, f"prev_eid {prev!r} is not an env of this Visdom (envs: {self.get_env_list()})")
        need(
            new not in self._writers and new not in self.store.runs, f"eid {new!r} already exists: fork into a new env"
        )
        with self._lock:
            src = self._writers[prev]
            src.flush()  # every event on disk and in the store: the copy is the env as it is now
            fs, dst_dir = src._fs, src._fs.join(self.log_root, new)
            names = list(fs.dir_event_files(src.log_dir))
            clash = [n for n in names if fs.exists(fs.join(dst_dir, n))]
            need(not clash, f"eid {new!r}: {dst_dir} already holds {clash[:1]}; fork into a new env")
            fs.makedirs(dst_dir)
            for name in names:
                fs.write(fs.join(dst_dir, name), fs.cat(fs.join(src.log_dir, name)))
            dst = self._writer(new)
            for kind, tags in self.store.tags(prev).items():
                for tag in tags:
                    if kind == "scalars":
                        sc = self.store.scalars(prev, tag)
                        self.store.append_scalars(new, tag, sc.steps, sc.wall_times, sc.values)
                    elif kind == "embeddings":  # projector files, not events: logged again (Visdom logs no sprites)
                        for rec in self.store.records(prev, kind, tag):
                            dst.add_embedding(rec.mat, rec.metadata, None, rec.step, tag, rec.metadata_header)
                    else:
                        self.store.append_records(new, kind, tag, self.store.records(prev, kind, tag))
            for (env, win), w in list(self._windows.items()):
                if env == prev:
                    copy = _Window(w.type, dict(w.opts))
                    copy.traces, copy.data, copy.extra = dict(w.traces), w.data, dict(w.extra)
                    self._windows[(new, win)] = copy
                    self._steps[(new, win)] = self._steps.get((prev, win), 0)
            dst.flush()
        return new

    def set_window_data(self, data, win=None, env=None) -> str:
        """Set a window to ``data`` as ``get_window_data`` returns it (a JSON string or its dict);
        with ``win=None``, every window of the env from ``{win: data}`` (``None`` closes one)."""
        if isinstance(data, (str, bytes)):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise ValueError(f"data is not JSON: {exc}") from None
        env = self._env(env)
        if win is None:
            need(
                isinstance(data, Mapping),
                f"data must map window names to window data (win=None), got {type(data).__name__}",
            )
            states = {self._win(name): state for name, state in data.items()}
        else:
            states = {self._win(win): data}
        made = {name: self._from_state(env, name, state) for name, state in states.items()}  # all checked first
        with self._lock:
            for name, w in made.items():
                if w is None:
                    self.close(name, env)
                    continue
                if w.type == "line" and w.traces:
                    self._mirror(env, name, None, {n: tr[:2] for n, tr in w.traces.items()}, None)
                self._set(env, name, w)
        return "" if win is None else win

    def _from_state(self, env: str, win: str, state) -> _Window | None:
        """The window ``state`` (``get_window_data``'s form) describes; None closes it. A window
        showing a summary (image, text...) needs that summary in ``env``."""
        parts = window_parts(state, win)
        if parts is None:
            return None
        w = _Window(parts.type, parts.opts)
        w.extra, w.traces, w.data = parts.extra, parts.traces, parts.data
        source = w.extra.get("source")
        if source is not None:
            tag = source["tag"] + "_VERTEX" if source["kind"] == "mesh" else source["tag"]
            have = self.store.tags(env).get(source["kind"], []) if env in self.store.runs else []
            need(
                tag in have,
                f"data shows the {source['kind']} summary {source['tag']!r}, which env {env!r} does not hold",
            )
        return w

    # ------------------------------------------------------------------ Visdom's messages
    def _send(self, msg, endpoint="events", quiet=False, from_log=False, create=True):
        """A message as Visdom's client posts it (``{"data": [plotly traces], "layout", "win",
        "eid", "opts"}`` to ``events``, ...; see ``messages.py``): the generic plot call of
        Visdom's README. Returns the window's name (or what the matching call returns)."""
        return messages.replay(self, msg, endpoint)

    def plotlyplot(self, figure, win=None, env=None) -> str:
        """A plotly ``Figure`` (or its dict): its traces drawn as the matching window (scatter /
        line, bar, heatmap, surface, contour, pie, histogram, box, sunburst, mesh3d; one type per
        figure), its layout's title and axis titles as options."""
        return self._send(messages.figure_message(figure, win, env), "events")

    def replay_log(self, log_filename) -> str:
        """Replay a Visdom log (``Visdom(log_to_filename=...)``, or its ``offline=True`` mode): each
        line ``[endpoint, msg]`` becomes the matching call. Every entry is replayed; entries that
        cannot be are reported together at the end (a ``ValueError`` naming their lines)."""
        failed: list[str] = []
        done = 0
        with open(log_filename, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    endpoint, msg = json.loads(line)
                    self._send(msg, endpoint, from_log=True)
                    done += 1
                except (ValueError, TypeError, KeyError, ImportError) as exc:  # ImportError: a video pane without PyAV
                    failed.append(f"line {number}: {exc}")
        if failed:
            shown = "; ".join(failed[:5]) + ("; ..." if len(failed) > 5 else "")
            raise ValueError(
                f"replay_log: replayed {done} entries of {log_filename}; {len(failed)} could not be: {shown}"
            )
        return ""


def _jsonable(obj):
    if isinstance(obj, np.ndarray):
        return [None if not np.isfinite(v) else v for v in obj.tolist()]
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_jsonable(v) for v in obj]
    return obj


def windows(logs: Store, env: str) -> dict[str, dict]:
    """The open windows of ``env`` in a store (``cellboard.load(dir)`` or a live one), folded
    from their plot records: ``{win: {type, opts, traces | data, ...}}``."""
    out = {}
    for tag in logs.tags(env).get("plots", []):
        st = plots.fold(logs.records(env, "plots", tag))
        if st is not None:
            out[tag] = st
    return out


__all__ = ["Visdom", "VisdomNote", "html_to_markdown", "windows"]
