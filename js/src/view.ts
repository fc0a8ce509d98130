// One rendered board (an anywidget view): header with tabs, sidebar with runs and settings,
// the active tab's panel. Redraws are batched into one requestAnimationFrame; store changes only
// mark what changed.

import { h, makeFilter } from "./dom";
import { fmtInt } from "./format";
import { HistogramsPanel } from "./histograms";
import { ImagesPanel } from "./images";
import type { Dirt, Panel, PanelContext } from "./panel";
import { ScalarsPanel } from "./scalars";
import {
  readSettings, SYNCED, watchSettings, writeSetting, type AnyModel, type Settings, type SyncedName,
} from "./settings";
import type { BoardStore, Kind, StoreChange } from "./store";
import { TextPanel } from "./text";
import { injectCss, readTheme, runColor, type Theme } from "./theme";

const KINDS: Kind[] = ["scalars", "images", "histograms", "text"];
const TAB_LABEL: Record<Kind, string> = { scalars: "Scalars", images: "Images", histograms: "Histograms", text: "Text" };

export class BoardView {
  private readonly settings: Settings;
  private readonly panels: Record<Kind, Panel>;
  private active: Kind | null = null;
  private readonly disabledRuns = new Set<string>();
  private runFilter = makeFilter("");
  private tagFilter = makeFilter("");
  private theme: Theme | null = null;
  private raf = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private detachedFrames = 0;
  private destroyed = false;
  private runsDirty = true;
  private readonly cleanups: (() => void)[] = [];
  private readonly scrollTops = new Map<Kind, number>();
  private readonly ctx: PanelContext;

  private readonly titleEl = h("span", { class: "cb-title" });
  private readonly tabsEl = h("div", { class: "cb-tabs", role: "tablist", style: "display:flex" });
  private readonly tabs = new Map<Kind, HTMLButtonElement>();
  private readonly summaryEl = h("span", { class: "cb-summary" });
  private readonly sidebar = h("div", { class: "cb-sidebar" });
  private readonly settingsHost = h("div", { class: "cb-settings-host" });
  private readonly runsList = h("ul", { class: "cb-runs" });
  private readonly runsCount = h("span", { class: "cb-muted" });
  private readonly runFilterInput: HTMLInputElement;
  private readonly tagFilterInput: HTMLInputElement;
  private readonly tagCount = h("span", { class: "cb-muted" });
  private readonly main = h("div", { class: "cb-main" });
  private readonly body = h("div", { class: "cb-body" });
  private readonly empty = h("div", { class: "cb-empty" });

