"""``cellboard.summary(model, x)``: torchsummaryX's per-layer table, from one forward pass with hooks.

Every module call is a row, in call order: hierarchical name (``features.0``), type, input and
output shapes (tuples, lists and dicts kept as such), kernel shape (the weight's, in and out
swapped as torchsummaryX shows it), the module's own parameters (trainable and frozen) and its
mult-adds. A module called again (shared weights, a recurrent cell in a loop) gets a row per
call, marked ``shared``; its parameters count once.

Figures follow torchinfo's conventions, so they equal torchinfo's on the same model: mult-adds
per leaf module (``Conv*``: parameters x output positions; other layers: parameters x the
first output dimension; recurrent weights: parameters x the first two output dimensions);
activation memory is torchinfo's "forward/backward pass size" (the outputs of leaf modules
with parameters, twice: values and gradients). Two deliberate differences: parameter memory
counts every parameter once (torchinfo's counts only the parameters of leaf modules that ran
as modules, so it misses all of ``MultiheadAttention``'s: ``in_proj_weight`` and the
``out_proj`` it calls functionally), and input memory is the tensors' bytes (torchinfo adds
Python object overhead).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Shape = tuple[int, ...]


@dataclass
class LayerRow:
    """One module call."""

    name: str  # qualified name in the model ("" for the model itself)
    type: str
    depth: int
    input_shapes: Any = None  # a shape tuple, or lists/tuples/dicts of them, as the call got them
    output_shapes: Any = None
    kernel_shape: Shape | None = None
    params: int = 0  # the module's own parameters (not its children's)
    trainable: int = 0
    frozen: int = 0
    mult_adds: int = 0  # leaf modules only (containers: their children's rows hold them)
    leaf: bool = True
    shared: bool = False  # the module was called before: its parameters are counted there
    output_bytes: int = 0  # bytes of the output tensor torchinfo measures (see module docstring)

    @property
    def label(self) -> str:
        return self.name or "(model)"


@dataclass
class ModelSummary:
    """What ``summary()`` returns: ``rows`` and totals; prints as text, shows as HTML in a notebook."""

    model: str
    rows: list[LayerRow]
    total_params: int
    trainable_params: int
    mult_adds: int
    param_bytes: int
    activation_bytes: int
    input_bytes: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def frozen_params(self) -> int:
        return self.total_params - self.trainable_params

    @property
    def total_bytes(self) -> int:
        return self.input_bytes + self.activation_bytes + self.param_bytes

    # ------------------------------------------------------------------ as data
    COLUMNS = (
        "layer",
        "type",
        "input_shape",
        "output_shape",
        "kernel_shape",
        "params",
        "trainable",
        "frozen",
        "mult_adds",
        "shared",
    )

    def records(self) -> list[dict[str, Any]]:
        return [
            {
                "layer": r.label,
                "type": r.type,
                "input_shape": _fmt(r.input_shapes),
                "output_shape": _fmt(r.output_shapes),
                "kernel_shape": _fmt(r.kernel_shape),
                "params": r.params,
                "trainable": r.trainable,
                "frozen": r.frozen,
                "mult_adds": r.mult_adds,
                "shared": r.shared,
            }
            for r in self.rows
        ]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (rows and totals), as ``add_graph`` stores the table next to the graph.

        Shapes keep their structure: a shape is a list of ints, a tuple of values ``{"tuple": [...]}``,
        a list ``{"list": [...]}``, a dict ``{"dict": {...}}`` (``from_dict`` restores them).
        """
        return {
            "model": self.model,
            "rows": [
                {
                    "name": r.name,
                    "type": r.type,
                    "depth": r.depth,
                    "input_shapes": _encode_shapes(r.input_shapes),
                    "output_shapes": _encode_shapes(r.output_shapes),
                    "kernel_shape": list(r.kernel_shape) if r.kernel_shape else None,
                    "params": r.params,
                    "trainable": r.trainable,
                    "frozen": r.frozen,
                    "mult_adds": r.mult_adds,
                    "leaf": r.leaf,
                    "shared": r.shared,
                    "output_bytes": r.output_bytes,
                }
                for r in self.rows
            ],
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "mult_adds": self.mult_adds,
            "param_bytes": self.param_bytes,
            "activation_bytes": self.activation_bytes,
            "input_bytes": self.input_bytes,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ModelSummary:
        """The summary ``to_dict`` gave (raises ``KeyError``/``TypeError``/``ValueError`` on other data)."""
        rows = [
            LayerRow(
                str(r["name"]),
                str(r["type"]),
                int(r["depth"]),
                _decode_shapes(r.get("input_shapes")),
                _decode_shapes(r.get("output_shapes")),
                tuple(int(k) for k in r["kernel_shape"]) if r.get("kernel_shape") else None,
                int(r["params"]),
                int(r["trainable"]),
                int(r["frozen"]),
                int(r["mult_adds"]),
                bool(r["leaf"]),
                bool(r["shared"]),
                int(r.get("output_bytes", 0)),
            )
            for r in d["rows"]
        ]
        return cls(
            str(d["model"]),
            rows,
            int(d["total_params"]),
            int(d["trainable_params"]),
            int(d["mult_adds"]),
            int(d["param_bytes"]),
            int(d["activation_bytes"]),
            int(d["input_bytes"]),
        )

    def to_pandas(self) -> Any:
        """The rows as a ``pandas.DataFrame`` (pandas is optional)."""
        from .store import require_pandas

        pd = require_pandas()
        return pd.DataFrame(self.records(), columns=list(self.COLUMNS))

    def totals(self) -> list[tuple[str, str]]:
        return [
            ("Total params", f"{self.total_params:,}"),
            ("Trainable params", f"{self.trainable_params:,}"),
            ("Non-trainable params", f"{self.frozen_params:,}"),
            ("Mult-adds", _count(self.mult_adds)),
            ("Input size", _bytes(self.input_bytes)),
            ("Forward/backward pass size", _bytes(self.activation_bytes)),
            ("Params size", _bytes(self.param_bytes)),
            ("Estimated total size", _bytes(self.total_bytes)),
        ]

    # ------------------------------------------------------------------ display
    def _table(self) -> tuple[list[str], list[list[str]]]:
        head = ["Layer", "Type", "Input shape", "Output shape", "Kernel shape", "Params", "Mult-adds"]
        body = []
        for r in self.rows:
            params = "--" if not r.params else f"{r.params:,}"
            if r.params and r.frozen == r.params:
                params = f"({params})"  # frozen, as torchinfo shows it
            elif r.frozen:
                params += f" ({r.frozen:,} frozen)"
            if r.shared and r.params:
                params = f"shared: {r.params:,}"
            body.append(
                [
                    "  " * r.depth + r.label,
                    r.type,
                    _fmt(r.input_shapes),
                    _fmt(r.output_shapes),
                    _fmt(r.kernel_shape) if r.kernel_shape else "--",
                    params,
                    f"{r.mult_adds:,}" if r.mult_adds else "--",
                ]
            )
        return head, body

    def __str__(self) -> str:
        head, body = self._table()
        widths = [max(len(head[i]), *(len(row[i]) for row in body)) for i in range(len(head))]
        line = "=" * (sum(widths) + 2 * (len(widths) - 1))

        def fmt(cells: list[str]) -> str:
            return "  ".join(c.ljust(w) if i < 5 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

        out = [line, fmt(head), line, *(fmt(row) for row in body), line]
        out += [f"{k}: {v}" for k, v in self.totals()]
        out.append(line)
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head, body = self._table()
        esc = html.escape
        cells = "".join(
            f"<th style='text-align:{'left' if i < 5 else 'right'}'>{esc(h)}</th>" for i, h in enumerate(head)
        )
        rows = []
        for r, row in zip(self.rows, body):
            tds = []
            for i, c in enumerate(row):
                style = "text-align:right" if i >= 5 else "text-align:left"
                if i == 0:
                    style += f";padding-left:{0.5 + 1.2 * r.depth:.1f}em;white-space:pre"
                    c = r.label
                tds.append(f"<td style='{style};font-family:monospace'>{esc(c)}</td>")
            rows.append("<tr>" + "".join(tds) + "</tr>")
        totals = "".join(
            f"<tr><th style='text-align:left'>{esc(k)}</th><td style='text-align:right'>{esc(v)}</td></tr>"
            for k, v in self.totals()
        )
        return (
            f"<div class='cellboard-summary'><div><b>{esc(self.model)}</b></div>"
            f"<table><thead><tr>{cells}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f"<table>{totals}</table></div>"
        )


# ---------------------------------------------------------------------- formatting
def _fmt(shapes: Any) -> str:
    if shapes is None:
        return "--"
    if isinstance(shapes, tuple) and all(isinstance(d, int) for d in shapes):
        return "[" + ", ".join(str(d) for d in shapes) + "]"
    if isinstance(shapes, Mapping):
        return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in shapes.items()) + "}"
    if isinstance(shapes, (list, tuple)):
        inner = ", ".join(_fmt(s) for s in shapes)
        return f"({inner})" if isinstance(shapes, tuple) else f"[{inner}]"
    return type(shapes).__name__


def _encode_shapes(shapes: Any) -> Any:
    if shapes is None:
        return None
    if isinstance(shapes, tuple) and all(isinstance(d, int) for d in shapes):
        return list(shapes)
    if isinstance(shapes, Mapping):
        return {"dict": {str(k): _encode_shapes(v) for k, v in shapes.items()}}
    if isinstance(shapes, (list, tuple)):
        return {"tuple" if isinstance(shapes, tuple) else "list": [_encode_shapes(s) for s in shapes]}
    return None


def _decode_shapes(data: Any) -> Any:
    if data is None:
        return None
    if isinstance(data, list):
        return tuple(int(d) for d in data)
    if isinstance(data, Mapping) and len(data) == 1:
        ((key, inner),) = data.items()
        if key == "dict" and isinstance(inner, Mapping):
            return {str(k): _decode_shapes(v) for k, v in inner.items()}
        if key in ("tuple", "list") and isinstance(inner, list):
            items = [_decode_shapes(v) for v in inner]
            return tuple(items) if key == "tuple" else items
    raise ValueError(f"not an encoded shape: {data!r}")


def _count(n: int) -> str:
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:,.2f}{unit} ({n:,})"
    return f"{n:,}"


