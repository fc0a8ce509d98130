"""``%load_ext cellboard``: ``%cellboard LOGDIR`` and ``%%cellboard LOGDIR``.

The line magic shows a board of every run under LOGDIR and follows it in a background
thread. The cell magic shows the board, then runs the cell body in a worker thread while
*this* cell's thread polls the directory and sends the updates - Colab only renders widget
updates sent from the thread that runs the cell.

The magic speaks ``%tensorboard``: ``--logdir``, ``--logdir_spec``, ``--reload_interval`` and
``--samples_per_plugin`` are TensorBoard's flags; ``--port``/``--host``/``--bind_all`` (a server's)
are accepted and ignored. Options are parsed with IPython's ``magic_arguments`` (``%cellboard?``
shows them); bad usage raises ``UsageError``. A log directory that cannot be opened is said in
one line (no traceback).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import threading
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments

from .fs import redact
from .logdir import LogdirError, LogdirFollower, check_logdir, open_logdir
from .reader import discover_runs

last_board = None  # the board the magic showed last (handy for tests and introspection)
USAGE = (
    "%cellboard [LOGDIR | --logdir LOGDIR | --logdir_spec NAME:PATH,...] [--no-follow] "
    "[--reload-interval SECONDS] [--runs REGEX] [--tags REGEX] [--height PX] [--patch]"
)
_IGNORED = ("port", "host", "bind_all", "load_fast")  # a server's flags: no server here


@magic_arguments(name="cellboard")
@argument(
    "logdir_pos",
    nargs="?",
    metavar="LOGDIR",
    help="the log directory: every run under it, written by cellboard, torch, tensorboardX, TensorFlow or "
    "JAX (quotes, ~, file:// and fsspec URLs work)",
)
@argument("--logdir", metavar="LOGDIR", help="the same, as TensorBoard's flag")
@argument(
    "--logdir_spec",
    "--logdir-spec",
    metavar="NAME:PATH,...",
    help="several log directories, as TensorBoard: comma-separated NAME:PATH pairs (or PATH alone); a run "
    "under PATH is shown as NAME/run",
)
@argument("--no-follow", "--no_follow", action="store_true", help="read once; do not watch for new data")
@argument(
    "--reload-interval",
    "--reload_interval",
    type=float,
    default=None,
    metavar="SECONDS",
    help="how often to look for new data while following (default 1.0)",
)
@argument("--runs", metavar="REGEX", help="only runs whose name matches this regular expression")
@argument("--tags", metavar="REGEX", help="only tags matching this regular expression")
@argument("--height", type=int, metavar="PX", help="board height in pixels")
@argument(
    "--samples_per_plugin",
    "--samples-per-plugin",
    metavar="PLUGIN=N,...",
    help="TensorBoard's sampling; accepted and checked, but cellboard keeps every point (the board "
    "min/max-buckets long series for display), so it is ignored with a note",
)
@argument(
    "--patch",
    action="store_true",
    help="instead of reading a directory, patch torch's and tensorboardX's SummaryWriter "
    "(cellboard.patch()): every writer created from now on (Lightning, transformers...) shows on a "
    "board displayed here; LOGDIR, if given, is the root run names are relative to",
)
@argument("--port", metavar="PORT", help="ignored (TensorBoard's server flag: there is no server)")
@argument("--host", metavar="HOST", help="ignored (TensorBoard's server flag: there is no server)")
@argument("--bind_all", "--bind-all", action="store_true", help="ignored (TensorBoard's server flag)")
@argument("--load_fast", "--load-fast", metavar="BOOL", help="ignored (TensorBoard's loader flag)")
@argument("-h", "--help", action="store_true", help="show this help")
def cellboard_magic(line: str, cell: str | None = None):
    """Show every run under LOGDIR in a live board, in this cell.

    As a cell magic (%%cellboard LOGDIR), the board is shown and then the cell body runs while
    the board follows the directory from the cell's own thread (what Colab needs).
    """
    from IPython import get_ipython
    from IPython.display import display

    args = parse(line)
    if args is None:
        return
    if args.patch:
        _patch(args)
        if cell is not None:  # %%cellboard --patch: the body's writers show on the board above
            get_ipython().run_cell(cell)
        return
    try:
        # as a cell magic, the cell's own thread follows (see _run_while_following)
        board = _open(args, background=cell is None)
    except (LogdirError, ValueError, OSError, ImportError) as exc:  # said in one line, no traceback
        print(f"cellboard: {redact(str(exc))}")
        return
    global last_board
    last_board = board
    if not any(discover_runs(f.logdir, f.fs) for f in _followers(board)):
        where = ", ".join(redact(repr(f.logdir)) for f in _followers(board))
        print(f"cellboard: no runs under {where} yet; the board will show them as they appear.")
    display(board)
    if cell is not None:
        _run_while_following(get_ipython(), cell, board, args)
    return


def parse(line: str) -> argparse.Namespace | None:
    """Parsed options (``logdir`` set from the positional or ``--logdir``), or None after printing
    help. Raises ``UsageError`` saying what is wrong and how to call the magic."""
    parser = cellboard_magic.parser
    try:
        args = parser.parse_args(shlex.split(line))  # POSIX quoting: "my logs" is one path, without quotes
    except UsageError as exc:
        raise UsageError(f"{exc}\nusage: {USAGE}") from None
    except ValueError as exc:  # unbalanced quotes
        raise UsageError(f"{exc}\nusage: {USAGE}") from None
    if args.help:
        print(parser.format_help())
        return None
    if args.logdir_pos and args.logdir and args.logdir_pos != args.logdir:
        raise UsageError(
            f"two log directories given ({args.logdir_pos!r} and --logdir {args.logdir!r}); "
            f"use --logdir_spec to show several\nusage: {USAGE}"
        )
    args.logdir = args.logdir or args.logdir_pos
    args.spec = _parse_spec(args.logdir_spec) if args.logdir_spec else None
    if args.spec and args.logdir:
        raise UsageError(f"give either a log directory or --logdir_spec, not both\nusage: {USAGE}")
    if args.patch:
        if args.spec or args.no_follow or args.reload_interval is not None:
            raise UsageError(
                "--patch shows the writers created from now on; it takes no --logdir_spec, "
                "--no-follow or --reload-interval"
            )
    elif not args.logdir and not args.spec:
        raise UsageError(f"a log directory is required\nusage: {USAGE}")
    if args.reload_interval is None:
        args.reload_interval = 1.0
    elif not args.reload_interval > 0:
        raise UsageError(f"--reload-interval must be a positive number of seconds, got {args.reload_interval}")
    if args.height is not None and args.height < 0:
        raise UsageError(f"--height must be a number of pixels >= 0, got {args.height}")
    for name in ("runs", "tags"):
        pattern = getattr(args, name)
        if pattern:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise UsageError(f"--{name} must be a valid regular expression, got {pattern!r}: {exc}") from None
    args.samples = _parse_samples(args.samples_per_plugin) if args.samples_per_plugin else None
    _notes(args)
    return args


def _parse_spec(spec: str) -> list[tuple[str, str]]:
    """TensorBoard's ``--logdir_spec``: ``name:path,name:path`` (or a bare path, no prefix)."""
    out = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, path = item.partition(":")
        # a URL (s3://...) or a Windows drive (C:\...) is a bare path, as TensorBoard reads it
        if not sep or path.startswith("//") or (os.name == "nt" and len(name) == 1 and name.isalpha()):
            name, path = "", item
        if not path:
            raise UsageError(f"--logdir_spec entry {item!r} has no path (expected NAME:PATH)")
        out.append((name, path))
    if not out:
        raise UsageError("--logdir_spec is empty (expected NAME:PATH,NAME:PATH)")
    names = [n for n, _ in out if n]
    if len(names) != len(set(names)):
        raise UsageError(f"--logdir_spec names must be unique, got {', '.join(names)}")
    return out


