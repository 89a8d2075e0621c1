// `ecotone stability <spec>`: how stable is this trainer? Either the perturbation study
// (--perturb seed,data,lr,momentum: spread of outcomes per dimension, ranked) or the structural
// stability map (--map lr,momentum --grid 5x5 -o map.png: loss, divergence and spread per cell).
import { writeFileSync } from "node:fs";
import { extname } from "node:path";
import { toPng, toSvg } from "../../plots/render.ts";
import { loadSpec, parseSpec } from "../../experiment/load.ts";
import { applyOverrides } from "../../experiment/overrides.ts";
import { type StabilityMap, mapDefaults, momentumAxis, logspace, stabilityMap } from "../../stability/map.ts";
import { stabilityMapSpec } from "../../stability/mapPlot.ts";
import { DIMENSIONS, parseDimensions } from "../../stability/perturb.ts";
import { type StabilityReport, stabilityReport } from "../../stability/report.ts";
import { openStore } from "../../store/index.ts";
import { EcotoneError } from "../../util/errors.ts";
import { defaultReporter } from "../reporter.ts";

export interface StabilityOpts {
  store: string;
  perturb?: string; // "seed,data,lr,momentum"
  scale?: number;
  seedVariants?: number;
  dataset?: number;
  map?: string; // "lr,momentum"
  grid?: string; // "5x5"
  lrRange?: string; // "1e-3:1"
  momentumRange?: string; // "0:0.95"
  out?: string;
  seeds?: number;
  steps?: number;
  threads?: number;
  reuse?: boolean; // commander's --no-reuse sets false
  set?: string[]; // --set path=value overrides
  json?: boolean;
  certify?: boolean | string; // --certify [nodes]: the certified column
}

const range = (flag: string, v: string): [number, number] => {
  const m = /^([^:]+):([^:]+)$/.exec(v);
  const lo = Number(m?.[1]), hi = Number(m?.[2]);
  if (!m || !Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) throw new EcotoneError("E_ARGS", `${flag}: expected lo:hi with lo ≤ hi, got ${v}`);
  return [lo, hi];
};

export default async function (specPath: string, o: StabilityOpts): Promise<void> {
  // Validate every argument before the store is touched.
  if (o.map !== undefined && o.perturb !== undefined) throw new EcotoneError("E_ARGS", "stability: give --perturb or --map, not both");
  if (o.map !== undefined && o.certify !== undefined && o.certify !== false) throw new EcotoneError("E_ARGS", "stability: --certify adds a column to the perturbation study, not to --map");
  if (o.map !== undefined && o.map.replace(/\s/g, "") !== "lr,momentum") throw new EcotoneError("E_ARGS", `--map: only lr,momentum is supported, got ${o.map}`);
  if (o.map === undefined && (o.out || o.grid || o.lrRange || o.momentumRange)) throw new EcotoneError("E_ARGS", "stability: -o, --grid, --lr-range and --momentum-range draw the map: use them with --map lr,momentum");
  const ext = o.out ? extname(o.out).toLowerCase() : "";
  if (o.out && ext !== ".svg" && ext !== ".png") throw new EcotoneError("E_ARGS", `stability: -o must end in .svg or .png, got ${o.out}`);
  let spec = applyOverrides(await loadSpec(specPath), o.set ?? [], specPath);
  if (o.seeds || o.steps) spec = parseSpec({ ...spec, seeds: o.seeds ?? spec.seeds, train: { ...spec.train, steps: o.steps ?? spec.train.steps } }, specPath);
  const perturb = o.map === undefined ? parseDimensions(o.perturb ?? DIMENSIONS.join(",")) : undefined;
  const grid = o.grid === undefined ? mapDefaults.grid : parseGrid(o.grid);
  const lrs = o.lrRange ? logspace(...range("--lr-range", o.lrRange), grid[0]) : undefined;
  if (lrs && !(lrs[0]! > 0)) throw new EcotoneError("E_ARGS", `--lr-range: learning rates must be > 0, got ${o.lrRange}`);
  const momenta = o.momentumRange ? momentumAxis(...range("--momentum-range", o.momentumRange), grid[1]) : undefined;

  const store = await openStore(o.store);
  const reporter = defaultReporter();
  let k = 0;
  const common = {
    store, threads: o.threads, reuse: o.reuse,
    onStage: (what: string) => {
      reporter.stop();
      if (what.includes("(reused")) reporter.info(`run ${++k}: ${what}`);
      else reporter.start(`run ${++k}: ${what}`, spec.train.steps);
    },
    onProgress: (step: number) => reporter.update(step),
  };
  try {
    if (perturb) {
      const certify = o.certify === undefined || o.certify === false ? undefined : { nodes: o.certify === true ? undefined : certifyNodes(o.certify) };
      const r = await stabilityReport(spec, { ...common, perturb, scale: o.scale, seedVariants: o.seedVariants, dataset: o.dataset, certify });
      reporter.stop();
      console.log(o.json ? JSON.stringify({ ...r, store: store.url }) : renderReport(r));
    } else {
      const m = await stabilityMap(spec, { ...common, grid, lrs, momenta });
      reporter.stop();
      if (o.out) {
        const svg = await toSvg(stabilityMapSpec(m));
        writeFileSync(o.out, ext === ".svg" ? svg : toPng(svg));
        reporter.info(`wrote ${o.out}`);
      }
      console.log(o.json ? JSON.stringify({ ...m, store: store.url, picture: o.out ?? null }) : renderMap(m));
    }
  } finally {
    reporter.stop();
    await store.close();
  }
}

