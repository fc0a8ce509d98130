"""Meshes and point clouds (``add_mesh``): TensorBoard's ``mesh`` plugin format, as torch writes it.

One ``add_mesh(tag, ...)`` is one event holding up to three float tensors of shape ``(B, N, 3)``,
tagged ``<tag>_VERTEX``, ``<tag>_FACE`` and ``<tag>_COLOR``, each with the plugin's
``MeshPluginData`` metadata (name, content type, shape, components bitmask, three.js JSON config).
``decode`` keeps one record per tensor; ``assemble`` (``Store.mesh``) pairs them back per step.

The board's Mesh tab gets one entry per tensor record (``entry``: its tag is the value tag, ``name`` the
mesh's): the browser pairs them per (run, name, step) as ``assemble`` does, so each entry keeps the
protocol's one binary buffer. ``cellboard.load`` reads them (``Store.mesh``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import summaries as S
from ..tfevents import messages as M
from ..tfevents.wire import LEN, VARINT, WireError, f_bytes, f_str, f_varint, iter_fields, varint
from .base import Kind

PLUGIN = "mesh"
VERTEX, FACE, COLOR = 1, 2, 3  # MeshPluginData.ContentType
CONTENT_NAMES = {VERTEX: "VERTEX", FACE: "FACE", COLOR: "COLOR"}


@dataclass(frozen=True, eq=False)  # holds arrays: compared by identity
class MeshTensorRecord:
    """One tensor of a mesh summary, as stored under its value tag (``<name>_VERTEX``...)."""

    step: int
    wall_time: float
    name: str  # the tag given to add_mesh
    content: str  # "VERTEX", "FACE" or "COLOR"
    data: np.ndarray  # float32 (B, N, 3), as the event file holds it
    json_config: str = "{}"
    components: int = 0  # bitmask of the content types logged together (1 << type)


@dataclass(frozen=True, eq=False)  # holds arrays: compared by identity
class Mesh:
    """One logged mesh or point cloud (``Store.mesh(run, tag)``)."""

    step: int
    wall_time: float
    vertices: np.ndarray  # float32 (B, N, 3)
    faces: np.ndarray | None  # int64 (B, F, 3) vertex indices, or None
    colors: np.ndarray | None  # float32 (B, N, 3) as logged (TensorBoard's viewer reads 0..255), or None
    config: dict[str, Any]  # the three.js config_dict (empty when none was given)


def _plugin_data(name: str, content_type: int, components: int, shape: tuple[int, ...], json_config: str) -> bytes:
    """A serialized ``MeshPluginData`` (version 0 is proto3's default: not written)."""
    packed = b"".join(varint(d) for d in shape)
    return (
        f_str(2, name)
        + f_varint(3, content_type)
        + f_str(5, json_config)
        + (f_bytes(6, packed) if packed else b"")
        + f_varint(7, components)
    )


def _float_tensor(arr: np.ndarray) -> bytes:
    """``TensorProto(dtype=DT_FLOAT, tensor_shape=..., float_val=[...])``, as torch builds it."""
    shape = b"".join(f_bytes(2, f_varint(1, d) if d else b"") for d in arr.shape)
    out = f_varint(1, M.DT_FLOAT) + f_bytes(2, shape)
    if arr.size:
        out += f_bytes(5, np.ascontiguousarray(arr, "<f4").tobytes())
    return out


def _array(value: Any, name: str) -> np.ndarray:
    arr = S.to_numpy(value, name)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"{name} must have shape (B, N, 3), got {tuple(arr.shape)}")
    return arr.astype(np.float32)


def check_vertex_indices(f: np.ndarray, n: int, name: str) -> None:
    """``f`` holds vertex indices of a mesh of ``n`` vertices, else a ``ValueError`` naming ``name``:
    indices past the vertices would draw nothing (or garbage) in TensorBoard and on the board."""
    if f.size and not (np.isfinite(f).all() and f.min() >= 0 and f.max() < n and (f == np.rint(f)).all()):
        raise ValueError(
            f"{name} must hold vertex indices, integers from 0 to {n - 1} (a mesh of {n} vertices), "
            f"got values from {f.min():g} to {f.max():g}"
        )


