// Input-to-paint of user input on a cellboard view, from its `cellboard:render` events.
// A classic script (no import/export) so that it runs both in the harness page and as an init
// script injected into a real JupyterLab page (benchmarks/bench_jupyter.py): index.html loads it
// before harness.js, and it defines the global `cellboardTrackInputToPaint`.
// @ts-check

/**
 * Times inputs that changed something on a board under `root`: a keydown followed by an `input`
 * event, a click followed by `input`/`change` (Ctrl+A changes nothing, and would otherwise be
 * timed up to the next key's redraw). An input's time runs from its event's timestamp to the first
 * paint in which every chart in view shows it. The board's handling of the input is over by the
 * start of the first redraw after it: that start is the input's `after`, and the input is shown
 * by the first redraw that leaves nothing in view older than `after` (the render event's
 * `oldest`; a panel without it: until no redraw work is left at all). Data arriving later does
 * not hold an input's figure back: that is the next change, not this one. `root` may be the
 * board's element or the whole document: keydown, click and `cellboard:render` (which does not
 * bubble) are caught while capturing, `input` and `change` once bubbled, after the board's own
 * handlers.
 * @param {EventTarget} root
 * @param {() => string} phase the phase an input is counted in (e.g. "arriving", "idle")
 * @param {(input: { what: string, label: string, phase: string, ms: number }) => void} record
 * @returns {() => void} removes the listeners
 */
// biome-ignore lint/correctness/noUnusedVariables: a global, called from harness.js and the benchmarks
function cellboardTrackInputToPaint(root, phase, record) {
  /** @typedef {{ what: string, label: string, t: number, phase: string, after: number | null }} Pending */
  /** @type {Pending[]} */
  let waiting = [];
  /** @type {Pending | null} */
  let last = null;
  /** @param {string} what */
  const onInput = (what) => (/** @type {Event} */ e) => {
    const target = /** @type {HTMLElement | null} */ (e.target);
    const label = target?.getAttribute?.("aria-label") || /** @type {HTMLInputElement} */ (target)?.type || target?.tagName || "";
    last = { what, label, t: e.timeStamp, phase: phase(), after: null };
  };
  const onChange = () => {
    if (!last) return;
    waiting.push(last);
    last = null;
  };
  const onRender = (/** @type {Event} */ ev) => {
    const e = /** @type {CustomEvent<{ ms?: number, pending?: boolean, oldest?: number } | undefined>} */ (ev);
    const start = performance.now() - (e.detail?.ms ?? 0);
    for (const w of waiting) w.after ??= start;
    const oldest = e.detail?.oldest ?? (e.detail?.pending ? -Infinity : Infinity);
    const shown = (/** @type {Pending} */ w) => w.after !== null && oldest > w.after;
    const done = waiting.filter(shown);
    if (!done.length) return;
    waiting = waiting.filter((w) => !shown(w));
    // a task posted from the frame's callbacks runs after that frame is painted
    setTimeout(() => {
      const now = performance.now();
      for (const w of done) record({ what: w.what, label: w.label, phase: w.phase, ms: now - w.t });
    }, 0);
  };
  const listeners = /** @type {[string, EventListener, boolean][]} */ ([
    ["keydown", onInput("key"), true],
    ["click", onInput("click"), true],
    ["input", onChange, false],
    ["change", onChange, false],
    ["cellboard:render", onRender, true],
  ]);
  for (const [type, fn, capture] of listeners) root.addEventListener(type, fn, capture);
  return () => {
    for (const [type, fn, capture] of listeners) root.removeEventListener(type, fn, capture);
  };
}
