"""``%load_ext cellboard``, ``%cellboard`` and ``%%cellboard`` in a real IPython shell."""

from __future__ import annotations

import time

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import cellboard


@pytest.fixture(scope="module")
def shell():
    sh = InteractiveShell.instance()
    sh.run_line_magic("load_ext", "cellboard")
    yield sh


def boards_shown(captured) -> list:
    return [o for o in captured.outputs if "application/vnd.jupyter.widget-view+json" in o.data]


@pytest.fixture
def logdir(tmp_path):
    for run in ("a", "b"):
        with cellboard.SummaryWriter(tmp_path / "logs" / run) as w:
            for i in range(10):
                w.add_scalar("loss", float(i), i)
    return tmp_path / "logs"


def test_help_documents_every_option(shell):
    with capture_output() as out:
        shell.run_line_magic("cellboard", "--help")
    for opt in ("--no-follow", "--reload-interval", "--runs", "--tags", "--height", "LOGDIR"):
        assert opt in out.stdout


def test_line_magic_shows_a_board_of_every_run(shell, logdir):
    with capture_output() as out:
        shell.run_line_magic("cellboard", f"{logdir} --no-follow --height 400 --tags ^loss")
    assert len(boards_shown(out)) == 1
    board = _last_board(shell)
    assert board.follower.wait(10)  # --no-follow reads in the background: the board shows at once
    assert board.store.runs == ["a", "b"]
    assert board.height == 400 and board.tag_filter == "^loss"
    assert not board.follower.following


def test_line_magic_follows_until_closed(shell, logdir):
    with capture_output():
        shell.run_line_magic("cellboard", f"'{logdir}' --reload-interval 0.1 --runs ^a$")
    board = _last_board(shell)
    assert board.follower.following
    deadline = time.monotonic() + 5
    while board.store.runs != ["a"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert board.store.runs == ["a"]
    board.close()
    board.follower._thread.join(5)
    assert not board.follower.following


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("{tmp}/missing", "does not exist"),
        ("{tmp}/file.txt", "is a file, not a log directory"),
    ],
)
def test_clear_messages_for_bad_paths(shell, tmp_path, path, message):
    (tmp_path / "file.txt").write_text("x")
    with capture_output() as out:
        shell.run_line_magic("cellboard", path.format(tmp=tmp_path))
    assert message in out.stdout and not boards_shown(out)


def test_empty_directory(shell, tmp_path):
    (tmp_path / "empty").mkdir()
    with capture_output() as out:
        shell.run_line_magic("cellboard", f"{tmp_path / 'empty'} --no-follow")
    assert "holds no event files" in out.stdout
    with capture_output() as out:
        shell.run_line_magic("cellboard", f"{tmp_path / 'empty'} --reload-interval 0.1")
    assert "no runs under" in out.stdout and boards_shown(out)
    _last_board(shell).close()


def test_bad_options_are_explained(shell, logdir):
    from IPython.core.error import UsageError  # IPython shows it in one line, no traceback

    with pytest.raises(UsageError, match="--reload-interval must be a positive number"):
        shell.run_line_magic("cellboard", f"{logdir} --reload-interval -1")
    with pytest.raises(UsageError, match="unrecognized arguments: --frobnicate") as info:
        shell.run_line_magic("cellboard", f"{logdir} --frobnicate")
    assert "usage:" in str(info.value)
    with pytest.raises(UsageError, match="a log directory is required"):
        shell.run_line_magic("cellboard", "")


def test_cell_magic_follows_from_the_cells_thread_while_the_body_runs(shell, tmp_path):
    logs = tmp_path / "cell"
    logs.mkdir()
    body = f"""
import time, cellboard
w = cellboard.SummaryWriter(r"{logs / "run"}")
for i in range(6):
    w.add_scalar("x", float(i), i)
    w.flush()
    time.sleep(0.1)
w.close()
"""
    with capture_output() as out:
        shell.run_cell_magic("cellboard", f"{logs} --reload-interval 0.05", body)
    assert boards_shown(out)
    board = _last_board(shell)
    assert board.store.scalars("run", "x").values.tolist() == [0, 1, 2, 3, 4, 5]
    assert not board.follower.following, "the cell magic follows from the cell's thread, not a background one"


def test_cell_magic_reraises_errors_of_the_body(shell, logdir):
    with pytest.raises(ZeroDivisionError), capture_output():
        shell.run_cell_magic("cellboard", f"{logdir} --reload-interval 0.05", "1 / 0")


def _last_board(shell):
    from cellboard import magics

    return magics.last_board
