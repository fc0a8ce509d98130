"""Graphs: the ``GraphDef`` of ``add_graph`` / ``add_onnx_graph`` (``Event.graph_def``), and the
per-module summary table ``add_graph`` stores next to it.

Unlike the other kinds a graph is not a ``Summary.Value``: it is an event of its own (field
``graph_def``), followed for torch's ``add_graph`` by a ``tagged_run_metadata`` event (tag
``step1``, a ``RunMetadata`` with empty step stats for ``/device:CPU:0``). The reader routes
``graph_def`` events here (``decode_graph_event``); the record keeps the serialized
``GraphDef`` and its decoded node list (store tag ``__graph__``).

cellboard's ``add_graph`` also writes ``cellboard.summary``'s table (``ModelSummary.to_dict`` as
JSON in a one-string tensor, plugin ``cellboard_model_summary``, tag ``_cellboard_/model_summary``)
with the graph's wall time: TensorBoard keeps such a value among its tensors and no dashboard
claims it, so it is ignored; ``cellboard.load`` pairs it with its graph (same run and wall time).

Encoders follow tensorboard/compat/proto/{graph,node_def,attr_value,tensor_shape,versions,
config,step_stats,event}.proto, written with the project's wire codec (no protobuf needed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..summary import ModelSummary
from ..tfevents import messages as M
from ..tfevents.wire import LEN, VARINT, f_bytes, f_str, f_varint, iter_fields, to_int64
from .base import Kind

TAG = "__graph__"  # the store's tag for a run's graphs (events carry no tag)
PRODUCER = 22  # GraphDef.versions.producer, as torch writes it
RUN_METADATA_TAG = "step1"  # torch's TaggedRunMetadata tag
SUMMARY_PLUGIN = "cellboard_model_summary"  # the summary table's plugin name (no TensorBoard plugin reads it)
SUMMARY_TAG = "_cellboard_/model_summary"
ATTR_MAX = 160  # characters of a node's attributes sent to the board


@dataclass(frozen=True)
class GraphNode:
    name: str
    op: str
    inputs: tuple[str, ...]
    output_shapes: tuple[tuple[int, ...], ...] | None = None  # attr ``_output_shapes``, when present
    attr: str = ""  # attr ``attr`` (torch's node attributes) or ``parameters`` (ONNX), when present


@dataclass(frozen=True)
class GraphRecord:
    step: int
    wall_time: float
    graph_def: bytes
    nodes: tuple[GraphNode, ...]
    summary: ModelSummary | None = None  # add_graph's per-module table, when one was logged with it


@dataclass(frozen=True)
class SummaryRecord:
    """``add_graph``'s per-module table (``cellboard.summary``), logged with the graph's wall time."""

    step: int
    wall_time: float
    summary: ModelSummary
    json: str  # ModelSummary.to_dict() as logged (what the board is sent)


# --------------------------------------------------------------------------- encoders


def tensor_shape(dims: Sequence[int]) -> bytes:
    """A ``TensorShapeProto``: ``dim`` (2) of ``Dim{size (1)}``; a zero size is omitted, as protobuf."""
    return b"".join(f_bytes(2, f_varint(1, int(d)) if d else b"") for d in dims)


def attr_string(s: bytes) -> bytes:
    """``AttrValue{s}``."""
    return f_bytes(2, s)


def attr_shapes(shapes: Sequence[Sequence[int]]) -> bytes:
    """``AttrValue{list: ListValue{shape: [...]}}``."""
    return f_bytes(1, b"".join(f_bytes(7, tensor_shape(s)) for s in shapes))


def attr_type(dtype: int) -> bytes:
    """``AttrValue{type}``."""
    return f_varint(6, dtype)


def attr_shape(dims: Sequence[int]) -> bytes:
    """``AttrValue{shape}``."""
    return f_bytes(7, tensor_shape(dims))


def node_def(name: str, op: str, inputs: Sequence[str] = (), attr: Sequence[tuple[str, bytes]] = ()) -> bytes:
    """A ``NodeDef``: name (1), op (2), input (3), attr (5: map<string, AttrValue>)."""
    out = f_str(1, name) if name else b""
    if op:
        out += f_str(2, op)
    out += b"".join(f_str(3, i) for i in inputs)
    out += b"".join(M.map_entry(5, k, v) for k, v in attr)
    return out


def graph_def(nodes: Sequence[bytes], producer: int = PRODUCER) -> bytes:
    """A ``GraphDef``: node (1), versions (4: ``VersionDef{producer}``)."""
    return b"".join(f_bytes(1, n) for n in nodes) + f_bytes(4, f_varint(1, producer))


def cpu_run_metadata() -> bytes:
    """torch's ``RunMetadata(step_stats=StepStats(dev_stats=[DeviceStepStats(device="/device:CPU:0")]))``."""
    return f_bytes(1, f_bytes(1, f_str(1, "/device:CPU:0")))


