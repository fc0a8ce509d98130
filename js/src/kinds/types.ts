// The contract of a data kind (scalars, images, ...): one module per kind, listed once in
// kinds/index.ts. The store, the protocol decoding and the view know kinds only through this.
//
// A kind module holds everything of its kind:
//   - decoding its entries of a delta (`entries.<name>` in docs/protocol.md) into typed entries
//   - its store slice (records by index for most kinds: see recordKind() in record-kind.ts)
//   - its tab: label, dashboard position, panel (sidebar controls + cards)
//   - the data-* test hooks it contributes to the board's root element

import type { Settings, SyncedName } from "../settings";
import type { BoardStore } from "../store";
import type { StoreChange } from "../store-change";
import type { Theme } from "../ui/theme";
import type { Buffers, Obj, WireBuffer } from "../wire";

/** What every decoded entry names: the (run, tag) it belongs to. */
export interface Entry {
  run: string;
  tag: string;
}

/** A record of a record kind: one logged value at a step, `index` = its position in (run, tag). */
export interface RecordEntry extends Entry {
  index: number;
  step: number;
  /** Wall time, seconds since the epoch (NaN when unknown). */
  wall: number;
  /** Records of its (run, tag) that steps logged again have replaced, when any (a resumed run). */
  replaced?: number;
}

/** The key of one (run, tag) in slices and in StoreChange. */
export const seriesKey = (run: string, tag: string) => `${run}\u0000${tag}`;
/** `seriesKey`'s inverse: `[run, tag]`. */
export function splitKey(key: string): [run: string, tag: string] {
  const i = key.indexOf("\u0000");
  return [key.slice(0, i), key.slice(i + 1)];
}

/** What a store slice may ask of the store. */
export interface SliceHost {
  /** Send a message to Python (e.g. a scalar range request). */
  send(msg: Record<string, unknown>): void;
  /** Tell the views that these (run, tag) keys of this kind changed outside a delta (a reply arrived). */
  changed(keys: Iterable<string>): void;
  log(...args: unknown[]): void;
}

/** The part of the store that holds one kind's data. */
export interface Slice<E extends Entry = Entry> {
  /**
   * Apply this delta's decoded entries, in order. Adds the seriesKey(run, tag) of everything
   * that changed to `changed`. Returns true when data is missing (a gap): the store then asks
   * Python for a hello once the whole delta is applied.
   */
  apply(entries: readonly E[], changed: Set<string>): boolean;
  /** Forget everything held for (run, tag): its history was rewritten (a purge); true if anything was held. */
  reset(run: string, tag: string): boolean;
  /** Whether anything is held (the default test for whether the kind's tab shows). */
  hasData(): boolean;
  /** A reply to a request this slice sent (a message whose type the module lists in `replies`). */
  receive?(type: string, content: Obj, buffers: readonly WireBuffer[]): void;
}

/** What the board view gives each panel. */
export interface PanelContext {
  /** Every kind's data: a panel may read other kinds (`ctx.store.slice(scalars)`). */
  store: BoardStore;
  /** The synced view settings (traits); read-only here, change them with setSetting. */
  settings: Readonly<Settings>;
  theme(): Theme;
  /** Shown in the charts: matches the run filter and its checkbox is on. */
  runShown(run: string): boolean;
  runColor(run: string): string;
  tagShown(tag: string): boolean;
  /** Ask for a redraw on the next animation frame. */
  requestFlush(): void;
  /** How long (ms) this frame's script may draw before the rest waits for the next frame: the
   * canvases drawn are rasterised after the script, in the same task (ui/frame-budget.ts). */
  drawBudgetMs(): number;
  /** Send a message to the kernel's Board (`Board._on_msg`): a user event on a window. */
  send(msg: Obj): void;
  /** Whether the kernel listens to window events (Visdom's register_event_handler, the Board's
   * `window_events` trait): key presses and clicks on windows are then sent to it. */
  windowEvents(): boolean;
  /** Change a setting from a control: redraws, and saves it to the model unless save is false. */
  setSetting<K extends keyof Settings>(name: K, value: Settings[K], save?: boolean): void;
}

