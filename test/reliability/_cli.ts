// Shared by the reliability tests: the CLI as a real process, small specs, and the root-only
// helpers (bind mounts, tmpfs) that make a folder read-only or a disk full for real.
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type Store } from "../../src/store/index.ts";

export const bin = join(import.meta.dirname, "../../bin/ecotone.js");
const env = { ...process.env, CI: "1" };

export const scratch = (what: string) => mkdtempSync(join(tmpdir(), `ecotone-rel-${what}-`));

/** Runs the CLI to its end; `stdout`, `stderr`, `status` as spawnSync gives them. */
export const ecotone = (cwd: string, ...args: string[]): SpawnSyncReturns<string> =>
  spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd, env });

/** The CLI in the background, its stderr collected; `exit` resolves with its code (or signal). */
export function ecotoneBg(cwd: string, args: string[], o: { detached?: boolean } = {}) {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: o.detached });
  let stderr = "", stdout = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  const exit = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal!)));
  return { child, exit, stderr: () => stderr, stdout: () => stdout };
}

/** A printed stack or the CLI's internal-error line: what a user must never see for a user error. */
export const leaksStack = (text: string) => /^\s+at .*:\d+|internal error/m.test(text);

/** A small two-environment spec: about 450 steps a second on one core with `engine: jax` (the fused default is several times faster: a test that must catch a run mid-way says jax). */
export const spec = (name: string, steps: number, train = "") => `name: ${name}
seeds: 2
world: { content: 12, cue: 4, classes: 4 }
envs: [{ name: A, objective: sft }, { name: B, objective: sft }]
schedule: { kind: blocks, phaseSteps: 20 }
model: { hidden: [16] }
train: { steps: ${steps}, evalEvery: 20, batch: 16, probes: 32${train} }
`;

export function specFile(dir: string, name: string, text: string): string {
  const p = join(dir, `${name}.yaml`);
  writeFileSync(p, text);
  return p;
}

/** Polls until `f` is true (or throws after `ms`). */
export async function until(what: string, f: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Reads a store the way `ecotone ui` does (read-only), then closes it. */
export async function peek<T>(path: string, f: (s: Store) => Promise<T>): Promise<T> {
  const s = await openStore(path, { readonly: true });
  try {
    return await f(s);
  } finally {
    await s.close();
  }
}

/** Why root-only tests skip here, or false when they can run (root, and mount works). */
export const rootOnly = (() => {
  if (process.getuid?.() !== 0) return "needs root (bind mounts, tmpfs); CI runs the tests as root";
  const dir = scratch("mount");
  const ok = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]).status === 0;
  if (ok) spawnSync("umount", [dir]);
  rmSync(dir, { recursive: true, force: true });
  return ok ? false : "mount is not permitted here (a container without CAP_SYS_ADMIN)";
})();

/** mount(8), failing loudly. */
export function mount(...args: string[]): void {
  const r = spawnSync("mount", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`mount ${args.join(" ")}: ${r.stderr}`);
}

/** `dir` as a read-only view of `src` (a bind mount: read-only even for root). */
export function readonlyView(src: string, dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  mount("--bind", src, dir);
  mount("-o", "remount,bind,ro", dir);
  return () => { const r = spawnSync("umount", [dir], { encoding: "utf8" }); if (r.status !== 0) process.stderr.write(`umount ${dir}: ${r.stderr}`); };
}
