"""cellboard: TensorBoard inside a notebook cell.

``SummaryWriter`` is a drop-in for torch's, writing standard event files and feeding a live
store; ``load`` reads any log directory (cellboard, torch, tensorboardX, TensorFlow, JAX).
"""

from .reader import load
from .store import Scalars, Store
from .writer import SummaryWriter

__version__ = "0.1.0"
__all__ = ["Scalars", "Store", "SummaryWriter", "__version__", "load"]
