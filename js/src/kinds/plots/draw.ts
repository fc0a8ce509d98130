// Canvas renderers of the Visdom windows that are not lines: scatter, bar, histogram, heatmap
// (surf, contour), boxplot, stem, pie, quiver here; dual-axis lines, sunburst and network graph
// in draw-dual.ts, draw-sunburst.ts, draw-network.ts (shared pieces: frame.ts). Compact code, no
// charting library (see docs/decisions.md): a 100k-point scatter and a 500x500 heatmap draw in a few ms.

import { num, str, type Obj } from "../../wire";
import type { Theme } from "../../ui/theme";
import { dualAxisLines } from "./draw-dual";
import { graph } from "./draw-network";
import { sunburst } from "./draw-sunburst";
import { atX, atY, extent, fmtTick, fmtValue, frame, inside, legend, traceColor, type Frame, type Hit, type Renderer } from "./frame";
import type { WindowState } from "./model";

export { axisTicks, extent, fmtTick, TRACE_COLORS, traceColor } from "./frame";

// ------------------------------------------------------------------ colour maps
const MAPS: Record<string, [number, number, number][]> = {
  viridis: [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]],
  greys: [[0, 0, 0], [255, 255, 255]],
  hot: [[0, 0, 0], [230, 0, 0], [255, 210, 0], [255, 255, 255]],
  jet: [[0, 0, 131], [0, 60, 170], [5, 255, 255], [255, 255, 0], [250, 0, 0], [128, 0, 0]],
  electric: [[0, 0, 0], [30, 0, 100], [120, 0, 100], [160, 90, 0], [230, 200, 0], [255, 250, 220]],
  bluered: [[0, 0, 255], [255, 0, 0]],
  rdbu: [[5, 10, 172], [106, 137, 247], [190, 190, 190], [220, 170, 132], [230, 145, 90], [178, 10, 28]],
};

/** 256 RGBA entries (packed little-endian, for a Uint32Array view of ImageData). */
export function colorLut(name: string | null): Uint32Array {
  const stops = MAPS[(name ?? "viridis").toLowerCase()] ?? MAPS.viridis;
  const lut = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (stops.length - 1);
    const k = Math.min(stops.length - 2, Math.floor(t)), f = t - k;
    const c = [0, 1, 2].map((j) => Math.round(stops[k][j] + (stops[k + 1][j] - stops[k][j]) * f));
    lut[i] = (255 << 24) | (c[2] << 16) | (c[1] << 8) | c[0];
  }
  return lut;
}

const names = (o: Obj, key: string): string[] | null => (Array.isArray(o[key]) ? (o[key] as unknown[]).map(String) : null);
const range = (o: Obj, lo: string, hi: string, r: [number, number]): [number, number] =>
  [Number.isFinite(num(o[lo])) ? num(o[lo]) : r[0], Number.isFinite(num(o[hi])) ? num(o[hi]) : r[1]];

// ------------------------------------------------------------------ the renderers
function scatter(g: CanvasRenderingContext2D, st: WindowState, theme: Theme, W: number, H: number): Hit {
  const o = st.opts;
  const xr = range(o, "xtickmin", "xtickmax", extent(st.traces.map((t) => t.cols[0].values)));
  const yr = range(o, "ytickmin", "ytickmax", extent(st.traces.map((t) => t.cols[1].values)));
  const f = frame(g, theme, W, H, xr, yr, o);
  const total = st.traces.reduce((n, t) => n + t.cols[0].n, 0);
  const size = Math.max(1, Math.min(num(o.markersize, 10) / 2, total > 20000 ? 1.5 : total > 2000 ? 2.5 : 5));
  g.save();
  g.beginPath(); g.rect(f.x0, f.y0, f.w, f.h); g.clip();
  const kx = f.w / (xr[1] - xr[0]), ky = f.h / (yr[1] - yr[0]);
  const bx = f.x0 - xr[0] * kx, by = f.y0 + f.h + yr[0] * ky;
  st.traces.forEach((t, i) => {
    const xs = t.cols[0].values, ys = t.cols[1].values;
    g.fillStyle = traceColor(i);
    if (total <= 2000) {
      g.globalAlpha = 0.85;
      g.beginPath();
      for (let k = 0; k < xs.length; k++) {
        const x = bx + xs[k] * kx, y = by - ys[k] * ky;
        g.moveTo(x + size, y);
        g.arc(x, y, size, 0, 2 * Math.PI);
      }
      g.fill();
    } else {
      rasterPoints(g, f, xs, ys, kx, ky, bx, by, Math.max(1, Math.round(size)), traceColor(i));
    }
  });
  g.restore();
  // several traces (labels): name them, as plotly does
  if (st.traces.length > 1 && o.showlegend !== false) legend(g, f, theme, st.traces.map((t) => t.name), st.traces.map((_, i) => traceColor(i)), "dot");
  // the nearest point within 8 px
  return (px, py) => {
    let best = 64, hit: string | null = null;
    st.traces.forEach((t) => {
      const xs = t.cols[0].values, ys = t.cols[1].values;
      for (let k = 0; k < xs.length; k++) {
        const dx = bx + xs[k] * kx - px, dy = by - ys[k] * ky - py, d2 = dx * dx + dy * dy;
        if (d2 < best) {
          best = d2;
          hit = `${st.traces.length > 1 ? `${t.name}: ` : ""}(${fmtValue(xs[k])}, ${fmtValue(ys[k])})`;
        }
      }
    });
    return hit;
  };
}

