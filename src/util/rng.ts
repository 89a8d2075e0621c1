// Counter-based randomness: every stream is a pure function of (seed, ...counters), so a
// seed's data does not depend on which worker trains it, and a resumed run replays exactly.

/** Mix 32-bit words into one well-scrambled 32-bit seed (splitmix32-style finaliser). */
export function hashSeed(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) {
    h = Math.imul(h ^ (w >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    h = (h + 0x6d2b79f5) | 0;
  }
  return h >>> 0;
}

/** sfc32: small, fast, passes PractRand; state seeded from the hash. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;
  constructor(...words: number[]) {
    this.a = hashSeed(...words, 1);
    this.b = hashSeed(...words, 2);
    this.c = hashSeed(...words, 3);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextU32();
  }
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }
  /** Standard normal (Box–Muller, caching the second draw). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = this.uniform();
    while (u <= 1e-12) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  /** Standard Gumbel draw: -log(-log U). */
  gumbel(): number {
    let u = this.uniform();
    while (u <= 1e-12) u = this.uniform();
    return -Math.log(-Math.log(u));
  }
  fillNormal(out: Float32Array, scale = 1, offset = 0, count = out.length - offset): void {
    for (let i = 0; i < count; i++) out[offset + i] = this.normal() * scale;
  }
}

/** Named streams, so adding a new consumer never shifts another's numbers. */
export const STREAM = { init: 1, data: 2, dropout: 3, gumbel: 4, probe: 5, env: 6, schedule: 7, bootstrap: 8 } as const;

/** A uniformly drawn permutation of 0..n-1 that moves every element (rejection from Fisher–Yates). */
export function derangement(rng: Rng, n: number): Int32Array {
  for (;;) {
    const p = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [p[i], p[j]] = [p[j]!, p[i]!];
    }
    if (p.every((v, i) => v !== i)) return p;
  }
}
