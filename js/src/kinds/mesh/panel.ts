// The Mesh tab: a card per (run, mesh name) with a rotatable 3D view (ui/three-scene.ts: drag
// rotates, wheel zooms, right-drag pans), a step slider over every logged step (following the
// latest while it sits there) and, for batches, a sample slider. The camera is fitted to the
// first mesh shown (with the config's camera: fov, near, far, position) and then kept across
// steps, so steps compare from the same viewpoint; "reset view" fits it again.
// A card holds a WebGL context only while it is on screen (browsers allow ~16 per page): one
// scrolled away, or in a hidden tab, gives its context back and keeps its camera for when it returns.

import { type PerspectiveCamera, Sphere, Vector3 } from "three";
import { h, iconButton, tagGroup } from "../../ui/dom";
import { fmtWall } from "../../ui/format";
import { cardHead, followSlider } from "../../ui/records-panel";
import { Sections } from "../../ui/sections";
import { ThreeScene } from "../../ui/three-scene";
import { changedKeys } from "../../store-change";
import type { RecordList, RecordSlice } from "../record-kind";
import { seriesKey, type Dirt, type Panel, type PanelContext } from "../types";
import { assembleMeshes, boundingSphere, type MeshConfig, type MeshFrame, meshSample, meshSummary, type MeshPart } from "./data";
import { meshObject } from "./objects";

/** The lists of one (run, name): the value tags `<name>_VERTEX`, `_FACE`, `_COLOR` (or tensorboardX's `_1`...). */
interface MeshLists {
  run: string;
  name: string;
  vertex: RecordList<MeshPart> | null;
  face: RecordList<MeshPart> | null;
  color: RecordList<MeshPart> | null;
}

/** Group a slice's lists by (run, mesh name); the key is seriesKey(run, name). */
export function meshGroups(lists: Iterable<RecordList<MeshPart>>): Map<string, MeshLists> {
  const out = new Map<string, MeshLists>();
  for (const l of lists) {
    const first = l.list()[0];
    if (!first) continue;
    const key = seriesKey(l.run, first.name);
    let g = out.get(key);
    if (!g) out.set(key, (g = { run: l.run, name: first.name, vertex: null, face: null, color: null }));
    if (first.content === "VERTEX") g.vertex = l;
    else if (first.content === "FACE") g.face = l;
    else g.color = l;
  }
  return out;
}

/** Apply the config's camera (fov, near, far) to the view; true when it gives a position to look from. */
function cameraDirection(cfg: MeshConfig, view: ThreeScene, center: Vector3): Vector3 | undefined {
  const cam = cfg.camera;
  if (!cam) return undefined;
  if (typeof cam.fov === "number" && cam.fov > 0 && cam.fov < 180) view.camera.fov = cam.fov;
  view.camera.updateProjectionMatrix();
  const p = cam.position;
  if (Array.isArray(p) && p.length === 3 && p.every((x) => typeof x === "number" && Number.isFinite(x))) {
    const dir = new Vector3(p[0], p[1], p[2]).sub(center);
    if (dir.lengthSq() > 0) return dir;
  }
  return undefined;
}

class MeshCard {
  readonly el: HTMLElement;
  private readonly stage: HTMLElement;
  private readonly slider: HTMLInputElement;
  private readonly sampleSlider: HTMLInputElement;
  private readonly sampleRow: HTMLElement;
  private readonly label: HTMLElement;
  private readonly info: HTMLElement;
  private view: ThreeScene | null = null;
  private noWebgl = false;
  /** On screen (or near it); always true where IntersectionObserver is missing. */
  private visible: boolean;
  /** The camera while the card had no view (scrolled away), restored when it gets one again. */
  private saved: { position: Vector3; target: Vector3; camera: Pick<PerspectiveCamera, "fov" | "near" | "far"> } | null = null;
  private frames: MeshFrame[] = [];
  private pos = -1;
  private follow = true;
  private sample = 0;
  private shownKey = "";
  private fitted = false;

