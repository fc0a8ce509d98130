"""Keras models as graphs: the layers of a model config (``model.to_json()``), which Keras'
``TensorBoard(write_graph=True)`` callback logs (plugin ``graph_keras_model``, tag ``keras``):
TensorBoard's "conceptual graph", and with Keras 3 the only graph written. ``kinds/graph.py``
turns the layers into its ``GraphNode`` records.

``model.to_json()``: ``{"class_name", "config": {"name", "layers": [...]}}``. A layer is
``{"class_name", "config", "name"?, "inbound_nodes"?}``; a nested model is a layer whose config
has its own ``layers``. Sequential models chain their layers; Functional ones (config with
``output_layers``) name each layer's inputs in ``inbound_nodes``: Keras 3 as ``{"args", "kwargs"}``
holding ``__keras_tensor__`` dicts (``keras_history: [layer, node, tensor]``), Keras 2 as lists of
``[layer, node, tensor, kwargs]``.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any, NamedTuple


class Layer(NamedTuple):
    """A layer as a graph node: ``name`` (``inner/dense`` in a nested model), ``op`` (its class),
    the names of the layers feeding it, its output shapes where the config records them (an
    InputLayer's; Keras 3's, as the next layers saw them) and its settings."""

    name: str
    op: str
    inputs: tuple[str, ...]
    output_shapes: tuple[tuple[int, ...], ...] | None
    attr: str


Feeds = list[list[str]]  # per input tensor: the node names it comes from
Shapes = tuple[tuple[int, ...], ...] | None  # a layer's output shapes (-1: any size), None when unknown
# config keys that say nothing about what a layer computes (or are shown elsewhere: the shape, the layers)
_QUIET_KEYS = frozenset(
    "name trainable dtype batch_shape batch_input_shape sparse ragged optional seed"
    " layers input_layers output_layers build_input_shape".split()
)
_QUIET_SUFFIXES = ("_initializer", "_regularizer", "_constraint")


def keras_layers(model: Any) -> tuple[Layer, ...]:
    """One node per layer of a Keras model config (``model.to_json()``, parsed); raises ``ValueError``
    when it is no model config. A model listing no layers (a subclassed model) is one node."""
    if not isinstance(model, dict) or not isinstance(model.get("class_name"), str):
        raise ValueError("Keras model config without a class_name")
    nodes: list[Layer] = []
    layers = _sublayers(model)
    if layers:
        _add_model(_config(model), layers, "", [], nodes)
    else:
        _add_layer(model, _layer_name(model, 0), "", [], nodes)
    return tuple(nodes)


def keras_groups(model: Any) -> dict[str, str]:
    """``{nested model's scope: its class}`` (``head``: ``Sequential``), for the groups
    ``keras_layers`` puts their layers in; {} for a model nesting none."""
    out: dict[str, str] = {}

    def walk(layers: list[dict[str, Any]], scope: str) -> None:
        for i, layer in enumerate(layers):
            inner = _sublayers(layer)
            if inner:
                path = scope + _layer_name(layer, i)
                out[path] = str(layer.get("class_name", "Model"))
                walk(inner, path + "/")

    if isinstance(model, dict):
        walk(_sublayers(model), "")
    return out


def _config(layer: dict[str, Any]) -> dict[str, Any]:
    cfg = layer.get("config")
    return cfg if isinstance(cfg, dict) else {}


def _sublayers(layer: dict[str, Any]) -> list[dict[str, Any]]:
    """A nested model's layers (old Keras wrote a Sequential's config as the list itself); [] for a layer."""
    cfg = layer.get("config")
    layers = cfg if isinstance(cfg, list) else cfg.get("layers") if isinstance(cfg, dict) else None
    return [x for x in layers if isinstance(x, dict)] if isinstance(layers, list) else []


def _layer_name(layer: dict[str, Any], i: int) -> str:
    name = layer.get("name") or _config(layer).get("name")
    return name if isinstance(name, str) and name else f"{layer.get('class_name', 'layer')}_{i}"


def _named(layers: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {_layer_name(x, i): x for i, x in enumerate(layers)}


def _is_functional(cfg: dict[str, Any]) -> bool:
    return "output_layers" in cfg


def _is_history(x: Any) -> bool:
    """``[layer name, node index, tensor index, ...]``."""
    return (
        isinstance(x, list)
        and len(x) >= 3
        and isinstance(x[0], str)
        and all(isinstance(i, int) and not isinstance(i, bool) for i in x[1:3])
    )


def _refs(x: Any, names: Container[str]) -> list[tuple[str, int]]:
    """``(layer, tensor index)`` of the tensors ``x`` names, in order: Keras 3's ``__keras_tensor__``
    dicts and Keras 2's ``[layer, node, tensor, kwargs]`` lists (their kwargs may name more)."""
    out: list[tuple[str, int]] = []
    if isinstance(x, dict):
        history = _config(x).get("keras_history") if x.get("class_name") == "__keras_tensor__" else None
        if history is not None:
            return [(history[0], history[2])] if _is_history(history) and history[0] in names else []
        for v in x.values():
            out += _refs(v, names)
    elif isinstance(x, list):
        if _is_history(x) and x[0] in names:
            return [(x[0], x[2]), *_refs(x[3:], names)]
        for v in x:
            out += _refs(v, names)
    return out


def _shape(x: Any) -> tuple[int, ...] | None:
    """A shape as a config writes it (``[null, 8]``; None dims -> -1), or None when ``x`` is none."""
    if not isinstance(x, list) or not all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in x):
        return None
    return tuple(-1 if d is None else d for d in x)


