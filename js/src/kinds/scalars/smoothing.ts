// TensorBoard's scalar smoothing ("classicSmoothing" in
// tensorboard/webapp/widgets/line_chart_v2/data_transformer.ts), reproduced exactly:
//   - weight w: non-finite -> 0, then clamped to [0, 1];
//   - a series whose values are all equal (`==`, so a NaN makes it non-constant) is returned as is;
//   - non-finite values are passed through and not counted;
//   - otherwise last = last * w + (1 - w) * y; numAccum++; out = last / (1 - w^numAccum)
//     (debiased because the average starts at 0), with debias weight 1 when w == 1.
// `SmoothedColumn` continues a live series after an append without recomputing it.

export function clampWeight(w: number): number {
  if (!Number.isFinite(w)) return 0;
  return Math.min(Math.max(w, 0), 1);
}

/** Smoothed copy of `values` (TensorBoard-identical). */
export function smooth(values: ArrayLike<number>, weight: number): Float64Array {
  const column = new SmoothedColumn();
  column.update(values, values.length, weight, 0);
  return column.out.slice(0, values.length);
}

const CP = 512; // checkpoint spacing (points)

/**
 * The smoothed values of a live series, updated incrementally. The running average is
 * checkpointed every 512 points, so a rewrite of the tail (truncate-then-append) only recomputes
 * from the checkpoint before it; an append continues where it stopped.
 */
export class SmoothedColumn {
  out = new Float64Array(0);
  /** Values consumed. */
  n = 0;
  private weight = NaN;
  /** Index of the first value that differs from values[0] (`!=`), -1 while the series is constant. */
  private firstDiff = -1;
  private cpLast = new Float64Array(0);
  private cpAccum = new Float64Array(0);
  private cpDone = new Uint8Array(0);

  /**
   * Bring out[0..n) up to date with values[0..n), given that values before `from` did not change
   * since the last call. Returns the lowest index of `out` that changed.
   */
  update(values: ArrayLike<number>, n: number, weight: number, from: number): number {
    const w = clampWeight(weight);
    if (w !== this.weight) {
      this.weight = w;
      from = 0;
    }
    from = Math.max(0, Math.min(from, this.n, n));
    // nothing new (a redraw for a toggle or for another series): recompute nothing, not even the
    // last checkpoint's span, so that the caller's buckets stay as they are too
    if (from === n && n === this.n) return n;
    if (this.out.length < n) {
      const grown = new Float64Array(Math.max(n, this.out.length * 2, 64));
      grown.set(this.out.subarray(0, from));
      this.out = grown;
    }
    // constant-series rule over the whole series (TensorBoard checks all values)
    const wasConstant = this.firstDiff === -1; // the previous output was the raw values
    if (from === 0 || this.firstDiff >= from) this.firstDiff = -1;
    if (this.firstDiff === -1 && n > 0) {
      const y0 = values[0];
      for (let i = Math.max(from, 0); i < n; i++) if (!(values[i] === y0)) { this.firstDiff = i; break; }
    }
    const out = this.out;
    if (this.firstDiff === -1) {
      const s0 = wasConstant ? from : 0; // constant again: every value is output as is
      for (let i = s0; i < n; i++) out[i] = values[i];
      this.n = n;
      return s0;
    }
    if (wasConstant) from = 0; // the prefix was output unsmoothed: smooth it now

    // resume from the last checkpoint at or before `from` that a previous pass has written
    let c = Math.floor(from / CP);
    if (c * CP >= this.n) c--;
    if (c < 0 || c >= this.cpLast.length) c = 0;
    let last = 0, numAccum = 0, done = false;
    if (c > 0) {
      last = this.cpLast[c];
      numAccum = this.cpAccum[c];
      done = this.cpDone[c] === 1;
    }
    const start = c * CP;
    const need = Math.floor(n / CP) + 1;
    if (this.cpLast.length < need) {
      const cap = Math.max(need, this.cpLast.length * 2, 8);
      const l = new Float64Array(cap), a = new Float64Array(cap), d = new Uint8Array(cap);
      l.set(this.cpLast); a.set(this.cpAccum); d.set(this.cpDone);
      this.cpLast = l; this.cpAccum = a; this.cpDone = d;
    }
    const oneMinusW = 1 - w;
    for (let i = start; i < n; i++) {
      if ((i & (CP - 1)) === 0) {
        const k = i / CP;
        this.cpLast[k] = last;
        this.cpAccum[k] = numAccum;
        this.cpDone[k] = done ? 1 : 0;
      }
      const y = values[i];
      if (!Number.isFinite(y)) {
        out[i] = y;
        continue;
      }
      last = last * w + oneMinusW * y;
      numAccum++;
      if (done || w === 1) {
        out[i] = last;
      } else {
        const debias = 1 - Math.pow(w, numAccum);
        if (debias === 1) done = true;
        out[i] = last / debias;
      }
    }
    this.n = n;
    return start;
  }
}
