// @vitest-environment jsdom
// Visdom's properties pane: one row per property, edits reported as Visdom's PropertyUpdate values,
// values updated in place when Python sets the pane again (a field being edited is left alone).
import { describe, expect, it } from "vitest";
import { PropertiesPane, type PropertyValue } from "../src/kinds/plots/properties";

const PROPS = [
  { type: "text", name: "Text input", value: "initial" },
  { type: "number", name: "Number input", value: "12" },
  { type: "button", name: "Button", value: "Start" },
  { type: "checkbox", name: "Checkbox", value: true },
  { type: "select", name: "Select", value: 1, values: ["Red", "Green", "Blue"] },
];

function pane() {
  const events: [number, PropertyValue][] = [];
  const p = new PropertiesPane((id, value) => void events.push([id, value]));
  document.body.append(p.el);
  p.update(PROPS);
  const rows = [...p.el.querySelectorAll("tr")];
  const control = (i: number) => rows[i].querySelector("input, button, select") as HTMLInputElement & HTMLSelectElement;
  return { p, events, rows, control };
}

describe("properties pane", () => {
  it("shows one row per property with its name and value", () => {
    const { rows, control } = pane();
    expect(rows.map((r) => r.cells[0].textContent)).toEqual(PROPS.map((p) => p.name));
    expect(control(0).value).toBe("initial");
    expect(control(1).value).toBe("12");
    expect(control(2).textContent).toBe("Start");
    expect(control(3).checked).toBe(true);
    expect(control(4).value).toBe("1");
    expect([...control(4).options].map((o) => o.text)).toEqual(["Red", "Green", "Blue"]);
  });

  it("reports edits with Visdom's value types", () => {
    const { events, control } = pane();
    control(0).value = "edited";
    control(0).dispatchEvent(new Event("change"));
    control(2).click();
    control(3).click();
    control(4).value = "2";
    control(4).dispatchEvent(new Event("change"));
    expect(events).toEqual([[0, "edited"], [2, "clicked"], [3, false], [4, "2"]]);
  });

  it("refuses what is not a number in a number field, as it is typed", () => {
    const { events, control } = pane();
    const n = control(1);
    n.value = "12.5";
    n.dispatchEvent(new Event("input"));
    n.value = "12.5x";
    n.dispatchEvent(new Event("input"));
    expect(n.value).toBe("12.5");
    n.dispatchEvent(new Event("change"));
    expect(events).toEqual([[1, "12.5"]]);
  });

  it("updates values in place, leaving a field being edited alone; rebuilds for new properties", () => {
    const { p, control } = pane();
    const first = control(0);
    first.focus();
    first.value = "typing";
    p.update([{ ...PROPS[0], value: "from python" }, { ...PROPS[1], value: "13" }, ...PROPS.slice(2)]);
    expect(control(0)).toBe(first);
    expect(first.value).toBe("typing");
    expect(control(1).value).toBe("13");
    first.blur();
    p.update([{ ...PROPS[0], value: "from python" }]);
    expect(p.el.querySelectorAll("tr")).toHaveLength(1);
    expect((p.el.querySelector("input") as HTMLInputElement).value).toBe("from python");
  });

  it("survives malformed lists", () => {
    const p = new PropertiesPane(() => undefined);
    p.update(null);
    p.update([1, "x", { type: "select" }]);
    expect(p.el.querySelectorAll("tr")).toHaveLength(1);
  });
});
