// Run colours: a function of the run's name only, so a run keeps its colour on every board, after
// a reload, on the `%cellboard` board and in the PNG snapshot. The palette is defined once, in
// python_pkg/cellboard/board/palette.json (read by Python's snapshot too, bundled here by esbuild);
// the index is FNV-1a 32-bit over the name's UTF-8 bytes, mod the palette size
// (python_pkg/cellboard/board/snapshot.py: fnv1a32, run_color). tests/palette_test_vector.json
// pins both implementations to the same values.

import { dark as DARK, light as LIGHT } from "../../../python_pkg/cellboard/board/palette.json";

export const PALETTE_LIGHT: readonly string[] = LIGHT;
export const PALETTE_DARK: readonly string[] = DARK;

const utf8 = new TextEncoder();

/** FNV-1a, 32 bits, over the UTF-8 bytes of `s` (an unsigned 32-bit integer). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of utf8.encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The palette index of a run name. */
export function colorIndex(name: string): number {
  return fnv1a32(name) % PALETTE_LIGHT.length;
}

/**
 * Palette indices for the runs shown together on one board: each run takes its name's index, or
 * the next free one (stepping PROBE_STRIDE slots: neighbours in the palette look alike) when a run
 * sorting before it holds that, so up to palette-size runs never share a colour. The same set of runs gets the same
 * colours everywhere (every board, reloads, the PNG snapshot: board/snapshot.py assign_colors).
 */
/** Coprime with the palette size (12), so probing visits every slot. */
const PROBE_STRIDE = 5;

export function assignColors(runs: readonly string[]): Map<string, number> {
  const n = PALETTE_LIGHT.length;
  const used = new Set<number>();
  const out = new Map<string, number>();
  for (const run of [...runs].sort()) {
    let i = colorIndex(run);
    if (used.size < n) while (used.has(i)) i = (i + PROBE_STRIDE) % n;
    used.add(i);
    out.set(run, i);
  }
  return out;
}

/** A run's colour: `palette[fnv1a32(name) % size]`, light or dark variant. */
export function runColor(name: string, dark: boolean): string {
  return (dark ? PALETTE_DARK : PALETTE_LIGHT)[colorIndex(name)];
}
