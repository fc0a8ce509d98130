// Images: a card per (run, tag) showing the image of the selected step, with a slider over every
// logged step (no sampling). The slider follows new images while it sits on the latest.
// Images are scaled to the card (crisp pixels when scaled up), or shown at their actual size;
// brightness and contrast apply to every image of the view (sidebar, as TensorBoard's settings);
// a click opens the image large in a lightbox inside the board (Esc, a click or × closes it,
// ←/→ step through that card's images).
// Videos (`add_video`: animated GIFs) play and loop, with a play/stop control and their frame
// count and fps on the card (images-video.ts). Images with boxes (`add_image_with_boxes`, live)
// arrive without them plus their coordinates: the card draws them (images-boxes.ts) and a
// "boxes" toggle hides them.
// Wire: `{..., width, height, mime, boxes?, labels?}`, buffer = the encoded image bytes.

import { h, iconButton, ICONS, icon } from "../ui/dom";
import { fmtWall } from "../ui/format";
import { cardHead, followSlider, RecordsPanel, type RecordCard } from "../ui/records-panel";
import { num, str, toBytes } from "../wire";
import { type Box, boxesOverlay, readBoxes, readLabels } from "./images-boxes";
import { firstFrameGif, type GifInfo, loopingGif, parseGif, videoLabel } from "./images-video";
import { recordCount, recordKind, type RecordKind, type RecordList, type RecordSlice } from "./record-kind";
import { DASHBOARD_ORDER, type PanelContext, type RecordEntry } from "./types";

export interface ImageRecord extends RecordEntry {
  width: number;
  height: number;
  mime: string;
  bytes: Uint8Array;
  /** add_image_with_boxes (live): boxes in the pixels of width x height, to draw over the clean image. */
  boxes: Box[] | null;
  labels: string[] | null;
  /** An animated GIF (a video): its structure; null for still images. */
  video: GifInfo | null;
}

export const images: RecordKind<ImageRecord> = recordKind<ImageRecord>({
  name: "images",
  label: "Images",
  order: DASHBOARD_ORDER.images,
  decode(e, buffers, base) {
    const buf = buffers.of(e);
    if (!buf) throw new RangeError(`missing buffer for image ${base.run}/${base.tag}`);
    const bytes = toBytes(buf);
    const mime = str(e.mime) ?? "image/png";
    const gif = mime === "image/gif" ? parseGif(bytes) : null;
    const boxes = readBoxes(e.boxes);
    return {
      ...base, width: num(e.width, 0), height: num(e.height, 0), mime, bytes,
      boxes, labels: boxes ? readLabels(e.labels, boxes.length) : null,
      video: gif && gif.frames > 1 ? gif : null,
    };
  },
  createPanel: (ctx, records) => new ImagesPanel(ctx, records),
  hooks: (store) => ({ imageCount: String(recordCount(store, images)) }),
});

// ------------------------------------------------------------------ pure helpers (tested)

/** The CSS filter for brightness and contrast (1 = unchanged); "none" when both are 1. */
export function imageFilter(brightness: number, contrast: number): string {
  const b = Number.isFinite(brightness) ? Math.max(0, brightness) : 1;
  const c = Number.isFinite(contrast) ? Math.max(0, contrast) : 1;
  if (b === 1 && c === 1) return "none";
  return `brightness(${+b.toFixed(3)}) contrast(${+c.toFixed(3)})`;
}

/** The scale at which an image of natural size nw x nh fits a box of availW x availH. */
export function fitScale(nw: number, nh: number, availW: number, availH: number): number {
  if (!(nw > 0 && nh > 0 && availW > 0 && availH > 0)) return 1;
  return Math.min(availW / nw, availH / nh);
}

/** "step 900", plus "(sample i/n)" when several images share the step (logged at one step). */
export function stepLabel(recs: readonly { step: number }[], pos: number): string {
  const rec = recs[pos];
  if (!rec) return "";
  let first = pos, last = pos;
  while (first > 0 && recs[first - 1].step === rec.step) first--;
  while (last < recs.length - 1 && recs[last + 1].step === rec.step) last++;
  const sample = last > first ? `  (sample ${pos - first + 1}/${last - first + 1})` : "";
  return `step ${rec.step}${sample}`;
}

