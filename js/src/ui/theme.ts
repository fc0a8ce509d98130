// Colours and styles. Everything follows JupyterLab's --jp-* variables (light and dark themes),
// then VS Code's --vscode-* ones, then plain light defaults (Colab, nbviewer-like hosts).
// The CSS is injected once per document by the widget (no separate .css file to load).

export interface Theme {
  fg: string;
  fg2: string;
  fg3: string;
  bg: string;
  border: string;
  grid: string;
  font: string;
  dark: boolean;
  /** Changes whenever any of the above does: used to decide when charts must be rebuilt. */
  id: string;
}

// Run colours live in palette.ts (one palette, shared with the Python snapshot).
export { runColor } from "./palette";

type RGB = [number, number, number, number];

/** Parse the colours getComputedStyle returns (rgb()/rgba()) and #hex. */
export function parseColor(c: string): RGB | null {
  const s = c.trim();
  let m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/i.exec(s);
  if (m) {
    const a = m[4] === undefined ? 1 : m[4].endsWith("%") ? parseFloat(m[4]) / 100 : parseFloat(m[4]);
    return [+m[1], +m[2], +m[3], a];
  }
  m = /^#([0-9a-f]{3,8})$/i.exec(s);
  if (m) {
    let h = m[1];
    if (h.length === 3 || h.length === 4) h = [...h].map((x) => x + x).join("");
    const n = parseInt(h.slice(0, 6), 16);
    const a = h.length === 8 ? parseInt(h.slice(6), 16) / 255 : 1;
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255, a];
  }
  const hsl = /^hsla?\(\s*([\d.]+)[\s,]+([\d.]+)%[\s,]+([\d.]+)%/i.exec(s);
  if (hsl) {
    const h = +hsl[1] / 360, sat = +hsl[2] / 100, l = +hsl[3] / 100;
    const q = l < 0.5 ? l * (1 + sat) : l + sat - l * sat, p = 2 * l - q;
    const f = (t: number) => {
      t = (t + 1) % 1;
      const v = t < 1 / 6 ? p + (q - p) * 6 * t : t < 1 / 2 ? q : t < 2 / 3 ? p + (q - p) * (2 / 3 - t) * 6 : p;
      return Math.round(v * 255);
    };
    return [f(h + 1 / 3), f(h), f(h - 1 / 3), 1];
  }
  return null;
}

