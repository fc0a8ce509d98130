"""``%load_ext cellboard``: ``%cellboard LOGDIR`` and ``%%cellboard LOGDIR``.

The line magic shows a board of every run under LOGDIR and follows it in a background
thread. The cell magic shows the board, then runs the cell body in a worker thread while
*this* cell's thread polls the directory and sends the updates - Colab only renders widget
updates sent from the thread that runs the cell.
"""

from __future__ import annotations

import argparse
import shlex
import threading

from .fs import redact
from .logdir import LogdirError, open_logdir
from .reader import discover_runs

last_board = None  # the board the magic showed last (handy for tests and introspection)
USAGE = "%cellboard LOGDIR [--no-follow] [--reload-interval SECONDS] [--runs REGEX] [--tags REGEX] [--height PX]"


class _Usage(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would exit the kernel's process
        raise _Usage(f"{message}\nusage: {USAGE}")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="%cellboard", usage=USAGE.replace("%", "%%"), add_help=False,
                                description="Show every run under LOGDIR (written by cellboard, torch, tensorboardX, "
                                            "TensorFlow or JAX) in a live board. As a cell magic (%%cellboard), the "
                                            "board is shown and then the cell body runs while the board follows.")
    p.add_argument("logdir", nargs="?", help="the log directory (quotes and ~ work)")
    p.add_argument("--no-follow", action="store_true", help="read once; do not watch for new data")
    p.add_argument("--reload-interval", type=float, default=1.0, metavar="SECONDS",
                   help="how often to look for new data while following (default 1.0)")
    p.add_argument("--runs", metavar="REGEX", help="only runs whose name matches this regular expression")
    p.add_argument("--tags", metavar="REGEX", help="only tags matching this regular expression")
    p.add_argument("--height", type=int, metavar="PX", help="board height in pixels")
    p.add_argument("-h", "--help", action="store_true", help="show this help")
    return p


def parse(line: str) -> argparse.Namespace | None:
    """Parsed options, or None after printing help. Raises ``_Usage`` with a clear message."""
    parser = _parser()
    try:
        args = parser.parse_args(shlex.split(line))
    except ValueError as exc:  # unbalanced quotes
        raise _Usage(f"{exc}\nusage: {USAGE}") from None
    if args.help:
        print(parser.format_help())
        return None
    if not args.logdir:
        raise _Usage(f"a log directory is required\nusage: {USAGE}")
    if args.reload_interval <= 0:
        raise _Usage(f"--reload-interval must be a positive number of seconds, got {args.reload_interval}")
    return args


def _open(args: argparse.Namespace, background: bool = True):
    return open_logdir(args.logdir, follow=not args.no_follow, background=background,
                       reload_interval=args.reload_interval, runs=args.runs, tags=args.tags, height=args.height)


def cellboard_magic(line: str, cell: str | None = None):
    from IPython import get_ipython
    from IPython.display import display

    try:
        args = parse(line)
        if args is None:
            return
        # as a cell magic, the cell's own thread follows (see _run_while_following)
        board = _open(args, background=cell is None)
    except (_Usage, LogdirError, ValueError, OSError, ImportError) as exc:  # said in one line, no traceback
        print(f"cellboard: {redact(str(exc))}")
        return
    global last_board
    last_board = board
    if not discover_runs(board.follower.logdir, board.follower.fs):
        print(f"cellboard: no runs under {redact(repr(board.follower.logdir))} yet; the board will show them as "
              f"they appear.")
    display(board)
    if cell is not None:
        _run_while_following(get_ipython(), cell, board, args)
    return


def _run_while_following(shell, cell: str, board, args: argparse.Namespace) -> None:
    if args.no_follow:
        shell.run_cell(cell)
        return
    errors: list[BaseException] = []
    code = shell.transform_cell(cell)

    def body() -> None:
        try:
            exec(compile(code, "<%%cellboard cell>", "exec"), shell.user_ns)  # noqa: S102 - the user's cell
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
