"""cellboard: TensorBoard inside a notebook cell.

``SummaryWriter`` is a drop-in for torch's, writing standard event files and feeding a live
store; ``load`` reads any log directory (cellboard, torch, tensorboardX, TensorFlow, JAX).
"""

from .integrations import patch, unpatch
from .logdir import open_logdir as open
from .magics import load_ipython_extension
from .reader import load
from .store import Scalars, Store, TagDescription
from .summary import ModelSummary, summary
from .visdom import Visdom
from .writer import SummaryWriter

__version__ = "0.1.0"
__all__ = [
    "Board",
    "ModelSummary",
    "Scalars",
    "Store",
    "SummaryWriter",
    "TagDescription",
    "Visdom",
    "__version__",
    "load",
    "load_ipython_extension",
    "open",
    "patch",
    "summary",
    "unpatch",
]


def __getattr__(name: str):
    if name == "Board":  # imported lazily: writing logs needs no widget libraries
        from .board import Board

        return Board
    raise AttributeError(f"module 'cellboard' has no attribute {name!r}")
