// The Store over any kysely database. Only kysely's query builder is used, in its subset common
// to SQLite and PostgreSQL, so a PostgresDialect can be plugged in without touching this file.

import { existsSync, statSync } from "node:fs";
import { sql, type Kysely, type Selectable } from "kysely";
import { EcotoneError } from "../util/errors.ts";
import { transaction } from "./_tx.ts";
import { describeOwner, ownerAlive, processOwner } from "./liveness.ts";
import type { Database, RunsTable, SqlDialect, SweepCellsTable, SweepsTable } from "./schema.ts";
import type {
  Divergence, KeepStates, MetricPoint, NewRun, NewSweep, NewSweepCell, Phase, RunNote, RunRemoval, RunRow, RunStatus, StateEntry, Store,
  SweepCellRow, SweepCellStatus, SweepRow, SweepStatus,
} from "./types.ts";

/** Shortest id prefix getRun resolves; shorter ones collide too easily to be typed safely. */
export const MIN_PREFIX = 4;
// Rows per INSERT: 5 parameters each stays far below SQLite's and PostgreSQL's limits.
const CHUNK = 500;

/** A Store over an already migrated kysely database; `url` is what the user opened (its password redacted). */
export function kyselyStore(db: Kysely<Database>, url: string, dialect: SqlDialect = "sqlite"): Store {
  return new KyselyStore(db, url, dialect);
}

const notFound = (runId: string) => new EcotoneError("E_NOT_FOUND", `no run ${runId}`);
const finite = (v: number | null) => (v !== null && Number.isFinite(v) ? v : null);

/** The status as read: a "running" run whose owner is gone (or was never recorded) is stale. */
function readStatus(r: Pick<Selectable<RunsTable>, "status" | "owner" | "heartbeat_at">): RunStatus {
  if (r.status !== "running") return r.status as RunStatus;
  return r.owner !== null && ownerAlive(r.owner, r.heartbeat_at) ? "running" : "stale";
}

function toRow(r: Selectable<RunsTable>): RunRow {
  return {
    id: r.id,
    name: r.name,
    specJson: r.spec_json,
    specHash: r.spec_hash,
    status: readStatus(r),
    seeds: r.seeds,
    steps: r.steps,
    volatility: r.volatility,
    envs: JSON.parse(r.envs_json) as string[],
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    summary: r.summary_json === null ? null : (JSON.parse(r.summary_json) as unknown),
    sweepId: r.sweep_id,
    metrics: JSON.parse(r.metrics_json) as RunRow["metrics"],
    owner: r.owner,
    heartbeatAt: r.heartbeat_at,
  };
}

function toSweep(r: Selectable<SweepsTable>): SweepRow {
  return {
    id: r.id, name: r.name, specJson: r.spec_json, hash: r.hash, status: r.status as SweepStatus,
    createdAt: r.created_at, finishedAt: r.finished_at, owner: r.owner, heartbeatAt: r.heartbeat_at,
  };
}

function toCell(r: Selectable<SweepCellsTable>): SweepCellRow {
  return {
    sweepId: r.sweep_id, key: r.cell_key, idx: r.idx, params: JSON.parse(r.params_json) as Record<string, unknown>,
    specJson: r.spec_json, runId: r.run_id, status: r.status as SweepCellStatus, error: r.error, updatedAt: r.updated_at,
    worker: r.worker ?? null,
  };
}

/** finishRun inside a transaction: a run keeping no state ("none") loses it once completed or diverged. */
async function finishIn(tx: Kysely<Database>, runId: string, status: RunStatus, summary_json: string, finished_at: string): Promise<void> {
  const res = await tx.updateTable("runs").set({ status, finished_at, summary_json, owner: null, heartbeat_at: null }).where("id", "=", runId).executeTakeFirst();
  if (res.numUpdatedRows === 0n) throw notFound(runId);
  if (status !== "completed" && status !== "diverged") return; // failed or interrupted: resumable, the state stays
  const run = await tx.selectFrom("runs").select("keep_states").where("id", "=", runId).executeTakeFirstOrThrow();
  if (run.keep_states === "none") await tx.deleteFrom("run_state").where("run_id", "=", runId).execute();
}

