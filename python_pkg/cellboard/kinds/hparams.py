"""HParams: one session per run (its hyperparameters) and the experiment (metric names, domains).

``add_hparams`` writes TensorBoard's HPARAMS plugin messages as torch does: an experiment, a
session start and a session end in a sub-run, plus each metric as a scalar of that sub-run.
The values of a session's metrics are that run's scalar series of the metric tags; a metric
with a group (TensorFlow's ``hp.Metric(tag, group=...)``) is the scalar ``tag`` of the
session's sub-run ``group``, named ``group/tag``. Sessions whose experiment names no metrics
(Keras' ``hp.KerasCallback`` alone) get TensorBoard's inferred ones on the board: every scalar
logged in the session's run or its sub-runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..tfevents import messages as M
from ..tfevents.wire import I64, LEN, as_double, f_bytes, f_double, f_str, f_varint, iter_fields, iter_len
from .base import Kind

EXPERIMENT_TAG = "_hparams_/experiment"
SESSION_START_TAG = "_hparams_/session_start_info"
SESSION_END_TAG = "_hparams_/session_end_info"


@dataclass(frozen=True)
class HParamsRecord:
    """A session (tag ``session_start_info``: ``hparams`` set) or an experiment (``metrics``
    and ``domains`` set)."""

    step: int
    wall_time: float
    hparams: dict[str, Any]
    metrics: list[str]
    domains: dict[str, list[Any]] = field(default_factory=dict)
    # an experiment's display names (TensorFlow's ``hp.HParam(..., display_name=)``, ``hp.Metric``'s),
    # by hyperparameter name and by metric name; the board titles their columns with them
    hparam_labels: dict[str, str] = field(default_factory=dict)
    metric_labels: dict[str, str] = field(default_factory=dict)
    # an experiment's descriptions (``hp.HParam(..., description=)``, ``hp.Metric``'s), by the same
    # names; the board shows them as its column headers' tooltips
    hparam_descriptions: dict[str, str] = field(default_factory=dict)
    metric_descriptions: dict[str, str] = field(default_factory=dict)
    # an experiment's interval domains (``hp.RealInterval``, ``hp.IntInterval``): name -> (min, max);
    # the board's axis of such a column spans the declared search space
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)


def _pb_value(buf: memoryview) -> Any:
    """google.protobuf.Value; an integral number stays an int (``batch_size`` 64, not 64.0)."""
    for f, wt, v in iter_fields(buf):
        if f == 1:
            return None
        if isinstance(v, int):  # VARINT
            if f == 4:
                return bool(v)
        elif f == 2 and wt == I64:
            x = as_double(v)
            return int(x) if math.isfinite(x) and x.is_integer() and abs(x) < 2**53 else x
        elif f == 3 and wt == LEN:
            return bytes(v).decode("utf-8", "replace")
        elif f == 6 and wt == LEN:
            return [_pb_value(x) for x in iter_len(v, 1)]
    return None


def _session(content: memoryview, step: int, wall: float) -> HParamsRecord:
    hp: dict[str, Any] = {}
    for v in iter_len(content, 1):  # map<string, Value> hparams
        k, val = "", None
        for f2, wt2, v2 in iter_fields(v):
            if isinstance(v2, int) or wt2 != LEN:
                continue
            if f2 == 1:
                k = bytes(v2).decode("utf-8", "replace")
            elif f2 == 2:
                val = _pb_value(v2)
        hp[k] = val
    return HParamsRecord(step, wall, hp, [])


def _experiment(content: memoryview, step: int, wall: float) -> HParamsRecord:
    metrics: list[str] = []
    domains: dict[str, list[Any]] = {}
    hparam_labels: dict[str, str] = {}
    metric_labels: dict[str, str] = {}
    hparam_descriptions: dict[str, str] = {}
    metric_descriptions: dict[str, str] = {}
    intervals: dict[str, tuple[float, float]] = {}
    for f, wt, v in iter_fields(content):
        if isinstance(v, int) or wt != LEN:
            continue
        if f == 4:  # HParamInfo{name = 1, display_name = 2, description = 3, domain_discrete = 5, domain_interval = 6}
            name, label, description = "", "", ""
            values: list[Any] | None = None
            interval: tuple[float, float] | None = None
            for f2, wt2, v2 in iter_fields(v):
                if isinstance(v2, int) or wt2 != LEN:
                    continue
                if f2 == 1:
                    name = bytes(v2).decode("utf-8", "replace")
                elif f2 == 2:
                    label = bytes(v2).decode("utf-8", "replace")
                elif f2 == 3:
                    description = bytes(v2).decode("utf-8", "replace")
                elif f2 == 5:  # domain_discrete: ListValue; the domains are a oneof: the last one wins
                    values, interval = [_pb_value(x) for x in iter_len(v2, 1)], None
                elif f2 == 6:
                    values, interval = None, _interval(v2)
            if values is not None:
                domains[name] = values
            if interval is not None:
                intervals[name] = interval
            if label and label != name:
                hparam_labels[name] = label
            if description:
                hparam_descriptions[name] = description
        elif f == 5:  # MetricInfo{name = 1: MetricName{group, tag}, display_name = 3, description = 4}
            name, label, description = "", "", ""
            for f2, wt2, v2 in iter_fields(v):
                if wt2 == LEN and not isinstance(v2, int):
                    if f2 == 1:
                        name = _metric_name(v2)
                    elif f2 == 3:
                        label = bytes(v2).decode("utf-8", "replace")
                    elif f2 == 4:
                        description = bytes(v2).decode("utf-8", "replace")
            metrics.append(name)
            if label and label != name:
                metric_labels[name] = label
            if description:
                metric_descriptions[name] = description
    return HParamsRecord(
        step,
        wall,
        {},
        metrics,
        domains,
        hparam_labels,
        metric_labels,
        hparam_descriptions,
        metric_descriptions,
        intervals,
    )


def _interval(buf: memoryview) -> tuple[float, float]:
    """``Interval{min_value = 1, max_value = 2}``: plain proto3 doubles, so an absent bound is 0.0
    (what TensorBoard's own reader makes of it), not an open end."""
    lo = hi = 0.0
    for f, wt, v in iter_fields(buf):
        if wt == I64 and not isinstance(v, int):
            if f == 1:
                lo = as_double(v)
            elif f == 2:
                hi = as_double(v)
    return lo, hi


def _metric_name(buf: memoryview) -> str:
    """A ``MetricName`` as the path of its scalar from the session's run: ``tag``, or
    ``group/tag`` for a metric logged in the session's sub-run ``group`` (TensorFlow's
    ``hp.Metric("accuracy", group="validation")``: ``validation/accuracy``)."""
    group, tag = "", ""
    for f, wt, v in iter_fields(buf):
        if wt == LEN and not isinstance(v, int):
            if f == 1:
                group = bytes(v).decode("utf-8", "replace").strip("/")
            elif f == 2:
                tag = bytes(v).decode("utf-8", "replace")
    return f"{group}/{tag}" if group else tag


def decode(val: M.Value, plugin: str, step: int, wall: float) -> list[HParamsRecord]:
    # torch and tensorboardX put everything in the metadata's plugin content (empty tensor)
    if val.metadata is None or val.tag not in (SESSION_START_TAG, EXPERIMENT_TAG):
        return []
    content = M.decode_metadata(val.metadata).content
    for f, wt, v in iter_fields(content):  # HParamsPluginData
        if isinstance(v, int) or wt != LEN:
            continue
        if f == 3 and val.tag == SESSION_START_TAG:
            return [_session(v, step, wall)]
        if f == 2 and val.tag == EXPERIMENT_TAG:
            return [_experiment(v, step, wall)]
    return []


def encode(
    hp: dict[str, Any], metrics: list[str], domains: Mapping[str, Sequence[Any]], wall: float, step: int
) -> list[tuple[str, bytes, HParamsRecord | None]]:
    """``(tag, event, record)`` for the experiment, session start and session end messages."""
    out = []
    for tag, content in _contents(hp, metrics, domains, wall):
        meta = M.plugin_metadata("hparams", content, M.DATA_CLASS_TENSOR)
        null = M.tensor(M.DT_FLOAT, (0,))
        ev = M.event(wall, step, summary=M.summary(M.value(tag, tensor=null, metadata=meta)))
        record = None
        if tag == SESSION_START_TAG:  # the live record holds what a reader of the file gets
            written = {k: int(v) if isinstance(v, bool) else v for k, v in hp.items() if v is not None}
            record = HParamsRecord(step, wall, written, list(metrics))
        elif tag == EXPERIMENT_TAG:
            record = HParamsRecord(step, wall, {}, list(metrics), {k: list(d) for k, d in domains.items()})
        out.append((tag, ev, record))
    return out


def _as_torch(v: Any) -> Any:
    """torch writes a bool hparam as the number 1.0/0.0 (its ``isinstance(v, int)`` matches bools
    first); cellboard writes what torch writes, so TensorBoard shows both runs alike."""
    return float(v) if isinstance(v, bool) else v


def _contents(
    hp: dict[str, Any], metrics: list[str], domains: Mapping[str, Sequence[Any]], now: float
) -> list[tuple[str, bytes]]:
    hp = {k: _as_torch(v) for k, v in hp.items()}
    domains = {k: [_as_torch(d) for d in dom] for k, dom in domains.items()}
    infos = b""
    for k, v in hp.items():
        if v is None:
            continue  # torch skips None values
        dtype = 3 if isinstance(v, (int, float)) else 1  # DATA_TYPE_FLOAT64, DATA_TYPE_STRING
        info = f_str(1, k) + f_varint(4, dtype)
        if k in domains:
            info += f_bytes(5, b"".join(f_bytes(1, M.pb_value(d)) for d in domains[k]))
        infos += f_bytes(4, info)
    metric_infos = b"".join(f_bytes(5, f_bytes(1, f_str(2, m))) for m in metrics)
    experiment = infos + metric_infos
    start = b"".join(M.map_entry(1, k, M.pb_value(v)) for k, v in hp.items() if v is not None) + f_double(5, now)
    end = f_varint(1, 1) + f_double(2, now)  # Status.SUCCESS
    return [
        (EXPERIMENT_TAG, f_bytes(2, experiment)),
        (SESSION_START_TAG, f_bytes(3, start)),
        (SESSION_END_TAG, f_bytes(4, end)),
    ]


def _json_number(v: Any) -> Any:
    """A non-finite float as its text ("nan", "inf", "-inf"; the board reads those back as numbers):
    JSON has no such numbers."""
    return v if not isinstance(v, float) or math.isfinite(v) else str(v)


def entry(r: HParamsRecord) -> tuple[dict[str, Any], bytes | None]:
    hp = {k: _json_number(v) for k, v in r.hparams.items()}
    domains = {k: [_json_number(d) for d in dom] for k, dom in r.domains.items()}
    out: dict[str, Any] = {"hparams": hp, "metrics": list(r.metrics), "domains": domains}
    if r.hparam_labels or r.metric_labels:
        out["labels"] = {"hparams": r.hparam_labels, "metrics": r.metric_labels}
    if r.hparam_descriptions or r.metric_descriptions:
        out["descriptions"] = {"hparams": r.hparam_descriptions, "metrics": r.metric_descriptions}
    if r.intervals:
        out["intervals"] = {k: [_json_number(lo), _json_number(hi)] for k, (lo, hi) in r.intervals.items()}
    return out, None


KIND = Kind("hparams", decode, entry, plugins=("hparams",))
