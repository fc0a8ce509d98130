"""``add_graph``'s ``GraphDef``: torch's graph builder (``torch.utils.tensorboard._pytorch_graph``)
without protobuf or tensorboard.

The model is traced with ``torch.jit.trace`` and the inlined graph parsed into the same nodes, in
the same order, with the same names, ops, inputs and attributes as torch's writer: only the
encoding differs (``kinds.graph``'s wire encoders instead of tensorboard's protobuf classes).
Tracing runs without recording gradients, on whatever device the model and inputs are on, with
the model in eval mode; its training mode is restored. A failing trace says which module failed
(wrong input) or why the model cannot be traced.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

from .kinds import graph as G
from .summary import ModelSummary

_GETATTR = "prim::GetAttr"
_CLASSTYPE = "ClassType"


class GraphTraceError(RuntimeError):
    """``torch.jit.trace`` could not trace a model that runs (see the message for why)."""


class _Node:
    """One node of torch's ``GraphPy`` (an input/output, a parameter or an op output)."""

    __slots__ = ("attributes", "debug_name", "inputs", "io", "kind", "outputs", "outputs_size", "scope", "tensor_size")

    def __init__(
        self,
        debug_name: str,
        inputs: list[str],
        scope: str | None,
        tensor_size: Any,
        kind: str = "UnSpecified",
        attributes: str = "",
        io: str | None = None,
    ) -> None:
        self.debug_name, self.inputs, self.scope, self.tensor_size = debug_name, inputs, scope, tensor_size
        self.kind, self.attributes, self.io = kind, attributes, io
        self.outputs: list[str] = []
        self.outputs_size: list[Any] = []


def _io_node(value: Any, io: str | None) -> _Node:
    """torch's ``NodePyIO``: a graph input/output value (a ``Parameter`` when ``io`` is None)."""
    try:
        size = value.type().sizes()
    except (RuntimeError, AttributeError):  # torch catches RuntimeError only
        size = [1]  # a constant model or a non-tensor input, as torch
    return _Node(value.debugName(), [], None, size, "IO Node" if io else "Parameter", "", io)


def _node_attr(node: Any, key: str) -> Any:
    return getattr(node, node.kindOf(key))(key)


def _op_node(node: Any) -> _Node:
    """torch's ``NodePyOP``."""
    out = _Node(
        "",
        [v.debugName() for v in node.inputs()],
        node.scopeName(),
        None,
        node.kind(),
        str({k: _node_attr(node, k) for k in node.attributeNames()}).replace("'", " "),
    )
    outs = list(node.outputs())
    out.outputs = [v.debugName() for v in outs]
    out.outputs_size = [v.type().sizes() if v.isCompleteTensor() else None for v in outs]
    return out