/** Why a panel must redraw: what the store changed (all kinds), or "all" (settings, runs, theme, filters). */
export type Dirt = StoreChange | "all";

/** One tab of one view. Per-view state (e.g. the histogram mode) lives in the panel. */
export interface Panel {
  readonly el: HTMLElement;
  /** Called for every store change (any kind: a panel may depend on others); mark what to redraw. */
  markDirty(d: Dirt): void;
  /** Redraw what is dirty (only called while the panel is the active tab). */
  flush(): void;
  /** Controls for the sidebar while this tab is active (or null). */
  settingsEl(): HTMLElement | null;
  /** Settings changed (from the model or another control): update the controls. */
  syncControls(): void;
  /** Tags shown / held (after the tag filter), for the toolbar. */
  tagCounts(): { shown: number; total: number };
  /**
   * When (performance.now()) the oldest change that a part of the panel in view does not show
   * yet was marked; Infinity when what is in view is up to date. Optional: without it, the
   * view only knows whether the panel left work for the next frame.
   */
  oldestDirty?(): number;
  /** The tab was just made visible (what is on screen may have changed without a scroll). */
  shown?(): void;
  destroy(): void;
}

/**
 * TensorBoard's dashboard order, used for `KindModule.order` (tabs sort by it, and the board
 * opens on the first kind that has data). Kinds not listed pick a number between neighbours.
 */
export const DASHBOARD_ORDER = {
  /** cellboard.Visdom's windows: first, so that a Visdom board opens on them (hidden without data). */
  plots: 5,
  scalars: 10,
  custom_scalars: 20,
  images: 30,
  audio: 40,
  graphs: 50,
  distributions: 55,
  histograms: 60,
  text: 70,
  pr_curves: 80,
  hparams: 90,
  projector: 100,
  mesh: 110,
} as const;

/**
 * One data kind. `E` is its decoded entry, `S` its store slice.
 * Register it with one line in kinds/index.ts.
 */
export interface KindModule<E extends Entry = Entry, S extends Slice<E> = Slice<E>> {
  /** Its key under `entries` and in `reset` (docs/protocol.md); also the tab's `data-kind`. */
  readonly name: string;
  /** Tab label. */
  readonly label: string;
  /** Position among the tabs: DASHBOARD_ORDER[name]. */
  readonly order: number;
  /**
   * One wire entry -> a typed entry. `e` is already known to be an object; read fields with
   * wire.ts's helpers and buffers with `buffers.of(e)`. Throw on malformed input: the entry is
   * skipped and logged, the rest of the message is applied.
   */
  decode(e: Obj, buffers: Buffers): E;
  /** A new, empty store slice (one per store, i.e. per widget model). */
  createSlice(host: SliceHost): S;
  /**
   * Whether the tab shows. Default: this kind's slice holds something. Gets the whole store,
   * e.g. for a kind that shows only when the data it reads from another kind is there too.
   */
  hasData?(store: BoardStore): boolean;
  /** The tab's panel, one per view. */
  createPanel(ctx: PanelContext): Panel;
  /**
   * Test hooks on the root element: dataset keys (camelCase: `scalarTags` -> `data-scalar-tags`)
   * to string values. Called after every store change; keep it cheap.
   */
  hooks?(store: BoardStore): Record<string, string>;
  /** A short note for the header ("12,345 points"), or null. */
  summary?(store: BoardStore): string | null;
  /** Synced settings whose change redraws this kind's panel (besides filters, runs and theme). */
  readonly redrawOn?: readonly SyncedName[];
  /** Message types (other than "delta") routed to this kind's slice, e.g. scalars: ["range"]. */
  readonly replies?: readonly string[];
}

/** A kind of any entry and slice type, as held in the registry. */
// biome-ignore lint/suspicious/noExplicitAny: each kind has its own entry and slice types (unknown would not accept them)
export type AnyKind = KindModule<any, any>;
