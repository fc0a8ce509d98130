// Wire format of scalars (docs/protocol.md): an entry per (run, tag) chunk, whose buffer holds
// `count` steps, then `count` wall times, then `count` values (float64). Also the `range` reply.

import { isCount, num, str, toFloat64, type Buffers, type Obj, type WireBuffer } from "../../wire";
import type { Entry } from "../types";

/** Truncate the series to `offset` points, then append these `count` points. */
export interface ScalarChunk extends Entry {
  epoch: number;
  offset: number;
  count: number;
  decimated: boolean;
  total: number;
  /** Points of the series that steps logged again have replaced (0: none). */
  replaced: number;
  /**
   * Before the splice, reduce the first `foldCount` groups of `foldSize` held points each to the
   * group's first minimum and first maximum point, in their order (0: no fold). The board's
   * buckets grew: what the view holds becomes exactly the new buckets, nothing is resent.
   */
  foldSize: number;
  foldCount: number;
  steps: Float64Array;
  walls: Float64Array;
  values: Float64Array;
}

export interface RangeReply {
  id: number;
  run: string;
  tag: string;
  count: number;
  decimated: boolean;
  steps: Float64Array;
  walls: Float64Array;
  values: Float64Array;
}

type Columns = [Float64Array, Float64Array, Float64Array];

/** steps | walls | values, `count` each, as three views on one copied array. */
function threeColumns(buf: WireBuffer | null, count: number, what: string): Columns {
  if (!buf) {
    if (count === 0) return [new Float64Array(0), new Float64Array(0), new Float64Array(0)];
    throw new RangeError(`missing buffer for ${what}`);
  }
  const all = toFloat64(buf);
  if (all.length !== 3 * count) throw new RangeError(`expected ${3 * count} float64, got ${all.length}`);
  return [all.subarray(0, count), all.subarray(count, 2 * count), all.subarray(2 * count, 3 * count)];
}

export function decodeScalarChunk(e: Obj, buffers: Buffers): ScalarChunk {
  const run = str(e.run), tag = str(e.tag);
  if (run === null || tag === null) throw new TypeError("scalar entry without run/tag");
  if (!isCount(e.offset) || !isCount(e.count)) throw new TypeError(`bad offset/count for ${run}/${tag}`);
  const [steps, walls, values] = threeColumns(buffers.of(e), e.count, `${run}/${tag}`);
  let foldSize = 0, foldCount = 0;
  if (e.fold_count !== undefined && e.fold_count !== 0) {
    if (!isCount(e.fold_count) || !isCount(e.fold_size) || e.fold_size < 2) {
      throw new TypeError(`bad fold_size/fold_count for ${run}/${tag}`);
    }
    foldSize = e.fold_size;
    foldCount = e.fold_count;
  }
  return {
    run, tag,
    epoch: num(e.epoch, 0),
    offset: e.offset,
    count: e.count,
    decimated: e.decimated === true,
    total: isCount(e.total) ? e.total : e.offset + e.count,
    replaced: isCount(e.replaced) ? e.replaced : 0,
    foldSize, foldCount,
    steps, walls, values,
  };
}

/** `{"type": "range", id, run, tag, count, decimated}` with the three columns in buffer 0. */
export function decodeRangeReply(content: Obj, buffers: Buffers): RangeReply {
  const run = str(content.run), tag = str(content.tag);
  if (!isCount(content.id) || run === null || tag === null || !isCount(content.count)) {
    throw new TypeError("malformed range reply");
  }
  const buf = buffers.of({ buffer: content.buffer ?? 0 });
  const [steps, walls, values] = threeColumns(buf, content.count, `range reply ${run}/${tag}`);
  return { id: content.id, run, tag, count: content.count, decimated: content.decimated === true, steps, walls, values };
}
