// Visdom's sunburst(labels, parents, values): plotly's sunburst with its default
// branchvalues="remainder" (a node's total = its own value + its children's totals; without values
// a leaf counts 1). A single root is the centre disc; several roots form the first ring around an
// empty centre. Sectors start at 12 o'clock and run clockwise, children in the order given.

import { mix, parseColor } from "../../ui/theme";
import { num, str } from "../../wire";
import { fmtValue, traceColor, type Renderer } from "./frame";

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** A filled ring sector (r0 = 0: a pie slice). A full turn is drawn as two circles, no seam. */
function sector(g: CanvasRenderingContext2D, cx: number, cy: number, r0: number, r1: number, a0: number, a1: number) {
  g.beginPath();
  if (a1 - a0 >= 2 * Math.PI - 1e-9) {
    g.moveTo(cx + r1, cy); g.arc(cx, cy, r1, 0, 2 * Math.PI);
    if (r0 > 0) { g.moveTo(cx + r0, cy); g.arc(cx, cy, r0, 2 * Math.PI, 0, true); }
  } else {
    g.arc(cx, cy, r1, a0, a1);
    if (r0 > 0) g.arc(cx, cy, r0, a1, a0, true);
    else g.lineTo(cx, cy);
    g.closePath();
  }
}

/** Black or white, whichever reads on this (opaque) colour. */
function contrast(c: string): string {
  const p = parseColor(c);
  return p && (0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]) / 255 > 0.55 ? "#000000" : "#ffffff";
}

export const sunburst: Renderer = (g, st, theme, W, H) => {
  const s = st.spec, o = st.opts, d = st.data;
  const labels = strings(s.labels), parents = strings(s.parents), n = labels.length;
  const hasValues = s.has_values === true;
  const index = new Map(labels.map((l, i) => [l, i]));
  const parent = new Int32Array(n).fill(-1), kids: number[][] = labels.map(() => []), roots: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = parents[i] ? index.get(parents[i]) : undefined;
    if (p === undefined) roots.push(i); // "" (or, defensively, an unknown parent): a root
    else { parent[i] = p; kids[p].push(i); }
  }
  // breadth-first from the roots: parents before children, no recursion (deep chains); nodes on a
  // cycle (Python refuses those) are never reached and stay undrawn
  const order = [...roots], depth = new Int32Array(n);
  for (let k = 0; k < order.length; k++) for (const c of kids[order[k]]) { depth[c] = depth[order[k]] + 1; order.push(c); }
  const total = new Float64Array(n);
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k], v = d[i];
    total[i] += hasValues ? (v > 0 && v < Infinity ? v : 0) : kids[i].length ? 0 : 1;
    if (parent[i] >= 0) total[parent[i]] += total[i];
  }

  // angles: a child's sector within its parent's, in proportion to its share of the parent's total
  // (remainder: the parent's own value is left as a gap after its children)
  const single = roots.length === 1, a0 = new Float64Array(n), a1 = new Float64Array(n);
  let sum = 0;
  for (const r of roots) sum += total[r];
  if (!(sum > 0)) return undefined;
  let at = -Math.PI / 2;
  for (const r of roots) { a0[r] = at; a1[r] = at += (2 * Math.PI * total[r]) / sum; }
  let levels = 0;
  for (const i of order) {
    if (!(total[i] > 0)) continue;
    levels = Math.max(levels, depth[i] + 1);
    let c0 = a0[i];
    for (const c of kids[i]) { a0[c] = c0; a1[c] = c0 += ((a1[i] - a0[i]) * total[c]) / total[i]; }
  }

  // rings: several roots leave the centre (one ring wide) empty, as plotly's hidden common root
  const off = single ? 0 : 1, R = Math.max(4, Math.min(W, H) / 2 - 6), rw = R / (levels + off);
  const cx = W / 2, cy = H / 2, first = single ? 1 : 0;
  // colour: the first-ring branch's trace colour, a bit lighter per level below it
  const color = new Array<string>(n).fill(mix(theme.bg, theme.fg, 0.12)); // the centre disc's: muted
  (single ? kids[roots[0]] : roots).forEach((i, k) => void (color[i] = traceColor(k)));
  for (const i of order) if (depth[i] > first) color[i] = mix(color[parent[i]], "#ffffff", 0.15);
  const opacity = Math.max(0, Math.min(1, num(o.opacity, 1))), lw = Math.max(0, num(o.line_width, 1));
  g.strokeStyle = theme.bg; g.lineWidth = lw; g.lineJoin = "round";
  for (const i of order) {
    if (!(total[i] > 0)) continue;
    const r0 = (depth[i] + off) * rw;
    sector(g, cx, cy, r0, r0 + rw, a0[i], a1[i]);
    g.globalAlpha = opacity; g.fillStyle = color[i]; g.fill();
    if (lw > 0) g.stroke();
  }
  g.globalAlpha = 1;

  // labels: centred in their sector, horizontal where the text's box fits, else along the arc
  // (tangential) or across the ring (radial) as plotly's "auto" orientation; none where no way fits
  const fs = Math.max(1, num(o.font_size, 11)), fc = str(o.font_color);
  g.font = `${fs}px ${theme.font}`; g.textAlign = "center"; g.textBaseline = "middle";
  for (const i of order) {
    if (!(total[i] > 0)) continue;
    const tw = g.measureText(labels[i]).width, r0 = (depth[i] + off) * rw, span = a1[i] - a0[i];
    let x = cx, y = cy, rot = 0;
    if (r0 === 0) {
      if (tw > 2 * rw - 6 || fs > 2 * rw - 4) continue;
    } else {
      const rm = r0 + rw / 2, am = (a0[i] + a1[i]) / 2, c = Math.abs(Math.cos(am)), sn = Math.abs(Math.sin(am));
      const chord = 2 * rm * Math.sin(Math.min(span, Math.PI) / 2);
      if (tw * c + fs * sn <= rw - 3 && tw * sn + fs * c <= chord - 3) rot = 0;
      else if (tw <= chord - 3 && fs <= rw - 3) rot = upright(am + Math.PI / 2);
      else if (tw <= rw - 3 && fs <= chord - 3) rot = upright(am);
      else continue;
      x = cx + rm * Math.cos(am); y = cy + rm * Math.sin(am);
    }
    g.fillStyle = fc ?? contrast(mix(theme.bg, color[i], opacity));
    if (rot === 0) g.fillText(labels[i], x, y);
    else {
      g.save(); g.translate(x, y); g.rotate(rot); g.fillText(labels[i], 0, 0); g.restore();
    }
  }
  // the sector under the pointer: its ring from the radius, then the angle (from 12 o'clock)
  return (x, y) => {
    const ring = Math.floor(Math.hypot(x - cx, y - cy) / rw) - off;
    let a = Math.atan2(y - cy, x - cx);
    if (a < -Math.PI / 2) a += 2 * Math.PI;
    for (const i of order) {
      if (depth[i] === ring && total[i] > 0 && a >= a0[i] && a < a1[i]) {
        const own = hasValues && kids[i].length ? ` (own ${fmtValue(d[i])})` : "";
        return `${labels[i]}: ${fmtValue(total[i])}${own}`;
      }
    }
    return null;
  };
};

/** An angle of text turned so that it never reads upside down: within (-pi/2, pi/2]. */
function upright(a: number): number {
  let t = a % (2 * Math.PI);
  if (t > Math.PI) t -= 2 * Math.PI;
  if (t <= -Math.PI) t += 2 * Math.PI;
  if (t > Math.PI / 2) t -= Math.PI;
  else if (t <= -Math.PI / 2) t += Math.PI;
  return t;
}
