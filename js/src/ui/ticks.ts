// Tick values on a chosen step, for every axis drawn by our own code (histograms, hparams, Visdom)
// and the scalar charts' fallback. A running sum (`v += step`), or an index past 2^53 (`i++`), stops moving
// once the step is finer than the values' float64 spacing, as it is for a range a few ulps wide
// (0.3 and 0.1 * 3): such a loop never ended and froze the page.

/**
 * The multiples of `step` in `[lo, hi]` (within 1e-9 of a step; one that close to 0 is 0), at
 * most `max` of them: each computed from its index, none repeated, so the list always ends.
 */
export function multiplesIn(lo: number, hi: number, step: number, max: number): number[] {
  const out: number[] = [];
  if (!(step > 0) || !Number.isFinite(lo) || !Number.isFinite(hi) || !Number.isFinite(step)) return out;
  const first = Math.ceil(lo / step - 1e-9);
  for (let i = 0; out.length < max; i++) {
    const raw = (first + i) * step;
    const v = Math.abs(raw) < step * 1e-9 ? 0 : raw;
    if (raw > hi + step * 1e-9 || v === out[out.length - 1]) break;
    out.push(v);
  }
  return out;
}

/** Round numbers (1, 2, 5 x 10^k) inside [lo, hi], about `count` of them (hparams axes, and the
 * scalar charts' ticks where uPlot's cannot be used). */
export function niceTicks(lo: number, hi: number, count: number): { values: number[]; step: number } {
  const span = hi - lo;
  if (!(span > 0) || !Number.isFinite(span)) return { values: [lo], step: 1 };
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const r = raw / mag;
  const step = (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
  return { values: multiplesIn(lo, hi, step, 2 * count + 2), step }; // a step down to 2/3 of span / count
}