const noCell = (sweepId: string, key: string) => new EcotoneError("E_NOT_FOUND", `no cell ${key} in sweep ${sweepId}`);

class KyselyStore implements Store {
  constructor(
    private readonly db: Kysely<Database>,
    readonly url: string,
    readonly dialect: SqlDialect,
  ) {}

  async createRun(run: NewRun): Promise<void> {
    const now = new Date().toISOString();
    const res = await this.db
      .insertInto("runs")
      .values({
        id: run.id,
        name: run.name,
        spec_json: run.specJson,
        spec_hash: run.specHash,
        status: "running",
        seeds: run.seeds,
        steps: run.steps,
        volatility: run.volatility,
        envs_json: JSON.stringify(run.envs),
        created_at: run.createdAt ?? now,
        finished_at: null,
        summary_json: null,
        sweep_id: run.sweepId ?? null,
        last_step: null,
        metrics_json: JSON.stringify(run.metrics ?? []),
        owner: processOwner(),
        heartbeat_at: now,
        keep_states: run.keepStates ?? null,
      })
      .onConflict((oc) => oc.column("id").doNothing())
      .executeTakeFirst();
    if (res.numInsertedOrUpdatedRows === 0n) throw new EcotoneError("E_STORE", `run ${run.id} already exists`);
  }

  async claimRun(runId: string): Promise<void> {
    const me = processOwner();
    for (let attempt = 0; attempt < 3; attempt++) {
      const row = await this.db.selectFrom("runs").select(["status", "owner", "heartbeat_at"]).where("id", "=", runId).executeTakeFirst();
      if (!row) throw notFound(runId);
      if (row.owner !== null && row.owner !== me && row.status === "running" && ownerAlive(row.owner, row.heartbeat_at))
        throw new EcotoneError("E_STORE", `run ${runId} is being trained by ${describeOwner(row.owner)}: wait for it to finish, or stop it, then resume`);
      // Compare-and-set: of two processes taking over the same stale run, one wins.
      const res = await this.db
        .updateTable("runs")
        .set({ owner: me, heartbeat_at: new Date().toISOString(), status: "running", finished_at: null })
        .where("id", "=", runId)
        .where((eb) => (row.owner === null ? eb("owner", "is", null) : eb("owner", "=", row.owner)))
        .executeTakeFirst();
      if (res.numUpdatedRows !== 0n) return;
    }
    throw new EcotoneError("E_STORE", `run ${runId}: another process keeps taking it over`);
  }

  async heartbeatRun(runId: string): Promise<boolean> {
    const res = await this.db.updateTable("runs").set({ heartbeat_at: new Date().toISOString() }).where("id", "=", runId).where("owner", "=", processOwner()).executeTakeFirst();
    return res.numUpdatedRows !== 0n;
  }

  async writePhases(runId: string, phases: Phase[]): Promise<void> {
    await this.onRun(runId, () =>
      transaction(this.db, async (tx) => {
        await tx.deleteFrom("phases").where("run_id", "=", runId).execute();
        if (phases.length === 0) return;
        const rows = phases.map((p, idx) => ({ run_id: runId, idx, start_step: p.start, end_step: p.end, env: p.env }));
        await tx.insertInto("phases").values(rows).execute();
      }),
    );
  }

