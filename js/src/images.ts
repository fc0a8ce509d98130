// The Images tab: a card per (run, tag) showing the image of the selected step, with a slider over
// every logged step (no sampling). The slider follows new images while it sits on the latest.

import { h } from "./dom";
import { fmtWall } from "./format";
import type { PanelContext } from "./panel";
import type { ImageRecord } from "./protocol";
import { cardHead, RecordsPanel, type RecordCard } from "./records-panel";
import type { RecordList } from "./store";

const URL_CACHE = 48;

class ImageCard implements RecordCard<ImageRecord> {
  readonly el: HTMLElement;
  private readonly img: HTMLImageElement;
  private readonly slider: HTMLInputElement;
  private readonly label: HTMLElement;
  private readonly box: HTMLElement;
  private recs: ImageRecord[] = [];
  private pos = -1;
  private follow = true;
  private shown: ImageRecord | null = null;
  private urls = new Map<ImageRecord, string>();

  constructor(ctx: PanelContext, list: RecordList<ImageRecord>) {
    this.img = h("img", { alt: `${list.tag} (${list.run})`, draggable: "false" });
    this.img.addEventListener("load", () => this.fit());
    this.box = h("div", { class: "cb-img-box" }, this.img);
    this.slider = h("input", { type: "range", min: 0, max: 0, step: 1, value: 0, "aria-label": "Step" });
    this.label = h("span", { class: "cb-step" });
    this.slider.addEventListener("input", () => {
      this.pos = Number(this.slider.value);
      this.follow = this.pos >= this.recs.length - 1;
      this.show();
    });
    this.el = h("div", { class: "cb-card cb-image-card" },
      cardHead(ctx, list.run, list.tag),
      this.box,
      h("div", { class: "cb-slider-row" }, this.slider, this.label));
  }

  update(list: RecordList<ImageRecord>) {
    const prev = this.recs[this.pos];
    this.recs = list.list();
    const n = this.recs.length;
    if (this.follow || this.pos < 0) this.pos = n - 1;
    else if (prev) this.pos = Math.max(0, this.recs.indexOf(prev)); // records inserted before it
    this.slider.max = String(Math.max(0, n - 1));
    this.slider.value = String(this.pos);
    this.slider.disabled = n <= 1;
    this.show();
  }

  private url(rec: ImageRecord): string {
    let u = this.urls.get(rec);
    if (u) {
      this.urls.delete(rec); // LRU: move to the end
      this.urls.set(rec, u);
      return u;
    }
    u = URL.createObjectURL(new Blob([rec.bytes as BlobPart], { type: rec.mime || "image/png" }));
    this.urls.set(rec, u);
    if (this.urls.size > URL_CACHE) {
      const [oldRec, oldUrl] = this.urls.entries().next().value as [ImageRecord, string];
      if (oldRec !== this.shown) {
        URL.revokeObjectURL(oldUrl);
        this.urls.delete(oldRec);
      }
    }
    return u;
  }

  private show() {
    const rec = this.recs[this.pos];
    if (!rec) return;
    // several images at one step (e.g. logged twice): say which sample this is
    let first = this.pos, last = this.pos;
    while (first > 0 && this.recs[first - 1].step === rec.step) first--;
    while (last < this.recs.length - 1 && this.recs[last + 1].step === rec.step) last++;
    const sample = last > first ? `  (sample ${this.pos - first + 1}/${last - first + 1})` : "";
    this.label.textContent = `step ${rec.step}${sample}`;
    this.label.title = `${fmtWall(rec.wall)}  ·  ${rec.width}×${rec.height}  ·  ${this.pos + 1} of ${this.recs.length} images`;
    if (rec === this.shown) return;
    this.shown = rec;
    this.img.src = this.url(rec);
  }

  /** Small images are scaled up by an integer factor (crisp pixels), large ones fit the card. */
  private fit() {
    const nw = this.img.naturalWidth, nh = this.img.naturalHeight;
    if (!nw || !nh) return;
    const boxW = this.box.clientWidth || 300;
    const k = Math.max(1, Math.floor(Math.min(boxW, 320) / nw), 1);
    const kh = Math.max(1, Math.floor(340 / nh));
    const scale = Math.min(k, kh);
    this.img.classList.toggle("cb-pixelated", scale > 1);
    this.img.style.width = scale > 1 ? `${nw * scale}px` : "";
  }

  destroy() {
    for (const u of this.urls.values()) URL.revokeObjectURL(u);
    this.urls.clear();
    this.el.remove();
  }
}

export class ImagesPanel extends RecordsPanel<ImageRecord> {
  readonly kind = "images" as const;

  constructor(ctx: PanelContext) {
    super(ctx, "cb-grid-small");
    this.el.classList.add("cb-panel-images");
  }

  protected lists() {
    return this.ctx.store.images;
  }

  protected makeCard(list: RecordList<ImageRecord>) {
    return new ImageCard(this.ctx, list);
  }
}
