"""Graphs: the ``GraphDef`` of ``add_graph`` / ``add_onnx_graph`` (``Event.graph_def``), and the
per-module summary table ``add_graph`` stores next to it.

Unlike the other kinds a graph is not a ``Summary.Value``: it is an event of its own (field
``graph_def``), followed for torch's ``add_graph`` by a ``tagged_run_metadata`` event (tag
``step1``, a ``RunMetadata`` with empty step stats for ``/device:CPU:0``). The reader routes
``graph_def`` events here (``decode_graph_event``); the record keeps the serialized
``GraphDef`` and its decoded node list (store tag ``__graph__``).

Two more sources are ``Summary.Value``s, decoded by ``decode`` and stored with the run's other
graphs (``KIND.store_tag``: tag ``__graph__``):

- Keras' ``TensorBoard(write_graph=True)`` callback writes the model's config (``model.to_json()``,
  one string tensor, plugin ``graph_keras_model``, tag ``keras``): TensorBoard's "conceptual
  graph", and with Keras 3 the only graph written; one node per layer (``graph_keras.py``).
- TensorFlow 2's ``tf.summary.trace_export`` writes a ``RunMetadata`` (one string tensor, plugin
  ``graph_run_metadata_graph``, or ``graph_run_metadata`` with profiling on) whose function graphs
  hold the traced ops: their pre-optimisation ``GraphDef``s, several put under ``graph_1/``,
  ``graph_2/``... as TensorBoard merges them. A ``RunMetadata`` without function graphs (TF1's
  step statistics) has no graph to show: it gives no record.

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
from dataclasses import dataclass, field
from typing import Any

from ..summary import ModelSummary
from ..tfevents import messages as M
from ..tfevents.wire import LEN, VARINT, f_bytes, f_str, f_varint, iter_fields, to_int64
from .base import Kind
from .graph_keras import keras_groups, keras_layers

TAG = "__graph__"  # the store's tag for a run's graphs (events carry no tag)
PRODUCER = 22  # GraphDef.versions.producer, as torch writes it
RUN_METADATA_TAG = "step1"  # torch's TaggedRunMetadata tag
SUMMARY_PLUGIN = "cellboard_model_summary"  # the summary table's plugin name (no TensorBoard plugin reads it)
SUMMARY_TAG = "_cellboard_/model_summary"
ATTR_MAX = 160  # characters of a node's attributes sent to the board
KERAS_PLUGIN = "graph_keras_model"  # the Keras TensorBoard callback's model config (tag "keras")
# tf.summary.trace_export's RunMetadata (with function graphs; "graph_run_metadata": profiled too)
RUN_METADATA_PLUGINS = ("graph_run_metadata_graph", "graph_run_metadata")


@dataclass(frozen=True)
class GraphNode:
    name: str
    op: str
    inputs: tuple[str, ...]
    output_shapes: tuple[tuple[int, ...], ...] | None = None  # attr ``_output_shapes``, when present
    attr: str = ""  # attr ``attr`` (torch's node attributes) or ``parameters`` (ONNX), when present


@dataclass(frozen=True)
class GraphRecord:
    """A model graph: a ``GraphDef`` (``graph_def`` its bytes, ``nodes`` decoded from them), a Keras
    model's config (``source`` "keras": ``graph_def`` is b"", ``nodes`` are its layers) or a traced
    ``RunMetadata``'s function graphs (``source`` "trace": ``graph_def`` is b"", ``nodes`` their ops)."""

    step: int
    wall_time: float
    graph_def: bytes
    nodes: tuple[GraphNode, ...]
    summary: ModelSummary | None = None  # add_graph's per-module table, when one was logged with it
    # "graph_def", "keras" (the TensorBoard callback's model config) or "trace" (tf.summary.trace_export)
    source: str = "graph_def"
    # the class of each node scope that is a model (a Keras model's nested models: {"head": "Sequential"})
    groups: dict[str, str] = field(default_factory=dict)


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


def _one_string(val: M.Value) -> bytes | None:
    """The one string a value's tensor holds (None for a value without a tensor)."""
    if val.kind != "tensor" or val.payload is None:
        return None
    t = M.decode_tensor(val.payload)
    if len(t.string_val) != 1:
        raise ValueError(f"{val.tag}: expected one string, got {len(t.string_val)}")
    return t.string_val[0]