def _parse_samples(value: str) -> dict[str, int]:
    out = {}
    for item in value.split(","):
        if not item.strip():
            continue
        plugin, sep, n = item.partition("=")
        try:
            if not sep or not plugin.strip():
                raise ValueError
            out[plugin.strip()] = int(n)
        except ValueError:
            raise UsageError(
                f"--samples_per_plugin must be PLUGIN=N pairs separated by commas "
                f"(e.g. scalars=500,images=10), got {value!r}"
            ) from None
    return out


def _notes(args: argparse.Namespace) -> None:
    ignored = [f"--{name}" for name in _IGNORED if getattr(args, name) not in (None, False)]
    if ignored:
        print(f"cellboard: {', '.join(ignored)} ignored: the board lives in this cell, there is no server.")
    if args.samples is not None:
        print(
            "cellboard: --samples_per_plugin ignored: cellboard keeps every point (long series are "
            "min/max-bucketed for display, so spikes stay visible)."
        )


# ---------------------------------------------------------------------- opening
class _Followers:
    """Several followers feeding one board (``--logdir_spec``), driven as one."""

    def __init__(self, followers: list[LogdirFollower]) -> None:
        self.followers = followers
        self.logdir = followers[0].logdir
        self.fs = followers[0].fs

    def poll(self) -> int:
        return sum(f.poll() for f in self.followers)

    def start(self, once: bool = False) -> _Followers:
        for f in self.followers:
            f.start(once=once)
        return self

    def wait(self, timeout: float | None = None) -> bool:
        return all([f.wait(timeout) for f in self.followers])

    def stop(self) -> None:
        for f in self.followers:
            f.stop()

    @property
    def following(self) -> bool:
        return any(f.following for f in self.followers)

    @property
    def runs(self) -> list[str]:
        return sorted(r for f in self.followers for r in f.runs)


