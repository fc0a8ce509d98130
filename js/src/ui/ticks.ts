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

/**
 * The tick step for a span: 1, 2 or 5 x 10^k (as d3 and TensorBoard). For about `count` ticks
 * (hparams axes), or with `atMost` for at most `count` (axes whose labels must not crowd).
 */
function tickStep(span: number, count: number, atMost = false): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const r = raw / mag;
  const eps = 1e-9; // a span / count landing on 2 x 10^k keeps that step, whatever the last bit says
  const m = atMost ? (r <= 1 + eps ? 1 : r <= 2 + eps ? 2 : r <= 5 + eps ? 5 : 10) : r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10;
  return m * mag;
}

/** The 1-2-5 step below `step` (one of them). */
function finerStep(step: number): number {
  const mag = 10 ** Math.floor(Math.log10(step) + 1e-9);
  const m = Math.round(step / mag);
  return m === 1 ? mag / 2 : m === 2 ? mag : 2 * mag;
}

/**
 * Round numbers inside [lo, hi] on `tickStep`'s step, written as the decimals they are (3 x 0.2 is
 * 0.6, not 0.6000000000000001). Every axis our own code draws (histograms, hparams, Visdom) and
 * the scalar charts' fallback takes its ticks here. With `atMost`: the finest step that puts at
 * most `count` ticks inside the range (a span of 8.3 on 4 ticks: -2, 0, 2, 4, not 0 alone at 5).
 */
export function niceTicks(lo: number, hi: number, count: number, atMost = false): { values: number[]; step: number } {
  const span = hi - lo;
  if (!(span > 0) || !Number.isFinite(span)) return { values: Number.isFinite(lo) ? [lo] : [], step: 1 };
  let step = tickStep(span, count, atMost);
  // span / count bounds the ticks by count + 1; where the range's ends fall, a finer step may fit
  if (atMost) {
    const finer = finerStep(step);
    if (multiplesIn(lo, hi, finer, count + 1).length <= count) step = finer;
  }
  const decimals = Math.min(100, Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
  // a step down to 2/3 of span / count gives up to 1.5 x count ticks; at most: count + 1
  const values: number[] = [];
  for (const v of multiplesIn(lo, hi, step, atMost ? count + 2 : 2 * count + 2)) {
    const d = Number(v.toFixed(decimals));
    if (d !== values[values.length - 1]) values.push(d); // a range a few ulps wide: two may write alike
  }
  return { values, step };
}
