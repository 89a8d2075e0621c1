// `ecotone ui` as a process: it binds 127.0.0.1 by default, prints where, serves until SIGTERM
// and then exits cleanly; a store that does not exist is a user error, not an empty dashboard.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { openStore } from "../../src/store/index.ts";
import { get } from "./_client.ts";
import { tempDir } from "./_fixtures.ts";

const command = fileURLToPath(new URL("../../src/cli/commands/ui.ts", import.meta.url));

/** Runs the command module the way the CLI does, in its own process. */
function ui(opts: object) {
  const code = `const m = await import(${JSON.stringify(command)}); await m.default(${JSON.stringify(opts)});`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  const url = new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (c: string) => {
      stderr += c;
      const m = /serving .* at (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on("exit", () => reject(new Error(`exited before serving: ${stderr}`)));
  });
  url.catch(() => {}); // a test that expects the process to fail never awaits the url
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, url, exit, stderr: () => stderr };
}

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const scratch = () => { const d = tempDir("ui"); dirs.push(d); return d; };

describe("ecotone ui", () => {
  it("serves on 127.0.0.1 by default and stops on SIGTERM", async () => {
    const path = join(scratch(), "runs.db");
    await (await openStore(path)).close();
    const p = ui({ store: path, port: 0 });
    const url = await p.url;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal((await get(url, "/api/runs")).json().total, 0);
    p.child.kill("SIGTERM");
    assert.equal(await p.exit, 0, p.stderr());
  });

  it("refuses a store that does not exist, and creates nothing", async () => {
    const path = join(scratch(), "missing.db");
    const p = ui({ store: path, port: 0 });
    assert.notEqual(await p.exit, 0);
    assert.match(p.stderr(), /no run store at .*missing\.db/);
    assert.equal(existsSync(path), false);
  });
});
