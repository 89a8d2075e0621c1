// Simplicity bias, the headline of Shah et al. 2020 on LMS-5: where a linear coordinate and 19
// five-slab coordinates both predict the label, networks rely on the linear one alone. Randomising
// it drops accuracy to chance; randomising the slabs costs nothing; and a control trained on the
// slabs alone learns them, so the preference is not an incapacity. examples/simplicity.yaml, as
// `ecotone simplicity` trains it (src/stability/simplicity.ts).
import { loadSpec, parseSpec } from "../../experiment/load.ts";
import { simplicityBias, simplicitySpecPath } from "../../stability/simplicity.ts";
import { defineCase, within } from "../case.ts";

const f = (x: number) => x.toFixed(3);

/** `seed`: the spec's base seed (default the example's, 0): another draw of data and initialisations. */
export function simplicityCase(o: { seed?: number } = {}) {
  const probes = 512; // examples/simplicity.yaml's probe set: chance accuracy scatters by √(¼/512) = 0.022
  const tolerance = { abs: 3 * Math.sqrt(0.25 / probes) }; // chance within 3 binomial sd
  const least = { clean: 0.95, slabRandomised: 0.95, control: 0.9 }; // what else must hold (the tests' bars)
  return defineCase({
    name: `simplicity/lms5${o.seed === undefined ? "" : `-seed${o.seed}`}`,
    source: "Shah et al. 2020: LMS-5, linear randomised → chance",
    expected: 0.5,
    tolerance,
    run: async ({ quick }) => {
      const spec = await loadSpec(simplicitySpecPath);
      const r = await simplicityBias(o.seed === undefined ? spec : parseSpec({ ...spec, seed: o.seed }, "simplicity"), { seeds: quick ? 4 : undefined }); // runs kept in memory; full: the spec's 8 seeds
      const s = r.summary, control = r.control!.summary;
      const linearOnly = r.verdict.every((v) => v === "linear");
      const ok = s.clean.mean >= least.clean && s.slabRandomised.mean >= least.slabRandomised && control.mean >= least.control && linearOnly;
      return {
        measured: s.linearRandomised.mean, spread: s.linearRandomised.sd,
        pass: ok && within(s.linearRandomised.mean, 0.5, tolerance),
        detail: `${r.spec.seeds} seeds, ${r.spec.train.steps} steps ${r.spec.train.optimizer}: clean ${f(s.clean.mean)} (≥ ${least.clean}), slabs randomised ${f(s.slabRandomised.mean)} (≥ ${least.slabRandomised}), slabs-only control ${f(control.mean)} (≥ ${least.control}); relies on the linear coordinate: ${r.verdict.filter((v) => v === "linear").length}/${r.verdict.length} seeds`,
      };
    },
  });
}
