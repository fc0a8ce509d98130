// Projector: TensorBoard's PROJECTOR for `add_embedding` in a notebook cell (see panel.ts). Wire
// entries: docs/protocol.md `embeddings`; the kernel computes the PCA and pushes what the view needs.

import { recordCount, recordKind, type RecordKind } from "../record-kind";
import { DASHBOARD_ORDER } from "../types";
import { ProjectorPanel } from "./panel";
import { decodeEmbedding, type EmbeddingRecord } from "./record";

export type { EmbeddingRecord } from "./record";

export const projector: RecordKind<EmbeddingRecord> = recordKind<EmbeddingRecord>({
  name: "embeddings",
  label: "Projector",
  order: DASHBOARD_ORDER.projector,
  decode: decodeEmbedding,
  createPanel: (ctx, records) => new ProjectorPanel(ctx, records),
  hooks: (store) => ({ embeddingCount: String(recordCount(store, projector)) }),
});
