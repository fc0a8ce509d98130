"""The live board: the anywidget (``widget.py``), its delta messages (``messages.py``) and the
static PNG published when training ends (``snapshot.py``)."""

from .messages import MAX_MESSAGE_BYTES, MAX_RAW_POINTS, TOTAL_POINTS_BUDGET
from .widget import Board

__all__ = ["MAX_MESSAGE_BYTES", "MAX_RAW_POINTS", "TOTAL_POINTS_BUDGET", "Board"]