  constructor(private readonly model: AnyModel, private readonly el: HTMLElement, private readonly store: BoardStore) {
    injectCss(el.ownerDocument ?? document);
    this.settings = readSettings(model);
    const self = this;
    this.ctx = {
      store,
      settings: this.settings,
      theme: () => self.currentTheme(),
      runShown: (run) => self.runFilter.test(run) && !self.disabledRuns.has(run),
      runColor: (run) => runColor(store.runOrder.get(run) ?? 0, self.currentTheme().dark),
      tagShown: (tag) => self.tagFilter.test(tag),
      requestFlush: () => self.requestFlush(),
      setSetting: (name, value, save = true) => self.setSetting(name, value, save),
    };
    this.panels = {
      scalars: new ScalarsPanel(this.ctx),
      images: new ImagesPanel(this.ctx),
      histograms: new HistogramsPanel(this.ctx),
      text: new TextPanel(this.ctx),
    };

    // header
    for (const kind of KINDS) {
      const b = h("button", { class: "cb-tab", type: "button", role: "tab", "data-kind": kind, "aria-selected": "false", text: TAB_LABEL[kind] });
      b.addEventListener("click", () => this.activate(kind));
      this.tabs.set(kind, b);
    }
    const header = h("div", { class: "cb-header" }, this.titleEl, this.tabsEl, this.summaryEl);

    // sidebar: runs, then the active tab's settings
    this.runFilterInput = h("input", { class: "cb-input cb-grow", type: "search", placeholder: "Filter runs (regex)", "aria-label": "Filter runs" });
    this.runFilterInput.value = this.settings.run_filter;
    this.runFilterInput.addEventListener("input", () => this.setSetting("run_filter", this.runFilterInput.value, false));
    this.runFilterInput.addEventListener("change", () => this.setSetting("run_filter", this.runFilterInput.value));
    const allBtn = h("button", { class: "cb-linkbtn", type: "button", text: "all" });
    const noneBtn = h("button", { class: "cb-linkbtn", type: "button", text: "none" });
    allBtn.addEventListener("click", () => { this.disabledRuns.clear(); this.runsChanged(); });
    noneBtn.addEventListener("click", () => { for (const r of this.store.runs) this.disabledRuns.add(r); this.runsChanged(); });
    // narrow cells: the sidebar folds into a bar above the charts
    const sideToggle = h("button", { class: "cb-side-toggle", type: "button", "aria-expanded": "false" },
      h("span", { class: "cb-caret", text: "▼" }), " Runs & settings");
    sideToggle.addEventListener("click", () => {
      const open = !this.el.classList.contains("cb-side-open");
      this.el.classList.toggle("cb-side-open", open);
      sideToggle.setAttribute("aria-expanded", String(open));
    });
    const sideContent = h("div", { class: "cb-side-content" });
    this.sidebar.append(sideToggle, sideContent);
    sideContent.append(
      this.settingsHost,
      h("div", { class: "cb-side-section" },
        h("div", { class: "cb-side-title" }, "Runs ", this.runsCount),
        this.runFilterInput,
        h("div", { class: "cb-field" }, h("span", { class: "cb-muted", text: "show" }), allBtn, noneBtn),
        this.runsList));

    // main: tag filter and panels
    this.tagFilterInput = h("input", { class: "cb-input", type: "search", placeholder: "Filter tags (regex)", "aria-label": "Filter tags" });
    this.tagFilterInput.value = this.settings.tag_filter;
    this.tagFilterInput.addEventListener("input", () => this.setSetting("tag_filter", this.tagFilterInput.value, false));
    this.tagFilterInput.addEventListener("change", () => this.setSetting("tag_filter", this.tagFilterInput.value));
    this.main.append(h("div", { class: "cb-toolbar" }, this.tagFilterInput, this.tagCount));
    for (const k of KINDS) {
      this.panels[k].el.style.display = "none";
      this.main.append(this.panels[k].el);
    }
    this.body.append(this.sidebar, this.main);
    this.empty.append(
      h("div", { style: "font-size:14px;margin-bottom:4px", text: "Waiting for data…" }),
      h("div", { text: "Anything logged with the writer (add_scalar, add_image, add_histogram, add_text) appears here live." }));

    el.classList.add("cellboard");
    el.replaceChildren(header, this.body, this.empty);
    this.applyFilters();
    this.applyLayoutSettings();

    this.cleanups.push(store.subscribe((c) => this.onStoreChange(c)));
    this.cleanups.push(watchSettings(model, this.settings, (name) => this.settingChanged(name)));
    if (typeof ResizeObserver !== "undefined") {
      const ro = new ResizeObserver((entries) => {
        const w = entries[entries.length - 1].contentRect.width;
        if (w > 0) el.classList.toggle("cb-narrow", w < 620);
      });
      ro.observe(el);
      this.cleanups.push(() => ro.disconnect());
    }
    // JupyterLab switches themes by changing attributes on <body>
    if (typeof MutationObserver !== "undefined" && el.ownerDocument?.body) {
      const mo = new MutationObserver(() => {
        const before = this.theme?.id;
        this.theme = null;
        if (this.el.isConnected && this.currentTheme().id !== before) {
          this.runsDirty = true; // run colours differ between light and dark palettes
          this.markAll();
        }
      });
      mo.observe(el.ownerDocument.body, { attributes: true, attributeFilter: ["data-jp-theme-name", "data-jp-theme-light", "class", "data-vscode-theme-kind"] });
      this.cleanups.push(() => mo.disconnect());
    }
    this.updateHooks();
    this.requestFlush();
  }

