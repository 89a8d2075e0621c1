// Shared by the ingest tests: temporary folders and stores, and the Python producers (the
// standard-library writer's scripted run, and the PyTorch example where torch is installed).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openStore, type Store } from "../../src/store/index.ts";

export const root = fileURLToPath(new URL("../../", import.meta.url));
export const scriptedRun = join(root, "examples/probe-log/scripted_run.py");
export const tempDir = (what: string) => mkdtempSync(join(tmpdir(), `ecotone-ingest-${what}-`));
export const tempStore = (dir = tempDir("store")): Promise<Store> => openStore(join(dir, "runs.db"));

/** The environment Python runs in here: no __pycache__ left in the checkout. */
export const pyEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: "1" };
const works = (py: string, code: string) => spawnSync(py, ["-c", code], { encoding: "utf8", env: pyEnv }).status === 0;
/** A python3 (the one on PATH, or the system's), or undefined. */
export const python = ["python3", "/usr/bin/python3"].find((p) => works(p, "import json, gzip"));
/** A python3 that imports torch, or undefined. */
export const torchPython = ["python3", "/usr/bin/python3"].find((p) => works(p, "import torch"));

/** Writes the scripted run's probe log into `dir` (see examples/probe-log/scripted_run.py); returns the manifest's path. */
export function scripted(dir: string, args: string[] = []): string {
  if (!python) throw new Error("no python3");
  const r = spawnSync(python, [scriptedRun, dir, ...args], { encoding: "utf8", env: pyEnv });
  if (r.status !== 0) throw new Error(`scripted_run.py ${args.join(" ")}: ${r.stderr}`);
  return join(dir, "manifest.json");
}

/** The scripted run as a background job (with --delay, a log that grows); resolves when it exits. */
export function scriptedJob(dir: string, args: string[]): Promise<number> {
  const child = spawn(python!, [scriptedRun, dir, ...args], { stdio: ["ignore", "ignore", "inherit"], env: pyEnv });
  return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
}
