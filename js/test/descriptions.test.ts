// @vitest-environment jsdom
// Card descriptions: the info button and its box, sanitized markdown, added to cards drawn before
// their description arrived, and replaced when it changes.
import { describe, expect, it } from "vitest";
import type { TagDescription } from "../src/protocol";
import { describable, describeCards, descriptionHtml } from "../src/ui/descriptions";
import { h } from "../src/ui/dom";

const d = (tag: string, description: string, displayName = ""): TagDescription => ({ run: "r", tag, displayName, description });

function card(tag: string): HTMLElement {
  return h("div", { class: "cb-card" }, h("div", { class: "cb-card-head" }, h("span", { class: "cb-card-title", ...describable(tag) }, tag)));
}

describe("describeCards", () => {
  it("gives a described tag's cards an info button that opens the rendered description", () => {
    const root = h("div", {}, card("loss"), card("acc"));
    describeCards(root, new Map([["loss", d("loss", "Training **loss** <img src=x onerror=alert(1)>")]]));
    const [loss, acc] = root.querySelectorAll<HTMLElement>(".cb-card");
    expect(acc.querySelector(".cb-desc-btn")).toBe(null);
    const btn = loss.querySelector<HTMLButtonElement>(".cb-card-title > .cb-desc-btn")!;
    const box = loss.querySelector<HTMLElement>(".cb-card-head + .cb-card-desc")!;
    expect(box.hidden).toBe(true);
    btn.click();
    expect([box.hidden, btn.getAttribute("aria-expanded")]).toEqual([false, "true"]);
    expect(box.querySelector("strong")?.textContent).toBe("loss");
    expect(box.querySelector("img")).toBe(null); // raw HTML stays text
    btn.click();
    expect(box.hidden).toBe(true);
  });

  it("is idempotent, reaches cards drawn earlier, and replaces a changed description", () => {
    const root = h("div", {}, card("loss"));
    describeCards(root, new Map());
    expect(root.querySelector(".cb-desc-btn")).toBe(null);
    const map = new Map([["loss", d("loss", "first")]]);
    describeCards(root, map);
    describeCards(root, map);
    expect(root.querySelectorAll(".cb-desc-btn").length).toBe(1);
    describeCards(root, new Map([["loss", d("loss", "second")]]));
    expect(root.querySelectorAll(".cb-desc-btn, .cb-card-desc").length).toBe(2);
    expect(root.querySelector(".cb-card-desc")?.textContent).toContain("second");
  });

  it("shows a display name that is not the tag, escaped, before the description", () => {
    expect(descriptionHtml(d("acc", "", "<b>Accuracy</b>"))).toBe("<p><strong>&lt;b&gt;Accuracy&lt;/b&gt;</strong></p>");
    expect(descriptionHtml(d("acc", "", "acc"))).toBe("");
  });
});
