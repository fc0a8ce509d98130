// Shared machinery of the Images, Histograms and Text tabs: one card per (run, tag), in sections
// by tag prefix, filtered by the run and tag filters, redrawn when its records change.

import { h, tagGroup } from "./dom";
import type { Dirt, Panel, PanelContext } from "./panel";
import { Sections } from "./sections";
import type { Kind, RecordList, StoredRecord } from "./store";

export interface RecordCard<T extends StoredRecord> {
  readonly el: HTMLElement;
  update(list: RecordList<T>, full: boolean): void;
  destroy(): void;
}

/** Card header: tag and a coloured run label. */
export function cardHead(ctx: PanelContext, run: string, tag: string, ...extra: (Node | null)[]): HTMLElement {
  const sw = h("span", { class: "cb-swatch" });
  sw.style.cssText = `display:inline-block;width:8px;height:8px;border-radius:50%;background:${ctx.runColor(run)}`;
  return h("div", { class: "cb-card-head" },
    h("span", { class: "cb-card-title", title: tag, text: tag }),
    h("span", { class: "cb-card-run", title: run }, sw, run),
    ...extra);
}

export abstract class RecordsPanel<T extends StoredRecord> implements Panel {
  abstract readonly kind: Exclude<Kind, "scalars">;
  readonly el: HTMLElement;
  protected readonly sections: Sections;
  protected readonly cards = new Map<string, RecordCard<T>>();
  private dirtyAll = true;
  private dirtyKeys = new Set<string>();
  private layoutKey = "";
  private counts = { shown: 0, total: 0 };

  constructor(protected readonly ctx: PanelContext, gridClass: string) {
    this.sections = new Sections(gridClass, () => ctx.requestFlush());
    this.el = h("div", { class: "cb-panel" }, this.sections.el);
  }

  protected abstract lists(): Map<string, RecordList<T>>;
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
    else for (const k of d[this.kind]) this.dirtyKeys.add(k);
  }

  flush() {
    const lists = this.lists();
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
    for (const k of shown) {
      if (!(fresh.has(k) || this.dirtyAll || this.dirtyKeys.has(k))) continue;
      try {
        this.cards.get(k)!.update(lists.get(k)!, fresh.has(k) || this.dirtyAll);
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
