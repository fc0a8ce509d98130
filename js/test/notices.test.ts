// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { NoticeBanner } from "../src/ui/notices";

describe("the notices banner", () => {
  it("lists unreadable files and what this view could not show", () => {
    const b = new NoticeBanner();
    b.update([], new Map());
    expect(b.el.hidden).toBe(true);
    b.update([{ source: "a/events.out", message: "truncated" }], new Map([["embeddings: column label needs 3 values", 2]]));
    expect(b.el.hidden).toBe(false);
    expect(b.el.querySelector("summary")?.textContent).toBe("Could not read 1 file; could not show 2 entries");
    const items = [...b.el.querySelectorAll("li")].map((li) => li.textContent);
    expect(items).toEqual(["a/events.out: truncated", "this view: embeddings: column label needs 3 values (2 times)"]);
    b.update([], new Map([["x", 1]]));
    expect(b.el.querySelector("summary")?.textContent).toBe("Could not show 1 entry");
  });
});