def _bytes(n: int) -> str:
    return f"{n / 1e6:,.2f} MB"


# ---------------------------------------------------------------------- shapes
def _shapes(value: Any) -> Any:
    """The structure of ``value`` with each tensor replaced by its shape (other leaves: None)."""
    import torch

    if isinstance(value, torch.Tensor):
        return tuple(int(d) for d in value.shape)
    if (
        hasattr(value, "data")
        and isinstance(getattr(value, "data", None), torch.Tensor)
        and hasattr(value, "batch_sizes")
    ):  # PackedSequence
        return tuple(int(d) for d in value.data.shape)
    if isinstance(value, Mapping):
        return {str(k): _shapes(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        out = [_shapes(v) for v in value]
        return out if isinstance(value, list) else tuple(out)
    return None


def _primary(value: Any) -> tuple[list[int], int]:
    """torchinfo's ``calculate_size``: the shape and element size it reads for a call's output."""
    import torch

    if value is None:
        return [], 0
    if isinstance(value, (list, tuple)) and value and hasattr(value[0], "data") and hasattr(value[0].data, "size"):
        return list(value[0].data.size()), value[0].data.element_size()
    if isinstance(value, Mapping):
        return _nested(list(value.values())[-1]) if value else ([], 0)
    if isinstance(value, torch.Tensor):
        return list(value.size()), value.element_size()
    if isinstance(value, (list, tuple)):
        return _nested(value)
    return [], 0


def _nested(value: Any) -> tuple[list[int], int]:
    import torch

    if hasattr(value, "tensors"):
        return _nested(value.tensors)
    if isinstance(value, torch.Tensor):
        return list(value.size()), value.element_size()
    if not hasattr(value, "__getitem__") or not value:
        return [], 0
    if isinstance(value, Mapping):
        return _nested(list(value.values()))
    if isinstance(value, (list, tuple)):
        return _nested(value[0])
    return [], 0


def _tensor_bytes(value: Any) -> int:
    import torch

    if isinstance(value, torch.Tensor):
        return value.nelement() * value.element_size()
    if isinstance(value, Mapping):
        return sum(_tensor_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_tensor_bytes(v) for v in value)
    return 0


# ---------------------------------------------------------------------- the forward pass
def _param_count(module: Any, name: str, param: Any) -> tuple[int, str]:
    """Parameters, as torchinfo counts them (a pruned weight counts its mask's ones)."""
    if name.endswith("_orig"):
        mask = module
        for part in f"{name[:-5]}_mask".split("."):
            mask = getattr(mask, part, None)
            if mask is None:
                break
        if mask is not None:
            return int(mask.sum()), name[:-5]
    return param.nelement(), name


def _mult_adds(module: Any, out_shape: list[int]) -> int:
    """torchinfo's ``calculate_macs`` for one call of a leaf module."""
    if not out_shape:
        return 0
    conv = "Conv" in type(module).__name__
    total = 0
    for name, param in module.named_parameters():
        n, name = _param_count(module, name, param)
        if name in ("weight", "bias"):
            total += int(n * math.prod(out_shape[:1] + out_shape[2:])) if conv else out_shape[0] * n
        elif "weight" in name or "bias" in name:
            total += math.prod(out_shape[:2]) * n
    return total


def _make_inputs(model: Any, input_size: Any, dtypes: Sequence[Any] | None, batch_size: int) -> list[Any]:
    import torch

    try:
        device = next(model.parameters()).device
    except (StopIteration, AttributeError):
        device = torch.device("cpu")
    sizes = [input_size] if input_size and all(isinstance(d, int) for d in input_size) else list(input_size)
    dtypes = list(dtypes) if dtypes else [torch.float32] * len(sizes)
    if len(dtypes) != len(sizes):
        raise ValueError(f"dtypes has {len(dtypes)} entries for {len(sizes)} input sizes")
    out = []
    for size, dtype in zip(sizes, dtypes):
        if not all(isinstance(d, int) and d >= 0 for d in size):
            raise TypeError(f"input_size must be a shape (a tuple of ints) or a list of shapes, got {input_size!r}")
        shape = (batch_size, *size)
        out.append(
            torch.rand(shape, device=device)
            if dtype.is_floating_point
            else torch.zeros(shape, dtype=dtype, device=device)
        )
    return out


def summary(
    model: Any,
    *inputs: Any,
    input_size: Sequence[int] | Sequence[Sequence[int]] | None = None,
    batch_size: int = 1,
    dtypes: Sequence[Any] | None = None,
    mode: str = "eval",
    **kwargs: Any,
) -> ModelSummary:
    """A per-layer table of ``model`` from one forward pass (hooks; no gradients), as torchsummaryX.

    Give example inputs (``summary(model, x)``, several for a multi-input forward, keyword
    arguments go to ``forward`` too) or the shape of one example (``input_size=(1, 28, 28)``, as
    torchsummary: a batch of ``batch_size`` random tensors of ``dtypes``, default float32, is made
    on the model's device). The model runs in ``mode`` (``"eval"``, as torchinfo, or ``"train"``);
    its training mode is restored. Figures equal torchinfo's (see the module docstring).
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if inputs and input_size is not None:
        raise TypeError("give example inputs or input_size, not both")
    if not inputs and input_size is None and not kwargs:
        raise TypeError("summary() needs example inputs (summary(model, x)) or input_size=(...)")
    if mode not in ("eval", "train"):
        raise ValueError(f"mode must be 'eval' or 'train', got {mode!r}")
    args = list(inputs) if input_size is None else _make_inputs(model, input_size, dtypes, batch_size)

    names: dict[int, str] = {}
    for name, module in model.named_modules():
        names.setdefault(id(module), name)
    rows: list[LayerRow] = []
    open_rows: list[tuple[LayerRow, Any]] = []
    seen: set[int] = set()
    handles = []

    def pre(module: Any, args_: Any, kwargs_: Any) -> None:
        name = names.get(id(module), "")
        counts = [(_param_count(module, n, p)[0], p.requires_grad) for n, p in module.named_parameters(recurse=False)]
        params = sum(c for c, _ in counts)
        trainable = sum(c for c, g in counts if g)
        weight = getattr(module, "weight", None)
        kernel = None
        if isinstance(weight, torch.Tensor) and weight.dim() > 0:
            k = list(weight.shape)
            if len(k) > 1:
                k[0], k[1] = k[1], k[0]  # [in, out, *kernel], as torchsummaryX and torchinfo show it
            kernel = tuple(k)
        in_shapes = _shapes(tuple(args_))
        given = {k: v for k, v in kwargs_.items() if v is not None}  # keyword arguments left at None: not shown
        if given:
            in_shapes = (*in_shapes, _shapes(given))
        if isinstance(in_shapes, tuple) and len(in_shapes) == 1:
            in_shapes = in_shapes[0]
        row = LayerRow(
            name,
            type(module).__name__,
            0 if not name else name.count(".") + 1,
            in_shapes,
            kernel_shape=kernel,
            params=params,
            trainable=trainable,
            frozen=params - trainable,
            leaf=not any(True for _ in module.children()),
            shared=id(module) in seen,
        )
        seen.add(id(module))
        rows.append(row)
        open_rows.append((row, module))

    def post(module: Any, args_: Any, kwargs_: Any, output: Any) -> None:
        while open_rows:
            row, m = open_rows.pop()
            if m is module:
                break
        else:
            return
        row.output_shapes = _shapes(output)
        shape, elem = _primary(output)
        row.output_bytes = elem * math.prod(shape)
        if row.leaf:
            row.mult_adds = _mult_adds(module, shape)

    for module in {id(m): m for m in model.modules()}.values():
        handles.append(module.register_forward_pre_hook(pre, with_kwargs=True))
        handles.append(module.register_forward_hook(post, with_kwargs=True))
    training = model.training
    try:
        model.train(mode == "train")
        with torch.no_grad():
            model(*args, **kwargs)
    except Exception as exc:
        failing = open_rows[-1][0] if open_rows else None
        if failing is not None:
            add_note = getattr(exc, "add_note", None)  # Python 3.11+
            if add_note is not None:
                add_note(f"cellboard.summary: the forward pass failed in {failing.label!r} ({failing.type})")
        raise
    finally:
        for h in handles:
            h.remove()
        model.train(training)

    unique = {id(p): p for p in model.parameters()}
    total = trainable_total = param_bytes = 0
    for p in unique.values():
        total += p.nelement()
        param_bytes += p.nelement() * p.element_size()
        if p.requires_grad:
            trainable_total += p.nelement()
    # pruned weights count their mask's ones, as torchinfo
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            n, _ = _param_count(module, name, p)
            if n != p.nelement():
                total -= p.nelement() - n
                if p.requires_grad:
                    trainable_total -= p.nelement() - n
    leaves = [r for r in rows if r.leaf]
    mult_adds = sum(r.mult_adds for r in leaves)
    activation = sum(2 * r.output_bytes for r in leaves if r.params > 0)  # x2: gradients, as torchinfo
    return ModelSummary(
        type(model).__name__,
        rows,
        total,
        trainable_total,
        mult_adds,
        param_bytes,
        activation,
        _tensor_bytes(args) + _tensor_bytes(kwargs),
    )


__all__ = ["LayerRow", "ModelSummary", "summary"]
