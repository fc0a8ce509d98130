"""The registry of data kinds: one module per kind, one line each in ``KINDS``.

Order is TensorBoard's dashboard order. See docs/adding-a-kind.md.
"""

from __future__ import annotations

from . import (
    audio,
    custom_scalars,
    embeddings,
    graph,
    histograms,
    hparams,
    images,
    mesh,
    plots,
    pr_curves,
    scalars,
    text,
)
from .base import Kind

KINDS: tuple[Kind, ...] = (
    plots.KIND,  # cellboard.Visdom's windows: first, so a Visdom board opens on them
    scalars.KIND,
    custom_scalars.KIND,
    images.KIND,
    audio.KIND,
    graph.KIND,  # add_graph's GraphDef and its summary table: the Graph tab
    histograms.KIND,
    text.KIND,
    pr_curves.KIND,
    hparams.KIND,
    embeddings.KIND,  # add_embedding's projector files (not events): the Projector tab
    mesh.KIND,  # add_mesh's tensors: the Mesh tab (one entry per tensor, paired in the browser)
)

BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
RECORD_KINDS: tuple[str, ...] = tuple(k.name for k in KINDS if not k.columnar)
_BY_PLUGIN: dict[str, Kind] = {p: k for k in KINDS for p in k.plugins}
_BY_LEGACY: dict[str, Kind] = {f: k for k in KINDS for f in k.legacy}


def for_value(value_kind: str, plugin: str) -> Kind | None:
    """The kind that reads a ``Summary.Value`` of this oneof field and plugin name.

    Legacy fields (``simple_value``, ``image``, ``histo``, ``audio``) name their kind; tensors
    and metadata-only values (hparams) are routed by the tag's plugin.
    """
    if value_kind in _BY_LEGACY:
        return _BY_LEGACY[value_kind]
    return _BY_PLUGIN.get(plugin)


__all__ = ["BY_NAME", "KINDS", "RECORD_KINDS", "Kind", "for_value"]
