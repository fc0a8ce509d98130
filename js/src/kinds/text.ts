// Text: a card per (run, tag) listing its records newest first, each rendered from Markdown to
// sanitized HTML (ui/markdown.ts: markdown-it with raw HTML off, then DOMPurify; remote images are
// placeholders, long texts plain text). Rendered once per record, when first shown. A string
// tensor of rank 1 or 2 arrives as `table` (rows of markdown cells): a table without a header,
// each cell rendered on its own, as TensorBoard shows it; `note` says what a higher rank left out.
// "Enable Markdown" off (TensorBoard's toggle) shows every text as it was logged: a config dump or
// a classification report keeps its line breaks, underscores and asterisks.
// Wire: `{..., text, table?, note?}` (markdown source), no buffer.

import { h } from "../ui/dom";
import { fmtWall } from "../ui/format";
import { escapeHtml, renderMarkdown } from "../ui/markdown";
import { cardHead, RecordsPanel, type RecordCard } from "../ui/records-panel";
import { str } from "../wire";
import { recordCount, recordKind, type RecordKind, type RecordList, type RecordSlice } from "./record-kind";
import { DASHBOARD_ORDER, type PanelContext, type RecordEntry } from "./types";

export interface TextRecord extends RecordEntry {
  text: string;
  /** Rows of markdown cells (a rank 1+ string tensor), or null. */
  table: string[][] | null;
  note: string;
}

function decodeTable(v: unknown): string[][] | null {
  if (!Array.isArray(v)) return null;
  return v.map((row) => (Array.isArray(row) ? row.map((c) => str(c) ?? "") : [str(row) ?? ""]));
}

export const text: RecordKind<TextRecord> = recordKind<TextRecord>({
  name: "text",
  label: "Text",
  order: DASHBOARD_ORDER.text,
  decode: (e, _buffers, base) => ({ ...base, text: str(e.text) ?? "", table: decodeTable(e.table), note: str(e.note) ?? "" }),
  createPanel: (ctx, records) => new TextPanel(ctx, records),
  hooks: (store) => ({ textCount: String(recordCount(store, text)) }),
});

const PAGE = 20;
const html = new WeakMap<TextRecord, string>();

/** The record's HTML: its markdown, or its table of separately rendered (sanitized) cells. */
export function renderText(rec: Pick<TextRecord, "text" | "table" | "note">, markdown = true): string {
  const cell = markdown ? renderMarkdown : plain;
  if (rec.table === null) return cell(rec.text);
  const rows = rec.table.map((row) => `<tr>${row.map((c) => `<td>${cell(c)}</td>`).join("")}</tr>`);
  const note = rec.note ? `<p class="cb-md-note">${escapeHtml(rec.note)}</p>` : "";
  return `${note}<table class="cb-text-table"><tbody>${rows.join("")}</tbody></table>`;
}

/** Text as it was logged: escaped, in a block that keeps its line breaks and spaces. */
function plain(text: string): string {
  return `<pre class="cb-md-plain">${escapeHtml(text)}</pre>`;
}

function rendered(rec: TextRecord, markdown: boolean): string {
  if (!markdown) return renderText(rec, false); // escaping is cheap: not kept
  let s = html.get(rec);
  if (s === undefined) html.set(rec, (s = renderText(rec)));
  return s;
}

interface TextOptions {
  markdown: boolean;
}

class TextCard implements RecordCard<TextRecord> {
  readonly el: HTMLElement;
  private readonly listEl: HTMLElement;
  private readonly more: HTMLButtonElement;
  private limit = PAGE;
  private list: RecordList<TextRecord> | null = null;

  constructor(ctx: PanelContext, list: RecordList<TextRecord>, private readonly opts: TextOptions) {
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
      body.innerHTML = rendered(r, this.opts.markdown);
      return h("div", { class: "cb-text-entry" },
        h("div", { class: "cb-text-step", title: fmtWall(r.wall), text: `step ${r.step}` }), body);
    }));
    const hidden = recs.length - shown.length;
    this.more.hidden = hidden <= 0;
    this.more.textContent = `show ${Math.min(hidden, 5 * PAGE)} older (${hidden} more)`;
  }

  /** Render the shown records again (the markdown option changed). */
  redraw() {
    if (this.list) this.update(this.list);
  }

  destroy() {
    this.el.remove();
  }
}

class TextPanel extends RecordsPanel<TextRecord> {
  private readonly opts: TextOptions = { markdown: true };
  private readonly controls: HTMLElement;
  private readonly markdownBox: HTMLInputElement;

  constructor(ctx: PanelContext, records: RecordSlice<TextRecord>) {
    super(ctx, records, { kind: "text" });
    this.markdownBox = h("input", { type: "checkbox", checked: true });
    this.markdownBox.addEventListener("change", () => {
      this.opts.markdown = this.markdownBox.checked;
      for (const c of this.cards.values()) if (c instanceof TextCard) c.redraw();
    });
    this.controls = h("div", { class: "cb-side-section cb-text-settings" },
      h("div", { class: "cb-side-title", text: "Text" }),
      h("label", { class: "cb-field", title: "Off: each text as it was logged, line breaks and all, without markdown's formatting" },
        this.markdownBox, h("span", { text: "Enable Markdown" })));
  }

  override settingsEl() {
    return this.controls;
  }

  override syncControls() {
    this.markdownBox.checked = this.opts.markdown;
  }

  protected makeCard(list: RecordList<TextRecord>) {
    return new TextCard(this.ctx, list, this.opts);
  }
}
