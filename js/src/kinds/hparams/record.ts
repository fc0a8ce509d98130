// An hparams record (docs/protocol.md): `{..., hparams, metrics, domains}`, no buffer. Tag
// `_hparams_/session_start_info` is a session (its run's hyperparameters); tag
// `_hparams_/experiment` is an experiment (metric tags and discrete domains).

import { isObj, str, type Buffers, type Obj } from "../../wire";
import type { RecordSlice } from "../record-kind";
import type { RecordEntry } from "../types";
import { NO_LABELS, type ExperimentRecord, type HValue, type Labels, type SessionRecord } from "./model";

export const SESSION_TAG = "_hparams_/session_start_info";
export const EXPERIMENT_TAG = "_hparams_/experiment";

export interface HParamsRecord extends RecordEntry {
  hparams: Record<string, HValue>;
  metrics: string[];
  domains: Record<string, HValue[]>;
  /** An experiment's display names, by hyperparameter and by metric name (TensorFlow's `display_name`). */
  labels: Labels;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) if (typeof x === "string" && x !== "") out[k] = x;
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
  const labels = isObj(e.labels) ? { hparams: stringMap(e.labels.hparams), metrics: stringMap(e.labels.metrics) } : NO_LABELS;
  return { ...base, hparams, metrics, domains, labels };
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
