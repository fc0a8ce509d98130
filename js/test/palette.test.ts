import { describe, expect, it } from "vitest";
import vector from "../../tests/palette_test_vector.json";
import { assignColors, colorIndex, fnv1a32, PALETTE_DARK, PALETTE_LIGHT, runColor } from "../src/ui/palette";
import { runColor as themeRunColor } from "../src/ui/theme";

// tests/palette_test_vector.json is also asserted by tests/test_snapshot.py against the Python
// implementation (board/snapshot.py): the same names get the same colours on both sides.
describe("run colours", () => {
  it("hashes names as the shared test vector says (FNV-1a 32 over UTF-8)", () => {
    expect(vector.palette_size).toBe(PALETTE_LIGHT.length);
    for (const c of vector.cases) {
      expect(fnv1a32(c.name), c.name).toBe(c.hash);
      expect(colorIndex(c.name), c.name).toBe(c.index);
    }
    // published FNV-1a 32-bit values
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
  });

  it("gives a run the colour of its name, light and dark, from one palette", () => {
    expect(PALETTE_DARK.length).toBe(PALETTE_LIGHT.length);
    for (const c of vector.cases) {
      expect(runColor(c.name, false)).toBe(PALETTE_LIGHT[c.index]);
      expect(runColor(c.name, true)).toBe(PALETTE_DARK[c.index]);
    }
    expect(themeRunColor).toBe(runColor); // one entry point
    for (const col of [...PALETTE_LIGHT, ...PALETTE_DARK]) expect(col).toMatch(/^#[0-9a-f]{6}$/);
  });

  it("does not depend on the order runs arrive in", () => {
    const names = ["fashion_mnist_experiment_1", "fashion_mnist_experiment_2", "b", "a"];
    const first = names.map((n) => runColor(n, false));
    const again = [...names].reverse().map((n) => runColor(n, false)).reverse();
    expect(again).toEqual(first);
  });

  it("gives runs shown together distinct colours, as the Python snapshot does", () => {
    for (const set of vector.sets) {
      const got = Object.fromEntries(assignColors(set.runs));
      expect(got).toEqual(set.indices);
      if (set.runs.length <= PALETTE_LIGHT.length) expect(new Set(Object.values(got)).size).toBe(set.runs.length);
    }
  });
});
