// three.js objects of one mesh sample: the geometry (positions, vertex colours, triangles), the
// material and lights of TensorBoard's mesh config_dict (`material: {cls, ...}`, `lights: [{cls,
// color, intensity, position}]`), with defaults when absent: lit, double-sided faces in a neutral
// colour; points of 3 screen pixels.

import {
  AmbientLight,
  BufferAttribute,
  BufferGeometry,
  Color,
  DirectionalLight,
  DoubleSide,
  Group,
  HemisphereLight,
  type Light,
  type Material,
  Mesh,
  MeshBasicMaterial,
  MeshLambertMaterial,
  MeshPhongMaterial,
  MeshStandardMaterial,
  PointLight,
  Points,
  PointsMaterial,
} from "three";
import type { MeshConfig, MeshSample } from "./data";

/** Faces without logged colours. */
const DEFAULT_FACE_COLOR = "#9aa7b8";
/** Points without logged colours. */
const DEFAULT_POINT_COLOR = "#3b78c4";
/** Point size in screen pixels when the config gives none (a world size would depend on the data's scale). */
export const DEFAULT_POINT_PX = 3;

/** Material properties taken from the config (anything else is ignored: it could break the renderer). */
const MATERIAL_KEYS = new Set([
  "color", "opacity", "transparent", "roughness", "metalness", "size", "sizeAttenuation", "wireframe",
  "flatShading", "shininess", "emissive", "emissiveIntensity", "side",
]);

/** The material's own parameters of a config (known keys, plain values). */
export function materialParams(cfg: MeshConfig["material"]): Record<string, number | boolean | string> {
  const out: Record<string, number | boolean | string> = {};
  if (!cfg) return out;
  for (const [k, v] of Object.entries(cfg)) {
    if (!MATERIAL_KEYS.has(k)) continue;
    if (typeof v === "number" ? Number.isFinite(v) : typeof v === "boolean" || typeof v === "string") out[k] = v as never;
  }
  return out;
}

function applyParams(m: Material, params: Record<string, number | boolean | string>) {
  const target = m as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(params)) {
    if (k === "color" || k === "emissive") {
      const c = target[k];
      if (c instanceof Color) c.set(v as string | number);
    } else if (k in target) target[k] = v;
  }
  m.needsUpdate = true;
}

/** sRGB byte -> linear 0..1: three.js treats vertex colours as linear and encodes its output as
 * sRGB, so logged colours uploaded as they are would show lighter than they were logged. */
const SRGB_TO_LINEAR = Float32Array.from({ length: 256 }, (_, i) => {
  const c = i / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});

export function linearColors(rgb: Uint8Array): Float32Array {
  const out = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) out[i] = SRGB_TO_LINEAR[rgb[i]];
  return out;
}

function geometryOf(s: MeshSample): BufferGeometry {
  const g = new BufferGeometry();
  g.setAttribute("position", new BufferAttribute(s.positions, 3));
  if (s.colors) g.setAttribute("color", new BufferAttribute(linearColors(s.colors), 3));
  if (s.indices) {
    g.setIndex(new BufferAttribute(s.indices, 1));
    g.computeVertexNormals();
  }
  g.computeBoundingSphere();
  return g;
}

function faceMaterial(cls: string | undefined, vertexColors: boolean): Material {
  const base = { vertexColors, side: DoubleSide, color: vertexColors ? "#ffffff" : DEFAULT_FACE_COLOR };
  switch (cls) {
    case "MeshBasicMaterial":
      return new MeshBasicMaterial(base);
    case "MeshLambertMaterial":
      return new MeshLambertMaterial(base);
    case "MeshPhongMaterial":
      return new MeshPhongMaterial(base);
    default:
      return new MeshStandardMaterial({ ...base, roughness: 0.8, metalness: 0 });
  }
}

function lightOf(l: NonNullable<MeshConfig["lights"]>[number]): Light | null {
  const color = typeof l.color === "string" || typeof l.color === "number" ? l.color : "#ffffff";
  const intensity = typeof l.intensity === "number" && Number.isFinite(l.intensity) ? l.intensity : 1;
  let light: Light;
  switch (l.cls) {
    case "AmbientLight":
      light = new AmbientLight(color, intensity);
      break;
    case "DirectionalLight":
      light = new DirectionalLight(color, intensity);
      break;
    case "PointLight":
      light = new PointLight(color, intensity, 0, 0);
      break;
    case "HemisphereLight":
      light = new HemisphereLight(color, "#444444", intensity);
      break;
    default:
      return null;
  }
  const p = l.position;
  if (Array.isArray(p) && p.length === 3 && p.every((x) => typeof x === "number" && Number.isFinite(x))) {
    light.position.set(p[0], p[1], p[2]);
  }
  return light;
}

/** The lights of a config, or the default (soft ambient light and a key light from above the camera). */
export function lightsOf(cfg: MeshConfig): Light[] {
  const given = Array.isArray(cfg.lights) ? cfg.lights.map(lightOf).filter((l): l is Light => l !== null) : [];
  if (given.length) return given;
  const key = new DirectionalLight("#ffffff", 1.6);
  key.position.set(1, 2, 3);
  return [new AmbientLight("#ffffff", 0.9), key];
}

/**
 * The object tree showing one sample: a Mesh when it has faces, else Points; plus the config's
 * lights (which live with the content, so replacing the content replaces them).
 */
export function meshObject(s: MeshSample, cfg: MeshConfig): Group {
  const group = new Group();
  const geometry = geometryOf(s);
  const vertexColors = s.colors !== null;
  const params = materialParams(cfg.material);
  if (s.indices) {
    const m = faceMaterial(cfg.material?.cls, vertexColors);
    delete params.size;
    delete params.sizeAttenuation;
    delete params.side; // a number in three.js; faces stay double-sided (logged winding is arbitrary)
    applyParams(m, params);
    group.add(new Mesh(geometry, m));
  } else {
    const sized = typeof params.size === "number";
    const m = new PointsMaterial({
      vertexColors,
      color: vertexColors ? "#ffffff" : DEFAULT_POINT_COLOR,
      size: sized ? (params.size as number) : DEFAULT_POINT_PX,
      sizeAttenuation: sized, // a config's size is in world units (three.js' default); ours in pixels
    });
    applyParams(m, params);
    group.add(new Points(geometry, m));
  }
  for (const l of lightsOf(cfg)) group.add(l);
  return group;
}