def parse(graph: Any, trace: Any) -> list[bytes]:
    """torch's ``parse`` + ``GraphPy.populate_namespace_from_OP_to_IO`` + ``to_proto``: ``NodeDef`` bytes."""
    import torch

    nodes_io: dict[str, _Node] = {}
    nodes_op: list[_Node] = []
    for value in graph.inputs():
        if len(value.uses()) == 0:  # omit_useless_nodes
            continue
        if value.type().kind() != _CLASSTYPE:
            n = _io_node(value, "input")
            nodes_io[n.debug_name] = n

    attr_to_scope: dict[str, str] = {}
    for node in graph.nodes():
        if node.kind() == _GETATTR:
            attr_name = node.s("name")
            attr_key = node.output().debugName()
            parent = node.input().node()
            if parent.kind() == _GETATTR:
                parent_scope = attr_to_scope[parent.output().debugName()]
                attr_to_scope[attr_key] = f"{parent_scope}/{parent_scope.split('/')[-1]}.{attr_name}"
            else:
                attr_to_scope[attr_key] = f"__module.{attr_name}"
            if node.output().type().kind() != _CLASSTYPE:
                op = _op_node(node)
                op.scope = attr_to_scope[attr_key]
                nodes_op.append(op)
        else:
            nodes_op.append(_op_node(node))

    for i, value in enumerate(graph.outputs()):
        n = _io_node(value, "output")
        n.debug_name = f"output.{i + 1}"
        n.inputs = [value.debugName()]
        nodes_io[n.debug_name] = n

    def traced_name(module: Any) -> str:
        if isinstance(module, torch.jit.TracedModule):
            return str(module._name)
        return str(getattr(module, "original_name", "Module"))

    alias_to_name = {}
    base_name = traced_name(trace)
    for name, module in trace.named_modules(prefix="__module"):
        alias_to_name[name] = f"{traced_name(module)}[{name.split('.')[-1]}]"
    for op in nodes_op:
        replacements = [alias_to_name.get(a, a.split(".")[-1]) for a in (op.scope or "").split("/")]
        op.scope = base_name
        if any(replacements):
            op.scope += "/" + "/".join(replacements)

    # populate_namespace_from_OP_to_IO
    scopes_seen = []
    for op in nodes_op:
        for out_name, out_size in zip(op.outputs, op.outputs_size, strict=True):
            scopes_seen.append(op.scope)
            nodes_io[out_name] = _Node(out_name, op.inputs, op.scope, out_size, op.kind, op.attributes)
    shallowest = "default"
    for full in scopes_seen:
        if full:
            shallowest = full.split("/")[0]
    scoped: dict[str, str] = {}
    for op in nodes_op:
        for input_id in op.inputs:
            scoped[input_id] = f"{op.scope}/{input_id}"
    for key, n in nodes_io.items():
        if n.io is None and n.kind != "Parameter":  # torch's plain NodeBase: an op's output
            scoped[key] = f"{n.scope}/{n.debug_name}"
        if n.io is not None:
            scoped[key] = f"{n.io}/{n.debug_name}"
        if n.scope is not None:
            scoped[key] = f"{n.scope}/{n.debug_name}"
            if n.scope == "" and shallowest:
                scoped[n.debug_name] = f"{shallowest}/{n.debug_name}"
    for n in nodes_io.values():
        n.inputs = [scoped[i] for i in n.inputs]
        if n.debug_name in scoped:
            n.debug_name = scoped[n.debug_name]

    out = []
    for n in nodes_io.values():
        attr = [("attr", G.attr_string(n.attributes.encode("utf-8")))]
        if n.tensor_size is not None:
            attr.append(("_output_shapes", G.attr_shapes([n.tensor_size])))
        out.append(G.node_def(n.debug_name, n.kind, n.inputs, attr))
    return out


@contextlib.contextmanager
def _eval_mode(model: Any) -> Iterator[None]:
    import torch

    if isinstance(model, torch.jit.ScriptFunction) or not hasattr(model, "train"):
        yield
        return
    training = model.training
    model.train(False)
    try:
        yield
    finally:
        model.train(training)


def _call(model: Any, args: Any) -> Any:
    """Call the model with ``args`` as ``torch.jit.trace`` passes them."""
    import torch

    if args is None:
        return model()
    if isinstance(args, (torch.Tensor, dict)):
        return model(args)
    if isinstance(args, (tuple, list)):
        return model(*args)
    return model(args)


def _failing_module(model: Any, args: Any) -> tuple[str, str, BaseException] | None:
    """Run the model once more with hooks: ``(qualified name, type, exception)`` of the innermost
    module whose forward raised, or None when the forward runs (the trace itself failed)."""
    import torch

    stack: list[str] = []
    failed: list[str] = []
    names = {id(m): name for name, m in model.named_modules()} if isinstance(model, torch.nn.Module) else {}
    handles = []

    def pre(module: Any, _inputs: Any) -> None:
        stack.append(names.get(id(module), ""))

    def post(module: Any, _inputs: Any, _output: Any) -> None:
        if stack:
            stack.pop()

    if isinstance(model, torch.nn.Module):
        for m in model.modules():
            handles.append(m.register_forward_pre_hook(pre))
            handles.append(m.register_forward_hook(post))
    try:
        _call(model, args)
    except Exception as exc:  # noqa: BLE001 - reported by the caller
        failed = stack[:]
        name = failed[-1] if failed else ""
        module = dict(model.named_modules()).get(name, model) if isinstance(model, torch.nn.Module) else model
        return name, type(module).__name__, exc
    finally:
        for h in handles:
            h.remove()
    return None


