// The weighted-sum baselines of an ingested run: probe logs of a stationary-mixture model and of
// one specialist per trained environment (same seeds, probes and options), linked from the
// manifest. Each is ingested as a run of its own (reused when already stored); the main run reads
// their final outputs (ws/*) and the specialists' accuracy at their first and last checkpoints (mature/level).
import { dirname, resolve } from "node:path";
import { accuracyKey } from "../metrics/live/index.ts";
import type { Store } from "../store/index.ts";
import { specError } from "../util/errors.ts";
import type { Checkpoint } from "./assemble.ts";
import { loadManifest, type LoadedManifest } from "./manifest.ts";
import { shown, streamLog } from "./stream.ts";

export interface Linked {
  runIds: { mixture?: string; specialists: Record<string, string> };
  reference: { mixture?: Float32Array; specialists?: Float32Array[] }; // final outputs [S, envs·N, C], in the main run's environment order
  specialist?: { init: Float64Array; final: Float64Array }[]; // per trained env: its specialist's accuracy per seed
}

interface Options { store: Store; signal?: AbortSignal; onWarning?: (line: string) => void }
/** Ingests a baseline's log (passed in: ingest.ts calls this module). */
type Ingest = (lm: LoadedManifest, o: Options) => Promise<{ summary: { runId: string; status: string }; final?: Checkpoint }>;

export async function linkBaselines(lm: LoadedManifest, o: Options, ingest: Ingest): Promise<Linked> {
  const links = lm.manifest.baselines!;
  const trained = lm.layout.trained;
  const named = Object.keys(links.specialists ?? {});
  if (named.length > 0 && named.length < trained.length)
    throw specError(`${shown(lm.path)}: baselines.specialists: expected one for every trained environment (${trained.join(", ")}), found ${named.join(", ")}`);
  const one = async (link: string, where: string) => {
    const b = loadManifest(resolve(dirname(lm.path), link));
    const order = compatible(lm, b, where);
    const r = await ingest(b, { store: o.store, signal: o.signal, onWarning: (w) => o.onWarning?.(`baseline ${shown(b.path)}: ${w}`) });
    if (r.summary.status !== "completed") throw specError(`${shown(lm.path)}: ${where}: the baseline's log (${shown(b.path)}) is not complete (run ${r.summary.runId} is ${r.summary.status})`);
    const final = r.final ?? (await lastCheckpoint(b));
    return { runId: r.summary.runId, outputs: reorder(final.outputs, order, lm), b };
  };
  const out: Linked = { runIds: { specialists: {} }, reference: {} };
  if (links.mixture) {
    const m = await one(links.mixture, "baselines.mixture");
    out.runIds.mixture = m.runId;
    out.reference.mixture = m.outputs;
  }
  if (named.length > 0) {
    const sp = [];
    for (const env of trained) sp.push(await one(links.specialists![env]!, `baselines.specialists.${env}`));
    out.reference.specialists = sp.map((s) => s.outputs);
    sp.forEach((s, e) => (out.runIds.specialists[trained[e]!] = s.runId));
    out.specialist = await Promise.all(sp.map(async (s, e) => {
      const points = await o.store.metrics(s.runId, { keys: [accuracyKey(trained[e]!)] });
      const steps = points.map((p) => p.step);
      const at = (step: number) => Float64Array.from(lm.layout.seeds, (_, seed) => points.find((p) => p.step === step && p.seed === seed)?.value ?? NaN);
      return { init: at(Math.min(...steps)), final: at(Math.max(...steps)) };
    }));
  }
  return out;
}

/** Checks that baseline `b` probes what the main log probes; returns, per main environment, its index in b. */
function compatible(lm: LoadedManifest, b: LoadedManifest, where: string): number[] {
  const [L, B] = [lm.layout, b.layout];
  const bad = (what: string) => specError(`${shown(lm.path)}: ${where}: ${shown(b.path)} ${what}`);
  if (B.seeds.length !== L.seeds.length) throw bad(`has ${B.seeds.length} seeds, expected ${L.seeds.length} (seed g is compared with seed g)`);
  if (B.options.join("\u0000") !== L.options.join("\u0000")) throw bad(`has options ${B.options.join(", ")}, expected ${L.options.join(", ")}`);
  return L.all.map((env, e) => {
    const k = B.all.indexOf(env);
    if (k < 0) throw bad(`does not probe environment ${env}`);
    if (B.ownIds[k]!.join("\u0000") !== L.ownIds[e]!.join("\u0000")) throw bad(`probes environment ${env} on other probes than this log`);
    return k;
  });
}

/** The baseline's outputs with its environments in the main log's order. */
function reorder(outputs: Float32Array, order: number[], lm: LoadedManifest): Float32Array {
  const { N } = lm.layout, C = lm.layout.options.length, S = lm.layout.seeds.length, envs = order.length;
  const from = outputs.length / (S * N * C); // the baseline's number of environments
  const out = new Float32Array(S * envs * N * C);
  for (let s = 0; s < S; s++) order.forEach((k, e) => out.set(outputs.subarray((s * from + k) * N * C, (s * from + k + 1) * N * C), (s * envs + e) * N * C));
  return out;
}

/** The last complete checkpoint of a finished log (a baseline stored before: its outputs are not in the store). */
async function lastCheckpoint(lm: LoadedManifest): Promise<Checkpoint> {
  let last: Checkpoint | undefined;
  const r = await streamLog(lm, { follow: false, pollMs: 0, maxProblems: 1, warn: () => {}, onCheckpoint: (cp) => { last = cp; return false; } });
  if (r.problems.length > 0 || !last) throw specError(`${shown(lm.path)}: cannot read the baseline's last checkpoint: ${r.problems[0] ?? "no complete checkpoint"}`);
  return last;
}
