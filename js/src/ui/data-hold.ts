// When a board may redraw for new data alone: at the next frame after a cheap frame, or once a
// costly frame's hold is over. Input never waits (the view draws it at the next frame).

/**
 * After a frame that cost F ms on the main thread (from its animation-frame callback until a task
 * posted from it runs: script, style, layout, paint, the canvases' rasterising and the commit),
 * a redraw for new data alone waits until DATA_HOLD_FACTOR * F ms after it, so such redraws take
 * at most 1 / (1 + DATA_HOLD_FACTOR) of the main thread. Measured in a real JupyterLab opening
 * 100 runs x 20 tags (benchmarks/bench_jupyter.py): a frame there costs ~14 ms before any chart
 * is drawn (JupyterLab's whole page is re-layerised and committed), and redrawing at every
 * message took as much CPU as the kernel reading the directory, on the same two cores.
 */
export const DATA_HOLD_FACTOR = 3;
/** Frames cheaper than this hold nothing back: a live board of a few runs redraws at every message. */
export const DATA_HOLD_MIN_FRAME_MS = 16;
/** The longest new data waits for its redraw (ms). */
export const DATA_HOLD_MAX_MS = 1000;

export class DataHold {
  /** New data is not redrawn before this time (`now()`). */
  private until = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** `redraw`: ask for a frame (called at once, or when the hold is over). */
  constructor(private readonly redraw: () => void, private readonly now: () => number = () => performance.now()) {}

  /** A frame that began at `t0` has been painted (call from a task posted in that frame). */
  painted(t0: number) {
    const done = this.now(), cost = done - t0;
    this.until = cost < DATA_HOLD_MIN_FRAME_MS ? 0 : done + Math.min(DATA_HOLD_MAX_MS, DATA_HOLD_FACTOR * cost);
  }

  /** New data to draw: a frame now, or when the hold is over (one timer however many calls). */
  request() {
    if (this.timer) return;
    const wait = this.until - this.now();
    if (wait <= 0) {
      this.redraw();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.redraw();
    }, wait);
  }

  /** A frame is coming anyway (input, or the view's own work): nothing to wait for. */
  cancel() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Whether new data is waiting for its hold to end. */
  get waiting(): boolean {
    return this.timer !== null;
  }
}
