// What one store update changed; given to every panel (a panel may depend on several kinds).

export interface StoreChange {
  runs: boolean;
  /** The notice list was replaced by a different one. */
  notices: boolean;
  /** Loading progress changed. */
  progress: boolean;
  /** A tag's description (or display name) arrived. */
  descriptions: boolean;
  /** seriesKey(run, tag) of what changed, by kind name (kinds without changes are absent). */
  kinds: Map<string, Set<string>>;
}

export const emptyChange = (): StoreChange => ({
  runs: false, notices: false, progress: false, descriptions: false, kinds: new Map(),
});

const NONE: ReadonlySet<string> = new Set();

/** The keys of one kind that changed (empty when none). */
export function changedKeys(c: StoreChange, kind: string | { name: string }): ReadonlySet<string> {
  return c.kinds.get(typeof kind === "string" ? kind : kind.name) ?? NONE;
}
