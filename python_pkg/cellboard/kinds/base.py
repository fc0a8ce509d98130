"""What a data kind is: the contract every module in ``cellboard.kinds`` fulfils.

A kind (scalars, images, histograms, ...) owns, in one module: the TensorBoard plugin names and
legacy ``Summary.Value`` fields it reads, decoding a value into its records, its record type,
the writer's encoding for its ``add_*`` methods, and turning a record into a board delta entry
(JSON fields + at most one binary buffer; docs/protocol.md). The store, the reader and the
board are generic over the registry in ``kinds/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..tfevents.messages import Value

# decode(value, plugin name, step, wall time) -> records (floats for the columnar scalars kind)
Decoder = Callable[[Value, str, int, float], list[Any]]
# entry(record) -> (kind-specific entry fields, optional binary buffer)
EntryEncoder = Callable[[Any], tuple[dict[str, Any], bytes | memoryview | None]]


@dataclass(frozen=True)
class Kind:
    """One data kind, as the reader, the store and the board see it."""

    name: str  # store and wire name, e.g. "images"
    decode: Decoder
    entry: EntryEncoder | None = None  # None for the columnar scalars kind (the board decimates it)
    plugins: tuple[str, ...] = ()  # SummaryMetadata plugin names this kind reads
    legacy: tuple[str, ...] = ()  # Value oneof fields read without a plugin: image, histo, audio, simple_value
    columnar: bool = False  # scalars: numpy columns instead of record lists
    board: bool = True  # False: read and stored (``cellboard.load``), not sent to the board (no tab yet)
    # A record kept per step, as TensorBoard's time series: a step logged again replaces the tag's
    # records from that step on (``cellboard.restarts``; the columnar scalars always do).
    # False for records that are not a series over steps (a Visdom window's operations, hparams).
    preempts: bool = False
    # (value tag, plugin) -> the store tag of its records, when not the value's own tag (graph: a
    # Keras model config, tag "keras", is stored with the run's GraphDefs under "__graph__")
    store_tag: Callable[[str, str], str] | None = None

    def tag_for(self, tag: str, plugin: str) -> str:
        """The store tag of the records of a value with this tag and plugin."""
        return tag if self.store_tag is None else self.store_tag(tag, plugin)
