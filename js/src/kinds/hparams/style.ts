// The HPARAMS tab's CSS, injected once per document next to the board's (ui/theme.ts): colours
// come from the board's --cb-* variables, so light and dark themes follow JupyterLab's.

const CSS = /* css */ `
.cellboard .cb-panel-hparams { display: flex; flex-direction: column; gap: 10px; padding-top: 2px; }
.cellboard .cb-hp-bar { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.cellboard .cb-hp-bar .cb-input { flex: 1 1 220px; max-width: 360px; }
.cellboard .cb-hp-card { padding: 6px 10px 8px; }
.cellboard .cb-hp-card .cb-card-head { flex-wrap: wrap; gap: 6px 10px; }
.cellboard .cb-hp-head-right { margin-left: auto; display: flex; align-items: center; gap: 8px; font-size: 11.5px; color: var(--cb-fg2); }
.cellboard .cb-hp-head-right select { max-width: 200px; }
.cellboard .cb-hp-legend { display: inline-flex; align-items: center; gap: 5px; font-size: 10.5px; color: var(--cb-fg2); font-variant-numeric: tabular-nums; }
.cellboard .cb-hp-legend .cb-hp-ramp { width: 90px; height: 8px; border-radius: 2px; }
.cellboard .cb-hp-legend[hidden] { display: none; }
.cellboard .cb-hp-plot { position: relative; width: 100%; }
.cellboard .cb-hp-plot svg { display: block; overflow: visible; user-select: none; -webkit-user-select: none; }
.cellboard .cb-hp-plot text { font-family: var(--cb-font); fill: var(--cb-fg2); }
.cellboard .cb-hp-tick { font-size: 10.5px; paint-order: stroke; stroke: var(--cb-card); stroke-width: 3px; stroke-linejoin: round; }
.cellboard .cb-hp-axis-line { stroke: var(--cb-fg3); stroke-width: 1; }
.cellboard .cb-hp-axis-label { font-size: 11.5px; font-weight: 600; fill: var(--cb-fg) !important; }
.cellboard .cb-hp-axis-metric .cb-hp-axis-label { fill: var(--cb-accent) !important; }
.cellboard .cb-hp-scale-toggle { font-size: 10px; cursor: pointer; text-decoration: underline; text-decoration-style: dotted; }
.cellboard .cb-hp-scale-toggle:hover { fill: var(--cb-fg) !important; }
.cellboard .cb-hp-hit { fill: transparent; cursor: crosshair; }
.cellboard .cb-hp-brush { fill: var(--cb-accent); fill-opacity: 0.16; stroke: var(--cb-accent); stroke-width: 1; pointer-events: none; }
.cellboard .cb-hp-line { fill: none; stroke-width: 1.6; stroke-opacity: 0.9; stroke-linejoin: round; pointer-events: none; }
.cellboard .cb-hp-line.cb-hp-dim { stroke: var(--cb-fg3) !important; stroke-opacity: 0.22; stroke-width: 1; }
.cellboard .cb-hp-line.cb-hp-hover { stroke-width: 3.5; stroke-opacity: 1; }
.cellboard .cb-hp-grid { stroke: var(--cb-fg); stroke-opacity: 0.07; }
.cellboard .cb-hp-frame { stroke: var(--cb-fg3); fill: none; }
.cellboard .cb-hp-pt { stroke: var(--cb-card); stroke-width: 1.2; }
.cellboard .cb-hp-pt.cb-hp-dim { fill-opacity: 0.18; stroke-opacity: 0.3; }
.cellboard .cb-hp-pt.cb-hp-hover { stroke: var(--cb-fg); stroke-width: 2; }
.cellboard .cb-hp-empty { padding: 18px 8px; text-align: center; color: var(--cb-fg3); font-size: 12px; }
.cellboard .cb-hp-table-wrap { overflow: auto; max-height: 420px; margin-top: 4px; border-top: 1px solid var(--cb-border); }
.cellboard .cb-hp-table { border-collapse: separate; border-spacing: 0; font-size: 12px; width: max-content; min-width: 100%; }
.cellboard .cb-hp-table th, .cellboard .cb-hp-table td { padding: 3px 10px; white-space: nowrap; border-bottom: 1px solid var(--cb-border); }
.cellboard .cb-hp-table thead th { position: sticky; background: var(--cb-card); z-index: 1; text-align: left; font-weight: 600; }
.cellboard .cb-hp-table thead tr:first-child th { top: 0; }
.cellboard .cb-hp-table thead tr.cb-hp-filters th { top: 25px; padding: 2px 6px 4px; font-weight: 400; }
.cellboard .cb-hp-table th.cb-hp-num, .cellboard .cb-hp-table td.cb-hp-num { text-align: right; }
.cellboard .cb-hp-table td.cb-hp-num { font-variant-numeric: tabular-nums; }
.cellboard .cb-hp-table .cb-hp-first-metric { border-left: 1px solid var(--cb-border); }
.cellboard .cb-hp-table th.cb-hp-metric .cb-hp-sort { color: var(--cb-accent); }
.cellboard .cb-hp-sort { border: 0; background: none; padding: 0; cursor: pointer; font: inherit; font-weight: 600; color: var(--cb-fg);
  max-width: 220px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; display: inline-block; vertical-align: bottom; }
.cellboard .cb-hp-sort:hover { text-decoration: underline; }
.cellboard .cb-hp-arrow { display: inline-block; width: 10px; font-size: 9px; color: var(--cb-fg2); margin-left: 2px; }
.cellboard .cb-hp-colfilter { width: 100%; min-width: 48px; font-size: 11px !important; padding: 1px 4px !important; }
.cellboard .cb-hp-table td { background: var(--cb-card); }
.cellboard .cb-hp-table .cb-hp-runcol { position: sticky; left: 0; z-index: 1; border-right: 1px solid var(--cb-border); }
.cellboard .cb-hp-table thead .cb-hp-runcol { z-index: 2; }
.cellboard .cb-hp-table tbody tr:hover td, .cellboard .cb-hp-table tbody tr.cb-hp-hover td { box-shadow: inset 0 0 0 9999px var(--cb-bg2); }
.cellboard .cb-hp-table tbody tr.cb-hp-hover td:first-child { box-shadow: inset 3px 0 0 var(--cb-accent), inset 0 0 0 9999px var(--cb-bg2); }
.cellboard .cb-hp-run { display: inline-flex; align-items: center; gap: 6px; max-width: 260px; overflow: hidden; text-overflow: ellipsis; }
.cellboard .cb-hp-run .cb-swatch { width: 9px; height: 9px; border-radius: 50%; flex: none; }
.cellboard .cb-hp-expand { border: 0; background: none; cursor: pointer; padding: 0; width: 14px; margin-right: 2px;
  font-size: 10px; color: var(--cb-fg2); vertical-align: middle; }
.cellboard .cb-hp-expand:hover { color: var(--cb-fg); }
.cellboard .cb-hp-table tr.cb-hp-detail > td { padding: 6px 8px 10px; white-space: normal; text-align: left; }
.cellboard .cb-hp-table tbody tr.cb-hp-detail:hover td { box-shadow: none; }
.cellboard .cb-hp-metrics { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 8px; }
.cellboard .cb-hp-missing { color: var(--cb-fg3); }
.cellboard .cb-hp-more { margin: 6px 0 0; }
.cellboard .cb-hp-cols { list-style: none; margin: 4px 0 0; padding: 0; font-size: 12px; }
.cellboard .cb-hp-cols li { display: flex; align-items: center; gap: 6px; padding: 1px 2px; }
.cellboard .cb-hp-cols li label { display: flex; align-items: center; gap: 6px; min-width: 0; flex: 1 1 auto; cursor: pointer; }
.cellboard .cb-hp-cols li label span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.cellboard .cb-hp-cols li input { margin: 0; accent-color: var(--cb-accent); }
.cellboard .cb-hp-cols .cb-hp-log { flex: none; font-size: 10.5px; color: var(--cb-fg3); gap: 3px; }
.cellboard .cb-hp-cols .cb-hp-group { font-size: 10.5px; color: var(--cb-fg3); text-transform: uppercase; letter-spacing: 0.05em; margin-top: 6px; }
.cellboard .cb-hp-tip-head { display: flex; align-items: center; gap: 5px; font-weight: 600; margin-bottom: 3px; }
.cellboard .cb-hp-tip-head .cb-swatch { width: 8px; height: 8px; border-radius: 50%; display: inline-block; }
.cellboard .cb-tooltip .cb-hp-tip td:first-child { text-align: left; color: var(--cb-fg2); padding-left: 0; }
`;

const STYLE_ID = "cellboard-hparams-style-v1";

export function injectHParamsCss(doc: Document = document) {
  if (doc.getElementById(STYLE_ID)) return;
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  (doc.head ?? doc.documentElement).appendChild(style);
}
