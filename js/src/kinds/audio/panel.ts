// The AUDIO tab: a card per (run, tag) with the clip of the selected step: its waveform (min/max
// per pixel column, one lane per channel, a playhead while it plays; click to seek), an
// <audio controls> element playing the logged bytes from a Blob URL, sample rate, duration,
// channels and wall time, and a slider over every logged step that follows new clips while it
// sits on the latest. A clip that cannot be decoded says so on its card; the panel never throws.

import { fitCanvas, h } from "../../ui/dom";
import { fmtInt, fmtWall } from "../../ui/format";
import { cardHead, followSlider, RecordsPanel, type RecordCard } from "../../ui/records-panel";
import { withAlpha, type Theme } from "../../ui/theme";
import type { RecordList, RecordSlice } from "../record-kind";
import type { PanelContext } from "../types";
import { fmtClipDuration, fmtRate, parseWav, wavPeaks, WavError, type Peaks, type WavInfo } from "./wav";
import type { AudioRecord } from "./record";

/** A clip's header, or why it cannot be drawn (parsed once per record). */
type Decoded = { ok: true; info: WavInfo } | { ok: false; reason: string };
const DECODED = new WeakMap<AudioRecord, Decoded>();

export function decodeClip(rec: AudioRecord): Decoded {
  let d = DECODED.get(rec);
  if (!d) {
    try {
      d = { ok: true, info: parseWav(rec.bytes) };
    } catch (err) {
      d = { ok: false, reason: err instanceof WavError ? err.message : String(err) };
    }
    DECODED.set(rec, d);
  }
  return d;
}

/** Sample rate shown: the entry's, or the WAV header's when the entry says 0. */
export function clipRate(rec: AudioRecord, info: WavInfo | null): number {
  return rec.sampleRate > 0 ? rec.sampleRate : info?.sampleRate ?? 0;
}

const URL_CACHE = 8;
const channelsText = (c: number) => (c === 1 ? "mono" : c === 2 ? "stereo" : `${c} channels`);

class AudioCard implements RecordCard<AudioRecord> {
  readonly el: HTMLElement;
  readonly wave: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly message: HTMLElement;
  private readonly audio: HTMLAudioElement;
  private readonly info: HTMLElement;
  private readonly wall: HTMLElement;
  private readonly slider: HTMLInputElement;
  private readonly label: HTMLElement;
  private recs: AudioRecord[] = [];
  private pos = -1;
  private follow = true;
  private shown: AudioRecord | null = null;
  private urls = new Map<AudioRecord, string>();
  private peaks: { rec: AudioRecord; cols: number; peaks: Peaks } | null = null;
  private width = 0;
  private raf = 0;

  constructor(private readonly ctx: PanelContext, list: RecordList<AudioRecord>) {
    this.canvas = h("canvas", { "aria-label": `waveform of ${list.tag} (${list.run})` });
    this.canvas.style.cssText = "display:block;width:100%;height:100%;cursor:pointer";
    this.message = h("div", { class: "cb-audio-msg cb-muted", style: "position:absolute;inset:0;display:none;align-items:center;justify-content:center;text-align:center;padding:0 8px" });
    this.wave = h("div", { class: "cb-audio-wave", style: "position:relative;width:100%;height:96px;background:var(--cb-bg2);border-radius:3px;overflow:hidden" },
      this.canvas, this.message);
    this.audio = h("audio", { controls: true, preload: "metadata" });
    this.audio.style.cssText = "display:block;width:100%;height:32px;margin-top:6px";
    this.info = h("span", { class: "cb-audio-info" });
    this.wall = h("span", { class: "cb-audio-wall cb-muted", style: "margin-left:auto;white-space:nowrap" });
    this.slider = h("input", { type: "range", min: 0, max: 0, step: 1, value: 0, "aria-label": "Step" });
    this.label = h("span", { class: "cb-step" });
    this.el = h("div", { class: "cb-card cb-audio-card", "data-run": list.run, "data-tag": list.tag },
      cardHead(ctx, list.run, list.tag),
      this.wave,
      this.audio,
      h("div", { style: "display:flex;align-items:baseline;gap:8px;margin-top:4px;font-size:11.5px;color:var(--cb-fg2)" }, this.info, this.wall),
      h("div", { class: "cb-slider-row" }, this.slider, this.label));
    this.slider.addEventListener("input", this.onSlide);
    this.canvas.addEventListener("click", this.onSeek);
    for (const ev of ["play", "pause", "ended", "seeked", "timeupdate"]) this.audio.addEventListener(ev, this.onTime);
  }

