import { describe, expect, it } from "vitest";
import { isolatedPoints } from "../src/kinds/scalars/chart";

const id = (v: number) => v;

describe("isolated points (drawn as dots)", () => {
  it("finds a one-point series among empty slots", () => {
    const xs = [0, 1, 2, 3, 4, 5];
    expect(isolatedPoints(xs, [undefined, undefined, 3, undefined, undefined, undefined], id, id)).toEqual([2]);
  });

  it("finds points between gaps (NaN) but not points on a visible line", () => {
    const xs = [0, 10, 20, 30, 40, 50, 60];
    const ys = [1, 2, null, 5, null, 7, 8];
    expect(isolatedPoints(xs, ys, id, id)).toEqual([3]);
  });

  it("treats a min/max pair within a pixel as one point", () => {
    const xs = [0, 0.5, 100, 100.5];
    // slots 0 and 1: the same value half a pixel apart: nothing visible to join
    expect(isolatedPoints(xs, [4, 4, undefined, undefined], id, id)).toEqual([0]);
    // a min/max pair far apart in y is a visible vertical segment
    expect(isolatedPoints(xs, [4, 40, undefined, undefined], id, id)).toEqual([]);
  });

  it("draws nothing extra for ordinary lines", () => {
    const xs = Array.from({ length: 50 }, (_, i) => i * 3);
    const ys = xs.map((x) => Math.sin(x) * 10);
    expect(isolatedPoints(xs, ys, id, id)).toEqual([]);
  });
});