  async writeCheckpoint(runId: string, step: number, points: MetricPoint[], state?: Uint8Array): Promise<void> {
    // Duplicates (same step, key, seed) keep the last value; PostgreSQL rejects them in one INSERT.
    const unique = new Map(points.map((p) => [`${p.step}\0${p.key}\0${p.seed}`, p]));
    const steps = [...new Set([step, ...points.map((p) => p.step)])];
    await transaction(this.db, async (tx) => {
      // A write comes first: SQLite then takes the write lock before reading anything, so a
      // concurrent writer makes this one wait (busy_timeout) instead of failing on a stale read.
      const res = await tx
        .updateTable("runs")
        .set((eb) => ({
          last_step: eb
            .case()
            .when(eb.or([eb("last_step", "is", null), eb("last_step", "<", step)]))
            .then(step)
            .else(eb.ref("last_step"))
            .end(),
        }))
        .where("id", "=", runId)
        .executeTakeFirst();
      if (res.numUpdatedRows === 0n) throw notFound(runId);
      // Delete then insert, so a re-written step holds exactly the new points.
      await tx.deleteFrom("metrics").where("run_id", "=", runId).where("step", "in", steps).execute();
      const rows = [...unique.values()].map((p) => ({ run_id: runId, step: p.step, seed: p.seed, key: p.key, value: finite(p.value) }));
      for (let i = 0; i < rows.length; i += CHUNK) {
        await tx.insertInto("metrics").values(rows.slice(i, i + CHUNK)).execute();
      }
      if (state === undefined) return;
      const blob = Buffer.from(state.buffer, state.byteOffset, state.byteLength); // what both drivers bind
      // Unless the run keeps every state, only this one stays: the latest is all a resume needs.
      const run = await tx.selectFrom("runs").select("keep_states").where("id", "=", runId).executeTakeFirstOrThrow();
      await tx.deleteFrom("run_state").where("run_id", "=", runId).$if(run.keep_states === "every", (q) => q.where("step", "=", step)).execute();
      await tx.insertInto("run_state").values({ run_id: runId, step, state: blob }).execute();
    });
  }

  async recordDivergence(runId: string, d: Divergence): Promise<void> {
    // The first record wins: it is where the seed actually went wrong.
    await this.onRun(runId, () =>
      this.db
        .insertInto("divergences")
        .values({ run_id: runId, seed: d.seed, step: d.step, env: d.env, what: d.what })
        .onConflict((oc) => oc.columns(["run_id", "seed"]).doNothing())
        .execute(),
    );
  }

  async loadState(runId: string, step?: number): Promise<{ step: number; state: Uint8Array } | undefined> {
    const row = await this.db.selectFrom("run_state").select(["step", "state"]).where("run_id", "=", runId)
      .$if(step !== undefined, (q) => q.where("step", "=", step!))
      .orderBy("step", "desc").limit(1).executeTakeFirst();
    // A plain copy: drivers hand back a Buffer over a shared pool.
    return row && { step: row.step, state: new Uint8Array(row.state) };
  }

  async setStatus(runId: string, status: RunStatus): Promise<void> {
    if (status === "stale") throw new EcotoneError("E_ARGS", "stale is read, never written: it means running with no live owner");
    const release = status === "running" ? {} : { owner: null, heartbeat_at: null };
    const res = await this.db.updateTable("runs").set({ status, ...release }).where("id", "=", runId).executeTakeFirst();
    if (res.numUpdatedRows === 0n) throw notFound(runId);
  }

  async finishRun(runId: string, status: RunStatus, summary: unknown): Promise<void> {
    const summary_json = JSON.stringify(summary ?? null);
    const finished_at = new Date().toISOString();
    await transaction(this.db, (tx) => finishIn(tx, runId, status, summary_json, finished_at));
  }

  async getRun(id: string): Promise<RunRow | undefined> {
    const exact = await this.db.selectFrom("runs").selectAll().where("id", "=", id).executeTakeFirst();
    if (exact) return toRow(exact);
    if (id.length < MIN_PREFIX) return undefined;
    // substr rather than LIKE: no wildcards to escape, and case-sensitive on both databases.
    const matches = await this.db
      .selectFrom("runs")
      .selectAll()
      .where((eb) => eb(eb.fn<string>("substr", ["id", eb.lit(1), eb.lit(id.length)]), "=", id))
      .orderBy("id")
      .limit(4)
      .execute();
    if (matches.length > 1) {
      const ids = matches.slice(0, 3).map((m) => m.id).join(", ");
      throw new EcotoneError("E_ARGS", `run id prefix ${id} is ambiguous: ${ids}${matches.length > 3 ? ", ..." : ""}`);
    }
    return matches[0] && toRow(matches[0]);
  }