function certifyNodes(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1e6) throw new EcotoneError("E_ARGS", `--certify: sub-boxes per pair must be an integer in [1, 1e6], got ${v}`);
  return n;
}

function parseGrid(g: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(g.trim());
  const a = Number(m?.[1]), b = Number(m?.[2]);
  if (!m || a < 1 || b < 1) throw new EcotoneError("E_ARGS", `--grid: expected <lrs>x<momenta> such as 5x5, got ${g}`);
  return [a, b];
}

const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : "  —  ");

/** The perturbation study for a person: one block per dimension, then the ranking. */
export function renderReport(r: StabilityReport): string {
  const lines = [
    `stability of ${r.spec}: ${r.seeds} seeds per run; trained ${r.envs.trained.join(", ")}; novel ${r.envs.novel.join(", ")}` +
      (r.envs.addedNovel.length ? ` (added to probe off-distribution behaviour)` : ""),
    `base run ${r.base.runId}: class ${r.base.class ?? "—"}; across its seeds JS in ${f(r.base.seedSpread.jsIn)} / off ${f(r.base.seedSpread.jsOff)} bits, answers agree ${f(r.base.seedSpread.agreeIn, 2)} / ${f(r.base.seedSpread.agreeOff, 2)}`,
    "",
    "dimension  variants                              JS in   JS off  KL in   KL off  agree in/off  |Δacc| in/off  classes agree" +
      (r.dimensions.some((d) => d.certified) ? "  certified KL ≤ (found)" : ""),
  ];
  for (const d of r.dimensions) {
    const vs = d.variants.map((v) => v.label).join(", ");
    if (!d.distance) {
      lines.push(`${d.dimension.padEnd(10)} ${"(skipped)".padEnd(37)} ${d.note ?? ""}`);
      continue;
    }
    const s = d.distance;
    const cert = d.certified ? `          ${f(d.certified.bound, 2)} (${f(d.certified.found, 2)})` : "";
    lines.push(`${d.dimension.padEnd(10)} ${vs.slice(0, 37).padEnd(37)} ${f(s.jsIn)}   ${f(s.jsOff)}   ${f(s.klIn)}   ${f(s.klOff)}   ${f(s.agreeIn, 2)} / ${f(s.agreeOff, 2)}   ${f(s.accGapIn, 2)} / ${f(s.accGapOff, 2)}    ${f(d.classAgreement, 2)}${cert}`);
    if (d.note) lines.push(`           note: ${d.note}`);
  }
  lines.push("", `ranking by spread (mean JS over all probed environments): ${r.ranking.map((x) => `${x.dimension} ${f(x.js)}`).join(" > ")}`);
  for (const d of r.dimensions.filter((x) => x.pathDependence?.flagged)) {
    const p = d.pathDependence!;
    lines.push(`path dependence along ${d.dimension}: in distribution |Δacc| ${f(p.accGapIn, 2)} and answers differ on ${f(p.disagreeIn, 2)} of probes; off distribution they differ on ${f(p.disagreeOff, 2)}`);
  }
  if (r.pathDependent.length === 0) lines.push("no dimension shows path dependence (equal accuracy in distribution with divergent behaviour off it)");
  lines.push("", "metric dispersion across variants (sd; range; within-run seed sd for scale):");
  for (const d of r.dimensions.filter((x) => x.distance)) {
    const show = Object.entries(d.metrics).filter(([k]) => k.startsWith("perf/acc:") || k === "train/loss").map(([k, v]) => `${k} ${f(v.sd)}; ${f(v.range)}; ${f(v.seedSd)}`);
    lines.push(`  ${d.dimension.padEnd(9)} ${show.join("   ")}`);
  }
  return lines.join("\n");
}

/** The map as text: one row per momentum, one column per learning rate. */
export function renderMap(m: StabilityMap): string {
  const W = 22; // "10.90 / 0.50 / 0.346" and room between columns
  const head = `momentum \\ lr ${m.lrs.map((l) => String(l).padStart(W)).join("")}`;
  const lines = [`structural stability of ${m.spec} (${m.optimizer}, ${m.seeds} seeds per cell): loss / diverged fraction / spread (JS bits)`, "", head];
  for (const mo of [...m.momenta].reverse()) {
    const row = m.lrs.map((lr) => {
      const c = m.cells.find((x) => x.lr === lr && x.momentum === mo)!;
      return `${Number.isFinite(c.loss) ? f(c.loss, 2) : "div"} / ${f(c.diverged, 2)} / ${f(c.spread, 3)}`.padStart(W);
    });
    lines.push(`${String(mo).padEnd(14)} ${row.join("")}`);
  }
  for (const n of m.notes) lines.push(`note: ${n}`);
  return lines.join("\n");
}
