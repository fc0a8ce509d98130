"""Argument checks shared by ``cellboard.Visdom``'s window calls: where Visdom asserts, a
``ValueError`` naming the argument."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import summaries as S


def as_array(value, name: str) -> np.ndarray:
    try:
        return np.asarray(S.to_numpy(value, name), dtype=np.float64)
    except TypeError as exc:
        raise ValueError(str(exc)) from None


def need(cond: bool, msg: str) -> None:
    if not cond:
        raise ValueError(msg)


def clean_opts(opts) -> dict[str, Any]:
    if opts is None:
        return {}
    need(isinstance(opts, Mapping), f"opts must be a dict, got {type(opts).__name__}")
    out = {}
    for k, v in opts.items():
        if S.is_torch_tensor(v) or isinstance(v, np.ndarray):
            v = np.asarray(S.to_numpy(v, f"opts[{k!r}]")).tolist()
        elif isinstance(v, np.generic):
            v = v.item()
        elif isinstance(v, tuple):
            v = list(v)
        out[str(k)] = v
    for key in ("legend", "rownames", "columnnames"):
        if key in out and out[key] is not None:
            need(isinstance(out[key], list), f"opts[{key!r}] must be a list or tuple, got {type(out[key]).__name__}")
            out[key] = [str(x) for x in out[key]]
    if "title" in out and out["title"] is not None:
        out["title"] = str(out["title"])
    for key in (
        "width",
        "height",
        "markersize",
        "numbins",
        "xmin",
        "xmax",
        "xtickmin",
        "xtickmax",
        "ytickmin",
        "ytickmax",
    ):
        if key in out and out[key] is not None:
            need(
                isinstance(out[key], (int, float)) and not isinstance(out[key], bool) and np.isfinite(out[key]),
                f"opts[{key!r}] must be a finite number, got {out[key]!r}",
            )
    return json.loads(json.dumps(out, default=str, allow_nan=False))


def bool_opt(o: dict[str, Any], key: str, default: bool) -> bool:
    """``opts[key]`` (``default`` when absent), which must be a bool."""
    v = o.get(key, default)
    need(isinstance(v, (bool, np.bool_)), f"opts[{key!r}] must be True or False, got {v!r}")
    return bool(v)


def color_opt(o: dict[str, Any], key: str) -> None:
    """``opts[key]``, when given, must be a CSS colour string."""
    if o.get(key) is not None:
        need(isinstance(o[key], str), f"opts[{key!r}] should be a CSS colour string, got {o[key]!r}")


def unit_opt(o: dict[str, Any], key: str) -> None:
    """``opts[key]``, when given, must be a number in [0, 1]."""
    if o.get(key) is not None:
        v = o[key]
        need(
            isinstance(v, (int, float)) and not isinstance(v, bool) and 0.0 <= v <= 1.0,
            f"opts[{key!r}] should be in [0, 1], got {v!r}",
        )
