// Canvas drawing of one PR-curve chart: precision (y) against recall (x), both [0, 1], one line
// per run in its colour; the hovered points ringed. The context is already scaled to css px.

import type { Theme } from "../../ui/theme";
import { xPx, yPx, type PrFrame, type PrPoint } from "./curve";

export interface Curve {
  run: string;
  color: string;
  points: PrPoint[];
}

export interface Hovered {
  color: string;
  point: PrPoint;
  nearest: boolean;
}

function ticks(plotPx: number): number[] {
  const step = plotPx >= 180 ? 0.2 : plotPx >= 90 ? 0.5 : 1;
  const out: number[] = [];
  for (let k = 0; k <= Math.round(1 / step); k++) out.push(Math.round(k * step * 10) / 10);
  return out;
}

export function drawPrChart(
  g: CanvasRenderingContext2D, f: PrFrame, width: number, height: number, theme: Theme,
  curves: readonly Curve[], hovered: readonly Hovered[],
) {
  g.clearRect(0, 0, width, height);
  g.font = `11px ${theme.font}`;
  g.lineJoin = "round";
  g.lineCap = "round";

  // grid, ticks, the [0, 1] box
  g.lineWidth = 1;
  g.fillStyle = theme.fg2;
  g.strokeStyle = theme.grid;
  g.textAlign = "center";
  g.textBaseline = "top";
  for (const t of ticks(f.w)) {
    const x = Math.round(xPx(f, t)) + 0.5;
    g.beginPath();
    g.moveTo(x, f.top);
    g.lineTo(x, f.top + f.h);
    g.stroke();
    g.fillText(t.toFixed(1), x, f.top + f.h + 4);
  }
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (const t of ticks(f.h)) {
    const y = Math.round(yPx(f, t)) + 0.5;
    g.beginPath();
    g.moveTo(f.left, y);
    g.lineTo(f.left + f.w, y);
    g.stroke();
    g.fillText(t.toFixed(1), f.left - 6, y);
  }
  g.strokeStyle = theme.border;
  g.strokeRect(Math.round(f.left) + 0.5, Math.round(f.top) + 0.5, Math.round(f.w) - 1, Math.round(f.h) - 1);

  // axis titles
  g.fillStyle = theme.fg2;
  g.textAlign = "center";
  g.textBaseline = "bottom";
  g.fillText("Recall", f.left + f.w / 2, height - 1);
  g.save();
  g.translate(11, f.top + f.h / 2);
  g.rotate(-Math.PI / 2);
  g.textBaseline = "middle";
  g.fillText("Precision", 0, 0);
  g.restore();

  // curves, clipped to the plot
  g.save();
  g.beginPath();
  g.rect(f.left, f.top, f.w, f.h);
  g.clip();
  for (const c of curves) {
    const pts = c.points;
    g.strokeStyle = c.color;
    g.fillStyle = c.color;
    if (pts.length === 1) {
      // a single defined threshold: a dot, not an invisible line
      g.beginPath();
      g.arc(xPx(f, pts[0].recall), yPx(f, pts[0].precision), 3.5, 0, 2 * Math.PI);
      g.fill();
      continue;
    }
    g.lineWidth = 2;
    g.beginPath();
    pts.forEach((p, k) => {
      const x = xPx(f, p.recall), y = yPx(f, p.precision);
      if (k === 0) g.moveTo(x, y);
      else g.lineTo(x, y);
    });
    g.stroke();
  }
  for (const hv of hovered) {
    const x = xPx(f, hv.point.recall), y = yPx(f, hv.point.precision);
    g.beginPath();
    g.arc(x, y, hv.nearest ? 5 : 4, 0, 2 * Math.PI);
    g.fillStyle = hv.color;
    g.fill();
    g.lineWidth = 1.5;
    g.strokeStyle = theme.bg;
    g.stroke();
  }
  g.restore();
}
