// The registry: every data kind the frontend knows, one line each (tabs sort by `order`).
// Adding a kind: write kinds/<kind>.ts (see docs/adding-a-kind.md) and list it here.

import { audio } from "./audio";
import { customScalars } from "./custom_scalars";
import { graph } from "./graph";
import { histograms } from "./histograms";
import { hparams } from "./hparams";
import { images } from "./images";
import { mesh } from "./mesh";
import { plots } from "./plots";
import { pr_curves } from "./pr_curves";
import { projector } from "./projector";
import { scalars } from "./scalars";
import { text } from "./text";
import type { AnyKind } from "./types";

export const KINDS: readonly AnyKind[] = [
  plots,
  scalars,
  customScalars,
  images,
  histograms,
  text,
  audio,
  pr_curves,
  hparams,
  graph,
  mesh,
  projector,
].sort((a, b) => a.order - b.order);

export { audio, customScalars, histograms, hparams, images, mesh, plots, pr_curves, scalars, text };