/** Wall time and size of an image record (and what a video is), for the line under the slider. */
export function imageInfo(rec: { wall: number; width: number; height: number; video?: GifInfo | null }): string {
  const parts = [rec.video ? videoLabel(rec.video) : "", fmtWall(rec.wall)];
  if (rec.width > 0 && rec.height > 0) parts.push(`${rec.width}×${rec.height}`);
  return parts.filter(Boolean).join("  ·  ");
}

/** Scaled up by more than this, images are drawn with crisp (nearest-neighbour) pixels. */
const PIXELATED_ABOVE = 1.01;
const URL_CACHE = 48;

/** Per-view options of the Images tab, shared by its cards and lightbox. */
interface ImageOptions {
  actualSize: boolean;
  /** Moving one card's step slider moves every card to that step (TensorBoard issue #469). */
  linkSteps: boolean;
  brightness: number;
  contrast: number;
}

/** The bytes an <img> shows: videos made to loop (or their first frame alone, when stopped). */
function shownBytes(rec: ImageRecord, still: boolean): Uint8Array {
  if (!rec.video) return rec.bytes;
  return still ? firstFrameGif(rec.bytes, rec.video) : loopingGif(rec.bytes, rec.video);
}

/** Object URLs of image records, least recently used evicted (but never the ones in `keep`). */
class UrlCache {
  private urls = new Map<ImageRecord, string>();

  /** `still`: the cache of stopped videos' first frames. */
  constructor(private readonly still = false) {}

  get(rec: ImageRecord, keep: (r: ImageRecord) => boolean): string {
    let u = this.urls.get(rec);
    if (u) {
      this.urls.delete(rec); // LRU: move to the end
      this.urls.set(rec, u);
      return u;
    }
    u = URL.createObjectURL(new Blob([shownBytes(rec, this.still) as BlobPart], { type: rec.mime || "image/png" }));
    this.urls.set(rec, u);
    if (this.urls.size > URL_CACHE) {
      for (const [oldRec, oldUrl] of this.urls) {
        if (this.urls.size <= URL_CACHE) break;
        if (oldRec === rec || keep(oldRec)) continue;
        URL.revokeObjectURL(oldUrl);
        this.urls.delete(oldRec);
      }
    }
    return u;
  }

  clear() {
    for (const u of this.urls.values()) URL.revokeObjectURL(u);
    this.urls.clear();
  }
}

// ------------------------------------------------------------------ an image with its boxes

/** Whether a record has boxes for the board to draw (live add_image_with_boxes). */
export const hasBoxes = (rec: ImageRecord | undefined): boolean => !!rec?.boxes?.length;

/** An <img> in a frame that lays the record's boxes over it (an SVG scaled with the image). */
class FramedImage {
  readonly el: HTMLElement;
  private overlay: SVGSVGElement | null = null;
  private overlayFor: ImageRecord | null = null;

  constructor(readonly img: HTMLImageElement) {
    this.el = h("span", { class: "cb-img-frame" }, img);
    this.el.style.position = "relative";
    this.el.style.display = "block";
  }

  /** Draw `rec`'s boxes over the image (or none: `show` false or no boxes). */
  boxes(rec: ImageRecord | null, show: boolean) {
    const want = show && rec && hasBoxes(rec) ? rec : null;
    if (want === this.overlayFor) return;
    this.overlay?.remove();
    this.overlay = null;
    this.overlayFor = want;
    if (!want?.boxes) return;
    const w = want.width || this.img.naturalWidth, hh = want.height || this.img.naturalHeight;
    if (!(w > 0 && hh > 0)) return;
    this.overlay = boxesOverlay(w, hh, want.boxes, want.labels);
    this.el.append(this.overlay);
  }
}

/** A small text toggle for a card's head (aria-pressed says its state). */
function toggleButton(text: string, title: string): HTMLButtonElement {
  const b = h("button", { class: "cb-linkbtn cb-toggle", type: "button", text, title, "aria-pressed": "true" });
  b.style.marginRight = "6px";
  return b;
}

// ------------------------------------------------------------------ lightbox

