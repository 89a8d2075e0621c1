// `ecotone simplicity`: does a model trained where a simple and a complex feature both predict the
// label rely on the simple one? (randomise each at test time and compare accuracy)
import { type SimplicityReport, simplicityBias } from "../../stability/simplicity.ts";
import { EcotoneError } from "../../util/errors.ts";

export interface SimplicityOpts { complex?: string; bits?: number; seeds?: number; steps?: number; hidden?: number[]; lr?: number; control?: boolean; json?: boolean }

export default async function (o: SimplicityOpts): Promise<void> {
  if (o.complex !== undefined && o.complex !== "parity" && o.complex !== "relu") throw new EcotoneError("E_ARGS", `--complex: expected parity or relu, got ${o.complex}`);
  const r = await simplicityBias({
    ...(o.complex && { complex: o.complex as "parity" | "relu" }), ...(o.bits && { bits: o.bits }), ...(o.seeds && { seeds: o.seeds }),
    ...(o.steps && { steps: o.steps }), ...(o.hidden && { hidden: o.hidden }), ...(o.lr && { lr: o.lr }), ...(o.control === false && { control: false }),
  });
  console.log(o.json ? JSON.stringify(r) : render(r));
}

const f = (v: number) => v.toFixed(3);

export function render(r: SimplicityReport): string {
  const o = r.options;
  const complex = o.complex === "parity" ? `the parity of the signs of x₁..x${o.bits}` : `a random ReLU network's label of x₁..x${o.bits}`;
  const row = (name: string, xs: number[], m: number) => `  ${name.padEnd(28)} ${f(m)}   per seed ${xs.map(f).join(" ")}`;
  return [
    `simplicity bias: ${o.seeds} MLPs ${o.hidden.join("×")} trained ${o.steps} steps; the label is both the sign of x₀ (simple) and ${complex} (complex)`,
    "",
    "  test set                     accuracy",
    row("clean", r.accuracy.clean, r.mean.clean),
    row("simple feature randomised", r.accuracy.simpleRandomised, r.mean.simpleRandomised),
    row("complex feature randomised", r.accuracy.complexRandomised, r.mean.complexRandomised),
    "",
    `  reliance (accuracy lost when randomised): simple ${f(r.reliance.simple)}, complex ${f(r.reliance.complex)}`,
    `  relies on: ${r.verdict.join(", ")}`,
    r.control ? `  control (trained with the simple feature randomised): complex feature alone gives ${f(r.control.mean)}, so it is learnable with this budget${r.control.mean < 0.8 ? " — only partly: read the verdict with care" : ""}` : "",
  ].join("\n");
}
