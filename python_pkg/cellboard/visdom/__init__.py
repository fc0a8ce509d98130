"""``cellboard.Visdom``: Visdom's client API with the board in the notebook cell (no server).

- ``client.py``: the ``Visdom`` class, every call of Visdom's client;
- ``charts.py``: the windows built from structured data (dual-axis lines, sunburst, network graph,
  properties, the 2-D view of an embedding);
- ``messages.py``: Visdom's wire messages (plotly traces and panes) as calls: ``replay_log``,
  ``_send``, ``plotlyplot``;
- ``state.py``: a window as ``get_window_data`` writes it, read back for ``set_window_data``;
- ``media.py``: HTML text as markdown, video files as frames;
- ``args.py``: the argument checks they share.
"""

from .client import Visdom, VisdomNote, windows
from .media import html_to_markdown

__all__ = ["Visdom", "VisdomNote", "html_to_markdown", "windows"]
