// What the board view gives each tab panel, and what a panel must provide.

import type { BoardStore, Kind, StoreChange } from "./store";
import type { Settings } from "./settings";
import type { Theme } from "./theme";

export interface PanelContext {
  store: BoardStore;
  settings: Settings;
  theme(): Theme;
  /** Shown in the charts: matches the run filter and its checkbox is on. */
  runShown(run: string): boolean;
  runColor(run: string): string;
  tagShown(tag: string): boolean;
  /** Ask for a redraw on the next animation frame. */
  requestFlush(): void;
  /** Change a setting from a control: redraws, and saves synced ones to the model unless save is false. */
  setSetting<K extends keyof Settings>(name: K, value: Settings[K], save?: boolean): void;
}

/** Why a panel must redraw: data keys that changed, or "all" (settings, runs, theme, filter). */
export type Dirt = StoreChange | "all";

export interface Panel {
  readonly kind: Kind;
  readonly el: HTMLElement;
  markDirty(d: Dirt): void;
  /** Redraw what is dirty (only called while the panel is the active tab). */
  flush(): void;
  /** Settings controls for the sidebar (or null). */
  settingsEl(): HTMLElement | null;
  /** Settings changed (from the model or another control): update the controls. */
  syncControls(): void;
  /** Tags of this kind shown / held (after the tag filter), for the toolbar. */
  tagCounts(): { shown: number; total: number };
  destroy(): void;
}

export function sectionsOrder(groups: Iterable<string>): string[] {
  // named groups alphabetically, the unnamed group ("") last
  return [...groups].sort((a, b) => (a === "" ? 1 : b === "" ? -1 : a.localeCompare(b)));
}