  resize(w: number) {
    if (w <= 0 || Math.abs(w - this.width) < 1) return false;
    this.width = w;
    return true;
  }

  update(list: RecordList<AudioRecord>) {
    const prev = this.recs[this.pos];
    this.recs = list.list();
    this.pos = followSlider(this.slider, this.recs, this.pos, this.follow, prev);
    this.show(true);
  }

  private onSlide = () => {
    this.pos = Number(this.slider.value);
    this.follow = this.pos >= this.recs.length - 1;
    this.show(false);
  };

  private url(rec: AudioRecord): string {
    let u = this.urls.get(rec);
    if (u) {
      this.urls.delete(rec); // LRU: move to the end
      this.urls.set(rec, u);
      return u;
    }
    u = URL.createObjectURL(new Blob([rec.bytes as BlobPart], { type: rec.mime || "audio/wav" }));
    this.urls.set(rec, u);
    if (this.urls.size > URL_CACHE) {
      const [oldRec, oldUrl] = this.urls.entries().next().value as [AudioRecord, string];
      if (oldRec !== this.shown) {
        URL.revokeObjectURL(oldUrl);
        this.urls.delete(oldRec);
      }
    }
    return u;
  }

  private show(redraw: boolean) {
    const rec = this.recs[this.pos];
    if (!rec) return;
    let first = this.pos, last = this.pos;
    while (first > 0 && this.recs[first - 1].step === rec.step) first--;
    while (last < this.recs.length - 1 && this.recs[last + 1].step === rec.step) last++;
    const clip = last > first ? `  (clip ${this.pos - first + 1}/${last - first + 1})` : "";
    this.label.textContent = `step ${fmtInt(rec.step)}${clip}`;
    this.label.title = `${this.pos + 1} of ${this.recs.length} clips`;
    this.wall.textContent = fmtWall(rec.wall);
    const d = decodeClip(rec);
    const info = d.ok ? d.info : null;
    const rate = clipRate(rec, info);
    const parts = [fmtRate(rate)];
    if (info) {
      parts.push(fmtClipDuration(rate > 0 ? info.frames / rate : NaN), channelsText(info.channels),
        info.format.startsWith("float") ? `${info.bitsPerSample}-bit float` : `${info.bitsPerSample}-bit`);
    } else parts.push(rec.mime);
    this.info.textContent = parts.join(" · ");
    this.info.title = info
      ? `${fmtInt(info.frames)} frames${info.truncated ? " (file truncated)" : ""}${rec.sampleRate > 0 && info.sampleRate !== rec.sampleRate ? ` · header says ${fmtRate(info.sampleRate)}` : ""}`
      : "";
    if (rec !== this.shown) {
      this.shown = rec;
      this.audio.src = this.url(rec);
      this.draw();
    } else if (redraw) this.draw();
  }

  draw() {
    const rec = this.shown;
    if (!rec) return;
    const d = decodeClip(rec);
    const lanes = d.ok ? d.info.channels : 1;
    const cssH = lanes === 1 ? 96 : lanes === 2 ? 128 : Math.min(240, 44 * lanes);
    if (this.wave.style.height !== `${cssH}px`) this.wave.style.height = `${cssH}px`;
    const w = Math.floor(this.width || this.wave.clientWidth || 300);
    if (w <= 0) return;
    const dpr = fitCanvas(this.canvas, w, cssH, false); // the CSS size follows the wave box
    const theme = this.ctx.theme();
    this.audio.style.colorScheme = theme.dark ? "dark" : "light"; // the native controls follow the theme
    const g = this.canvas.getContext("2d");
    if (!g) return;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, this.canvas.width, this.canvas.height);
    let msg = "";
    if (!d.ok) msg = `cannot decode: ${d.reason}`;
    else if (d.info.frames === 0) msg = "empty clip (0 samples)";
    this.message.textContent = msg;
    this.message.style.display = msg ? "flex" : "none";
    if (!d.ok || d.info.frames === 0) return;
    const cols = this.canvas.width;
    if (!this.peaks || this.peaks.rec !== rec || this.peaks.cols !== cols) {
      this.peaks = { rec, cols, peaks: wavPeaks(rec.bytes, d.info, cols) };
    }
    const progress = this.audio.duration > 0 && (this.audio.currentTime > 0 || !this.audio.paused)
      ? this.audio.currentTime / this.audio.duration : NaN;
    drawWave(g, this.peaks.peaks, d.info, this.canvas.width, this.canvas.height, dpr,
      this.ctx.runColor(rec.run), theme, progress);
  }

  private onSeek = (e: MouseEvent) => {
    const r = this.canvas.getBoundingClientRect();
    const dur = this.audio.duration;
    if (!(dur > 0) || r.width <= 0) return;
    this.audio.currentTime = Math.min(dur, Math.max(0, ((e.clientX - r.left) / r.width) * dur));
    this.draw();
  };

  /** Redraw the playhead every frame while playing, once on pause/seek. */
  private onTime = () => {
    if (this.raf) return;
    const tick = () => {
      this.raf = 0;
      this.draw();
      if (!this.audio.paused && !this.audio.ended && this.el.isConnected) this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
  };

  destroy() {
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.slider.removeEventListener("input", this.onSlide);
    this.canvas.removeEventListener("click", this.onSeek);
    for (const ev of ["play", "pause", "ended", "seeked", "timeupdate"]) this.audio.removeEventListener(ev, this.onTime);
    this.audio.pause();
    this.audio.removeAttribute("src");
    this.audio.load(); // release the media resource before its URL goes
    for (const u of this.urls.values()) URL.revokeObjectURL(u);
    this.urls.clear();
    this.el.remove();
  }
}