def _tensor_shapes(x: Any, out: dict[tuple[str, int], tuple[int, ...]]) -> None:
    """The shapes of the tensors ``x`` names, where the config says them (Keras 3's ``__keras_tensor__``
    dicts carry theirs), into ``out`` by ``(layer, tensor index)``."""
    if isinstance(x, dict):
        if x.get("class_name") == "__keras_tensor__":
            history, shape = _config(x).get("keras_history"), _shape(_config(x).get("shape"))
            if isinstance(history, list) and _is_history(history) and shape is not None:
                out[(history[0], history[2])] = shape
            return
        for v in x.values():
            _tensor_shapes(v, out)
    elif isinstance(x, list):
        for v in x:
            _tensor_shapes(v, out)


def _sequential_shapes(layers: list[dict[str, Any]]) -> list[Shapes]:
    """Each layer's output shape in a Sequential model: the next layer's built input shape (Keras 3's
    ``build_config``), None for the last one and where none was recorded."""
    out: list[Shapes] = []
    for x in layers[1:]:
        shape = _shape(_config_of(x, "build_config").get("input_shape"))
        out.append(None if shape is None else (shape,))
    return [*out, None]


def _config_of(layer: dict[str, Any], key: str) -> dict[str, Any]:
    value = layer.get(key)
    return value if isinstance(value, dict) else {}


def _pick(outputs: list[str], index: int) -> list[str]:
    """Output ``index`` of a layer (all of them when the index is out of range)."""
    return [outputs[index]] if 0 <= index < len(outputs) else outputs


def _outputs(layer: dict[str, Any], path: str) -> list[str]:
    """The node names of a layer's outputs (``path``: its full name): itself, or a nested model's outputs."""
    layers = _sublayers(layer)
    if not layers:
        return [path]
    cfg = _config(layer)
    if not _is_functional(cfg):
        return _outputs(layers[-1], f"{path}/{_layer_name(layers[-1], len(layers) - 1)}")
    named = _named(layers)
    outs = [_pick(_outputs(named[n], f"{path}/{n}"), t) for n, t in _refs(cfg["output_layers"], named)]
    return [o for out in outs for o in out]


def _add_layer(
    layer: dict[str, Any], name: str, scope: str, feeds: Feeds, nodes: list[Layer], shapes: Shapes = None
) -> None:
    """A layer's node (fed by ``feeds``; ``shapes``: its outputs', where known), or a nested model's
    nodes under its name."""
    layers = _sublayers(layer)
    if layers:
        _add_model(_config(layer), layers, f"{scope}{name}/", feeds, nodes)
        return
    inputs = tuple(dict.fromkeys(n for feed in feeds for n in feed))
    cls = str(layer.get("class_name", ""))
    cfg = _config(layer)
    if cls == "InputLayer":
        shapes = _input_shape(cfg)
    nodes.append(Layer(f"{scope}{name}", cls, inputs, shapes, _keras_attr(cfg)))


def _add_model(cfg: dict[str, Any], layers: list[dict[str, Any]], scope: str, feeds: Feeds, nodes: list[Layer]) -> None:
    """A model's layers, names prefixed with ``scope``; ``feeds``: what its inputs come from, when nested."""
    if not _is_functional(cfg):  # Sequential: each layer reads the one before it
        for i, (layer, shapes) in enumerate(zip(layers, _sequential_shapes(layers), strict=True)):
            name = _layer_name(layer, i)
            _add_layer(layer, name, scope, feeds, nodes, shapes)
            feeds = [_outputs(layer, scope + name)]
        return
    named = _named(layers)
    entry = {name: i for i, (name, _) in enumerate(_refs(cfg.get("input_layers"), named))}
    tensors: dict[tuple[str, int], tuple[int, ...]] = {}  # (layer, output index) -> shape, as its readers saw it
    for layer in named.values():
        _tensor_shapes(layer.get("inbound_nodes"), tensors)
    for name, layer in named.items():
        inbound = [_pick(_outputs(named[n], scope + n), t) for n, t in _refs(layer.get("inbound_nodes"), named)]
        if name in entry and feeds:  # a nested model's input: fed from outside, by position when they match
            inbound += [feeds[entry[name]]] if len(feeds) == len(entry) else feeds
        outs = sorted((t, shape) for (n, t), shape in tensors.items() if n == name)
        _add_layer(layer, name, scope, inbound, nodes, tuple(shape for _, shape in outs) or None)


def _input_shape(cfg: dict[str, Any]) -> Shapes:
    """An InputLayer's shape (Keras 3 ``batch_shape``, Keras 2 ``batch_input_shape``); None dims -> -1."""
    shape = _shape(cfg.get("batch_shape", cfg.get("batch_input_shape")))
    return None if shape is None else (shape,)


def _attr_value(v: Any) -> str | None:
    """A config value as shown on a node (None: not shown): scalars, short lists, objects' class names."""
    if isinstance(v, float):
        return f"{v:.6g}"  # float32 values read back as doubles: 0.1, not 0.10000000149011612
    if isinstance(v, bool | int | str):
        return str(v)
    if isinstance(v, list) and all(isinstance(x, bool | int | float | str) for x in v):
        return "[" + ", ".join(_attr_value(x) or "" for x in v) + "]"
    if isinstance(v, dict) and isinstance(v.get("class_name"), str):
        return v["class_name"]  # an activation or other object given as an object
    return None


def _keras_attr(cfg: dict[str, Any]) -> str:
    """``units: 16, activation: relu``: what a layer computes, without its dtype, initialisers and the like."""
    parts = []
    for k, v in cfg.items():
        if k in _QUIET_KEYS or k.endswith(_QUIET_SUFFIXES) or v is None:
            continue
        text = _attr_value(v)
        if text is not None:
            parts.append(f"{k}: {text}")
    return ", ".join(parts)
