// A small banner at the top of the board listing what could not be read (store.notices):
// "Could not read 2 files", expandable to `source: message` lines, with a close button.
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

  update(notices: readonly Notice[]) {
    const key = JSON.stringify(notices.map((n) => [n.source, n.message]));
    if (key !== this.shownKey) {
      this.shownKey = key;
      const n = notices.length;
      this.summary.textContent = `Could not read ${n} file${n === 1 ? "" : "s"}`;
      this.list.replaceChildren(...notices.map((x) =>
        h("li", {}, h("code", { text: x.source }), x.message ? `: ${x.message}` : "")));
    }
    this.el.hidden = notices.length === 0 || key === this.dismissedKey;
  }
}
