"""Zoom replies (`range`) stay within the points the view's plot can show (`points`)."""

from __future__ import annotations

import numpy as np
import pytest

from cellboard.board import MAX_RAW_POINTS, Board
from cellboard.board.widget import MIN_RANGE_POINTS, range_points


def _board_with(n: int, values: np.ndarray) -> tuple[Board, list[tuple[dict, list[bytes]]]]:
    board = Board(interval=0.0)
    sent: list[tuple[dict, list[bytes]]] = []
    board.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))
    board._on_msg(board, {"type": "hello"}, [])
    board.store.append_scalars("r", "t", np.arange(n), np.zeros(n), values)
    sent.clear()
    return board, sent


def _ask(board: Board, sent: list, **extra: object) -> tuple[dict, np.ndarray]:
    req = {"type": "range", "id": 5, "run": "r", "tag": "t", "x0": 1000, "x1": 400_999, **extra}
    board._on_msg(board, req, [])
    content, buffers = sent[-1]
    assert content["type"] == "range" and content["id"] == 5
    return content, np.frombuffer(buffers[0], "<f8").reshape(3, content["count"])


@pytest.fixture
def spiky():
    """500k points of noise with one spike up and one down inside the zoomed range [1000, 400999]."""
    n = 500_000
    values = np.random.default_rng(0).normal(size=n)
    values[123_457] = 50.0
    values[300_001] = -40.0
    board, sent = _board_with(n, values)
    yield board, sent, values
    board.close()


@pytest.mark.parametrize("points", [100, 101, 3760, 4099, MAX_RAW_POINTS])
def test_points_bounds_the_reply_and_keeps_the_ranges_extremes(spiky, points):
    board, sent, values = spiky
    content, cols = _ask(board, sent, points=points)
    assert content["decimated"] is True
    assert points // 2 <= content["count"] <= points  # power-of-two buckets: at least half the budget
    zoomed = values[1000:401_000]
    assert cols[2].max() == zoomed.max() == 50.0
    assert cols[2].min() == zoomed.min() == -40.0
    # in step order, inside the range, every point a logged one
    assert np.all(np.diff(cols[0]) > 0) and cols[0][0] >= 1000 and cols[0][-1] <= 400_999
    np.testing.assert_array_equal(cols[2], values[cols[0].astype(int)])


def test_without_points_the_reply_is_bounded_by_max_raw_points(spiky):
    board, sent, _ = spiky
    content, cols = _ask(board, sent)
    assert content["decimated"] is True
    assert MAX_RAW_POINTS // 2 <= content["count"] <= MAX_RAW_POINTS
    assert cols[2].max() == 50.0 and cols[2].min() == -40.0


@pytest.mark.parametrize("bad", ["4000", 0, 10**9, MIN_RANGE_POINTS - 1, -5, 3000.5, True, None, [4000]])
def test_bad_points_fall_back_to_max_raw_points(spiky, bad):
    board, sent, _ = spiky
    fallback, _ = _ask(board, sent)
    content, _ = _ask(board, sent, points=bad)
    assert content["count"] == fallback["count"] and content["decimated"] is True


def test_a_range_that_fits_is_sent_whole():
    board, sent = _board_with(10_000, np.arange(10_000, dtype=float))
    try:
        content, cols = _ask(board, sent, points=MAX_RAW_POINTS)
        assert content["decimated"] is False and content["count"] == 9_000
        np.testing.assert_array_equal(cols[0], np.arange(1000, 10_000))
        content, cols = _ask(board, sent, points=9_000)
        assert content["decimated"] is False and content["count"] == 9_000
    finally:
        board.close()


@pytest.mark.parametrize("budget", [100, 101, 977, 4096])
@pytest.mark.parametrize("n", [101, 199, 1_000, 4_097, 12_345, 65_537])
def test_range_points_never_exceeds_the_budget(n, budget):
    rng = np.random.default_rng(n + budget)
    values = rng.normal(size=n)
    steps = np.arange(n, dtype=np.float64)
    s, w, v, decimated = range_points(steps, steps + 0.5, values, budget)
    assert len(s) == len(w) == len(v)
    assert decimated == (n > budget)
    assert len(v) <= budget
    assert v.max() == values.max() and v.min() == values.min()
    np.testing.assert_array_equal(w, s + 0.5)