/** A full-board overlay showing one image large; one per panel, placed in the board's root. */
class Lightbox {
  readonly el: HTMLElement;
  private readonly img: HTMLImageElement;
  private readonly frame: FramedImage;
  private readonly stage: HTMLElement;
  private readonly caption: HTMLElement;
  private readonly closeBtn: HTMLButtonElement;
  private showBoxes = true;
  private recs: ImageRecord[] = [];
  private pos = 0;
  private run = "";
  private tag = "";
  private returnFocus: HTMLElement | null = null;
  private readonly urls = new UrlCache();

  constructor(private readonly opts: ImageOptions) {
    this.img = h("img", { class: "cb-lightbox-img", alt: "", draggable: "false" });
    this.img.addEventListener("load", () => this.fit());
    this.caption = h("div", { class: "cb-lightbox-caption" });
    this.closeBtn = h("button", { class: "cb-icon cb-lightbox-close", type: "button", title: "Close (Esc)", "aria-label": "Close" });
    this.closeBtn.append(icon(["M4 4l8 8", "M12 4l-8 8"]));
    this.frame = new FramedImage(this.img);
    this.frame.el.style.flex = "none";
    this.stage = h("div", { class: "cb-lightbox-stage" }, this.frame.el);
    this.el = h("div", { class: "cb-lightbox", role: "dialog", "aria-modal": "true", "aria-label": "Image", tabindex: -1 },
      this.stage, this.caption, this.closeBtn);
    // any click closes it (the image too: nothing in it is interactive)
    this.el.addEventListener("click", (e) => {
      e.stopPropagation();
      this.close();
    });
  }

  get isOpen() {
    return this.el.isConnected;
  }

  open(host: HTMLElement, run: string, tag: string, recs: ImageRecord[], pos: number, from: HTMLElement | null, showBoxes = true) {
    this.showBoxes = showBoxes;
    this.run = run;
    this.tag = tag;
    this.recs = recs;
    this.pos = pos;
    this.returnFocus = from;
    if (this.el.parentElement !== host) host.append(this.el);
    this.el.ownerDocument.addEventListener("keydown", this.onKey, true);
    this.show();
    this.closeBtn.focus({ preventScroll: true });
  }

  close() {
    if (!this.isOpen) return;
    this.el.ownerDocument.removeEventListener("keydown", this.onKey, true);
    this.el.remove();
    this.img.removeAttribute("src");
    this.frame.boxes(null, false);
    this.urls.clear();
    this.returnFocus?.focus({ preventScroll: true });
    this.returnFocus = null;
  }

  /** Apply the view's brightness and contrast. */
  applyFilter() {
    this.img.style.filter = imageFilter(this.opts.brightness, this.opts.contrast);
  }

  private onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      this.close();
    } else if ((e.key === "ArrowLeft" || e.key === "ArrowRight") && this.recs.length > 1) {
      e.preventDefault();
      e.stopPropagation();
      this.pos = Math.min(this.recs.length - 1, Math.max(0, this.pos + (e.key === "ArrowLeft" ? -1 : 1)));
      this.show();
    }
  };

  private show() {
    const rec = this.recs[this.pos];
    if (!rec) return this.close();
    this.applyFilter();
    this.img.alt = `${this.tag} (${this.run}), ${stepLabel(this.recs, this.pos)}`;
    this.img.src = this.urls.get(rec, () => false);
    this.frame.boxes(rec, this.showBoxes);
    const nav = this.recs.length > 1 ? `  ·  ${this.pos + 1} of ${this.recs.length} (←/→)` : "";
    this.caption.replaceChildren(
      h("span", { class: "cb-lightbox-tag", text: this.tag }),
      h("span", { class: "cb-lightbox-run", text: this.run }),
      h("span", { class: "cb-muted", text: `${stepLabel(this.recs, this.pos)}  ·  ${imageInfo(rec)}${nav}` }));
    this.fit();
  }

  /** As large as the board allows; crisp pixels when that scales the image up. */
  private fit() {
    const nw = this.img.naturalWidth, nh = this.img.naturalHeight;
    if (!nw || !nh) return;
    const k = fitScale(nw, nh, this.stage.clientWidth, this.stage.clientHeight);
    this.img.style.width = `${Math.max(1, Math.floor(nw * k))}px`;
    this.img.style.height = `${Math.max(1, Math.floor(nh * k))}px`;
    this.img.classList.toggle("cb-pixelated", k > PIXELATED_ABOVE);
  }
}

