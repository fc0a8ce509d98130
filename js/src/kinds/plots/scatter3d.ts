// Visdom's 3-D scatter (X N x 3): every trace's points as one point cloud, a colour per trace, shown
// in the Mesh tab's rotatable three.js view (the window was drawn as x/y before).

import type { MeshSample } from "../mesh/data";
import { parseColor } from "../../ui/theme";
import { traceColor } from "./frame";
import type { WindowState } from "./model";

/** Whether a scatter window holds 3-D points (any trace with a z column). */
export const isScatter3d = (st: WindowState): boolean => st.type === "scatter" && st.traces.some((t) => t.cols.length === 3);

/** The window's finite points as a point cloud: positions x, y, z (z 0 for a 2-D trace) and each
 * trace's colour per point. */
export function scatterCloud(st: WindowState): MeshSample {
  let n = 0;
  for (const t of st.traces) n += t.cols[0]?.n ?? 0;
  const positions = new Float32Array(3 * n), colors = new Uint8Array(3 * n);
  let k = 0;
  st.traces.forEach((t, i) => {
    const [r, g, b] = parseColor(traceColor(i)) ?? [128, 128, 128];
    const xs = t.cols[0]?.values, ys = t.cols[1]?.values, zs = t.cols[2]?.values;
    if (!xs || !ys) return;
    for (let j = 0; j < xs.length; j++) {
      const x = xs[j], y = ys[j], z = zs ? zs[j] : 0;
      if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z)) continue;
      positions[3 * k] = x; positions[3 * k + 1] = y; positions[3 * k + 2] = z;
      colors[3 * k] = r; colors[3 * k + 1] = g; colors[3 * k + 2] = b;
      k++;
    }
  });
  return {
    positions: positions.subarray(0, 3 * k), colors: colors.subarray(0, 3 * k), indices: null,
    vertexCount: k, faceCount: 0, badFaces: 0,
  };
}