  private currentTheme(): Theme {
    if (!this.theme) this.theme = readTheme(this.el);
    return this.theme;
  }

  // ------------------------------------------------------------------ state changes

  private onStoreChange(c: StoreChange) {
    this.updateHooks();
    if (c.runs) {
      this.runsDirty = true;
      this.markAll();
      return;
    }
    for (const k of KINDS) if (c[k].size) this.panels[k].markDirty(c);
    this.requestFlush();
  }

  private markAll(d: Dirt = "all") {
    for (const k of KINDS) this.panels[k].markDirty(d);
    this.requestFlush();
  }

  private runsChanged() {
    this.runsDirty = true;
    this.markAll();
  }

  private setSetting<K extends keyof Settings>(name: K, value: Settings[K], save = true) {
    if (this.settings[name] !== value) {
      this.settings[name] = value;
      this.settingChanged(name);
    }
    if (save && (SYNCED as readonly string[]).includes(name)) writeSetting(this.model, name as SyncedName, value);
  }

  private settingChanged(name: keyof Settings) {
    switch (name) {
      case "smoothing": case "x_axis": case "log_y": case "ignoreOutliers":
        this.panels.scalars.markDirty("all");
        break;
      case "histMode":
        this.panels.histograms.markDirty("all");
        break;
      case "tag_filter": case "run_filter":
        this.applyFilters();
        this.runsDirty = true;
        this.markAll();
        break;
      case "height": case "title":
        this.applyLayoutSettings();
        break;
    }
    for (const k of KINDS) this.panels[k].syncControls();
    this.requestFlush();
  }

  private applyFilters() {
    this.tagFilter = makeFilter(this.settings.tag_filter);
    this.runFilter = makeFilter(this.settings.run_filter);
    if (document.activeElement !== this.tagFilterInput) this.tagFilterInput.value = this.settings.tag_filter;
    if (document.activeElement !== this.runFilterInput) this.runFilterInput.value = this.settings.run_filter;
    this.tagFilterInput.classList.toggle("cb-invalid", !this.tagFilter.valid);
    this.tagFilterInput.title = this.tagFilter.valid ? "" : "Not a valid regular expression: matching it as plain text";
    this.runFilterInput.classList.toggle("cb-invalid", !this.runFilter.valid);
    this.runFilterInput.title = this.runFilter.valid ? "" : "Not a valid regular expression: matching it as plain text";
  }

  private applyLayoutSettings() {
    const { height, title } = this.settings;
    this.el.style.height = height > 0 ? `${height}px` : "";
    this.el.classList.toggle("cb-auto-height", !(height > 0));
    this.titleEl.textContent = title;
    this.titleEl.style.display = title ? "" : "none";
  }

  private activate(kind: Kind) {
    if (this.active === kind) return;
    if (this.active) {
      this.scrollTops.set(this.active, this.main.scrollTop);
      this.panels[this.active].el.style.display = "none";
    }
    this.active = kind;
    const p = this.panels[kind];
    p.el.style.display = "";
    this.settingsHost.replaceChildren(...(p.settingsEl() ? [p.settingsEl()!] : []));
    for (const [k, b] of this.tabs) b.setAttribute("aria-selected", String(k === kind));
    this.main.scrollTop = this.scrollTops.get(kind) ?? 0;
    if (p instanceof ScalarsPanel) p.remeasure();
    this.requestFlush();
  }

  // ------------------------------------------------------------------ drawing