/**
 * One lane per channel, in device pixels: a centre line, the min/max column bars (at least a
 * device pixel tall) in the run colour, the played part darker, a playhead at `progress`.
 */
function drawWave(
  g: CanvasRenderingContext2D, p: Peaks, info: WavInfo, W: number, H: number, dpr: number,
  color: string, theme: Theme, progress: number,
) {
  const lanes = info.channels;
  const laneH = H / lanes;
  const played = Number.isFinite(progress) ? Math.round(progress * W) : -1;
  const dim = withAlpha(color, Number.isFinite(progress) ? 0.55 : 0.9);
  for (let ch = 0; ch < lanes; ch++) {
    const top = ch * laneH, mid = top + laneH / 2, amp = laneH / 2 - 3 * dpr;
    g.fillStyle = theme.grid;
    g.fillRect(0, Math.round(mid), W, Math.max(1, Math.round(dpr)));
    if (ch > 0) {
      g.fillStyle = theme.border;
      g.fillRect(0, Math.round(top), W, Math.max(1, Math.round(dpr)));
    }
    const mn = p.min[ch], mx = p.max[ch];
    for (let c = 0; c < p.columns; c++) {
      const y0 = Math.round(mid - Math.max(-1, Math.min(1, mx[c])) * amp);
      const y1 = Math.round(mid - Math.max(-1, Math.min(1, mn[c])) * amp);
      const x = Math.round((c * W) / p.columns), x1 = Math.round(((c + 1) * W) / p.columns);
      g.fillStyle = c < played ? color : dim;
      g.fillRect(x, y0, Math.max(1, x1 - x), Math.max(1, y1 - y0 + 1));
    }
  }
  if (lanes > 1) {
    // lane names over the wave, on a small plate so they stay legible
    g.font = `${10 * dpr}px ${theme.font}`;
    g.textBaseline = "top";
    for (let ch = 0; ch < lanes; ch++) {
      const name = lanes === 2 ? (ch === 0 ? "L" : "R") : `ch ${ch + 1}`;
      const x = 3 * dpr, y = ch * laneH + 2 * dpr, w = g.measureText(name).width + 6 * dpr;
      g.fillStyle = withAlpha(theme.bg, 0.75);
      g.fillRect(x, y, w, 13 * dpr);
      g.fillStyle = theme.fg2;
      g.fillText(name, x + 3 * dpr, y + 1.5 * dpr);
    }
  }
  if (played >= 0) {
    g.fillStyle = theme.fg;
    g.fillRect(Math.min(W - Math.round(dpr), played), 0, Math.max(1, Math.round(1.5 * dpr)), H);
  }
}

export class AudioPanel extends RecordsPanel<AudioRecord> {
  private readonly ro: ResizeObserver | null;
  private readonly resized = new Set<AudioCard>();

  constructor(ctx: PanelContext, records: RecordSlice<AudioRecord>) {
    super(ctx, records, { kind: "audio" });
    this.ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver((entries) => {
      for (const e of entries) {
        const card = [...this.cards.values()].find((c) => (c as AudioCard).wave === e.target) as AudioCard | undefined;
        if (card?.resize(e.contentRect.width)) this.resized.add(card);
      }
      if (this.resized.size) ctx.requestFlush();
    });
  }

  protected makeCard(list: RecordList<AudioRecord>) {
    const card = new AudioCard(this.ctx, list);
    this.ro?.observe(card.wave);
    return card;
  }

  override flush() {
    super.flush();
    for (const c of this.resized) if (c.el.isConnected) c.draw();
    this.resized.clear();
  }

  override destroy() {
    this.ro?.disconnect();
    super.destroy();
  }
}
