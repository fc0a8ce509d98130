// How long a frame's script may draw charts before the rest wait for the next frame. The script
// is only part of a frame's cost: the canvases it drew are rasterised afterwards, in the same
// main-thread task (headless Chromium, and browsers without GPU raster, do it on the CPU), and
// that part grows with what was drawn. Frames for new data alone size their script from the
// frames before, so that they stay short while data streams in; frames that answer input draw
// as much as they may, since splitting them would delay what the user waits for.

/** The most script time a frame spends drawing charts (ms); frames that answer input get it. */
export const FRAME_SCRIPT_MAX_MS = 30;
/** The least: however costly the rasterising, a frame still draws (one chart is always drawn). */
export const FRAME_SCRIPT_MIN_MS = 10;
/** What a whole frame for new data alone should cost at most (ms): under the 100 ms a click may
 * wait behind it, with margin. */
export const FRAME_TASK_AIM_MS = 60;
/** Frames whose script took less than this say little about the ratio (fixed costs dominate). */
export const FRAME_MEASURE_MIN_MS = 10;

export class FrameBudget {
  /** A whole frame's cost per ms of its script (moving average); 2 until measured. */
  private ratio = 2;
  private askedInput = true; // (a board's first frames draw at once)
  private askedMore = false;
  /** Whether the frame being drawn answers input. */
  private input = true;

  /** A frame was asked for by input (or anything but new data alone). */
  askInput() {
    this.askedInput = true;
  }

  /** A frame left work for the next one (asked while it was drawing). */
  askMore() {
    this.askedMore = true;
  }

  /** A frame begins: it answers input if input asked for it, or if it goes on with work left by
   * a frame that did; otherwise it is for new data alone. */
  begin() {
    this.input = this.askedInput || (this.askedMore && this.input);
    this.askedInput = this.askedMore = false;
  }

  /** A frame was painted: its script took `script` ms, the frame `total` ms (script included). */
  frame(script: number, total: number) {
    if (!(script >= FRAME_MEASURE_MIN_MS) || !(total >= script)) return;
    this.ratio = 0.5 * this.ratio + 0.5 * (total / script);
  }

  /** The script time (ms) the frame being drawn may spend drawing. */
  get scriptMs(): number {
    if (this.input) return FRAME_SCRIPT_MAX_MS;
    return Math.min(FRAME_SCRIPT_MAX_MS, Math.max(FRAME_SCRIPT_MIN_MS, FRAME_TASK_AIM_MS / this.ratio));
  }
}
