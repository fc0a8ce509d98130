"""Shared by the framework tests: what a patched board holds while training runs."""

from __future__ import annotations

import time

from cellboard import integrations


def points_on_patched_board(tag: str, timeout: float = 5.0) -> int:
    """Points of scalar ``tag`` in the first run of the patched board that has it, waiting up to
    ``timeout`` s for the writer's drain; 0 when none arrived."""
    board = integrations.patched_board()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = [r for r in board.store.runs if tag in board.store.tags(r)["scalars"]]
        if runs:
            return len(board.store.scalars(runs[0], tag))
        time.sleep(0.02)
    return 0