// ------------------------------------------------------------------ cards

class ImageCard implements RecordCard<ImageRecord> {
  readonly el: HTMLElement;
  readonly box: HTMLElement;
  private readonly img: HTMLImageElement;
  private readonly frame: FramedImage;
  private readonly slider: HTMLInputElement;
  private readonly label: HTMLElement;
  private readonly info: HTMLElement;
  private readonly wideBtn: HTMLButtonElement;
  private readonly boxesBtn: HTMLButtonElement;
  private readonly playBtn: HTMLButtonElement;
  private recs: ImageRecord[] = [];
  private pos = -1;
  private follow = true;
  private shown: ImageRecord | null = null;
  private shownStill = false;
  /** The boxes toggle: draw the boxes of add_image_with_boxes (on by default, as the file shows them). */
  private showBoxes = true;
  /** Videos play (looping) unless stopped, which shows their first frame. */
  private playing = true;
  private readonly urls = new UrlCache();
  private readonly stills = new UrlCache(true);

  constructor(
    private readonly panel: ImagesPanel,
    ctx: PanelContext,
    private readonly list: RecordList<ImageRecord>,
  ) {
    this.img = h("img", { alt: `${list.tag} (${list.run})`, draggable: "false", title: "Click to enlarge" });
    this.img.addEventListener("load", () => this.fit());
    this.frame = new FramedImage(this.img);
    this.box = h("div", { class: "cb-img-box", role: "button", tabindex: 0, "aria-label": `Enlarge ${list.tag} (${list.run})` }, this.frame.el);
    this.box.addEventListener("click", () => this.enlarge());
    this.box.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        this.enlarge();
      }
    });
    this.slider = h("input", { type: "range", min: 0, max: 0, step: 1, value: 0, "aria-label": "Step" });
    this.label = h("span", { class: "cb-step" });
    this.info = h("div", { class: "cb-img-info" });
    this.slider.addEventListener("input", () => {
      this.pos = Number(this.slider.value);
      this.follow = this.pos >= this.recs.length - 1;
      this.show();
      const rec = this.recs[this.pos];
      if (rec && this.panel.opts.linkSteps) this.panel.linkSteps(this, rec.step, this.follow);
    });
    this.wideBtn = iconButton("expand", "Expand to the full width");
    this.wideBtn.addEventListener("click", () => {
      const wide = this.el.classList.toggle("cb-wide");
      this.wideBtn.replaceChildren(icon(ICONS[wide ? "collapse" : "expand"]));
      this.wideBtn.title = wide ? "Back to the grid" : "Expand to the full width";
      this.wideBtn.setAttribute("aria-label", this.wideBtn.title);
      this.wideBtn.setAttribute("aria-pressed", String(wide));
      this.fit();
    });
    this.boxesBtn = toggleButton("boxes", "Hide the boxes");
    this.boxesBtn.addEventListener("click", () => {
      this.showBoxes = !this.showBoxes;
      this.show();
    });
    this.playBtn = toggleButton("stop", "Stop the video (shows its first frame)");
    this.playBtn.addEventListener("click", () => {
      this.playing = !this.playing;
      this.show();
    });
    this.el = h("div", { class: "cb-card cb-image-card" },
      cardHead(ctx, list.run, list.tag, h("span", { class: "cb-actions" }, this.playBtn, this.boxesBtn, this.wideBtn)),
      this.box,
      h("div", { class: "cb-slider-row" }, this.slider, this.label),
      this.info);
    this.applyOptions();
  }

  update(list: RecordList<ImageRecord>) {
    const prev = this.recs[this.pos];
    this.recs = list.list();
    this.pos = followSlider(this.slider, this.recs, this.pos, this.follow, prev);
    this.show();
  }

  /** Show the last image at or before `step` (the first one if all are after it); `follow`: the
   * newest image, as a card at its slider's end does. */
  goToStep(step: number, follow: boolean) {
    if (!this.recs.length) return;
    let pos = 0;
    if (follow) pos = this.recs.length - 1;
    else for (let i = 0; i < this.recs.length && this.recs[i].step <= step; i++) pos = i;
    this.pos = pos;
    this.follow = follow || pos >= this.recs.length - 1;
    this.slider.value = String(pos);
    this.show();
  }

  private show() {
    const rec = this.recs[this.pos];
    if (!rec) return;
    this.el.dataset.step = String(rec.step);
    this.label.textContent = stepLabel(this.recs, this.pos);
    this.label.title = `${this.pos + 1} of ${this.recs.length} images`;
    this.info.textContent = imageInfo(rec);
    this.info.title = `wall time of the image shown${rec.width ? `; ${rec.width}×${rec.height} pixels` : ""}`;
    this.syncToggles(rec);
    this.frame.boxes(rec, this.showBoxes);
    const still = !!rec.video && !this.playing;
    if (rec === this.shown && still === this.shownStill) return;
    this.shown = rec;
    this.shownStill = still;
    this.img.src = (still ? this.stills : this.urls).get(rec, (r) => r === this.shown);
  }

  /** The boxes and play toggles show only for records that have boxes / are videos; test hooks. */
  private syncToggles(rec: ImageRecord) {
    const boxes = hasBoxes(rec);
    this.boxesBtn.style.display = boxes ? "" : "none";
    this.boxesBtn.setAttribute("aria-pressed", String(this.showBoxes));
    this.boxesBtn.title = this.showBoxes ? "Hide the boxes" : "Show the boxes";
    this.boxesBtn.style.textDecoration = this.showBoxes ? "" : "line-through";
    this.playBtn.style.display = rec.video ? "" : "none";
    this.playBtn.textContent = this.playing ? "stop" : "play";
    this.playBtn.title = this.playing ? "Stop the video (shows its first frame)" : "Play the video (loops)";
    this.playBtn.setAttribute("aria-pressed", String(this.playing));
    const d = this.el.dataset;
    const hooks: Record<string, string | undefined> = {
      boxCount: boxes ? String(rec.boxes?.length) : undefined,
      boxesShown: boxes ? (this.showBoxes ? "1" : "0") : undefined,
      videoFrames: rec.video ? String(rec.video.frames) : undefined,
      videoPlaying: rec.video ? (this.playing ? "1" : "0") : undefined,
    };
    for (const [k, v] of Object.entries(hooks)) {
      if (v === undefined) delete d[k];
      else d[k] = v;
    }
  }

  private enlarge() {
    if (this.recs[this.pos]) this.panel.openLightbox(this.list.run, this.list.tag, this.recs, this.pos, this.box, this.showBoxes);
  }

  /** Actual size or fitted to the card; per-view options changed. */
  applyOptions() {
    const actual = this.panel.opts.actualSize;
    this.box.classList.toggle("cb-actual", actual);
    this.frame.el.style.width = actual ? "auto" : "100%";
    this.frame.el.style.flex = actual ? "none" : "";
    this.fit();
  }

  /** Crisp pixels when the image is drawn larger than it is. */
  fit() {
    const nw = this.img.naturalWidth, nh = this.img.naturalHeight;
    if (!nw || !nh) return;
    const k = this.panel.opts.actualSize ? 1 : fitScale(nw, nh, this.img.clientWidth, this.img.clientHeight);
    this.img.classList.toggle("cb-pixelated", k > PIXELATED_ABOVE);
  }

  destroy() {
    this.urls.clear();
    this.stills.clear();
    this.el.remove();
  }
}

