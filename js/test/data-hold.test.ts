import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DATA_HOLD_FACTOR, DATA_HOLD_MAX_MS, DATA_HOLD_MIN_FRAME_MS, DataHold } from "../src/ui/data-hold";

describe("redraws for new data after a costly frame", () => {
  let clock = 0;
  let frames = 0;
  const make = () => new DataHold(() => void frames++, () => clock);
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 1000;
    frames = 0;
  });
  afterEach(() => void vi.useRealTimers());
  const advance = (ms: number) => {
    clock += ms;
    vi.advanceTimersByTime(ms);
  };

  it("asks for a frame at once before any frame and after cheap ones", () => {
    const hold = make();
    hold.request();
    expect(frames).toBe(1);
    hold.painted(clock - (DATA_HOLD_MIN_FRAME_MS - 1)); // a frame just under the threshold
    hold.request();
    expect(frames).toBe(2);
    expect(hold.waiting).toBe(false);
  });

  it("waits DATA_HOLD_FACTOR times a costly frame after it, with one timer for many requests", () => {
    const hold = make();
    hold.painted(clock - 40); // the frame took 40 ms
    for (let i = 0; i < 5; i++) hold.request();
    expect(frames).toBe(0);
    expect(hold.waiting).toBe(true);
    advance(DATA_HOLD_FACTOR * 40 - 1);
    expect(frames).toBe(0);
    advance(1);
    expect(frames).toBe(1); // once, for all five
    expect(hold.waiting).toBe(false);
    hold.request(); // the hold is over: at once
    expect(frames).toBe(2);
  });

  it("never waits longer than DATA_HOLD_MAX_MS", () => {
    const hold = make();
    hold.painted(clock - 5000);
    hold.request();
    advance(DATA_HOLD_MAX_MS - 1);
    expect(frames).toBe(0);
    advance(1);
    expect(frames).toBe(1);
  });

  it("a frame coming anyway (input) drops the wait: nothing is drawn twice", () => {
    const hold = make();
    hold.painted(clock - 100);
    hold.request();
    expect(hold.waiting).toBe(true);
    hold.cancel(); // the view draws the input and the data in its next frame
    expect(hold.waiting).toBe(false);
    advance(DATA_HOLD_MAX_MS);
    expect(frames).toBe(0);
  });
});
