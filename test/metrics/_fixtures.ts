// Test fixtures for the metrics: seeded random matrices and tolerant comparisons.

import assert from "node:assert/strict";
import { Rng } from "../../src/util/rng.ts";

/** Assert |actual - expected| <= tol, with a message that shows both. */
export function close(actual: number, expected: number, tol = 1e-9, what = ""): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} ± ${tol}, got ${actual}`);
}

/** `[rows][cols]` of standard normal draws from a seeded stream. */
export function randn(seed: number, rows: number, cols: number): Float64Array {
  const rng = new Rng(seed, 99);
  return Float64Array.from({ length: rows * cols }, () => rng.normal());
}

/** Product of `a` `[M][K]` and `b` `[K][N]`. */
export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) out[i * N + j]! += a[i * K + k]! * b[k * N + j]!;
  return out;
}

/** A random n×n orthogonal matrix: Gram–Schmidt on the rows of a Gaussian matrix. */
export function randomOrthogonal(seed: number, n: number): Float64Array {
  const q = randn(seed, n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += q[i * n + k]! * q[j * n + k]!;
      for (let k = 0; k < n; k++) q[i * n + k]! -= dot * q[j * n + k]!;
    }
    let norm = 0;
    for (let k = 0; k < n; k++) norm += q[i * n + k]! ** 2;
    for (let k = 0; k < n; k++) q[i * n + k]! /= Math.sqrt(norm);
  }
  return q;
}

/** A distribution over C classes with `peak` on class k and the rest spread evenly. */
export function peaked(C: number, k: number, peak = 0.7): Float64Array {
  return Float64Array.from({ length: C }, (_, c) => (c === k ? peak : (1 - peak) / (C - 1)));
}

/** A random distribution over C classes (softmax of Gaussian logits). */
export function randomDist(rng: Rng, C: number): Float64Array {
  const z = Float64Array.from({ length: C }, () => Math.exp(2 * rng.normal()));
  const s = z.reduce((a, b) => a + b, 0);
  return z.map((v) => v / s);
}
