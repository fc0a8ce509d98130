// SVG element helper and the tooltip placement shared by the HPARAMS plots.

const SVG_NS = "http://www.w3.org/2000/svg";

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K, attrs: Record<string, string | number | null | undefined> = {}, text?: string,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Truncate a label to about `px` pixels of text at `charPx` per character. */
export function fitLabel(label: string, px: number, charPx = 6.4): string {
  const n = Math.max(3, Math.floor(px / charPx));
  return label.length <= n ? label : `${label.slice(0, n - 1)}…`;
}

/** Place a tooltip next to (x, y) (coordinates in `box`), inside it. */
export function placeTip(tip: HTMLElement, box: HTMLElement, x: number, y: number) {
  tip.style.display = "block";
  const bw = box.clientWidth, tw = tip.offsetWidth, th = tip.offsetHeight;
  const left = x + 16 + tw > bw - 4 ? Math.max(4, x - tw - 16) : x + 16;
  tip.style.left = `${left}px`;
  tip.style.top = `${Math.max(4, Math.min(y - th / 2, box.clientHeight - th - 4))}px`;
}
