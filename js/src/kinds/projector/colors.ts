// Colouring points by a metadata column: a categorical palette for labels, a gradient for numbers
// (a column is numeric when every value is a number and there are more distinct values than a
// palette can tell apart; digit classes "0".."9" stay categories).

/** Categorical colours (distinct in light and dark themes); beyond them, golden-angle hues. */
export const CATEGORY_COLORS: readonly string[] = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
  "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
];

/** Gradient stops (low -> high), a perceptually ordered blue-green-yellow ramp. */
const RAMP: readonly [number, number, number][] = [
  [68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37],
];

export type ColorScale =
  | { kind: "none" }
  | { kind: "categorical"; categories: string[]; index: Uint32Array }
  | { kind: "numeric"; min: number; max: number; values: Float64Array };

/** How a column colours its points (empty column name or no values: one colour). */
export function columnScale(values: readonly string[] | undefined): ColorScale {
  if (!values || values.length === 0) return { kind: "none" };
  const distinct = new Map<string, number>();
  let numeric = true;
  const nums = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!distinct.has(v)) distinct.set(v, distinct.size);
    if (numeric) {
      const x = v.trim() === "" ? NaN : Number(v);
      if (Number.isFinite(x)) nums[i] = x;
      else numeric = false;
    }
  }
  if (numeric && distinct.size > CATEGORY_COLORS.length) {
    let min = Infinity, max = -Infinity;
    for (const x of nums) {
      if (x < min) min = x;
      if (x > max) max = x;
    }
    return { kind: "numeric", min, max, values: nums };
  }
  const categories = [...distinct.keys()];
  const order = categories.slice().sort(naturalCompare);
  const rank = new Map(order.map((c, i) => [c, i]));
  const index = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) index[i] = rank.get(values[i]) ?? 0;
  return { kind: "categorical", categories: order, index };
}

/** "2" before "10"; otherwise alphabetical. */
export function naturalCompare(a: string, b: string): number {
  const x = Number(a), y = Number(b);
  if (a.trim() !== "" && b.trim() !== "" && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** RGB (0..1) of category `i`. */
export function categoryRgb(i: number): [number, number, number] {
  if (i < CATEGORY_COLORS.length) return hexRgb(CATEGORY_COLORS[i]);
  return hslRgb(((i * 137.508) % 360) / 360, 0.62, 0.5);
}

/** RGB (0..1) at t in [0, 1] along the gradient (NaN: grey). */
export function rampRgb(t: number): [number, number, number] {
  if (!Number.isFinite(t)) return [0.6, 0.6, 0.6];
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i], b = RAMP[i + 1];
  return [0, 1, 2].map((k) => (a[k] + (b[k] - a[k]) * f) / 255) as [number, number, number];
}

/** Per-point RGB (n x 3, 0..1); `fallback` when the scale is "none". */
export function pointColors(scale: ColorScale, n: number, fallback: [number, number, number]): Float32Array {
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    let c = fallback;
    if (scale.kind === "categorical") c = categoryRgb(scale.index[i]);
    else if (scale.kind === "numeric") {
      const span = scale.max - scale.min;
      c = rampRgb(span > 0 ? (scale.values[i] - scale.min) / span : 0.5);
    }
    out[i * 3] = c[0];
    out[i * 3 + 1] = c[1];
    out[i * 3 + 2] = c[2];
  }
  return out;
}

/** A CSS colour from RGB (0..1). */
export const cssRgb = (c: readonly number[]) => `rgb(${c.map((v) => Math.round(v * 255)).join(",")})`;

export function hexRgb(hex: string): [number, number, number] {
  const v = Number.parseInt(hex.replace("#", ""), 16);
  return [((v >> 16) & 255) / 255, ((v >> 8) & 255) / 255, (v & 255) / 255];
}

function hslRgb(hh: number, s: number, l: number): [number, number, number] {
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  const ch = (t: number) => {
    const u = t < 0 ? t + 1 : t > 1 ? t - 1 : t;
    if (u < 1 / 6) return p + (q - p) * 6 * u;
    if (u < 1 / 2) return q;
    if (u < 2 / 3) return p + (q - p) * (2 / 3 - u) * 6;
    return p;
  };
  return [ch(hh + 1 / 3), ch(hh), ch(hh - 1 / 3)];
}
