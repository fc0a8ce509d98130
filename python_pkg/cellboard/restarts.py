"""A step logged again replaces the series from that step on, as TensorBoard's data server shows it.

When a record arrives whose step is at or below the last step of its series (run, tag),
TensorBoard's data server drops the series' records at that step or later ("preemption", in its
reservoirs): a run resumed from a checkpoint into the same log directory replaces the steps it logs
again, and of values logged twice at one step the last is shown. Drawn in step order instead,
the two passes interleave into a zigzag. So a record stays exactly when every record logged after
it in its series has a greater step, and every series is strictly increasing in step. The event
files keep everything; TensorBoard's Python ``EventAccumulator`` (``--load_fast=false``) keeps
both passes too, in logged order.
"""

from __future__ import annotations

import bisect
import itertools
import operator

import numpy as np


def survivors(steps: np.ndarray, walls: np.ndarray | None = None) -> np.ndarray | None:
    """Mask of the records of one batch, in logged order, that no later record of the batch
    replaces; None when all stay (strictly increasing steps, the usual case).

    With ``walls``, neighbours of equal step and wall time are one event's samples (TensorFlow's
    images and audio log several per event) and stay or go together, as the one reservoir item
    TensorBoard makes of them.
    """
    n = steps.size
    if n < 2:
        return None
    if walls is None:
        if bool((steps[1:] > steps[:-1]).all()):
            return None
        first = np.ones(n, bool)
    else:
        first = np.ones(n, bool)  # where an event starts
        first[1:] = (steps[1:] != steps[:-1]) | (walls[1:] != walls[:-1])
        if bool(first.all()) and bool((steps[1:] > steps[:-1]).all()):
            return None
    events = steps[first]
    later_min = np.minimum.accumulate(events[::-1])[::-1]  # later_min[i]: the least step from event i on
    keep = np.ones(events.size, bool)
    keep[:-1] = events[:-1] < later_min[1:]
    if keep.all():
        return None
    return keep[np.cumsum(first) - 1]


def extend(held: list, records: list) -> tuple[int, bool]:
    """Append ``records`` (each with ``step`` and ``wall_time``, in logged order) to a series'
    ``held`` list by the rule above. Returns how many records were replaced (held or new) and
    whether held ones were cut (consumers holding the list then start over)."""
    steps = np.fromiter((r.step for r in records), np.int64, len(records))
    walls = np.fromiter((r.wall_time for r in records), np.float64, len(records))
    keep = survivors(steps, walls)
    replaced = 0
    if keep is not None:
        replaced = len(records)
        records = list(itertools.compress(records, keep.tolist()))
        replaced -= len(records)
    first = records[0]
    last = held[-1] if held else None
    # at or below the last step held, and not more samples of the last event held
    cut = last is not None and (first.step, first.wall_time) != (last.step, last.wall_time) and first.step <= last.step
    if cut:
        at = bisect.bisect_left(held, first.step, key=operator.attrgetter("step"))
        replaced += len(held) - at
        del held[at:]
    held.extend(records)
    return replaced, cut
