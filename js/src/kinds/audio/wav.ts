// Reading WAV files in the browser, without the Web Audio API: the RIFF chunks (fmt, data and
// any others, in any order, odd sizes padded or not, sizes that overrun the file), then min/max
// peaks per pixel column straight from the bytes (no float copy of a long clip). Pure; tested in
// test/audio.test.ts. Malformed files throw WavError with a short reason for the card.

export class WavError extends Error {
  override name = "WavError";
}

export type SampleFormat = "pcm8" | "pcm16" | "pcm24" | "pcm32" | "float32" | "float64";

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  format: SampleFormat;
  /** Bytes per frame (all channels). */
  blockAlign: number;
  /** Byte offset of the first sample in the file. */
  dataOffset: number;
  /** Whole frames available. */
  frames: number;
  /** The data chunk claims more bytes than the file holds (or a partial last frame). */
  truncated: boolean;
}

const ascii = (b: Uint8Array, off: number) => String.fromCharCode(b[off], b[off + 1], b[off + 2], b[off + 3]);
/** A chunk id: four printable ASCII characters. */
const isId = (b: Uint8Array, off: number) => {
  if (off + 4 > b.length) return false;
  for (let i = 0; i < 4; i++) if (b[off + i] < 0x20 || b[off + i] > 0x7e) return false;
  return true;
};

const KNOWN = new Set(["fmt ", "data", "LIST", "fact", "JUNK", "junk", "bext", "cue ", "smpl", "inst", "PAD ", "id3 ", "ID3 ", "iXML", "acid"]);

/** How much the bytes at `off` look like a chunk header: 0 (no id) .. 3 (known id, size fits). */
function plausible(b: Uint8Array, dv: DataView, off: number): number {
  if (!isId(b, off)) return 0;
  const fits = off + 8 <= b.length && dv.getUint32(off + 4, true) <= b.length - off - 8;
  return 1 + (KNOWN.has(ascii(b, off)) ? 1 : 0) + (fits ? 1 : 0);
}

const MAX_CHANNELS = 64;

const FORMAT_PCM = 1, FORMAT_FLOAT = 3, FORMAT_EXTENSIBLE = 0xfffe;

function sampleFormat(code: number, bits: number): SampleFormat {
  if (code === FORMAT_PCM) {
    if (bits === 8) return "pcm8";
    if (bits === 16) return "pcm16";
    if (bits === 24) return "pcm24";
    if (bits === 32) return "pcm32";
    throw new WavError(`unsupported ${bits}-bit PCM`);
  }
  if (code === FORMAT_FLOAT) {
    if (bits === 32) return "float32";
    if (bits === 64) return "float64";
    throw new WavError(`unsupported ${bits}-bit float`);
  }
  throw new WavError(`unsupported WAV encoding (format ${code})`);
}

/** The header and where the samples are. Throws WavError when the file cannot be read. */
export function parseWav(bytes: Uint8Array): WavInfo {
  const n = bytes.length;
  if (n < 12) throw new WavError(n === 0 ? "empty file" : "too short for a WAV header");
  const riff = ascii(bytes, 0);
  if (riff === "RIFX" || riff === "RF64") throw new WavError(`${riff} files are not supported`);
  if (riff !== "RIFF" || ascii(bytes, 8) !== "WAVE") throw new WavError("not a RIFF/WAVE file");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // the RIFF size (bytes 4..8) is often wrong (streamed writers): walk the chunks to the end
  let fmt: { code: number; channels: number; rate: number; blockAlign: number; bits: number } | null = null;
  let data: { off: number; len: number; truncated: boolean } | null = null;
  let off = 12;
  while (off + 8 <= n && isId(bytes, off)) {
    const id = ascii(bytes, off);
    const size = dv.getUint32(off + 4, true);
    const body = off + 8;
    const avail = n - body;
    if (id === "fmt " && !fmt) {
      if (size < 16 || avail < 16) throw new WavError("truncated fmt chunk");
      let code = dv.getUint16(body, true);
      const bits = dv.getUint16(body + 14, true);
      if (code === FORMAT_EXTENSIBLE) {
        // WAVE_FORMAT_EXTENSIBLE: the real format is the first 2 bytes of the SubFormat GUID
        if (size < 40 || avail < 26) throw new WavError("truncated extensible fmt chunk");
        code = dv.getUint16(body + 24, true);
      }
      fmt = { code, channels: dv.getUint16(body + 2, true), rate: dv.getUint32(body + 4, true), blockAlign: dv.getUint16(body + 12, true), bits };
    } else if (id === "data" && !data) {
      if (size === 0 && avail > 0 && !isId(bytes, body)) {
        // a streamed file whose header was never patched: the rest of the file is samples
        data = { off: body, len: avail, truncated: false };
        break;
      }
      data = { off: body, len: Math.min(size, avail), truncated: size > avail };
      if (data.truncated) break; // the rest of the file is samples
    }
    if (size > avail) break; // a chunk that overruns the file: nothing readable follows it
    const next = body + size;
    // RIFF pads odd chunks to an even size; some writers do not: take the padded position unless
    // only the unpadded one looks like a chunk header
    if (size % 2 === 1 && plausible(bytes, dv, next) > plausible(bytes, dv, next + 1)) off = next;
    else off = next + (size % 2);
  }
  if (!fmt) throw new WavError("no fmt chunk");
  if (!data) throw new WavError("no data chunk");
  if (fmt.channels < 1) throw new WavError("0 channels");
  if (fmt.channels > MAX_CHANNELS) throw new WavError(`${fmt.channels} channels`);
  const format = sampleFormat(fmt.code, fmt.bits);
  const bytesPer = fmt.bits / 8;
  // a wrong blockAlign in the header: the samples are packed, so trust channels x sample size
  const blockAlign = fmt.channels * bytesPer;
  const frames = Math.floor(data.len / blockAlign);
  return {
    sampleRate: fmt.rate,
    channels: fmt.channels,
    bitsPerSample: fmt.bits,
    format,
    blockAlign,
    dataOffset: data.off,
    frames,
    truncated: data.truncated || data.len % blockAlign !== 0,
  };
}

