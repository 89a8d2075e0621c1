// The sweep queue on PostgreSQL: pg-boss (in its own schema, next to the run store's tables in the
// same database) holds one job per sweep cell; `ecotone worker` processes claim and run them. A
// cell's job id is derived from the sweep id and the cell key, so a cell is never queued twice:
// a second `ecotone sweep --queue` of the same spec inserts nothing new and joins the sweep.
//
// Liveness is pg-boss's expiration, kept short and extended by the worker while it runs a cell
// (a heartbeat): a worker killed with -9 stops extending it, the job expires after at most
// `lease` seconds (plus one maintenance pass) and pg-boss hands it to another worker as a retry.
import { createHash } from "node:crypto";
import pg from "pg";
import PgBoss from "pg-boss";
import { isPostgresUrl, redactText, redactUrl } from "../store/index.ts";
import { urlPassword } from "../store/url.ts";
import { EcotoneError } from "../util/errors.ts";

export const queueDefaults = {
  schema: "ecotone_queue", // pg-boss's tables, beside the store's
  name: "ecotone-cells", // one queue for every sweep's cells, first queued first served
  leaseSeconds: 60, // a cell's job expires (and is retried elsewhere) when its worker is silent this long
  retries: 2, // attempts after the first before a cell is given up (a poison cell fails alone)
  retryDelaySeconds: 5, // wait before a failed cell is tried again
  pollMs: 1_000, // an idle worker asks for work this often
  maintenanceSeconds: 5, // how often pg-boss (in one process at a time) fails expired jobs: a dead worker's cell waits at most lease + this
};

/** How a sweep's cells are queued: what each job carries to its worker. */
export interface CellJobData {
  sweepId: string;
  key: string; // the cell key (canonical JSON of its params)
  lease: number; // seconds: see queueDefaults.leaseSeconds
  allowLarge?: boolean;
}

/** What a job's state can be (pg-boss's states). */
export type JobState = "created" | "retry" | "active" | "completed" | "cancelled" | "failed";

export interface JobInfo {
  id: string;
  state: JobState;
  attempts: number; // tries started so far (retry_count + 1 once started)
  maxAttempts: number; // retry_limit + 1
  output: { error?: string; worker?: string; runId?: string; value?: { message?: string } } | null; // what the last try reported (value: pg-boss's own, e.g. a timeout)
  startedOn: Date | null;
}

