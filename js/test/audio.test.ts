import { describe, expect, it } from "vitest";
import { audio, KINDS } from "../src/kinds";
import { clipRate, decodeClip } from "../src/kinds/audio/panel";
import { decodeAudio, type AudioRecord } from "../src/kinds/audio/record";
import { channelSamples, fmtClipDuration, fmtRate, parseWav, wavPeaks, WavError } from "../src/kinds/audio/wav";
import { BoardStore } from "../src/store";
import { Buffers } from "../src/wire";
import { bytesView } from "./helpers";

// ---------------------------------------------------------------- building WAV files

const te = new TextEncoder();

function chunk(id: string, body: Uint8Array, opts: { size?: number; pad?: boolean } = {}): Uint8Array {
  const pad = opts.pad ?? true;
  const out = new Uint8Array(8 + body.length + (pad && body.length % 2 ? 1 : 0));
  out.set(te.encode(id), 0);
  new DataView(out.buffer).setUint32(4, opts.size ?? body.length, true);
  out.set(body, 8);
  return out;
}

function fmtBody(channels: number, rate: number, bits: number, code = 1, blockAlign?: number): Uint8Array {
  const b = new Uint8Array(code === 0xfffe ? 40 : 16);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, code, true);
  dv.setUint16(2, channels, true);
  dv.setUint32(4, rate, true);
  dv.setUint32(8, (rate * channels * bits) / 8, true);
  dv.setUint16(12, blockAlign ?? (channels * bits) / 8, true);
  dv.setUint16(14, bits, true);
  if (code === 0xfffe) {
    dv.setUint16(16, 22, true);
    dv.setUint16(18, bits, true);
    dv.setUint32(20, channels === 2 ? 3 : 4, true);
    dv.setUint16(24, bits === 32 ? 3 : 1, true); // SubFormat GUID: PCM or IEEE float
  }
  return b;
}

/** 16-bit PCM samples, interleaved from per-channel float arrays in [-1, 1] (as encode_wav does). */
function pcm16(channels: number[][]): Uint8Array {
  const frames = channels[0]?.length ?? 0;
  const out = new Uint8Array(frames * channels.length * 2);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < frames; i++) {
    channels.forEach((c, ch) => void dv.setInt16((i * channels.length + ch) * 2, Math.round(Math.max(-1, Math.min(1, c[i])) * 32767), true));
  }
  return out;
}

