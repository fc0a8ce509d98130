// Visdom's properties pane: a table of editable values (text, number, button, checkbox, select).
// An edit is reported as Visdom's PropertyUpdate (propertyId, value) with Visdom's value types:
// text and number as the string typed (on Enter or leaving the field), a button "clicked", a
// checkbox its new state, a select the chosen index as a string. The pane shows what Python last
// set; a field being edited keeps what the user typed until it is left.

import { h } from "../../ui/dom";
import { isObj, type Obj } from "../../wire";

export type PropertyValue = string | boolean;

/** Visdom's number fields take digits and one dot (a leading minus too, here). */
const NUMBER = /^-?[0-9]*([.][0-9]*)?$/;

interface Prop {
  type: string;
  name: string;
  value: unknown;
  values: string[];
}

function props(list: unknown): Prop[] {
  if (!Array.isArray(list)) return [];
  return list.filter(isObj).map((p: Obj) => ({
    type: String(p.type ?? "text"), name: String(p.name ?? ""), value: p.value,
    values: Array.isArray(p.values) ? p.values.map(String) : [],
  }));
}

export class PropertiesPane {
  readonly el = h("table", { class: "cb-visdom-props" });
  private shape = "";
  private controls: (HTMLInputElement | HTMLButtonElement | HTMLSelectElement)[] = [];

  constructor(private readonly report: (propertyId: number, value: PropertyValue) => void) {}

  /** Show these properties: rebuilt when their types or names change, else only values updated. */
  update(list: unknown) {
    const ps = props(list);
    const shape = JSON.stringify(ps.map((p) => [p.type, p.name, p.values]));
    if (shape !== this.shape) {
      this.shape = shape;
      this.controls = ps.map((p, i) => this.control(p, i));
      this.el.replaceChildren(...ps.map((p, i) =>
        h("tr", {}, h("td", { class: "cb-visdom-prop-name", text: p.name }), h("td", {}, this.controls[i]))));
    }
    ps.forEach((p, i) => {
      this.show(this.controls[i], p);
    });
  }

  private show(c: HTMLInputElement | HTMLButtonElement | HTMLSelectElement, p: Prop) {
    if (c instanceof HTMLButtonElement) c.textContent = String(p.value ?? "");
    else if (c instanceof HTMLSelectElement) c.value = String(p.value ?? 0);
    else if (c.type === "checkbox") c.checked = p.value === true;
    else if (c.ownerDocument.activeElement !== c) {
      // a field being edited keeps what the user typed
      c.value = String(p.value ?? "");
      c.dataset.last = c.value;
    }
  }

  private control(p: Prop, i: number): HTMLInputElement | HTMLButtonElement | HTMLSelectElement {
    if (p.type === "button") {
      const b = h("button", { type: "button", class: "cb-btn" });
      b.addEventListener("click", () => this.report(i, "clicked"));
      return b;
    }
    if (p.type === "checkbox") {
      const c = h("input", { type: "checkbox" });
      c.addEventListener("change", () => this.report(i, c.checked));
      return c;
    }
    if (p.type === "select") {
      const s = h("select", {}, ...p.values.map((v, k) => h("option", { value: String(k), text: v })));
      s.addEventListener("change", () => this.report(i, s.value));
      return s;
    }
    const t = h("input", { type: "text", class: "cb-input", spellcheck: "false" });
    if (p.type === "number") {
      t.inputMode = "decimal";
      // refuse what is not a number as it is typed, as Visdom does
      t.addEventListener("input", () => {
        if (NUMBER.test(t.value)) t.dataset.last = t.value;
        else t.value = t.dataset.last ?? "";
      });
    }
    t.addEventListener("keydown", (e) => {
      e.stopPropagation(); // typing here is not a notebook shortcut
      if (e.key === "Enter") t.blur();
    });
    t.addEventListener("change", () => this.report(i, t.value));
    return t;
  }
}