/** The job id of a cell: a UUID made from the sweep id and the cell key (stable, collision-free in practice). */
export function cellJobId(sweepId: string, key: string): string {
  const h = createHash("sha256").update(`${sweepId}\0${key}`).digest("hex");
  // Shaped as an RFC 4122 version-5-like UUID so PostgreSQL's uuid type takes it.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * How many of these cells have a job on the queue still to run or running (created, retry, active):
 * 0 when the store's database has no queue. A plain connection, so asking creates nothing.
 */
export async function liveQueuedCells(url: string, sweepId: string, keys: readonly string[]): Promise<number> {
  const client = new pg.Client({ connectionString: url, application_name: "ecotone", connectionTimeoutMillis: 10_000 });
  client.on("error", () => {}); // a dropped connection surfaces as the query's error
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT to_regclass('${queueDefaults.schema}.job') IS NOT NULL AS has`);
    if (!rows[0]?.has) return 0;
    const live = await client.query(
      `SELECT count(*)::int AS n FROM ${queueDefaults.schema}.job WHERE name = $1 AND id = ANY($2::uuid[]) AND state::text IN ('created', 'retry', 'active')`,
      [queueDefaults.name, keys.map((k) => cellJobId(sweepId, k))],
    );
    return live.rows[0]?.n ?? 0;
  } finally {
    await client.end().catch(() => {});
  }
}

/** What scrubs text about `url` (a log line, a driver's error) of its password, wherever it shows. */
export function redactor(url: string): (text: string) => string {
  const secrets = [urlPassword(url), process.env.PGPASSWORD].filter((s): s is string => !!s);
  return (text) => redactText(text, secrets);
}

/** A connection to the queue: pg-boss over a pool this module owns (errors are reported, never crash the process). */
export class Queue {
  readonly boss: PgBoss;
  private readonly pool: pg.Pool;
  private readonly schema = queueDefaults.schema;
  private readonly redact: (text: string) => string;

  private constructor(readonly url: string, o: { maintenanceSeconds?: number; onError?: (message: string) => void }) {
    this.redact = redactor(url);
    this.pool = new pg.Pool({ connectionString: url, max: 4, application_name: "ecotone-queue", connectionTimeoutMillis: 10_000 });
    // An idle connection dropped by a restarting server must not bring the process down.
    this.pool.on("error", (e) => o.onError?.(this.redact(e.message)));
    this.boss = new PgBoss({
      db: { executeSql: (text: string, values: unknown[]) => this.pool.query(text, values as unknown[]) },
      schema: this.schema,
      schedule: false, // no cron here
      supervise: true, // expires silent jobs (the kill -9 case) and archives old ones
      maintenanceIntervalSeconds: o.maintenanceSeconds ?? queueDefaults.maintenanceSeconds,
      archiveCompletedAfterSeconds: 7 * 24 * 3600, // finished cells' jobs stay readable by `sweep status` for a week
      archiveFailedAfterSeconds: 7 * 24 * 3600,
    });
    this.boss.on("error", (e: Error) => o.onError?.(this.redact(e.message)));
  }

  /** Connect, create pg-boss's schema and the queue if missing. */
  static async open(url: string, o: { maintenanceSeconds?: number; onError?: (message: string) => void } = {}): Promise<Queue> {
    if (!isPostgresUrl(url)) throw new EcotoneError("E_ARGS", `the sweep queue needs a PostgreSQL store (--store postgres://...), got ${redactUrl(url)}`);
    const q = new Queue(url, o);
    try {
      await q.boss.start();
      if (!(await q.boss.getQueue(queueDefaults.name))) await q.boss.createQueue(queueDefaults.name, { name: queueDefaults.name, policy: "standard" });
    } catch (e) {
      await q.close().catch(() => {});
      throw new EcotoneError("E_STORE", `cannot open the sweep queue on ${redactUrl(url)}: ${q.redact((e as Error).message)}`);
    }
    return q;
  }

  /**
   * Queue the cells that are not completed yet. A cell already queued (in any state) is left as it
   * is, except a cell whose job failed for good: queued again when `retryFailed`, so running the
   * same command again retries failed cells as the local runner does. Returns how many were added.
   */
  async enqueue(cells: CellJobData[], o: { retries?: number; retryDelaySeconds?: number; retryFailed?: boolean } = {}): Promise<{ added: number; retried: number }> {
    let added = 0;
    const failed: string[] = [];
    for (const data of cells) {
      const id = cellJobId(data.sweepId, data.key);
      const sent = await this.boss.send(queueDefaults.name, data, {
        id,
        singletonKey: id, // informative; the id itself is what keeps a cell queued once
        retryLimit: o.retries ?? queueDefaults.retries,
        retryDelay: o.retryDelaySeconds ?? queueDefaults.retryDelaySeconds,
        expireInSeconds: data.lease,
      });
      if (sent) added++;
      else failed.push(id);
    }
    let retried = 0;
    if (o.retryFailed && failed.length) {
      const states = await this.jobs(failed);
      const again = [...states.values()].filter((j) => j.state === "failed").map((j) => j.id);
      if (again.length) {
        await this.pool.query(
          `UPDATE ${this.schema}.job SET state = 'retry', retry_limit = retry_count + 1 + $3, start_after = now(), output = NULL WHERE name = $1 AND id = ANY($2::uuid[]) AND state = 'failed'`,
          [queueDefaults.name, again, o.retries ?? queueDefaults.retries],
        );
        retried = again.length;
      }
    }
    return { added, retried };
  }

  /** The jobs with these ids (archived ones included), by id. */
  async jobs(ids: string[]): Promise<Map<string, JobInfo>> {
    const cols = "id::text AS id, state::text AS state, retry_count, retry_limit, output, started_on";
    const { rows } = await this.pool.query(
      `SELECT ${cols} FROM ${this.schema}.job WHERE name = $1 AND id = ANY($2::uuid[])
       UNION ALL SELECT ${cols} FROM ${this.schema}.archive WHERE name = $1 AND id = ANY($2::uuid[])`,
      [queueDefaults.name, ids],
    );
    const out = new Map<string, JobInfo>();
    for (const r of rows) {
      if (out.has(r.id)) continue; // the live row first
      const started = r.started_on !== null;
      out.set(r.id, {
        id: r.id, state: r.state, attempts: started ? r.retry_count + 1 : r.retry_count, maxAttempts: r.retry_limit + 1,
        output: r.output ?? null, startedOn: r.started_on,
      });
    }
    return out;
  }

  /** Claim one job, or none; throws when the database cannot be reached (pg-boss's fetch would hide it). */
  async claim(): Promise<PgBoss.JobWithMetadata<CellJobData> | undefined> {
    await this.ping();
    const [job] = await this.boss.fetch<CellJobData>(queueDefaults.name, { batchSize: 1, includeMetadata: true });
    return job;
  }

  /**
   * The heartbeat of a claimed job: its expiry moves to `lease` seconds from now. False when the
   * job is no longer this claim's (expired and handed to another worker, or finished).
   */
  async extend(job: PgBoss.JobWithMetadata<CellJobData>): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE ${this.schema}.job SET expire_in = (now() - started_on) + make_interval(secs => $3)
       WHERE name = $1 AND id = $2 AND state = 'active' AND abs(extract(epoch FROM started_on) * 1000 - $4) < 2`,
      [queueDefaults.name, job.id, job.data.lease, job.startedOn.getTime()],
    );
    return rowCount === 1;
  }

  /** Give a claimed job back untried (the worker is stopping): it is queued again at once and this try does not count. */
  async release(job: PgBoss.JobWithMetadata<CellJobData>): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.schema}.job SET state = CASE WHEN retry_count = 0 THEN 'created' ELSE 'retry' END::${this.schema}.job_state,
         retry_count = GREATEST(retry_count - 1, 0), started_on = CASE WHEN retry_count = 0 THEN NULL ELSE started_on END, start_after = now()
       WHERE name = $1 AND id = $2 AND state = 'active'`,
      [queueDefaults.name, job.id],
    );
  }

  async complete(job: { id: string }, output: object): Promise<void> {
    await this.boss.complete(queueDefaults.name, job.id, output);
  }

  async fail(job: { id: string }, output: object): Promise<void> {
    await this.boss.fail(queueDefaults.name, job.id, output);
  }

  /** Throws unless the database answers. */
  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  /**
   * A session-level advisory lock held on its own connection until `release` (or until this
   * process dies: PostgreSQL drops it with the connection). Polls, so waiting can be abandoned.
   */
  async lock(name: string, o: { signal?: AbortSignal; pollMs?: number } = {}): Promise<{ release(): Promise<void> } | undefined> {
    const key = createHash("sha256").update(`ecotone-lock\0${name}`).digest().readBigInt64BE(0).toString();
    const client = await this.pool.connect();
    let broken = false;
    const onError = () => void (broken = true);
    client.on("error", onError);
    try {
      for (;;) {
        const { rows } = await client.query("SELECT pg_try_advisory_lock($1::bigint) AS ok", [key]);
        if (rows[0].ok) break;
        if (o.signal?.aborted) { client.release(); return undefined; }
        await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
      }
    } catch (e) {
      client.release(true);
      throw e;
    }
    let released = false;
    return {
      release: async () => {
        if (released) return; // idempotent: released when the baselines are stored, and again when the cell ends
        released = true;
        try {
          if (!broken) await client.query("SELECT pg_advisory_unlock($1::bigint)", [key]);
          client.release();
        } catch {
          client.release(true); // the connection is gone, and the lock with it
        } finally {
          client.off("error", onError);
        }
      },
    };
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, close: false, wait: true }).catch(() => {});
    await this.pool.end().catch(() => {});
  }
}
