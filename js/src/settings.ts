// View settings: they mirror the Board's traits (docs/protocol.md): read with model.get,
// written back with model.set + model.save_changes, and followed on change:* events.
// Per-view options of one kind (e.g. the histogram mode) live in that kind's panel instead.

import type { AnyModel as AnyWidgetModel } from "@anywidget/types";

export type XAxis = "step" | "relative" | "wall";

export interface Settings {
  smoothing: number;
  x_axis: XAxis;
  log_y: boolean;
  ignore_outliers: boolean;
  tag_filter: string;
  run_filter: string;
  height: number;
  title: string;
  /** Scalar tags shown first, in the order they were pinned (Scalars' "pinned" section). */
  pinned: string[];
  /** Colours the user chose for runs ("#rrggbb"), over the palette's, in every theme. */
  run_colors: Record<string, string>;
}

export const SYNCED = [
  "smoothing", "x_axis", "log_y", "ignore_outliers", "tag_filter", "run_filter", "height", "title", "pinned", "run_colors",
] as const;
export type SyncedName = (typeof SYNCED)[number];

/** The Board's model, as anywidget types it. Trait values come from Python and are checked where
 * they are read (`coerce`), so they are `unknown` here, not `Settings`' types. */
// (`_board_key`, `_board_gz64`: the board's code for loader.ts)
export type AnyModel = AnyWidgetModel<Record<SyncedName | "layout" | "window_events" | "_board_key" | "_board_gz64", unknown>>;

function coerce(name: SyncedName, v: unknown): Settings[SyncedName] | undefined {
  switch (name) {
    case "smoothing": {
      const n = typeof v === "number" ? v : Number(v);
      return Number.isFinite(n) ? Math.min(Math.max(n, 0), 0.999) : undefined;
    }
    case "x_axis":
      return v === "step" || v === "relative" || v === "wall" ? v : v === "walltime" ? "wall" : undefined;
    case "log_y": case "ignore_outliers":
      return typeof v === "boolean" ? v : undefined;
    case "height":
      return typeof v === "number" && Number.isFinite(v) ? Math.max(0, Math.round(v)) : undefined;
    case "run_colors": {
      // only "#rrggbb" colours (the Board validates them; a saved state may hold anything)
      if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
      // (fromEntries: own properties, even for a run named "__proto__")
      return Object.fromEntries(Object.entries(v).flatMap(([run, c]) =>
        typeof c === "string" && isHexColor(c) ? [[run, c.toLowerCase()]] : []));
    }
    case "pinned":
      // each tag once, strings only (the trait is a list of str, but a saved state may hold anything)
      return Array.isArray(v) ? [...new Set(v.filter((t): t is string => typeof t === "string"))] : undefined;
    default:
      return typeof v === "string" ? v : undefined;
  }
}

// ignore_outliers is on, as TensorBoard's: charts fit y to the 5th-95th percentile of what they draw
// (and the values near it: scalars/chart.ts percentileRange)
export const DEFAULTS: Settings = {
  smoothing: 0.6, x_axis: "step", log_y: false, ignore_outliers: true, tag_filter: "", run_filter: "", height: 600, title: "", pinned: [], run_colors: {},
};

export function readSettings(model: AnyModel): Settings {
  const s: Settings = { ...DEFAULTS, pinned: [], run_colors: {} };
  for (const name of SYNCED) {
    const v = coerce(name, model.get(name));
    if (v !== undefined) (s as unknown as Record<string, unknown>)[name] = v;
  }
  return s;
}

const HEX_COLOR = /^#[0-9a-f]{6}$/i;

/** A "#rrggbb" colour: what a colour input takes and `run_colors` holds. */
export const isHexColor = (c: string) => HEX_COLOR.test(c);

/** `o` has `key` itself (not from Object.prototype: a run may be named "constructor"). */
// biome-ignore lint/suspicious/noPrototypeBuiltins: Object.hasOwn is ES2022; the bundle targets ES2020
export const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/** Equal values (lists element by element, objects key by key: a trait's list or dict arrives as a
 * new object each time). */
export function sameSetting(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a), ob = b as Record<string, unknown>;
    return ka.length === Object.keys(b).length && ka.every((k) => hasOwn(ob, k) && (a as Record<string, unknown>)[k] === ob[k]);
  }
  return a === b;
}

/** Follow trait changes; returns an unsubscribe function. */
export function watchSettings(model: AnyModel, settings: Settings, onChange: (name: SyncedName) => void): () => void {
  const handlers = SYNCED.map((name) => {
    const cb = () => {
      const v = coerce(name, model.get(name));
      if (v === undefined || sameSetting(v, settings[name])) return;
      (settings as unknown as Record<string, unknown>)[name] = v;
      onChange(name);
    };
    model.on(`change:${name}`, cb);
    return [name, cb] as const;
  });
  return () => {
    for (const [name, cb] of handlers) model.off(`change:${name}`, cb);
  };
}

export function writeSetting(model: AnyModel, name: SyncedName, value: unknown) {
  try {
    model.set(name, value);
    model.save_changes();
  } catch (err) {
    console.warn("[cellboard] could not save setting", name, err);
  }
}
