// Number, step and time formatting for axes, tooltips and labels.

const SI = [
  [1e18, "E"], [1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"],
] as const;

/** Strip trailing zeros of a fixed/exponential string: "1.500" -> "1.5", "2.00e-5" -> "2e-5". */
function trimZeros(s: string): string {
  if (s.includes("e")) {
    const [m, e] = s.split("e");
    return `${trimZeros(m)}e${e.replace("+", "")}`;
  }
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** A value in a tooltip / label: 5 significant digits, exponent for very large or small. */
export function fmtValue(v: number): string {
  if (v === 0) return "0";
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "∞" : "-∞";
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return trimZeros(v.toExponential(3));
  return trimZeros(v.toPrecision(5));
}

/** Bytes as B / KB / MB / GB (powers of 1000, as file managers show them). */
export function fmtBytes(v: number): string {
  if (!(v >= 1000)) return `${Math.round(v || 0)} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let i = -1;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** Integer with thousands separators ("12,000"), independent of the locale. */
export function fmtInt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const neg = v < 0;
  const s = String(Math.round(Math.abs(v))).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return neg ? `-${s}` : s;
}

/** Axis tick for a linear scale, given the tick increment. */
export function fmtTick(v: number, incr: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) {
    const digits = Math.max(0, Math.min(4, Math.ceil(Math.log10(a / incr) - 1e-9)));
    return trimZeros(v.toExponential(digits));
  }
  return trimZeros(v.toFixed(decimalsOf(incr)));
}

/** Decimals needed to write multiples of `incr` exactly (0.025 -> 3). */
export function decimalsOf(incr: number): number {
  let d = 0;
  while (d < 10 && Math.abs(Math.round(incr * 10 ** d) - incr * 10 ** d) > 1e-9 * Math.max(1, incr * 10 ** d)) d++;
  return d;
}

/** Step axis: compact ("2.5k", "1M") once steps are large. */
export function fmtStepTick(v: number, incr: number): string {
  const a = Math.abs(v);
  for (const [f, suffix] of SI) {
    if (a >= f && incr >= f / 100) return `${trimZeros((v / f).toFixed(Math.max(0, Math.min(3, -Math.floor(Math.log10(incr / f) + 1e-9)))))}${suffix}`;
  }
  return fmtTick(v, Math.max(incr, 1e-9));
}

/** A card's "N replaced" note and its tooltip (`what`: "points", "records"); "" for none. */
export function replacedNote(n: number, what: string): { text: string; title: string } {
  if (!n) return { text: "", title: "" };
  return {
    text: `${fmtInt(n)} replaced`,
    title: `Steps logged again replaced ${fmtInt(n)} ${what} logged at those steps before (a resumed run, or a step `
      + `that starts over), as TensorBoard shows them; the event files still hold them.`,
  };
}

/** Duration in seconds -> "45s", "12m 05s", "3h 20m", "2d 4h". */
export function fmtDuration(sec: number): string {
  if (!Number.isFinite(sec)) return String(sec);
  const neg = sec < 0;
  let s = Math.abs(sec);
  let out: string;
  if (s < 60) out = `${trimZeros(s.toFixed(s < 10 ? 2 : 1))}s`;
  else if (s < 3600) out = `${Math.floor(s / 60)}m ${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  else if (s < 86400) out = `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  else {
    s = Math.floor(s / 3600);
    out = `${Math.floor(s / 24)}d ${s % 24}h`;
  }
  return neg ? `-${out}` : out;
}

/** Decimals that tell ticks `inc` seconds apart (below a second: down to milliseconds). */
function secondDecimals(inc: number): number {
  return inc >= 1 ? 0 : Math.min(3, Math.max(1, Math.ceil(-Math.log10(inc) - 1e-9)));
}

/** Relative-time axis tick: value and increment in seconds -> "30s", "5m", "1h30", "2d", "0.005s". */
export function fmtRelTick(sec: number, inc: number): string {
  sec = Math.round(sec * 1000) / 1000;
  if (sec === 0) return "0";
  const sign = sec < 0 ? "-" : "";
  sec = Math.abs(sec);
  if (inc < 60) return `${sign}${trimZeros(sec.toFixed(secondDecimals(inc)))}s`;
  if (inc < 3600) {
    const m = Math.floor(sec / 60), s = Math.round(sec % 60);
    return `${sign}${s ? `${m}m${String(s).padStart(2, "0")}` : `${m}m`}`;
  }
  if (inc < 86400) {
    const hh = Math.floor(sec / 3600), m = Math.round((sec % 3600) / 60);
    return `${sign}${m ? `${hh}h${String(m).padStart(2, "0")}` : `${hh}h`}`;
  }
  return `${sign}${trimZeros((sec / 86400).toFixed(1))}d`;
}

/** Nice increments (seconds) for the relative-time axis (exact decimals, as uPlot needs). */
export const SECOND_INCRS = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, // milliseconds (a run logged within a second: a test, a demo)
  0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, // seconds
  60, 120, 300, 600, 900, 1800, // minutes
  3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 1209600, 2592000, // hours, days
  7776000, 15552000, 31536000, 63072000, 157680000, 315360000, // 90 and 180 days, 1, 2, 5 and 10 years
];

/** Wall-time axis tick in local time, as precise as the increment: "14:05:30", "14:05", "11-30". */
export function fmtWallTick(sec: number, inc: number): string {
  const d = new Date(sec * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  if (inc >= 86400) return `${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
  if (inc >= 60) return hm;
  const hms = `${hm}:${p(d.getSeconds())}`;
  return inc >= 1 ? hms : `${hms}.${String(d.getMilliseconds()).padStart(3, "0").slice(0, secondDecimals(inc))}`;
}

export function fmtWall(sec: number): string {
  if (!Number.isFinite(sec)) return "";
  const d = new Date(sec * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
