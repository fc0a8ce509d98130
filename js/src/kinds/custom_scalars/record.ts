// A custom scalars record: `{..., layout}` under the tag `custom_scalars__config__`, one list per
// run. The layout shown is TensorBoard's merge of each run's latest layout (layout.ts).

import type { RecordSlice } from "../record-kind";
import type { RecordEntry } from "../types";
import { decodeLayout, mergeLayouts, type Category } from "./layout";

/** The kind's name (its key under `entries`). */
export const CUSTOM_SCALARS = "custom_scalars";

export interface CustomScalarsRecord extends RecordEntry {
  layout: Category[];
}

export function decodeCustomScalars(e: Record<string, unknown>, base: RecordEntry): CustomScalarsRecord {
  return { ...base, layout: decodeLayout(e.layout) };
}

const cache = new WeakMap<RecordSlice<CustomScalarsRecord>, { key: string; layout: Category[] }>();

/**
 * The merged layout of every run's latest record (later records replace earlier ones), and a key
 * that changes whenever it may have changed.
 */
export function currentLayout(slice: RecordSlice<CustomScalarsRecord>): { layout: Category[]; key: string } {
  let key = "";
  for (const [k, l] of slice.lists) key += `${k}\u0001${l.version}\u0002`;
  const hit = cache.get(slice);
  if (hit && hit.key === key) return hit;
  // each run's latest record (several tags in one run, not written by add_custom_scalars: the latest of any)
  const latest = new Map<string, CustomScalarsRecord>();
  for (const l of slice.lists.values()) {
    const recs = l.list();
    const last = recs[recs.length - 1];
    const prev = latest.get(l.run);
    if (last && (!prev || last.step > prev.step || (last.step === prev.step && !(last.wall < prev.wall)))) latest.set(l.run, last);
  }
  const byRun = new Map<string, Category[]>();
  for (const [run, r] of latest) byRun.set(run, r.layout);
  const out = { key, layout: mergeLayouts(byRun) };
  cache.set(slice, out);
  return out;
}
