// `ecotone export <runId> --probe-log DIR`: a run trained by ecotone, written as a probe log, so
// that what any framework writes and what ecotone trains can be checked against each other. The
// store keeps metrics, not outputs, so the run is trained again: runs are bit-reproducible (the
// same spec and seeds give the same numbers, however the seeds are split over threads), and a
// metric-less capture component reads, at every checkpoint, exactly the probabilities the lab's
// metrics read. The re-run's accuracy and expected reward (which read nothing but those outputs)
// are checked against the stored ones for every seed and environment at every checkpoint; an
// export that would not reproduce the run is refused. Log-probabilities are
// written as the float64 logarithm of the float32 probabilities, which come back bit for bit.
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createGzip } from "node:zlib";
import { init } from "@jax-js/jax";
import { loadSpecPlugins } from "../components/plugins.ts";
import { parseSpec } from "../experiment/load.ts";
import { accuracyKey, defineMetric, metrics, rewardKey, type SeedMetricDef } from "../metrics/live/index.ts";
import type { Store } from "../store/index.ts";
import { makePlan, specHash, type RunPlan } from "../train/plan.ts";
import { ShardTrainer } from "../train/shard.ts";
import { EcotoneError } from "../util/errors.ts";
import { FORMAT, type ManifestInput } from "./format.ts";

export interface ExportOptions {
  store: Store;
  dir: string; // written: manifest.json and the records file
  gzip?: boolean; // records.jsonl.gz instead of records.jsonl
  onProgress?: (step: number, total: number) => void;
}

export interface ExportResult {
  runId: string;
  manifest: string; // path
  records: string; // path
  lines: number; // records written
  checkpoints: number;
}

// The capture component: visible only to the re-runs that name its origin among their plugins.
const ORIGIN = "ecotone:probe-log-export";
const sinks = new WeakMap<RunPlan, (step: number, outputs: Float32Array, cf: Float32Array) => void>();
const capture: SeedMetricDef = defineMetric({
  name: "probe-log-capture",
  level: "seed",
  keys: [],
  create: (plan) => ({
    measure(ctx) {
      sinks.get(plan)?.(ctx.step, ctx.outputs(), ctx.counterfactual().probs);
      return {};
    },
  }),
});

