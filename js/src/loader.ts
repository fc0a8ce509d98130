// The module anywidget loads as the board's `_esm`: a few KB that load the board itself.
//
// anywidget sends `_esm` as text in every board's state: 1.1 MB of JavaScript per board (half of
// it three.js), through Colab's tunnel and into saved notebooks each time. So the board's code
// (widget.js) travels gzip-compressed in the `_board_gz64` trait instead, as base64 text
// (~0.46 MB), and is inflated here with the browser's DecompressionStream and imported from a
// blob URL, as anywidget imports `_esm`. It is loaded once per page (by `_board_key`, the
// bundle's hash): every board of the page shares one module, which is where a model's
// initialize() and its views meet. Messages that arrive while it loads are kept and handed to
// the board's initialize(), so none is lost.

import type { AnyModel } from "./settings";

/** What the board's module (widget.ts) exports: anywidget's lifecycle, initialize taking the
 * messages that arrived before it. */
export interface BoardModule {
  initialize(ctx: { model: AnyModel; pending?: Pending[] }): unknown;
  render(ctx: { model: AnyModel; el: HTMLElement }): unknown;
}

export type Pending = [content: unknown, buffers: (DataView | ArrayBuffer)[] | undefined];

const modules = new Map<string, Promise<BoardModule>>();

/** base64 text -> bytes (null for anything else, or nothing). */
export function fromBase64(v: unknown): Uint8Array | null {
  if (typeof v !== "string" || v === "") return null;
  const bin = atob(v);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function inflate(gz: Uint8Array): Promise<string> {
  if (typeof DecompressionStream === "undefined") {
    throw new Error("this browser cannot inflate the board (no DecompressionStream): Chrome 80, Firefox 113, Safari 16.4 or newer can");
  }
  const stream = new Blob([gz as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).text();
}

async function importBoard(gz: Uint8Array): Promise<BoardModule> {
  const url = URL.createObjectURL(new Blob([await inflate(gz)], { type: "text/javascript" }));
  try {
    const mod = (await import(/* @vite-ignore */ url)) as { default: BoardModule };
    return mod.default;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** The board's module, loaded once per page and bundle. */
export function boardModule(model: AnyModel): Promise<BoardModule> {
  const key = String(model.get("_board_key") ?? "");
  let mod = modules.get(key);
  if (!mod) {
    const gz = fromBase64(model.get("_board_gz64"));
    mod = gz ? importBoard(gz) : Promise.reject(new Error("the board's code (_board_gz64) did not arrive"));
    if (key) modules.set(key, mod);
    mod.catch(() => modules.delete(key)); // a failed load is tried again by the next board
  }
  return mod;
}

export default {
  async initialize({ model }: { model: AnyModel }) {
    const pending: Pending[] = [];
    const keep = (content: unknown, buffers?: (DataView | ArrayBuffer)[]) => {
      pending.push([content, buffers]);
    };
    model.on("msg:custom", keep);
    let board: BoardModule;
    try {
      board = await boardModule(model);
    } catch (err) {
      console.error("[cellboard]", err);
      return;
    } finally {
      model.off("msg:custom", keep);
    }
    return board.initialize({ model, pending });
  },

  async render({ model, el }: { model: AnyModel; el: HTMLElement }) {
    try {
      return (await boardModule(model)).render({ model, el });
    } catch (err) {
      el.textContent = `cellboard could not load its board: ${err instanceof Error ? err.message : String(err)}`;
      return undefined;
    }
  },
};
