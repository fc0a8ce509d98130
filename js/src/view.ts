// One rendered board (an anywidget view), generic over the kinds registry: header with a tab per
// kind that has data (dashboard order), a notices banner, a sidebar with runs and the active
// tab's controls, the active tab's panel. Redraws are batched into one requestAnimationFrame;
// store changes only mark what changed, and a redraw for new data alone waits after a costly frame
// (ui/data-hold.ts): input is drawn at the next frame.

import type { AnyKind, Dirt, Panel, PanelContext } from "./kinds/types";
import {
  hasOwn, readSettings, sameSetting, SYNCED, watchSettings, writeSetting, type AnyModel, type Settings, type SyncedName,
} from "./settings";
import type { BoardStore, StoreChange } from "./store";
import { DataHold } from "./ui/data-hold";
import { FrameBudget } from "./ui/frame-budget";
import { h, makeFilter } from "./ui/dom";
import { fmtBytes, fmtInt } from "./ui/format";
import { describeCards } from "./ui/descriptions";
import { NoticeBanner } from "./ui/notices";
import { RunList } from "./ui/run-list";
import { assignColors, PALETTE_DARK, PALETTE_LIGHT } from "./ui/palette";
import { injectCss, readTheme, runColor, type Theme } from "./ui/theme";

interface Tab {
  kind: AnyKind;
  panel: Panel;
  button: HTMLButtonElement;
  scrollTop: number;
}

/**
 * The tab to show: the user's choice while it has data, else the first kind with data in
 * dashboard order (`withData` is in that order). Null when nothing has data.
 */
export function pickTab(withData: readonly string[], userChoice: string | null): string | null {
  if (userChoice !== null && withData.includes(userChoice)) return userChoice;
  return withData[0] ?? null;
}

/** Bounds of a height set by dragging the board's bottom edge (px). */
const MIN_HEIGHT = 200;
const MAX_HEIGHT = 4000;

export class BoardView {
  private readonly settings: Settings;
  private readonly tabs = new Map<string, Tab>();
  private active: Tab | null = null;
  /** The tab the user clicked last (kept while it has data); until then the first kind with data. */
  private userChoice: string | null = null;
  private readonly disabledRuns = new Set<string>();
  private runFilter = makeFilter("");
  private tagFilter = makeFilter("");
  private theme: Theme | null = null;
  private raf = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Redraws for new data alone wait after a costly frame (ui/data-hold.ts)... */
  private readonly dataHold = new DataHold(() => this.requestFrame());
  /** How long a frame's script may draw charts, from what the frames before cost (ui/frame-budget.ts). */
  private readonly frameBudget = new FrameBudget();
  /** Inside flush(): a redraw asked for now is for work the frame left, not for input. */
  private flushing = false;
  /** ...once the board shows data: the first points are drawn at the next frame. */
  private showsData = false;
  private detachedFrames = 0;
  private destroyed = false;
  private runsDirty = true;
  private noticesDirty = true;
  private readonly cleanups: (() => void)[] = [];
  private readonly ctx: PanelContext;

  private readonly titleEl = h("span", { class: "cb-title" });
  private readonly tabsEl = h("div", { class: "cb-tabs", role: "tablist", style: "display:flex" });
  private readonly summaryEl = h("span", { class: "cb-summary" });
  /** A thin bar under the header while a log directory loads. */
  private readonly progressEl = h("div", { class: "cb-progress", style: "display:none" });
  private readonly notices = new NoticeBanner();
  private readonly sidebar = h("div", { class: "cb-sidebar" });
  private readonly settingsHost = h("div", { class: "cb-settings-host" });
  private readonly runList: RunList;
  private readonly runsCount = h("span", { class: "cb-muted" });
  /** Back to the palette's colours, when runs have colours picked on their swatches. */
  private readonly paletteBtn = h("button", {
    class: "cb-linkbtn", type: "button", text: "palette colours", hidden: true,
    title: "Give every run its palette colour again (the colours picked on the swatches are dropped)",
  });
  private readonly runFilterInput: HTMLInputElement;
  private readonly tagFilterInput: HTMLInputElement;
  private readonly tagCount = h("span", { class: "cb-muted" });
  private readonly main = h("div", { class: "cb-main" });
  private readonly body = h("div", { class: "cb-body" });
  private readonly empty = h("div", { class: "cb-empty" });
  /** The drag handle on the bottom edge: resizes the board and saves the height trait. */
  private readonly grip = h("div", {
    class: "cb-resize", role: "separator", tabindex: 0, "aria-orientation": "horizontal",
    "aria-label": "Resize the board (drag, or arrow keys)", title: "Drag to resize the board",
  });

