// Text measured before anything is drawn (axis spacing, margins, label boxes), on one offscreen
// canvas. jsdom (the unit tests) has no canvas: there, and in any page without one, callers get
// null and estimate.

let ctx: CanvasRenderingContext2D | null | undefined;

/** The shared measuring context, or null where there is no canvas to measure with. */
export function measureContext(): CanvasRenderingContext2D | null {
  if (ctx === undefined) {
    try {
      ctx = typeof HTMLCanvasElement !== "undefined" && !/jsdom/i.test(navigator.userAgent)
        ? document.createElement("canvas").getContext("2d") : null;
    } catch {
      ctx = null;
    }
  }
  return ctx;
}

/** Width in css px of `text` in a canvas `font` ("11px sans-serif"); an estimate without a canvas. */
export function textWidth(text: string, font: string): number {
  const c = measureContext();
  if (!c) return text.length * 0.6 * (Number.parseFloat(font) || 11);
  c.font = font;
  return c.measureText(text).width;
}