  constructor(ctx: PanelContext, readonly run: string, readonly name: string, observed: boolean) {
    this.visible = !observed;
    this.stage = h("div", { class: "cb-mesh-stage", title: "Drag to rotate, wheel to zoom, right-drag to pan" });
    Object.assign(this.stage.style, { height: "320px", position: "relative", borderRadius: "4px", overflow: "hidden" });
    this.slider = h("input", { type: "range", min: 0, max: 0, step: 1, value: 0, "aria-label": "Step" });
    this.slider.addEventListener("input", () => {
      this.pos = Number(this.slider.value);
      this.follow = this.pos >= this.frames.length - 1;
      this.show();
    });
    this.sampleSlider = h("input", { type: "range", min: 0, max: 0, step: 1, value: 0, "aria-label": "Sample" });
    this.sampleSlider.addEventListener("input", () => {
      this.sample = Number(this.sampleSlider.value);
      this.show();
    });
    this.sampleRow = h("div", { class: "cb-slider-row" }, this.sampleSlider, h("span", { class: "cb-step cb-mesh-sample" }));
    this.sampleRow.style.display = "none";
    this.label = h("span", { class: "cb-step" });
    this.info = h("div", { class: "cb-img-info cb-mesh-info" });
    const reset = iconButton("reset", "Reset the view");
    reset.addEventListener("click", () => this.fit());
    this.el = h("div", { class: "cb-card cb-mesh-card" },
      cardHead(ctx, run, name, h("span", { class: "cb-actions" }, reset)),
      this.stage,
      h("div", { class: "cb-slider-row" }, this.slider, this.label),
      this.sampleRow,
      this.info);
  }

  update(g: MeshLists) {
    const prev = this.frames[this.pos];
    this.frames = assembleMeshes(g.vertex?.list() ?? [], g.face?.list() ?? [], g.color?.list() ?? []);
    const same = prev ? this.frames.findIndex((f) => f.vertex === prev.vertex) : -1;
    this.pos = followSlider(this.slider, this.frames, same >= 0 ? same : this.pos, this.follow, this.frames[same]);
    this.show();
  }

  /** The card's stage (what the panel's IntersectionObserver watches). */
  get target(): HTMLElement {
    return this.stage;
  }

  /** Came on screen (create the view, with the camera it had) or left it (give the WebGL context back). */
  setVisible(v: boolean) {
    if (v === this.visible) return;
    this.visible = v;
    if (v) this.show();
    else this.release();
  }

  private release() {
    if (!this.view) return;
    const { camera, controls } = this.view;
    this.saved = { position: camera.position.clone(), target: controls.target.clone(), camera: { fov: camera.fov, near: camera.near, far: camera.far } };
    this.view.dispose();
    this.view = null;
    this.shownKey = "";
  }

  private ensureView(): ThreeScene | null {
    if (!this.view && !this.noWebgl && this.visible && this.el.isConnected) {
      this.view = ThreeScene.create(this.stage);
      if (!this.view) {
        this.noWebgl = true;
        this.el.dataset.meshWebgl = "0";
        this.stage.style.height = "auto"; // just the note
      }
    }
    return this.view;
  }

  /** Put the camera back where it was before the view was released. */
  private restoreCamera(view: ThreeScene) {
    const s = this.saved;
    if (!s) return;
    this.saved = null;
    Object.assign(view.camera, s.camera);
    view.camera.position.copy(s.position);
    view.camera.updateProjectionMatrix();
    view.controls.target.copy(s.target);
    view.controls.update();
    view.requestRender();
  }

  private show() {
    const frame = this.frames[this.pos];
    if (!frame) return;
    const batch = frame.vertex.batch;
    this.sample = Math.min(this.sample, Math.max(0, batch - 1));
    this.sampleRow.style.display = batch > 1 ? "" : "none";
    this.sampleSlider.max = String(Math.max(0, batch - 1));
    this.sampleSlider.value = String(this.sample);
    (this.sampleRow.lastChild as HTMLElement).textContent = `sample ${this.sample + 1}/${batch}`;
    const s = meshSample(frame, this.sample);
    this.label.textContent = `step ${frame.step}`;
    this.label.title = `${this.pos + 1} of ${this.frames.length} meshes`;
    const bad = s.badFaces ? `  ·  ${s.badFaces} faces with bad vertex indices not drawn` : "";
    this.info.textContent = [meshSummary(s), s.colors ? "vertex colours" : "", fmtWall(frame.wall)].filter(Boolean).join("  ·  ") + bad;
    Object.assign(this.el.dataset, { meshVertices: String(s.vertexCount), meshFaces: String(s.faceCount), meshStep: String(frame.step) });
    // the same tensors at the same sample: nothing to rebuild (faces/colours arriving later change the key)
    const key = `${frame.vertex.index}|${frame.face?.index ?? "-"}|${frame.color?.index ?? "-"}|${this.sample}`;
    const view = this.ensureView();
    if (!view || key === this.shownKey) return;
    this.shownKey = key;
    view.setContent(meshObject(s, frame.vertex.config));
    if (this.saved) this.restoreCamera(view);
    else if (!this.fitted) this.fit();
  }