def encode(
    tag: str, vertices: Any, colors: Any = None, faces: Any = None, config_dict: dict[str, Any] | None = None
) -> bytes:
    """The ``Summary`` torch's ``summary.mesh`` serializes: vertices, faces, colors (those given)."""
    if config_dict is not None and not isinstance(config_dict, dict):
        raise TypeError(f"config_dict must be a dict or None, got {type(config_dict).__name__}")
    try:
        json_config = "{}" if config_dict is None else json.dumps(config_dict, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"config_dict must be JSON-serializable: {exc}") from None
    verts = _array(vertices, "vertices")
    b, n = verts.shape[:2]
    parts = [(VERTEX, verts)]
    if faces is not None:
        f = _array(faces, "faces")
        if f.shape[0] != b:
            raise ValueError(f"faces must have the batch size of vertices ({b}), got shape {tuple(f.shape)}")
        check_vertex_indices(f, n, "faces")
        parts.append((FACE, f))
    if colors is not None:
        c = _array(colors, "colors")
        if c.shape[:2] != (b, n):
            raise ValueError(
                f"colors must have a colour per vertex, shape ({b}, {n}, 3) as vertices, got {tuple(c.shape)}"
            )
        parts.append((COLOR, c))
    components = 0
    for content_type, _ in parts:
        components |= 1 << content_type
    values = []
    for content_type, arr in parts:
        meta = M.plugin_metadata(PLUGIN, _plugin_data(tag, content_type, components, arr.shape, json_config))
        values.append(M.value(f"{tag}_{CONTENT_NAMES[content_type]}", tensor=_float_tensor(arr), metadata=meta))
    return M.summary(*values)


def _parse_plugin_data(content: bytes) -> tuple[str, int, str, int]:
    name, content_type, json_config, components = "", 0, "{}", 0
    for f, wt, v in iter_fields(content):
        if f == 2 and wt == LEN:
            name = bytes(v).decode("utf-8", "replace")
        elif f == 3 and wt == VARINT:
            content_type = int(v)
        elif f == 5 and wt == LEN:
            json_config = bytes(v).decode("utf-8", "replace")
        elif f == 7 and wt == VARINT:
            components = int(v)
    return name, content_type, json_config, components


def decode(val: M.Value, plugin: str, step: int, wall: float) -> list[MeshTensorRecord]:
    if val.kind != "tensor" or val.payload is None:
        return []
    data = M.decode_tensor(val.payload).numbers().astype(np.float32)
    if data.ndim != 3:
        raise WireError(f"a mesh tensor has shape {list(data.shape)}, expected (B, N, 3)")
    name, content_type, json_config, components = "", 0, "{}", 0
    if val.metadata is not None:
        name, content_type, json_config, components = _parse_plugin_data(M.decode_metadata(val.metadata).content)
    if content_type not in CONTENT_NAMES:  # metadata only on the tag's first value: the tag says which
        base, _, suffix = val.tag.rpartition("_")
        # torch: <name>_VERTEX; tensorboardX: <name>_1
        content_type = next((k for k, n in CONTENT_NAMES.items() if suffix in (n, str(k))), VERTEX)
        name = name or base
    name = name or val.tag
    return [MeshTensorRecord(step, wall, name, CONTENT_NAMES[content_type], data, json_config, components)]


def assemble(parts: dict[str, list[MeshTensorRecord]]) -> list[Mesh]:
    """Meshes from the records of ``<tag>_VERTEX``/``_FACE``/``_COLOR``, paired by step in logged order."""
    pending: dict[str, dict[int, list[MeshTensorRecord]]] = {}
    for content in ("FACE", "COLOR"):
        by_step: dict[int, list[MeshTensorRecord]] = {}
        for r in parts.get(content, ()):
            by_step.setdefault(r.step, []).append(r)
        pending[content] = by_step
    out = []
    for v in parts.get("VERTEX", ()):
        face = pending["FACE"].get(v.step)
        color = pending["COLOR"].get(v.step)
        f = face.pop(0) if face else None
        c = color.pop(0) if color else None
        try:
            config = json.loads(v.json_config or "{}")
        except ValueError:
            config = {}
        out.append(
            Mesh(
                v.step,
                v.wall_time,
                v.data,
                None if f is None else np.rint(f.data).astype(np.int64),
                None if c is None else c.data,
                config if isinstance(config, dict) else {},
            )
        )
    return out


def entry(r: MeshTensorRecord) -> tuple[dict[str, Any], bytes]:
    """One tensor of a mesh for the board: ``name`` (the add_mesh tag), ``content``, ``shape`` (B, N, 3),
    ``config`` (the three.js config_dict), and the numbers in the smallest exact little-endian type:
    vertices float32 (as the file holds them), faces uint32 vertex indices, colours uint8 (0..255)."""
    data = r.data
    if r.content == "FACE":
        buf = np.clip(np.rint(np.nan_to_num(data, nan=0.0)), 0, 2**32 - 1).astype("<u4").tobytes()
    elif r.content == "COLOR":
        buf = np.clip(np.rint(np.nan_to_num(data, nan=0.0)), 0, 255).astype(np.uint8).tobytes()
    else:
        buf = np.ascontiguousarray(data, "<f4").tobytes()
    try:
        config = json.loads(r.json_config or "{}")
    except ValueError:
        config = {}
    fields: dict[str, Any] = {
        "name": r.name,
        "content": r.content,
        "shape": [int(d) for d in data.shape],
        "config": config if isinstance(config, dict) else {},
    }
    return fields, buf


KIND = Kind("mesh", decode, entry, plugins=(PLUGIN,), preempts=True)
