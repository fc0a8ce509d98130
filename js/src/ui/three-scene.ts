// A three.js view in a card, shared by the 3D kinds (meshes, the projector's 3D scatter):
// a WebGL canvas filling its container at the screen's pixel density, a perspective camera,
// orbit controls (drag rotates, wheel zooms, right-drag pans) and rendering on demand only
// (a frame when the controls move or the caller changed something: no endless animation loop,
// so idle boards cost nothing). When WebGL is missing the container gets a short note instead.
//
//   const view = ThreeScene.create(container);      // null when WebGL is not available
//   view?.setContent(points);                       // replaces (and disposes) the previous content
//   view?.fitTo(view.boundingSphere());             // camera framing the content
//   view?.requestRender();                          // after changing anything in view.scene
//   view?.dispose();                                // context, geometries, materials, observer
//
// Browsers allow about 16 live WebGL contexts per page: dispose views that leave the page.

import {
  Box3,
  type BufferGeometry,
  Color,
  type Material,
  type Object3D,
  PerspectiveCamera,
  Scene,
  Sphere,
  type Texture,
  Vector2,
  Vector3,
  WebGLRenderer,
} from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";
import { h } from "./dom";

export interface SceneOptions {
  /** Background colour (CSS); null for a transparent canvas showing the card. Default: transparent. */
  background?: string | null;
  /** Vertical field of view, degrees. Default 50. */
  fov?: number;
  /** Smooth (damped) rotation: a few extra frames after the pointer is released. Default true. */
  damping?: boolean;
}

/** The note shown in place of the view when WebGL is not available. */
export const NO_WEBGL_NOTE =
  "3D view unavailable: this browser has no WebGL (it may be disabled, or the GPU blocklisted). The data is still logged.";

/** Pixel ratio used for the canvas: the screen's, capped at 2 (sharper is slower for little gain). */
export function canvasPixelRatio(dpr: number | undefined): number {
  return Math.min(2, Math.max(1, Number.isFinite(dpr) && dpr ? dpr : 1));
}

/**
 * Distance from a sphere's centre at which a camera of vertical field of view `fovDeg` and aspect
 * `aspect` (width / height) sees the whole sphere, with `margin` (1.1 = 10% room).
 */
export function fitDistance(radius: number, fovDeg: number, aspect: number, margin = 1.1): number {
  const r = radius > 0 && Number.isFinite(radius) ? radius : 1;
  const vHalf = (Math.max(1, Math.min(179, fovDeg)) * Math.PI) / 360;
  const a = aspect > 0 && Number.isFinite(aspect) ? aspect : 1;
  const hHalf = Math.atan(Math.tan(vHalf) * a);
  return (margin * r) / Math.sin(Math.min(vHalf, hHalf));
}

/**
 * Distance from a plane at which a camera looking straight at it, of vertical field of view `fovDeg`
 * and aspect `aspect`, sees the whole rectangle of half-sizes `hx` x `hy` centred on its axis, with
 * `margin`: a flat layout then fills the view (framing its bounding sphere gave it about two-thirds).
 */
export function fitDistanceRect(hx: number, hy: number, fovDeg: number, aspect: number, margin = 1.05): number {
  const t = Math.tan((Math.max(1, Math.min(179, fovDeg)) * Math.PI) / 360);
  const a = aspect > 0 && Number.isFinite(aspect) ? aspect : 1;
  const need = Math.max(Number.isFinite(hy) ? hy / t : 0, Number.isFinite(hx) ? hx / (t * a) : 0);
  return margin * (need > 0 ? need : 1 / t);
}

/** Dispose everything GPU-side an object tree holds: geometries, materials and their textures. */
export function disposeObject(root: Object3D): void {
  root.traverse((o) => {
    const obj = o as Object3D & { geometry?: BufferGeometry; material?: Material | Material[] };
    obj.geometry?.dispose();
    const mats = Array.isArray(obj.material) ? obj.material : obj.material ? [obj.material] : [];
    for (const m of mats) {
      for (const v of Object.values(m)) if ((v as Texture | null)?.isTexture) (v as Texture).dispose();
      m.dispose();
    }
  });
}

export class ThreeScene {
  readonly scene = new Scene();
  readonly camera: PerspectiveCamera;
  readonly controls: OrbitControls;
  readonly renderer: WebGLRenderer;
  /** Called after every rendered frame (e.g. to update a label overlay or a test hook). */
  onRender: (() => void) | null = null;
  private content: Object3D | null = null;
  private frame = 0;
  private disposed = false;
  private readonly ro: ResizeObserver | null;

  /**
   * A view filling `container` (which should have a size: the canvas takes 100% of it), or null
   * when WebGL is not available; the container then shows NO_WEBGL_NOTE.
   */
  static create(container: HTMLElement, opts: SceneOptions = {}): ThreeScene | null {
    let renderer: WebGLRenderer;
    try {
      renderer = new WebGLRenderer({ antialias: true, alpha: opts.background == null });
    } catch (err) {
      container.replaceChildren(noWebglNote(err));
      return null;
    }
    return new ThreeScene(container, renderer, opts);
  }

