// A run's saved training state as a safetensors file (src/store/safetensors.ts), readable by numpy
// and PyTorch: for each seed s, in this order,
//   seed.s.params.<path>       F32, the model's weights by pytree path (e.g. seed.0.params.layers.0.w)
//   seed.s.opt.<path>          F32, the optimiser's state by pytree path (Adam: opt.m.…, opt.v.…)
//   seed.s.ref.<path>          F32, the reference weights, for metrics that measure drift from them
//   seed.s.diverged_at         F32 [1], the step where the seed diverged, -1 if it did not
//   seed.s.last_loss           F64 [1], the last interval's training loss
//   seed.s.metric_state.<kind> F32, a stateful metric's memory: [n, len₁, part₁…, len₂, part₂…]
// and metadata { format: "ecotone-state/1", step, seeds }. The tensors' bytes, back to back, are
// exactly the trainer's flat per-seed rows (ShardTrainer.state), so resuming is bit for bit.
// A state stored before this format (the raw Float32 rows) is still read.

import { decodeSafetensors, encodeSafetensors, isSafetensors, type Tensor } from "../store/safetensors.ts";
import { EcotoneError } from "../util/errors.ts";

export const STATE_FORMAT = "ecotone-state/1";

/** What one seed's row of ShardTrainer.state() holds, in order (from ShardTrainer.stateLayout). */
export interface StateLayout {
  leaves: { name: string; shape: number[] }[]; // per-seed shape; name: params.…, opt.…, ref.…
  metrics: string[]; // the stateful metrics, in row order
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The safetensors bytes of `flat` ([S × per] rows, seed-major) after training step `step`. */
export function packState(flat: Float32Array, seeds: number, layout: StateLayout, step: number): Uint8Array {
  if (flat.length % seeds !== 0) throw new Error(`state: ${flat.length} values are not ${seeds} equal rows`);
  const per = flat.length / seeds;
  const tensors: Tensor[] = [];
  for (let s = 0; s < seeds; s++) {
    const row = flat.subarray(s * per, (s + 1) * per);
    let o = 0;
    const take = (name: string, n: number, shape = [n]) => {
      tensors.push({ name: `seed.${s}.${name}`, dtype: "F32", shape, data: row.subarray(o, o + n) });
      o += n;
    };
    for (const l of layout.leaves) take(l.name, size(l.shape), l.shape);
    take("diverged_at", 1);
    tensors.push({ name: `seed.${s}.last_loss`, dtype: "F64", shape: [1], data: row.subarray(o, o + 2) }); // a float64 in two float32 slots
    o += 2;
    for (const kind of layout.metrics) {
      let n = 1;
      for (let j = 0, parts = row[o]!; j < parts; j++) n += 1 + row[o + n]!; // [n, len, part, len, part…]
      take(`metric_state.${kind}`, n);
    }
    if (o !== per) throw new Error(`state: the layout covers ${o} of a seed's ${per} values`);
  }
  return encodeSafetensors(tensors, { format: STATE_FORMAT, step: String(step), seeds: String(seeds) });
}

/** The flat rows of a stored state (either format), as ShardTrainer.restore takes them. */
export function unpackState(bytes: Uint8Array): Float32Array {
  if (!isSafetensors(bytes)) return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)); // before safetensors
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== STATE_FORMAT) throw new EcotoneError("E_STORE", `saved state has format ${metadata.format ?? "(none)"}, not ${STATE_FORMAT}`);
  const out = new Uint8Array(tensors.reduce((n, t) => n + t.bytes.length, 0));
  let o = 0;
  for (const t of tensors) { out.set(t.bytes, o); o += t.bytes.length; }
  return new Float32Array(out.buffer);
}
