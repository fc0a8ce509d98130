// Text: a card per (run, tag) listing its records newest first, each rendered from Markdown to
// sanitized HTML (ui/markdown.ts: markdown-it with raw HTML off, then DOMPurify; remote images are
// placeholders, long texts plain text). Rendered once per record, when first shown.
// Wire: `{..., text}` (markdown source), no buffer.

import { h } from "../ui/dom";
import { fmtWall } from "../ui/format";
import { renderMarkdown } from "../ui/markdown";
import { cardHead, RecordsPanel, type RecordCard } from "../ui/records-panel";
import { str } from "../wire";
import { recordCount, recordKind, type RecordKind, type RecordList, type RecordSlice } from "./record-kind";
import { DASHBOARD_ORDER, type PanelContext, type RecordEntry } from "./types";

export interface TextRecord extends RecordEntry {
  text: string;
}

export const text: RecordKind<TextRecord> = recordKind<TextRecord>({
  name: "text",
  label: "Text",
  order: DASHBOARD_ORDER.text,
  decode: (e, _buffers, base) => ({ ...base, text: str(e.text) ?? "" }),
  createPanel: (ctx, records) => new TextPanel(ctx, records),
  hooks: (store) => ({ textCount: String(recordCount(store, text)) }),
});

const PAGE = 20;
const html = new WeakMap<TextRecord, string>();

function rendered(rec: TextRecord): string {
  let s = html.get(rec);
  if (s === undefined) html.set(rec, (s = renderMarkdown(rec.text)));
  return s;
}

class TextCard implements RecordCard<TextRecord> {
  readonly el: HTMLElement;
  private readonly listEl: HTMLElement;
  private readonly more: HTMLButtonElement;
  private limit = PAGE;
  private list: RecordList<TextRecord> | null = null;

  constructor(ctx: PanelContext, list: RecordList<TextRecord>) {
    this.listEl = h("div", { class: "cb-text-list" });
    this.more = h("button", { class: "cb-linkbtn cb-more", type: "button" });
    this.more.addEventListener("click", () => {
      this.limit += 5 * PAGE;
      if (this.list) this.update(this.list);
    });
    this.el = h("div", { class: "cb-card cb-text-card" }, cardHead(ctx, list.run, list.tag), this.listEl, this.more);
  }

  update(list: RecordList<TextRecord>) {
    this.list = list;
    const recs = list.list();
    const shown = recs.slice(-this.limit).reverse();
    this.listEl.replaceChildren(...shown.map((r) => {
      const body = h("div", { class: "cb-md" });
      body.innerHTML = rendered(r);
      return h("div", { class: "cb-text-entry" },
        h("div", { class: "cb-text-step", title: fmtWall(r.wall), text: `step ${r.step}` }), body);
    }));
    const hidden = recs.length - shown.length;
    this.more.hidden = hidden <= 0;
    this.more.textContent = `show ${Math.min(hidden, 5 * PAGE)} older (${hidden} more)`;
  }

  destroy() {
    this.el.remove();
  }
}

class TextPanel extends RecordsPanel<TextRecord> {
  constructor(ctx: PanelContext, records: RecordSlice<TextRecord>) {
    super(ctx, records, { kind: "text" });
  }

  protected makeCard(list: RecordList<TextRecord>) {
    return new TextCard(this.ctx, list);
  }
}
