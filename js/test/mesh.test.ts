import { describe, expect, it } from "vitest";
import { mesh } from "../src/kinds";
import { assembleMeshes, boundingSphere, decodeMeshPart, type MeshPart, meshSample, meshSummary } from "../src/kinds/mesh/data";
import { meshGroups } from "../src/kinds/mesh/panel";
import { DEFAULT_POINT_PX, lightsOf, linearColors, materialParams, meshObject } from "../src/kinds/mesh/objects";
import { RecordList } from "../src/kinds/record-kind";
import { canvasPixelRatio, fitDistance, fitDistanceRect } from "../src/ui/three-scene";
import { Buffers } from "../src/wire";

/** Bytes of a typed array at an odd byteOffset inside a larger buffer, as the transport may give them. */
function view(a: Float32Array | Uint32Array | Uint8Array, pad = 3): DataView {
  const ab = new ArrayBuffer(pad + a.byteLength + 2);
  new Uint8Array(ab, pad, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return new DataView(ab, pad, a.byteLength);
}

const VERTS = new Float32Array([1, 1, 1, -1, -1, 1, 1, -1, -1, -1, 1, -1]);
const FACES = new Uint32Array([0, 2, 3, 0, 3, 1, 0, 1, 2, 1, 3, 2]);
const COLORS = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 0, 255]);

function part(content: "VERTEX" | "FACE" | "COLOR", data: Float32Array | Uint32Array | Uint8Array, step = 0, index = 0, n = 4,
  config: object = {}): MeshPart {
  const e = { run: "r", tag: `m_${content}`, index, step, wall: 1.7e9, name: "m", content, shape: [1, n, 3], config, buffer: 0 };
  return mesh.decode(e, new Buffers([view(data)])) as MeshPart;
}

describe("mesh entries", () => {
  it("decodes each content type from its little-endian buffer (any byteOffset)", () => {
    const v = part("VERTEX", VERTS, 5, 0, 4, { camera: { fov: 30 } });
    expect(v).toMatchObject({ run: "r", tag: "m_VERTEX", name: "m", content: "VERTEX", step: 5, batch: 1, count: 4 });
    expect(v.data).toBeInstanceOf(Float32Array);
    expect([...v.data]).toEqual([...VERTS]);
    expect(v.config.camera?.fov).toBe(30);
    const f = part("FACE", FACES);
    expect(f.data).toBeInstanceOf(Uint32Array);
    expect([...f.data]).toEqual([...FACES]);
    const c = part("COLOR", COLORS);
    expect(c.data).toBeInstanceOf(Uint8Array);
    expect([...c.data]).toEqual([...COLORS]);
  });

  it("rejects malformed entries with a message naming what is wrong", () => {
    const base = { run: "r", tag: "m_VERTEX", index: 0, step: 0, wall: 1, name: "m", content: "VERTEX", shape: [1, 4, 3], buffer: 0 };
    const bufs = new Buffers([view(VERTS)]);
    expect(() => decodeMeshPart({ ...base, content: "NORMAL" }, bufs, base)).toThrow(/VERTEX, FACE or COLOR/);
    expect(() => decodeMeshPart({ ...base, shape: [4, 3] }, bufs, base)).toThrow(/shape must be \[B, N, 3\]/);
    expect(() => decodeMeshPart({ ...base, shape: [1, 5, 3] }, bufs, base)).toThrow(/48 bytes for VERTEX of shape \[1, 5, 3\]/);
    expect(() => decodeMeshPart({ ...base, buffer: 3 }, bufs, base)).toThrow(/missing buffer/);
  });

  it("pairs vertices with the faces and colours of their step, in logging order", () => {
    const v = [part("VERTEX", VERTS, 1, 0), part("VERTEX", VERTS, 2, 1), part("VERTEX", VERTS, 2, 2)];
    const f = [part("FACE", FACES, 2, 0)];
    const c = [part("COLOR", COLORS, 1, 0), part("COLOR", COLORS, 2, 1), part("COLOR", COLORS, 2, 2)];
    const frames = assembleMeshes(v, f, c);
    expect(frames.map((m) => m.step)).toEqual([1, 2, 2]);
    expect(frames.map((m) => m.face === null)).toEqual([true, false, true]); // one face record at step 2: the first
    expect(frames.map((m) => m.color?.index)).toEqual([0, 1, 2]);
  });

  it("groups a slice's lists by mesh name (the value tags of one add_mesh tag)", () => {
    const lists = ["VERTEX", "FACE"].map((c) => {
      const l = new RecordList<MeshPart>("r", `m_${c}`);
      l.put(part(c as "VERTEX" | "FACE", c === "VERTEX" ? VERTS : FACES));
      return l;
    });
    const groups = meshGroups(lists);
    expect([...groups.values()].map((g) => [g.name, g.vertex?.tag, g.face?.tag, g.color])).toEqual([["m", "m_VERTEX", "m_FACE", null]]);
  });

  it("takes one sample of a batch, and drops faces naming missing vertices", () => {
    const v2 = new Float32Array([...VERTS, ...VERTS.map((x) => x * 2)]);
    const e = { run: "r", tag: "m_VERTEX", index: 0, step: 0, wall: 1, name: "m", content: "VERTEX", shape: [2, 4, 3], buffer: 0 };
    const v = mesh.decode(e, new Buffers([view(v2)])) as MeshPart;
    const bad = part("FACE", new Uint32Array([0, 1, 2, 0, 1, 9]), 0, 0, 2);
    const s = meshSample({ step: 0, wall: 1, vertex: v, face: bad, color: null }, 1);
    expect([...s.positions]).toEqual([...VERTS.map((x) => x * 2)]);
    expect(s).toMatchObject({ vertexCount: 4, faceCount: 0, badFaces: 0, colors: null, indices: null }); // faces of sample 0 only
    const s0 = meshSample({ step: 0, wall: 1, vertex: v, face: bad, color: null }, 0);
    expect(s0).toMatchObject({ faceCount: 1, badFaces: 1 });
    expect([...(s0.indices ?? [])]).toEqual([0, 1, 2]);
    expect(meshSummary(s0)).toBe("4 vertices · 1 faces");
    expect(meshSummary({ vertexCount: 1500, faceCount: 0 })).toBe("point cloud · 1,500 points");
  });
});