/** The reader of one sample in [-1, 1] for a format (byte offset in `dv`). */
export function sampleReader(format: SampleFormat): (dv: DataView, off: number) => number {
  switch (format) {
    case "pcm8": return (dv, o) => (dv.getUint8(o) - 128) / 128;
    case "pcm16": return (dv, o) => dv.getInt16(o, true) / 32768;
    case "pcm24": return (dv, o) => {
      const v = dv.getUint8(o) | (dv.getUint8(o + 1) << 8) | (dv.getInt8(o + 2) << 16);
      return v / 8388608;
    };
    case "pcm32": return (dv, o) => dv.getInt32(o, true) / 2147483648;
    case "float32": return (dv, o) => {
      const v = dv.getFloat32(o, true);
      return Number.isFinite(v) ? v : 0;
    };
    case "float64": return (dv, o) => {
      const v = dv.getFloat64(o, true);
      return Number.isFinite(v) ? v : 0;
    };
  }
}

/** Channel `ch`'s samples as floats (for tests and short clips). */
export function channelSamples(bytes: Uint8Array, info: WavInfo, ch: number): Float32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = sampleReader(info.format);
  const bps = info.bitsPerSample / 8;
  const out = new Float32Array(info.frames);
  for (let i = 0; i < info.frames; i++) out[i] = read(dv, info.dataOffset + i * info.blockAlign + ch * bps);
  return out;
}

export interface Peaks {
  columns: number;
  /** Per channel: the lowest and highest sample of each column's frames. */
  min: Float32Array[];
  max: Float32Array[];
}

/**
 * Min and max per column for every channel: column c covers frames [c F / C, (c + 1) F / C)
 * and the previous column's last frame (the line from it into this column: a drawing without
 * gaps between columns). With fewer frames than columns, a column holds the one frame under
 * it, plus the step from the previous frame where the frame changes. Empty clips: no columns.
 */
export function wavPeaks(bytes: Uint8Array, info: WavInfo, columns: number): Peaks {
  const C = info.frames > 0 ? Math.max(1, Math.floor(columns)) : 0;
  const min: Float32Array[] = [], max: Float32Array[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = sampleReader(info.format);
  const bps = info.bitsPerSample / 8;
  const F = info.frames;
  for (let ch = 0; ch < info.channels; ch++) {
    const lo = new Float32Array(C), hi = new Float32Array(C);
    let prevLast = -1;
    for (let c = 0; c < C; c++) {
      let a = Math.floor((c * F) / C), b = Math.floor(((c + 1) * F) / C);
      if (a >= F) a = F - 1;
      if (b <= a) b = a + 1;
      const from = prevLast >= 0 && prevLast < a ? prevLast : a;
      prevLast = b - 1;
      let mn = Infinity, mx = -Infinity;
      for (let i = from; i < b; i++) {
        const v = read(dv, info.dataOffset + i * info.blockAlign + ch * bps);
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
      lo[c] = mn;
      hi[c] = mx;
    }
    min.push(lo);
    max.push(hi);
  }
  return { columns: C, min, max };
}

/** "1.5 s", "12.3 s", "2:05" (m:ss), "1:02:03". */
export function fmtClipDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return "? s";
  if (sec < 60) return `${sec < 10 ? +sec.toFixed(2) : +sec.toFixed(1)} s`;
  const s = Math.round(sec);
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const p = (x: number) => String(x).padStart(2, "0");
  return hh ? `${hh}:${p(mm)}:${p(ss)}` : `${mm}:${p(ss)}`;
}

/** "16 kHz", "44.1 kHz", "800 Hz". */
export function fmtRate(hz: number): string {
  if (!(hz > 0)) return "? Hz";
  return hz >= 1000 ? `${+(hz / 1000).toFixed(2)} kHz` : `${+hz.toFixed(1)} Hz`;
}
