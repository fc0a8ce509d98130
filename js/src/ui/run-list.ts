// The sidebar's run list: a checkbox per run, updated in place. Elements are kept per run name,
// so a click on a checkbox is never lost to a rebuild while runs keep appearing. Names are shown
// in full, wrapped (as TensorBoard does): runs often differ only at the end of long names.

import { isHexColor } from "../settings";
import { h } from "./dom";
import { syncChildren } from "./sections";

/** Characters after which a long name may break (besides anywhere, as a last resort). */
const BREAK_AFTER = /([/_\-.=,:;+@\\])/;

/**
 * A name as text with line-break opportunities (<wbr>) after separators, so that a long run
 * name or tag wraps at `/`, `_`, `-`, `.`, `=` rather than mid-word.
 */
export function breakable(name: string): DocumentFragment {
  const f = document.createDocumentFragment();
  for (const part of name.split(BREAK_AFTER)) {
    if (!part) continue;
    f.append(part);
    if (BREAK_AFTER.test(part) && part.length === 1) f.append(document.createElement("wbr"));
  }
  return f;
}

interface Item {
  li: HTMLLIElement;
  label: HTMLLabelElement;
  box: HTMLInputElement;
  swatch: HTMLElement;
  picker: HTMLInputElement;
}

export interface RunListHost {
  runColor(run: string): string;
  isOn(run: string): boolean;
  /** The user toggled a run's checkbox. */
  toggle(run: string, on: boolean): void;
  /** The user picked a colour for a run ("#rrggbb"); `done`: the picker was closed on it. */
  chooseColor(run: string, color: string, done: boolean): void;
}

export class RunList {
  readonly el = h("ul", { class: "cb-runs" });
  private readonly items = new Map<string, Item>();
  private readonly hiddenNote = h("li", { class: "cb-muted" });

  constructor(private readonly host: RunListHost) {}

  private item(run: string): Item {
    let it = this.items.get(run);
    if (it) return it;
    const box = h("input", { type: "checkbox" });
    box.addEventListener("change", () => this.host.toggle(run, box.checked));
    const swatch = h("span", { class: "cb-swatch" });
    const label = h("label", { class: "cb-run", title: run, "data-run": run }, box, swatch,
      h("span", { class: "cb-run-name" }, breakable(run)));
    // an invisible colour input over the swatch (TensorBoard's run colour picker): a click there
    // opens the browser's picker. Outside the label, so that it neither toggles the run nor adds
    // its value to the checkbox's accessible name.
    const picker = h("input", {
      type: "color", class: "cb-color-pick", title: `Colour of ${run}`, "aria-label": `Colour of ${run}`,
    });
    picker.addEventListener("input", () => this.host.chooseColor(run, picker.value, false));
    picker.addEventListener("change", () => this.host.chooseColor(run, picker.value, true));
    it = { li: h("li", { class: "cb-run-item" }, label, picker), label, box, swatch, picker };
    this.items.set(run, it);
    return it;
  }

  /** Show `shown` (in order) of all `runs`; colours and checkboxes follow the host. */
  update(runs: readonly string[], shown: readonly string[]) {
    const known = new Set(runs);
    for (const run of [...this.items.keys()]) if (!known.has(run)) this.items.delete(run);
    const kids: HTMLElement[] = [];
    for (const run of shown) {
      const it = this.item(run);
      const on = this.host.isOn(run);
      if (it.box.checked !== on) it.box.checked = on;
      const color = this.host.runColor(run);
      if (it.box.style.accentColor !== color) {
        it.box.style.accentColor = color;
        it.swatch.style.background = color;
        if (isHexColor(color)) it.picker.value = color;
      }
      it.label.classList.toggle("cb-off", !on);
      kids.push(it.li);
    }
    const hidden = runs.length - shown.length;
    if (hidden > 0) {
      this.hiddenNote.textContent = `${hidden} hidden by the filter`;
      kids.push(this.hiddenNote);
    }
    syncChildren(this.el, kids);
  }
}
