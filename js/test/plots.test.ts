import { describe, expect, it } from "vitest";
import { applyOp, decodePlot, WindowFold, windowPoints, type PlotRecord } from "../src/kinds/plots/model";
import { axisTicks, colorLut, extent, RENDERERS, traceColor } from "../src/kinds/plots/draw";
import { isScatter3d, scatterCloud } from "../src/kinds/plots/scatter3d";
import { lineColor } from "../src/kinds/plots/frame";
import { RecordList } from "../src/kinds/record-kind";
import type { Theme } from "../src/ui/theme";
import { Buffers } from "../src/wire";

const rec = (index: number, op: PlotRecord["op"], spec: Record<string, unknown>, data: number[] = []): PlotRecord => ({
  run: "main", tag: "loss", index, step: index, wall: 0, op, spec, data: new Float64Array(data),
});

describe("plots (Visdom windows)", () => {
  it("decodes an entry and its float64 buffer", () => {
    const buf = new Float64Array([1, 2, 3, 4]).buffer;
    const r = decodePlot({ op: "set", spec: { type: "bar" }, buffer: 0 }, new Buffers([new DataView(buf)]),
      { run: "r", tag: "w", index: 0, step: 0, wall: 0 });
    expect(r.op).toBe("set");
    expect([...r.data]).toEqual([1, 2, 3, 4]);
    expect(() => decodePlot({ op: "nope" }, new Buffers([]), { run: "r", tag: "w", index: 0, step: 0, wall: 0 })).toThrow();
  });

  it("folds set / append / remove / opts / close in order", () => {
    let st = applyOp(null, rec(0, "set", { type: "line", opts: { title: "t" }, traces: [{ name: "a", n: 2, dims: 2 }] }, [0, 1, 5, 6]));
    expect(st!.traces[0].series!.length).toBe(2);
    st = applyOp(st, rec(1, "append", { traces: [{ name: "a", n: 1, dims: 2 }, { name: "b", n: 1, dims: 2 }] }, [2, 7, 2, 9]));
    expect(windowPoints(st!)).toBe(4);
    expect([...st!.traces[0].cols[1].values]).toEqual([5, 6, 7]);
    st = applyOp(st, rec(2, "remove", { name: "b" }));
    expect(st!.traces.map((t) => t.name)).toEqual(["a"]);
    st = applyOp(st, rec(3, "opts", { opts: { xlabel: "x" } }));
    expect(st!.opts).toEqual({ title: "t", xlabel: "x" });
    expect(applyOp(st, rec(4, "close", {}))).toBeNull();
    expect(applyOp(null, rec(5, "append", { traces: [] }))).toBeNull(); // updates of a closed window
  });

  it("folds a record list incrementally, up to the first hole", () => {
    const l = new RecordList<PlotRecord>("main", "w");
    const f = new WindowFold();
    l.put(rec(0, "set", { type: "scatter", traces: [{ name: "1", n: 1, dims: 2 }] }, [1, 1]));
    l.put(rec(2, "append", { traces: [{ name: "1", n: 1, dims: 2 }] }, [3, 3]));
    expect(windowPoints(f.update(l)!)).toBe(1);
    l.put(rec(1, "append", { traces: [{ name: "1", n: 1, dims: 2 }] }, [2, 2]));
    expect(windowPoints(f.update(l)!)).toBe(3);
  });

  it("counts matrix windows' points", () => {
    expect(windowPoints(applyOp(null, rec(0, "set", { type: "heatmap", rows: 500, cols: 500 }))!)).toBe(250000);
    expect(windowPoints(applyOp(null, rec(0, "set", { type: "histogram", bins: 30 }))!)).toBe(30);
  });

  it("has ticks, extents and colour maps", () => {
    expect(axisTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(extent([[1, 1]])).toEqual([0, 2]);
    expect(extent([[1, Infinity, -Infinity, NaN, 2]], 0)).toEqual([1, 2]); // only finite values count
    const lut = colorLut("greys");
    expect(lut[0] & 0xffffff).toBe(0);
    expect(lut[255] & 0xffffff).toBe(0xffffff);
    expect(colorLut("unknown")[0]).toBe(colorLut("viridis")[0]);
  });
});

// ------------------------------------------------------------------ the renderers, on a recording context

type Op = [string, ...number[]];
interface Paint { kind: "fill" | "stroke"; path: Op[]; style: string; alpha: number; width: number }
interface Text { text: string; x: number; y: number; style: string; align: string; font: string; rotated: boolean }

/** The parts of a 2D context the renderers use: paths are kept until filled or stroked, texts with their
 * place (translate applied; rotated when drawn under a rotate) and colour. */
class Recorder {
  fillStyle = "#000"; strokeStyle = "#000"; lineWidth = 1; globalAlpha = 1; font = "10px sans-serif";
  textAlign = "start"; textBaseline = "alphabetic"; lineJoin = "miter";
  paints: Paint[] = []; texts: Text[] = []; rects: { kind: string; style: string }[] = [];
  private path: Op[] = [];
  private tx = 0; private ty = 0; private rot = 0;
  private stack: [number, number, number, string, string, number, string, string, string][] = [];
  save() { this.stack.push([this.tx, this.ty, this.rot, this.fillStyle, this.strokeStyle, this.globalAlpha, this.font, this.textAlign, this.textBaseline]); }
  restore() {
    const s = this.stack.pop();
    if (s) [this.tx, this.ty, this.rot, this.fillStyle, this.strokeStyle, this.globalAlpha, this.font, this.textAlign, this.textBaseline] = s;
  }
  translate(x: number, y: number) { this.tx += x; this.ty += y; }
  rotate(a: number) { this.rot += a; }
  setTransform() {}
  clearRect() {}
  beginPath() { this.path = []; }
  moveTo(x: number, y: number) { this.path.push(["moveTo", x, y]); }
  lineTo(x: number, y: number) { this.path.push(["lineTo", x, y]); }
  arc(x: number, y: number, r: number, a0: number, a1: number, ccw = false) { this.path.push(["arc", x, y, r, a0, a1, ccw ? 1 : 0]); }
  rect(x: number, y: number, w: number, h: number) { this.path.push(["rect", x, y, w, h]); }
  closePath() { this.path.push(["closePath"]); }
  clip() {}
  fill() { this.paints.push({ kind: "fill", path: [...this.path], style: this.fillStyle, alpha: this.globalAlpha, width: this.lineWidth }); }
  stroke() { this.paints.push({ kind: "stroke", path: [...this.path], style: this.strokeStyle, alpha: this.globalAlpha, width: this.lineWidth }); }
  fillRect() { this.rects.push({ kind: "fillRect", style: this.fillStyle }); }
  strokeRect() { this.rects.push({ kind: "strokeRect", style: this.strokeStyle }); }
  fillText(text: string, x: number, y: number) {
    this.texts.push({ text, x: x + this.tx, y: y + this.ty, style: this.fillStyle, align: this.textAlign, font: this.font, rotated: this.rot !== 0 });
  }
  /** A text's halo (drawn under its fill): counted, not a text of its own. */
  halos = 0;
  strokeText() { this.halos++; }
  measureText(text: string) { return { width: text.length * (parseFloat(this.font) || 10) * 0.6 }; }
  get ctx() { return this as unknown as CanvasRenderingContext2D; }
}

const THEME: Theme = { fg: "#111111", fg2: "#555555", fg3: "#999999", bg: "#ffffff", border: "#dddddd", grid: "rgba(0,0,0,0.07)", font: "sans-serif", dark: false, id: "test" };

function draw(spec: Record<string, unknown>, data: number[] | Float64Array = [], W = 400, H = 300): Recorder {
  const st = applyOp(null, rec(0, "set", spec, [...data]))!;
  const g = new Recorder();
  RENDERERS[st.type](g.ctx, st, THEME, W, H);
  return g;
}

const count = (p: Paint, op: string) => p.path.filter((o) => o[0] === op).length;
const arcs = (p: Paint) => p.path.filter((o) => o[0] === "arc");

describe("dual_axis_lines", () => {
  const xs = [0, 1, 2, 3, 4], y1 = [0, 0.25, 0.5, 0.75, 1], y2 = [1000, 2000, 3000, 4000, 5000];
  const dual = (opts: Record<string, unknown> = {}, n = 5, data = [...xs, ...y1, ...y2]) => draw({ type: "dual_axis_lines", opts, rows: n }, data);
  const values = (ts: Text[]) => ts.map((t) => Number(t.text));

  it("labels Y2's axis from Y2's range, right of the plot by default", () => {
    const g = dual();
    const t1 = g.texts.filter((t) => t.style === THEME.fg2 && t.align === "right" && !t.rotated);
    const t2 = g.texts.filter((t) => t.style === "#9467bd" && !t.rotated);
    expect(t2.length).toBeGreaterThan(2);
    for (const v of values(t2)) expect(v >= 900 && v <= 5100).toBe(true);
    for (const v of values(t1)) expect(v >= -0.1 && v <= 1.1).toBe(true);
    const y1Right = Math.max(...t1.map((t) => t.x));
    expect(Math.min(...t2.map((t) => t.x))).toBeGreaterThan(300); // right of the plot area
    expect(t2.every((t) => t.align === "left")).toBe(true);
    expect(y1Right).toBeLessThan(60);
    // both titles rotated, in their colours; the legend names both lines
    expect(g.texts.filter((t) => t.rotated).map((t) => [t.text, t.style])).toEqual([["Y1 axis", THEME.fg2], ["Y2 axis", "#9467bd"]]);
    expect(g.texts.filter((t) => !t.rotated && t.style === THEME.fg).map((t) => t.text)).toEqual(["Y1 axis", "Y2 axis"]);
  });

  it("puts Y2's ticks left of Y1's with side=left, in the given colours, and keeps the grid to Y1's ticks", () => {
    const g = dual({ side: "left", name_y1: "loss", name_y2: "lr", color_tick_y1: "#010101", color_tick_y2: "#020202",
      color_title_y1: "#030303", color_title_y2: "#040404", showlegend: false });
    const t1 = g.texts.filter((t) => t.style === "#010101"), t2 = g.texts.filter((t) => t.style === "#020202");
    expect(t1.length).toBeGreaterThan(2);
    expect(Math.max(...t2.map((t) => t.x))).toBeLessThan(Math.min(...t1.map((t) => t.x)) - 20);
    for (const v of values(t2)) expect(v >= 900 && v <= 5100).toBe(true);
    const titles = g.texts.filter((t) => t.rotated);
    expect(titles.map((t) => [t.text, t.style])).toEqual([["loss", "#030303"], ["lr", "#040404"]]);
    expect(titles[1].x).toBeLessThan(titles[0].x); // Y2's title outermost
    expect(g.texts.some((t) => t.style === THEME.fg)).toBe(false); // no legend
    // grid lines: one per Y1 tick (horizontal) plus the x ticks' (vertical), none for Y2
    const grid = g.paints.filter((p) => p.kind === "stroke" && p.style === THEME.grid);
    const horizontal = grid.filter((p) => p.path[0][2] === p.path[1][2]);
    expect(horizontal.length).toBe(t1.length);
  });

  it("draws each line as one path in the given order, NaN breaking it", () => {
    const g = dual({}, 5, [3, 1, 2, 0, 4, 1, 2, NaN, 3, 4, 5, 4, 3, 2, 1]);
    const [l1, l2] = g.paints.filter((p) => p.kind === "stroke" && (p.style === traceColor(0) || p.style === traceColor(1)) && p.width === 1.5);
    expect(count(l1, "moveTo")).toBe(2); // broken at the NaN
    expect(count(l1, "lineTo")).toBe(2);
    expect(count(l2, "moveTo") + count(l2, "lineTo")).toBe(5);
    // x order kept: the first segment goes from x=3 back to x=1
    expect(l2.path[1][1]).toBeLessThan(l2.path[0][1]);
  });

  it("draws 100k points per line as one path of a few ops per pixel column, keeping each column's y range", () => {
    const n = 100_000, d = new Float64Array(3 * n);
    for (let i = 0; i < n; i++) { d[i] = i; d[n + i] = Math.sin(i / 7); d[2 * n + i] = i * i; }
    const g = draw({ type: "dual_axis_lines", opts: {}, rows: n }, d);
    const lines = g.paints.filter((p) => p.width === 1.5);
    expect(lines).toHaveLength(2);
    const plotW = 400 - 50 - 54, plotH = 300 - 8 - 22;
    for (const p of lines) {
      expect(p.path.length).toBeLessThanOrEqual(4 * (plotW + 2));
      const ys = p.path.map((o) => o[2]);
      expect(Math.max(...ys) - Math.min(...ys)).toBeCloseTo(plotH / 1.08); // the data's whole range (extent pads 4% a side)
    }
    // the sine spans (nearly) the whole range in every pixel column: the merge kept each column's extremes
    const cols = new Map<number, number[]>();
    for (const o of lines[0].path) cols.set(Math.round(o[1]), [...(cols.get(Math.round(o[1])) ?? []), o[2]]);
    const inner = [...cols.values()].slice(2, -2);
    expect(inner.length).toBeGreaterThan(plotW / 1.08 - 10); // x is padded too
    for (const ys of inner) expect(Math.max(...ys) - Math.min(...ys)).toBeGreaterThan(plotH / 1.08 - 2);
    expect(g.rects.length).toBeLessThan(5);
  });

  it("survives empty, single-point and non-finite input", () => {
    expect(() => dual({}, 0, [])).not.toThrow();
    expect(() => dual({}, 5, [])).not.toThrow(); // a buffer shorter than rows says
    // points alone between breaks are dotted (a path of one point draws nothing)
    const dots = (g: Recorder) => g.paints.filter((p) => p.kind === "fill" && p.style === traceColor(0)).flatMap(arcs);
    expect(dots(dual({}, 5, [0, 1, 2, 3, 4, 1, NaN, 2, NaN, 3, 1, 1, 1, 1, 1]))).toHaveLength(3);
    expect(dots(dual({}, 5, [0, 1, 2, 3, 4, 1, 2, 2, 3, 3, 1, 1, 1, 1, 1]))).toHaveLength(0);
    const one = dual({}, 1, [2, 3, 4]);
    expect(one.paints.filter((p) => p.kind === "fill" && arcs(p).length === 1)).toHaveLength(2); // a lone point is dotted
    const bad = dual({}, 3, [0, Infinity, 2, NaN, 1, -Infinity, 5, 6, Infinity]);
    for (const t of bad.texts) expect(t.text).not.toMatch(/NaN|Infinity/);
  });
});

describe("sunburst", () => {
  const sun = (labels: string[], parents: string[], values?: number[], opts: Record<string, unknown> = {}) =>
    draw({ type: "sunburst", opts, rows: labels.length, labels, parents, has_values: values !== undefined }, values ?? []);
  const fills = (g: Recorder) => g.paints.filter((p) => p.kind === "fill");
  /** The angle each filled sector spans (its outer arc). */
  const spans = (g: Recorder) => fills(g).map((p) => {
    const outer = arcs(p).reduce((a, b) => (b[3] > a[3] ? b : a));
    return outer[5] - outer[4];
  });
  const radii = (p: Paint) => arcs(p).map((a) => a[3]);

  it("single root: a centre disc, children in proportion to their totals (remainder), clockwise from 12 o'clock", () => {
    // root (own 10) -> a (own 6) -> a1 (4); root -> b (20): totals a=10, b=20, root=40
    const g = sun(["root", "a", "b", "a1"], ["", "root", "root", "a"], [10, 6, 20, 4]);
    const f = fills(g);
    expect(f).toHaveLength(4);
    expect(arcs(f[0])).toHaveLength(1); // the disc: one full circle
    expect(f[0].style).not.toBe(traceColor(0));
    const s = spans(g);
    expect(s[0]).toBeCloseTo(2 * Math.PI);
    expect(s[1]).toBeCloseTo((2 * Math.PI * 10) / 40); // a
    expect(s[2]).toBeCloseTo((2 * Math.PI * 20) / 40); // b
    expect(s[3]).toBeCloseTo((2 * Math.PI * 4) / 40); // a1: within a's, leaving a's own value as a gap
    expect(arcs(f[1])[0][4]).toBeCloseTo(-Math.PI / 2); // a starts at 12 o'clock
    expect(arcs(f[2])[0][4]).toBeCloseTo(-Math.PI / 2 + (2 * Math.PI * 10) / 40); // b after it
    // rings of equal width: disc r, then [r, 2r], then [2r, 3r]
    const r = radii(f[0])[0];
    expect(radii(f[1]).sort((x, y) => x - y)).toEqual([r, 2 * r].map((v) => expect.closeTo(v)));
    expect(Math.max(...radii(f[3]))).toBeCloseTo(3 * r);
    // branch colours: a, b trace colours; a's child the same hue, lighter; borders in the background colour
    expect([f[1].style, f[2].style]).toEqual([traceColor(0), traceColor(1)]);
    expect(f[3].style).toMatch(/^rgba/);
    expect(g.paints.filter((p) => p.kind === "stroke").every((p) => p.style === THEME.bg && p.width === 1)).toBe(true);
  });

  it("without values a leaf counts 1; several roots form the first ring around an empty centre", () => {
    // r1 has 3 leaves, r2 1 leaf (itself)
    const g = sun(["r1", "r2", "x", "y", "z"], ["", "", "r1", "r1", "x"]);
    const f = fills(g), s = spans(g);
    expect(f).toHaveLength(5);
    // r1 = leaves y, z (x is a parent, counts 0 itself) = 2; r2 = 1
    expect(s[0]).toBeCloseTo((2 * Math.PI * 2) / 3);
    expect(s[1]).toBeCloseTo((2 * Math.PI * 1) / 3);
    // no disc: the centre stays empty, one ring wide (plotly's hidden common root); 3 levels + centre = 4 rings
    const [r0, r1] = radii(f[0]).sort((x, y) => x - y);
    expect(r1).toBeCloseTo(2 * r0);
    expect(f.every((p) => Math.min(...radii(p)) >= r0 - 1e-9)).toBe(true);
    expect(Math.max(...radii(f[4]))).toBeCloseTo(4 * r0);
    expect([f[0].style, f[1].style]).toEqual([traceColor(0), traceColor(1)]);
    expect(s[2] + s[3]).toBeCloseTo(s[0]); // x and y fill r1
    expect(s[4]).toBeCloseTo(s[2]); // z fills x
  });

  it("gives a 0-total node no sector, and applies opacity, line width and label options", () => {
    const g = sun(["root", "a", "b"], ["", "root", "root"], [0, 5, 0], { opacity: 0.5, line_width: 3, font_size: 9, font_color: "#123456" });
    expect(fills(g)).toHaveLength(2); // root and a
    expect(fills(g).every((p) => p.alpha === 0.5)).toBe(true);
    expect(g.paints.filter((p) => p.kind === "stroke").every((p) => p.width === 3)).toBe(true);
    expect(g.texts.map((t) => t.text).sort()).toEqual(["a", "root"]);
    expect(g.texts.every((t) => t.style === "#123456" && t.font.startsWith("9px"))).toBe(true);
  });

  it("labels only sectors big enough, in a colour readable on them", () => {
    const labels = ["root", ...Array.from({ length: 200 }, (_, i) => `leaf number ${i}`)];
    const parents = ["", ...labels.slice(1).map(() => "root")];
    const g = sun(labels, parents);
    expect(g.texts.map((t) => t.text)).toEqual(["root"]); // 200 thin slices: no room for their labels
    const big = sun(["a", "b"], ["", "a"]);
    const tb = big.texts.find((t) => t.text === "b")!;
    expect(tb.style).toBe("#ffffff"); // on traceColor(0), a dark blue
  });

  it("turns a label along the arc where it fits only that way, never upside down", () => {
    // two halves of a ring 72 px wide: 20 characters (132 px) fit along the arc, not across the ring
    const long = "a label of 20 chars!";
    const g = sun(["root", long, "other"], ["", "root", "root"]);
    const t = g.texts.find((x) => x.text === long)!;
    expect(t.rotated).toBe(true);
    expect(t.x).toBeGreaterThan(200); // the first half: clockwise from 12 o'clock, right of the centre
    expect(g.texts.find((x) => x.text === "root")!.rotated).toBe(false);
  });

  it("survives empty, all-zero and inconsistent input", () => {
    expect(sun([], []).paints).toHaveLength(0);
    expect(sun(["a", "b"], ["", "a"], [0, 0]).paints).toHaveLength(0);
    expect(() => draw({ type: "sunburst", opts: {}, rows: 3, labels: ["a", "b", "c"], parents: ["", "c", "b"], has_values: true }, [1, NaN, Infinity])).not.toThrow();
    expect(() => draw({ type: "sunburst", opts: {}, rows: 2 })).not.toThrow();
  });
});

describe("graph", () => {
  const net = (x: number[], y: number[], src: number[], dst: number[], opts: Record<string, unknown> = {}, W = 400, H = 300) =>
    draw({ type: "graph", opts, nodes: x.length, edges: src.length, node_labels: x.map((_, i) => `n${i}`), edge_labels: src.map((_, i) => `e${i}`) },
      [...x, ...y, ...src, ...dst], W, H);
  const nodeFills = (g: Recorder) => g.paints.filter((p) => p.kind === "fill" && arcs(p).length > 0);
  const edgePath = (g: Recorder) => g.paints.find((p) => p.kind === "stroke" && p.style === THEME.fg3)!;
  const x = [0, 1, 0, 1], y = [0, 0, 1, 1];

  it("draws one circle per node and one line per edge, keeping the layout square", () => {
    const g = net(x, y, [0, 1, 2], [1, 2, 3]);
    const nodes = nodeFills(g);
    expect(nodes).toHaveLength(1);
    expect(arcs(nodes[0])).toHaveLength(4);
    expect(nodes[0].style).toBe(traceColor(0));
    expect(count(edgePath(g), "lineTo")).toBe(3);
    const c = arcs(nodes[0]);
    const w = c[1][1] - c[0][1], h = c[0][2] - c[2][2]; // unit square: same width and height, y up
    expect(w).toBeCloseTo(h);
    expect(w).toBeCloseTo(300 - 40); // the height less the margins
    expect(g.paints.filter((p) => p.kind === "fill" && count(p, "closePath") > 0)).toHaveLength(0); // no arrowheads
    expect(g.texts).toHaveLength(0);
  });

  it("draws arrowheads at the target, stopping at its circle, only when directed", () => {
    const g = net(x, y, [0, 1], [1, 3], { directed: true });
    const heads = g.paints.filter((p) => p.kind === "fill" && count(p, "closePath") > 0);
    expect(heads).toHaveLength(1);
    expect(count(heads[0], "closePath")).toBe(2);
    const c = arcs(nodeFills(g)[0]), r = c[0][3];
    const end = edgePath(g).path[1]; // edge 0 ends short of node 1's centre by the radius (+1)
    expect(Math.hypot(end[1] - c[1][1], end[2] - c[1][2])).toBeCloseTo(r + 1);
  });

  it("colours nodes by scheme and draws labels only when asked", () => {
    const g = net(x, y, [0], [1], { scheme: "different", showVertexLabels: true, showEdgeLabels: true });
    const nodes = nodeFills(g);
    expect(nodes.map((p) => p.style)).toEqual([0, 1, 2, 3].map(traceColor));
    expect(nodes.every((p) => arcs(p).length === 1)).toBe(true);
    expect(g.texts.filter((t) => t.style === THEME.fg).map((t) => t.text)).toEqual(["n0", "n1", "n2", "n3"]);
    const e = g.texts.find((t) => t.text === "e0")!;
    const c = arcs(nodes[0])[0], d = arcs(nodes[1])[0];
    expect([e.x, e.y]).toEqual([(c[1] + d[1]) / 2, (c[2] + d[2]) / 2]);
    expect(net(x, y, [0], [1], { showVertexLabels: true }).texts.map((t) => t.text)).toEqual(["n0", "n1", "n2", "n3"]);
    expect(g.halos).toBe(g.texts.length); // each label on a halo: readable over the edges
  });

  it("skips bad nodes and edges, and survives empty input", () => {
    const g = net([0, NaN, 0.5], [0, 0, Infinity], [0, 0, 5, 0.5, 0], [1, 2, 0, 0, 0]);
    expect(nodeFills(g).reduce((k, p) => k + arcs(p).length, 0)).toBe(1);
    expect(count(edgePath(g), "lineTo")).toBe(0); // edges to bad nodes, out of range, fractional; the self-loop is an arc
    expect(arcs(edgePath(g))).toHaveLength(1);
    expect(() => net([], [], [], [])).not.toThrow();
    expect(() => draw({ type: "graph", opts: {}, nodes: 1e9, edges: 5 })).not.toThrow();
    expect(() => net([0.5], [0.5], [], [], {}, 0, 0)).not.toThrow();
  });
});

describe("scatter legend", () => {
  const scatter = (names: string[], opts: Record<string, unknown> = {}) =>
    draw({ type: "scatter", opts, traces: names.map((name) => ({ name, n: 2, dims: 2 })) }, names.flatMap((_, i) => [0, 1, i, i + 1]));

  it("names the traces when there are several, each in its colour", () => {
    const g = scatter(["cat", "dog"]);
    const entries = g.texts.filter((t) => t.text === "cat" || t.text === "dog");
    expect(entries.map((t) => t.text)).toEqual(["cat", "dog"]);
    expect(entries[0].y).toBeLessThan(entries[1].y);
    const dots = g.paints.filter((p) => p.kind === "fill" && arcs(p).length === 1 && arcs(p)[0][3] === 3.5);
    expect(dots.map((p) => p.style)).toEqual([traceColor(0), traceColor(1)]);
  });

  it("has none for one trace, or with showlegend false", () => {
    expect(scatter(["only"]).texts.some((t) => t.text === "only")).toBe(false);
    expect(scatter(["cat", "dog"], { showlegend: false }).texts.some((t) => t.text === "cat")).toBe(false);
  });
});

describe("windowPoints of the new types", () => {
  it("counts dual lines' points, sunburst nodes and graph nodes", () => {
    expect(windowPoints(applyOp(null, rec(0, "set", { type: "dual_axis_lines", rows: 7 }))!)).toBe(14);
    expect(windowPoints(applyOp(null, rec(0, "set", { type: "sunburst", rows: 5 }))!)).toBe(5);
    expect(windowPoints(applyOp(null, rec(0, "set", { type: "graph", nodes: 9, edges: 20 }))!)).toBe(9);
  });
});

describe("3-D scatter", () => {
  it("is every trace's finite points as one cloud, a colour per trace", () => {
    const st = applyOp(null, rec(0, "set", { type: "scatter", opts: {}, traces: [{ name: "a", n: 2, dims: 3 }, { name: "b", n: 2, dims: 3 }] },
      [0, 1, 2, 3, 4, 5, /* b */ 6, NaN, 8, 9, 10, 11]))!;
    expect(isScatter3d(st)).toBe(true);
    const c = scatterCloud(st);
    expect(c.vertexCount).toBe(3); // b's second point has a NaN y
    expect([...c.positions]).toEqual([0, 2, 4, 1, 3, 5, 6, 8, 10]);
    expect([...c.colors!.subarray(0, 3)]).toEqual([0x1f, 0x77, 0xb4]);
    expect([...c.colors!.subarray(6, 9)]).toEqual([0xff, 0x7f, 0x0e]);
    expect(c.indices).toBeNull();
  });

  it("leaves 2-D scatters on the canvas", () => {
    const st = applyOp(null, rec(0, "set", { type: "scatter", opts: {}, traces: [{ name: "a", n: 1, dims: 2 }] }, [0, 1]))!;
    expect(isScatter3d(st)).toBe(false);
  });
});

describe("hover (hit tests)", () => {
  // the frame of a 400 x 300 window without axis titles: plot x 50..390, y 8..278
  const hit = (spec: Record<string, unknown>, data: number[], W = 400, H = 300) => {
    const st = applyOp(null, rec(0, "set", spec, data))!;
    return RENDERERS[st.type](new Recorder().ctx, st, THEME, W, H)!;
  };
  const colX = (i: number, n: number) => 50 + ((i + 0.5) / n) * 340;

  it("bar: the row under the pointer, every column's value", () => {
    const h = hit({ type: "bar", opts: { legend: ["x", "y"] }, rows: 3, cols: 2, labels: ["a", "b", "c"] }, [1, 4, 2, 5, 3, 6]);
    expect(h(colX(1, 3), 150)).toBe("b: x 2, y 5");
    expect(h(10, 150)).toBeNull(); // left of the plot
    const g = new Recorder();
    const st = applyOp(null, rec(0, "set", { type: "bar", opts: { legend: ["x", "y"] }, rows: 1, cols: 2, labels: ["a"] }, [1, 2]))!;
    RENDERERS.bar(g.ctx, st, THEME, 400, 300);
    expect(g.texts.filter((t) => t.text === "x" || t.text === "y")).toHaveLength(2); // a legend names the columns
  });

  it("histogram: the bin and its count", () => {
    const h = hit({ type: "histogram", opts: {}, bins: 4 }, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(h(colX(2, 4), 270)).toBe("[2, 3): 7");
  });

  it("scatter: the nearest point within 8 px, named by its trace", () => {
    const h = hit({ type: "scatter", opts: {}, traces: [{ name: "a", n: 2, dims: 2 }, { name: "b", n: 1, dims: 2 }] }, [0, 1, 0, 1, 0.5, 0.5]);
    const st = applyOp(null, rec(0, "set", { type: "scatter", opts: {}, traces: [{ name: "a", n: 1, dims: 2 }] }, [0, 0]))!;
    expect(RENDERERS.scatter(new Recorder().ctx, st, THEME, 400, 300)!(0, 0)).toBeNull();
    // x and y span [0, 1] padded 4%: 0.5 is the middle of the plot
    expect(h(220, 143)).toBe("b: (0.5, 0.5)");
    expect(h(100, 60)).toBeNull();
  });

  it("pie: the slice at the pointer's angle, with its share", () => {
    const h = hit({ type: "pie", opts: { legend: ["p", "q"] }, rows: 2 }, [1, 3]);
    const r = Math.min(400 * 0.6, 300) / 2 - 12, cx = r + 14, cy = 150;
    expect(h(cx + r / 2, cy - r / 2)).toBe("p: 1 (25.0%)"); // upper right: the first quarter, clockwise from 12
    expect(h(cx - r / 2, cy)).toBe("q: 3 (75.0%)");
    expect(h(cx + r + 5, cy)).toBeNull();
  });

  it("boxplot: the column's five numbers", () => {
    const h = hit({ type: "boxplot", opts: { legend: ["m"] }, rows: 1 }, [0, 1, 2, 3, 4]);
    expect(h(colX(0, 1), 150)).toBe("m: min 0, q1 1, median 2, q3 3, max 4");
  });

  it("dual axis: both values at the nearest x", () => {
    const h = hit({ type: "dual_axis_lines", opts: { name_y1: "loss", name_y2: "lr" }, rows: 3 }, [0, 1, 2, 5, 6, 7, 0.1, 0.2, 0.3]);
    // plot x 50..346 (Y2's axis block on the right), x = 1 in its middle
    expect(h(50 + 296 / 2, 150)).toBe("x 1: loss 6, lr 0.2");
    expect(h(50 + 296 / 2, 295)).toBeNull(); // under the plot
  });

  it("sunburst: the sector under the pointer, with its total", () => {
    const h = hit({ type: "sunburst", opts: {}, rows: 3, labels: ["r", "a", "b"], parents: ["", "r", "r"], has_values: true }, [1, 2, 3]);
    expect(h(200, 150)).toBe("r: 6 (own 1)"); // the centre disc
    // the ring 72..144 px from the centre: a from 12 o'clock to 4 o'clock (2/6 of the turn), then b
    expect(h(200 + 100, 150 - 5)).toBe("a: 2");
    expect(h(200 - 100, 150)).toBe("b: 3");
    expect(h(200 - 50, 150 - 90)).toBeNull(); // 11 o'clock: the root's own value, a gap
  });

  it("graph: the node under the pointer and its edges", () => {
    const h = hit({ type: "graph", opts: {}, nodes: 2, edges: 1, node_labels: ["in", "out"], edge_labels: ["e"] }, [0, 1, 0, 1, 0, 1]);
    // the unit square in a 260 px square centred in 400 x 300: node 0 at (70, 280)
    expect(h(70, 280)).toBe("in: 1 edge");
    expect(h(200, 150)).toBeNull();
  });
});

describe("line colours", () => {
  it("takes Visdom's linecolor (K x 3, 0..255) where it names one, else the trace colour", () => {
    expect(lineColor([[214, 39, 40], [0, 0, 300]], 0)).toBe("rgb(214, 39, 40)");
    expect(lineColor([[214, 39, 40], [0, 0, 300]], 1)).toBe("rgb(0, 0, 255)");
    expect(lineColor([[214, 39, 40]], 1)).toBe(traceColor(1));
    expect(lineColor("red", 0)).toBe(traceColor(0));
    expect(lineColor([[NaN, 0, 0]], 0)).toBe(traceColor(0));
  });
});
