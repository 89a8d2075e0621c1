// --follow: a log still being written is ingested as it grows, each checkpoint stored once every
// seed's records for it are in (the run "running", live for the dashboard); stopped, the run stays
// interrupted with its checkpoints, and ingesting the same manifest again continues it to the end,
// with the numbers an ingest of the finished log gives.
import assert from "node:assert/strict";
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { startDashboard } from "../../src/dashboard/server.ts";
import { ingest } from "../../src/ingest/index.ts";
import { openStore, type MetricPoint, type Store } from "../../src/store/index.ts";
import { events } from "../dashboard/_client.ts";
import { python, scripted, scriptedJob, tempDir } from "./_fixtures.ts";

describe("ingest --follow", { skip: python ? false : "no python3 on this machine" }, () => {
  let store: Store, path: string;
  before(async () => { path = join(tempDir("follow-store"), "runs.db"); store = await openStore(path); });
  after(() => store.close());

  it("stores a growing log checkpoint by checkpoint, stops interrupted, and continues it when ingested again", async () => {
    const log = join(tempDir("follow"), "log");
    // The job has written 8 of its 25 checkpoints, then nothing comes for a while: ecotone stops following.
    const manifest = scripted(log, ["--pattern", "churn", "--stop-after", "8"]);
    const first = await ingest(manifest, { store, follow: true, pollMs: 20, idleMs: 600 });
    const id = first.summary.runId;
    assert.equal(first.summary.status, "interrupted");
    assert.equal(first.summary.lastStep, 350);
    const run = (await store.getRun(id))!;
    assert.equal(run.status, "interrupted");
    assert.equal((await store.metrics(id, { keys: ["class/label"] })).length, 8, "its 8 checkpoints are kept");

    // The job goes on writing; ingesting the same manifest continues the run while the log grows,
    // and the dashboard (its own connection, as `ecotone ui` beside the job) streams its checkpoints.
    const reader = await openStore(path);
    const ui = await startDashboard({ store: reader, port: 0, pollMs: 30, log: () => {} });
    const job = scriptedJob(log, ["--pattern", "churn", "--start-at", "8", "--delay", "0.15"]);
    let exited = false;
    void job.then(() => (exited = true));
    const following = ingest(manifest, { store, follow: true, pollMs: 20 });
    for (let i = 0; i < 400 && (await store.getRun(id))!.status !== "running"; i++) await sleep(10);
    const stream = events(ui.url, `/api/runs/${id}/live`);
    let live: { status: string; step: number | undefined } | undefined;
    for (let i = 0; i < 400 && !live; i++) {
      await sleep(25);
      const [r, step] = [await store.getRun(id), await store.lastStep(id)];
      if (!exited && r?.status === "running" && step !== undefined && step >= 600) live = { status: r.status, step };
    }
    assert.ok(live, "a checkpoint past the first part was stored while the job was still writing");
    const seen: number[] = [];
    try {
      for (let ev = await stream.next("checkpoint", 20_000); ev.status === "running"; ev = await stream.next("checkpoint", 20_000)) seen.push(ev.step);
    } finally {
      stream.close();
      await ui.close();
      await reader.close();
    }
    assert.ok(seen.length >= 2 && seen.at(-1)! > seen[0]!, `live checkpoints on the dashboard: ${seen.join(", ")}`);
    const done = await following;
    assert.equal(await job, 0);
    assert.equal(done.resumed, true);
    assert.equal(done.summary.runId, id, "the same run, continued");
    assert.equal(done.summary.status, "completed");
    assert.equal(done.summary.classification?.label, "strategy-churn");

    // The numbers are those of the finished log ingested at once.
    const whole = await ingest(manifest, { store, again: true });
    const pick = async (run: string) => {
      const ps = await store.metrics(run);
      return new Map(ps.filter((p: MetricPoint) => /^(class|behav|perf|cl)\//.test(p.key)).map((p) => [`${p.step}|${p.seed}|${p.key}`, p.value]));
    };
    assert.deepEqual(await pick(id), await pick(whole.summary.runId));
  });

  it("stops at a bad line of a followed log, keeping the run interrupted with the checkpoints before it", async () => {
    const log = join(tempDir("follow-bad"), "log");
    const manifest = scripted(log, ["--pattern", "conditional", "--answers", "answer", "--stop-after", "3"]);
    appendFileSync(join(log, "records.jsonl"), '{"seed":0,"step":150,"probe":"q0","cue":"helpful","answer":"E"}\n');
    await assert.rejects(ingest(manifest, { store, follow: true, pollMs: 20, idleMs: 2000 }), (e: any) => {
      assert.match(e.message, /records\.jsonl:289: field "answer": expected one of the options A, B, C, D/);
      assert.match(e.message, /run r\w+ keeps the checkpoints up to step 100 stored before, interrupted: fix the log and ingest again to continue/);
      return true;
    });
    const run = (await store.listRuns({ name: "scripted-conditional" }))[0]!;
    assert.equal(run.status, "interrupted");
    assert.equal(await store.lastStep(run.id), 100);
  });

  it("waits for a record file that is not there yet, and stops when told to", async () => {
    const dir = tempDir("follow-wait");
    const manifest = scripted(dir, ["--pattern", "generalist", "--stop-after", "0"]);
    writeFileSync(join(dir, "records.jsonl"), ""); // the job has not written anything yet
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await ingest(manifest, { store, follow: true, pollMs: 20, signal: ac.signal });
    assert.equal(r.summary.status, "interrupted");
    assert.equal((await store.getRun(r.summary.runId))!.status, "interrupted");
  });
});
