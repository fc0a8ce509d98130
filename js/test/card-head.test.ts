// @vitest-environment jsdom
// A record card's head: a note passed among the extras flows with the tag and run names (wrapping
// below a long run name) instead of sitting beside them, where a long name cut it to "20 steps · …".
import { describe, expect, it } from "vitest";
import type { PanelContext } from "../src/kinds/types";
import { h } from "../src/ui/dom";
import { cardHead } from "../src/ui/records-panel";

const ctx = { runColor: () => "#123456" } as unknown as PanelContext;

describe("cardHead", () => {
  it("puts notes in the wrapping names, before the replaced note, and actions at the right", () => {
    const note = h("span", { class: "cb-card-note", text: "20 steps · 0–190" });
    const actions = h("span", { class: "cb-actions" });
    const head = cardHead(ctx, "resnet50_lr0.001_bs256_wd1e-4_cosine_warmup5_seed42", "grads/fc1", note, actions);
    const names = head.querySelector(".cb-card-names")!;
    expect([...names.children].map((c) => c.className)).toEqual([
      "cb-card-title", "cb-card-run", "cb-card-note", "cb-card-note cb-card-replaced",
    ]);
    expect([...head.children].map((c) => c.className)).toEqual(["cb-card-names", "cb-actions"]);
    expect(names.querySelector(".cb-card-run")?.getAttribute("data-run")).toBe("resnet50_lr0.001_bs256_wd1e-4_cosine_warmup5_seed42");
  });
});