  async listRuns(filter: { status?: RunStatus; name?: string; sweepId?: string } = {}): Promise<RunRow[]> {
    let q = this.db.selectFrom("runs").selectAll();
    // Running and stale are both stored as running; which one a run is, is read (readStatus).
    if (filter.status !== undefined) q = q.where("status", "=", filter.status === "stale" ? "running" : filter.status);
    if (filter.name !== undefined) q = q.where("name", "=", filter.name);
    if (filter.sweepId !== undefined) q = q.where("sweep_id", "=", filter.sweepId);
    const rows = (await q.orderBy("created_at", "desc").orderBy("id", "desc").execute()).map(toRow);
    return filter.status === undefined ? rows : rows.filter((r) => r.status === filter.status);
  }

  async tagRun(runId: string, tags: string[]): Promise<void> {
    await transaction(this.db, async (tx) => {
      if (!(await tx.selectFrom("runs").select("id").where("id", "=", runId).executeTakeFirst())) throw notFound(runId);
      const have = new Set((await tx.selectFrom("run_tags").select("tag").where("run_id", "=", runId).execute()).map((r) => r.tag));
      const add = [...new Set(tags)].filter((t) => !have.has(t));
      if (add.length) await tx.insertInto("run_tags").values(add.map((tag) => ({ run_id: runId, tag }))).execute();
    });
  }

  async untagRun(runId: string, tags: string[]): Promise<void> {
    if (tags.length) await this.db.deleteFrom("run_tags").where("run_id", "=", runId).where("tag", "in", tags).execute();
  }

  async tags(runIds?: string[]): Promise<Map<string, string[]>> {
    if (runIds?.length === 0) return new Map();
    let q = this.db.selectFrom("run_tags").select(["run_id", "tag"]);
    if (runIds !== undefined) q = q.where("run_id", "in", runIds);
    const out = new Map<string, string[]>();
    for (const r of await q.orderBy("run_id").orderBy("tag").execute()) out.set(r.run_id, [...(out.get(r.run_id) ?? []), r.tag]);
    return out;
  }

  async addNote(runId: string, text: string, at = new Date().toISOString()): Promise<RunNote> {
    await transaction(this.db, async (tx) => {
      if (!(await tx.selectFrom("runs").select("id").where("id", "=", runId).executeTakeFirst())) throw notFound(runId);
      const last = await tx.selectFrom("run_notes").select((eb) => eb.fn.max<number | null>("idx").as("m")).where("run_id", "=", runId).executeTakeFirst();
      await tx.insertInto("run_notes").values({ run_id: runId, idx: Number(last?.m ?? 0) + 1, at, body: text }).execute();
    });
    return { at, text };
  }

  async notes(runId: string): Promise<RunNote[]> {
    const rows = await this.db.selectFrom("run_notes").select(["at", "body"]).where("run_id", "=", runId).orderBy("idx").execute();
    return rows.map((r) => ({ at: r.at, text: r.body }));
  }

