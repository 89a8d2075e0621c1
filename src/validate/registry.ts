// The registry of `ecotone validate`: every case once, in the order the table prints them. A case
// is one factory in cases/; the parameters here differ from those in the test suite (other
// members of the same families), and `familyCase` builds any other member from its name.
import { EcotoneError } from "../util/errors.ts";
import type { Case } from "./case.ts";
import { ckaAnisotropicCase, ckaInvarianceCase } from "./cases/cka.ts";
import { continualCases } from "./cases/continual.ts";
import { heavyBallCase } from "./cases/heavy-ball.ts";
import { llcCrossingCase } from "./cases/llc-crossing.ts";
import { llcLinearCase } from "./cases/llc-linear.ts";
import { llcRrrCase } from "./cases/llc-rrr.ts";
import { simplicityCase } from "./cases/simplicity.ts";

/** Every case of the suite (built on call: a case may compute its answer, e.g. by quadrature). */
export function validationCases(): Case[] {
  return [
    llcLinearCase(3),
    llcLinearCase(6),
    llcCrossingCase([4]),
    llcCrossingCase([1, 3]),
    llcRrrCase(5, 3, 2, 1),
    llcRrrCase(4, 4, 2, 1), // multiplicity 2
    simplicityCase(),
    ckaInvarianceCase(),
    ckaAnisotropicCase(),
    heavyBallCase(0),
    heavyBallCase(0.5),
    heavyBallCase(0.9),
    ...continualCases(),
  ];
}

/**
 * Any other member of a parameterised family, from its name (`llc/rrr-3-5-2-2`,
 * `llc/crossing-k2-3`, `heavy-ball/beta-0.7`), for `--case`; undefined where no family matches.
 */
export function familyCase(name: string): Case | undefined {
  const families: [RegExp, (m: RegExpMatchArray) => Case][] = [
    [/^llc\/linear-d(\d+)$/, (m) => llcLinearCase(Number(m[1]))],
    [/^llc\/crossing-k(\d+)(?:-(\d+))?$/, (m) => llcCrossingCase(m[2] === undefined ? [Number(m[1])] : [Number(m[1]), Number(m[2])])],
    [/^llc\/rrr-(\d+)-(\d+)-(\d+)-(\d+)$/, (m) => llcRrrCase(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]))],
    [/^heavy-ball\/beta-(\d*\.?\d+)$/, (m) => heavyBallCase(Number(m[1]))],
    [/^simplicity\/lms5-seed(\d+)$/, (m) => simplicityCase({ seed: Number(m[1]) })],
  ];
  for (const [re, make] of families) {
    const m = name.match(re);
    if (!m) continue;
    try {
      return make(m);
    } catch (e) {
      throw new EcotoneError("E_ARGS", `case ${name}: ${(e as Error).message}`);
    }
  }
  return undefined;
}
