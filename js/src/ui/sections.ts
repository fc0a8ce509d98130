// Collapsible sections of cards grouped by tag prefix ("train/loss" -> "train"), as TensorBoard
// groups its cards. Cards are owned by the panels; this only places them.

import { h } from "./dom";

/** The group of pinned cards, shown as "pinned" (no tag prefix holds a NUL: the store's keys
 * separate run and tag with one). */
export const PINNED = "\u0000pinned";

/** The pinned group first, then named groups alphabetically, the unnamed group ("") last. */
export function sectionsOrder(groups: Iterable<string>): string[] {
  const rank = (g: string) => (g === PINNED ? 0 : g === "" ? 2 : 1);
  return [...groups].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

interface Section {
  el: HTMLElement;
  head: HTMLButtonElement;
  name: HTMLElement;
  count: HTMLElement;
  grid: HTMLElement;
}

export interface Placed {
  group: string;
  el: HTMLElement;
}

export class Sections {
  readonly el = h("div", { class: "cb-sections" });
  private sections = new Map<string, Section>();
  private closed = new Set<string>();

  constructor(private readonly gridClass = "", private readonly onToggle: () => void = () => {}) {}

  isOpen(group: string) {
    return !this.closed.has(group);
  }

  private section(group: string): Section {
    let s = this.sections.get(group);
    if (s) return s;
    const name = h("span", { class: "cb-section-name" });
    const count = h("span", { class: "cb-muted" });
    const head = h("button", { class: "cb-section-head", type: "button" }, h("span", { class: "cb-caret", text: "▼" }), name, count);
    const grid = h("div", { class: `cb-grid ${this.gridClass}` });
    const el = h("div", { class: "cb-section" }, head, grid);
    head.addEventListener("click", () => {
      if (this.closed.has(group)) this.closed.delete(group);
      else this.closed.add(group);
      el.classList.toggle("cb-closed", this.closed.has(group));
      head.setAttribute("aria-expanded", String(!this.closed.has(group)));
      this.onToggle();
    });
    head.setAttribute("aria-expanded", "true");
    s = { el, head, name, count, grid };
    this.sections.set(group, s);
    return s;
  }

  /** Show exactly these cards, in this order, in their groups' sections. */
  layout(items: Placed[]) {
    const byGroup = new Map<string, HTMLElement[]>();
    for (const it of items) {
      let l = byGroup.get(it.group);
      if (!l) byGroup.set(it.group, (l = []));
      l.push(it.el);
    }
    const order = sectionsOrder(byGroup.keys());
    const onlyUnnamed = order.length === 1 && order[0] === "";
    const wanted: HTMLElement[] = [];
    for (const g of order) {
      const s = this.section(g);
      const cards = byGroup.get(g)!;
      s.name.textContent = g === "" ? "other" : g === PINNED ? "pinned" : g;
      s.count.textContent = String(cards.length);
      s.head.style.display = onlyUnnamed ? "none" : "";
      syncChildren(s.grid, cards);
      wanted.push(s.el);
    }
    syncChildren(this.el, wanted);
  }

  destroy() {
    this.el.remove();
    this.sections.clear();
  }
}

/** Make parent's children exactly `kids` (in order), touching the DOM only where they differ. */
export function syncChildren(parent: HTMLElement, kids: HTMLElement[]) {
  const cur = parent.children;
  let same = cur.length === kids.length;
  for (let i = 0; same && i < kids.length; i++) same = cur[i] === kids[i];
  if (same) return;
  const keep = new Set(kids);
  for (const c of [...cur]) if (!keep.has(c as HTMLElement)) c.remove();
  kids.forEach((k, i) => {
    if (parent.children[i] !== k) parent.insertBefore(k, parent.children[i] ?? null);
  });
}