def decode(val: M.Value, plugin: str, step: int, wall: float) -> list[SummaryRecord] | list[GraphRecord]:
    """The summary table ``add_graph`` logs (plugin ``cellboard_model_summary``), a Keras model's
    config (``graph_keras_model``; raises on bad JSON or a config that is no model) or a traced
    ``RunMetadata``'s function graphs. GraphDefs come from ``decode_graph_event``."""
    if plugin not in (SUMMARY_PLUGIN, KERAS_PLUGIN, *RUN_METADATA_PLUGINS):
        return []
    data = _one_string(val)
    if data is None:
        return []
    if plugin in RUN_METADATA_PLUGINS:
        nodes = run_metadata_nodes(data)
        return [GraphRecord(step, wall, b"", nodes, source="trace")] if nodes else []
    text = data.decode("utf-8")
    if plugin == KERAS_PLUGIN:
        model = json.loads(text)
        return [GraphRecord(step, wall, b"", keras_nodes(model), source="keras", groups=keras_groups(model))]
    return [SummaryRecord(step, wall, ModelSummary.from_dict(json.loads(text)), text)]


def run_metadata_nodes(run_metadata: Buffer) -> tuple[GraphNode, ...]:
    """The ops of a ``RunMetadata``'s function graphs (field 4; each ``FunctionGraphs``' field 2,
    its pre-optimisation ``GraphDef``); several are put under ``graph_<i>/``, as TensorBoard does:
    their node names need not be unique across graphs."""
    graphs = [
        decode_graph_def(g) for f, fg in _len_fields(run_metadata) if f == 4 for f2, g in _len_fields(fg) if f2 == 2
    ]
    if len(graphs) == 1:
        return graphs[0]
    return tuple(_scoped(n, f"graph_{i}/") for i, nodes in enumerate(graphs, 1) for n in nodes)


def _scoped(n: GraphNode, scope: str) -> GraphNode:
    """``n`` with its name and inputs (``^control`` and ``op:port`` ones too) under ``scope``."""
    inputs = tuple(f"^{scope}{i[1:]}" if i.startswith("^") else scope + i for i in n.inputs)
    return GraphNode(scope + n.name, n.op, inputs, n.output_shapes, n.attr)


def keras_nodes(model: Any) -> tuple[GraphNode, ...]:
    """The layers of a Keras model config (``graph_keras.keras_layers``) as graph nodes."""
    return tuple(GraphNode(*layer) for layer in keras_layers(model))


def store_tag(tag: str, plugin: str) -> str:
    """Keras' model config and traced graphs join the run's graphs (the store's ``__graph__``),
    whatever their tag."""
    return TAG if plugin == KERAS_PLUGIN or plugin in RUN_METADATA_PLUGINS else tag


def with_summaries(graphs: Sequence[GraphRecord], tables: Sequence[SummaryRecord]) -> list[GraphRecord]:
    """Each graph with the table logged with it (same wall time), as ``Store.graph`` returns them."""
    by_wall = {t.wall_time: t.summary for t in tables}
    return [g if g.wall_time not in by_wall else _replace_summary(g, by_wall[g.wall_time]) for g in graphs]


def _replace_summary(g: GraphRecord, table: ModelSummary) -> GraphRecord:
    return GraphRecord(g.step, g.wall_time, g.graph_def, g.nodes, table, g.source, g.groups)


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
    """A graph: ``{"what": "graph", "nodes": n}`` (and ``"source"`` for a Keras model or a trace) + its
    compact node list (and the ``groups`` that are models, when known) as a UTF-8 JSON buffer; a
    summary table: ``{"what": "summary"}`` + ``ModelSummary.to_dict()`` as a UTF-8 JSON buffer."""
    if isinstance(r, SummaryRecord):
        return {"what": "summary"}, r.json.encode("utf-8")
    graph: dict[str, Any] = {"nodes": compact_nodes(r.nodes)}
    if r.groups:
        graph["groups"] = r.groups
    body = json.dumps(graph, separators=(",", ":"))
    fields: dict[str, Any] = {"what": "graph", "nodes": len(r.nodes)}
    if r.source != "graph_def":  # a Keras model: the view labels it and prefers a run's op graph
        fields["source"] = r.source
    return fields, body.encode("utf-8")


KIND = Kind("graph", decode, entry, plugins=(SUMMARY_PLUGIN, KERAS_PLUGIN, *RUN_METADATA_PLUGINS), store_tag=store_tag)
