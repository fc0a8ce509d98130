"""Host detection (Colab, VS Code, Jupyter) from simulated environments, and what the board does with it."""

from __future__ import annotations

import threading
import types

import pytest

from cellboard import _environment as env
from cellboard._environment import detect_host


@pytest.mark.parametrize(
    ("environ", "modules", "expected"),
    [
        ({}, {}, "terminal"),
        ({"COLAB_RELEASE_TAG": "release-colab_20250101"}, {}, "colab"),
        ({"COLAB_GPU": "1"}, {}, "colab"),
        ({}, {"google.colab": object()}, "colab"),
        ({"VSCODE_PID": "4242"}, {}, "vscode"),
        ({"VSCODE_CWD": "/home/u"}, {}, "vscode"),
        ({}, {"vscode_datascience_helpers": object()}, "vscode"),
        # a VS Code window on a Colab runtime renders by Colab's rules
        ({"VSCODE_PID": "1", "COLAB_RELEASE_TAG": "x"}, {}, "colab"),
        ({"CELLBOARD_HOST": "vscode", "COLAB_GPU": "1"}, {}, "vscode"),
        ({"CELLBOARD_HOST": "nonsense"}, {}, "terminal"),
        ({"JPY_PARENT_PID": "1"}, {}, "terminal"),  # no kernel in this process
    ],
)
def test_detect_host(environ, modules, expected):
    assert detect_host(environ, modules) == expected


def test_detect_jupyter_kernel(monkeypatch):
    import IPython

    shell = types.SimpleNamespace(kernel=object())
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    assert detect_host({}, {"ipykernel": object()}) == "jupyter"
    shell.kernel = None  # plain IPython in a terminal
    assert detect_host({}, {"ipykernel": object()}) == "terminal"


def test_defaults_read_the_process(monkeypatch):
    for k in ("CELLBOARD_HOST", *env._COLAB_ENV, *env._VSCODE_ENV):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("VSCODE_PID", "7")
    assert env.host() == "vscode"
    assert not env.sends_from_main_thread_only()
    assert env.background_follow_hint() is None
    monkeypatch.setitem(__import__("sys").modules, "google.colab", types.ModuleType("google.colab"))
    assert env.host() == "colab"
    assert env.sends_from_main_thread_only()
    hint = env.background_follow_hint()
    assert hint is not None and "%%cellboard" in hint and "\n" not in hint


def _board(monkeypatch, host: str):
    from cellboard import Board

    monkeypatch.setenv("CELLBOARD_HOST", host)
    board = Board(interval=0.05)
    sent: list[int] = []
    orig = board._send_raw

    def record(content, buffers):
        sent.append(threading.get_ident())
        orig(content, buffers)

    board._send_raw = record
    return board, sent


def _log_from_thread(board, value: float) -> None:
    t = threading.Thread(target=lambda: board.store.append_scalars("r", "loss", [int(value)], [0.0], [value]))
    t.start()
    t.join()


def test_colab_board_sends_only_from_the_main_thread(monkeypatch):
    import time

    board, sent = _board(monkeypatch, "colab")
    try:
        board.store.append_scalars("r", "loss", [0], [0.0], [1.0])  # main thread, first change: sent at once
        assert sent and set(sent) == {threading.main_thread().ident}
        n = len(sent)
        _log_from_thread(board, 2.0)  # a background thread: nothing sent, no timer started
        time.sleep(0.2)
        assert len(sent) == n and board._timer is None
        board.store.append_scalars("r", "loss", [3], [0.0], [3.0])  # the next main-thread change carries it
        assert len(sent) > n and set(sent) == {threading.main_thread().ident}
        assert board._seen == board.store.version
    finally:
        board.close()


def test_jupyter_board_sends_from_its_timer(monkeypatch):
    import time

    board, sent = _board(monkeypatch, "jupyter")
    try:
        board.store.append_scalars("r", "loss", [0], [0.0], [1.0])
        board.store.append_scalars("r", "loss", [1], [0.0], [2.0])  # within the interval: the timer sends it
        deadline = time.monotonic() + 5
        while board._seen != board.store.version and time.monotonic() < deadline:
            time.sleep(0.01)
        assert board._seen == board.store.version
        assert any(t != threading.main_thread().ident for t in sent)
    finally:
        board.close()


def test_colab_board_sends_when_the_cell_ends(monkeypatch):
    from IPython.core.events import EventManager, available_events

    shell = types.SimpleNamespace(events=EventManager(None, available_events))
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    board, _ = _board(monkeypatch, "colab")
    try:
        board.store.append_scalars("r", "loss", [0], [0.0], [1.0])
        _log_from_thread(board, 2.0)
        assert board._seen != board.store.version
        shell.events.trigger("post_execute")
        assert board._seen == board.store.version
    finally:
        board.close()
    assert not shell.events.callbacks["post_execute"]  # closing the board removes its hook


def test_colab_hint_when_following_in_the_background(monkeypatch, tmp_path, capsys):
    import cellboard

    monkeypatch.setenv("CELLBOARD_HOST", "colab")
    board = cellboard.open(tmp_path, follow=True)
    try:
        out = capsys.readouterr().out
        assert out.count("\n") == 1 and "%%cellboard" in out
    finally:
        board.close()
    monkeypatch.setenv("CELLBOARD_HOST", "jupyter")
    board = cellboard.open(tmp_path, follow=True)
    board.close()
    assert "%%cellboard" not in capsys.readouterr().out
