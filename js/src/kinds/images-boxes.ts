// Boxes of `add_image_with_boxes`, drawn by the board over the clean image (live records send the
// image without boxes plus their coordinates, so a card can hide them). Drawn as torch draws them
// into the pixels: red 2 px outlines, each label in black on a red band at the box's bottom-left,
// in the image's own pixels (an SVG overlay whose viewBox is the image's logged size, scaled
// with it as `object-fit: contain` scales the image). Geometry tested in test/images.test.ts.
import { measureContext } from "../ui/measure";

const SVG_NS = "http://www.w3.org/2000/svg";
/** Pillow's default font (torch's labels) is 10 px; in image pixels. */
export const LABEL_FONT_PX = 10;
const BOX_COLOR = "#ff0000";

/** A label's extent at the label font: width, and glyph height above and below the baseline. */
export interface TextExtent {
  width: number;
  ascent: number;
  descent: number;
}

export type Box = readonly [number, number, number, number];

export interface BoxShape {
  x: number;
  y: number;
  w: number;
  h: number;
  /** The label band (bottom-left, inside the box) and text baseline, when the box has a label. */
  label: { text: string; x: number; y: number; w: number; h: number; textX: number; textY: number } | null;
}

/** Boxes from a wire field: `[[xmin, ymin, xmax, ymax], ...]` of finite numbers, else null. */
export function readBoxes(v: unknown): Box[] | null {
  if (!Array.isArray(v)) return null;
  const out: Box[] = [];
  for (const b of v) {
    if (!Array.isArray(b) || b.length !== 4 || !b.every((x) => typeof x === "number" && Number.isFinite(x))) return null;
    out.push([b[0], b[1], b[2], b[3]]);
  }
  return out;
}

/** Labels from a wire field: one string per box, else null (torch draws none then). */
export function readLabels(v: unknown, boxes: number): string[] | null {
  if (!Array.isArray(v) || v.length !== boxes || !v.every((s) => typeof s === "string")) return null;
  return v as string[];
}

/**
 * What to draw for each box, in image pixels: the outline (corners ordered, as Pillow's line
 * through the four corners) and the label band at torch's place: from (xmin, ymax - th - 2m) to
 * (xmin + tw, ymax), th and tw the glyphs' height and width, m = ceil(0.05 th); the text's
 * baseline where Pillow puts it (its glyph bottom 1 px below the band, less any descender).
 */
export function boxShapes(boxes: readonly Box[], labels: readonly string[] | null,
  measure: (s: string) => TextExtent): BoxShape[] {
  return boxes.map(([x0, y0, x1, y1], i) => {
    const text = labels?.[i] ?? "";
    const shape: BoxShape = { x: Math.min(x0, x1), y: Math.min(y0, y1), w: Math.abs(x1 - x0), h: Math.abs(y1 - y0), label: null };
    if (text) {
      const t = measure(text);
      const th = t.ascent + t.descent, m = Math.ceil(0.05 * th);
      shape.label = { text, x: x0, y: y1 - th - 2 * m, w: t.width, h: th + 2 * m, textX: x0 + m, textY: y1 + 1 - t.descent };
    }
    return shape;
  });
}

/** A label's extent at the label font (a canvas measures it; an estimate where none is available). */
export function measureLabel(s: string): TextExtent {
  const measureCtx = measureContext();
  if (measureCtx) {
    measureCtx.font = `${LABEL_FONT_PX}px sans-serif`;
    const m = measureCtx.measureText(s);
    if (m.width > 0 && Number.isFinite(m.actualBoundingBoxAscent)) {
      return { width: m.width, ascent: m.actualBoundingBoxAscent, descent: Math.max(0, m.actualBoundingBoxDescent) };
    }
  }
  return { width: 0.55 * LABEL_FONT_PX * s.length, ascent: 0.75 * LABEL_FONT_PX, descent: /[gjpqy]/.test(s) ? 0.2 * LABEL_FONT_PX : 0 };
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** An SVG overlay (to lay over an <img> of the same box) drawing the boxes of a width x height image. */
export function boxesOverlay(width: number, height: number, boxes: readonly Box[], labels: readonly string[] | null): SVGSVGElement {
  const root = svg("svg", { class: "cb-boxes", viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "xMidYMid meet", "aria-hidden": "true" });
  root.style.cssText = "position:absolute;inset:0;width:100%;height:100%;pointer-events:none;overflow:hidden";
  for (const s of boxShapes(boxes, labels, measureLabel)) {
    root.append(svg("rect", { x: s.x, y: s.y, width: s.w, height: s.h, fill: "none", stroke: BOX_COLOR, "stroke-width": 2 }));
    if (s.label) {
      root.append(svg("rect", { x: s.label.x, y: s.label.y, width: s.label.w, height: s.label.h, fill: BOX_COLOR }));
      const t = svg("text", { x: s.label.textX, y: s.label.textY, fill: "#000", "font-size": LABEL_FONT_PX, "font-family": "sans-serif" });
      t.textContent = s.label.text;
      root.append(t);
    }
  }
  return root;
}
