// The safetensors file format (https://huggingface.co/docs/safetensors), so a saved model state is
// read by numpy, PyTorch or the `safetensors` package as it is: 8 bytes of little-endian header
// length N, N bytes of JSON { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__:
// { string: string } } padded with spaces to a multiple of 8, then the tensors' raw little-endian
// bytes, back to back in header order, offsets counted from the end of the header.

import { endianness } from "node:os";
import { EcotoneError } from "../util/errors.ts";

export type Dtype = "F64" | "F32" | "I64" | "I32" | "I16" | "I8" | "U8";
const SIZE: Record<Dtype, number> = { F64: 8, F32: 4, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1 };

export interface Tensor {
  name: string;
  dtype: Dtype;
  shape: number[];
  data: ArrayBufferView; // its bytes, as laid out in memory (little-endian here)
}

/** A tensor as read: its bytes are a copy, aligned for a typed-array view of its dtype. */
export interface ReadTensor {
  name: string;
  dtype: Dtype;
  shape: number[];
  bytes: Uint8Array;
}

const bad = (why: string) => new EcotoneError("E_STORE", `not a valid safetensors file: ${why}`);

/** The file's bytes; tensors are laid out in the order given. */
export function encodeSafetensors(tensors: Tensor[], metadata: Record<string, string> = {}): Uint8Array {
  if (endianness() !== "LE") throw new EcotoneError("E_STORE", "safetensors: writing from a big-endian machine is not supported");
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === "__metadata__" || t.name in header) throw new EcotoneError("E_STORE", `safetensors: duplicate or reserved tensor name ${t.name}`);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n * SIZE[t.dtype] !== t.data.byteLength) throw new EcotoneError("E_STORE", `safetensors: tensor ${t.name} of shape [${t.shape}] ${t.dtype} has ${t.data.byteLength} bytes`);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), "utf8");
  const pad = (8 - (json.length % 8)) % 8; // the data starts 8-byte aligned, so readers can view it in place
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let o = 8 + json.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), o);
    o += t.data.byteLength;
  }
  return out;
}

/** Whether `bytes` start like a safetensors file (a plausible header length, then a JSON object). */
export function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return n >= 2n && n <= BigInt(bytes.length - 8) && bytes[8] === 0x7b;
}

/** The tensors (in data order) and metadata of a safetensors file; every offset and size is checked. */
export function decodeSafetensors(bytes: Uint8Array): { tensors: ReadTensor[]; metadata: Record<string, string> } {
  if (!isSafetensors(bytes)) throw bad("no header");
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString("utf8")) as Record<string, unknown>;
  } catch (e) {
    throw bad(`header is not JSON (${(e as Error).message})`);
  }
  const data = bytes.subarray(8 + n);
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const tensors: (ReadTensor & { begin: number })[] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: off } = v as { dtype: Dtype; shape: number[]; data_offsets: [number, number] };
    if (!(dtype in SIZE)) throw bad(`tensor ${name} has dtype ${dtype}, not one of ${Object.keys(SIZE).join(", ")}`);
    const size = shape.reduce((a, b) => a * b, 1) * SIZE[dtype];
    if (!Array.isArray(off) || off[1] - off[0] !== size || off[0] < 0 || off[1] > data.length) throw bad(`tensor ${name}: offsets [${off}] do not hold shape [${shape}] ${dtype}`);
    tensors.push({ name, dtype, shape, bytes: new Uint8Array(data.subarray(off[0], off[1])), begin: off[0] }); // a copy (a Buffer's slice is a view)
  }
  tensors.sort((a, b) => a.begin - b.begin);
  let end = 0;
  for (const t of tensors) {
    if (t.begin !== end) throw bad(`tensor ${t.name} does not start where the previous one ends (${t.begin} vs ${end})`);
    end += t.bytes.length;
  }
  if (end !== data.length) throw bad(`${data.length - end} bytes after the last tensor`);
  return { tensors: tensors.map(({ begin: _, ...t }) => t), metadata };
}