  private constructor(readonly container: HTMLElement, renderer: WebGLRenderer, opts: SceneOptions) {
    this.renderer = renderer;
    renderer.setPixelRatio(canvasPixelRatio(globalThis.devicePixelRatio));
    if (opts.background != null) this.scene.background = new Color(opts.background);
    const canvas = renderer.domElement;
    canvas.style.display = "block";
    canvas.style.width = "100%";
    canvas.style.height = "100%";
    canvas.style.touchAction = "none";
    canvas.addEventListener("webglcontextlost", (e) => {
      e.preventDefault();
      if (!this.disposed) container.append(noWebglNote("the WebGL context was lost (too many 3D views open?)"));
    });
    container.append(canvas);

    this.camera = new PerspectiveCamera(opts.fov ?? 50, 1, 0.01, 1000);
    this.camera.position.set(0, 0, 3);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableDamping = opts.damping ?? true;
    this.controls.dampingFactor = 0.15;
    this.controls.addEventListener("change", () => this.requestRender());

    this.ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => this.resize());
    this.ro?.observe(container);
    this.resize();
  }

  /** Schedule one frame (several calls before it runs draw once). */
  requestRender(): void {
    if (this.disposed || this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      if (this.disposed) return;
      // with damping, update() keeps returning true until the motion has settled
      const moving = this.controls.update();
      this.renderer.render(this.scene, this.camera);
      this.onRender?.();
      if (moving) this.requestRender();
    });
  }

  /** Replace what the view shows (the previous content is removed and disposed), and render. */
  setContent(obj: Object3D | null): void {
    if (this.content) {
      this.scene.remove(this.content);
      disposeObject(this.content);
    }
    this.content = obj;
    if (obj) this.scene.add(obj);
    this.requestRender();
  }

  /** The bounding sphere of the content (radius 0 and centre 0 when empty). */
  boundingSphere(): Sphere {
    const s = new Sphere(new Vector3(), 0);
    if (!this.content) return s;
    const box = new Box3().setFromObject(this.content);
    if (box.isEmpty()) return s;
    box.getBoundingSphere(s);
    return s;
  }

  /**
   * Aim the camera at a sphere's centre from `direction` (default: from +z, slightly above), at the
   * distance that shows all of it, with near/far planes to match; the orbit pivots on the centre.
   */
  fitTo(sphere: Sphere, direction: Vector3 = new Vector3(0.35, 0.3, 1)): void {
    const r = sphere.radius > 0 ? sphere.radius : 1;
    const d = fitDistance(r, this.camera.fov, this.camera.aspect);
    const dir = direction.clone().normalize();
    if (dir.lengthSq() === 0) dir.set(0, 0, 1);
    this.camera.position.copy(sphere.center).addScaledVector(dir, d);
    this.camera.near = Math.max(d - r * 4, d / 1000, 1e-6);
    this.camera.far = d + r * 4;
    this.camera.updateProjectionMatrix();
    this.controls.target.copy(sphere.center);
    this.controls.maxDistance = d * 20;
    this.controls.update();
    this.requestRender();
  }

  /**
   * Look straight down -z at the origin from the distance that shows the rectangle of half-sizes
   * `hx` x `hy` in the z = 0 plane (a 2D layout), +y up; the controls pivot on the origin.
   */
  fitRect(hx: number, hy: number): void {
    const d = fitDistanceRect(hx, hy, this.camera.fov, this.camera.aspect);
    this.camera.position.set(0, 0, d);
    this.camera.up.set(0, 1, 0);
    this.camera.near = d / 1000;
    this.camera.far = d * 4;
    this.camera.updateProjectionMatrix();
    this.controls.target.set(0, 0, 0);
    this.controls.maxDistance = d * 20;
    this.controls.update();
    this.requestRender();
  }

  /** Match the canvas to the container's size (called by the ResizeObserver; call it after a layout change). */
  resize(): void {
    if (this.disposed) return;
    const w = Math.max(1, Math.floor(this.container.clientWidth));
    const hgt = Math.max(1, Math.floor(this.container.clientHeight));
    const size = this.renderer.getSize(new Vector2());
    if (size.x === w && size.y === hgt) return;
    this.renderer.setSize(w, hgt, false); // false: CSS sizes the canvas (100%)
    this.camera.aspect = w / hgt;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  /** Free the GPU: content, renderer and its context, controls, observer; removes the canvas. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.ro?.disconnect();
    this.controls.dispose();
    disposeObject(this.scene);
    this.content = null;
    this.renderer.dispose();
    this.renderer.forceContextLoss();
    this.renderer.domElement.remove();
  }
}

function noWebglNote(reason: unknown): HTMLElement {
  const why = reason instanceof Error ? reason.message : String(reason ?? "");
  return h("div", { class: "cb-muted cb-webgl-note", role: "note", text: NO_WEBGL_NOTE, title: why });
}