export async function exportProbeLog(runId: string, o: ExportOptions): Promise<ExportResult> {
  const row = await o.store.getRun(runId);
  if (!row) throw new EcotoneError("E_NOT_FOUND", `no run with id ${runId}`);
  const stored = JSON.parse(row.specJson) as Record<string, unknown>;
  const ingested = stored.ingested as { manifest?: string } | undefined;
  if (ingested) throw new EcotoneError("E_ARGS", `run ${row.id} was ingested from a probe log (${ingested.manifest}): its records are that log; there is no model to run again`);
  await loadSpecPlugins(stored);
  const spec = parseSpec(stored, `run ${row.id}`);
  if (spec.plugins.length > 0 && specHash(spec) !== row.specHash)
    throw new EcotoneError("E_SPEC", `run ${row.id}: its plugins changed since it was trained (${spec.plugins.join(", ")}): running it again would not reproduce it`);
  const diverged = await o.store.divergences(row.id);
  if (diverged.length > 0) throw new EcotoneError("E_ARGS", `run ${row.id}: seed ${diverged[0]!.seed} diverged at step ${diverged[0]!.step}: a probe log has no way to say so; export a run without diverged seeds`);
  const to = (await o.store.lastStep(row.id)) ?? 0;
  const storedPoints = await o.store.metrics(row.id);

  await init("wasm");
  if (!metrics.has(capture.kind)) metrics.add(capture, false, ORIGIN);
  const plan = makePlan({ ...spec, plugins: [...spec.plugins, ORIGIN] });
  const { world, probes, envNames, allEnvNames } = plan;
  const S = spec.seeds, E = world.trained, N = probes.n, C = world.classes, envs = probes.envs;
  const checkpoints = plan.checkpoints.filter((t) => t <= to);

  await mkdir(o.dir, { recursive: true });
  const name = o.gzip ? "records.jsonl.gz" : "records.jsonl";
  const path = join(o.dir, name), partial = path + ".partial";
  const file = createWriteStream(partial);
  const gz = o.gzip ? createGzip() : undefined;
  if (gz) gz.pipe(file);
  const out = gz ?? file;
  const write = async (text: string) => { if (!out.write(text)) await once(out, "drain"); };
  let lines = 0;
  const pending: { step: number; outputs: Float32Array; cf: Float32Array }[] = [];
  sinks.set(plan, (step, outputs, cf) => pending.push({ step, outputs: outputs.slice(), cf: cf.slice() }));

  const ownId = (env: string, i: number) => `${env}:${i}`;
  const lp = (p: Float32Array, at: number) => JSON.stringify(Array.from(p.subarray(at, at + C), (v) => (v > 0 ? Math.log(v) : null)));
  const trainer = new ShardTrainer(plan, Array.from({ length: S }, (_, s) => s));
  try {
    const byStep = new Map<number, Map<string, number | null>>();
    for (const p of storedPoints) if (p.seed >= 0) (byStep.get(p.step) ?? byStep.set(p.step, new Map()).get(p.step)!).set(`${p.key}\0${p.seed}`, p.value);
    for (const ev of trainer.run(0, to)) {
      if (ev.type !== "checkpoint") continue;
      checkReproduced(row.id, ev.step, allEnvNames.flatMap((env) => [accuracyKey(env), rewardKey(env)]), ev.metrics, byStep.get(ev.step));
      for (const { step, outputs, cf } of pending.splice(0)) {
        for (let s = 0; s < S; s++) {
          for (let i = 0; i < N; i++) for (let e = 0; e < E; e++)
            await write(`{"seed":${s},"step":${step},"probe":"cf${i}","cue":${JSON.stringify(envNames[e])},"logprobs":${lp(cf, ((s * E + e) * N + i) * C)}}\n`);
          for (let e = 0; e < envs; e++) for (let i = 0; i < N; i++)
            await write(`{"seed":${s},"step":${step},"probe":${JSON.stringify(ownId(allEnvNames[e]!, i))},"cue":${JSON.stringify(allEnvNames[e])},"logprobs":${lp(outputs, ((s * envs + e) * N + i) * C)}}\n`);
        }
        lines += S * (E + envs) * N;
        o.onProgress?.(step, to);
      }
    }
    out.end();
    await once(file, "close");
    await rename(partial, path);
  } catch (e) {
    out.destroy();
    await rm(partial, { force: true });
    throw e;
  } finally {
    trainer.dispose();
    sinks.delete(plan);
  }

  const manifest: ManifestInput = {
    format: FORMAT,
    name: spec.name,
    description: `ecotone run ${row.id}, exported by \`ecotone export --probe-log\` (the run trained again, bit for bit)`,
    options: Array.from({ length: C }, (_, c) => String(c)),
    environments: [
      ...envNames.map((env, e) => ({ name: env, objective: spec.envs[e]!.objective.kind, cue: `ecotone's cue prototype of ${env} (world ${spec.world.kind})`, probes: Array.from({ length: N }, (_, i) => ownId(env, i)) })),
      ...allEnvNames.slice(E).map((env) => ({ name: env, novel: true, cue: `ecotone's cue prototype of ${env} (held out)`, probes: Array.from({ length: N }, (_, i) => ownId(env, i)) })),
    ],
    probes: [
      ...Array.from({ length: N }, (_, i) => ({ id: `cf${i}`, references: Object.fromEntries(envNames.map((env, e) => [env, String(probes.cfLabels[e * N + i])])) })),
      ...allEnvNames.flatMap((env, e) => Array.from({ length: N }, (_, i) => ({ id: ownId(env, i), references: { [env]: String(probes.labels[e * N + i]) } }))),
    ],
    counterfactual: Array.from({ length: N }, (_, i) => `cf${i}`),
    seeds: S,
    schedule: {
      kind: spec.schedule.kind, steps: spec.train.steps,
      phases: plan.schedule.phases.map((p) => ({ env: p.env, start: p.start, end: p.end, ...(p.env !== "mixture" && { objective: spec.envs[envNames.indexOf(p.env)]!.objective.kind }) })),
    },
    checkpoints,
    window: plan.windowSteps,
    records: name,
    source: { framework: "ecotone", runId: row.id, specHash: row.specHash, spec: stored },
  };
  const manifestPath = join(o.dir, "manifest.json");
  await writeFile(manifestPath, JSON.stringify(manifest, null, 1) + "\n");
  return { runId: row.id, manifest: manifestPath, records: path, lines, checkpoints: checkpoints.length };
}

/** The re-run's `keys` at `step` against the stored ones, every seed: any difference refuses the export. */
function checkReproduced(runId: string, step: number, keys: string[], now: Record<string, Float64Array>, stored: Map<string, number | null> | undefined): void {
  if (!stored) throw new EcotoneError("E_STORE", `run ${runId} has no stored checkpoint at step ${step}, which its spec measures: it cannot be checked, so it is not exported`);
  for (const key of keys)
    now[key]?.forEach((v, seed) => {
      const k = `${key}\0${seed}`;
      if (!stored.has(k)) return;
      const was = stored.get(k)!, is = Number.isFinite(v) ? v : null;
      if (was !== is)
        throw new EcotoneError("E_SPEC", `run ${runId}: training it again does not reproduce its stored outputs (step ${step}, ${key}, seed ${seed}: stored ${was}, now ${is}); the model code changed since it was trained, so its probe log cannot be written`);
    });
}