def graph_event(graph: bytes, wall: float) -> bytes:
    """``Event{wall_time, graph_def}`` (step 0, as torch)."""
    return M.event(wall) + f_bytes(4, graph)


def run_metadata_event(run_metadata: bytes, wall: float, tag: str = RUN_METADATA_TAG) -> bytes:
    """``Event{wall_time, tagged_run_metadata{tag, run_metadata}}``."""
    return M.event(wall) + f_bytes(8, f_str(1, tag) + f_bytes(2, run_metadata))


def summary_event(table: ModelSummary, wall: float, step: int = 0) -> tuple[bytes, SummaryRecord]:
    """The event holding ``table`` (a JSON string tensor under ``SUMMARY_TAG``) and its record."""
    text = json.dumps(table.to_dict(), separators=(",", ":"))
    meta = M.plugin_metadata(SUMMARY_PLUGIN)  # DATA_CLASS_UNKNOWN: TensorBoard's data providers skip it
    tensor = M.tensor(M.DT_STRING, (), string_val=[text.encode("utf-8")])
    ev = M.event(wall, step, summary=M.summary(M.value(SUMMARY_TAG, tensor=tensor, metadata=meta)))
    return ev, SummaryRecord(step, wall, table, text)


def record(graph: bytes, wall: float, step: int = 0) -> GraphRecord:
    return GraphRecord(step, wall, bytes(graph), decode_graph_def(graph))


# --------------------------------------------------------------------------- decoders


Buffer = bytes | memoryview


def _len_fields(buf: Buffer) -> Iterator[tuple[int, memoryview]]:
    """``(field, value)`` of the LEN fields of a message (the only wire type these messages nest)."""
    for f, wt, v in iter_fields(buf):
        if wt == LEN and not isinstance(v, int):
            yield f, v


def _text(v: memoryview) -> str:
    return bytes(v).decode("utf-8", "replace")


def _decode_shape(buf: Buffer) -> tuple[int, ...]:
    dims = []
    for f, dim in _len_fields(buf):
        if f == 2:
            size = 0
            for f2, wt2, v2 in iter_fields(dim):
                if f2 == 1 and wt2 == VARINT and isinstance(v2, int):
                    size = to_int64(v2)
            dims.append(size)  # -1: unknown, as TensorFlow writes it
    return tuple(dims)


def _decode_attr(buf: Buffer) -> tuple[str, tuple[tuple[int, ...], ...] | None]:
    """``(s, list.shape or shape)`` of an ``AttrValue`` (whichever it holds)."""
    s, shapes = "", None
    for f, v in _len_fields(buf):
        if f == 2:
            s = _text(v)
        elif f == 1:
            shapes = tuple(_decode_shape(v2) for f2, v2 in _len_fields(v) if f2 == 7)
        elif f == 7:
            shapes = (_decode_shape(v),)
    return s, shapes


def decode_node(buf: Buffer) -> GraphNode:
    name = op = attr_s = ""
    inputs: list[str] = []
    shapes = None
    for f, v in _len_fields(buf):
        if f == 1:
            name = _text(v)
        elif f == 2:
            op = _text(v)
        elif f == 3:
            inputs.append(_text(v))
        elif f == 5:
            key, value = "", None
            for f2, v2 in _len_fields(v):
                if f2 == 1:
                    key = _text(v2)
                elif f2 == 2:
                    value = v2
            if value is None:
                continue
            s, sh = _decode_attr(value)
            if key == "_output_shapes" or (key == "shape" and shapes is None):  # "shape": ONNX inputs/outputs
                shapes = sh
            elif key in ("attr", "parameters"):
                attr_s = s
    return GraphNode(name, op, tuple(inputs), shapes, attr_s)