const luminance = ([r, g, b]: RGB) => (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;

/** Linear mix of two colours (t=0 -> a, t=1 -> b) as rgba(). */
export function mix(a: string, b: string, t: number, alpha?: number): string {
  const x = parseColor(a) ?? [128, 128, 128, 1];
  const y = parseColor(b) ?? [128, 128, 128, 1];
  const c = (i: number) => Math.round(x[i] + (y[i] - x[i]) * t);
  return `rgba(${c(0)},${c(1)},${c(2)},${alpha ?? x[3] + (y[3] - x[3]) * t})`;
}

export function withAlpha(c: string, alpha: number): string {
  const x = parseColor(c);
  return x ? `rgba(${x[0]},${x[1]},${x[2]},${alpha})` : c;
}

export function readTheme(root: HTMLElement): Theme {
  const cs = getComputedStyle(root);
  const v = (name: string, dflt: string) => cs.getPropertyValue(name).trim() || dflt;
  const fg = cs.color || "#212121";
  const bgParsed = parseColor(cs.backgroundColor);
  const bg = bgParsed && bgParsed[3] > 0 ? cs.backgroundColor : "#ffffff";
  const dark = luminance(parseColor(bg) ?? [255, 255, 255, 1]) < 0.45;
  const fg2 = v("--cb-fg2", dark ? "#bdbdbd" : "#616161");
  const theme = {
    fg, fg2,
    fg3: v("--cb-fg3", dark ? "#8a8a8a" : "#9e9e9e"),
    bg,
    border: v("--cb-border", dark ? "#444" : "#e0e0e0"),
    grid: withAlpha(fg, dark ? 0.1 : 0.07),
    font: cs.fontFamily || "sans-serif",
    dark,
  };
  return { ...theme, id: JSON.stringify(theme) };
}

export const CSS = /* css */ `
.cellboard {
  --cb-fg: var(--jp-ui-font-color1, var(--vscode-editor-foreground, #212121));
  --cb-fg2: var(--jp-ui-font-color2, var(--vscode-descriptionForeground, #616161));
  --cb-fg3: var(--jp-ui-font-color3, #9e9e9e);
  --cb-bg: var(--jp-layout-color1, var(--vscode-editor-background, #ffffff));
  --cb-bg2: var(--jp-layout-color2, rgba(127, 127, 127, 0.07));
  --cb-card: var(--jp-layout-color0, var(--cb-bg));
  --cb-border: var(--jp-border-color2, rgba(127, 127, 127, 0.3));
  --cb-accent: var(--jp-brand-color1, #f57c00);
  --cb-input: var(--jp-input-background, transparent);
  /* JupyterLab's dark theme gives inputs the sidebar's colour: without their own border they vanish */
  --cb-input-border: var(--jp-input-border-color, var(--cb-border));
  --cb-danger: var(--jp-error-color1, #d32f2f);
  --cb-warn-bg: var(--jp-warn-color3, rgba(245, 124, 0, 0.1));
  --cb-font: var(--jp-ui-font-family, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif);
  --cb-mono: var(--jp-code-font-family, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace);
  box-sizing: border-box;
  display: flex;
  flex-direction: column;
  width: 100%;
  min-height: 120px;
  color: var(--cb-fg);
  background: var(--cb-bg);
  font-family: var(--cb-font);
  font-size: 13px;
  line-height: 1.4;
  border: 1px solid var(--cb-border);
  border-radius: 6px;
  overflow: hidden;
  text-align: left;
  position: relative;
}
/* the height set (the height trait): a rule, not only an inline style, because ipywidgets'
   LayoutView removes the element's inline height when it attaches (the board then grew to its
   whole content); panels scroll inside the board */
.cellboard.cb-fixed-height { height: var(--cb-height); }
/* the resize handle: a small grip centred on the bottom edge (not the whole edge: content under
   the rest of it keeps its hover) */
.cellboard .cb-resize {
  position: absolute; left: 50%; bottom: 0; width: 64px; height: 9px; margin-left: -32px; z-index: 15;
  cursor: ns-resize; touch-action: none; outline: none; border-radius: 4px 4px 0 0;
}
.cellboard .cb-resize::after {
  content: ""; position: absolute; left: 14px; right: 14px; bottom: 2px; height: 3px;
  border-radius: 2px; background: var(--cb-fg3); opacity: 0.45; transition: opacity 0.12s;
}
.cellboard .cb-resize:hover::after, .cellboard .cb-resize:focus-visible::after, .cellboard.cb-resizing .cb-resize::after { opacity: 0.9; }
.cellboard.cb-resizing, .cellboard.cb-resizing * { user-select: none; cursor: ns-resize; }
.cellboard *, .cellboard *::before, .cellboard *::after { box-sizing: border-box; }
.cellboard button, .cellboard input, .cellboard select { font: inherit; color: inherit; }
.cellboard .cb-header { position: relative; } /* holds the loading bar */
/* no transition on the bar: updated ~10 times a second while a directory loads, a 0.2 s one kept
   the page making frames without end (each re-layerising all of JupyterLab: benchmarks/bench_jupyter.py) */
.cellboard .cb-progress { position: absolute; left: 0; bottom: 0; height: 2px; background: var(--cb-accent, #ff7043); }
.cellboard .cb-header {
  display: flex; align-items: stretch; gap: 2px; min-height: 36px; padding: 0 10px;
  border-bottom: 1px solid var(--cb-border); background: var(--cb-bg2); flex: none;
}
/* Squeezed by the tabs, a short title like "runs" became "run…": it keeps up to 8em (full name on hover). */
.cellboard .cb-title { align-self: center; font-weight: 600; margin-right: 14px; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; max-width: 40%; flex: 0 1 auto; min-width: min(8em, 20%); }
.cellboard .cb-tab {
  border: 0; background: none; padding: 0 10px; cursor: pointer; color: var(--cb-fg2);
  font-size: 11.5px; font-weight: 600; letter-spacing: 0.05em; text-transform: uppercase;
  border-bottom: 2px solid transparent; border-top: 2px solid transparent;
}
.cellboard .cb-tab:hover { color: var(--cb-fg); }
.cellboard .cb-tab[aria-selected="true"] { color: var(--cb-fg); border-bottom-color: var(--cb-accent); }
.cellboard .cb-tab .cb-count { font-weight: 400; color: var(--cb-fg3); margin-left: 4px; letter-spacing: 0; }
/* last in the header: the tabs wrap their labels first (their far larger shrink factor), and only
   when they cannot is the summary cut short (the whole text on hover) */
.cellboard .cb-tabs { flex: 0 100 auto; }
.cellboard .cb-summary { margin-left: auto; align-self: center; color: var(--cb-fg3); font-size: 11px; white-space: nowrap;
  flex: 0 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; }
.cellboard .cb-body { display: flex; flex: 1 1 auto; min-height: 0; }
.cellboard .cb-sidebar {
  flex: none; width: 240px; overflow: auto; padding: 10px 10px 12px; border-right: 1px solid var(--cb-border);
  background: var(--cb-bg2);
}
.cellboard .cb-main { flex: 1 1 auto; min-width: 0; overflow: auto; padding: 8px 12px 12px; }
.cellboard .cb-side-toggle { display: none; }
.cellboard.cb-narrow .cb-body { flex-direction: column; }
.cellboard.cb-narrow .cb-sidebar { width: auto; max-height: 50%; flex: none; padding: 0 10px; border-right: 0; border-bottom: 1px solid var(--cb-border); }
.cellboard.cb-narrow .cb-side-toggle {
  display: flex; align-items: center; gap: 4px; width: 100%; border: 0; background: none; cursor: pointer;
  padding: 7px 0; font-size: 12px; color: var(--cb-fg2); text-align: left;
}
.cellboard.cb-narrow:not(.cb-side-open) .cb-side-toggle .cb-caret { transform: rotate(-90deg); }
.cellboard.cb-narrow:not(.cb-side-open) .cb-side-content { display: none; }
.cellboard.cb-narrow .cb-side-content { padding-bottom: 10px; }
.cellboard.cb-narrow .cb-header { flex-wrap: wrap; }
.cellboard.cb-narrow .cb-title { flex: 1 0 100%; max-width: none; padding-top: 6px; }
.cellboard.cb-narrow .cb-summary { display: none; }
.cellboard.cb-auto-height .cb-main, .cellboard.cb-auto-height .cb-sidebar { overflow: visible; }
.cellboard .cb-side-section + .cb-side-section, .cellboard .cb-settings-host:not(:empty) + .cb-side-section {
  margin-top: 14px; padding-top: 12px; border-top: 1px solid var(--cb-border); }
.cellboard .cb-side-title {
  font-size: 10.5px; font-weight: 600; text-transform: uppercase; letter-spacing: 0.06em;
  color: var(--cb-fg2); margin: 0 0 6px;
}
.cellboard .cb-field { display: flex; align-items: center; gap: 6px; margin: 6px 0; font-size: 12px; }
.cellboard .cb-field > span.cb-label { flex: none; min-width: 0; color: var(--cb-fg2); }
.cellboard .cb-field input[type="range"] { flex: 1 1 auto; min-width: 0; accent-color: var(--cb-accent); margin: 0; }
.cellboard .cb-field input[type="checkbox"], .cellboard .cb-field input[type="radio"] { margin: 0; accent-color: var(--cb-accent); }
.cellboard .cb-input, .cellboard select.cb-input {
  background: var(--cb-input); border: 1px solid var(--cb-input-border); border-radius: 4px; padding: 3px 6px;
  font-size: 12px; min-width: 0; outline: none;
}
.cellboard .cb-input:focus { border-color: var(--cb-accent); }
.cellboard .cb-input.cb-invalid { border-color: var(--cb-danger); }
.cellboard .cb-num { width: 68px; flex: none; text-align: right; }
.cellboard .cb-grow { flex: 1 1 auto; width: 100%; }
.cellboard .cb-runs { list-style: none; margin: 6px 0 0; padding: 0; }
.cellboard .cb-run {
  display: flex; align-items: flex-start; gap: 6px; padding: 2px 2px; border-radius: 3px; cursor: pointer;
  font-size: 12px; line-height: 1.3; user-select: none;
}
.cellboard .cb-run:hover { background: var(--cb-bg2); }
/* the checkbox at a fixed size: the colour picker below is placed over the swatch after it */
.cellboard .cb-run input { margin: 1px 0 0; flex: none; width: 13px; height: 13px; }
.cellboard .cb-run .cb-swatch { width: 10px; height: 10px; border-radius: 50%; flex: none; margin-top: 2.5px; }
/* the run colour picker: an invisible colour input over the swatch, 3px larger on every side (easier
   to hit): the label's 2px padding + the checkbox's 13px + the 6px gap, less 3 */
.cellboard .cb-run-item { position: relative; }
.cellboard .cb-color-pick { position: absolute; left: 18px; top: 1.5px; width: 16px; height: 16px; margin: 0;
  padding: 0; border: 0; opacity: 0; cursor: pointer; }
/* reached with the keyboard (Tab), the picker shows itself: the swatch's focus ring */
.cellboard .cb-color-pick:focus-visible { opacity: 1; outline: 2px solid var(--cb-accent); outline-offset: 1px; }
.cellboard .cb-run .cb-run-name { min-width: 0; overflow-wrap: anywhere; }
.cellboard .cb-run.cb-off .cb-run-name { color: var(--cb-fg3); }
.cellboard .cb-muted { color: var(--cb-fg3); font-size: 11px; }
.cellboard .cb-linkbtn { border: 0; background: none; padding: 0; color: var(--cb-fg2); cursor: pointer; font-size: 11px; text-decoration: underline; }
.cellboard .cb-toolbar { display: flex; align-items: center; gap: 8px; margin: 0 0 6px; }
.cellboard .cb-toolbar .cb-input { flex: 1 1 auto; max-width: 420px; }
.cellboard .cb-empty { padding: 32px 12px; text-align: center; color: var(--cb-fg3); }
.cellboard .cb-notices {
  display: flex; align-items: flex-start; gap: 6px; padding: 3px 6px 3px 10px; font-size: 12px; flex: none;
  background: var(--cb-warn-bg); border-bottom: 1px solid var(--cb-border);
}
.cellboard .cb-notices[hidden] { display: none; }
.cellboard .cb-notices details { flex: 1 1 auto; min-width: 0; padding-top: 2px; }
.cellboard .cb-notices summary { cursor: pointer; }
.cellboard .cb-notices ul { margin: 4px 0 2px; padding-left: 18px; max-height: 120px; overflow: auto; }
.cellboard .cb-notices li { word-break: break-word; }
.cellboard .cb-notices code { font-family: var(--cb-mono); font-size: 11px; }
.cellboard .cb-section { margin-top: 6px; }
.cellboard .cb-section-head {
  display: flex; align-items: center; gap: 6px; width: 100%; border: 0; background: none; cursor: pointer;
  padding: 6px 2px; font-size: 13px; font-weight: 600; color: var(--cb-fg); text-align: left;
  border-bottom: 1px solid var(--cb-border);
}
.cellboard .cb-caret { display: inline-block; width: 10px; color: var(--cb-fg3); transition: transform 0.12s; font-size: 10px; }
.cellboard .cb-section.cb-closed .cb-caret { transform: rotate(-90deg); }
.cellboard .cb-section.cb-closed .cb-grid { display: none; }
.cellboard .cb-grid {
  display: grid; gap: 10px; padding: 10px 0 4px;
  grid-template-columns: repeat(auto-fill, minmax(var(--cb-card-min, 330px), 1fr));
}
.cellboard .cb-grid.cb-grid-small { --cb-card-min: 220px; }
.cellboard .cb-card {
  position: relative; border: 1px solid var(--cb-border); border-radius: 5px; background: var(--cb-card);
  padding: 6px 8px 6px; min-width: 0;
}
.cellboard .cb-card.cb-wide { grid-column: 1 / -1; }
/* a scalar card out of view skips style, layout and paint (a board of 20 charts x 100 runs) */
.cellboard .cb-scalar-card { content-visibility: auto; contain-intrinsic-size: auto 320px; }
/* a chart scrolled to (just pinned) shows its section's head above it */
.cellboard .cb-scalar-card { scroll-margin-top: 40px; }
/* card heads: tag and run in full, wrapped (runs often differ only at the end of long names) */
.cellboard .cb-card-head { display: flex; align-items: flex-start; gap: 6px; min-height: 22px; margin-bottom: 2px; }
.cellboard .cb-card-names { display: flex; flex-wrap: wrap; align-items: baseline; column-gap: 8px; row-gap: 1px;
  min-width: 0; flex: 0 1 auto; padding-top: 2px; }
.cellboard .cb-card-title { font-size: 12.5px; font-weight: 500; line-height: 1.3; min-width: 0; overflow-wrap: anywhere; }
.cellboard .cb-card-head > .cb-card-title { padding-top: 2px; }
.cellboard .cb-card-run { display: inline-flex; align-items: baseline; gap: 4px; font-size: 11.5px; line-height: 1.3;
  color: var(--cb-fg2); min-width: 0; overflow-wrap: anywhere; }
.cellboard .cb-card-run .cb-swatch { display: inline-block; flex: none; width: 8px; height: 8px; border-radius: 50%; }
.cellboard .cb-card-note { font-size: 10.5px; color: var(--cb-fg3); white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  padding-top: 4px; min-width: 0; }
.cellboard .cb-actions { margin-left: auto; display: flex; gap: 2px; flex: none; }
.cellboard .cb-icon {
  width: 22px; height: 22px; border: 0; background: none; border-radius: 3px; cursor: pointer; padding: 3px;
  color: var(--cb-fg3); display: inline-flex; align-items: center; justify-content: center;
}
.cellboard .cb-icon:hover { color: var(--cb-fg); background: var(--cb-bg2); }
.cellboard .cb-icon[hidden] { display: none; }
/* a pinned card's pin: filled, in the accent colour (TensorBoard's pinned cards) */
.cellboard .cb-icon.cb-pin[aria-pressed="true"] { color: var(--cb-accent); }
.cellboard .cb-icon.cb-pin[aria-pressed="true"] svg { fill: currentColor; }
.cellboard .cb-icon svg { width: 15px; height: 15px; fill: none; stroke: currentColor; stroke-width: 1.6;
  stroke-linecap: round; stroke-linejoin: round; }
/* a tag's description: an info button at the end of the title, the description under the head */
.cellboard .cb-icon.cb-desc-btn { width: 17px; height: 17px; padding: 1px; margin-left: 3px; vertical-align: -3px; }
.cellboard .cb-icon.cb-desc-btn[aria-expanded="true"] { color: var(--cb-fg); background: var(--cb-bg2); }
.cellboard .cb-card-desc { font-size: 12px; color: var(--cb-fg2); background: var(--cb-bg2); border-radius: 3px;
  padding: 4px 8px; margin: 0 0 4px; max-height: 12em; overflow: auto; }
.cellboard .cb-card-desc[hidden] { display: none; }
.cellboard .cb-plot { position: relative; width: 100%; height: 230px; }
.cellboard .cb-card.cb-wide .cb-plot { height: 380px; }
.cellboard .cb-legend { display: flex; flex-wrap: wrap; gap: 1px 10px; margin: 3px 2px 0; font-size: 11px; line-height: 1.3;
  color: var(--cb-fg2); max-height: 5.4em; overflow: auto; }
.cellboard .cb-legend[hidden] { display: none; }
.cellboard .cb-legend-item { display: inline-flex; align-items: baseline; gap: 4px; min-width: 0; overflow-wrap: anywhere; cursor: default;
  border-radius: 3px; padding: 0 2px; transition: opacity 0.1s; }
.cellboard .cb-legend-item .cb-swatch { flex: none; width: 10px; height: 3px; border-radius: 1px; align-self: center; }
.cellboard .cb-legend-item.cb-hl { color: var(--cb-fg); background: var(--cb-bg2); }
.cellboard .cb-legend-item.cb-dim { opacity: 0.45; }
.cellboard .cb-tooltip {
  position: absolute; z-index: 20; pointer-events: none; display: none; padding: 5px 7px; font-size: 11px;
  background: var(--cb-card); color: var(--cb-fg); border: 1px solid var(--cb-border); border-radius: 4px;
  box-shadow: 0 2px 10px rgba(0, 0, 0, 0.18); white-space: nowrap;
}
.cellboard .cb-tooltip table { border-collapse: collapse; }
.cellboard .cb-tooltip th { font-weight: 500; color: var(--cb-fg3); text-align: right; padding: 0 5px; }
.cellboard .cb-tooltip td { padding: 1px 5px; text-align: right; font-variant-numeric: tabular-nums; }
.cellboard .cb-tooltip td.cb-tip-run { text-align: left; max-width: 250px; white-space: normal; }
.cellboard .cb-tooltip .cb-tip-name { display: flex; align-items: baseline; gap: 5px; }
.cellboard .cb-tooltip .cb-tip-name > span:last-child { min-width: 0; overflow-wrap: anywhere; }
.cellboard .cb-tooltip .cb-tip-name .cb-swatch { flex: none; margin: 0; }
.cellboard .cb-tooltip tr.cb-hl td { font-weight: 600; color: var(--cb-fg); }
.cellboard .cb-tooltip .cb-swatch { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 5px; }
.cellboard .cb-dot {
  position: absolute; width: 8px; height: 8px; margin: -4px 0 0 -4px; border-radius: 50%;
  border: 1.5px solid var(--cb-card); pointer-events: none; display: none;
}
/* images: scaled to the card (crisp pixels when scaled up) or at actual size; filters per view */
.cellboard .cb-img-box { display: flex; align-items: center; justify-content: center; border-radius: 3px;
  overflow: hidden; cursor: zoom-in; outline: none; }
.cellboard .cb-img-box:focus-visible { box-shadow: 0 0 0 2px var(--cb-accent); }
.cellboard .cb-img-box img { display: block; width: 100%; height: auto; max-height: 420px; object-fit: contain;
  filter: var(--cb-img-filter, none); }
.cellboard .cb-card.cb-wide .cb-img-box img { max-height: 72vh; }
.cellboard .cb-img-box.cb-actual { overflow: auto; max-height: 560px; }
.cellboard .cb-img-box.cb-actual img { width: auto; max-width: none; max-height: none; flex: none; }
.cellboard .cb-img-box.cb-actual { justify-content: safe center; }
.cellboard img.cb-pixelated { image-rendering: pixelated; }
.cellboard .cb-img-info { font-size: 10.5px; color: var(--cb-fg3); font-variant-numeric: tabular-nums; margin-top: 1px; }
.cellboard .cb-range-out { min-width: 34px; text-align: right; flex: none; }
.cellboard .cb-lightbox {
  position: absolute; inset: 0; z-index: 40; display: flex; flex-direction: column; align-items: stretch;
  background: rgba(0, 0, 0, 0.82); color: #f0f0f0; cursor: zoom-out; padding: 14px 14px 10px; outline: none;
}
.cellboard .cb-lightbox-stage { flex: 1 1 auto; min-height: 0; display: flex; align-items: center; justify-content: center; }
.cellboard .cb-lightbox-img { display: block; flex: none; box-shadow: 0 2px 18px rgba(0, 0, 0, 0.5); }
.cellboard .cb-lightbox-caption { flex: none; display: flex; flex-wrap: wrap; gap: 2px 12px; justify-content: center;
  padding-top: 8px; font-size: 12px; text-align: center; overflow-wrap: anywhere; }
.cellboard .cb-lightbox-caption .cb-muted { color: #bdbdbd; font-size: 12px; }
.cellboard .cb-lightbox-tag { font-weight: 600; }
.cellboard .cb-lightbox-close { position: absolute; top: 8px; right: 8px; color: #e0e0e0; }
.cellboard .cb-lightbox-close:hover { color: #fff; background: rgba(255, 255, 255, 0.15); }
.cellboard .cb-slider-row { display: flex; align-items: center; gap: 8px; margin-top: 6px; font-size: 11.5px; }
.cellboard .cb-slider-row input { flex: 1 1 auto; min-width: 0; margin: 0; accent-color: var(--cb-accent); }
.cellboard .cb-step { font-variant-numeric: tabular-nums; color: var(--cb-fg2); white-space: nowrap; }
.cellboard .cb-hist { position: relative; width: 100%; height: 250px; }
.cellboard .cb-hist canvas, .cellboard .cb-plot canvas { display: block; }
.cellboard .cb-text-list { max-height: 420px; overflow: auto; }
.cellboard .cb-text-entry + .cb-text-entry { border-top: 1px dashed var(--cb-border); margin-top: 6px; padding-top: 6px; }
.cellboard .cb-text-step { font-size: 11px; color: var(--cb-fg3); margin-bottom: 2px; }
.cellboard .cb-md { font-size: 13px; overflow-wrap: anywhere; }
.cellboard .cb-md > :first-child { margin-top: 0; }
.cellboard .cb-md > :last-child { margin-bottom: 0; }
.cellboard .cb-md p, .cellboard .cb-md ul, .cellboard .cb-md ol, .cellboard .cb-md pre,
.cellboard .cb-md table, .cellboard .cb-md blockquote { margin: 0.45em 0; }
.cellboard .cb-md h1, .cellboard .cb-md h2, .cellboard .cb-md h3, .cellboard .cb-md h4 { margin: 0.6em 0 0.3em; line-height: 1.25; }
.cellboard .cb-md h1 { font-size: 1.35em; } .cellboard .cb-md h2 { font-size: 1.2em; } .cellboard .cb-md h3 { font-size: 1.08em; }
.cellboard .cb-md h4, .cellboard .cb-md h5, .cellboard .cb-md h6 { font-size: 1em; }
.cellboard .cb-md ul, .cellboard .cb-md ol { padding-left: 1.5em; }
.cellboard .cb-md code { font-family: var(--cb-mono); font-size: 0.92em; background: var(--cb-bg2); padding: 0.05em 0.3em; border-radius: 3px; }
.cellboard .cb-md pre { background: var(--cb-bg2); padding: 6px 8px; border-radius: 4px; overflow: auto; }
.cellboard .cb-md pre code { background: none; padding: 0; }
.cellboard .cb-md blockquote { border-left: 3px solid var(--cb-border); padding-left: 8px; color: var(--cb-fg2); }
.cellboard .cb-md table { border-collapse: collapse; font-size: 12px; }
.cellboard .cb-md th, .cellboard .cb-md td { border: 1px solid var(--cb-border); padding: 3px 8px; }
.cellboard .cb-md th { background: var(--cb-bg2); font-weight: 600; }
.cellboard .cb-md .cb-text-table td > :first-child { margin-top: 0; } .cellboard .cb-md .cb-text-table td > :last-child { margin-bottom: 0; }
.cellboard .cb-md img { max-width: 100%; }
.cellboard .cb-md a { color: var(--jp-content-link-color, #1a73e8); }
.cellboard .cb-md hr { border: 0; border-top: 1px solid var(--cb-border); }
.cellboard .cb-md .cb-md-img-blocked { display: inline-block; padding: 1px 6px; border: 1px dashed var(--cb-border);
  border-radius: 3px; color: var(--cb-fg2); font-size: 0.92em; overflow-wrap: anywhere; }
.cellboard .cb-md .cb-md-note { color: var(--cb-fg3); font-size: 11px; }
.cellboard .cb-md pre.cb-md-plain { white-space: pre-wrap; max-height: 360px; }
/* VS Code (its webviews mark <body> with the theme kind): its own colours first, whatever --jp-*
   variables the Jupyter extension defines */
body[data-vscode-theme-kind] .cellboard {
  --cb-fg: var(--vscode-editor-foreground, #212121);
  --cb-fg2: var(--vscode-descriptionForeground, var(--vscode-editor-foreground, #616161));
  --cb-fg3: var(--vscode-disabledForeground, #9e9e9e);
  --cb-bg: var(--vscode-notebook-outputContainerBackgroundColor, var(--vscode-editor-background, #ffffff));
  --cb-card: var(--vscode-editor-background, var(--cb-bg));
  --cb-border: var(--vscode-notebook-cellBorderColor, var(--vscode-panel-border, rgba(127, 127, 127, 0.3)));
  --cb-accent: var(--vscode-focusBorder, #f57c00);
  --cb-input: var(--vscode-input-background, transparent);
  --cb-input-border: var(--vscode-input-border, var(--cb-border));
  --cb-danger: var(--vscode-errorForeground, #d32f2f);
  --cb-font: var(--vscode-font-family, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif);
  --cb-mono: var(--vscode-editor-font-family, ui-monospace, SFMono-Regular, Menlo, Consolas, monospace);
}
body[data-vscode-theme-kind] .cellboard .cb-md a { color: var(--vscode-textLink-foreground, #1a73e8); }
.cellboard .cb-more { margin-top: 6px; }
/* uPlot, scoped */
.cellboard .uplot, .cellboard .uplot *, .cellboard .uplot *::before, .cellboard .uplot *::after { box-sizing: border-box; }
.cellboard .uplot { font-family: inherit; line-height: 1.5; width: min-content; }
.cellboard .u-wrap { position: relative; user-select: none; }
.cellboard .u-over, .cellboard .u-under { position: absolute; }
.cellboard .u-under { overflow: hidden; }
.cellboard .uplot canvas { display: block; position: relative; width: 100%; height: 100%; }
.cellboard .u-axis { position: absolute; }
.cellboard .u-select { background: rgba(127, 127, 127, 0.16); position: absolute; pointer-events: none; }
.cellboard .u-cursor-x, .cellboard .u-cursor-y { position: absolute; left: 0; top: 0; pointer-events: none; will-change: transform; }
.cellboard .u-hz .u-cursor-x { height: 100%; border-right: 1px dashed var(--cb-fg3); }
.cellboard .u-hz .u-cursor-y { width: 100%; border-bottom: 0; }
.cellboard .u-cursor-pt { display: none; }
.cellboard .u-axis.u-off, .cellboard .u-select.u-off, .cellboard .u-cursor-x.u-off, .cellboard .u-cursor-y.u-off { display: none; }
.cellboard .u-legend { display: none; }
`;

// bumped whenever the CSS changes: another cellboard version on the page keeps its own
const STYLE_ID = "cellboard-style-v4";

export function injectCss(doc: Document = document) {
  if (doc.getElementById(STYLE_ID)) return;
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  (doc.head ?? doc.documentElement).appendChild(style);
}
