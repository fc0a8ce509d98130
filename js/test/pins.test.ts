import { describe, expect, it } from "vitest";
import { type AnyModel, hasOwn, readSettings, sameSetting, watchSettings } from "../src/settings";
import { PINNED, sectionsOrder } from "../src/ui/sections";

/** A model holding traits, with anywidget's change events. */
function fakeModel(traits: Record<string, unknown>) {
  const handlers = new Map<string, Set<() => void>>();
  const model = {
    get: (name: string) => traits[name],
    set: (name: string, value: unknown) => {
      traits[name] = value;
      for (const cb of handlers.get(`change:${name}`) ?? []) cb();
    },
    on: (event: string, cb: () => void) => {
      if (!handlers.has(event)) handlers.set(event, new Set());
      handlers.get(event)!.add(cb);
    },
    off: (event: string, cb: () => void) => handlers.get(event)?.delete(cb),
  };
  return model as unknown as AnyModel & { set(name: string, value: unknown): void };
}

describe("pinned scalar tags (a synced setting)", () => {
  it("reads a list of tags: each once, strings only; anything else is no pins", () => {
    expect(readSettings(fakeModel({})).pinned).toEqual([]);
    expect(readSettings(fakeModel({ pinned: ["loss", 3, "acc", "loss", null] })).pinned).toEqual(["loss", "acc"]);
    expect(readSettings(fakeModel({ pinned: "loss" })).pinned).toEqual([]);
  });

  it("each board starts from its own list (the defaults' list is never shared)", () => {
    const a = readSettings(fakeModel({}));
    a.pinned.push("x");
    expect(readSettings(fakeModel({})).pinned).toEqual([]);
  });

  it("a trait change is applied once per new list, not for an equal list sent again", () => {
    const model = fakeModel({ pinned: ["loss"] });
    const settings = readSettings(model);
    const seen: string[] = [];
    const stop = watchSettings(model, settings, (name) => seen.push(name));
    model.set("pinned", ["loss"]); // the same tags in a new array (as a kernel's echo arrives)
    expect(seen).toEqual([]);
    model.set("pinned", ["acc", "loss"]);
    expect(seen).toEqual(["pinned"]);
    expect(settings.pinned).toEqual(["acc", "loss"]);
    stop();
    model.set("pinned", []);
    expect(seen).toEqual(["pinned"]);
  });

  it("compares lists element by element and other values as they are", () => {
    expect(sameSetting(["a", "b"], ["a", "b"])).toBe(true);
    expect(sameSetting(["a", "b"], ["b", "a"])).toBe(false);
    expect(sameSetting(["a"], ["a", "b"])).toBe(false);
    expect(sameSetting(0.6, 0.6)).toBe(true);
    expect(sameSetting("step", "wall")).toBe(false);
  });
});

describe("run colours the user chose (a synced setting)", () => {
  it("reads {run: \"#rrggbb\"}, lowercased, dropping what is not such a colour", () => {
    expect(readSettings(fakeModel({})).run_colors).toEqual({});
    const model = fakeModel({ run_colors: { a: "#FF0000", b: "red", c: 3, d: "#12345", e: "#00aa11" } });
    expect(readSettings(model).run_colors).toEqual({ a: "#ff0000", e: "#00aa11" });
    expect(readSettings(fakeModel({ run_colors: ["#ff0000"] })).run_colors).toEqual({});
    // runs named like Object.prototype's members are runs like any other
    const odd = readSettings(fakeModel({ run_colors: JSON.parse('{"__proto__": "#00FF00", "x": "#000000"}') })).run_colors;
    expect(Object.keys(odd).sort()).toEqual(["__proto__", "x"]);
    expect(Object.getOwnPropertyDescriptor(odd, "__proto__")?.value).toBe("#00ff00");
    expect(hasOwn(odd, "constructor")).toBe(false);
  });

  it("a trait change is applied once per new mapping, not for an equal one sent again", () => {
    const model = fakeModel({ run_colors: { a: "#ff0000" } });
    const settings = readSettings(model);
    const seen: string[] = [];
    watchSettings(model, settings, (name) => seen.push(name));
    model.set("run_colors", { a: "#ff0000" });
    expect(seen).toEqual([]);
    model.set("run_colors", { a: "#00ff00" });
    model.set("run_colors", { a: "#00ff00", b: "#0000ff" });
    expect(seen).toEqual(["run_colors", "run_colors"]);
    expect(sameSetting({ a: "#1" }, { b: "#1" })).toBe(false);
    expect(sameSetting({}, [])).toBe(false);
  });
});

describe("sections order", () => {
  it("puts the pinned section first and the unnamed group last", () => {
    expect(sectionsOrder(["train", "", PINNED, "eval"])).toEqual([PINNED, "eval", "train", ""]);
    expect(sectionsOrder(["b", "a"])).toEqual(["a", "b"]);
  });
});
