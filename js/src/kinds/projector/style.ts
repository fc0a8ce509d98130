// The Projector tab's styles, injected once per document (the board's shared CSS is ui/theme.ts).

const CSS = /* css */ `
.cellboard .cb-projector { display: flex; flex-direction: column; gap: 6px; padding: 8px; min-height: 0; }
.cellboard .cb-pj-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 12px; font-size: 12px; }
.cellboard .cb-pj-bar label { display: inline-flex; align-items: center; gap: 4px; color: var(--cb-fg2); }
.cellboard .cb-pj-bar select.cb-input { max-width: 260px; }
.cellboard .cb-pj-search { width: 160px; }
.cellboard .cb-pj-status { font-size: 11px; color: var(--cb-fg3); min-height: 14px; }
.cellboard .cb-pj-body { display: flex; gap: 8px; min-height: 0; }
.cellboard .cb-pj-stage { position: relative; flex: 1 1 auto; min-width: 0; height: 440px;
  border: 1px solid var(--cb-border); border-radius: 5px; overflow: hidden; cursor: crosshair; }
.cellboard .cb-pj-side { flex: 0 0 220px; display: flex; flex-direction: column; gap: 4px; font-size: 12px; min-width: 0; }
.cellboard .cb-pj-side ol { margin: 0; padding: 0 0 0 22px; overflow: auto; max-height: 360px; }
.cellboard .cb-pj-side li { cursor: pointer; padding: 1px 0; }
.cellboard .cb-pj-side li:hover { text-decoration: underline; }
.cellboard .cb-pj-dist { color: var(--cb-fg3); font-variant-numeric: tabular-nums; margin-left: 4px; }
.cellboard .cb-pj-tip { position: absolute; pointer-events: none; z-index: 2; display: none; max-width: 240px;
  background: var(--cb-card); color: var(--cb-fg); border: 1px solid var(--cb-border); border-radius: 4px;
  padding: 4px 6px; font-size: 11.5px; box-shadow: 0 2px 6px rgba(0,0,0,.2); }
.cellboard .cb-pj-tip canvas { display: block; margin-bottom: 3px; image-rendering: pixelated; }
.cellboard .cb-pj-tip .cb-pj-k { color: var(--cb-fg3); }
.cellboard .cb-pj-legend { display: flex; flex-wrap: wrap; gap: 2px 10px; font-size: 11px; color: var(--cb-fg2); }
.cellboard .cb-pj-legend i { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 3px; vertical-align: -1px; }
.cellboard .cb-pj-ramp { display: inline-block; width: 90px; height: 9px; border-radius: 2px; vertical-align: -1px; margin: 0 4px; }
.cellboard.cb-narrow .cb-pj-body { flex-direction: column; }
.cellboard.cb-narrow .cb-pj-side { flex: none; }
`;

let injected: Document | null = null;

export function injectProjectorCss(doc: Document = document): void {
  if (injected === doc || doc.getElementById("cb-projector-css")) return;
  const style = doc.createElement("style");
  style.id = "cb-projector-css";
  style.textContent = CSS;
  doc.head.append(style);
  injected = doc;
}
