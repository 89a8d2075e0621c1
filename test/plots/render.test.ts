import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  curvesSpec, matrixSpec, panelsSpec, phaseDiagramSpec, PALETTE, stableIds, THEME, toPng, toSvg,
} from "../../src/plots/index.ts";
import { syntheticRun, syntheticSweep } from "./_fixtures.ts";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const run = syntheticRun();
const spec = curvesSpec(run.points, { prefix: "perf/acc:", phases: run.phases, yDomain: [0, 1], title: "accuracy" });

describe("toSvg", () => {
  it("renders a standalone SVG with a white background", async () => {
    const svg = await toSvg(spec);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]* width="\d+" height="\d+"/);
    assert.match(svg, /<rect width="\d+" height="\d+" fill="white"\/>/);
    assert.ok(svg.endsWith("</svg>"));
  });

  it("is byte-identical across renders, even with other renders in between", async () => {
    const first = await toSvg(spec);
    await toSvg(matrixSpec(run.points, { phases: run.phases })); // advances vega's id counters
    const [second, third] = await Promise.all([toSvg(spec), toSvg(spec)]);
    assert.equal(second, first);
    assert.equal(third, first);
  });

  it("gives each picture its own ids, and every reference resolves", async () => {
    const a = await toSvg(spec);
    const b = await toSvg(curvesSpec(run.points, { prefix: "behav/", phases: run.phases, yDomain: [0, 1] }));
    const ids = (svg: string) => new Set([...svg.matchAll(/id="([^"]+)"/g)].map((m) => m[1]!));
    const refs = (svg: string) => [...svg.matchAll(/url\(#([^)]+)\)/g)].map((m) => m[1]!);
    for (const svg of [a, b]) {
      assert.ok(refs(svg).length > 0, "the fixed y range clips the bands");
      for (const r of refs(svg)) assert.ok(ids(svg).has(r), `dangling reference ${r}`);
    }
    // Inlined into one HTML page, the two must not share an id.
    for (const id of ids(a)) assert.ok(!ids(b).has(id), `shared id ${id}`);
  });
});

describe("spec builders", () => {
  it("raise no vega warnings, with data or with none yet", async (t) => {
    const warn = t.mock.method(console, "warn", () => {});
    for (const pts of [run.points, []]) {
      await toSvg(curvesSpec(pts, { prefix: "perf/acc:", phases: run.phases }));
      await toSvg(panelsSpec(pts, [{ title: "p", prefix: "perf/" }, { title: "b", prefix: "behav/" }], run.phases));
      await toSvg(matrixSpec(pts, { phases: run.phases }));
    }
    await toSvg(phaseDiagramSpec(syntheticSweep(), { x: "width", y: "l1", facet: "volatility" }));
    await toSvg(phaseDiagramSpec([], { x: "width", y: "l1" }));
    assert.deepEqual(warn.mock.calls.map((c) => c.arguments.join(" ")), []);
  });
});

describe("stableIds", () => {
  it("renumbers clip and gradient ids by first appearance and tags them with a content hash", () => {
    const svg = '<clipPath id="clip7"/><g clip-path="url(#clip7)"/><linearGradient id="gradient_3"/><rect fill="url(#gradient_3)"/>';
    const out = stableIds(svg);
    assert.match(out, /^<clipPath id="e([0-9a-f]{8})-clip0"\/><g clip-path="url\(#e\1-clip0\)"\/><linearGradient id="e\1-gradient_1"\/>/);
    assert.equal(stableIds(svg.replaceAll("7", "12")), out, "the counter's value does not matter");
  });

  it("leaves an SVG without ids unchanged, and text that looks like an id alone", () => {
    const svg = "<svg><text>clip3</text></svg>";
    assert.equal(stableIds(svg), svg);
  });
});

describe("toPng", () => {
  it("starts with the PNG signature and scales the pixel size", async () => {
    const svg = await toSvg(spec);
    const [w, h] = [Number(/width="(\d+)"/.exec(svg)![1]), Number(/height="(\d+)"/.exec(svg)![1])];
    const size = (png: Uint8Array) => {
      const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
      return [dv.getUint32(16), dv.getUint32(20)]; // the IHDR chunk's width and height
    };
    const png1 = toPng(svg, 1);
    const png2 = toPng(svg);
    assert.deepEqual([...png2.subarray(0, 8)], PNG_SIGNATURE);
    assert.deepEqual(size(png1), [w, h]);
    assert.deepEqual(size(png2), [2 * w, 2 * h]);
    assert.deepEqual(toPng(svg), png2, "deterministic bytes");
  });

  it("rejects a scale that is not positive", () => {
    assert.throws(() => toPng("<svg/>", 0), /scale must be > 0, got 0$/);
  });
});

describe("THEME", () => {
  it("uses the colour-blind-safe palette for categories and a white background", () => {
    assert.equal(PALETTE.length, 10);
    assert.deepEqual(THEME.range?.category, [...PALETTE]);
    assert.equal(THEME.background, "white");
  });
});