  async deleteRuns(runIds: string[], o: { force?: boolean; dryRun?: boolean } = {}): Promise<RunRemoval[]> {
    return transaction(this.db, async (tx) => {
      const out: RunRemoval[] = [];
      for (const runId of [...new Set(runIds)]) {
        const row = await tx.selectFrom("runs").select(["name", "status", "owner", "heartbeat_at"]).where("id", "=", runId).executeTakeFirst();
        if (!row) throw notFound(runId);
        const status = readStatus(row);
        if (status === "running")
          throw new EcotoneError("E_STORE", `run ${runId} is being trained by ${describeOwner(row.owner!)}: stop it first`);
        const cells = (await tx.selectFrom("sweep_cells").select(["sweep_id", "cell_key"]).where("run_id", "=", runId).execute())
          .map((c) => ({ sweepId: c.sweep_id, cellKey: c.cell_key }));
        if (cells.length && !o.force)
          throw new EcotoneError("E_ARGS", `run ${runId} is a cell of sweep ${cells[0]!.sweepId}: --force removes it and sets the cell back to pending`);
        const count = async (table: "metrics" | "run_tags" | "run_notes" | "run_state") =>
          Number((await tx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n")).where("run_id", "=", runId).executeTakeFirst())?.n ?? 0);
        out.push({ runId, name: row.name, status, metrics: await count("metrics"), hasState: (await count("run_state")) > 0, tags: await count("run_tags"), notes: await count("run_notes"), cells });
        if (o.dryRun) continue;
        const now = new Date().toISOString();
        for (const c of cells) {
          await tx.updateTable("sweep_cells").set({ run_id: null, status: "pending", error: null, updated_at: now })
            .where("sweep_id", "=", c.sweepId).where("cell_key", "=", c.cellKey).execute();
        }
        // Explicit rather than by cascade: the same on a store whose foreign keys are not enforced.
        for (const table of ["metrics", "divergences", "phases", "run_state", "run_tags", "run_notes"] as const)
          await tx.deleteFrom(table).where("run_id", "=", runId).execute();
        await tx.deleteFrom("runs").where("id", "=", runId).execute();
      }
      return out;
    });
  }

  async metrics(runId: string, opts: { keys?: string[]; fromStep?: number } = {}): Promise<MetricPoint[]> {
    if (opts.keys?.length === 0) return [];
    let q = this.db.selectFrom("metrics").select(["step", "seed", "key", "value"]).where("run_id", "=", runId);
    if (opts.keys !== undefined) q = q.where("key", "in", opts.keys);
    if (opts.fromStep !== undefined) q = q.where("step", ">=", opts.fromStep);
    return q.orderBy("step").orderBy("key").orderBy("seed").execute();
  }

  async lastStep(runId: string): Promise<number | undefined> {
    const row = await this.db.selectFrom("runs").select("last_step").where("id", "=", runId).executeTakeFirst();
    return row?.last_step ?? undefined;
  }

  async divergences(runId: string): Promise<Divergence[]> {
    return this.db.selectFrom("divergences").select(["seed", "step", "env", "what"]).where("run_id", "=", runId).orderBy("seed").execute();
  }

  async phases(runId: string): Promise<Phase[]> {
    const rows = await this.db.selectFrom("phases").select(["start_step", "end_step", "env"]).where("run_id", "=", runId).orderBy("idx").execute();
    return rows.map((r) => ({ start: r.start_step, end: r.end_step, env: r.env }));
  }

  async createSweep(sweep: NewSweep, cells: NewSweepCell[]): Promise<boolean> {
    const now = sweep.createdAt ?? new Date().toISOString();
    return transaction(this.db, async (tx) => {
      const res = await tx
        .insertInto("sweeps")
        .values({ id: sweep.id, name: sweep.name, spec_json: sweep.specJson, hash: sweep.hash, status: "running", created_at: now, finished_at: null, owner: null, heartbeat_at: null })
        .onConflict((oc) => oc.column("id").doNothing())
        .executeTakeFirst();
      const rows = cells.map((c, idx) => ({
        sweep_id: sweep.id, cell_key: c.key, idx, params_json: JSON.stringify(c.params), spec_json: c.specJson,
        run_id: null, status: "pending", error: null, updated_at: now,
      }));
      for (let i = 0; i < rows.length; i += CHUNK / 2) {
        await tx.insertInto("sweep_cells").values(rows.slice(i, i + CHUNK / 2)).onConflict((oc) => oc.columns(["sweep_id", "cell_key"]).doNothing()).execute();
      }
      return res.numInsertedOrUpdatedRows !== 0n;
    });
  }

  async getSweep(id: string): Promise<SweepRow | undefined> {
    const row = await this.db.selectFrom("sweeps").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toSweep(row);
  }

  async listSweeps(filter: { status?: SweepStatus; hash?: string } = {}): Promise<SweepRow[]> {
    let q = this.db.selectFrom("sweeps").selectAll();
    if (filter.status !== undefined) q = q.where("status", "=", filter.status);
    if (filter.hash !== undefined) q = q.where("hash", "=", filter.hash);
    return (await q.orderBy("created_at", "desc").orderBy("id", "desc").execute()).map(toSweep);
  }

  async sweepCells(sweepId: string): Promise<SweepCellRow[]> {
    const rows = await this.db.selectFrom("sweep_cells").selectAll().where("sweep_id", "=", sweepId).orderBy("idx").execute();
    return rows.map(toCell);
  }

  async claimSweep(id: string, owner: string, expected: string | null): Promise<boolean> {
    const res = await this.db
      .updateTable("sweeps")
      .set({ owner, heartbeat_at: new Date().toISOString(), status: "running", finished_at: null })
      .where("id", "=", id)
      .where((eb) => (expected === null ? eb("owner", "is", null) : eb("owner", "=", expected)))
      .executeTakeFirst();
    return res.numUpdatedRows !== 0n;
  }

  async heartbeatSweep(id: string, owner: string): Promise<boolean> {
    const res = await this.db.updateTable("sweeps").set({ heartbeat_at: new Date().toISOString() }).where("id", "=", id).where("owner", "=", owner).executeTakeFirst();
    return res.numUpdatedRows !== 0n;
  }

  async setSweepStatus(id: string, status: SweepStatus): Promise<void> {
    const ended = status === "completed" || status === "failed";
    const res = await this.db
      .updateTable("sweeps")
      .set({ status, finished_at: ended ? new Date().toISOString() : null, ...(status === "running" ? {} : { owner: null, heartbeat_at: null }) })
      .where("id", "=", id)
      .executeTakeFirst();
    if (res.numUpdatedRows === 0n) throw new EcotoneError("E_NOT_FOUND", `no sweep ${id}`);
  }

  async createCellRun(sweepId: string, cellKey: string, run: NewRun): Promise<void> {
    await transaction(this.db, async (tx) => {
      const res = await tx
        .updateTable("sweep_cells")
        .set({ run_id: run.id, status: "running", error: null, updated_at: new Date().toISOString() })
        .where("sweep_id", "=", sweepId)
        .where("cell_key", "=", cellKey)
        .executeTakeFirst();
      if (res.numUpdatedRows === 0n) throw noCell(sweepId, cellKey);
      await new KyselyStore(tx, this.url, this.dialect).createRun({ ...run, sweepId });
    });
  }

  async finishCellRun(sweepId: string, cellKey: string, runId: string, status: RunStatus, summary: unknown, error: string | null = null): Promise<void> {
    const cell = status === "completed" ? "completed" : status === "failed" || status === "diverged" ? "failed" : "running";
    await transaction(this.db, async (tx) => {
      const res = await tx
        .updateTable("sweep_cells")
        .set({ status: cell, error, updated_at: new Date().toISOString() })
        .where("sweep_id", "=", sweepId)
        .where("cell_key", "=", cellKey)
        .where("run_id", "=", runId)
        .executeTakeFirst();
      if (res.numUpdatedRows === 0n) throw new EcotoneError("E_STORE", `run ${runId} is not the run of cell ${cellKey} in sweep ${sweepId}`);
      await finishIn(tx, runId, status, JSON.stringify(summary ?? null), new Date().toISOString());
    });
  }

  async setCellWorker(sweepId: string, cellKey: string, worker: string): Promise<void> {
    const res = await this.db.updateTable("sweep_cells").set({ worker }).where("sweep_id", "=", sweepId).where("cell_key", "=", cellKey).executeTakeFirst();
    if (res.numUpdatedRows === 0n) throw noCell(sweepId, cellKey);
  }

  async setCellStatus(sweepId: string, cellKey: string, status: SweepCellStatus, error: string | null = null): Promise<void> {
    const res = await this.db
      .updateTable("sweep_cells")
      .set({ status, error, updated_at: new Date().toISOString() })
      .where("sweep_id", "=", sweepId)
      .where("cell_key", "=", cellKey)
      .executeTakeFirst();
    if (res.numUpdatedRows === 0n) throw noCell(sweepId, cellKey);
  }

  async states(): Promise<StateEntry[]> {
    const rows = await this.db
      .selectFrom("run_state as s")
      .leftJoin("runs as r", "r.id", "s.run_id")
      .select((eb) => ["s.run_id", "s.step", eb.fn<number>("length", ["s.state"]).as("bytes"), "r.id", "r.status", "r.owner", "r.heartbeat_at", "r.keep_states"])
      .orderBy("s.run_id").orderBy("s.step")
      .execute();
    return rows.map((r) => ({
      runId: r.run_id, step: r.step, bytes: Number(r.bytes),
      status: r.id === null ? null : readStatus({ status: r.status!, owner: r.owner, heartbeat_at: r.heartbeat_at }),
      keep: (r.keep_states ?? "final") as KeepStates,
    }));
  }

  async deleteStates(entries: { runId: string; step: number }[]): Promise<number> {
    return transaction(this.db, async (tx) => {
      let n = 0;
      for (const e of entries) n += Number((await tx.deleteFrom("run_state").where("run_id", "=", e.runId).where("step", "=", e.step).executeTakeFirst()).numDeletedRows);
      return n;
    });
  }

  async storageBytes(): Promise<number> {
    if (this.dialect === "postgres") {
      const tables = ["runs", "metrics", "divergences", "phases", "run_state", "meta", "sweeps", "sweep_cells", "run_tags", "run_notes"];
      const { rows } = await sql<{ n: string | null }>`select sum(pg_total_relation_size(c.oid)) as n from pg_class c where c.relkind = 'r' and c.relnamespace = current_schema()::regnamespace and c.relname in (${sql.join(tables)})`.execute(this.db);
      return Number(rows[0]?.n ?? 0);
    }
    const pages = await sql<{ n: number }>`select (select page_count from pragma_page_count()) * (select page_size from pragma_page_size()) as n`.execute(this.db);
    const wal = this.url !== ":memory:" && existsSync(`${this.url}-wal`) ? statSync(`${this.url}-wal`).size : 0;
    return Number(pages.rows[0]?.n ?? 0) + wal;
  }

  async compact(): Promise<void> {
    // PostgreSQL: a plain VACUUM (readers and writers go on) makes the space reusable and gives trailing pages back.
    if (this.dialect === "postgres") return void (await sql`VACUUM run_state`.execute(this.db));
    await sql`VACUUM`.execute(this.db);
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(this.db);
  }

  async reclaim(): Promise<void> {
    if (this.dialect === "sqlite") await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(this.db);
  }

  async integrity(): Promise<string | null> {
    if (this.dialect === "postgres") return null; // the server keeps its files sound; there is no quick_check
    const { rows } = await sql<{ quick_check: string }>`PRAGMA quick_check(5)`.execute(this.db);
    const problems = rows.map((r) => String(Object.values(r)[0])).filter((v) => v !== "ok");
    return problems.length === 0 ? null : problems.join("; ").replace(/\*\*\* in database \w+ \*\*\*\s*/g, "").replace(/\s*\n\s*/g, "; ");
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** Run a write; when it fails because the run is missing (a foreign key), say so. */
  private async onRun<T>(runId: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (err instanceof EcotoneError) throw err;
      const exists = await this.db.selectFrom("runs").select("id").where("id", "=", runId).executeTakeFirst();
      throw exists ? err : notFound(runId);
    }
  }
}