class ImagesPanel extends RecordsPanel<ImageRecord> {
  readonly opts: ImageOptions = { actualSize: false, linkSteps: false, brightness: 1, contrast: 1 };
  private readonly controls: HTMLElement;
  private readonly actualBox: HTMLInputElement;
  private readonly linkBox: HTMLInputElement;
  private readonly brightRange: HTMLInputElement;
  private readonly contrastRange: HTMLInputElement;
  private readonly brightOut: HTMLElement;
  private readonly contrastOut: HTMLElement;
  private readonly lightbox: Lightbox;
  private readonly byBox = new Map<Element, ImageCard>();
  private readonly ro: ResizeObserver | null;

  constructor(ctx: PanelContext, records: RecordSlice<ImageRecord>) {
    super(ctx, records, { kind: "images", gridClass: "cb-grid-small" });
    this.lightbox = new Lightbox(this.opts);
    this.ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver((entries) => {
      for (const e of entries) this.byBox.get(e.target)?.fit();
    });

    this.actualBox = h("input", { type: "checkbox" });
    this.actualBox.addEventListener("change", () => {
      this.opts.actualSize = this.actualBox.checked;
      for (const c of this.byBox.values()) c.applyOptions();
    });
    this.linkBox = h("input", { type: "checkbox" });
    this.linkBox.addEventListener("change", () => {
      this.opts.linkSteps = this.linkBox.checked;
    });
    this.brightRange = h("input", { type: "range", min: 0, max: 2, step: 0.01, value: 1, "aria-label": "Brightness" });
    this.contrastRange = h("input", { type: "range", min: 0, max: 5, step: 0.01, value: 1, "aria-label": "Contrast" });
    this.brightOut = h("span", { class: "cb-muted cb-range-out" });
    this.contrastOut = h("span", { class: "cb-muted cb-range-out" });
    this.brightRange.addEventListener("input", () => {
      this.opts.brightness = Number(this.brightRange.value);
      this.applyFilter();
    });
    this.contrastRange.addEventListener("input", () => {
      this.opts.contrast = Number(this.contrastRange.value);
      this.applyFilter();
    });
    const reset = h("button", { class: "cb-linkbtn", type: "button", text: "reset" });
    reset.addEventListener("click", () => {
      this.opts.brightness = 1;
      this.opts.contrast = 1;
      this.applyFilter();
    });
    this.controls = h("div", { class: "cb-side-section cb-image-settings" },
      h("div", { class: "cb-side-title", text: "Images" }),
      h("label", { class: "cb-field" }, h("span", { class: "cb-label", text: "Brightness" }), this.brightRange, this.brightOut),
      h("label", { class: "cb-field" }, h("span", { class: "cb-label", text: "Contrast" }), this.contrastRange, this.contrastOut),
      h("div", { class: "cb-field" }, reset),
      h("label", { class: "cb-field" }, this.actualBox, h("span", { text: "Show actual image size" })),
      h("label", { class: "cb-field", title: "Moving one card's step slider shows every card at that step (or the last step before it)" },
        this.linkBox, h("span", { text: "Link steps across cards" })),
      h("div", { class: "cb-muted", text: "Click an image to enlarge it." }));
    this.applyFilter();
  }

