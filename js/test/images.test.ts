import { describe, expect, it } from "vitest";
import { fitScale, imageFilter, imageInfo, stepLabel } from "../src/kinds/images";

describe("images", () => {
  it("builds the brightness/contrast filter", () => {
    expect(imageFilter(1, 1)).toBe("none");
    expect(imageFilter(1.5, 1)).toBe("brightness(1.5) contrast(1)");
    expect(imageFilter(0.333333, 2.5)).toBe("brightness(0.333) contrast(2.5)");
    expect(imageFilter(-1, Number.NaN)).toBe("brightness(0) contrast(1)");
  });

  it("fits an image to a box (scale up small ones, down large ones)", () => {
    expect(fitScale(28, 28, 280, 400)).toBe(10);
    expect(fitScale(1000, 500, 250, 400)).toBe(0.25);
    expect(fitScale(100, 400, 300, 200)).toBe(0.5); // limited by height
    expect(fitScale(0, 10, 100, 100)).toBe(1);
  });

  it("labels the step and the sample within a step", () => {
    const recs = [{ step: 0 }, { step: 10 }, { step: 10 }, { step: 10 }, { step: 20 }];
    expect(stepLabel(recs, 0)).toBe("step 0");
    expect(stepLabel(recs, 2)).toBe("step 10  (sample 2/3)");
    expect(stepLabel(recs, 4)).toBe("step 20");
    expect(stepLabel(recs, 9)).toBe("");
  });

  it("shows the wall time and size of the image shown", () => {
    const s = imageInfo({ wall: 1.7e9, width: 64, height: 32 });
    expect(s).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}· {2}64×32$/);
    expect(imageInfo({ wall: Number.NaN, width: 0, height: 0 })).toBe("");
  });
});
