// Shared by the canvas renderers of the Visdom windows (draw.ts and draw-*.ts): trace colours,
// ticks, extents and the axes frame.

import { str, type Obj } from "../../wire";
import type { Theme } from "../../ui/theme";
import { niceTicks } from "../../ui/ticks";
import type { WindowState } from "./model";

/** What the pointer at (x, y) (CSS px in the canvas) is over, as a tooltip's text; null: nothing. */
export type Hit = (x: number, y: number) => string | null;

/** Draws one window on a context already scaled to CSS px, W x H; returns its hit test (if any). */
export type Renderer = (g: CanvasRenderingContext2D, st: WindowState, theme: Theme, W: number, H: number) => Hit | undefined;

/** A value in a tooltip: up to 6 significant digits. */
export const fmtValue = (v: number): string => (Number.isFinite(v) ? String(+v.toPrecision(6)) : String(v));

/** The data value at a pixel of a frame's axis (its inverse of sx / sy). */
export const atX = (f: Frame, xr: [number, number], px: number) => xr[0] + ((px - f.x0) / f.w) * (xr[1] - xr[0]);
export const atY = (f: Frame, yr: [number, number], py: number) => yr[0] + ((f.y0 + f.h - py) / f.h) * (yr[1] - yr[0]);
export const inside = (f: Frame, px: number, py: number) => px >= f.x0 && px <= f.x0 + f.w && py >= f.y0 && py <= f.y0 + f.h;

/** Trace colours (Visdom's plotly defaults, readable on light and dark backgrounds). */
export const TRACE_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
export const traceColor = (i: number) => TRACE_COLORS[((i % TRACE_COLORS.length) + TRACE_COLORS.length) % TRACE_COLORS.length];

/** Trace i's colour: Visdom's `linecolor` (K x 3 RGB, 0..255) when it names one, else traceColor(i). */
export function lineColor(linecolor: unknown, i: number): string {
  const c = Array.isArray(linecolor) ? linecolor[i] : undefined;
  if (Array.isArray(c) && c.length >= 3 && c.slice(0, 3).every((v) => typeof v === "number" && Number.isFinite(v))) {
    const [r, g, b] = c.slice(0, 3).map((v: number) => Math.max(0, Math.min(255, Math.round(v))));
    return `rgb(${r}, ${g}, ${b})`;
  }
  return traceColor(i);
}

// ------------------------------------------------------------------ axes
/** Ticks of a Visdom axis: at most `count`, on a 1, 2 or 5 x 10^k step. */
export const axisTicks = (lo: number, hi: number, count: number): number[] => niceTicks(lo, hi, count, true).values;

export function fmtTick(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return String(+v.toPrecision(4));
}

/** The finite [min, max] of arrays, padded when flat. */
export function extent(arrays: ArrayLike<number>[], pad = 0.04): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const a of arrays) for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v === Infinity || v === -Infinity) continue; // an inf would make every scale NaN
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi >= lo)) return [0, 1];
  if (hi === lo) return [lo - 1, hi + 1];
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

export interface Frame {
  x0: number; y0: number; w: number; h: number; // the plot area, CSS px
  sx: (v: number) => number;
  sy: (v: number) => number;
}

/** Layout of frame()'s left axis; the defaults are the one-axis plots'. */
export interface FrameStyle {
  left: number; // margins, CSS px
  right: number;
  tick: string; // left axis tick label colour
  title: string; // its title (o.ylabel) colour
  titleX: number; // x of that rotated title
}

/** A rotated (bottom-to-top) axis title centred on (x, y). */
export function axisTitle(g: CanvasRenderingContext2D, text: string, x: number, y: number, color: string) {
  g.save();
  g.fillStyle = color; g.textAlign = "center"; g.textBaseline = "top";
  g.translate(x, y); g.rotate(-Math.PI / 2); g.fillText(text, 0, -6);
  g.restore();
}

/** Tick values of a y range for a plot area h px high (one place, so a second axis gets as many ticks). */
export const yTicks = (yr: [number, number], h: number) => axisTicks(yr[0], yr[1], Math.max(2, Math.floor(h / 40)));

