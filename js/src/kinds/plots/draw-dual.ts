// Visdom's dual_axis_lines(X, Y1, Y2): two lines over one x axis, Y1 on the left axis (which owns
// the grid), Y2 on its own axis, right of the plot or left of Y1's ("side"). Data: X, Y1, Y2 (n each).

import { num, str } from "../../wire";
import { axisTitle, extent, fmtTick, fmtValue, frame, inside, legend, traceColor, yTicks, type Renderer } from "./frame";

const AXIS = 50; // width of one y axis block (title + tick labels), as frame()'s default left margin
const Y2_COLOR = "#9467bd"; // Visdom's default for Y2's title and ticks

/**
 * One path per line, points in the given order (Visdom does not sort X); a non-finite x or y breaks
 * the line. Consecutive points in one pixel column merge into that column's first point, y range and
 * last point: the same pixels, and 100k points stroke as ~4 per column. Points alone between breaks
 * would draw nothing, so they come back to be dotted.
 */
function polyline(g: CanvasRenderingContext2D, xs: Float64Array, ys: Float64Array,
  kx: number, bx: number, ky: number, by: number): number[] {
  const lone: number[] = [];
  let run = 0; // points in the current unbroken piece
  let col = NaN, cx = 0, lo = 0, hi = 0, lx = 0, ly = 0, merged = 0; // the column being merged
  const flush = () => {
    if (merged > 1) { g.lineTo(cx, lo); g.lineTo(cx, hi); g.lineTo(lx, ly); }
    merged = 0;
  };
  g.beginPath();
  for (let i = 0; i < xs.length; i++) {
    const x = bx + xs[i] * kx, y = by - ys[i] * ky;
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      flush();
      if (run === 1) lone.push(i - 1);
      run = 0;
      continue;
    }
    const c = Math.round(x);
    if (run++ > 0 && c === col) {
      if (y < lo) lo = y;
      if (y > hi) hi = y;
      lx = x; ly = y; merged++;
      continue;
    }
    flush();
    if (run === 1) g.moveTo(x, y);
    else g.lineTo(x, y);
    col = c; cx = lx = x; lo = hi = ly = y; merged = 1;
  }
  flush();
  if (run === 1) lone.push(xs.length - 1);
  g.stroke();
  return lone;
}

export const dualAxisLines: Renderer = (g, st, theme, W, H) => {
  const o = st.opts, d = st.data;
  const n = Math.max(0, Math.min(num(st.spec.rows, 0) | 0, Math.floor(d.length / 3)));
  const xs = d.subarray(0, n), y1 = d.subarray(n, 2 * n), y2 = d.subarray(2 * n, 3 * n);
  const name1 = str(o.name_y1) ?? "Y1 axis", name2 = str(o.name_y2) ?? "Y2 axis";
  const tick1 = str(o.color_tick_y1) ?? theme.fg2, title1 = str(o.color_title_y1) ?? theme.fg2;
  const tick2 = str(o.color_tick_y2) ?? Y2_COLOR, title2 = str(o.color_title_y2) ?? Y2_COLOR;
  const left = str(o.side) === "left";
  const xr = extent([xs]), yr1 = extent([y1]), yr2 = extent([y2]);
  // "left": Y2's block sits outside Y1's, so the plot moves right by one block
  const f = frame(g, theme, W, H, xr, yr1, { ...o, ylabel: name1 }, undefined,
    { left: left ? 2 * AXIS : AXIS, right: left ? 10 : AXIS + 4, tick: tick1, title: title1, titleX: left ? AXIS + 12 : 10 });

  // Y2's axis: a line, outward tick marks and labels; no grid (two grids would not line up)
  const ax = left ? AXIS + 0.5 : f.x0 + f.w - 0.5, out = left ? -1 : 1;
  const sy2 = (v: number) => f.y0 + f.h - ((v - yr2[0]) / (yr2[1] - yr2[0])) * f.h;
  g.strokeStyle = tick2; g.fillStyle = tick2; g.lineWidth = 1;
  g.textAlign = left ? "right" : "left"; g.textBaseline = "middle";
  g.beginPath();
  if (left) { g.moveTo(ax, f.y0); g.lineTo(ax, f.y0 + f.h); }
  for (const t of yTicks(yr2, f.h)) {
    const y = Math.round(sy2(t)) + 0.5;
    g.moveTo(ax, y); g.lineTo(ax + 3 * out, y);
    g.fillText(fmtTick(t), ax + 5 * out, y);
  }
  g.stroke();
  axisTitle(g, name2, left ? 10 : W - 10, f.y0 + f.h / 2, title2);

  g.save();
  g.beginPath(); g.rect(f.x0, f.y0, f.w, f.h); g.clip();
  g.lineWidth = 1.5; g.lineJoin = "round";
  const kx = f.w / (xr[1] - xr[0]), bx = f.x0 - xr[0] * kx;
  const lines: [Float64Array, [number, number]][] = [[y1, yr1], [y2, yr2]];
  lines.forEach(([ys, [lo, hi]], i) => {
    const ky = f.h / (hi - lo), by = f.y0 + f.h + lo * ky;
    g.strokeStyle = g.fillStyle = traceColor(i);
    const lone = polyline(g, xs, ys, kx, bx, ky, by);
    if (!lone.length) return;
    g.beginPath();
    for (const k of lone) {
      const x = bx + xs[k] * kx, y = by - ys[k] * ky;
      g.moveTo(x + 2, y); g.arc(x, y, 2, 0, 2 * Math.PI);
    }
    g.fill();
  });
  g.restore();

  if (o.showlegend !== false) legend(g, f, theme, [name1, name2], [traceColor(0), traceColor(1)], "line");
  // the point nearest the pointer along x: X and both values
  return (px, py) => {
    if (!inside(f, px, py)) return null;
    let best = Infinity, k = -1;
    for (let i = 0; i < n; i++) {
      const d = Math.abs(bx + xs[i] * kx - px);
      if (d < best) { best = d; k = i; }
    }
    return k < 0 || best > 20 ? null : `x ${fmtValue(xs[k])}: ${name1} ${fmtValue(y1[k])}, ${name2} ${fmtValue(y2[k])}`;
  };
};
