// Saved model states are safetensors files: the codec against a file written by hand from the
// format's definition, against Python (json + numpy, as any reader would; torch too), and a real
// run's stored state read from Python by tensor name; resuming from it is tested in test/train.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { init } from "@jax-js/jax";
import { decodeSafetensors, encodeSafetensors, isSafetensors } from "../../src/store/safetensors.ts";
import { runExperiment } from "../../src/train/run.ts";
import { makePlan } from "../../src/train/plan.ts";
import { ShardTrainer, type ShardEvent } from "../../src/train/shard.ts";
import { packState, STATE_FORMAT, unpackState } from "../../src/train/state.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { EcotoneError } from "../../src/util/errors.ts";
import { tinySpec } from "../train/_helpers.ts";

const tmp = mkdtempSync(join(tmpdir(), "ecotone-st-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs Python code with `args`; undefined (with the reason in `why`) when python3 or a module is missing. */
function python(code: string, args: string[], why: { reason?: string }): string | undefined {
  const r = spawnSync("/usr/bin/python3", ["-c", code, ...args], { encoding: "utf8" });
  if (r.error || /ModuleNotFoundError/.test(r.stderr)) return void (why.reason = `python3 with numpy is needed: ${r.error?.message ?? r.stderr.trim().split("\n").pop()}`);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe("safetensors codec", () => {
  it("writes exactly the bytes the format defines", () => {
    const bytes = encodeSafetensors([{ name: "a", dtype: "F32", shape: [2], data: Float32Array.of(1, -2) }], { k: "v" });
    const json = '{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const padded = json + " ".repeat((8 - (json.length % 8)) % 8); // the data starts 8-byte aligned
    const want = Buffer.concat([Buffer.from([padded.length, 0, 0, 0, 0, 0, 0, 0]), Buffer.from(padded), Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0])]); // 1.0f, -2.0f little-endian
    assert.deepEqual(Buffer.from(bytes), want);
    assert.equal((8 + padded.length) % 8, 0);
  });

  it("round-trips tensors of every dtype, bit for bit, in order", () => {
    const f64 = Float64Array.of(Math.PI, -0, 5e-324, NaN, Infinity);
    const tensors = [
      { name: "w", dtype: "F32" as const, shape: [2, 3], data: Float32Array.of(0.1, 0.2, 0.3, -1e-40, NaN, -Infinity) },
      { name: "loss", dtype: "F64" as const, shape: [5], data: f64 },
      { name: "n", dtype: "I32" as const, shape: [], data: Int32Array.of(-7) },
      { name: "b", dtype: "U8" as const, shape: [3], data: Uint8Array.of(1, 2, 255) },
    ];
    const back = decodeSafetensors(encodeSafetensors(tensors, { step: "3" }));
    assert.deepEqual(back.metadata, { step: "3" });
    assert.deepEqual(back.tensors.map((t) => [t.name, t.dtype, t.shape]), tensors.map((t) => [t.name, t.dtype, t.shape]));
    back.tensors.forEach((t, i) => assert.deepEqual(Buffer.from(t.bytes), Buffer.from(tensors[i]!.data.buffer)));
  });

  it("refuses a damaged file with a clear error, and a size that does not match the shape", () => {
    const good = encodeSafetensors([{ name: "a", dtype: "F32", shape: [2], data: Float32Array.of(1, 2) }]);
    assert.throws(() => decodeSafetensors(good.subarray(0, good.length - 1)), (e) => e instanceof EcotoneError && /offsets/.test(e.message));
    assert.throws(() => decodeSafetensors(Uint8Array.of(1, 2, 3)), (e) => e instanceof EcotoneError && /not a valid safetensors file/.test(e.message));
    assert.throws(() => encodeSafetensors([{ name: "a", dtype: "F32", shape: [3], data: Float32Array.of(1, 2) }]), /has 8 bytes/);
    assert.equal(isSafetensors(new Uint8Array(Float32Array.of(0.5, 0.25, 1, 2).buffer)), false, "raw floats (an older state) are told apart");
  });

  it("Python reads ours with json + numpy (and torch), and we read one Python wrote", (t) => {
    const path = join(tmp, "ours.safetensors");
    writeFileSync(path, encodeSafetensors([
      { name: "seed.0.w", dtype: "F32", shape: [2, 2], data: Float32Array.of(1.5, -2.25, 1 / 3, 1e-30) },
      { name: "seed.0.loss", dtype: "F64", shape: [1], data: Float64Array.of(Math.E) },
    ], { format: "test" }));
    const why: { reason?: string } = {};
    const out = python(`
import json, struct, sys, numpy as np
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
data = b[8 + n:]
res = {"meta": h["__metadata__"]}
for k, v in h.items():
    if k == "__metadata__": continue
    s, e = v["data_offsets"]
    a = np.frombuffer(data[s:e], dtype={"F32": "<f4", "F64": "<f8"}[v["dtype"]]).reshape(v["shape"])
    res[k] = [repr(float(x)) for x in a.ravel()]
try:
    import torch
    w = torch.frombuffer(bytearray(data[h["seed.0.w"]["data_offsets"][0]:h["seed.0.w"]["data_offsets"][1]]), dtype=torch.float32).reshape(2, 2)
    res["torch"] = float(w[1, 0])
except ImportError:
    pass
# a file written here, by the format's definition
hdr = json.dumps({"x": {"dtype": "F64", "shape": [3], "data_offsets": [0, 24]}, "__metadata__": {"by": "python"}}).encode()
open(sys.argv[2], "wb").write(struct.pack("<Q", len(hdr)) + hdr + np.array([0.1, -2.5, 1e300], dtype="<f8").tobytes())
print(json.dumps(res))
`, [path, join(tmp, "theirs.safetensors")], why);
    if (out === undefined) return t.skip(why.reason);
    const res = JSON.parse(out) as Record<string, unknown>;
    assert.deepEqual(res.meta, { format: "test" });
    assert.deepEqual((res["seed.0.w"] as string[]).map(Number), [...Float32Array.of(1.5, -2.25, 1 / 3, 1e-30)]);
    assert.deepEqual((res["seed.0.loss"] as string[]).map(Number), [Math.E]);
    if ("torch" in res) assert.equal(res.torch, Math.fround(1 / 3));
    const theirs = decodeSafetensors(readFileSync(join(tmp, "theirs.safetensors")));
    assert.deepEqual(theirs.metadata, { by: "python" });
    assert.deepEqual([...new Float64Array(theirs.tensors[0]!.bytes.buffer)], [0.1, -2.5, 1e300]);
  });
});

describe("a trainer's state, packed", () => {
  it("names each tensor after what it holds: seed 1's first-layer weights are the model's, by pytree path", async () => {
    await init("wasm");
    const trainer = new ShardTrainer(makePlan(tinySpec({ seeds: 3, model: { hidden: [8] }, train: { steps: 20, evalEvery: 10, optimizer: "adam" } })), [0, 1, 2]);
    const cp = [...trainer.run(0, 20, true)].filter((e) => e.type === "checkpoint").pop() as ShardEvent & { type: "checkpoint" };
    const { tensors } = decodeSafetensors(packState(cp.state!, 3, cp.layout!, 20));
    const model = (trainer as unknown as { model: { params: { layers: { w: { shape: number[]; ref: { dataSync(): Float32Array } } }[] } } }).model;
    const w = model.params.layers[0]!.w; // [S, in, out]
    const [S, din, dout] = w.shape as [number, number, number];
    const seed1 = w.ref.dataSync().slice(din * dout, 2 * din * dout); // .ref: reading consumes an array
    const t = tensors.find((x) => x.name === "seed.1.params.layers.0.w")!;
    assert.deepEqual([S, t.shape], [3, [din, dout]]);
    assert.deepEqual(new Float32Array(t.bytes.buffer), seed1);
    assert.deepEqual(tensors.map((x) => x.name).filter((n) => n.startsWith("seed.2.") && !n.includes(".opt.") && !n.includes("metric_state")),
      ["seed.2.params.layers.0.w", "seed.2.params.layers.0.b", "seed.2.params.head.w", "seed.2.params.head.b", "seed.2.diverged_at", "seed.2.last_loss"]);
    assert.equal(new Float32Array(tensors.find((x) => x.name === "seed.0.diverged_at")!.bytes.buffer)[0], -1, "not diverged");
    trainer.dispose();
  });
});

describe("a run's saved state", () => {
  let store: Store;
  before(async () => { await init("wasm"); store = await openStore(join(tmp, "runs.db")); });
  after(() => store.close());

  it("is a safetensors file named by seed and pytree path that numpy reads; its bytes are the trainer's rows", async (t) => {
    const r = await runExperiment(tinySpec({ seeds: 3, model: { hidden: [8] }, train: { steps: 20, evalEvery: 10, optimizer: "adam" } }), { store, threads: 1 });
    const saved = (await store.loadState(r.runId))!;
    assert.equal(saved.step, 20);
    const { tensors, metadata } = decodeSafetensors(saved.state);
    assert.deepEqual(metadata, { format: STATE_FORMAT, step: "20", seeds: "3" });
    const names = tensors.map((x) => x.name);
    for (const s of [0, 1, 2]) {
      assert.ok(names.includes(`seed.${s}.diverged_at`) && names.includes(`seed.${s}.last_loss`), names.join(" "));
      assert.ok(names.some((n) => n.startsWith(`seed.${s}.params.`)), "weights by pytree path");
      assert.ok(names.some((n) => n.startsWith(`seed.${s}.opt.`)), "optimiser state");
    }
    const w = tensors.find((x) => x.name.startsWith("seed.1.params.") && x.shape.length === 2)!;
    assert.ok(w, "a weight matrix of seed 1");
    assert.equal(tensors.find((x) => x.name === "seed.0.last_loss")!.dtype, "F64");
    const flat = unpackState(saved.state);
    assert.equal(flat.length * 4, tensors.reduce((n, x) => n + x.bytes.length, 0));
    assert.deepEqual(unpackState(new Uint8Array(flat.buffer)), flat, "a state stored before safetensors (the raw rows) reads the same");
    const path = join(tmp, "state.safetensors");
    writeFileSync(path, saved.state);
    const why: { reason?: string } = {};
    const out = python(`
import json, struct, sys, numpy as np
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
v = h[sys.argv[2]]
s, e = v["data_offsets"]
a = np.frombuffer(b[8 + n + s:8 + n + e], dtype="<f4").reshape(v["shape"])
print(json.dumps({"shape": list(a.shape), "sum": float(a.astype(np.float64).sum()), "first": float(a.ravel()[0])}))
`, [path, w.name], why);
    if (out === undefined) return t.skip(why.reason);
    const py = JSON.parse(out) as { shape: number[]; sum: number; first: number };
    const mine = new Float32Array(w.bytes.buffer);
    assert.deepEqual(py.shape, w.shape);
    assert.equal(py.first, mine[0]);
    assert.equal(py.sum, mine.reduce((a, b) => a + b, 0));
  });
});