export function frame(g: CanvasRenderingContext2D, theme: Theme, W: number, H: number, xr: [number, number], yr: [number, number],
  o: Obj, xLabels?: string[], style: Partial<FrameStyle> = {}): Frame {
  const left = style.left ?? 50, bottom = str(o.xlabel) ? 34 : 22, top = 8, right = style.right ?? 10;
  const f: Frame = {
    x0: left, y0: top, w: Math.max(10, W - left - right), h: Math.max(10, H - top - bottom),
    sx: (v) => f.x0 + ((v - xr[0]) / (xr[1] - xr[0])) * f.w,
    sy: (v) => f.y0 + f.h - ((v - yr[0]) / (yr[1] - yr[0])) * f.h,
  };
  g.font = `10px ${theme.font}`;
  g.fillStyle = style.tick ?? theme.fg2;
  g.strokeStyle = theme.grid;
  g.lineWidth = 1;
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (const t of yTicks(yr, f.h)) {
    const y = Math.round(f.sy(t)) + 0.5;
    g.beginPath(); g.moveTo(f.x0, y); g.lineTo(f.x0 + f.w, y); g.stroke();
    g.fillText(fmtTick(t), f.x0 - 4, y);
  }
  g.fillStyle = theme.fg2;
  g.textAlign = "center";
  g.textBaseline = "top";
  if (xLabels) {
    const every = Math.max(1, Math.ceil((xLabels.length * 40) / f.w));
    xLabels.forEach((l, i) => {
      if (i % every === 0) g.fillText(l.length > 10 ? `${l.slice(0, 9)}…` : l, f.sx(i), f.y0 + f.h + 4);
    });
  } else {
    for (const t of axisTicks(xr[0], xr[1], Math.max(2, Math.floor(f.w / 70)))) {
      const x = Math.round(f.sx(t)) + 0.5;
      g.beginPath(); g.moveTo(x, f.y0); g.lineTo(x, f.y0 + f.h); g.stroke();
      g.fillText(fmtTick(t), x, f.y0 + f.h + 4);
    }
  }
  if (str(o.xlabel)) g.fillText(str(o.xlabel)!, f.x0 + f.w / 2, H - 12);
  if (str(o.ylabel)) axisTitle(g, str(o.ylabel)!, style.titleX ?? 10, f.y0 + f.h / 2, style.title ?? theme.fg2);
  g.strokeStyle = theme.border;
  g.strokeRect(f.x0 + 0.5, f.y0 + 0.5, f.w - 1, f.h - 1);
  return f;
}

/** A legend in the plot's top-left corner, on a veil of the background so the data does not hide
 * it: a short line (or a dot) in each entry's colour, then its name. At most as many entries as fit. */
export function legend(g: CanvasRenderingContext2D, f: Frame, theme: Theme, names: string[], colors: string[], mark: "line" | "dot") {
  const rows = Math.min(names.length, Math.max(1, Math.floor((f.h - 12) / 14)));
  if (rows <= 0) return;
  g.font = `10px ${theme.font}`;
  const shown = names.slice(0, rows).map((n) => (n.length > 24 ? `${n.slice(0, 23)}…` : n));
  const lw = 26 + Math.max(...shown.map((n) => g.measureText(n).width)), lx = f.x0 + 6, ly = f.y0 + 6;
  g.save();
  g.globalAlpha = 0.8; g.fillStyle = theme.bg; g.fillRect(lx, ly, lw, 4 + rows * 14);
  g.restore();
  g.textAlign = "left"; g.textBaseline = "middle"; g.lineWidth = 2;
  shown.forEach((name, i) => {
    const y = ly + 9 + i * 14;
    g.strokeStyle = g.fillStyle = colors[i];
    g.beginPath();
    if (mark === "line") { g.moveTo(lx + 4, y); g.lineTo(lx + 18, y); g.stroke(); }
    else { g.arc(lx + 11, y, 3.5, 0, 2 * Math.PI); g.fill(); }
    g.fillStyle = theme.fg;
    g.fillText(name, lx + 22, y);
  });
}