/** Many points: squares written straight into pixels (fillRect per point is slow on software canvases). */
function rasterPoints(g: CanvasRenderingContext2D, f: Frame, xs: Float64Array, ys: Float64Array, kx: number, ky: number,
  bx: number, by: number, r: number, color: string) {
  if (typeof document === "undefined") return;
  const w = Math.max(1, Math.floor(f.w)), hgt = Math.max(1, Math.floor(f.h));
  const img = new ImageData(w, hgt);
  const px = new Uint32Array(img.data.buffer);
  const c = parseInt(color.slice(1), 16);
  const v = (255 << 24) | ((c & 255) << 16) | (c & 0xff00) | ((c >> 16) & 255);
  for (let k = 0; k < xs.length; k++) {
    const x = Math.round(bx + xs[k] * kx - f.x0), y = Math.round(by - ys[k] * ky - f.y0);
    if (!(x >= 0 && y >= 0 && x < w && y < hgt)) continue;
    for (let dy = Math.max(0, y - r + 1); dy <= Math.min(hgt - 1, y + r - 1); dy++) {
      const row = dy * w;
      for (let dx = Math.max(0, x - r + 1); dx <= Math.min(w - 1, x + r - 1); dx++) px[row + dx] = v;
    }
  }
  const cv = document.createElement("canvas");
  cv.width = w; cv.height = hgt;
  cv.getContext("2d")!.putImageData(img, 0, 0);
  g.globalAlpha = 0.85;
  g.drawImage(cv, f.x0, f.y0);
  g.globalAlpha = 1;
}

function bars(g: CanvasRenderingContext2D, st: WindowState, theme: Theme, W: number, H: number): Hit {
  const o = st.opts;
  const rows = num(st.spec.rows, 0), cols = num(st.spec.cols, 1), stacked = st.spec.stacked === true;
  const d = st.data;
  let lo = 0, hi = 0;
  for (let r = 0; r < rows; r++) {
    let pos = 0, neg = 0;
    for (let c = 0; c < cols; c++) {
      const v = d[r * cols + c];
      if (!Number.isFinite(v)) continue;
      if (stacked) { if (v > 0) pos += v; else neg += v; } else { pos = Math.max(pos, v); neg = Math.min(neg, v); }
    }
    hi = Math.max(hi, pos); lo = Math.min(lo, neg);
  }
  if (hi === lo) hi = lo + 1;
  const labels = Array.isArray(st.spec.labels) ? (st.spec.labels as unknown[]).map(String) : Array.from({ length: rows }, (_, i) => String(i + 1));
  const f = frame(g, theme, W, H, [-0.5, rows - 0.5], [lo, hi + (hi - lo) * 0.04], o, labels);
  const slot = f.w / Math.max(1, rows), bw = (slot * 0.8) / (stacked ? 1 : cols);
  for (let r = 0; r < rows; r++) {
    let pos = 0, neg = 0;
    for (let c = 0; c < cols; c++) {
      const v = d[r * cols + c];
      if (!Number.isFinite(v)) continue;
      g.fillStyle = traceColor(c);
      const base = stacked ? (v >= 0 ? pos : neg) : 0;
      const x = f.sx(r) - slot * 0.4 + (stacked ? 0 : c * bw);
      const y1 = f.sy(base), y2 = f.sy(base + v);
      g.fillRect(x, Math.min(y1, y2), Math.max(1, bw - 1), Math.abs(y2 - y1));
      if (stacked) { if (v >= 0) pos += v; else neg += v; }
    }
  }
  const series = names(o, "legend");
  if (cols > 1 && series && o.showlegend !== false) legend(g, f, theme, series, series.map((_, c) => traceColor(c)), "dot");
  // the row under the pointer: its label and every column's value
  return (px, py) => {
    const r = Math.round(atX(f, [-0.5, rows - 0.5], px));
    if (!inside(f, px, py) || r < 0 || r >= rows) return null;
    const vals = Array.from({ length: cols }, (_, c) => (cols > 1 ? `${series?.[c] ?? c + 1} ` : "") + fmtValue(d[r * cols + c]));
    return `${labels[r]}: ${vals.join(", ")}`;
  };
}