  /** Frame the current mesh (the config's camera when given). */
  private fit() {
    const frame = this.frames[this.pos];
    if (!frame || !this.view) return;
    const s = meshSample(frame, this.sample);
    const b = boundingSphere(s.positions);
    const center = new Vector3(...b.center);
    const dir = cameraDirection(frame.vertex.config, this.view, center);
    this.view.fitTo(new Sphere(center, b.radius), dir);
    const cam = frame.vertex.config.camera;
    if (cam && typeof cam.near === "number" && cam.near > 0) this.view.camera.near = cam.near;
    if (cam && typeof cam.far === "number" && cam.far > this.view.camera.near) this.view.camera.far = cam.far;
    this.view.camera.updateProjectionMatrix();
    this.view.requestRender();
    this.fitted = true;
  }

  destroy() {
    this.view?.dispose();
    this.view = null;
    this.el.remove();
  }
}

export class MeshPanel implements Panel {
  readonly el: HTMLElement;
  private readonly sections: Sections;
  private readonly cards = new Map<string, MeshCard>();
  private readonly byStage = new Map<Element, MeshCard>();
  private readonly io: IntersectionObserver | null;
  private dirtyAll = true;
  private dirty = false;
  private layoutKey = "";
  private counts = { shown: 0, total: 0 };

  constructor(private readonly ctx: PanelContext, private readonly records: RecordSlice<MeshPart>) {
    this.sections = new Sections("", () => ctx.requestFlush());
    this.el = h("div", { class: "cb-panel cb-panel-mesh" }, this.sections.el);
    this.io = typeof IntersectionObserver === "undefined" ? null : new IntersectionObserver((entries) => {
      for (const e of entries) this.byStage.get(e.target)?.setVisible(e.isIntersecting);
    }, { rootMargin: "200px" });
  }

  settingsEl() {
    return h("div", { class: "cb-side-section" },
      h("div", { class: "cb-side-title", text: "Mesh" }),
      h("div", { class: "cb-muted", text: "Drag to rotate, scroll to zoom, right-drag to pan. ↺ on a card resets its view." }));
  }

  syncControls() {}

  tagCounts() {
    return this.counts;
  }

  markDirty(d: Dirt) {
    if (d === "all") this.dirtyAll = true;
    else if (changedKeys(d, "mesh").size) this.dirty = true; // any list of a mesh: regroup (a few cards)
  }

  flush() {
    if (!this.dirtyAll && !this.dirty) return;
    const groups = meshGroups(this.records.lists.values());
    const shown = [...groups.entries()]
      .filter(([, g]) => g.vertex && this.ctx.tagShown(g.name) && this.ctx.runShown(g.run))
      .sort(([, a], [, b]) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.run < b.run ? -1 : a.run > b.run ? 1 : 0));
    this.counts = { shown: new Set(shown.map(([, g]) => g.name)).size, total: new Set([...groups.values()].map((g) => g.name)).size };
    for (const [k, g] of shown) {
      if (this.cards.has(k)) continue;
      const card = new MeshCard(this.ctx, g.run, g.name, this.io !== null);
      this.cards.set(k, card);
      this.byStage.set(card.target, card);
      this.io?.observe(card.target);
    }
    for (const [k, c] of this.cards) {
      if (!groups.has(k) || !groups.get(k)!.vertex) {
        this.io?.unobserve(c.target);
        this.byStage.delete(c.target);
        c.destroy(); // purged: free its WebGL context
        this.cards.delete(k);
      }
    }
    const layoutKey = shown.map(([k]) => k).join("\u0001");
    if (layoutKey !== this.layoutKey) {
      this.layoutKey = layoutKey;
      this.sections.layout(shown.map(([k, g]) => ({ group: tagGroup(g.name), el: this.cards.get(k)!.el })));
    }
    for (const [k, g] of shown) {
      try {
        this.cards.get(k)!.update(g);
      } catch (err) {
        console.error("[cellboard] mesh", k, err);
      }
    }
    this.dirtyAll = false;
    this.dirty = false;
  }

  destroy() {
    this.io?.disconnect();
    this.byStage.clear();
    for (const c of this.cards.values()) c.destroy();
    this.cards.clear();
    this.sections.destroy();
    this.el.remove();
  }
}
