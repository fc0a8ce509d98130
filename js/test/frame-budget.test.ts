import { describe, expect, it } from "vitest";
import {
  FRAME_MEASURE_MIN_MS, FRAME_SCRIPT_MAX_MS, FRAME_SCRIPT_MIN_MS, FRAME_TASK_AIM_MS, FrameBudget,
} from "../src/ui/frame-budget";

/** A budget past its first frame, measured on frames that cost `ratio` times their script. */
function measured(ratio: number, frames = 20): FrameBudget {
  const b = new FrameBudget();
  b.begin(); // the board's first frame
  for (let i = 0; i < frames; i++) b.frame(20, 20 * ratio);
  b.begin(); // a frame for new data alone
  return b;
}

describe("the script time a frame may spend drawing charts", () => {
  it("is the most until frames are measured, and while rasterising costs no more than the script", () => {
    expect(new FrameBudget().scriptMs).toBe(FRAME_SCRIPT_MAX_MS);
    expect(measured(1.8).scriptMs).toBe(FRAME_SCRIPT_MAX_MS);
  });

  it("shrinks for new data alone so that costly frames stay near the aim", () => {
    const b = measured(2, 0);
    b.frame(30, 90); // a frame cost 3x its script: one such frame moves the ratio halfway
    expect(b.scriptMs).toBeCloseTo(FRAME_TASK_AIM_MS / 2.5, 6);
    expect(measured(3).scriptMs).toBeCloseTo(FRAME_TASK_AIM_MS / 3, 4);
  });

  it("grows back when frames get cheaper, and never drops under the least", () => {
    const b = measured(20);
    expect(b.scriptMs).toBe(FRAME_SCRIPT_MIN_MS);
    for (let i = 0; i < 20; i++) b.frame(20, 30);
    expect(b.scriptMs).toBe(FRAME_SCRIPT_MAX_MS);
  });

  it("is the most for frames that answer input, and for the work they leave to the next frames", () => {
    const b = measured(4);
    expect(b.scriptMs).toBeCloseTo(FRAME_TASK_AIM_MS / 4, 4);
    b.askInput(); // a click
    b.begin();
    expect(b.scriptMs).toBe(FRAME_SCRIPT_MAX_MS);
    b.askMore(); // that frame left charts to draw
    b.begin();
    expect(b.scriptMs).toBe(FRAME_SCRIPT_MAX_MS);
    b.begin(); // then new data alone
    expect(b.scriptMs).toBeCloseTo(FRAME_TASK_AIM_MS / 4, 4);
    b.askMore(); // the work a data frame leaves is still for data alone
    b.begin();
    expect(b.scriptMs).toBeCloseTo(FRAME_TASK_AIM_MS / 4, 4);
    b.askMore(); // input while a data frame left work: the next frame answers input
    b.askInput();
    b.begin();
    expect(b.scriptMs).toBe(FRAME_SCRIPT_MAX_MS);
  });

  it("ignores frames of little script (their fixed costs say nothing of rasterising) and bad figures", () => {
    const b = measured(1, 0);
    b.frame(FRAME_MEASURE_MIN_MS - 1, 200);
    b.frame(Number.NaN, 100);
    b.frame(30, 10); // a total under the script: a clock oddity
    expect(b.scriptMs).toBe(FRAME_SCRIPT_MAX_MS);
  });
});
