// Tick values on a chosen step, for every axis drawn by our own code (histograms, hparams) and the
// scalar charts' fallback. A running sum (`v += step`), or an index past 2^53 (`i++`), stops moving
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