function riff(chunks: Uint8Array[], riffSize?: number): Uint8Array {
  const len = 12 + chunks.reduce((a, c) => a + c.length, 0);
  const out = new Uint8Array(len);
  out.set(te.encode("RIFF"), 0);
  new DataView(out.buffer).setUint32(4, riffSize ?? len - 8, true);
  out.set(te.encode("WAVE"), 8);
  let off = 12;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

const sine = (n: number, f = 3, a = 0.8) => Array.from({ length: n }, (_, i) => a * Math.sin((2 * Math.PI * f * i) / n));
const monoWav = (samples: number[], rate = 16000) => riff([chunk("fmt ", fmtBody(1, rate, 16)), chunk("data", pcm16([samples]))]);

// ---------------------------------------------------------------- parsing

describe("parseWav", () => {
  it("reads a 16-bit PCM mono clip", () => {
    const s = sine(1600);
    const info = parseWav(monoWav(s));
    expect(info).toMatchObject({ sampleRate: 16000, channels: 1, bitsPerSample: 16, format: "pcm16", frames: 1600, truncated: false, dataOffset: 44 });
    const back = channelSamples(monoWav(s), info, 0);
    for (let i = 0; i < s.length; i += 97) expect(back[i]).toBeCloseTo(s[i], 4);
  });

  it("reads interleaved stereo, channel by channel", () => {
    const l = sine(100, 2), r = sine(100, 5, 0.3);
    const bytes = riff([chunk("fmt ", fmtBody(2, 8000, 16)), chunk("data", pcm16([l, r]))]);
    const info = parseWav(bytes);
    expect(info.channels).toBe(2);
    expect(info.frames).toBe(100);
    expect(channelSamples(bytes, info, 1)[25]).toBeCloseTo(r[25], 4);
    expect(channelSamples(bytes, info, 0)[25]).toBeCloseTo(l[25], 4);
  });

  it("skips other chunks anywhere, odd sizes padded or not, data before fmt", () => {
    const data = chunk("data", pcm16([sine(50)]));
    const odd = new Uint8Array([1, 2, 3, 4, 5]);
    for (const chunks of [
      [chunk("LIST", te.encode("INFOISFT\u0005\u0000\u0000\u0000Lavf")), chunk("fmt ", fmtBody(1, 22050, 16)), chunk("fact", new Uint8Array(4)), data],
      [chunk("fmt ", fmtBody(1, 22050, 16)), chunk("junk", odd), data, chunk("LIST", odd)], // padded odd chunk
      [chunk("fmt ", fmtBody(1, 22050, 16)), chunk("junk", odd, { pad: false }), data], // unpadded odd chunk
      [data, chunk("fmt ", fmtBody(1, 22050, 16))],
    ]) {
      const info = parseWav(riff(chunks));
      expect(info.frames).toBe(50);
      expect(info.sampleRate).toBe(22050);
      expect(info.truncated).toBe(false);
    }
  });

  it("ignores a wrong RIFF size and a wrong blockAlign", () => {
    expect(parseWav(riff([chunk("fmt ", fmtBody(1, 8000, 16)), chunk("data", pcm16([sine(10)]))], 0)).frames).toBe(10);
    expect(parseWav(riff([chunk("fmt ", fmtBody(1, 8000, 16)), chunk("data", pcm16([sine(10)]))], 0xffffffff)).frames).toBe(10);
    expect(parseWav(riff([chunk("fmt ", fmtBody(2, 8000, 16, 1, 7)), chunk("data", pcm16([sine(10), sine(10)]))])).frames).toBe(10);
  });

  it("truncated data: the whole frames that are there, flagged", () => {
    const full = monoWav(sine(1000));
    const cut = full.subarray(0, full.length - 301); // also cuts a frame in half
    const info = parseWav(cut);
    expect(info.truncated).toBe(true);
    expect(info.frames).toBe(Math.floor((1000 * 2 - 301) / 2));
    // a data size larger than the file (0xFFFFFFFF: a streamed writer that never patched it)
    const streamed = riff([chunk("fmt ", fmtBody(1, 8000, 16)), chunk("data", pcm16([sine(20)]), { size: 0xffffffff })]);
    expect(parseWav(streamed)).toMatchObject({ frames: 20, truncated: true });
    // data size 0 with samples after it (never patched either)
    const zero = riff([chunk("fmt ", fmtBody(1, 8000, 16)), chunk("data", pcm16([sine(20, 1, 0.01)]), { size: 0 })]);
    expect(parseWav(zero).frames).toBe(20);
  });

  it("a 0-length clip has 0 frames and no peaks", () => {
    const info = parseWav(monoWav([]));
    expect(info.frames).toBe(0);
    expect(wavPeaks(monoWav([]), info, 300)).toEqual({ columns: 0, min: [new Float32Array(0)], max: [new Float32Array(0)] });
  });

  it("reads 8-, 24-, 32-bit PCM, float and WAVE_FORMAT_EXTENSIBLE", () => {
    const u8 = riff([chunk("fmt ", fmtBody(1, 8000, 8)), chunk("data", new Uint8Array([128, 255, 0]))]);
    const i8 = parseWav(u8);
    expect([...channelSamples(u8, i8, 0)]).toEqual([0, 127 / 128, -1]);
    const b24 = new Uint8Array([0xff, 0xff, 0x7f, 0x00, 0x00, 0x80]);
    const w24 = riff([chunk("fmt ", fmtBody(1, 8000, 24)), chunk("data", b24)]);
    const s24 = channelSamples(w24, parseWav(w24), 0);
    expect(s24[0]).toBeCloseTo(1, 5);
    expect(s24[1]).toBe(-1);
    const f32 = new Uint8Array(new Float32Array([0.25, -0.5, NaN]).buffer);
    const wf = riff([chunk("fmt ", fmtBody(1, 8000, 32, 3)), chunk("data", f32)]);
    expect([...channelSamples(wf, parseWav(wf), 0)]).toEqual([0.25, -0.5, 0]);
    const ext = riff([chunk("fmt ", fmtBody(2, 48000, 16, 0xfffe)), chunk("data", pcm16([sine(8), sine(8)]))]);
    expect(parseWav(ext)).toMatchObject({ format: "pcm16", channels: 2, frames: 8 });
    const i32 = new Uint8Array(new Int32Array([-2147483648, 1073741824]).buffer);
    const w32 = riff([chunk("fmt ", fmtBody(1, 8000, 32)), chunk("data", i32)]);
    expect([...channelSamples(w32, parseWav(w32), 0)]).toEqual([-1, 0.5]);
  });

  it("throws WavError with a reason for what it cannot read", () => {
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(0), /empty/],
      [te.encode("RIFF"), /too short/],
      [te.encode("ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000"), /not a RIFF/],
      [riff([chunk("data", pcm16([sine(4)]))]), /no fmt/],
      [riff([chunk("fmt ", fmtBody(1, 8000, 16))]), /no data/],
      [riff([chunk("fmt ", fmtBody(1, 8000, 16).subarray(0, 10)), chunk("data", pcm16([sine(4)]))]), /truncated fmt/],
      [riff([chunk("fmt ", fmtBody(1, 8000, 16, 7)), chunk("data", new Uint8Array(4))]), /format 7/],
      [riff([chunk("fmt ", fmtBody(1, 8000, 12)), chunk("data", new Uint8Array(4))]), /12-bit/],
      [riff([chunk("fmt ", fmtBody(0, 8000, 16)), chunk("data", new Uint8Array(4))]), /0 channels/],
      [riff([chunk("fmt ", fmtBody(65, 8000, 16)), chunk("data", new Uint8Array(130))]), /65 channels/],
      [monoWav(sine(10)).subarray(0, 30), /truncated fmt|no data/],
      [monoWav(sine(10)).subarray(0, 40), /no data/],
    ];
    for (const [bytes, re] of cases) {
      let err: unknown = null;
      try { parseWav(bytes); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(WavError);
      expect((err as Error).message).toMatch(re);
    }
    // a chunk that claims more than the file holds before the data: nothing after it is read
    const overrun = riff([chunk("fmt ", fmtBody(1, 8000, 16)), chunk("LIST", new Uint8Array(4), { size: 1000 }), chunk("data", pcm16([sine(4)]))]);
    expect(() => parseWav(overrun)).toThrow(/no data/);
  });

  it("never throws anything but WavError, and its result is always safe to draw (fuzz)", () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const good = riff([
      chunk("fmt ", fmtBody(2, 44100, 16)), chunk("LIST", te.encode("INFOabc")), chunk("data", pcm16([sine(300), sine(300, 7)])),
    ]);
    const bad: string[] = [];
    let parsed = 0;
    for (let t = 0; t < 3000; t++) {
      const b = good.slice(0, Math.floor(rnd() * (good.length + 1)));
      const flips = Math.floor(rnd() * 4);
      for (let k = 0; k < flips && b.length; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      try {
        const info = parseWav(b);
        parsed++;
        if (info.dataOffset + info.frames * info.blockAlign > b.length) bad.push(`overrun at trial ${t}`);
        const p = wavPeaks(b, info, 1 + Math.floor(rnd() * 700));
        for (const arr of [...p.min, ...p.max]) for (const v of arr) if (!Number.isFinite(v)) bad.push(`peak ${v} at trial ${t}`);
      } catch (e) {
        if (!(e instanceof WavError)) bad.push(`trial ${t}: ${String(e)}`);
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(parsed).toBeGreaterThan(300);
  });
});

// ---------------------------------------------------------------- peaks

describe("wavPeaks", () => {
  it("min and max of every column's frames and the previous column's last one, per channel", () => {
    const s = [0, 0.5, -0.5, 0.25, 1, -1, 0, 0.1];
    const bytes = riff([chunk("fmt ", fmtBody(2, 8000, 16)), chunk("data", pcm16([s, s.map((v) => -v / 2)]))]);
    const info = parseWav(bytes);
    const p = wavPeaks(bytes, info, 4);
    expect(p.columns).toBe(4);
    const q = (v: number) => Math.round(v * 32767) / 32768;
    expect([...p.max[0]]).toEqual([0.5, 0.5, 1, 0.1].map(q));
    expect([...p.min[0]]).toEqual([0, -0.5, -1, -1].map(q));
    expect([...p.max[1]]).toEqual([0, 0.25, 0.5, 0.5].map(q));
    // the whole clip in one column
    const one = wavPeaks(bytes, info, 1);
    expect(one.max[0][0]).toBe(q(1));
    expect(one.min[0][0]).toBe(q(-1));
  });

  it("fewer frames than columns: each column holds the frame under it, and the step into it", () => {
    const s = [0.5, -0.5, 0.25];
    const bytes = monoWav(s);
    const p = wavPeaks(bytes, parseWav(bytes), 7);
    expect(p.columns).toBe(7);
    const q = (v: number) => Math.round(v * 32767) / 32768;
    expect([...p.max[0]]).toEqual([0.5, 0.5, 0.5, 0.5, -0.5, 0.25, 0.25].map(q));
    expect([...p.min[0]]).toEqual([0.5, 0.5, 0.5, -0.5, -0.5, -0.5, 0.25].map(q));
  });

  it("a long clip: every spike survives", () => {
    const s = new Array(100_000).fill(0);
    s[31_337] = 0.9;
    s[77_777] = -0.7;
    const bytes = monoWav(s);
    const p = wavPeaks(bytes, parseWav(bytes), 500);
    expect(Math.max(...p.max[0])).toBeCloseTo(0.9, 4);
    expect(Math.min(...p.min[0])).toBeCloseTo(-0.7, 4);
    expect(p.max[0][Math.floor((31_337 * 500) / 100_000)]).toBeCloseTo(0.9, 4);
  });
});

// ---------------------------------------------------------------- records

const rec = (bytes: Uint8Array, sampleRate = 16000): AudioRecord =>
  ({ run: "a", tag: "t", index: 0, step: 0, wall: 1, sampleRate, mime: "audio/wav", bytes });

describe("audio records", () => {
  it("decode an entry; go into the store; data-audio-count", () => {
    const wav = monoWav(sine(160));
    const r = decodeAudio({ sample_rate: 16000, mime: "audio/wav", buffer: 0 }, new Buffers([bytesView([...wav], 3)]),
      { run: "a", tag: "t", index: 0, step: 3, wall: 1 });
    expect(r.sampleRate).toBe(16000);
    expect([...r.bytes]).toEqual([...wav]);
    expect(() => decodeAudio({ sample_rate: 1 }, new Buffers([]), { run: "a", tag: "t", index: 0, step: 3, wall: 1 })).toThrow(/missing buffer/);

    const store = new BoardStore({ send: () => {}, kinds: KINDS });
    store.handleMessage({
      type: "delta", seq: 1, runs: ["a"],
      entries: { audio: [0, 1, 2].map((i) => ({ run: "a", tag: "speech", index: i, step: i * 10, wall: 1, sample_rate: 0, mime: "audio/wav", buffer: i })) },
    }, [bytesView([...wav]), bytesView([1, 2, 3]), bytesView([])]);
    expect(audio.hooks!(store)).toEqual({ audioCount: "3" });
    const held = store.slice(audio).get("a", "speech")!.list();
    expect(held[0].sampleRate).toBe(0);
    // the header's rate when the entry says 0; the card of a malformed clip says why
    const d0 = decodeClip(held[0]);
    expect(d0.ok && clipRate(held[0], d0.info)).toBe(16000);
    expect(decodeClip(held[1])).toEqual({ ok: false, reason: "too short for a WAV header" });
    expect(decodeClip(held[2])).toEqual({ ok: false, reason: "empty file" });
  });

  it("the entry's rate wins when it has one", () => {
    const r = rec(monoWav(sine(10), 8000), 44100);
    const d = decodeClip(r);
    expect(d.ok && clipRate(r, d.info)).toBe(44100);
    expect(clipRate(rec(new Uint8Array(0), 0), null)).toBe(0);
  });

  it("formats rate and duration", () => {
    expect(fmtRate(16000)).toBe("16 kHz");
    expect(fmtRate(44100)).toBe("44.1 kHz");
    expect(fmtRate(800)).toBe("800 Hz");
    expect(fmtRate(0)).toBe("? Hz");
    expect(fmtClipDuration(1.5)).toBe("1.5 s");
    expect(fmtClipDuration(0)).toBe("0 s");
    expect(fmtClipDuration(12.34)).toBe("12.3 s");
    expect(fmtClipDuration(125)).toBe("2:05");
    expect(fmtClipDuration(3723)).toBe("1:02:03");
    expect(fmtClipDuration(NaN)).toBe("? s");
  });
});
