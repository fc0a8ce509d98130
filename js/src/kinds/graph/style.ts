// The GRAPH tab's CSS, injected once per document next to the board's (ui/theme.ts): colours come
// from the board's --cb-* variables, so light and dark themes follow JupyterLab's.

const CSS = /* css */ `
.cellboard .cb-panel-graph { display: flex; flex-direction: column; gap: 8px; height: 100%; min-height: 420px; }
.cellboard .cb-graph-bar { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; flex: none; }
.cellboard .cb-graph-bar select { max-width: 260px; }
.cellboard .cb-graph-search { flex: 1 1 180px; max-width: 320px; }
.cellboard .cb-graph-bar [hidden] { display: none; }
.cellboard .cb-graph-status { margin-left: auto; white-space: nowrap; }
.cellboard .cb-graph-modes { display: inline-flex; border: 1px solid var(--cb-border); border-radius: 4px; overflow: hidden; }
.cellboard .cb-graph-mode { border: 0; background: none; padding: 2px 10px; font-size: 12px; cursor: pointer; color: var(--cb-fg2); }
.cellboard .cb-graph-mode[aria-pressed="true"] { background: var(--cb-accent); color: #fff; }
.cellboard .cb-graph-fit { border: 1px solid var(--cb-border); border-radius: 4px; background: none; padding: 2px 10px; font-size: 12px; cursor: pointer; }
.cellboard .cb-graph-fit:hover, .cellboard .cb-graph-mode:not([aria-pressed="true"]):hover { color: var(--cb-fg); background: var(--cb-bg2); }
.cellboard .cb-graph-view { position: relative; flex: 1 1 auto; min-height: 380px; border: 1px solid var(--cb-border);
  border-radius: 6px; background: var(--cb-card); overflow: hidden; cursor: grab; touch-action: none; }
.cellboard .cb-graph-view[hidden] { display: none; }
.cellboard .cb-graph-view.cb-graph-dragging { cursor: grabbing; }
.cellboard .cb-graph-canvas { position: absolute; left: 0; top: 0; transform-origin: 0 0; }
.cellboard .cb-graph-canvas.cb-graph-moving { will-change: transform; }
.cellboard .cb-graph-svg { display: block; overflow: visible; user-select: none; -webkit-user-select: none; }
.cellboard .cb-graph-svg text { font-family: var(--cb-font); fill: var(--cb-fg); }
.cellboard .cb-graph-cluster > rect { fill: var(--cb-fg); fill-opacity: 0.035; stroke: var(--cb-fg3); stroke-opacity: 0.6; stroke-dasharray: 4 3; }
.cellboard .cb-graph-cluster-title { font-size: 11px; font-weight: 600; fill: var(--cb-fg2) !important; cursor: pointer; }
.cellboard .cb-graph-cluster-title:hover { fill: var(--cb-accent) !important; }
.cellboard .cb-graph-node { cursor: default; }
.cellboard .cb-graph-node > rect { fill: var(--cb-bg); stroke: var(--cb-fg3); stroke-width: 1; }
.cellboard .cb-graph-module { cursor: pointer; }
.cellboard .cb-graph-module > rect { fill: var(--cb-accent); fill-opacity: 0.12; stroke: var(--cb-accent); stroke-opacity: 0.75; stroke-width: 1.2; }
.cellboard .cb-graph-module:hover > rect { fill-opacity: 0.22; }
.cellboard .cb-graph-node.cb-graph-lit > rect { stroke: var(--cb-danger); stroke-width: 2.5; stroke-opacity: 1; }
.cellboard .cb-graph-cluster.cb-graph-lit > rect { stroke: var(--cb-danger); stroke-width: 2; stroke-dasharray: none; }
.cellboard .cb-graph-node.cb-graph-holds > rect { stroke: var(--cb-danger); stroke-dasharray: 3 2; stroke-width: 1.6; }
.cellboard .cb-graph-name { font-size: 11.5px; font-weight: 600; }
.cellboard .cb-graph-type { font-size: 10.5px; fill: var(--cb-fg2) !important; }
.cellboard .cb-graph-facts { font-size: 10px; fill: var(--cb-fg3) !important; font-variant-numeric: tabular-nums; }
.cellboard .cb-graph-edge { fill: none; stroke: var(--cb-fg3); stroke-width: 1.1; }
.cellboard .cb-graph-edge.cb-graph-multi { stroke-width: 2; }
.cellboard .cb-graph-arrowhead { fill: var(--cb-fg3); }
.cellboard .cb-graph-edge-label { font-size: 9.5px; fill: var(--cb-fg2) !important; paint-order: stroke; stroke: var(--cb-card); stroke-width: 3px; stroke-linejoin: round; }
.cellboard .cb-graph-table { overflow: auto; }
.cellboard .cb-graph-table[hidden] { display: none; }
.cellboard .cb-graph-rows, .cellboard .cb-graph-totals { border-collapse: collapse; font-size: 12px; }
.cellboard .cb-graph-rows th, .cellboard .cb-graph-rows td { padding: 3px 7px; border-bottom: 1px solid var(--cb-border); text-align: left; white-space: nowrap; }
.cellboard .cb-graph-rows th { font-weight: 600; color: var(--cb-fg2); position: sticky; top: 0; background: var(--cb-bg); }
.cellboard .cb-graph-rows .cb-num-col { text-align: right; font-variant-numeric: tabular-nums; }
.cellboard .cb-graph-rows .cb-mono { font-family: var(--cb-mono); font-size: 11.5px; }
.cellboard .cb-graph-container-row td { color: var(--cb-fg2); }
.cellboard .cb-graph-sort { border: 0; background: none; padding: 0; font: inherit; font-weight: 600; color: var(--cb-accent); cursor: pointer; text-decoration: underline dotted; }
.cellboard .cb-graph-totals { margin-top: 10px; }
.cellboard .cb-graph-totals th { text-align: left; font-weight: 500; color: var(--cb-fg2); padding: 1px 12px 1px 0; }
.cellboard .cb-graph-totals td { text-align: right; font-variant-numeric: tabular-nums; }
`;

const STYLE_ID = "cellboard-graph-style-v1";

export function injectGraphCss(doc: Document = document) {
  if (doc.getElementById(STYLE_ID)) return;
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  (doc.head ?? doc.documentElement).appendChild(style);
}