function histogram(g: CanvasRenderingContext2D, st: WindowState, theme: Theme, W: number, H: number): Hit {
  const nb = num(st.spec.bins, 0), d = st.data;
  const edges = d.subarray(0, nb + 1), counts = d.subarray(nb + 1, 2 * nb + 1);
  const f = frame(g, theme, W, H, [edges[0], edges[nb]], [0, Math.max(1, ...counts) * 1.04], st.opts);
  g.fillStyle = traceColor(0);
  for (let i = 0; i < nb; i++) {
    const x1 = f.sx(edges[i]), x2 = f.sx(edges[i + 1]), y = f.sy(counts[i]);
    g.fillRect(x1, y, Math.max(1, x2 - x1 - 1), f.sy(0) - y);
  }
  return (px, py) => {
    const v = atX(f, [edges[0], edges[nb]], px);
    let i = 0;
    while (i < nb - 1 && v >= edges[i + 1]) i++;
    return inside(f, px, py) && nb > 0 ? `[${fmtValue(edges[i])}, ${fmtValue(edges[i + 1])}): ${fmtValue(counts[i])}` : null;
  };
}

/** Heatmap, surf and contour: one pixel per cell scaled up (contour: colours in 10 bands). */
function heatmap(g: CanvasRenderingContext2D, st: WindowState, theme: Theme, W: number, H: number): Hit | undefined {
  const o = st.opts, rows = num(st.spec.rows, 0), cols = num(st.spec.cols, 1), d = st.data;
  if (!rows || !cols || typeof document === "undefined") return undefined;
  let lo = num(o.xmin), hi = num(o.xmax);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    const [a, b] = extent([d], 0);
    lo = Number.isFinite(lo) ? lo : a;
    hi = Number.isFinite(hi) ? hi : b;
  }
  const cn = names(o, "columnnames"), rn = names(o, "rownames");
  const f = frame(g, theme, W - 40, H, [-0.5, cols - 0.5], [-0.5, rows - 0.5], { ...o, xlabel: o.xlabel }, cn ?? undefined);
  const lut = colorLut(str(o.colormap));
  const bands = st.type === "contour" ? 10 : 0;
  const img = new ImageData(cols, rows);
  const px = new Uint32Array(img.data.buffer);
  const k = 255 / (hi - lo || 1);
  for (let r = 0; r < rows; r++) {
    const out = (rows - 1 - r) * cols; // row 0 at the bottom, as plotly draws a heatmap
    for (let c = 0; c < cols; c++) {
      const v = d[r * cols + c];
      if (!Number.isFinite(v)) continue;
      let t = Math.max(0, Math.min(255, (v - lo) * k));
      if (bands) t = Math.min(255, Math.floor(t / (256 / bands)) * (255 / (bands - 1)));
      px[out + c] = lut[t | 0];
    }
  }
  const cv = document.createElement("canvas");
  cv.width = cols; cv.height = rows;
  cv.getContext("2d")!.putImageData(img, 0, 0);
  g.imageSmoothingEnabled = st.type === "surf";
  g.drawImage(cv, f.x0 + 1, f.y0 + 1, f.w - 2, f.h - 2);
  if (rn && rows * 14 <= f.h) {
    g.fillStyle = theme.fg2; g.textAlign = "right"; g.textBaseline = "middle";
    rn.forEach((l, r) => void g.fillText(l.slice(0, 8), f.x0 - 4, f.sy(r)));
  }
  // colour bar
  const bx = W - 30, bh = f.h;
  const bar = new ImageData(1, 256);
  const bpx = new Uint32Array(bar.data.buffer);
  for (let i = 0; i < 256; i++) bpx[i] = lut[255 - i];
  const bcv = document.createElement("canvas");
  bcv.width = 1; bcv.height = 256;
  bcv.getContext("2d")!.putImageData(bar, 0, 0);
  g.drawImage(bcv, bx, f.y0, 10, bh);
  // the range's ends above and below the bar, right-aligned to the window's edge (never clipped)
  g.fillStyle = theme.fg2; g.textAlign = "right"; g.textBaseline = "top";
  g.fillText(fmtTick(hi), W - 2, Math.max(0, f.y0 - 10));
  g.textBaseline = "bottom";
  g.fillText(fmtTick(lo), W - 2, f.y0 + bh + 12);
  // the cell under the pointer (row 0 at the bottom)
  return (px, py) => {
    const c = Math.round(atX(f, [-0.5, cols - 0.5], px)), r = Math.round(atY(f, [-0.5, rows - 0.5], py));
    if (!inside(f, px, py) || c < 0 || c >= cols || r < 0 || r >= rows) return null;
    return `${rn?.[r] ?? `row ${r}`}, ${cn?.[c] ?? `column ${c}`}: ${fmtValue(d[r * cols + c])}`;
  };
}

