// An audio record: `{..., sample_rate, mime}`, buffer = the encoded clip (a WAV from add_audio).

import { num, str, toBytes, type Buffers, type Obj } from "../../wire";
import type { RecordEntry } from "../types";

export interface AudioRecord extends RecordEntry {
  /** Hz; 0 when the log does not say (the audio plugin's tensors): the WAV header does. */
  sampleRate: number;
  mime: string;
  bytes: Uint8Array;
}

export function decodeAudio(e: Obj, buffers: Buffers, base: RecordEntry): AudioRecord {
  const buf = buffers.of(e);
  if (!buf) throw new RangeError(`missing buffer for audio ${base.run}/${base.tag}`);
  const rate = num(e.sample_rate, 0);
  return { ...base, sampleRate: Number.isFinite(rate) && rate > 0 ? rate : 0, mime: str(e.mime) || "audio/wav", bytes: toBytes(buf) };
}
