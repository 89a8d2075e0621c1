// `ecotone validate`: runs the known-answer suite (src/validate) on this machine and prints, per
// case, the source, the expected value, the measured value with its spread and pass or FAIL, then
// `validate: N passed, M failed`; exit code 1 when any case fails. Progress: a line per case on stderr.
import { familyCase, measuredText, renderValidation, runValidation, selectCases, validationCases } from "../../validate/index.ts";
import { defaultReporter } from "../reporter.ts";

export interface ValidateOpts { quick?: boolean; case?: string; json?: boolean }

export default async function (o: ValidateOpts = {}): Promise<void> {
  const cases = selectCases(validationCases(), o.case?.split(",").map((s) => s.trim()).filter(Boolean), familyCase);
  const reporter = defaultReporter();
  const v = await runValidation(cases, {
    quick: o.quick,
    onCase: (r, i, n) => reporter.info(`validate [${i + 1}/${n}] ${r.name}: ${r.pass ? "pass" : "FAIL"} (${measuredText(r)}, expected ${r.expectedText}) in ${r.seconds.toFixed(1)} s`),
  });
  console.log(o.json ? JSON.stringify(v) : renderValidation(v));
  if (v.failed > 0) process.exitCode = 1;
}
