"""Shared by the following tests that rely on file-system notifications."""

from __future__ import annotations

import time

import pytest


def require_notifications(follower, timeout: float = 5.0) -> None:
    """Wait until ``follower`` watches its directory; skip the test where this machine sends no
    file-system notifications (the follower then polls, which such a test does not measure)."""
    deadline = time.monotonic() + timeout
    while not follower.watching and time.monotonic() < deadline:
        time.sleep(0.02)
    if not follower.watching:
        pytest.skip("no file-system notifications here")
