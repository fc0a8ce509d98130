// The projector's point cloud: one THREE.Points in the shared three.js view (ui/three-scene.ts),
// a shader drawing round points (or each point's sprite image, from the sprite sheet as one texture)
// with per-point colour and state (normal, faded, lit, chosen). 2D: the camera looks down z and the
// left button pans (no rotation); 3D: orbit. Picking is on the CPU: the points are projected with the
// camera's matrix once per pointer move (100,000 points: ~1 ms).

import {
  BufferAttribute, BufferGeometry, MOUSE, NearestFilter, Points, ShaderMaterial, Sphere, Texture, Vector3,
} from "three";
import { ThreeScene } from "../../ui/three-scene";

/** Point states (the `state` attribute): HIDDEN points are not drawn nor picked (outside the sample). */
export const NORMAL = 0, FADED = 1, LIT = 2, CHOSEN = 3, HIDDEN = 4;

const VERTEX = /* glsl */ `
attribute vec3 pcolor;
attribute float state;
attribute vec2 cell;
uniform float size;
uniform float attenuate;
uniform float sprites;
varying vec3 vColor;
varying float vState;
varying vec2 vCell;
void main() {
  vec4 mv = modelViewMatrix * vec4(position, 1.0);
  gl_Position = state > 3.5 ? vec4(2.0, 2.0, 2.0, 1.0) : projectionMatrix * mv;
  float s = size * (sprites > 0.5 ? 2.6 : 1.0) * (state > 2.5 ? 2.0 : state > 1.5 ? 1.5 : 1.0);
  if (attenuate > 0.5) s *= 3.0 / max(0.05, -mv.z);
  gl_PointSize = clamp(s, 1.0, 256.0);
  vColor = pcolor;
  vState = state;
  vCell = cell;
}`;

const FRAGMENT = /* glsl */ `
uniform float sprites;
uniform sampler2D atlas;
uniform vec2 cellSize;
varying vec3 vColor;
varying float vState;
varying vec2 vCell;
void main() {
  vec2 p = gl_PointCoord;
  float alpha = vState > 0.5 && vState < 1.5 ? 0.12 : 1.0;
  if (sprites > 0.5) {
    vec4 t = texture2D(atlas, vCell + vec2(p.x, p.y) * cellSize);
    float edge = max(abs(p.x - 0.5), abs(p.y - 0.5));
    vec3 c = edge > 0.42 ? vColor : t.rgb;  // a frame in the point's colour
    gl_FragColor = vec4(c, alpha);
    return;
  }
  float r = length(p - vec2(0.5));
  if (r > 0.5) discard;
  vec3 c = vState > 2.5 && r > 0.32 ? vec3(0.0) : vColor;  // the chosen point gets a dark ring
  gl_FragColor = vec4(c, alpha);
}`;

export interface SpriteSheet {
  image: HTMLImageElement | HTMLCanvasElement;
  /** One image's size and the sheet's, in pixels. */
  cellW: number;
  cellH: number;
  cols: number;
}

export class Scatter {
  readonly view: ThreeScene;
  private points: Points | null = null;
  private geometry: BufferGeometry | null = null;
  private material: ShaderMaterial;
  private positions: Float32Array = new Float32Array(0);
  private states: Float32Array = new Float32Array(0);
  private dims: 2 | 3 = 2;
  private n = 0;
  private texture: Texture | null = null;
  private readonly projected = new Vector3();

  static create(container: HTMLElement): Scatter | null {
    const view = ThreeScene.create(container, { damping: false });
    return view ? new Scatter(view) : null;
  }

  private constructor(view: ThreeScene) {
    this.view = view;
    this.material = new ShaderMaterial({
      vertexShader: VERTEX,
      fragmentShader: FRAGMENT,
      uniforms: {
        size: { value: 5 },
        attenuate: { value: 0 },
        sprites: { value: 0 },
        atlas: { value: null },
        cellSize: { value: [1, 1] },
      },
      transparent: false,
      depthWrite: true,
    });
  }

  get pointCount(): number {
    return this.n;
  }

  /** New positions (n x 3) and colours (n x 3); `refit` frames them again. */
  setPoints(positions: Float32Array, colors: Float32Array, dims: 2 | 3, refit: boolean): void {
    const n = positions.length / 3;
    const same = this.geometry !== null && this.n === n;
    this.n = n;
    this.positions = positions;
    const pos = positions;
    if (this.states.length !== n) this.states = new Float32Array(n);
    if (same && this.geometry) {
      (this.geometry.getAttribute("position") as BufferAttribute).copyArray(pos).needsUpdate = true;
      this.geometry.computeBoundingSphere();
    } else {
      const g = new BufferGeometry();
      g.setAttribute("position", new BufferAttribute(pos, 3));
      g.setAttribute("pcolor", new BufferAttribute(new Float32Array(n * 3), 3));
      g.setAttribute("state", new BufferAttribute(new Float32Array(n), 1));
      g.setAttribute("cell", new BufferAttribute(new Float32Array(n * 2), 2));
      g.boundingSphere = new Sphere(new Vector3(), 1.5);
      this.geometry = g;
      this.points = new Points(g, this.material);
      this.points.frustumCulled = false;
      this.view.setContent(this.points); // disposes the old points (three.js re-creates a disposed material's program)
      this.updateSpriteCells();
    }
    this.setColors(colors);
    if (this.dims !== dims || refit) this.setDims(dims);
    this.view.requestRender();
  }

  setColors(colors: Float32Array): void {
    if (!this.geometry) return;
    (this.geometry.getAttribute("pcolor") as BufferAttribute).copyArray(colors).needsUpdate = true;
    this.view.requestRender();
  }