describe("camera fit", () => {
  it("bounds the finite points with a sphere", () => {
    expect(boundingSphere(VERTS)).toEqual({ center: [0, 0, 0], radius: Math.sqrt(3) });
    expect(boundingSphere([1, 2, 3, 3, 2, 3, Number.NaN, 0, 0])).toEqual({ center: [2, 2, 3], radius: 1 });
    expect(boundingSphere([])).toEqual({ center: [0, 0, 0], radius: 0 });
  });

  it("places the camera where the sphere fills the narrower field of view", () => {
    // 90° vertical field, square view: sin(45°) = r / d
    expect(fitDistance(1, 90, 1, 1)).toBeCloseTo(Math.SQRT2, 10);
    // a tall view (aspect 0.5) is limited by its horizontal field of view: farther away
    expect(fitDistance(1, 90, 0.5, 1)).toBeGreaterThan(fitDistance(1, 90, 1, 1));
    // twice the radius, twice the distance; the margin scales it
    expect(fitDistance(2, 50, 1.5)).toBeCloseTo(2 * fitDistance(1, 50, 1.5), 10);
    expect(fitDistance(1, 50, 1, 1.2) / fitDistance(1, 50, 1, 1)).toBeCloseTo(1.2, 10);
    // degenerate input: a unit sphere, a square view
    expect(fitDistance(0, 50, Number.NaN)).toBeCloseTo(fitDistance(1, 50, 1), 10);
  });

  it("places a camera looking at a flat layout where its rectangle just fits", () => {
    // 90° vertical field: the visible half-height is the distance; a wide view fits a wide rectangle
    expect(fitDistanceRect(1, 1, 90, 1, 1)).toBeCloseTo(1, 10);
    expect(fitDistanceRect(2, 1, 90, 2, 1)).toBeCloseTo(1, 10);
    expect(fitDistanceRect(2, 1, 90, 1, 1)).toBeCloseTo(2, 10); // a square view: the width decides
    expect(fitDistanceRect(1, 1, 90, 1, 1.05)).toBeCloseTo(1.05, 10);
    // closer than the bounding sphere's framing of the same square (which leaves its corners room)
    expect(fitDistanceRect(1, 1, 50, 1)).toBeLessThan(fitDistance(Math.SQRT2, 50, 1));
    expect(fitDistanceRect(0, 0, 90, Number.NaN, 1)).toBeCloseTo(1, 10); // degenerate: a unit view
  });

  it("caps the pixel ratio", () => {
    expect(canvasPixelRatio(3)).toBe(2);
    expect(canvasPixelRatio(1.5)).toBe(1.5);
    expect(canvasPixelRatio(undefined)).toBe(1);
  });
});