function boxplot(g: CanvasRenderingContext2D, st: WindowState, theme: Theme, W: number, H: number): Hit {
  const rows = num(st.spec.rows, 0), d = st.data;
  const labels = names(st.opts, "legend") ?? Array.from({ length: rows }, (_, i) => String(i + 1));
  const f = frame(g, theme, W, H, [-0.5, rows - 0.5], extent([d], 0.06), st.opts, labels);
  const bw = Math.min(60, (f.w / Math.max(1, rows)) * 0.5);
  for (let i = 0; i < rows; i++) {
    const [lo, q1, med, q3, hi] = d.subarray(i * 5, i * 5 + 5);
    if (!Number.isFinite(med)) continue;
    const x = f.sx(i), col = traceColor(i);
    g.strokeStyle = col; g.lineWidth = 1.5;
    g.beginPath();
    g.moveTo(x, f.sy(lo)); g.lineTo(x, f.sy(q1)); g.moveTo(x, f.sy(q3)); g.lineTo(x, f.sy(hi));
    g.moveTo(x - bw / 4, f.sy(lo)); g.lineTo(x + bw / 4, f.sy(lo)); g.moveTo(x - bw / 4, f.sy(hi)); g.lineTo(x + bw / 4, f.sy(hi));
    g.stroke();
    g.fillStyle = col; g.globalAlpha = 0.3;
    g.fillRect(x - bw / 2, f.sy(q3), bw, f.sy(q1) - f.sy(q3));
    g.globalAlpha = 1;
    g.strokeRect(x - bw / 2, f.sy(q3), bw, f.sy(q1) - f.sy(q3));
    g.beginPath(); g.moveTo(x - bw / 2, f.sy(med)); g.lineTo(x + bw / 2, f.sy(med)); g.lineWidth = 2.5; g.stroke();
  }
  return (px, py) => {
    const i = Math.round(atX(f, [-0.5, rows - 0.5], px));
    if (!inside(f, px, py) || i < 0 || i >= rows) return null;
    const [lo, q1, med, q3, hi] = Array.from(d.subarray(i * 5, i * 5 + 5), fmtValue);
    return `${labels[i]}: min ${lo}, q1 ${q1}, median ${med}, q3 ${q3}, max ${hi}`;
  };
}

function stem(g: CanvasRenderingContext2D, st: WindowState, theme: Theme, W: number, H: number): undefined {
  const rows = num(st.spec.rows, 0), cols = num(st.spec.cols, 2), d = st.data;
  const xs = new Float64Array(rows), ys: number[] = [0];
  for (let r = 0; r < rows; r++) {
    xs[r] = d[r * cols];
    for (let c = 1; c < cols; c++) ys.push(d[r * cols + c]);
  }
  const f = frame(g, theme, W, H, extent([xs]), extent([ys]), st.opts);
  for (let c = 1; c < cols; c++) {
    g.strokeStyle = g.fillStyle = traceColor(c - 1);
    g.beginPath();
    for (let r = 0; r < rows; r++) {
      const x = f.sx(xs[r]), y = f.sy(d[r * cols + c]);
      g.moveTo(x, f.sy(0)); g.lineTo(x, y);
    }
    g.stroke();
    g.beginPath();
    for (let r = 0; r < rows; r++) {
      const x = f.sx(xs[r]), y = f.sy(d[r * cols + c]);
      g.moveTo(x + 3, y); g.arc(x, y, 3, 0, 2 * Math.PI);
    }
    g.fill();
  }
  return undefined;
}