  /** Per-point states (NORMAL, FADED, LIT, CHOSEN, HIDDEN). */
  setStates(states: Float32Array): void {
    this.states = states;
    // blending only while some points are faded (software renderers pay for it on every fragment)
    const faded = states.includes(FADED);
    if (this.material.transparent !== faded) {
      this.material.transparent = faded;
      this.material.needsUpdate = true;
    }
    if (!this.geometry) return;
    (this.geometry.getAttribute("state") as BufferAttribute).copyArray(states).needsUpdate = true;
    this.view.requestRender();
  }

  setPointSize(px: number): void {
    this.material.uniforms.size.value = px;
    this.view.requestRender();
  }

  /** Draw each point as its sprite image (null: round points). */
  setSprites(sheet: SpriteSheet | null): void {
    this.texture?.dispose();
    this.texture = null;
    if (sheet) {
      const t = new Texture(sheet.image);
      t.magFilter = NearestFilter;
      t.minFilter = NearestFilter;
      t.generateMipmaps = false;
      t.flipY = false;
      t.needsUpdate = true;
      this.texture = t;
      const w = sheet.image.width, hgt = sheet.image.height;
      this.material.uniforms.cellSize.value = [sheet.cellW / w, sheet.cellH / hgt];
      this.sheet = sheet;
    } else this.sheet = null;
    this.material.uniforms.atlas.value = this.texture;
    this.material.uniforms.sprites.value = sheet ? 1 : 0;
    this.updateSpriteCells();
    this.view.requestRender();
  }

  private sheet: SpriteSheet | null = null;

  private updateSpriteCells(): void {
    const s = this.sheet;
    if (!s || !this.geometry) return;
    const cell = this.geometry.getAttribute("cell") as BufferAttribute;
    const arr = cell.array as Float32Array;
    const w = s.image.width, hgt = s.image.height;
    for (let i = 0; i < this.n; i++) {
      arr[i * 2] = ((i % s.cols) * s.cellW) / w;
      arr[i * 2 + 1] = (Math.floor(i / s.cols) * s.cellH) / hgt;
    }
    cell.needsUpdate = true;
  }

  /** 2D: look down z, left button pans, no rotation; 3D: orbit. Frames the points. */
  setDims(dims: 2 | 3): void {
    this.dims = dims;
    const c = this.view.controls;
    c.enableRotate = dims === 3;
    c.mouseButtons = dims === 3
      ? { LEFT: MOUSE.ROTATE, MIDDLE: MOUSE.DOLLY, RIGHT: MOUSE.PAN }
      : { LEFT: MOUSE.PAN, MIDDLE: MOUSE.DOLLY, RIGHT: MOUSE.PAN };
    this.material.uniforms.attenuate.value = dims === 3 ? 1 : 0;
    const p = this.positions;
    if (dims === 2) {
      // frame the points' rectangle: the layout fills the view, as TensorBoard's does
      let hx = 0, hy = 0;
      for (let i = 0; i < p.length; i += 3) {
        hx = Math.max(hx, Math.abs(p[i]));
        hy = Math.max(hy, Math.abs(p[i + 1]));
      }
      this.view.fitRect(hx > 0 ? 1.04 * hx : 1, hy > 0 ? 1.04 * hy : 1); // room for the point sprites
      return;
    }
    // frame every point: positions fill [-1, 1] per axis, so a 3D cloud can reach sqrt(3) from the centre
    let r2 = 0;
    for (let i = 0; i < p.length; i += 3) r2 = Math.max(r2, p[i] * p[i] + p[i + 1] * p[i + 1] + p[i + 2] * p[i + 2]);
    const radius = 1.05 * (r2 > 0 ? Math.sqrt(r2) : 1);
    this.view.fitTo(new Sphere(new Vector3(), radius), new Vector3(0.6, 0.4, 1));
  }

  /** The visible point nearest the pixel (x, y) of the canvas (CSS pixels) within `radius`, or -1. */
  pick(x: number, y: number, radius = 8): number {
    const canvas = this.view.renderer.domElement;
    const w = canvas.clientWidth, hgt = canvas.clientHeight;
    if (!w || !hgt || !this.n) return -1;
    const cam = this.view.camera;
    cam.updateMatrixWorld();
    const m = cam.projectionMatrix.clone().multiply(cam.matrixWorldInverse).elements;
    const p = this.positions;
    let best = -1, bestD = radius * radius;
    for (let i = 0; i < this.n; i++) {
      if (this.states[i] === HIDDEN) continue;
      const px = p[i * 3], py = p[i * 3 + 1], pz = p[i * 3 + 2];
      const cw = m[3] * px + m[7] * py + m[11] * pz + m[15];
      if (cw <= 0) continue;
      const sx = ((m[0] * px + m[4] * py + m[8] * pz + m[12]) / cw + 1) * 0.5 * w;
      const sy = (1 - (m[1] * px + m[5] * py + m[9] * pz + m[13]) / cw) * 0.5 * hgt;
      const d = (sx - x) ** 2 + (sy - y) ** 2;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }

  /** A point's position on the canvas (CSS pixels). */
  screenOf(i: number): { x: number; y: number } {
    const canvas = this.view.renderer.domElement;
    const v = this.projected.set(this.positions[i * 3], this.positions[i * 3 + 1], this.positions[i * 3 + 2]);
    v.project(this.view.camera);
    return { x: (v.x + 1) * 0.5 * canvas.clientWidth, y: (1 - v.y) * 0.5 * canvas.clientHeight };
  }

  dispose(): void {
    this.texture?.dispose();
    this.material.dispose();
    this.view.dispose();
  }
}
