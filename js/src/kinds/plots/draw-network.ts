// Visdom's graph(edges, edgeLabels, nodeLabels): a node-link drawing. Python lays the nodes out in
// the unit square; data: x (n), y (n), then edge sources (m) and targets (m) as node indices.

import { num, str } from "../../wire";
import { TRACE_COLORS, traceColor, type Renderer } from "./frame";

const MARGIN = 20; // room for a self-loop above a node at the top

export const graph: Renderer = (g, st, theme, W, H) => {
  const o = st.opts, d = st.data;
  // counts the buffer cannot hold are clamped (a short buffer draws what it has)
  const n = Math.max(0, Math.min(num(st.spec.nodes, 0) | 0, Math.floor(d.length / 2)));
  const m = Math.max(0, Math.min(num(st.spec.edges, 0) | 0, Math.floor((d.length - 2 * n) / 2)));
  const nodeLabels = Array.isArray(st.spec.node_labels) ? (st.spec.node_labels as unknown[]).map(String) : [];
  const edgeLabels = Array.isArray(st.spec.edge_labels) ? (st.spec.edge_labels as unknown[]).map(String) : [];
  // the unit square into the largest centred square: a square layout stays square; y up
  const side = Math.max(1, Math.min(W, H) - 2 * MARGIN), ox = (W - side) / 2, oy = (H + side) / 2;
  const px = new Float64Array(n), py = new Float64Array(n);
  for (let i = 0; i < n; i++) { px[i] = ox + d[i] * side; py[i] = oy - d[n + i] * side; }
  const ok = (i: number) => Number.isInteger(i) && i >= 0 && i < n && Number.isFinite(px[i]) && Number.isFinite(py[i]);
  const r = Math.max(2, Math.min(6, 40 / Math.sqrt(Math.max(1, n))));
  const directed = o.directed === true, head = Math.max(5, r * 1.2);

  // edges: one path; directed ones stop at the target's circle, where a filled arrowhead ends them
  g.strokeStyle = g.fillStyle = theme.fg3; g.lineWidth = 1;
  const arrows: number[] = []; // x, y, angle per arrowhead
  g.beginPath();
  for (let e = 0; e < m; e++) {
    const a = d[2 * n + e], b = d[2 * n + m + e];
    if (!ok(a) || !ok(b)) continue;
    if (a === b) { // a self-loop: a small circle above the node
      g.moveTo(px[a] + r, py[a] - r); g.arc(px[a], py[a] - r, r, 0, 2 * Math.PI);
      continue;
    }
    const dx = px[b] - px[a], dy = py[b] - py[a], len = Math.hypot(dx, dy) || 1;
    const stop = directed ? Math.min(len, r + 1) : 0;
    const x2 = px[b] - (dx / len) * stop, y2 = py[b] - (dy / len) * stop;
    g.moveTo(px[a], py[a]); g.lineTo(x2, y2);
    if (directed) arrows.push(x2, y2, Math.atan2(dy, dx));
  }
  g.stroke();
  if (arrows.length) {
    g.beginPath();
    for (let k = 0; k < arrows.length; k += 3) {
      const x = arrows[k], y = arrows[k + 1], t = arrows[k + 2];
      g.moveTo(x, y);
      g.lineTo(x - head * Math.cos(t - 0.4), y - head * Math.sin(t - 0.4));
      g.lineTo(x - head * Math.cos(t + 0.4), y - head * Math.sin(t + 0.4));
      g.closePath();
    }
    g.fill();
  }

  // nodes: one path per colour ("different": node i gets traceColor(i), so the palette's length),
  // a background outline parts touching circles
  const groups = str(o.scheme) === "different" ? TRACE_COLORS.length : 1;
  g.strokeStyle = theme.bg;
  for (let c = 0; c < groups; c++) {
    g.beginPath();
    for (let i = c; i < n; i += groups) {
      if (!ok(i)) continue;
      g.moveTo(px[i] + r, py[i]); g.arc(px[i], py[i], r, 0, 2 * Math.PI);
    }
    g.fillStyle = traceColor(c);
    g.fill(); g.stroke();
  }

  // labels on a halo of the background: readable where an edge passes under them
  g.font = `10px ${theme.font}`; g.textBaseline = "middle"; g.lineJoin = "round"; g.lineWidth = 3; g.strokeStyle = theme.bg;
  const label = (text: string, x: number, y: number) => { g.strokeText(text, x, y); g.fillText(text, x, y); };
  if (o.showEdgeLabels === true) {
    g.fillStyle = theme.fg2; g.textAlign = "center";
    for (let e = 0; e < m; e++) {
      const a = d[2 * n + e], b = d[2 * n + m + e];
      if (ok(a) && ok(b) && edgeLabels[e]) label(edgeLabels[e], (px[a] + px[b]) / 2, a === b ? py[a] - 2 * r : (py[a] + py[b]) / 2);
    }
  }
  if (o.showVertexLabels === true) {
    g.fillStyle = theme.fg; g.textAlign = "left";
    for (let i = 0; i < n; i++) if (ok(i)) label(nodeLabels[i] ?? String(i), px[i] + r + 3, py[i]);
  }
  // the node under the pointer: its label and its edges
  return (x, y) => {
    let best = (r + 4) ** 2, k = -1;
    for (let i = 0; i < n; i++) {
      const d2 = (px[i] - x) ** 2 + (py[i] - y) ** 2;
      if (d2 < best) { best = d2; k = i; }
    }
    if (k < 0) return null;
    let degree = 0;
    for (let e = 0; e < m; e++) if (d[2 * n + e] === k || d[2 * n + m + e] === k) degree++;
    return `${nodeLabels[k] ?? k}: ${degree} edge${degree === 1 ? "" : "s"}`;
  };
};