function pie(g: CanvasRenderingContext2D, st: WindowState, theme: Theme, W: number, H: number): Hit | undefined {
  const d = st.data, legend = names(st.opts, "legend");
  let total = 0;
  for (const v of d) if (v > 0) total += v;
  if (!(total > 0)) return undefined;
  const r = Math.max(10, Math.min(W * 0.6, H) / 2 - 12), cx = r + 14, cy = H / 2;
  let a = -Math.PI / 2;
  g.font = `11px ${theme.font}`; g.textBaseline = "middle"; g.textAlign = "left";
  d.forEach((v, i) => {
    if (!(v > 0)) return;
    const b = a + (v / total) * 2 * Math.PI;
    g.fillStyle = traceColor(i);
    g.beginPath(); g.moveTo(cx, cy); g.arc(cx, cy, r, a, b); g.closePath(); g.fill();
    g.strokeStyle = theme.bg; g.lineWidth = 1; g.stroke();
    a = b;
  });
  d.forEach((v, i) => {
    const y = 16 + i * 16;
    if (y > H - 8) return;
    g.fillStyle = traceColor(i); g.fillRect(cx + r + 16, y - 5, 10, 10);
    g.fillStyle = theme.fg;
    g.fillText(`${legend?.[i] ?? i + 1}  ${((100 * Math.max(0, v)) / total).toFixed(1)}%`, cx + r + 30, y);
  });
  // the slice under the pointer: angles from 12 o'clock, clockwise
  return (px, py) => {
    if (Math.hypot(px - cx, py - cy) > r) return null;
    const turn = (((Math.atan2(py - cy, px - cx) + Math.PI / 2) / (2 * Math.PI)) % 1 + 1) % 1;
    let at = 0;
    for (let i = 0; i < d.length; i++) {
      if (!(d[i] > 0)) continue;
      at += d[i] / total;
      if (turn < at) return `${legend?.[i] ?? i + 1}: ${fmtValue(d[i])} (${((100 * d[i]) / total).toFixed(1)}%)`;
    }
    return null;
  };
}

function quiver(g: CanvasRenderingContext2D, st: WindowState, theme: Theme, W: number, H: number): undefined {
  const n = st.data.length / 4, d = st.data;
  const gx = d.subarray(0, n), gy = d.subarray(n, 2 * n), u = d.subarray(2 * n, 3 * n), v = d.subarray(3 * n, 4 * n);
  const f = frame(g, theme, W, H, extent([gx], 0.08), extent([gy], 0.08), st.opts);
  let maxLen = 0;
  for (let i = 0; i < n; i++) maxLen = Math.max(maxLen, Math.hypot(u[i], v[i]));
  const cell = Math.min(f.w, f.h) / Math.max(2, Math.sqrt(n));
  const k = maxLen > 0 ? (cell * 0.9) / maxLen : 0;
  g.strokeStyle = traceColor(0); g.lineWidth = 1.2;
  g.beginPath();
  for (let i = 0; i < n; i++) {
    const x = f.sx(gx[i]), y = f.sy(gy[i]), x2 = x + u[i] * k, y2 = y - v[i] * k;
    g.moveTo(x, y); g.lineTo(x2, y2);
    const ang = Math.atan2(y2 - y, x2 - x), hl = Math.min(6, Math.hypot(x2 - x, y2 - y) * 0.35);
    g.moveTo(x2, y2); g.lineTo(x2 - hl * Math.cos(ang - 0.45), y2 - hl * Math.sin(ang - 0.45));
    g.moveTo(x2, y2); g.lineTo(x2 - hl * Math.cos(ang + 0.45), y2 - hl * Math.sin(ang + 0.45));
  }
  g.stroke();
  return undefined;
}

export const RENDERERS: Record<string, Renderer> = {
  scatter, bar: bars, histogram, heatmap, surf: heatmap, contour: heatmap, boxplot, stem, pie, quiver,
  dual_axis_lines: dualAxisLines, sunburst, graph,
};

/** Draw a window on a canvas of CSS size W x H; returns the milliseconds it took and its hit test. */
export function drawWindow(canvas: HTMLCanvasElement, st: WindowState, theme: Theme, W: number, H: number): { ms: number; hit: Hit | undefined } {
  const t0 = performance.now();
  const dpr = (typeof window !== "undefined" && window.devicePixelRatio) || 1;
  canvas.width = Math.round(W * dpr);
  canvas.height = Math.round(H * dpr);
  canvas.style.width = `${W}px`;
  canvas.style.height = `${H}px`;
  const g = canvas.getContext("2d");
  if (!g) return { ms: 0, hit: undefined };
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, W, H);
  const hit = RENDERERS[st.type]?.(g, st, theme, W, H);
  return { ms: performance.now() - t0, hit };
}
