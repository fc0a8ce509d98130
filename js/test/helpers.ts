/** float64 little-endian bytes placed at an odd byteOffset inside a larger buffer, as a DataView. */
export function f64View(values: number[], pad = 3): DataView {
  const ab = new ArrayBuffer(pad + values.length * 8 + 5);
  const dv = new DataView(ab, pad, values.length * 8);
  values.forEach((v, i) => void dv.setFloat64(i * 8, v, true));
  return dv;
}

export function bytesView(bytes: number[], pad = 1): DataView {
  const ab = new ArrayBuffer(pad + bytes.length + 2);
  new Uint8Array(ab, pad, bytes.length).set(bytes);
  return new DataView(ab, pad, bytes.length);
}

/** A scalar delta entry + its buffer (steps, walls, values). */
export function scalarMsg(
  run: string, tag: string, offset: number, steps: number[], values: number[],
  extra: Partial<{ epoch: number; decimated: boolean; total: number; buffer: number; replaced: number }> = {},
) {
  const walls = steps.map((s) => 1.7e9 + s);
  return {
    entry: {
      run, tag, epoch: extra.epoch ?? 0, offset, count: steps.length, decimated: extra.decimated ?? false,
      total: extra.total ?? offset + steps.length, buffer: extra.buffer ?? 0,
      ...(extra.replaced ? { replaced: extra.replaced } : {}),
    },
    buffer: f64View([...steps, ...walls, ...values]),
  };
}

/** A v2 delta message with these scalar entries (buffers numbered in order). */
export function delta(entries: { entry: object; buffer: DataView }[], runs: string[] = [], seq = 1) {
  return {
    content: { type: "delta", seq, runs, entries: { scalars: entries.map((e, i) => ({ ...e.entry, buffer: i })) } },
    buffers: entries.map((e) => e.buffer),
  };
}
