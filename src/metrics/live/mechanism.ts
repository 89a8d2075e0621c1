// Mechanism, on the hidden representations' response to the counterfactual probes (the first
// `metrics.mechanismProbes` contents under every trained cue): is the environment decodable at
// each layer, are units selective for one environment, do the environments use the same units,
// how similar are the representations across cues and across time, how many dimensions they use.
import { centreColumns, centredRowGram, ckaOfRowGrams, ckaUsesRowGrams, linearCka, rowGramOfCentred } from "../cka.ts";
import { attribution, representationSeed } from "../../kernels/linalg.ts";
import { ldaDecodability } from "../probe.ts";
import { centredParticipationRatio } from "../rank.ts";
import { maskOverlap, selectiveFraction, unitSelectivity } from "../selectivity.ts";
import { join } from "./behaviour.ts";
import { defineMetric, type SeedContext } from "./metric.ts";

export const mechanismDefaults = {
  topUnits: 0.1, // share of units in each environment's attribution mask
  selective: 0.5, // selectivity index above which a unit counts as environment-selective (μ_max ≥ 3 μ_rest)
};

/** Rows of the representation per cue: the env of each row of [E·mechN, width]. */
const cueOfRow = (E: number, mechN: number) => Int32Array.from({ length: E * mechN }, (_, m) => Math.floor(m / mechN));

export const routing = defineMetric({
  name: "routing",
  level: "seed",
  keys: [
    { key: "route/decode:{layer}", title: "cue decodability at {layer} (LDA probe)", axis: "accuracy", range: [0, 1], headline: true, panel: "routing: cue decodability, selectivity, mask overlap" },
    { key: "route/selective", title: "environment-selective units", axis: "fraction", range: [0, 1], panel: "routing: cue decodability, selectivity, mask overlap" },
    { key: "route/maskOverlap", title: "attribution-mask overlap between environments", axis: "overlap", range: [0, 1], panel: "routing: cue decodability, selectivity, mask overlap" },
  ],
  create(plan, seeds) {
    const S = seeds.length, E = plan.world.trained, widths = plan.model.hidden;
    return {
      measure(ctx: SeedContext) {
        const { hidden, mechN } = ctx.counterfactual();
        const M = E * mechN, labels = cueOfRow(E, mechN), out: Record<string, Float64Array> = {};
        widths.forEach((H, l) => {
          const dec = new Float64Array(S);
          for (let s = 0; s < S; s++) dec[s] = E > 1 ? ldaDecodability(hidden[l]!.subarray(s * M * H, (s + 1) * M * H), labels, M, H, E) : NaN;
          out[`route/decode:L${l + 1}`] = dec;
        });
        const H = widths[widths.length - 1]!, rep = hidden[widths.length - 1]!, norm = ctx.readoutNorm();
        const sel = new Float64Array(S), overlap = new Float64Array(S);
        for (let s = 0; s < S; s++) {
          const r = rep.subarray(s * M * H, (s + 1) * M * H); // [E·mechN, H]
          if (E > 1) {
            const u = unitSelectivity(r, labels, M, H, "index", E).map((v) => (Number.isNaN(v) ? 0 : v));
            sel[s] = selectiveFraction(u, mechanismDefaults.selective);
            // attribution of unit h to env e [E, H]: mean |activation| on e's probes × the unit's outgoing weight norm (in the kernel)
            overlap[s] = norm ? maskOverlap(attribution(r, norm.subarray(s * H, (s + 1) * H), E, mechN, H), E, H, mechanismDefaults.topUnits) : NaN;
          } else [sel[s], overlap[s]] = [NaN, NaN];
        }
        out["route/selective"] = sel;
        out["route/maskOverlap"] = overlap;
        return out;
      },
    };
  },
});

/** At most this many float64 entries of kept Grams (64 MiB) across a shard's seeds: above it, rep/ckaTime recomputes the previous one. */
const gramCacheEntries = 1 << 23;

