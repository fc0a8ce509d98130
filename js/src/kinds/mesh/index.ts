// Meshes and point clouds (`add_mesh`): the Mesh tab. Wire entries and pairing: ./data.ts;
// three.js objects: ./objects.ts; cards: ./panel.ts.

import { recordCount, recordKind, type RecordKind } from "../record-kind";
import { DASHBOARD_ORDER } from "../types";
import { decodeMeshPart, type MeshPart } from "./data";
import { MeshPanel } from "./panel";

export const mesh: RecordKind<MeshPart> = recordKind<MeshPart>({
  name: "mesh",
  label: "Mesh",
  order: DASHBOARD_ORDER.mesh,
  decode: decodeMeshPart,
  createPanel: (ctx, records) => new MeshPanel(ctx, records),
  hooks: (store) => {
    let meshes = 0;
    for (const l of store.slice(mesh).lists.values()) if (l.list()[0]?.content === "VERTEX") meshes += l.count;
    return { meshCount: String(meshes), meshParts: String(recordCount(store, mesh)) };
  },
});
