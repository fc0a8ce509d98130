// The board's module (loader.ts loads it; the harness mounts it directly).
//
// initialize() runs once per model: it owns the data store (history survives views being
// re-rendered), listens to the Board's custom messages and says hello so Python (re)sends
// everything. render() runs once per view and draws from that store. Both return cleanups.

import type { Pending } from "./loader";
import { BoardStore } from "./store";
import type { AnyModel } from "./settings";
import { BoardView } from "./view";

// initialize() and render() receive different proxies of the same model; they meet through a
// value both can read: the model's `layout` (a per-widget Layout model, or its "IPY_MODEL_<id>"
// reference).
const stores = new Map<unknown, BoardStore>();

function storeKey(model: AnyModel): unknown {
  try {
    const k = model.get("layout");
    return (typeof k === "object" && k !== null) || (typeof k === "string" && k !== "") ? k : null;
  } catch {
    return null;
  }
}

/** A store fed by the model's messages: first those that arrived before (`pending`: while the
 * loader loaded this module), then every new one; it says hello. */
function attach(model: AnyModel, pending: readonly Pending[] = []): { store: BoardStore; detach: () => void } {
  const store = new BoardStore({
    send: (msg) => model.send(msg),
    log: (...args) => console.warn(...args),
  });
  const onMsg = (content: unknown, buffers?: (DataView | ArrayBuffer)[]) => store.handleMessage(content, buffers);
  model.on("msg:custom", onMsg);
  for (const [content, buffers] of pending) onMsg(content, buffers);
  store.hello(true);
  return { store, detach: () => model.off("msg:custom", onMsg) };
}

export default {
  initialize({ model, pending }: { model: AnyModel; pending?: Pending[] }) {
    const { store, detach } = attach(model, pending);
    const key = storeKey(model);
    if (key !== null) stores.set(key, store);
    return () => {
      detach();
      if (key !== null && stores.get(key) === store) stores.delete(key);
    };
  },

  render({ model, el }: { model: AnyModel; el: HTMLElement }) {
    const key = storeKey(model);
    let store = key !== null ? stores.get(key) : undefined;
    let detach: (() => void) | null = null;
    if (!store) {
      // no initialize() for this model (or no shared key): this view keeps its own store
      ({ store, detach } = attach(model));
    }
    // (a store from initialize() has received every message since the model was created)
    const view = new BoardView(model, el, store);
    return () => {
      view.destroy();
      detach?.();
    };
  },
};
