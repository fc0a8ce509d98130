// Tiny DOM helpers and the few icons the board uses.

type Attrs = Record<string, string | number | boolean | null | undefined>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Attrs = {}, ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = String(v);
    else if (k === "text") el.textContent = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An icon from a list of SVG path `d` strings on a 16x16 grid (stroke style from CSS). */
export function icon(paths: string[]): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("aria-hidden", "true");
  for (const d of paths) {
    const p = document.createElementNS(SVG_NS, "path");
    p.setAttribute("d", d);
    svg.appendChild(p);
  }
  return svg;
}

export const ICONS = {
  download: ["M8 2.5v8", "M4.5 7.5 8 11l3.5-3.5", "M2.5 13.5h11"],
  expand: ["M9.5 2.5h4v4", "M13.5 2.5 9 7", "M6.5 13.5h-4v-4", "M2.5 13.5 7 9"],
  collapse: ["M13 3 9.5 6.5", "M9.5 3v3.5H13", "M3 13l3.5-3.5", "M3 9.5h3.5V13"],
  reset: ["M2.5 8a5.5 5.5 0 1 0 1.7-4", "M2.5 2.5v3h3"],
  close: ["M4 4l8 8", "M12 4l-8 8"],
  // a push pin: head, body widening to its base, needle
  pin: ["M5.5 2.5h5", "M6.5 2.5v3.5L4.5 9h7l-2-3V2.5", "M8 9v4.5"],
};

export function iconButton(name: keyof typeof ICONS, title: string): HTMLButtonElement {
  const b = h("button", { class: "cb-icon", type: "button", title, "aria-label": title });
  b.append(icon(ICONS[name]));
  return b;
}

/** Case-insensitive regex filter; an invalid pattern matches as plain text. */
export function makeFilter(pattern: string): { test: (s: string) => boolean; valid: boolean } {
  const p = pattern.trim();
  if (!p) return { test: () => true, valid: true };
  try {
    const re = new RegExp(p, "i");
    return { test: (s) => re.test(s), valid: true };
  } catch {
    const low = p.toLowerCase();
    return { test: (s) => s.toLowerCase().includes(low), valid: false };
  }
}

/** Group of a tag for sections: the part before the first "/" ("" when there is none). */
export const tagGroup = (tag: string) => {
  const i = tag.indexOf("/");
  return i > 0 ? tag.slice(0, i) : "";
};

export function downloadText(filename: string, text: string, mime = "text/csv") {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const a = h("a", { href: url, download: filename });
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Size a canvas's backing store to `w` x `h` CSS pixels at the device pixel ratio (crisp on HiDPI),
 * only when it changed (resizing clears the canvas); with `css`, its CSS size too. Returns the ratio.
 */
export function fitCanvas(canvas: HTMLCanvasElement, w: number, h: number, css = true): number {
  const dpr = window.devicePixelRatio || 1;
  const bw = Math.round(w * dpr), bh = Math.round(h * dpr);
  if (canvas.width !== bw || canvas.height !== bh) {
    canvas.width = bw;
    canvas.height = bh;
    if (css) {
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
    }
  }
  return dpr;
}