  constructor(private readonly model: AnyModel, private readonly el: HTMLElement, private readonly store: BoardStore) {
    injectCss(el.ownerDocument ?? document);
    this.settings = readSettings(model);
    this.ctx = {
      store,
      settings: this.settings,
      theme: () => this.currentTheme(),
      runShown: (run) => this.runFilter.test(run) && !this.disabledRuns.has(run),
      runColor: (run) => this.runColor(run),
      tagShown: (tag) => this.tagFilter.test(tag),
      requestFlush: () => this.requestFlush(),
      drawBudgetMs: () => this.frameBudget.scriptMs,
      send: (msg) => this.model.send(msg),
      windowEvents: () => this.model.get("window_events") === true,
      setSetting: (name, value, save = true) => this.setSetting(name, value, save),
    };
    this.runList = new RunList({
      runColor: (run) => this.ctx.runColor(run),
      isOn: (run) => !this.disabledRuns.has(run),
      toggle: (run, on) => {
        if (on) this.disabledRuns.delete(run);
        else this.disabledRuns.add(run);
        this.runsChanged();
      },
      // live while the picker is open, saved with the widget once it is closed on a colour
      chooseColor: (run, color, done) => this.setSetting("run_colors", { ...this.settings.run_colors, [run]: color }, done),
    });

    // a tab and a panel per kind (store.kinds is in dashboard order); tabs show once there is data
    for (const kind of store.kinds) {
      const button = h("button", { class: "cb-tab", type: "button", role: "tab", "data-kind": kind.name, "aria-selected": "false", text: kind.label });
      button.addEventListener("click", () => {
        this.userChoice = kind.name;
        this.activate(kind.name);
      });
      const panel = kind.createPanel(this.ctx);
      panel.el.style.display = "none";
      this.tabs.set(kind.name, { kind, panel, button, scrollTop: 0 });
    }
    const header = h("div", { class: "cb-header" }, this.titleEl, this.tabsEl, this.summaryEl, this.progressEl);

    // sidebar: runs, then the active tab's settings
    this.runFilterInput = h("input", { class: "cb-input cb-grow", type: "search", placeholder: "Filter runs (regex)", "aria-label": "Filter runs" });
    this.runFilterInput.value = this.settings.run_filter;
    this.runFilterInput.addEventListener("input", () => this.setSetting("run_filter", this.runFilterInput.value, false));
    this.runFilterInput.addEventListener("change", () => this.setSetting("run_filter", this.runFilterInput.value));
    const allBtn = h("button", { class: "cb-linkbtn", type: "button", text: "all" });
    const noneBtn = h("button", { class: "cb-linkbtn", type: "button", text: "none" });
    allBtn.addEventListener("click", () => { this.disabledRuns.clear(); this.runsChanged(); });
    noneBtn.addEventListener("click", () => { for (const r of this.store.runs) this.disabledRuns.add(r); this.runsChanged(); });
    // shown once a run has a picked colour (renderRuns)
    this.paletteBtn.addEventListener("click", () => this.setSetting("run_colors", {}));
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
        h("div", { class: "cb-field" }, h("span", { class: "cb-muted", text: "show" }), allBtn, noneBtn, this.paletteBtn),
        this.runList.el));

    // main: tag filter and panels
    this.tagFilterInput = h("input", { class: "cb-input", type: "search", placeholder: "Filter tags (regex)", "aria-label": "Filter tags" });
    this.tagFilterInput.value = this.settings.tag_filter;
    this.tagFilterInput.addEventListener("input", () => this.setSetting("tag_filter", this.tagFilterInput.value, false));
    this.tagFilterInput.addEventListener("change", () => this.setSetting("tag_filter", this.tagFilterInput.value));
    this.main.append(h("div", { class: "cb-toolbar" }, this.tagFilterInput, this.tagCount));
    for (const t of this.tabs.values()) this.main.append(t.panel.el);
    this.body.append(this.sidebar, this.main);
    this.empty.append(
      h("div", { style: "font-size:14px;margin-bottom:4px", text: "Waiting for data…" }),
      h("div", { text: "Anything logged with the writer (add_scalar, add_image, add_histogram, add_text, …) appears here live." }));

    el.classList.add("cellboard");
    el.replaceChildren(header, this.notices.el, this.body, this.empty, this.grip);
    this.applyFilters();
    this.applyLayoutSettings();
    this.cleanups.push(this.bindResize());

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

  private colorRuns: readonly string[] | null = null;
  private colors = new Map<string, number>();

  /** The run's colour on this board: the one the user chose (`run_colors`), else its name's palette
   * slot, the next free one on a clash. */
  private runColor(run: string): string {
    if (hasOwn(this.settings.run_colors, run)) return this.settings.run_colors[run];
    if (this.colorRuns !== this.store.runs) {  // the store replaces the array when a run appears
      this.colorRuns = this.store.runs;
      this.colors = assignColors(this.store.runs);
    }
    const i = this.colors.get(run);
    const dark = this.currentTheme().dark;
    return i === undefined ? runColor(run, dark) : (dark ? PALETTE_DARK : PALETTE_LIGHT)[i];
  }

  private currentTheme(): Theme {
    if (!this.theme) this.theme = readTheme(this.el);
    return this.theme;
  }

  // ------------------------------------------------------------------ state changes

  private onStoreChange(c: StoreChange) {
    this.updateHooks();
    if (c.notices) this.noticesDirty = true;
    if (c.runs) {
      this.runsDirty = true;
      for (const t of this.tabs.values()) t.panel.markDirty("all");
    } else if (c.kinds.size) {
      // every panel sees every change: a kind may draw from another kind's data
      for (const t of this.tabs.values()) t.panel.markDirty(c);
    }
    this.requestDataFlush();
  }

  private markAll(d: Dirt = "all") {
    for (const t of this.tabs.values()) t.panel.markDirty(d);
    this.requestFlush();
  }

  private runsChanged() {
    this.runsDirty = true;
    this.markAll();
  }

  private setSetting<K extends keyof Settings>(name: K, value: Settings[K], save = true) {
    if (!sameSetting(this.settings[name], value)) {
      this.settings[name] = value;
      this.settingChanged(name);
    }
    if (save && (SYNCED as readonly string[]).includes(name)) writeSetting(this.model, name as SyncedName, value);
  }

  private settingChanged(name: keyof Settings) {
    switch (name) {
      case "tag_filter": case "run_filter":
        this.applyFilters();
        this.runsDirty = true;
        this.markAll();
        break;
      case "run_colors":
        this.runsDirty = true;
        this.markAll();
        break;
      case "height": case "title":
        this.applyLayoutSettings();
        break;
      default:
        for (const t of this.tabs.values()) if (t.kind.redrawOn?.includes(name)) t.panel.markDirty("all");
    }
    for (const t of this.tabs.values()) t.panel.syncControls();
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
    // The height must hold whatever the host does to the element's inline style: ipywidgets'
    // LayoutView removes `height` (and every other layout property left at None) from the view's
    // element when it attaches, after render(), and the board then grew to its whole content.
    // A stylesheet rule reading a custom property survives that; the inline height is kept too,
    // as the strongest non-!important declaration while it is there.
    const fixed = height > 0;
    if (fixed) this.el.style.setProperty("--cb-height", `${height}px`);
    else this.el.style.removeProperty("--cb-height");
    this.el.style.height = fixed ? `${height}px` : "";
    this.el.classList.toggle("cb-fixed-height", fixed);
    this.el.classList.toggle("cb-auto-height", !fixed);
    this.titleEl.textContent = title;
    this.titleEl.title = title;
    this.titleEl.style.display = title ? "" : "none";
  }

  /** Drag the bottom edge (or arrow keys on it) to resize; the height is saved when the drag ends. */
  private bindResize(): () => void {
    const g = this.grip;
    let startY = 0, startH = 0, dragging = false;
    const clamp = (v: number) => Math.round(Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, v)));
    const down = (e: PointerEvent) => {
      if (e.button !== 0) return;
      e.preventDefault();
      dragging = true;
      startY = e.clientY;
      startH = this.el.getBoundingClientRect().height;
      g.setPointerCapture?.(e.pointerId);
      this.el.classList.add("cb-resizing");
    };
    const move = (e: PointerEvent) => {
      if (!dragging) return;
      this.setSetting("height", clamp(startH + e.clientY - startY), false);
    };
    const up = (e: PointerEvent) => {
      if (!dragging) return;
      dragging = false;
      g.releasePointerCapture?.(e.pointerId);
      this.el.classList.remove("cb-resizing");
      this.setSetting("height", clamp(startH + e.clientY - startY));
    };
    const key = (e: KeyboardEvent) => {
      const d = e.key === "ArrowUp" ? -40 : e.key === "ArrowDown" ? 40 : 0;
      if (!d) return;
      e.preventDefault();
      this.setSetting("height", clamp(this.el.getBoundingClientRect().height + d));
    };
    g.addEventListener("pointerdown", down);
    g.addEventListener("pointermove", move);
    g.addEventListener("pointerup", up);
    g.addEventListener("pointercancel", up);
    g.addEventListener("keydown", key);
    return () => {
      g.removeEventListener("pointerdown", down);
      g.removeEventListener("pointermove", move);
      g.removeEventListener("pointerup", up);
      g.removeEventListener("pointercancel", up);
      g.removeEventListener("keydown", key);
    };
  }

  private activate(name: string) {
    const tab = this.tabs.get(name);
    if (!tab || this.active === tab) return;
    const prev = this.active;
    if (prev) {
      prev.scrollTop = this.main.scrollTop;
      prev.panel.el.style.display = "none";
    }
    this.active = tab;
    const p = tab.panel;
    p.el.style.display = "";
    const controls = p.settingsEl();
    this.settingsHost.replaceChildren(...(controls ? [controls] : []));
    for (const t of this.tabs.values()) t.button.setAttribute("aria-selected", String(t === tab));
    // a switch restores the tab's scroll; the first tab needs none, and the write would force a
    // layout of the half-built board in its first frame (~30 ms in a JupyterLab page)
    if (prev || tab.scrollTop) this.main.scrollTop = tab.scrollTop;
    p.shown?.();
    this.requestFlush();
  }

  // ------------------------------------------------------------------ drawing

  /** data-* test hooks: runs and notices, then each kind's own. */
  private updateHooks() {
    const ds = this.el.dataset;
    const set = (k: string, v: string) => { if (ds[k] !== v) ds[k] = v; };
    set("runs", this.store.runs.join(","));
    set("noticeCount", String(this.store.notices.length));
    const p = this.store.progress;
    set("loading", p?.loading ? "1" : "0");
    if (p) set("runsRead", String(p.runsRead));
    for (const t of this.tabs.values()) {
      const hooks = t.kind.hooks?.(this.store);
      if (hooks) for (const k in hooks) set(k, hooks[k]);
    }
  }

  /** A redraw at the next frame: for input, or, asked while drawing, for what a frame left. */
  requestFlush() {
    if (this.flushing) this.frameBudget.askMore();
    else this.frameBudget.askInput();
    this.requestFrame();
  }

  private requestFrame() {
    if (this.raf || this.destroyed) return;
    this.dataHold.cancel();
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      const t0 = performance.now();
      this.frameBudget.begin();
      this.flushing = true;
      try {
        this.flush();
      } finally {
        this.flushing = false;
      }
      const script = performance.now() - t0;
      // a task posted from the frame's callbacks runs after that frame is painted
      setTimeout(() => {
        this.dataHold.painted(t0);
        this.frameBudget.frame(script, performance.now() - t0);
      }, 0);
    });
  }

  /** A redraw for new data: at the next frame, or once the last frame's hold is over. */
  private requestDataFlush() {
    if (this.raf || this.destroyed) return;
    if (this.showsData) this.dataHold.request();
    else this.requestFlush();
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
    const withData = [...this.tabs.values()].filter((t) => this.store.hasData(t.kind));
    const hasData = withData.length > 0;
    this.showsData = hasData;
    this.body.style.display = hasData ? "" : "none";
    this.empty.style.display = hasData ? "none" : "";
    const buttons = withData.map((t) => t.button);
    if (buttons.length !== this.tabsEl.children.length || buttons.some((b, i) => this.tabsEl.children[i] !== b)) {
      this.tabsEl.replaceChildren(...buttons);
    }
    const pick = pickTab(withData.map((t) => t.kind.name), this.userChoice);
    if (pick !== null) this.activate(pick);

    const runs = this.store.runs.length;
    const parts = [`${runs} run${runs === 1 ? "" : "s"}`];
    for (const t of this.tabs.values()) {
      const s = t.kind.summary?.(this.store);
      if (s) parts.push(s);
    }
    const p = this.store.progress;
    if (p?.loading && p.runs > 0) {
      // a big directory loads in the background: say how far it has got
      parts.unshift(`loading ${fmtInt(p.runsRead)}/${fmtInt(p.runs)} runs, ${fmtBytes(p.bytesRead)} of ${fmtBytes(p.bytes)}`);
    }
    this.summaryEl.textContent = this.summaryEl.title = parts.join(" · ");
    const frac = p?.loading && p.bytes > 0 ? Math.min(1, p.bytesRead / p.bytes) : null;
    this.progressEl.style.display = frac === null ? "none" : "";
    if (frac !== null) this.progressEl.style.width = `${(100 * frac).toFixed(1)}%`;

    if (this.noticesDirty) {
      this.noticesDirty = false;
      this.notices.update(this.store.notices, this.store.viewProblems);
    }
    if (this.runsDirty) this.renderRuns();
    if (this.active && hasData) {
      const p = this.active.panel;
      p.flush();
      describeCards(p.el, this.store.descriptions);
      const c = p.tagCounts();
      this.tagCount.textContent = c.total ? (c.shown === c.total ? `${c.total} tag${c.total === 1 ? "" : "s"}` : `${c.shown} of ${c.total} tags`) : "";
    }
    this.el.dataset.cellboardReady = "1";
    // pending: a panel left work for the next frame (it asked for another flush while drawing);
    // oldest: when the oldest change not yet shown in view was made (Infinity: the view is up to date)
    const pending = this.raf !== 0;
    const oldest = this.active && hasData ? this.active.panel.oldestDirty?.() : undefined;
    this.el.dispatchEvent(new CustomEvent("cellboard:render", { detail: { ms: performance.now() - t0, pending, oldest } }));
  }

  private renderRuns() {
    this.runsDirty = false;
    const runs = this.store.runs;
    const shown = runs.filter((r) => this.runFilter.test(r));
    const on = shown.filter((r) => !this.disabledRuns.has(r)).length;
    this.runsCount.textContent = runs.length ? `${on}/${runs.length}` : "";
    this.runList.update(runs, shown);
    this.paletteBtn.hidden = Object.keys(this.settings.run_colors).length === 0;
  }

  destroy() {
    this.destroyed = true;
    if (this.raf) cancelAnimationFrame(this.raf);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.dataHold.cancel();
    for (const c of this.cleanups.splice(0)) c();
    for (const t of this.tabs.values()) t.panel.destroy();
    this.el.replaceChildren();
  }
}