def _add_note(exc: BaseException, note: str) -> None:
    add = getattr(exc, "add_note", None)  # Python 3.11+
    if add is not None:
        add(note)


def trace_graph(
    model: Any, args: Any = None, verbose: bool = False, use_strict_trace: bool = True
) -> tuple[bytes, bytes]:
    """``(GraphDef, RunMetadata)`` bytes of ``model`` traced on ``args``, as torch's ``graph()``."""
    import torch

    if not callable(model):
        raise TypeError(f"model must be a torch.nn.Module (or a function), got {type(model).__name__}")
    with _eval_mode(model), torch.no_grad():
        try:
            trace = torch.jit.trace(model, args, strict=use_strict_trace)
            graph = trace.graph
            torch._C._jit_pass_inline(graph)
        except Exception as exc:
            found = _failing_module(model, args)
            model_name = type(model).__name__
            if found is not None:  # the model itself fails on these inputs
                name, mtype, _ = found
                where = f"module {name!r} ({mtype})" if name else f"the model's own forward ({model_name})"
                note = f"cellboard: add_graph: running {model_name} on input_to_model failed in {where}"
                if isinstance(exc, RuntimeError):
                    raise RuntimeError(f"{exc}\n{note}") from exc
                _add_note(exc, note)
                raise
            text = str(exc).lower()
            hint = (
                "; pass use_strict_trace=False to trace models that return lists or dicts"
                if use_strict_trace and ("dict" in text or "list" in text)
                else ""
            )
            raise GraphTraceError(
                f"cellboard: add_graph cannot trace {model_name} with torch.jit.trace (the model "
                f"runs on these inputs, but tracing failed: {type(exc).__name__}: {exc}){hint}. "
                f"Nothing was logged."
            ) from exc
    if verbose:
        print(graph)
    nodes = parse(graph, trace)
    return G.graph_def(nodes), G.cpu_run_metadata()


def summary_table(model: Any, args: Any) -> ModelSummary | None:
    """``cellboard.summary`` of ``model`` on ``add_graph``'s inputs (passed as ``torch.jit.trace`` passes
    them), or None for what has no table: a function, no inputs, or a forward the hooks cannot follow
    (a warning says why; the graph is logged all the same)."""
    import torch

    from .summary import summary

    if not isinstance(model, torch.nn.Module) or args is None:
        return None
    if isinstance(args, (torch.Tensor, dict)):
        args = (args,)
    elif not isinstance(args, (tuple, list)):
        args = (args,)
    try:
        return summary(model, *args)
    except Exception as exc:  # noqa: BLE001 - the graph is the point of add_graph: say why the table is missing
        warnings.warn(
            f"cellboard: add_graph logs {type(model).__name__}'s graph without its summary table "
            f"(cellboard.summary failed: {type(exc).__name__}: {exc})",
            RuntimeWarning,
            stacklevel=3,
        )
        return None


def onnx_graph(prototxt: Any) -> bytes:
    """The ``GraphDef`` torch's ``add_onnx_graph`` writes for an ONNX model file (``onnx.load``)."""
    try:
        import onnx
    except ImportError as exc:
        raise ImportError("cellboard: add_onnx_graph needs the optional 'onnx' package: pip install onnx") from exc
    g = onnx.load(prototxt).graph
    nodes = []
    for value in list(g.input) + list(g.output):
        tensor_type = value.type.tensor_type
        dims = [d.dim_value for d in tensor_type.shape.dim]
        nodes.append(
            G.node_def(
                value.name,
                "Variable",
                (),
                [("dtype", G.attr_type(tensor_type.elem_type)), ("shape", G.attr_shape(dims))],
            )
        )
    for node in g.node:
        params = ", ".join(" = ".join(str(f[1]) for f in a.ListFields()) for a in node.attribute)
        nodes.append(
            G.node_def(
                node.output[0], node.op_type, list(node.input), [("parameters", G.attr_string(params.encode("utf-8")))]
            )
        )
    return G.graph_def(nodes)