def decode_graph_def(buf: Buffer) -> tuple[GraphNode, ...]:
    """The nodes of a serialized ``GraphDef`` (TensorFlow's, torch's, tensorboardX's, ONNX's)."""
    return tuple(decode_node(v) for f, v in _len_fields(buf) if f == 1)


def decode_graph_event(graph: bytes | memoryview, step: int, wall: float) -> list[GraphRecord]:
    """The record of an event's ``graph_def`` field (raises on a malformed GraphDef)."""
    return [GraphRecord(step, wall, bytes(graph), decode_graph_def(graph))]


def decode(val: M.Value, plugin: str, step: int, wall: float) -> list[SummaryRecord]:
    """The summary table ``add_graph`` logs (plugin ``cellboard_model_summary``); graphs come from
    ``decode_graph_event``, never from a ``Summary.Value``."""
    if plugin != SUMMARY_PLUGIN or val.kind != "tensor" or val.payload is None:
        return []
    t = M.decode_tensor(val.payload)
    if len(t.string_val) != 1:
        raise ValueError(f"{SUMMARY_TAG}: expected one JSON string, got {len(t.string_val)}")
    text = t.string_val[0].decode("utf-8")
    return [SummaryRecord(step, wall, ModelSummary.from_dict(json.loads(text)), text)]


def with_summaries(graphs: Sequence[GraphRecord], tables: Sequence[SummaryRecord]) -> list[GraphRecord]:
    """Each graph with the table logged with it (same wall time), as ``Store.graph`` returns them."""
    by_wall = {t.wall_time: t.summary for t in tables}
    return [g if g.wall_time not in by_wall else _replace_summary(g, by_wall[g.wall_time]) for g in graphs]


def _replace_summary(g: GraphRecord, table: ModelSummary) -> GraphRecord:
    return GraphRecord(g.step, g.wall_time, g.graph_def, g.nodes, table)


# --------------------------------------------------------------------------- the board's entry

_PORT = re.compile(r":\d+$")  # TensorFlow's "node:1" (an op's second output)
_SPACES = re.compile(r"\s+")


def _input_name(name: str) -> str:
    """The node an input names: TensorFlow's control inputs (``^a``) and output ports (``a:1``) stripped."""
    return _PORT.sub("", name[1:] if name.startswith("^") else name)


def _short_attr(attr: str) -> str:
    """torch's ``{ value : 1}`` -> ``value: 1``; empty ``{}`` -> ""; cut at ``ATTR_MAX`` characters."""
    a = attr.strip()
    if a.startswith("{") and a.endswith("}"):
        a = a[1:-1]
    a = _SPACES.sub(" ", a.replace(" : ", ": ")).strip()
    return a if len(a) <= ATTR_MAX else a[: ATTR_MAX - 1] + "\u2026"


def compact_nodes(nodes: Sequence[GraphNode]) -> list[list[Any]]:
    """``[name, op, [input node indices], output shapes or None, attrs]`` per node (docs/protocol.md).

    Inputs naming no node of the graph (torch's module objects, e.g. ``.../weight/conv1``) are left out.
    """
    index = {n.name: i for i, n in enumerate(nodes)}
    out = []
    for n in nodes:
        inputs = sorted({j for j in (index.get(_input_name(i)) for i in n.inputs) if j is not None})
        shapes = [list(s) for s in n.output_shapes] if n.output_shapes is not None else None
        out.append([n.name, n.op, inputs, shapes, _short_attr(n.attr)])
    return out


def entry(r: GraphRecord | SummaryRecord) -> tuple[dict[str, Any], bytes | None]:
    """A graph: ``{"what": "graph", "nodes": n}`` + its compact node list as a UTF-8 JSON buffer; a
    summary table: ``{"what": "summary"}`` + ``ModelSummary.to_dict()`` as a UTF-8 JSON buffer."""
    if isinstance(r, SummaryRecord):
        return {"what": "summary"}, r.json.encode("utf-8")
    body = json.dumps({"nodes": compact_nodes(r.nodes)}, separators=(",", ":"))
    return {"what": "graph", "nodes": len(r.nodes)}, body.encode("utf-8")


KIND = Kind("graph", decode, entry, plugins=(SUMMARY_PLUGIN,))