describe("mesh objects", () => {
  it("uploads logged sRGB colours as the linear values three.js expects (shown as logged)", () => {
    const lin = linearColors(new Uint8Array([0, 255, 31, 128]));
    expect(lin[0]).toBe(0);
    expect(lin[1]).toBe(1);
    expect(lin[2]).toBeCloseTo(0.0137, 3); // 0x1f stays dark (uploaded as it is, it showed as about 0x62)
    expect(lin[3]).toBeCloseTo(0.2159, 3);
  });

  const frame = (face: MeshPart | null, color: MeshPart | null) => ({ step: 0, wall: 1, vertex: part("VERTEX", VERTS), face, color });

  it("draws faces as a lit mesh with vertex colours, or points when there are none", () => {
    const withFaces = meshObject(meshSample(frame(part("FACE", FACES), part("COLOR", COLORS)), 0), {});
    const m = withFaces.children.find((o) => o.type === "Mesh") as unknown as {
      geometry: { index: { count: number }; attributes: Record<string, { count: number; normalized: boolean }> };
      material: { vertexColors: boolean; type: string };
    };
    expect(m.geometry.index.count).toBe(12);
    expect(m.geometry.attributes.color).toMatchObject({ count: 4, normalized: false });
    expect(m.geometry.attributes.normal.count).toBe(4);
    expect(m.material).toMatchObject({ vertexColors: true, type: "MeshStandardMaterial" });
    expect(withFaces.children.filter((o) => (o as { isLight?: boolean }).isLight).length).toBe(2); // default lights

    const cloud = meshObject(meshSample(frame(null, null), 0), {});
    const p = cloud.children.find((o) => o.type === "Points") as unknown as { material: { size: number; sizeAttenuation: boolean; vertexColors: boolean } };
    expect(p.material).toMatchObject({ size: DEFAULT_POINT_PX, sizeAttenuation: false, vertexColors: false });
  });

  it("applies the config's material and lights (TensorBoard's config_dict)", () => {
    const cfg = {
      material: { cls: "PointsMaterial", size: 0.1, bogus: { x: 1 } },
      lights: [{ cls: "AmbientLight", color: "#ff0000", intensity: 0.5 }, { cls: "DirectionalLight", position: [0, 1, 2] }, { cls: "Nope" }],
    };
    expect(materialParams(cfg.material)).toEqual({ size: 0.1 });
    const cloud = meshObject(meshSample(frame(null, part("COLOR", COLORS)), 0), cfg);
    const p = cloud.children.find((o) => o.type === "Points") as unknown as { material: { size: number; sizeAttenuation: boolean; vertexColors: boolean } };
    expect(p.material).toMatchObject({ size: 0.1, sizeAttenuation: true, vertexColors: true });
    const lights = lightsOf(cfg);
    expect(lights.map((l) => l.type)).toEqual(["AmbientLight", "DirectionalLight"]);
    expect(lights[0].intensity).toBe(0.5);
    expect(lights[0].color.getHexString()).toBe("ff0000");
    expect(lights[1].position.toArray()).toEqual([0, 1, 2]);
    const phong = meshObject(meshSample(frame(part("FACE", FACES), null), 0), { material: { cls: "MeshPhongMaterial", shininess: 5 } });
    const mat = (phong.children[0] as unknown as { material: { type: string; shininess: number } }).material;
    expect(mat).toMatchObject({ type: "MeshPhongMaterial", shininess: 5 });
  });
});
