// Search by label: a case-insensitive regular expression over one metadata column (the point's
// index when there is no metadata). An invalid pattern selects nothing and says so.

export interface SearchResult {
  /** Indices of the matching points, ascending. */
  matches: number[];
  /** False when the pattern is not a valid regular expression. */
  valid: boolean;
}

export function searchLabels(labels: readonly string[] | null, n: number, pattern: string): SearchResult {
  if (pattern === "") return { matches: [], valid: true };
  let re: RegExp;
  try {
    re = new RegExp(pattern, "i");
  } catch {
    return { matches: [], valid: false };
  }
  const matches: number[] = [];
  for (let i = 0; i < n; i++) if (re.test(labels ? labels[i] : String(i))) matches.push(i);
  return { matches, valid: true };
}
