// Audio: a card per (run, tag) with the clip of the selected step (player, waveform drawn from
// the WAV itself, sample rate, duration) and a slider over every logged step.

import { recordCount, recordKind, type RecordKind } from "../record-kind";
import { DASHBOARD_ORDER } from "../types";
import { AudioPanel } from "./panel";
import { decodeAudio, type AudioRecord } from "./record";

export type { AudioRecord } from "./record";

export const audio: RecordKind<AudioRecord> = recordKind<AudioRecord>({
  name: "audio",
  label: "Audio",
  order: DASHBOARD_ORDER.audio,
  decode: decodeAudio,
  createPanel: (ctx, records) => new AudioPanel(ctx, records),
  hooks: (store) => ({ audioCount: String(recordCount(store, audio)) }),
});
