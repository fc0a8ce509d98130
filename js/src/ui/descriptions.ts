// Tag descriptions (TensorFlow's `description=`, tensorboardX's `display_name=` and
// `summary_description=`): a card whose tag has one gets an info button at the end of its title, which
// opens the description under the heading, rendered as sanitized markdown, as TensorBoard's
// cards do. Cards mark their title with `describable`; `describeCards` adds the buttons, so a
// description that arrives after its card was drawn still reaches it.

import type { TagDescription } from "../protocol";
import { h, icon } from "./dom";
import { escapeHtml, renderMarkdown } from "./markdown";

const TAG_ATTR = "data-describe-tag";
const INFO = ["M8 14.5a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13Z", "M8 7.2v4.3", "M8 4.6v.4"];

/** Attributes of a card title for `describeCards`: spread into `h("span", {...})`. */
export const describable = (tag: string) => ({ [TAG_ATTR]: tag });

/** What a description's box shows: the display name (when it is not the tag), then the markdown. */
export function descriptionHtml(d: TagDescription): string {
  const name = d.displayName && d.displayName !== d.tag ? `<p><strong>${escapeHtml(d.displayName)}</strong></p>` : "";
  return name + (d.description ? renderMarkdown(d.description) : "");
}

/** Give each marked card title under `root` the info button of its tag's description (once per description). */
export function describeCards(root: ParentNode, descriptions: ReadonlyMap<string, TagDescription>) {
  if (!descriptions.size) return;
  for (const title of root.querySelectorAll<HTMLElement>(`[${TAG_ATTR}]`)) {
    const d = descriptions.get(title.getAttribute(TAG_ATTR) ?? "");
    const key = d ? `${d.displayName}\u0000${d.description}` : "";
    if ((title.dataset.described ?? "") === key) continue;
    title.dataset.described = key;
    const head = title.closest(".cb-card-head");
    // a changed description replaces the button and box this title had
    title.querySelector(":scope > .cb-desc-btn")?.remove();
    if (head?.nextElementSibling?.classList.contains("cb-card-desc")) head.nextElementSibling.remove();
    if (!d || !head) continue;
    const label = d.description || d.displayName;
    const btn = h("button", {
      class: "cb-icon cb-desc-btn", type: "button", title: label, "aria-label": "Description", "aria-expanded": "false",
    });
    btn.append(icon(INFO));
    const box = h("div", { class: "cb-card-desc cb-md", hidden: true });
    box.innerHTML = descriptionHtml(d); // sanitized by renderMarkdown; the display name escaped
    btn.addEventListener("click", (e) => {
      e.stopPropagation(); // not a click on the card (some cards expand on one)
      box.hidden = !box.hidden;
      btn.setAttribute("aria-expanded", String(!box.hidden));
    });
    title.append(btn);
    head.after(box);
  }
}