export const representation = defineMetric({
  name: "representation",
  level: "seed",
  keys: [
    { key: "rep/ckaEnv", title: "CKA across cues", axis: "CKA", range: [0, 1], headline: true, panel: "representation: CKA across cues and across checkpoints" },
    { key: "rep/ckaTime", title: "CKA with the previous checkpoint", axis: "CKA", range: [0, 1], panel: "representation: CKA across cues and across checkpoints" },
    { key: "rep/dim", title: "representation dimension (participation ratio)", axis: "dimensions", panel: "representation dimension (participation ratio)" },
  ],
  create(plan, seeds) {
    const S = seeds.length, E = plan.world.trained, widths = plan.model.hidden, H = widths[widths.length - 1]!;
    let prev: Float32Array | undefined; // [S, E·mechN, H] the last representation at the previous checkpoint
    // each seed's centred row Gram of `prev` [M, M] when CKA works from row Grams: computed at the
    // previous checkpoint already, so rep/ckaTime computes one Gram, not two (none after a restore)
    let prevGrams: ReturnType<typeof centredRowGram>[] | undefined;
    return {
      measure(ctx) {
        const { hidden, mechN } = ctx.counterfactual();
        const M = E * mechN, rep = hidden[widths.length - 1]!;
        const ckaEnv = new Float64Array(S), ckaTime = new Float64Array(S), dim = new Float64Array(S);
        const envGrams = ckaUsesRowGrams(mechN, H, H), timeGrams = ckaUsesRowGrams(M, H, H) && S * M * M <= gramCacheEntries;
        const grams: ReturnType<typeof centredRowGram>[] = [];
        if (timeGrams && (E <= 1 || envGrams)) {
          // the usual case, all from row Grams: each seed in one kernel call (the same numbers as the loop below)
          for (let s = 0; s < S; s++) {
            const at = (x: Float32Array) => x.subarray(s * M * H, (s + 1) * M * H); // [E·mechN, H]
            const k = representationSeed(at(rep), prev && (prevGrams?.[s] ?? at(prev)), E, mechN, H);
            [ckaEnv[s], ckaTime[s], dim[s]] = [k.ckaEnv, k.ckaTime, k.dim ?? centredParticipationRatio(k.xc!, M, H)];
            grams.push(k.gram);
          }
          prev = rep.slice();
          prevGrams = grams;
          return { "rep/ckaEnv": ckaEnv, "rep/ckaTime": ckaTime, "rep/dim": dim };
        }
        const xc = new Float64Array(M * H); // one seed's centred rows at a time: a cue's [mechN, H], then all [M, H]
        for (let s = 0; s < S; s++) {
          const r = rep.subarray(s * M * H, (s + 1) * M * H); // [E·mechN, H]
          const block = (a: number) => r.subarray(a * mechN * H, (a + 1) * mechN * H); // [mechN, H] cue a's rows
          if (E > 1) {
            // each cue's Gram once, not once per pair: the same numbers as linearCka on each pair
            const g = envGrams ? Array.from({ length: E }, (_, a) => rowGramOfCentred(centreColumns(block(a), mechN, H, xc.subarray(0, mechN * H)), mechN, H)) : [];
            let cka = 0, pairs = 0;
            for (let a = 0; a < E; a++)
              for (let b = a + 1; b < E; b++, pairs++) cka += envGrams ? ckaOfRowGrams(g[a]!, g[b]!) : linearCka(block(a), block(b), mechN, H, H);
            ckaEnv[s] = cka / pairs;
          } else ckaEnv[s] = NaN;
          centreColumns(r, M, H, xc); // [M, H] shared by rep/ckaTime and rep/dim: one centring, the same numbers
          if (timeGrams) {
            grams.push(rowGramOfCentred(xc, M, H));
            ckaTime[s] = prev ? ckaOfRowGrams(prevGrams?.[s] ?? centredRowGram(prev.subarray(s * M * H, (s + 1) * M * H), M, H), grams[s]!) : NaN;
          } else ckaTime[s] = prev ? linearCka(prev.subarray(s * M * H, (s + 1) * M * H), r, M, H, H) : NaN;
          dim[s] = centredParticipationRatio(xc, M, H);
        }
        prev = rep.slice();
        prevGrams = timeGrams ? grams : undefined;
        return { "rep/ckaEnv": ckaEnv, "rep/ckaTime": ckaTime, "rep/dim": dim };
      },
      state: (s) => (prev ? [prev.subarray((s * prev.length) / S, ((s + 1) * prev.length) / S)] : []),
      restore: (_step, parts) => {
        prev = parts[0]?.length ? join(parts.map((p) => p[0]!)) : undefined;
        prevGrams = undefined;
      },
    };
  },
});
