// A histogram record: `{..., k}`, buffer = Float64Array(2k + 1): k + 1 bucket edges, then k counts
// (an empty buffer for k = 0: no buckets).

import { isCount, toFloat64, type Buffers, type Obj } from "../../wire";
import type { RecordEntry } from "../types";

export interface HistogramRecord extends RecordEntry {
  k: number;
  edges: Float64Array; // k + 1
  counts: Float64Array; // k
}

export function decodeHistogram(e: Obj, buffers: Buffers, base: RecordEntry): HistogramRecord {
  const buf = buffers.of(e);
  if (!buf) throw new RangeError(`missing buffer for histogram ${base.run}/${base.tag}`);
  const all = toFloat64(buf);
  const k = isCount(e.k) ? e.k : (all.length - 1) / 2;
  // k = 0: a histogram of nothing (TensorFlow's of an empty tensor), held but never drawn
  if (!Number.isInteger(k) || all.length !== (k === 0 ? 0 : 2 * k + 1)) {
    throw new RangeError(`histogram ${base.run}/${base.tag}: ${all.length} float64 for k=${String(e.k)}`);
  }
  return { ...base, k, edges: all.subarray(0, k + 1), counts: all.subarray(k + 1) };
}