  private updateHooks() {
    const t = this.store.totals();
    const ds = this.el.dataset;
    const set = (k: string, v: string) => { if (ds[k] !== v) ds[k] = v; };
    set("runs", t.runs.join(","));
    set("scalarTags", String(t.scalarTags));
    set("scalarPoints", String(t.scalarPoints));
    set("imageCount", String(t.images));
    set("histogramSteps", String(t.histograms));
  }

  requestFlush() {
    if (this.raf || this.destroyed) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.flush();
    });
  }

  /** Available kinds: those with data. */
  private kindsWithData(): Kind[] {
    const t = this.store.totals();
    return KINDS.filter((k) => (k === "scalars" ? t.scalarPoints > 0 : k === "images" ? t.images > 0 : k === "histograms" ? t.histograms > 0 : t.text > 0));
  }

  flush() {
    if (this.destroyed) return;
    if (!this.el.isConnected) {
      // not in the document yet (views are often rendered before being attached): try again
      if (++this.detachedFrames < 120) this.requestFlush();
      else this.retryTimer = setTimeout(() => { this.retryTimer = null; this.requestFlush(); }, 250);
      return;
    }
    this.detachedFrames = 0;
    const t0 = performance.now();
    const kinds = this.kindsWithData();
    const hasData = kinds.length > 0;
    this.body.style.display = hasData ? "" : "none";
    this.empty.style.display = hasData ? "none" : "";
    // tabs: only kinds with data
    const tabKids = kinds.map((k) => this.tabs.get(k)!);
    if (tabKids.length !== this.tabsEl.children.length || tabKids.some((b, i) => this.tabsEl.children[i] !== b)) {
      this.tabsEl.replaceChildren(...tabKids);
    }
    if (hasData && (!this.active || !kinds.includes(this.active))) this.activate(kinds[0]);

    const t = this.store.totals();
    const parts = [`${t.runs.length} run${t.runs.length === 1 ? "" : "s"}`];
    if (t.scalarPoints) parts.push(`${fmtInt(t.scalarPoints)} points`);
    this.summaryEl.textContent = parts.join(" · ");

    if (this.runsDirty) this.renderRuns();
    if (this.active && hasData) {
      const p = this.panels[this.active];
      p.flush();
      const c = p.tagCounts();
      this.tagCount.textContent = c.total ? (c.shown === c.total ? `${c.total} tag${c.total === 1 ? "" : "s"}` : `${c.shown} of ${c.total} tags`) : "";
    }
    this.el.dataset.cellboardReady = "1";
    this.el.dispatchEvent(new CustomEvent("cellboard:render", { detail: { ms: performance.now() - t0 } }));
  }

  private renderRuns() {
    this.runsDirty = false;
    const runs = this.store.runs;
    const shown = runs.filter((r) => this.runFilter.test(r));
    const on = shown.filter((r) => !this.disabledRuns.has(r)).length;
    this.runsCount.textContent = runs.length ? `${on}/${runs.length}` : "";
    this.runsList.replaceChildren(...shown.map((run) => {
      const color = this.ctx.runColor(run);
      const box = h("input", { type: "checkbox" });
      box.checked = !this.disabledRuns.has(run);
      box.style.accentColor = color;
      box.addEventListener("change", () => {
        if (box.checked) this.disabledRuns.delete(run);
        else this.disabledRuns.add(run);
        this.runsChanged();
      });
      const sw = h("span", { class: "cb-swatch" });
      sw.style.background = color;
      return h("li", {}, h("label", { class: `cb-run${box.checked ? "" : " cb-off"}`, title: run }, box, sw,
        h("span", { class: "cb-run-name", text: run })));
    }));
    if (shown.length < runs.length) {
      this.runsList.append(h("li", { class: "cb-muted", text: `${runs.length - shown.length} hidden by the filter` }));
    }
  }

  destroy() {
    this.destroyed = true;
    if (this.raf) cancelAnimationFrame(this.raf);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const c of this.cleanups.splice(0)) c();
    for (const k of KINDS) this.panels[k].destroy();
    this.el.replaceChildren();
  }
}
