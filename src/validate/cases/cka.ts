// Linear CKA's invariances (Kornblith et al. 2019, ICML, §3 and Table 1): 1 between X and any
// orthogonal transform, isotropic scaling or column shift of it, also into a wider space; and not
// invariant to an anisotropic scaling, where for centred X with orthonormal columns and
// Y = X diag(a) it is Σa² / √(H Σa⁴), by hand: YᵀX = diag(a), ‖XᵀX‖_F = √H, ‖YᵀY‖_F = √Σa⁴.
import { linearCka } from "../../metrics/cka.ts";
import { Rng } from "../../util/rng.ts";
import { defineCase, within } from "../case.ts";

const randn = (rng: Rng, m: number, h: number) => Float64Array.from({ length: m * h }, () => rng.normal()); // [m, h]

/** Subtracts each column's mean (written here, not taken from the library under test). */
function centerColumns(a: Float64Array, m: number, h: number): Float64Array {
  const out = Float64Array.from(a);
  for (let j = 0; j < h; j++) {
    let mean = 0;
    for (let r = 0; r < m; r++) mean += a[r * h + j]! / m;
    for (let r = 0; r < m; r++) out[r * h + j]! -= mean;
  }
  return out;
}

/** Gram–Schmidt on the columns of a [m, h] matrix (m ≥ h): orthonormal columns spanning the same space. */
function orthonormalColumns(a: Float64Array, m: number, h: number): Float64Array {
  const q = Float64Array.from(a);
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < j; i++) {
      let dot = 0;
      for (let r = 0; r < m; r++) dot += q[r * h + i]! * q[r * h + j]!;
      for (let r = 0; r < m; r++) q[r * h + j]! -= dot * q[r * h + i]!;
    }
    let norm = 0;
    for (let r = 0; r < m; r++) norm += q[r * h + j]! ** 2;
    for (let r = 0; r < m; r++) q[r * h + j]! /= Math.sqrt(norm);
  }
  return q;
}

/** [m, k] × [k, n] */
function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let l = 0; l < k; l++) for (let j = 0; j < n; j++) out[i * n + j]! += a[i * k + l]! * b[l * n + j]!;
  return out;
}

/** CKA(X, T(X)) = 1 for each invariance T; the measurement is the least of them. */
export function ckaInvarianceCase(M = 150, H = 9, wider = 14, seed = 2024) {
  const tolerance = { abs: 1e-9 };
  return defineCase({
    name: "cka/invariance",
    source: "Kornblith et al. 2019, §3: invariances",
    expected: 1,
    tolerance,
    run: () => {
      const rng = new Rng(seed, M, H);
      const x = randn(rng, M, H);
      const q = orthonormalColumns(randn(rng, H, H), H, H); // [H, H] orthogonal
      const qWide = orthonormalColumns(randn(rng, wider, H), wider, H); // [wider, H]: orthonormal columns
      const into = Float64Array.from({ length: H * wider }, (_, i) => qWide[(i % wider) * H + Math.floor(i / wider)]!); // its transpose [H, wider]: an isometry into R^wider
      const ys: [string, Float64Array, number][] = [
        ["orthogonal", matmul(x, q, M, H, H), H],
        [`isometry into ${wider} dims`, matmul(x, into, M, H, wider), wider],
        ["scale 0.013", x.map((v) => 0.013 * v), H],
        ["column shift", x.map((v, i) => v + 5 - (i % H)), H],
        ["all four", matmul(x, q, M, H, H).map((v, i) => 42 * v - 3 * (i % H)), H],
      ];
      const got = ys.map(([name, y, h]) => [name, linearCka(x, y, M, H, h)] as const);
      const least = Math.min(...got.map(([, c]) => c));
      return {
        measured: least, pass: within(least, 1, tolerance),
        detail: `X ${M}×${H} Gaussian; ${got.map(([name, c]) => `${name} ${(1 - c).toExponential(1)} below 1`).join(", ")}`,
      };
    },
  });
}

/** CKA(X, X diag(a)) for X with orthonormal centred columns: Σa² / √(H Σa⁴). */
export function ckaAnisotropicCase(a: readonly number[] = [1, 2, 3, 0.5, 4, 0.25], M = 120, seed = 2024) {
  const H = a.length;
  const s2 = a.reduce((s, v) => s + v * v, 0), s4 = a.reduce((s, v) => s + v ** 4, 0);
  const expected = s2 / Math.sqrt(H * s4);
  const tolerance = { abs: 1e-9 };
  return defineCase({
    name: "cka/anisotropic",
    source: "Kornblith et al. 2019; closed form by hand",
    expected,
    tolerance,
    run: () => {
      const x = orthonormalColumns(centerColumns(randn(new Rng(seed, M, H), M, H), M, H), M, H); // [M, H], centred, XᵀX = I
      const y = x.map((v, i) => v * a[i % H]!);
      const c = linearCka(x, y, M, H, H);
      return { measured: c, pass: within(c, expected, tolerance), detail: `X ${M}×${H} with orthonormal centred columns, a = (${a.join(", ")}): Σa² = ${s2}, Σa⁴ = ${s4}` };
    },
  });
}
