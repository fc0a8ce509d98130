// A small banner at the top of the board listing what could not be read (store.notices):
// "Could not read 2 files", expandable to `source: message` lines, with a close button; and what
// this view received but could not show (store.viewProblems: "could not show 3 entries").
// Dismissing hides it until the list changes.

import type { Notice } from "../protocol";
import { h } from "./dom";

export class NoticeBanner {
  readonly el = h("div", { class: "cb-notices", role: "status", hidden: true });
  private readonly summary = h("summary");
  private readonly list = h("ul");
  private readonly details = h("details", {}, this.summary, this.list);
  private shownKey = "";
  private dismissedKey: string | null = null;

  constructor() {
    const close = h("button", { class: "cb-icon cb-notice-close", type: "button", title: "Dismiss", "aria-label": "Dismiss", text: "×" });
    close.addEventListener("click", () => {
      this.dismissedKey = this.shownKey;
      this.el.hidden = true;
    });
    this.el.append(this.details, close);
  }

  update(notices: readonly Notice[], viewProblems: ReadonlyMap<string, number> = new Map()) {
    const problems = [...viewProblems];
    const key = JSON.stringify([notices.map((n) => [n.source, n.message]), problems]);
    if (key !== this.shownKey) {
      this.shownKey = key;
      const n = notices.length;
      const shown = problems.reduce((a, [, c]) => a + c, 0);
      const parts = [
        ...(n ? [`Could not read ${n} file${n === 1 ? "" : "s"}`] : []),
        ...(shown ? [`${n ? "could" : "Could"} not show ${shown} entr${shown === 1 ? "y" : "ies"}`] : []),
      ];
      this.summary.textContent = parts.join("; ");
      this.list.replaceChildren(
        ...notices.map((x) => h("li", {}, h("code", { text: x.source }), x.message ? `: ${x.message}` : "")),
        ...problems.map(([message, count]) =>
          h("li", {}, h("code", { text: "this view" }), `: ${message}${count > 1 ? ` (${count} times)` : ""}`)),
      );
    }
    this.el.hidden = (notices.length === 0 && problems.length === 0) || key === this.dismissedKey;
  }
}