def _followers(board) -> list:
    f = board.follower
    return f.followers if isinstance(f, _Followers) else [f]


def _open(args: argparse.Namespace, background: bool = True):
    if args.spec is None:
        return open_logdir(
            args.logdir,
            follow=not args.no_follow,
            background=background,
            reload_interval=args.reload_interval,
            runs=args.runs,
            tags=args.tags,
            height=args.height,
        )
    from .board import Board
    from .store import Store

    follow = not args.no_follow
    store = Store()
    followers = []
    for name, path in args.spec:
        path = check_logdir(path, require_events=not follow)
        followers.append(
            LogdirFollower(path, store, runs=args.runs, reload_interval=args.reload_interval, run_prefix=name or "")
        )
    group = _Followers(followers)
    if not background:
        group.poll()
    options: dict[str, Any] = {"title": ", ".join(f"{n}:{redact(p)}" if n else redact(p) for n, p in args.spec)}
    if args.height is not None:
        options["height"] = args.height
    if args.tags:
        options["tag_filter"] = args.tags
    board = Board(store, **options)
    board.follower = group
    if background:  # as open_logdir: read (once, with --no-follow) in the background, the board shows at once
        group.start(once=not follow)
        board.on_close(group.stop)
    return board


def _patch(args: argparse.Namespace) -> None:
    from . import integrations

    global last_board
    integrations.patch(root=args.logdir, height=args.height, tags=args.tags)
    last_board = integrations.patched_board()


def _run_while_following(shell, cell: str, board, args: argparse.Namespace) -> None:
    if args.no_follow:
        shell.run_cell(cell)
        return
    errors: list[BaseException] = []
    code = shell.transform_cell(cell)

    def body() -> None:
        try:
            exec(compile(code, "<%%cellboard cell>", "exec"), shell.user_ns)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the cell's thread below
            errors.append(exc)

    worker = threading.Thread(target=body, name="cellboard-cell-body", daemon=True)
    worker.start()
    follower = board.follower
    while worker.is_alive():
        worker.join(args.reload_interval)
        follower.poll()
        board.send_pending()
    follower.poll()
    board.send_pending()
    if errors:
        raise errors[0]


def load_ipython_extension(ipython) -> None:
    ipython.register_magic_function(cellboard_magic, magic_kind="line_cell", magic_name="cellboard")
