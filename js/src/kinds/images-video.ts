// Videos in the Images tab: `add_video` logs an animated GIF (as torch and TensorBoard). An <img>
// plays it, but cannot pause it and plays a GIF without a loop extension only once. This reads the
// GIF's block structure (no pixel decoding) for what the card says (frames, fps) and to build
// the two variants the card shows: the GIF made to loop (playing) and its first frame alone
// (stopped). Works in every browser (no ImageDecoder needed). Tested in test/images.test.ts.

export interface GifInfo {
  width: number;
  height: number;
  /** Frame count (image blocks). */
  frames: number;
  /** Each frame's delay, centiseconds (0 when the GIF gives none). */
  delays: number[];
  /** Has a NETSCAPE2.0 (loop) application extension. */
  loops: boolean;
  /** Byte offset after the header and global colour table (where extensions may be inserted). */
  headerEnd: number;
  /** Byte offset just after the first frame's image data. */
  firstFrameEnd: number;
}

const NETSCAPE = [0x4e, 0x45, 0x54, 0x53, 0x43, 0x41, 0x50, 0x45, 0x32, 0x2e, 0x30]; // "NETSCAPE2.0"

/** The structure of a GIF, or null when the bytes are not a well-formed GIF. */
export function parseGif(b: Uint8Array): GifInfo | null {
  if (b.length < 13 || b[0] !== 0x47 || b[1] !== 0x49 || b[2] !== 0x46) return null; // "GIF"
  const width = b[6] | (b[7] << 8), height = b[8] | (b[9] << 8);
  let pos = 13;
  if (b[10] & 0x80) pos += 3 * (1 << ((b[10] & 7) + 1));
  const headerEnd = pos;
  const delays: number[] = [];
  let pendingDelay = 0, loops = false, firstFrameEnd = 0;
  const skipSubBlocks = (p: number) => {
    while (p < b.length && b[p] !== 0) p += b[p] + 1;
    return p + 1; // past the terminator
  };
  while (pos < b.length) {
    const block = b[pos];
    if (block === 0x3b) break; // trailer
    if (block === 0x21) {
      const label = b[pos + 1];
      if (label === 0xf9 && b[pos + 2] === 4) pendingDelay = b[pos + 4] | (b[pos + 5] << 8);
      if (label === 0xff && b[pos + 2] === 11 && NETSCAPE.every((c, i) => b[pos + 3 + i] === c)) loops = true;
      pos = skipSubBlocks(pos + 2);
    } else if (block === 0x2c) {
      if (pos + 10 > b.length) return null;
      const packed = b[pos + 9];
      pos += 10;
      if (packed & 0x80) pos += 3 * (1 << ((packed & 7) + 1));
      pos = skipSubBlocks(pos + 1); // LZW minimum code size, then the data
      if (pos > b.length) return null;
      delays.push(pendingDelay);
      pendingDelay = 0;
      if (!firstFrameEnd) firstFrameEnd = pos;
    } else return null;
  }
  if (!delays.length) return null;
  return { width, height, frames: delays.length, delays, loops, headerEnd, firstFrameEnd };
}

/** Frames per second of a GIF's delays (the most common delay; browsers play delays under 2 cs as 10 cs). */
export function gifFps(delays: readonly number[]): number | null {
  const counts = new Map<number, number>();
  for (const d of delays) counts.set(d, (counts.get(d) ?? 0) + 1);
  let best = 0, n = 0;
  for (const [d, c] of counts) if (c > n) [best, n] = [d, c];
  if (!(best > 0)) return null;
  return 100 / (best < 2 ? 10 : best);
}

/** The GIF with a loop-forever extension when it has none (the same bytes when it has one). */
export function loopingGif(b: Uint8Array, info: GifInfo): Uint8Array {
  if (info.loops) return b;
  const ext = [0x21, 0xff, 0x0b, ...NETSCAPE, 0x03, 0x01, 0x00, 0x00, 0x00];
  const out = new Uint8Array(b.length + ext.length);
  out.set(b.subarray(0, info.headerEnd));
  out.set(ext, info.headerEnd);
  out.set(b.subarray(info.headerEnd), info.headerEnd + ext.length);
  return out;
}

/** A still GIF of the first frame only (what a stopped video shows). */
export function firstFrameGif(b: Uint8Array, info: GifInfo): Uint8Array {
  const out = new Uint8Array(info.firstFrameEnd + 1);
  out.set(b.subarray(0, info.firstFrameEnd));
  out[info.firstFrameEnd] = 0x3b;
  return out;
}

/** "video · 16 frames · 4 fps" for the card's info line. */
export function videoLabel(info: Pick<GifInfo, "frames" | "delays">): string {
  const fps = gifFps(info.delays);
  const f = fps === null ? "" : ` · ${+fps.toFixed(2)} fps`;
  return `video · ${info.frames} frames${f}`;
}