  override settingsEl() {
    return this.controls;
  }

  override syncControls() {
    this.actualBox.checked = this.opts.actualSize;
    this.linkBox.checked = this.opts.linkSteps;
    this.brightRange.value = String(this.opts.brightness);
    this.contrastRange.value = String(this.opts.contrast);
    this.brightOut.textContent = `${Math.round(this.opts.brightness * 100)}%`;
    this.contrastOut.textContent = `${Math.round(this.opts.contrast * 100)}%`;
  }

  private applyFilter() {
    const f = imageFilter(this.opts.brightness, this.opts.contrast);
    this.el.style.setProperty("--cb-img-filter", f);
    this.lightbox.applyFilter();
    this.syncControls();
  }

  /** Every other card to `step` (linked steps). */
  linkSteps(from: ImageCard, step: number, follow: boolean) {
    for (const c of this.byBox.values()) if (c !== from) c.goToStep(step, follow);
  }

  openLightbox(run: string, tag: string, recs: ImageRecord[], pos: number, from: HTMLElement, showBoxes: boolean) {
    const host = this.el.closest<HTMLElement>(".cellboard") ?? this.el;
    this.lightbox.open(host, run, tag, recs, pos, from, showBoxes);
  }

  protected makeCard(list: RecordList<ImageRecord>) {
    const card = new ImageCard(this, this.ctx, list);
    this.byBox.set(card.box, card);
    this.ro?.observe(card.box);
    return card;
  }

  override destroy() {
    this.ro?.disconnect();
    this.byBox.clear();
    this.lightbox.close();
    super.destroy();
  }
}
