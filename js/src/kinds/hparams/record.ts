// An hparams record (docs/protocol.md): `{..., hparams, metrics, domains}`, no buffer. Tag
// `_hparams_/session_start_info` is a session (its run's hyperparameters); tag
// `_hparams_/experiment` is an experiment (metric tags and discrete domains; display names,
// descriptions and interval domains when it has them).

import { isObj, str, type Buffers, type Obj } from "../../wire";
import type { RecordSlice } from "../record-kind";
import type { RecordEntry } from "../types";
import {
  asNumber, NO_LABELS, type ExperimentRecord, type HValue, type Interval, type Labels, type SessionRecord,
} from "./model";

export const SESSION_TAG = "_hparams_/session_start_info";
export const EXPERIMENT_TAG = "_hparams_/experiment";

export interface HParamsRecord extends RecordEntry {
  hparams: Record<string, HValue>;
  metrics: string[];
  domains: Record<string, HValue[]>;
  /** An experiment's display names, by hyperparameter and by metric name (TensorFlow's `display_name`). */
  labels: Labels;
  /** An experiment's descriptions, by hyperparameter and by metric name (TensorFlow's `description`). */
  descriptions: Labels;
  /** An experiment's interval domains by hyperparameter name (TensorFlow's `hp.RealInterval`, `hp.IntInterval`). */
  intervals: Record<string, Interval>;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) if (typeof x === "string" && x !== "") out[k] = x;
  return out;
}

/** `{name: [min, max]}`; a bound may be a non-finite float's text ("inf"); anything else is dropped. */
function intervals(v: unknown): Record<string, Interval> {
  const out: Record<string, Interval> = {};
  if (!isObj(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    if (!Array.isArray(x) || x.length !== 2) continue;
    const lo = asNumber(x[0]), hi = asNumber(x[1]);
    if (lo !== undefined && hi !== undefined) out[k] = [lo, hi];
  }
  return out;
}

function hvalue(v: unknown): HValue {
  if (v === null || typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  return JSON.stringify(v) ?? null; // a list value: shown as text
}

export function decodeHParams(e: Obj, _buffers: Buffers, base: RecordEntry): HParamsRecord {
  if (e.hparams !== undefined && !isObj(e.hparams)) throw new TypeError(`hparams ${base.run}: hparams is not an object`);
  if (e.metrics !== undefined && !Array.isArray(e.metrics)) throw new TypeError(`hparams ${base.run}: metrics is not a list`);
  const hparams: Record<string, HValue> = {};
  for (const [k, v] of Object.entries(isObj(e.hparams) ? e.hparams : {})) hparams[k] = hvalue(v);
  const metrics = (Array.isArray(e.metrics) ? e.metrics : []).map(str).filter((m): m is string => m !== null && m !== "");
  const domains: Record<string, HValue[]> = {};
  if (isObj(e.domains)) {
    for (const [k, d] of Object.entries(e.domains)) if (Array.isArray(d)) domains[k] = d.map(hvalue);
  }
  const byColumn = (v: unknown): Labels => (isObj(v) ? { hparams: stringMap(v.hparams), metrics: stringMap(v.metrics) } : NO_LABELS);
  return { ...base, hparams, metrics, domains, labels: byColumn(e.labels), descriptions: byColumn(e.descriptions), intervals: intervals(e.intervals) };
}

/** The session records and experiment records held. */
export function gather(slice: RecordSlice<HParamsRecord>): { sessions: SessionRecord[]; experiments: ExperimentRecord[] } {
  const sessions: SessionRecord[] = [];
  const experiments: ExperimentRecord[] = [];
  for (const l of slice.lists.values()) {
    if (l.tag === SESSION_TAG) sessions.push(...l.list());
    else if (l.tag === EXPERIMENT_TAG) experiments.push(...l.list());
  }
  return { sessions, experiments };
}

/** Session records held (the `data-hparams-sessions` hook). */
export function sessionCount(slice: RecordSlice<HParamsRecord>): number {
  let n = 0;
  for (const l of slice.lists.values()) if (l.tag === SESSION_TAG) n += l.count;
  return n;
}
