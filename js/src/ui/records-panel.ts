// Shared machinery of record kinds' tabs (images, histograms, text, ...): one card per
// (run, tag), in sections by tag prefix, filtered by the run and tag filters, redrawn when its
// records change. A kind supplies its card; see kinds/images.ts for a small example.

import type { RecordList, RecordSlice } from "../kinds/record-kind";
import type { Dirt, Panel, PanelContext, RecordEntry } from "../kinds/types";
import { changedKeys } from "../store-change";
import { describable } from "./descriptions";
import { replacedNote } from "./format";
import { h, tagGroup } from "./dom";
import { breakable } from "./run-list";
import { Sections } from "./sections";

export interface RecordCard<T extends RecordEntry> {
  readonly el: HTMLElement;
  update(list: RecordList<T>, full: boolean): void;
  destroy(): void;
}

/**
 * A card's step slider after its records changed: on the latest record while following (the
 * default), else on the record it showed (records may be inserted before it). Returns the position.
 */
export function followSlider<T>(slider: HTMLInputElement, recs: readonly T[], pos: number, follow: boolean,
  prev: T | undefined): number {
  const n = recs.length;
  if (follow || pos < 0) pos = n - 1;
  else if (prev) pos = Math.max(0, recs.indexOf(prev));
  slider.max = String(Math.max(0, n - 1));
  slider.value = String(pos);
  slider.disabled = n <= 1;
  return pos;
}

/**
 * A record card's head: the tag and a coloured run label, both in full (wrapped at separators,
 * never cut: runs often differ only at the end of long names), and notes in one wrapping flow,
 * then `extra` (action buttons) at the right. A note among `extra` (`.cb-card-note`) joins the
 * flow after the run, so that a long run name pushes it onto a line of its own instead of cutting
 * it to "20 steps · …".
 */
export function cardHead(ctx: PanelContext, run: string, tag: string, ...extra: (Node | null)[]): HTMLElement {
  const sw = h("span", { class: "cb-swatch" });
  sw.style.background = ctx.runColor(run);
  const isNote = (n: Node | null) => n instanceof HTMLElement && n.classList.contains("cb-card-note");
  return h("div", { class: "cb-card-head" },
    h("div", { class: "cb-card-names" },
      h("span", { class: "cb-card-title", title: tag, ...describable(tag) }, breakable(tag)),
      h("span", { class: "cb-card-run", title: run, "data-run": run }, sw, h("span", {}, breakable(run))),
      ...extra.filter(isNote),
      h("span", { class: "cb-card-note cb-card-replaced" })),
    ...extra.filter((n) => !isNote(n)));
}

/** A card's "N replaced": its records that steps logged again replaced, as the scalar charts say. */
function showReplaced(card: HTMLElement, n: number) {
  const el = card.querySelector<HTMLElement>(".cb-card-replaced");
  const { text, title } = replacedNote(n, "records");
  if (!el || el.textContent === text) return;
  el.textContent = text;
  el.title = title;
}

export interface RecordsPanelOptions {
  /** The kind's name (to pick its keys out of store changes); also the panel's class `cb-panel-<kind>`. */
  kind: string;
  /** Extra class of the card grid (e.g. "cb-grid-small" for small cards). */
  gridClass?: string;
}

export abstract class RecordsPanel<T extends RecordEntry> implements Panel {
  readonly kind: string;
  readonly el: HTMLElement;
  protected readonly sections: Sections;
  protected readonly cards = new Map<string, RecordCard<T>>();
  private dirtyAll = true;
  private dirtyKeys = new Set<string>();
  private layoutKey = "";
  private counts = { shown: 0, total: 0 };

  constructor(protected readonly ctx: PanelContext, protected readonly records: RecordSlice<T>, opts: RecordsPanelOptions) {
    this.kind = opts.kind;
    this.sections = new Sections(opts.gridClass ?? "", () => ctx.requestFlush());
    this.el = h("div", { class: `cb-panel cb-panel-${opts.kind}` }, this.sections.el);
  }

  protected abstract makeCard(list: RecordList<T>): RecordCard<T>;

  settingsEl(): HTMLElement | null {
    return null;
  }

  syncControls() {}

  tagCounts() {
    return this.counts;
  }

  markDirty(d: Dirt) {
    if (d === "all") this.dirtyAll = true;
    else for (const k of changedKeys(d, this.kind)) this.dirtyKeys.add(k);
  }

  flush() {
    const lists = this.records.lists;
    const keys = [...lists.keys()].filter((k) => lists.get(k)!.count > 0);
    const tags = new Set<string>();
    const shown: string[] = [];
    for (const k of keys) {
      const l = lists.get(k)!;
      tags.add(l.tag);
      if (this.ctx.tagShown(l.tag) && this.ctx.runShown(l.run)) shown.push(k);
    }
    const shownTags = new Set(shown.map((k) => lists.get(k)!.tag));
    this.counts = { shown: shownTags.size, total: tags.size };
    // by tag, then run
    shown.sort((a, b) => {
      const la = lists.get(a)!, lb = lists.get(b)!;
      return la.tag < lb.tag ? -1 : la.tag > lb.tag ? 1 : la.run < lb.run ? -1 : la.run > lb.run ? 1 : 0;
    });
    const layoutKey = shown.join("\u0001");
    const fresh = new Set<string>();
    for (const k of shown) {
      if (!this.cards.has(k)) {
        this.cards.set(k, this.makeCard(lists.get(k)!));
        fresh.add(k);
      }
    }
    if (layoutKey !== this.layoutKey) {
      // place cards before drawing them, so they can measure themselves
      this.layoutKey = layoutKey;
      this.sections.layout(shown.map((k) => ({ group: tagGroup(lists.get(k)!.tag), el: this.cards.get(k)!.el })));
    }
    if (this.dirtyAll) {
      // the theme may have changed: light and dark run colours differ
      for (const k of shown) {
        for (const el of this.cards.get(k)!.el.querySelectorAll<HTMLElement>(".cb-card-run[data-run]")) {
          const sw = el.querySelector<HTMLElement>(".cb-swatch");
          const color = this.ctx.runColor(el.dataset.run ?? "");
          if (sw && sw.style.background !== color) sw.style.background = color;
        }
      }
    }
    for (const k of shown) {
      if (!(fresh.has(k) || this.dirtyAll || this.dirtyKeys.has(k))) continue;
      try {
        const card = this.cards.get(k)!, list = lists.get(k)!;
        card.update(list, fresh.has(k) || this.dirtyAll);
        showReplaced(card.el, list.replaced);
      } catch (err) {
        console.error("[cellboard]", this.kind, k, err);
      }
    }
    this.dirtyAll = false;
    this.dirtyKeys.clear();
  }

  destroy() {
    for (const c of this.cards.values()) c.destroy();
    this.cards.clear();
    this.sections.destroy();
    this.el.remove();
  }
}
